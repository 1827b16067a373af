//! Applies provider changes that waited: coalesced ones once their booking's minute is
//! over, failed ones when their retry is due (see `app::provider_changes`).

use std::time::Duration;

use chrono::Utc;

use super::leased::Leased;
use crate::app::{App, Result, provider_changes};

/// Waiting provider changes as leased work.
pub(super) struct WaitingChanges;

impl Leased for WaitingChanges {
    const NAME: &'static str = "provider_changes";
    const LEASE: Duration = Duration::from_secs(120);
    const CONCURRENCY: usize = 4;

    fn take(app: &App, limit: u64) -> impl Future<Output = Result<Vec<i64>>> + Send {
        provider_changes::lease_due(app, Self::LEASE, limit, Utc::now())
    }

    async fn process(app: App, id: i64) -> Result<()> {
        let done = provider_changes::apply_waiting(&app, id, Utc::now()).await?;
        tracing::info!(pending = id, %done, "waiting provider change settled");
        Ok(())
    }
}
