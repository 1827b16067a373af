//! The plugin's memory of the events it made (kv `event/{graph id}`): which booking each
//! is for and its time and subject as Convene last wrote or saw them. It is how sync
//! tells Convene's events from the host's own (a calendar delta carries no extensions)
//! and what a changed event is compared against, so a change is reported once.
//!
//! An index (kv [`INDEX_KEY`]: each event's end) lets [`prune`] forget events once they
//! have left the delta window, which nothing else would report again: without it the
//! kv would grow with every booking until it hit the installation's quota. An index
//! entry lost to two calls writing it at once only leaves one record unpruned.

use std::collections::BTreeMap;

use convene_plugin_sdk::kv;
use serde::{Deserialize, Serialize};

/// The kv key of the index: Graph event id → end, UTC milliseconds.
const INDEX_KEY: &str = "events";

/// One of Convene's events as last known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownEvent {
    /// The booking the event is for.
    pub uid: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub subject: String,
}

fn key(event_id: &str) -> String {
    format!("event/{event_id}")
}

/// Event `event_id`, if Convene made it.
pub fn get(event_id: &str) -> Option<KnownEvent> {
    kv::get(&key(event_id)).and_then(|bytes| serde_json::from_slice(&bytes).ok())
}

/// Remembers event `event_id` as `event`.
pub fn put(event_id: &str, event: &KnownEvent) {
    if let Ok(bytes) = serde_json::to_vec(event) {
        kv::set(&key(event_id), &bytes);
        let mut index = index();
        if index.insert(event_id.to_string(), event.end_ms) != Some(event.end_ms) {
            keep_index(&index);
        }
    }
}

/// Forgets event `event_id` (deleted, by Convene or at Outlook).
pub fn forget(event_id: &str) {
    kv::delete(&key(event_id));
    let mut index = index();
    if index.remove(event_id).is_some() {
        keep_index(&index);
    }
}

/// Forgets every event that ended before `before`.
pub fn prune(before_ms: i64) {
    let mut index = index();
    let ended: Vec<String> = index
        .iter()
        .filter(|(_, end_ms)| **end_ms < before_ms)
        .map(|(id, _)| id.clone())
        .collect();
    if ended.is_empty() {
        return;
    }
    for id in &ended {
        kv::delete(&key(id));
        index.remove(id);
    }
    keep_index(&index);
}

fn index() -> BTreeMap<String, i64> {
    kv::get(INDEX_KEY)
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn keep_index(index: &BTreeMap<String, i64>) {
    if let Ok(bytes) = serde_json::to_vec(index) {
        kv::set(INDEX_KEY, &bytes);
    }
}
