//! The plugin's memory of the events it made (kv `event/{graph id}`): which booking each
//! is for and its time and subject as Convene last wrote or saw them. It is how sync
//! tells Convene's events from the host's own (a calendar delta carries no extensions)
//! and what a changed event is compared against, so a change is reported once.

use convene_plugin_sdk::kv;
use serde::{Deserialize, Serialize};

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
    }
}

/// Forgets event `event_id` (deleted, by Convene or at Outlook).
pub fn forget(event_id: &str) {
    kv::delete(&key(event_id));
}
