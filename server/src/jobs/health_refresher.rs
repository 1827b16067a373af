//! Keeps health snapshots young: every minute, recomputes the customers whose snapshot
//! is missing or nearing [`MAX_AGE`](crate::app::customer_health::MAX_AGE), a batch at a
//! time, so dashboards sorted by health find them fresh instead of recomputing them.
//!
//! Several processes may run it at once: two that refresh the same customer write the
//! same assessment, so the race costs work, never correctness.

use std::time::Duration;

use chrono::Utc;

use crate::app::{App, customer_health};

/// How often it looks for stale snapshots.
const EVERY: Duration = Duration::from_secs(60);
/// Customers recomputed per round.
const BATCH: u64 = 1000;

/// Runs rounds until `shutdown` completes.
pub async fn run(app: App, shutdown: impl Future<Output = ()> + Send) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        loop {
            match customer_health::refresh_stale(&app.db, Utc::now(), BATCH).await {
                Ok(n) if n as u64 == BATCH => continue,
                Ok(n) => {
                    if n > 0 {
                        tracing::debug!(customers = n, "health snapshots refreshed");
                    }
                    break;
                }
                Err(e) => {
                    metrics::counter!("job_failures_total", "job" => "health_refresh").increment(1);
                    tracing::warn!(error = %e, "health snapshot refresh failed; retrying next round");
                    break;
                }
            }
        }
    }
}
