//! Incremental sync of one calendar through `calendarView/delta`: from the stored
//! `@odata.deltaLink` (kv `delta/{calendar}`), or from scratch over a window around
//! now when there is none or Graph no longer knows it (410 `SyncStateNotFound`).
//!
//! Only Convene's events become changes (those in kv, see [`crate::known`], or marked by
//! Convene's `transactionId`): removed or cancelled → the booking is cancelled (unless
//! the removed event is still there: moved out of the window, it moves); a new
//! time → it moves; a new subject → its title follows. A changed body, and every event
//! of the host's own, change nothing.

use convene_plugin_sdk::http::encode_component;
use convene_plugin_sdk::{
    BookingCancelled, BookingMoved, Change, PluginError, TitleChanged, clock, kv,
};
use serde::Deserialize;
use serde_json::Value;

use crate::events::TRANSACTION_PREFIX;
use crate::graph::{Collection, GraphTime, base_url, call_json, instant, status_of};
use crate::known::{self, KnownEvent};

/// How far back and ahead a full sync looks (Graph freezes the window in the link).
const WINDOW_PAST_MS: i64 = 24 * 3_600_000;
const WINDOW_AHEAD_MS: i64 = 365 * 24 * 3_600_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeltaEvent {
    id: String,
    #[serde(rename = "@removed")]
    removed: Option<Value>,
    #[serde(default)]
    is_cancelled: bool,
    subject: Option<String>,
    start: Option<GraphTime>,
    end: Option<GraphTime>,
    transaction_id: Option<String>,
}

fn key(calendar: &str) -> String {
    format!("delta/{calendar}")
}

/// Forgets every calendar's delta link in `calendars`: the next sync starts over.
pub fn forget(calendars: &[String]) {
    for calendar in calendars {
        kv::delete(&key(calendar));
    }
}

/// Forgets Convene's events that have left every calendar's delta window: no delta
/// will mention them again.
pub fn prune_known() {
    known::prune(clock::now_ms() - WINDOW_PAST_MS);
}

/// What changed in `calendar` since its last sync.
pub fn sync(calendar: &str) -> Result<Vec<Change>, PluginError> {
    let Some(link) = kv::get(&key(calendar)).and_then(|b| String::from_utf8(b).ok()) else {
        return read(calendar, full_sync_url(calendar)?);
    };
    match read(calendar, link) {
        Err(e) if lost_state(&e) => {
            kv::delete(&key(calendar));
            read(calendar, full_sync_url(calendar)?)
        }
        other => other,
    }
}

/// Whether Graph says the delta state is gone and only a full sync helps.
fn lost_state(error: &PluginError) -> bool {
    match error {
        PluginError::UpstreamStatus(refusal) => {
            refusal.status == 410
                || ["SyncStateNotFound", "SyncStateInvalid", "resyncRequired"]
                    .iter()
                    .any(|code| refusal.message.contains(code))
        }
        _ => false,
    }
}

fn full_sync_url(calendar: &str) -> Result<String, PluginError> {
    let now = clock::now_ms();
    Ok(format!(
        "{}/me/calendars/{}/calendarView/delta?startDateTime={}&endDateTime={}",
        base_url(),
        encode_component(calendar),
        encode_component(&instant(now - WINDOW_PAST_MS)?),
        encode_component(&instant(now + WINDOW_AHEAD_MS)?),
    ))
}

/// Reads every page from `url` to the delta link, which is kept for next time.
fn read(calendar: &str, url: String) -> Result<Vec<Change>, PluginError> {
    let mut changes = Vec::new();
    let mut next = Some(url);
    while let Some(url) = next {
        let page: Collection<DeltaEvent> = call_json("GET", &url, None)?;
        for event in page.value {
            changes.extend(changes_of(event)?);
        }
        if let Some(link) = page.delta_link {
            kv::set(&key(calendar), link.as_bytes());
        }
        next = page.next_link;
    }
    Ok(changes)
}

/// What one delta entry means for Convene's bookings.
fn changes_of(mut event: DeltaEvent) -> Result<Vec<Change>, PluginError> {
    let Some(known) = known::get(&event.id) else {
        adopt(&event)?;
        return Ok(Vec::new());
    };
    if event.removed.is_some()
        && let Some(current) = still_there(&event.id)?
    {
        // Graph says `@removed` of an event that left the window too: moved far ahead,
        // it is followed, not taken for a deletion.
        event = current;
    }
    if event.removed.is_some() || event.is_cancelled {
        known::forget(&event.id);
        return Ok(vec![Change::BookingCancelled(BookingCancelled {
            external_id: event.id,
            reason: Some("deleted in Outlook".into()),
        })]);
    }
    let mut seen = known.clone();
    let mut changes = Vec::new();
    if let (Some(start), Some(end)) = (&event.start, &event.end) {
        (seen.start_ms, seen.end_ms) = (start.millis()?, end.millis()?);
        if (seen.start_ms, seen.end_ms) != (known.start_ms, known.end_ms) {
            changes.push(Change::BookingMoved(BookingMoved {
                external_id: event.id.clone(),
                start_ms: seen.start_ms,
                end_ms: seen.end_ms,
                previous_external_id: None,
            }));
        }
    }
    if let Some(subject) = event.subject.filter(|s| *s != known.subject) {
        seen.subject = subject.clone();
        changes.push(Change::BookingTitleChanged(TitleChanged {
            external_id: event.id.clone(),
            title: subject,
        }));
    }
    if seen != known {
        known::put(&event.id, &seen);
    }
    Ok(changes)
}

/// Event `id` as it is now, unless it was deleted.
fn still_there(id: &str) -> Result<Option<DeltaEvent>, PluginError> {
    let url = format!("{}/me/events/{}", base_url(), encode_component(id));
    match call_json("GET", &url, None) {
        Ok(event) => Ok(Some(event)),
        Err(e) if status_of(&e) == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// An event Convene made whose record was lost (its `transactionId` says so): taken
/// as it is now, to compare later changes against.
fn adopt(event: &DeltaEvent) -> Result<(), PluginError> {
    let Some(uid) = event
        .transaction_id
        .as_deref()
        .and_then(|t| t.strip_prefix(TRANSACTION_PREFIX))
    else {
        return Ok(());
    };
    if event.removed.is_some() || event.is_cancelled {
        return Ok(());
    }
    let (Some(start), Some(end)) = (&event.start, &event.end) else {
        return Ok(());
    };
    known::put(
        &event.id,
        &KnownEvent {
            uid: uid.to_string(),
            start_ms: start.millis()?,
            end_ms: end.millis()?,
            subject: event.subject.clone().unwrap_or_default(),
        },
    );
    Ok(())
}
