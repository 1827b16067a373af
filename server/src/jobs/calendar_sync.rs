//! Writes bookings' events to their hosts' calendars (see `app::calendar_sync`).

use std::time::Duration;

use super::leased::Leased;
use crate::app::{App, Result, calendar_sync};

/// Calendar syncs as leased work.
pub(super) struct CalendarSyncs;

impl Leased for CalendarSyncs {
    const NAME: &'static str = "calendar_sync";
    /// One plugin call under its wall-clock limit fits well inside.
    const LEASE: Duration = Duration::from_secs(120);
    const CONCURRENCY: usize = 8;

    fn take(app: &App, limit: u64) -> impl Future<Output = Result<Vec<i64>>> + Send {
        calendar_sync::lease_due(app, Self::LEASE, limit)
    }

    async fn process(app: App, id: i64) -> Result<()> {
        calendar_sync::run(&app, id).await.map(|_| ())
    }
}
