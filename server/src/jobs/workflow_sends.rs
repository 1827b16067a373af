//! Sends workflow messages when they are due (see `app::workflows`).

use std::time::Duration;

use super::leased::Leased;
use crate::app::{App, Result, workflows};

/// Due workflow sends as leased work.
pub(super) struct WorkflowSends;

impl Leased for WorkflowSends {
    const NAME: &'static str = "workflow_sends";
    /// Longer than a message can take (an SMTP exchange, an SMS provider call, a
    /// webhook), so a send is never leased twice while it is being made.
    const LEASE: Duration = Duration::from_secs(120);
    const CONCURRENCY: usize = 8;

    fn take(app: &App, limit: u64) -> impl Future<Output = Result<Vec<i64>>> + Send {
        workflows::lease_due(app, Self::LEASE, limit)
    }

    async fn process(app: App, id: i64) -> Result<()> {
        workflows::deliver(&app, id).await
    }
}
