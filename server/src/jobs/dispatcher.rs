//! The dispatcher: turns outbox events into deliveries, leases the deliveries that are
//! due (new ones, retries whose time has come, replays) and makes them, a bounded number
//! at a time. Several processes may run it; the database hands each due delivery to one.

use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;

use super::WorkerOptions;
use crate::app::{App, AppError, webhooks};

/// Events taken per transaction.
const BATCH: u64 = 200;
/// How long a leased delivery is this process's; longer than any delivery can take
/// (the webhook timeout), after which a lease counts as lost and another process may
/// make the attempt.
const LEASE: Duration = Duration::from_secs(60);

/// One round: fan out every waiting event (on a poll tick), then lease due deliveries
/// until `limit` are running and start them in `running`. Returns how many were started.
async fn dispatch_once(
    app: &App,
    running: &mut JoinSet<()>,
    fan_out: bool,
    limit: usize,
) -> Result<usize, AppError> {
    if fan_out {
        while webhooks::fan_out(app, BATCH, Utc::now()).await? == BATCH as usize {}
    }
    let room = limit.saturating_sub(running.len()) as u64;
    if room == 0 {
        return Ok(0);
    }
    let leased = webhooks::lease_due(app, LEASE, room, Utc::now()).await?;
    for (delivery_id, attempt) in leased.deliveries.iter().copied() {
        let app = app.clone();
        running.spawn(async move {
            if let Err(e) = webhooks::deliver(&app, delivery_id, attempt).await {
                metrics::counter!("job_failures_total", "job" => "webhook_delivery").increment(1);
                // The lease runs out and the attempt is made again.
                tracing::warn!(delivery.id = delivery_id, error = %e, "webhook delivery failed on our side");
            }
        });
    }
    Ok(leased.deliveries.len())
}

/// Runs rounds until `shutdown` completes: every `options.poll_interval` when idle, and
/// as soon as deliveries finish while more may be due, so a backlog drains at the
/// speed of the subscribers rather than of the poll.
pub async fn run(app: App, options: WorkerOptions, shutdown: impl Future<Output = ()> + Send) {
    let mut running = JoinSet::new();
    let mut tick = tokio::time::interval(options.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let mut ticked = true;
    loop {
        while running.try_join_next().is_some() {}
        let limit = limit(&options, app.in_flight.current());
        let saturated = match dispatch_once(&app, &mut running, ticked, limit).await {
            Ok(started) => started > 0 && running.len() >= limit,
            Err(e) => {
                metrics::counter!("job_failures_total", "job" => "webhook_dispatch").increment(1);
                tracing::warn!(error = %e, "webhook dispatch round failed; retrying next round");
                false
            }
        };
        ticked = tokio::select! {
            () = &mut shutdown => break,
            () = half_done(&mut running, limit), if saturated => false,
            _ = tick.tick() => true,
        };
    }
    while running.join_next().await.is_some() {}
}

/// How many deliveries may run now: all of `options.concurrency`, or a quarter of it
/// (at least one) while this process serves more than `options.yield_above` API
/// requests, so that deliveries never take the CPU from bookings being made. A worker
/// process serves no API and always runs at full concurrency.
fn limit(options: &WorkerOptions, api_requests: usize) -> usize {
    let full = options.concurrency.max(1);
    if api_requests > options.yield_above {
        full.div_ceil(4)
    } else {
        full
    }
}

/// Waits until half of the running deliveries are done, so that leases are taken in
/// batches (one transaction for several deliveries) while a backlog drains.
async fn half_done(running: &mut JoinSet<()>, limit: usize) {
    while running.len() > limit / 2 {
        if running.join_next().await.is_none() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_step_aside_while_the_api_is_busy() {
        let options = WorkerOptions {
            concurrency: 16,
            yield_above: 4,
            ..WorkerOptions::default()
        };
        assert_eq!(limit(&options, 0), 16);
        assert_eq!(limit(&options, 4), 16);
        assert_eq!(limit(&options, 5), 4);
        let single = WorkerOptions {
            concurrency: 1,
            ..options
        };
        assert_eq!(limit(&single, 100), 1, "never stops altogether");
    }
}
