//! Works through inbound provider webhooks: leases the due ones (new, retries whose
//! time has come, replays) and has each read by its plugin and applied.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::leased::Leased;
use crate::app::{App, Result, inbound};

/// Inbound webhooks as leased work.
pub(super) struct InboundWebhooks;

impl Leased for InboundWebhooks {
    const NAME: &'static str = "inbound_webhook";
    const LEASE: Duration = Duration::from_secs(120);
    const CONCURRENCY: usize = 8;

    fn take(app: &App, limit: u64) -> impl Future<Output = Result<Vec<i64>>> + Send {
        inbound::lease_due(app, Self::LEASE, limit)
    }

    async fn process(app: App, id: i64) -> Result<()> {
        inbound::process(&app, id).await
    }

    fn arrivals(app: &App) -> Option<Arc<Notify>> {
        Some(app.inbound_arrived.clone())
    }
}
