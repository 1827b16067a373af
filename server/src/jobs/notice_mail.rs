//! Mails every notice to its user once (see `app::notifications::mail`).

use std::time::Duration;

use super::leased::Leased;
use crate::app::{App, Result, notifications};

/// Notices waiting to be mailed, as leased work.
pub(super) struct NoticeMail;

impl Leased for NoticeMail {
    const NAME: &'static str = "notice_mail";
    /// Longer than an SMTP exchange may take.
    const LEASE: Duration = Duration::from_secs(120);
    const CONCURRENCY: usize = 4;

    fn take(app: &App, limit: u64) -> impl Future<Output = Result<Vec<i64>>> + Send {
        notifications::lease_unmailed(app, Self::LEASE, limit)
    }

    async fn process(app: App, id: i64) -> Result<()> {
        notifications::mail(&app, id).await
    }
}
