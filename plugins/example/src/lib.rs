//! A complete small plugin for "Example Calendar", a fictional provider whose API is
//! faked in `tests/src/fakes/example.rs`. It shows every export: signed webhooks, a
//! paged pull with a cursor, busy times and effects, and keeps a counter in `kv`.
//!
//! The provider's API (all times in UTC milliseconds):
//! - webhooks: JSON `{id, type: booking.created|booking.moved|booking.cancelled, booking}`
//!   signed with `X-Example-Signature`: hex HMAC-SHA256 of the body with the webhook secret;
//! - `GET /bookings?cursor=&limit=` → `{data: [booking], next_cursor, has_more}`, 410 when
//!   the cursor is too old;
//! - `GET /busy?start=&end=` → `[{start, end}]`;
//! - `POST /events`, `PATCH /events/{id}`, `DELETE /events/{id}` → `{id, url}`;
//! - OAuth 2.0 at `https://auth.example.test`: the host runs the flow with the client an
//!   installation brings and attaches the bearer to requests sent with `auth`.

use convene_plugin_sdk::http::{get_json, send_json};
use convene_plugin_sdk::signature::verify_hmac_sha256_hex;
use convene_plugin_sdk::{
    Attendee, BookingCancelled, BookingInfo, BookingMoved, BookingStatus, Busy, Calendar,
    Capability, Change, Delivery, Effect, ExternalBooking, Guest, OauthEndpoints, Outcome, Page,
    PluginError, PluginManifest, TimeRange, UpstreamStatus, WebhookRequest, config, export, header,
    kv, required_config, settings,
};
use serde::{Deserialize, Serialize};

const DEFAULT_BASE_URL: &str = "https://api.example.test";
/// The kv key counting the webhooks this installation accepted.
pub const SEEN_KEY: &str = "webhooks-seen";

struct Example;

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    booking: ProviderBooking,
}

#[derive(Deserialize, Serialize)]
struct ProviderBooking {
    id: String,
    #[serde(default)]
    title: String,
    start: i64,
    end: i64,
    #[serde(default)]
    host_email: Option<String>,
    #[serde(default)]
    attendees: Vec<ProviderAttendee>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    rescheduled_from: Option<String>,
    #[serde(default)]
    updated: Option<i64>,
}

#[derive(Deserialize, Serialize)]
struct ProviderAttendee {
    name: String,
    email: String,
}

#[derive(Deserialize)]
struct BookingsPage {
    data: Vec<ProviderBooking>,
    next_cursor: Option<String>,
    has_more: bool,
}

#[derive(Deserialize)]
struct ProviderBusy {
    start: i64,
    end: i64,
}

#[derive(Deserialize)]
struct CreatedEvent {
    id: String,
    url: Option<String>,
}

#[derive(Serialize)]
struct EventBody<'a> {
    title: &'a str,
    start: i64,
    end: i64,
    attendees: Vec<ProviderAttendee>,
}

fn base_url() -> String {
    config::get("base_url").unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
}

fn to_change(booking: ProviderBooking) -> Change {
    if booking.status == "cancelled" {
        return Change::BookingCancelled(BookingCancelled {
            external_id: booking.id,
            reason: None,
        });
    }
    Change::BookingUpserted(ExternalBooking {
        external_id: booking.id,
        title: booking.title,
        start_ms: booking.start,
        end_ms: booking.end,
        host_email: booking.host_email,
        attendees: booking
            .attendees
            .into_iter()
            .map(|a| Attendee {
                name: a.name,
                email: a.email,
                time_zone: None,
            })
            .collect(),
        status: BookingStatus::Accepted,
        location: None,
        event_type: None,
        updated_ms: booking.updated,
    })
}

fn event_body(booking: &BookingInfo) -> EventBody<'_> {
    EventBody {
        title: &booking.title,
        start: booking.start_ms,
        end: booking.end_ms,
        attendees: booking
            .attendees
            .iter()
            .map(|a| ProviderAttendee {
                name: a.name.clone(),
                email: a.email.clone(),
            })
            .collect(),
    }
}

fn existing_id(booking: &BookingInfo) -> Result<&str, PluginError> {
    booking
        .external_id
        .as_deref()
        .ok_or_else(|| PluginError::Internal("no event was made for this booking".into()))
}

