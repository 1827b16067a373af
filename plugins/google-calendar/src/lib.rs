//! Google Calendar for Convene, against Google Calendar API v3 (`tests/src/fakes/google.rs`
//! fakes it for the tests):
//! - `calendars`: the account's calendar list (`GET /users/me/calendarList`, paged);
//! - `busy-times`: `POST /freeBusy` over the calendars the host checks; a calendar Google
//!   cannot read (`errors: [{reason: notFound}]`) is logged and left out, not fatal;
//! - `apply`: a booking's event inserted, patched or deleted in the calendar the host
//!   picked. The event's id is derived from the booking uid, so an insert retried after
//!   a lost answer meets `409 duplicate` and becomes a patch rather than a second event;
//!   the booking uid is also kept in `extendedProperties.private.convene_booking`, which
//!   is how sync tells Convene's events from the host's own. A Google Meet link is asked
//!   for (`conferenceDataVersion=1`) when the booking's location is Google Meet.
//!
//! - `pull` and `handle-webhook`: changes made in Google Calendar to Convene's events,
//!   through push channels and incremental sync (see [`sync`]).
//!
//! Google's rate-limit refusals (`403 rateLimitExceeded`/`userRateLimitExceeded`, or 429)
//! carry no `Retry-After`, so they become [`PluginError::RateLimited`] with a short wait
//! and the host's backoff does the rest.

use chrono::{DateTime, SecondsFormat, Utc};
use convene_plugin_sdk::http::{encode_component, parse, request, send_ok};
use convene_plugin_sdk::{
    BookingInfo, Busy, Calendar, Capability, Delivery, Effect, Guest, LogLevel, OauthEndpoints,
    Outcome, Page, PluginError, PluginManifest, TimeRange, UpstreamStatus, WebhookRequest, config,
    export, log, settings,
};
use serde::Deserialize;
use serde_json::{Value, json};

mod sync;

const DEFAULT_BASE_URL: &str = "https://www.googleapis.com/calendar/v3";
/// The private extended property naming the Convene booking an event is for.
const BOOKING_PROPERTY: &str = "convene_booking";
/// Convene's location for a Google Meet meeting (Cal.com's integration name).
const MEET_LOCATION: &str = "integrations:google-meet";
/// Seconds to wait after a rate-limit refusal that names no wait.
const RATE_LIMIT_WAIT: u32 = 30;

struct GoogleCalendar;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CalendarList {
    #[serde(default)]
    items: Vec<CalendarListEntry>,
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CalendarListEntry {
    id: String,
    #[serde(default)]
    summary: String,
    summary_override: Option<String>,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    access_role: String,
    time_zone: Option<String>,
}

#[derive(Deserialize)]
struct FreeBusy {
    #[serde(default)]
    calendars: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct CalendarBusy {
    #[serde(default)]
    busy: Vec<Period>,
    #[serde(default)]
    errors: Vec<Value>,
}

#[derive(Deserialize)]
struct Period {
    start: String,
    end: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    id: String,
    hangout_link: Option<String>,
    html_link: Option<String>,
}

fn base_url() -> String {
    config::get("base_url").unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
}

/// Sends a request with the host's bearer; Google's error answers mapped to what the
/// host acts on.
fn call(method: &str, url: &str, body: Option<&Value>) -> Result<Vec<u8>, PluginError> {
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    send_ok(&request(method, url, body, true))
        .map(|response| response.body)
        .map_err(rate_limits)
}

/// Google says "slow down" with 403 and a `rateLimitExceeded`-like reason as often as
/// with 429, and never with a `Retry-After` to trust.
fn rate_limits(error: PluginError) -> PluginError {
    match error {
        PluginError::UpstreamStatus(UpstreamStatus {
            status: 403,
            message,
        }) if message.contains("RateLimitExceeded")
            || message.contains("rateLimitExceeded")
            || message.contains("quotaExceeded") =>
        {
            PluginError::RateLimited(RATE_LIMIT_WAIT)
        }
        other => other,
    }
}

fn status_of(error: &PluginError) -> Option<u16> {
    match error {
        PluginError::UpstreamStatus(UpstreamStatus { status, .. }) => Some(*status),
        _ => None,
    }
}

fn rfc3339(ms: i64) -> Result<String, PluginError> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .ok_or_else(|| PluginError::Internal(format!("{ms} ms is not a time")))
}

fn millis(text: &str) -> Result<i64, PluginError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| PluginError::InvalidPayload(format!("`{text}` is not an RFC 3339 time: {e}")))
}

