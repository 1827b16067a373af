//! What one plugin call may use. A call that goes over fails on its own; the host and
//! every other installation carry on.

use std::time::Duration;

/// Per-call limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time the plugin may compute, not counting its waits on `http.send`.
    pub deadline: Duration,
    /// Linear memory of one instance.
    pub memory_bytes: usize,
    /// Data one call may hand back to the host: its result, or one import's arguments.
    pub output_bytes: usize,
    /// An outbound request's whole round trip.
    pub http_timeout: Duration,
    /// Size of an outbound answer handed to the plugin.
    pub http_response_bytes: usize,
    /// Total of one installation's kv keys and values.
    pub kv_bytes: usize,
    /// The whole call, waits on the network included.
    pub wall_clock: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            deadline: Duration::from_secs(2),
            memory_bytes: 64 << 20,
            output_bytes: 4 << 20,
            http_timeout: Duration::from_secs(10),
            http_response_bytes: 8 << 20,
            kv_bytes: 1 << 20,
            wall_clock: Duration::from_secs(60),
        }
    }
}