impl Guest for Example {
    fn manifest() -> PluginManifest {
        PluginManifest {
            id: "example".into(),
            name: "Example Calendar".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: vec![
                Capability::Webhooks,
                Capability::Pull,
                Capability::BusyTimes,
                Capability::Apply,
            ],
            allowed_hosts: vec!["api.example.test".into()],
            oauth: Some(OauthEndpoints {
                authorize_url: "https://auth.example.test/authorize".into(),
                token_url: "https://auth.example.test/token".into(),
                revoke_url: Some("https://auth.example.test/revoke".into()),
                scopes: vec!["calendar.read".into(), "calendar.write".into()],
            }),
            config: [
                settings::oauth_provider("API base URL"),
                vec![settings::field(
                    "webhook_secret",
                    "Webhook signing secret",
                    true,
                    true,
                )],
            ]
            .concat(),
        }
    }

    fn handle_webhook(request: WebhookRequest) -> Result<Delivery, PluginError> {
        let secret = required_config("webhook_secret")?;
        let signature = header(&request.headers, "x-example-signature").unwrap_or_default();
        if !verify_hmac_sha256_hex(secret.as_bytes(), &request.body, signature) {
            return Err(PluginError::BadSignature);
        }
        let event: Event = convene_plugin_sdk::http::parse(&request.body)?;
        let seen = kv::get(SEEN_KEY)
            .and_then(|v| String::from_utf8(v).ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        kv::set(SEEN_KEY, (seen + 1).to_string().as_bytes());
        let change = match event.kind.as_str() {
            "booking.created" => to_change(event.booking),
            "booking.moved" => Change::BookingMoved(BookingMoved {
                external_id: event.booking.id,
                start_ms: event.booking.start,
                end_ms: event.booking.end,
                previous_external_id: event.booking.rescheduled_from,
            }),
            "booking.cancelled" => Change::BookingCancelled(BookingCancelled {
                external_id: event.booking.id,
                reason: None,
            }),
            other => {
                return Err(PluginError::InvalidPayload(format!(
                    "unknown event type `{other}`"
                )));
            }
        };
        Ok(Delivery {
            event_id: Some(event.id),
            changes: vec![change],
        })
    }

    fn pull(cursor: Option<String>) -> Result<Page, PluginError> {
        let mut url = format!("{}/bookings?limit=50", base_url());
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page: BookingsPage = get_json(&url, true).map_err(|e| match e {
            PluginError::UpstreamStatus(UpstreamStatus { status: 410, .. }) => {
                PluginError::NeedsResync
            }
            other => other,
        })?;
        Ok(Page {
            changes: page.data.into_iter().map(to_change).collect(),
            next_cursor: page.next_cursor.or(cursor),
            has_more: page.has_more,
        })
    }

    /// Example Calendar has one calendar per account, so `_calendars` is always it.
    fn busy_times(range: TimeRange, _calendars: Vec<String>) -> Result<Vec<Busy>, PluginError> {
        let url = format!(
            "{}/busy?start={}&end={}",
            base_url(),
            range.start_ms,
            range.end_ms
        );
        let busy: Vec<ProviderBusy> = get_json(&url, true)?;
        Ok(busy
            .into_iter()
            .map(|b| Busy {
                start_ms: b.start,
                end_ms: b.end,
            })
            .collect())
    }

    fn calendars() -> Result<Vec<Calendar>, PluginError> {
        Err(PluginError::Unsupported)
    }

    fn apply(effect: Effect) -> Result<Outcome, PluginError> {
        let (method, url, booking) = match &effect {
            Effect::CreateEvent(b) => ("POST", format!("{}/events", base_url()), b),
            Effect::UpdateEvent(b) => (
                "PATCH",
                format!("{}/events/{}", base_url(), existing_id(b)?),
                b,
            ),
            Effect::DeleteEvent(b) => (
                "DELETE",
                format!("{}/events/{}", base_url(), existing_id(b)?),
                b,
            ),
            _ => return Err(PluginError::Unsupported),
        };
        let created: Option<CreatedEvent> = send_json(method, &url, &event_body(booking), true)?;
        Ok(Outcome {
            external_id: created.as_ref().map(|c| c.id.clone()),
            url: created.and_then(|c| c.url),
        })
    }
}

export!(Example);