/// How the ids of Convene's events begin.
const EVENT_ID_PREFIX: &str = "cnv";

/// The event id for a booking: Google accepts ids of 5–1024 characters from base32hex
/// (`a`–`v`, `0`–`9`), which lowercase hex is a part of.
fn event_id(uid: &str) -> String {
    let mut id = String::from(EVENT_ID_PREFIX);
    for byte in uid.bytes() {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

fn calendar_of(booking: &BookingInfo) -> &str {
    booking.calendar_id.as_deref().unwrap_or("primary")
}

/// Where Google keeps event `id` now, when it is no longer in `calendar`, where Convene
/// wrote it: the host may have moved it to another of their calendars (`events.move`).
fn moved_event(calendar: &str, id: &str) -> Result<Option<String>, PluginError> {
    let writable: Vec<String> = GoogleCalendar::calendars()?
        .into_iter()
        .filter(|c| c.writable)
        .map(|c| c.id)
        .collect();
    sync::moved_elsewhere(calendar, id, &writable)
}

fn events_url(calendar: &str) -> String {
    format!(
        "{}/calendars/{}/events",
        base_url(),
        encode_component(calendar)
    )
}

/// The event's description: the booking's own, then where to reschedule or cancel.
fn description(booking: &BookingInfo) -> String {
    let mut lines: Vec<String> = booking.description.iter().cloned().collect();
    if let Some(url) = &booking.reschedule_url {
        lines.push(format!("Reschedule: {url}"));
    }
    if let Some(url) = &booking.cancel_url {
        lines.push(format!("Cancel: {url}"));
    }
    lines.join("\n\n")
}

/// The event as Google takes it for an insert or a patch.
fn event_body(booking: &BookingInfo, with_id: bool) -> Result<Value, PluginError> {
    let mut event = json!({
        "summary": booking.title,
        "description": description(booking),
        "start": {"dateTime": rfc3339(booking.start_ms)?, "timeZone": booking.time_zone},
        "end": {"dateTime": rfc3339(booking.end_ms)?, "timeZone": booking.time_zone},
        "attendees": booking.attendees.iter()
            .map(|a| json!({"email": a.email, "displayName": a.name}))
            .collect::<Vec<_>>(),
        "extendedProperties": {"private": {BOOKING_PROPERTY: booking.uid}},
    });
    if with_id {
        event["id"] = json!(event_id(&booking.uid));
    }
    match booking.location.as_deref() {
        Some(MEET_LOCATION) => {
            event["conferenceData"] = json!({"createRequest": {
                "requestId": booking.uid,
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
            }});
        }
        Some(location) => event["location"] = json!(location),
        None => {}
    }
    Ok(event)
}

fn outcome(body: &[u8]) -> Result<Outcome, PluginError> {
    let event: Event = parse(body)?;
    Ok(Outcome {
        external_id: Some(event.id),
        url: event.hangout_link.or(event.html_link),
    })
}

fn insert(booking: &BookingInfo) -> Result<Outcome, PluginError> {
    let url = format!(
        "{}?sendUpdates=none&conferenceDataVersion=1",
        events_url(calendar_of(booking))
    );
    match call("POST", &url, Some(&event_body(booking, true)?)) {
        Ok(body) => outcome(&body),
        // Made before, its answer lost: bring the event up to date instead.
        Err(e) if status_of(&e) == Some(409) => patch(booking, &event_id(&booking.uid)),
        Err(e) => Err(e),
    }
}

fn patch(booking: &BookingInfo, id: &str) -> Result<Outcome, PluginError> {
    let body = event_body(booking, false)?;
    let at = |calendar: &str| {
        format!(
            "{}/{}?sendUpdates=none&conferenceDataVersion=1",
            events_url(calendar),
            encode_component(id)
        )
    };
    let calendar = calendar_of(booking);
    match call("PATCH", &at(calendar), Some(&body)) {
        Err(e) if matches!(status_of(&e), Some(404 | 410)) => match moved_event(calendar, id)? {
            Some(now_in) => outcome(&call("PATCH", &at(&now_in), Some(&body))?),
            None => Err(e),
        },
        answer => outcome(&answer?),
    }
}

fn delete(booking: &BookingInfo) -> Result<Outcome, PluginError> {
    let id = booking
        .external_id
        .clone()
        .unwrap_or_else(|| event_id(&booking.uid));
    let at = |calendar: &str| {
        format!(
            "{}/{}?sendUpdates=none",
            events_url(calendar),
            encode_component(&id)
        )
    };
    let calendar = calendar_of(booking);
    let mut deleted = call("DELETE", &at(calendar), None);
    if matches!(deleted.as_ref().err().and_then(status_of), Some(404 | 410))
        && let Some(now_in) = moved_event(calendar, &id)?
    {
        deleted = call("DELETE", &at(&now_in), None);
    }
    match deleted {
        // Already gone (deleted twice, or by the host in Google): the effect is done.
        Err(e) if matches!(status_of(&e), Some(404 | 410)) => {}
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    Ok(Outcome {
        external_id: Some(id),
        url: None,
    })
}

impl Guest for GoogleCalendar {
    fn manifest() -> PluginManifest {
        PluginManifest {
            id: "google-calendar".into(),
            name: "Google Calendar".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: vec![
                Capability::Calendars,
                Capability::BusyTimes,
                Capability::Apply,
                Capability::Pull,
                Capability::Webhooks,
            ],
            allowed_hosts: vec!["www.googleapis.com".into()],
            oauth: Some(OauthEndpoints {
                authorize_url: "https://accounts.google.com/o/oauth2/v2/auth".into(),
                token_url: "https://oauth2.googleapis.com/token".into(),
                revoke_url: Some("https://oauth2.googleapis.com/revoke".into()),
                scopes: vec!["https://www.googleapis.com/auth/calendar".into()],
            }),
            config: settings::oauth_provider("API base URL"),
        }
    }

    fn handle_webhook(request: WebhookRequest) -> Result<Delivery, PluginError> {
        sync::handle_push(&request)
    }

    /// The cursor is unused: each calendar's sync token lives in the plugin's kv.
    fn pull(_cursor: Option<String>) -> Result<Page, PluginError> {
        let writable: Vec<String> = Self::calendars()?
            .into_iter()
            .filter(|c| c.writable)
            .map(|c| c.id)
            .collect();
        Ok(Page {
            changes: sync::pull(&writable)?,
            next_cursor: None,
            has_more: false,
        })
    }

    fn calendars() -> Result<Vec<Calendar>, PluginError> {
        let mut calendars = Vec::new();
        let mut page_token: Option<String> = None;
        loop {
            let mut url = format!("{}/users/me/calendarList?maxResults=250", base_url());
            if let Some(token) = &page_token {
                url.push_str(&format!("&pageToken={}", encode_component(token)));
            }
            let page: CalendarList = parse(&call("GET", &url, None)?)?;
            calendars.extend(page.items.into_iter().map(|entry| Calendar {
                name: entry.summary_override.unwrap_or(entry.summary),
                writable: matches!(entry.access_role.as_str(), "owner" | "writer"),
                primary: entry.primary,
                time_zone: entry.time_zone,
                id: entry.id,
            }));
            match page.next_page_token {
                Some(token) => page_token = Some(token),
                None => return Ok(calendars),
            }
        }
    }

    fn busy_times(range: TimeRange, calendars: Vec<String>) -> Result<Vec<Busy>, PluginError> {
        let calendars = if calendars.is_empty() {
            vec!["primary".to_string()]
        } else {
            calendars
        };
        let query = json!({
            "timeMin": rfc3339(range.start_ms)?,
            "timeMax": rfc3339(range.end_ms)?,
            "items": calendars.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
        });
        let answer: FreeBusy = parse(&call(
            "POST",
            &format!("{}/freeBusy", base_url()),
            Some(&query),
        )?)?;
        let mut busy = Vec::new();
        for (id, calendar) in answer.calendars {
            let calendar: CalendarBusy = serde_json::from_value(calendar)
                .map_err(|e| PluginError::InvalidPayload(e.to_string()))?;
            if !calendar.errors.is_empty() {
                log::log(
                    LogLevel::Warn,
                    &format!(
                        "calendar {id} left out of busy times: {:?}",
                        calendar.errors
                    ),
                );
                continue;
            }
            for period in calendar.busy {
                busy.push(Busy {
                    start_ms: millis(&period.start)?,
                    end_ms: millis(&period.end)?,
                });
            }
        }
        busy.sort_by_key(|b| (b.start_ms, b.end_ms));
        Ok(busy)
    }

    fn apply(effect: Effect) -> Result<Outcome, PluginError> {
        match &effect {
            Effect::CreateEvent(booking) => insert(booking),
            Effect::UpdateEvent(booking) => match &booking.external_id {
                Some(id) => patch(booking, id),
                None => insert(booking),
            },
            Effect::DeleteEvent(booking) => delete(booking),
            _ => Err(PluginError::Unsupported),
        }
    }
}

export!(GoogleCalendar);
