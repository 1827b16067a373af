//! The loop shared by jobs whose rows are their own queue: lease what is due, up to
//! the room left under the job's concurrency, process each in its own task, poll again.
//! Several processes may run it; the database hands each row to one.

use std::time::Duration;

use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::app::{App, Result};

/// A kind of leased work.
pub(super) trait Leased {
    /// The job's name in logs and metrics.
    const NAME: &'static str;
    /// How long a leased row is this process's: longer than processing may take.
    const LEASE: Duration;
    /// Rows processed at once by this process.
    const CONCURRENCY: usize;

    /// Leases up to `limit` due rows.
    fn take(app: &App, limit: u64) -> impl Future<Output = Result<Vec<i64>>> + Send;

    /// Processes one leased row; an error leaves it to be tried when the lease runs out.
    fn process(app: App, id: i64) -> impl Future<Output = Result<()>> + Send + 'static;

    /// Rung by this process when new work arrives, so it is taken at once rather than at
    /// the next poll (work from other processes waits for the poll).
    fn arrivals(_app: &App) -> Option<Arc<Notify>> {
        None
    }
}

/// Runs `J` until `shutdown` completes, polling every `poll`, then lets running work end.
pub(super) async fn run<J: Leased>(
    app: App,
    poll: Duration,
    shutdown: impl Future<Output = ()> + Send,
) {
    let arrivals = J::arrivals(&app);
    let arrived = async || match &arrivals {
        Some(bell) => bell.notified().await,
        None => std::future::pending().await,
    };
    let mut running = JoinSet::new();
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        while running.try_join_next().is_some() {}
        let room = J::CONCURRENCY.saturating_sub(running.len()) as u64;
        if room > 0 {
            match J::take(&app, room).await {
                Ok(due) => {
                    for id in due {
                        let work = J::process(app.clone(), id);
                        running.spawn(async move {
                            if let Err(error) = work.await {
                                metrics::counter!("job_failures_total", "job" => J::NAME)
                                    .increment(1);
                                tracing::warn!(job = J::NAME, id, %error, "job failed on our side; retried when its lease ends");
                            }
                        });
                    }
                }
                Err(error) => tracing::warn!(job = J::NAME, %error, "leasing failed; retrying"),
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            _ = tick.tick() => {}
            () = arrived() => {}
        }
    }
    while running.join_next().await.is_some() {}
}
