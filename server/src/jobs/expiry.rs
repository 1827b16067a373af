//! Rejects pending bookings still unconfirmed at their start, and warns their hosts an
//! hour before (see `app::expiry`).

use std::time::Duration;

use chrono::Utc;

use super::leased::Leased;
use crate::app::{App, Result, expiry};

/// Expiry of unconfirmed bookings as leased work.
pub(super) struct UnconfirmedExpiry;

impl Leased for UnconfirmedExpiry {
    const NAME: &'static str = "unconfirmed_expiry";
    /// One status change and its outbox row.
    const LEASE: Duration = Duration::from_secs(60);
    const CONCURRENCY: usize = 4;

    fn take(app: &App, limit: u64) -> impl Future<Output = Result<Vec<i64>>> + Send {
        expiry::lease_due(app, Self::LEASE, limit)
    }

    async fn process(app: App, id: i64) -> Result<()> {
        expiry::expire(&app, id, Utc::now()).await.map(|_| ())
    }
}

/// Warnings to the hosts of pending bookings about to expire, as leased work.
pub(super) struct ExpiryWarnings;

impl Leased for ExpiryWarnings {
    const NAME: &'static str = "expiry_warnings";
    /// One notice per host and a flag on the booking.
    const LEASE: Duration = Duration::from_secs(60);
    const CONCURRENCY: usize = 4;

    fn take(app: &App, limit: u64) -> impl Future<Output = Result<Vec<i64>>> + Send {
        expiry::lease_expiring(app, Self::LEASE, limit)
    }

    async fn process(app: App, id: i64) -> Result<()> {
        let now = app.clock.now();
        expiry::warn(&app, id, now).await.map(|_| ())
    }
}
