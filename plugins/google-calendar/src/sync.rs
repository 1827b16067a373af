//! Changes made in Google Calendar to the events Convene wrote, turned into changes of
//! their bookings: push channels (`events.watch`) on every writable calendar, pointed
//! at the host's `hook_url` and renewed before they expire, and incremental sync
//! (`events.list` with the calendar's `syncToken`; on `410 Gone` a full sync from now).
//!
//! What the plugin keeps in its kv, each part under a key of its own (the host writes
//! back only the keys a call wrote, so a push read while a pull renews the channels
//! cannot undo the renewal): each calendar's sync token ([`TOKENS_KEY`]), the open
//! channels (id, secret token, resource id, calendar, expiry; [`CHANNELS_KEY`]), and the
//! calendar each of Convene's events was last seen in (so a full sync notices the ones
//! deleted while no token was valid; [`EVENTS_KEY`]). An event moved to another calendar (`events.move` keeps
//! its id and shows as a cancellation in the calendar it left) is found in the other
//! writable calendars and followed, not taken for a deletion; later writes for its
//! booking look for it there too (see `patch` in the crate root).
//!
//! Only events carrying `extendedProperties.private.convene_booking` become changes (a
//! deletion carries no properties: it counts when the event is one the plugin knows or
//! has Convene's id shape). The host applies a change only to a booking it links to
//! that event id, which is the real guard that the host's own events never touch
//! bookings.

use std::collections::BTreeMap;

use convene_plugin_sdk::http::{encode_component, parse};
use convene_plugin_sdk::signature::{random_secret, same_secret};
use convene_plugin_sdk::{
    BookingCancelled, BookingMoved, Change, Delivery, PluginError, TitleChanged, WebhookRequest,
    clock, config, header, kv,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    BOOKING_PROPERTY, EVENT_ID_PREFIX, base_url, call, events_url, millis, rfc3339, status_of,
};

/// The kv key of [`State::sync_tokens`].
const TOKENS_KEY: &str = "sync.tokens";
/// The kv key of [`State::channels`].
const CHANNELS_KEY: &str = "sync.channels";
/// The kv key of [`State::events`].
const EVENTS_KEY: &str = "sync.events";
/// A channel expiring sooner than this is replaced by a new one.
const RENEW_MARGIN_MS: i64 = 24 * 3600 * 1000;
/// Events asked for per page of `events.list` (Google's most).
const PAGE_SIZE: u32 = 2500;

/// What the plugin remembers between calls.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// Per calendar, the `nextSyncToken` of its last sync.
    #[serde(default)]
    sync_tokens: BTreeMap<String, String>,
    /// Open push channels.
    #[serde(default)]
    channels: Vec<Channel>,
    /// Where each of Convene's events was last seen, by event id.
    #[serde(default)]
    events: BTreeMap<String, Seen>,
}

/// Where one of Convene's events was last seen, and when it ends: an event a day past
/// its end is forgotten, or the kv would grow with every booking until its quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    calendar: String,
    end_ms: i64,
}

/// How long after its end an event is still remembered.
const FORGET_AFTER_END_MS: i64 = 24 * 3600 * 1000;

