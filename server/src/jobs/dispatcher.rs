//! The dispatcher: turns outbox events into deliveries, leases the deliveries that are
//! due (new ones, retries whose time has come, replays) and makes them, a bounded number
//! at a time. Several processes may run it; the database hands each due delivery to one.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::WorkerOptions;
use crate::app::{App, AppError, webhooks};

/// Events taken per transaction.
const BATCH: u64 = 200;
/// How long a leased delivery is this process's; longer than any delivery can take
/// (the webhook timeout), after which a lease counts as lost and another process may
/// make the attempt.
const LEASE: Duration = Duration::from_secs(60);

/// One round: fan out every waiting event (on a poll tick), then lease up to the free
/// capacity of due deliveries and start them in `running`. Returns how many were started.
pub async fn dispatch_once(
    app: &App,
    permits: &Arc<Semaphore>,
    running: &mut JoinSet<()>,
    fan_out: bool,
) -> Result<usize, AppError> {
    if fan_out {
        while webhooks::fan_out(app, BATCH, Utc::now()).await? == BATCH as usize {}
    }
    let room = permits.available_permits() as u64;
    if room == 0 {
        return Ok(0);
    }
    let leased = webhooks::lease_due(app, LEASE, room, Utc::now()).await?;
    for (delivery_id, attempt) in leased.deliveries.iter().copied() {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let app = app.clone();
        running.spawn(async move {
            if let Err(e) = webhooks::deliver(&app, delivery_id, attempt).await {
                // The lease runs out and the attempt is made again.
                tracing::warn!(delivery.id = delivery_id, error = %e, "webhook delivery failed on our side");
            }
            drop(permit);
        });
    }
    Ok(leased.deliveries.len())
}

/// Runs rounds until `shutdown` completes: every `options.poll_interval` when idle, and
/// as soon as a delivery finishes while more may be due, so a backlog drains at the
/// speed of the subscribers rather than of the poll.
pub async fn run(app: App, options: WorkerOptions, shutdown: impl Future<Output = ()> + Send) {
    let concurrency = options.concurrency.max(1);
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut running = JoinSet::new();
    let mut tick = tokio::time::interval(options.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let mut ticked = true;
    loop {
        while running.try_join_next().is_some() {}
        let saturated = match dispatch_once(&app, &permits, &mut running, ticked).await {
            Ok(started) => started > 0 && permits.available_permits() == 0,
            Err(e) => {
                tracing::warn!(error = %e, "webhook dispatch round failed; retrying next round");
                false
            }
        };
        ticked = tokio::select! {
            () = &mut shutdown => break,
            () = half_free(&permits, &mut running, concurrency), if saturated => false,
            _ = tick.tick() => true,
        };
    }
    while running.join_next().await.is_some() {}
}

/// Waits until half of the delivery slots are free again, so that leases are taken in
/// batches (one transaction for several deliveries) while a backlog drains.
async fn half_free(permits: &Semaphore, running: &mut JoinSet<()>, concurrency: usize) {
    while permits.available_permits() < concurrency.div_ceil(2) {
        if running.join_next().await.is_none() {
            return;
        }
    }
}
