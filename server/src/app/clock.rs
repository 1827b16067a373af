//! Now, as the work that happens at a set time sees it (workflow steps due "24 hours
//! before"). The system clock in production; tests pin it to a moment, so "sent at the
//! right time" is checked without waiting a day.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// The clock of timed work.
#[derive(Debug, Default)]
pub struct Clock {
    pinned: Mutex<Option<DateTime<Utc>>>,
}

impl Clock {
    /// The pinned moment, or the system's time.
    pub fn now(&self) -> DateTime<Utc> {
        self.pinned
            .lock()
            .map(|pinned| *pinned)
            .unwrap_or_default()
            .unwrap_or_else(Utc::now)
    }

    /// Stops the clock at `at` (until pinned elsewhere).
    pub fn pin(&self, at: DateTime<Utc>) {
        if let Ok(mut pinned) = self.pinned.lock() {
            *pinned = Some(at);
        }
    }
}