/// A push channel Google opened for one calendar.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Channel {
    id: String,
    /// The secret Google echoes in `X-Goog-Channel-Token`.
    token: String,
    resource_id: String,
    calendar: String,
    expiration_ms: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventPage {
    #[serde(default)]
    items: Vec<Value>,
    next_page_token: Option<String>,
    next_sync_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Opened {
    resource_id: String,
    expiration: Option<String>,
}

impl State {
    fn load() -> State {
        State {
            sync_tokens: read(TOKENS_KEY),
            channels: read(CHANNELS_KEY),
            events: read(EVENTS_KEY),
        }
    }

    /// Writes back the parts that changed (an unchanged part is not written, so a call
    /// never overwrites what another call learned meanwhile unless it learned more of it).
    fn save(&self) {
        write(TOKENS_KEY, &self.sync_tokens);
        write(CHANNELS_KEY, &self.channels);
        write(EVENTS_KEY, &self.events);
    }
}

/// The part of [`State`] under `key`; empty when there is none yet.
fn read<T: DeserializeOwned + Default>(key: &str) -> T {
    kv::get(key)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Keeps `part` under `key` when it differs from what is there.
fn write<T: Serialize>(key: &str, part: &T) {
    if let Ok(bytes) = serde_json::to_vec(part)
        && kv::get(key).as_deref() != Some(bytes.as_slice())
    {
        kv::set(key, &bytes);
    }
}

/// `pull`: channels opened or renewed on every writable calendar, then each one's
/// changes since its last sync.
pub fn pull(writable: &[String]) -> Result<Vec<Change>, PluginError> {
    let mut state = State::load();
    if let Some(hook) = config::get("hook_url") {
        watch(&mut state, writable, &hook)?;
    }
    let mut changes = Vec::new();
    for calendar in writable {
        changes.extend(sync(&mut state, calendar, writable)?);
    }
    let forget_before = clock::now_ms() - FORGET_AFTER_END_MS;
    state.events.retain(|_, seen| seen.end_ms >= forget_before);
    state.save();
    Ok(changes)
}

/// A push. `sync` only says a channel works (Google sends it while the channel is being
/// opened, before the plugin has kept it) and changes nothing, so it needs no check;
/// any other state must come from a channel the plugin opened, with its secret token
/// (else `bad-signature`), and `exists` (the calendar changed) syncs that calendar.
pub fn handle_push(request: &WebhookRequest) -> Result<Delivery, PluginError> {
    if header(&request.headers, "X-Goog-Resource-State") == Some("sync") {
        return Ok(Delivery {
            event_id: None,
            changes: Vec::new(),
        });
    }
    let mut state = State::load();
    let watched: Vec<String> = state.channels.iter().map(|c| c.calendar.clone()).collect();
    let channel_id =
        header(&request.headers, "X-Goog-Channel-ID").ok_or(PluginError::BadSignature)?;
    let token = header(&request.headers, "X-Goog-Channel-Token").unwrap_or_default();
    let channel = state
        .channels
        .iter()
        .find(|c| c.id == channel_id && same_secret(&c.token, token))
        .cloned()
        .ok_or(PluginError::BadSignature)?;
    let number = header(&request.headers, "X-Goog-Message-Number").unwrap_or_default();
    let event_id = Some(format!("{}:{number}", channel.id));
    let changes = match header(&request.headers, "X-Goog-Resource-State") {
        Some("exists") => sync(&mut state, &channel.calendar, &watched)?,
        _ => Vec::new(),
    };
    state.save();
    Ok(Delivery { event_id, changes })
}

/// Opens a channel on each writable calendar without one that lasts past the margin,
/// then stops the channels so replaced.
fn watch(state: &mut State, writable: &[String], hook: &str) -> Result<(), PluginError> {
    let now = clock::now_ms();
    let mut kept = Vec::new();
    let mut stale = Vec::new();
    for channel in state.channels.drain(..) {
        if writable.contains(&channel.calendar) && channel.expiration_ms - now > RENEW_MARGIN_MS {
            kept.push(channel);
        } else {
            stale.push(channel);
        }
    }
    for calendar in writable {
        if kept.iter().any(|c| &c.calendar == calendar) {
            continue;
        }
        let id = format!("cnv-{}", random_secret(16)?);
        let token = random_secret(16)?;
        let opened: Opened = parse(&call(
            "POST",
            &format!("{}/watch", events_url(calendar)),
            Some(&json!({"id": id, "type": "web_hook", "address": hook, "token": token})),
        )?)?;
        kept.push(Channel {
            id,
            token,
            resource_id: opened.resource_id,
            calendar: calendar.clone(),
            expiration_ms: opened
                .expiration
                .and_then(|e| e.parse().ok())
                .unwrap_or(now + RENEW_MARGIN_MS),
        });
    }
    state.channels = kept;
    for channel in stale {
        let stopped = call(
            "POST",
            &format!("{}/channels/stop", base_url()),
            Some(&json!({"id": channel.id, "resourceId": channel.resource_id})),
        );
        // Gone already (expired, or stopped before): nothing left to stop.
        if let Err(error) = stopped
            && status_of(&error) != Some(404)
        {
            return Err(error);
        }
    }
    Ok(())
}

/// `calendar`'s changes since its sync token (all its events from now on when it has
/// none, or Google no longer honours it), the new token kept.
fn sync(
    state: &mut State,
    calendar: &str,
    writable: &[String],
) -> Result<Vec<Change>, PluginError> {
    let (items, next_token, full) = match state.sync_tokens.get(calendar) {
        Some(token) => match list(calendar, Some(token)) {
            Err(e) if status_of(&e) == Some(410) => {
                let (items, next) = list(calendar, None)?;
                (items, next, true)
            }
            other => {
                let (items, next) = other?;
                (items, next, false)
            }
        },
        None => {
            let (items, next) = list(calendar, None)?;
            (items, next, true)
        }
    };
    if let Some(token) = next_token {
        state.sync_tokens.insert(calendar.to_string(), token);
    }
    let mut changes = Vec::new();
    let mut seen = Vec::new();
    for item in &items {
        seen.push(item["id"].as_str().unwrap_or_default().to_string());
        changes.extend(changes_of(state, calendar, item, writable)?);
    }
    if full {
        // A full sync lists only what exists: an event known here and missing is gone.
        let gone: Vec<String> = state
            .events
            .iter()
            .filter(|(id, known)| known.calendar == calendar && !seen.contains(id))
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            let cancelled = json!({"id": id, "status": "cancelled"});
            changes.extend(changes_of(state, calendar, &cancelled, writable)?);
        }
    }
    Ok(changes)
}

/// Every page of `events.list`: the changes since `token`, or (without one) the events
/// from now on; and the next sync token.
fn list(
    calendar: &str,
    token: Option<&String>,
) -> Result<(Vec<Value>, Option<String>), PluginError> {
    let mut items = Vec::new();
    let mut page_token: Option<String> = None;
    loop {
        let mut url = format!("{}?maxResults={PAGE_SIZE}", events_url(calendar));
        match token {
            Some(token) => url.push_str(&format!("&syncToken={}", encode_component(token))),
            None => url.push_str(&format!(
                "&timeMin={}",
                encode_component(&rfc3339(clock::now_ms())?)
            )),
        }
        if let Some(page) = &page_token {
            url.push_str(&format!("&pageToken={}", encode_component(page)));
        }
        let page: EventPage = parse(&call("GET", &url, None)?)?;
        items.extend(page.items);
        match page.next_page_token {
            Some(next) => page_token = Some(next),
            None => return Ok((items, page.next_sync_token)),
        }
    }
}

/// What one listed event means for its booking, if it is one of Convene's.
fn changes_of(
    state: &mut State,
    calendar: &str,
    item: &Value,
    writable: &[String],
) -> Result<Vec<Change>, PluginError> {
    let Some(id) = item["id"].as_str() else {
        return Ok(Vec::new());
    };
    let external_id = id.to_string();
    if item["status"] == "cancelled" {
        if !(id.starts_with(EVENT_ID_PREFIX) || state.events.contains_key(id)) {
            return Ok(Vec::new());
        }
        if let Some(moved_to) = moved_elsewhere(calendar, id, writable)? {
            // `events.move` shows in the source calendar as a cancellation.
            let end_ms = state
                .events
                .get(id)
                .map_or_else(clock::now_ms, |s| s.end_ms);
            state.events.insert(
                external_id,
                Seen {
                    calendar: moved_to,
                    end_ms,
                },
            );
            return Ok(Vec::new());
        }
        state.events.remove(id);
        return Ok(vec![Change::BookingCancelled(BookingCancelled {
            external_id,
            reason: Some("deleted in Google Calendar".into()),
        })]);
    }
    if item["extendedProperties"]["private"][BOOKING_PROPERTY]
        .as_str()
        .is_none()
    {
        return Ok(Vec::new());
    }
    let span = match (when(&item["start"]), when(&item["end"])) {
        (Some(start), Some(end)) => Some((millis(&start)?, millis(&end)?)),
        _ => None,
    };
    let end_ms = span.map_or_else(clock::now_ms, |(_, end)| end);
    // The first calendar it is seen in is its own; a copy in another (a shared
    // calendar) does not take it over, only a move does (see the cancelled case).
    state
        .events
        .entry(external_id.clone())
        .and_modify(|seen| seen.end_ms = end_ms)
        .or_insert_with(|| Seen {
            calendar: calendar.to_string(),
            end_ms,
        });
    let mut changes = Vec::new();
    if let Some((start_ms, end_ms)) = span {
        changes.push(Change::BookingMoved(BookingMoved {
            external_id: external_id.clone(),
            start_ms,
            end_ms,
            previous_external_id: None,
        }));
    }
    if let Some(title) = item["summary"].as_str() {
        changes.push(Change::BookingTitleChanged(TitleChanged {
            external_id,
            title: title.to_string(),
        }));
    }
    Ok(changes)
}

/// A timed event's start or end (all-day events have only a `date`, which no booking is).
fn when(value: &Value) -> Option<String> {
    value["dateTime"].as_str().map(str::to_string)
}

/// The other writable calendar event `id` now lives in, if any: `events.move` shows in
/// the source calendar as a cancellation of an id that lives on.
pub(crate) fn moved_elsewhere(
    from: &str,
    id: &str,
    writable: &[String],
) -> Result<Option<String>, PluginError> {
    for calendar in writable.iter().filter(|c| c.as_str() != from) {
        let url = format!("{}/{}", events_url(calendar), encode_component(id));
        match call("GET", &url, None) {
            Ok(body) => {
                let event: Value = parse(&body)?;
                if event["status"] != "cancelled" {
                    return Ok(Some(calendar.clone()));
                }
            }
            Err(e) if matches!(status_of(&e), Some(404 | 410)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}
