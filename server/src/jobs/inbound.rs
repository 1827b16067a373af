//! Works through inbound provider webhooks: leases the due ones (new, retries whose
//! time has come, replays) and has each read by its plugin and applied, a bounded
//! number at a time. Several processes may run it; the database hands each event to one.

use std::time::Duration;

use tokio::task::JoinSet;

use crate::app::{App, inbound};

/// How long a leased event is this process's: longer than a plugin call may take.
const LEASE: Duration = Duration::from_secs(120);
/// Events processed at once by this process.
const CONCURRENCY: usize = 8;

/// Runs until `shutdown` completes, polling every `poll`.
pub async fn run(app: App, poll: Duration, shutdown: impl Future<Output = ()> + Send) {
    let mut running = JoinSet::new();
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        while running.try_join_next().is_some() {}
        let room = CONCURRENCY.saturating_sub(running.len()) as u64;
        if room > 0 {
            match inbound::lease_due(&app, LEASE, room).await {
                Ok(due) => {
                    for id in due {
                        let app = app.clone();
                        running.spawn(async move {
                            if let Err(e) = inbound::process(&app, id).await {
                                metrics::counter!("job_failures_total", "job" => "inbound_webhook").increment(1);
                                // The lease runs out and the event is tried again.
                                tracing::warn!(inbound = id, error = %e, "inbound webhook processing failed on our side");
                            }
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "leasing inbound webhooks failed; retrying"),
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            _ = tick.tick() => {}
        }
    }
    while running.join_next().await.is_some() {}
}
