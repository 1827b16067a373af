//! Pulls each installation whose pull is due: asks its plugin for the provider's
//! changes since the stored cursor and applies them (see `app::pull_sync`).

use std::time::Duration;

use super::leased::Leased;
use crate::app::{App, Result, pull_sync};

/// Pull sync as leased work.
pub(super) struct PullSync;

impl Leased for PullSync {
    const NAME: &'static str = "pull_sync";
    /// Twenty pages of plugin calls, each under its deadline, fit well inside.
    const LEASE: Duration = Duration::from_secs(600);
    const CONCURRENCY: usize = 4;

    fn take(app: &App, limit: u64) -> impl Future<Output = Result<Vec<i64>>> + Send {
        pull_sync::lease_due(app, Self::LEASE, limit)
    }

    async fn process(app: App, id: i64) -> Result<()> {
        pull_sync::pull(&app, id).await.map(|_| ())
    }
}
