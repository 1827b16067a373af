//! Outlook calendars for Convene, against Microsoft Graph v1.0 (`tests/src/fakes/microsoft.rs`
//! fakes it for the tests):
//! - `calendars`: the account's calendars (`GET /me/calendars`, paged); the default
//!   calendar is the primary one, `canEdit` says whether events can go there;
//! - `busy-times`: `calendarView` of each checked calendar, or the mailbox's
//!   `getSchedule` before the host chose any (see [`calendars`]);
//! - `apply`: a booking's event created, patched or deleted (see [`events`]);
//! - `pull`: a change subscription per writable calendar kept alive (see
//!   [`subscriptions`]), then each calendar's delta (see [`delta`]);
//! - `handle-webhook`: a change notification verified by its `clientState`, then the
//!   notified calendar's delta (see [`notifications`]).
//!
//! Graph's throttling (429 with `Retry-After`) becomes [`PluginError::RateLimited`] with
//! the wait Graph asked for.

mod calendars;
mod delta;
mod events;
mod graph;
mod known;
mod notifications;
mod subscriptions;

use convene_plugin_sdk::{
    Busy, Calendar, Capability, Delivery, Effect, Guest, OauthEndpoints, Outcome, Page,
    PluginError, PluginManifest, TimeRange, WebhookRequest, config, export, settings,
};

use crate::subscriptions::Subscriptions;

/// The pull cursor once a first sync was made; none asks for a full resync.
const SYNCED: &str = "synced";

struct Outlook;

/// The calendars Convene can write to: where its events are, so what sync follows.
fn writable_calendars() -> Result<Vec<String>, PluginError> {
    Ok(calendars::list()?
        .into_iter()
        .filter(|c| c.writable)
        .map(|c| c.id)
        .collect())
}

impl Guest for Outlook {
    fn manifest() -> PluginManifest {
        PluginManifest {
            id: "outlook".into(),
            name: "Outlook Calendar".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: vec![
                Capability::Calendars,
                Capability::BusyTimes,
                Capability::Apply,
                Capability::Pull,
                Capability::Webhooks,
            ],
            allowed_hosts: vec!["graph.microsoft.com".into()],
            oauth: Some(OauthEndpoints {
                authorize_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
                    .into(),
                token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token".into(),
                revoke_url: None,
                scopes: vec![
                    "offline_access".into(),
                    "Calendars.ReadWrite".into(),
                    "User.Read".into(),
                ],
            }),
            config: settings::oauth_provider("Graph API base URL"),
        }
    }

    fn handle_webhook(request: WebhookRequest) -> Result<Delivery, PluginError> {
        notifications::handle(&request)
    }

    fn pull(cursor: Option<String>) -> Result<Page, PluginError> {
        let calendars = writable_calendars()?;
        // Without a public hook URL there is no push: the periodic pull alone syncs.
        if let Some(hook) = config::get("hook_url") {
            Subscriptions::load().ensure(&calendars, &hook)?;
        }
        if cursor.is_none() {
            delta::forget(&calendars);
        }
        let mut changes = Vec::new();
        for calendar in &calendars {
            changes.extend(delta::sync(calendar)?);
        }
        delta::prune_known();
        Ok(Page {
            changes,
            next_cursor: Some(SYNCED.into()),
            has_more: false,
        })
    }

    fn busy_times(range: TimeRange, calendars: Vec<String>) -> Result<Vec<Busy>, PluginError> {
        calendars::busy(&range, &calendars)
    }

    fn calendars() -> Result<Vec<Calendar>, PluginError> {
        calendars::list()
    }

    fn apply(effect: Effect) -> Result<Outcome, PluginError> {
        match &effect {
            Effect::CreateEvent(booking) => events::create(booking),
            Effect::UpdateEvent(booking) => match &booking.external_id {
                Some(id) => events::update(booking, id),
                None => events::create(booking),
            },
            Effect::DeleteEvent(booking) => events::delete(booking),
            _ => Err(PluginError::Unsupported),
        }
    }
}

export!(Outlook);
