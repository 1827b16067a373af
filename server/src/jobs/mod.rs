//! Background work: the outbox dispatcher and webhook deliveries, bookings' calendar
//! events, inbound provider webhooks read by their plugins, pull sync with providers,
//! provider changes that waited (coalesced or due a retry),
//! keeping customer health snapshots fresh, rejecting pending bookings left
//! unconfirmed at their start (warning their hosts an hour before), workflow messages
//! when they are due, and mailing every notice.
//!
//! `convene serve` runs it beside the HTTP server; `convene worker` runs it alone, and
//! several processes may share one PostgreSQL database. The rows in `store/` are the
//! queue: each due delivery is leased to exactly one process (`FOR UPDATE SKIP LOCKED`
//! on PostgreSQL, one writer on SQLite), a process that dies only loses its lease, and
//! a delivery run twice records one attempt, so nothing is lost or counted twice.
//!
//! Why not apalis 1.0 (which DESIGN.md names): read in its 1.0.0 source and measured on
//! both databases, its workers do not poll by default (an idle worker wakes on its 30 s
//! heartbeat), its interval strategy can lose its wake-up (`IntervalStrategy::poll_drive`
//! re-arms a timer it never polls), the PostgreSQL insert trigger notifies only jobs due
//! at once, and `run_at` has whole-second resolution. Jobs pushed with a delay stalled
//! for up to 30 s in one run of three. The delivery rows already hold everything a job
//! would (due time, attempts, lease), so leasing them directly is one table fewer, and
//! pickup takes milliseconds.

mod calendar_sync;
mod dispatcher;
mod expiry;
mod health_refresher;
mod inbound;
mod leased;
mod notice_mail;
mod provider_changes;
mod pull;
mod workflow_sends;

use std::time::Duration;

use crate::app::App;

/// How often installations are checked for a due pull (pulls are minutes apart).
const PULL_POLL: Duration = Duration::from_secs(1);
/// How often workflow sends and notices to mail are looked for.
const WORKFLOW_POLL: Duration = Duration::from_millis(500);
/// How often started, still pending bookings are looked for.
const EXPIRY_POLL: Duration = Duration::from_secs(1);

/// How this process runs background work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerOptions {
    /// Deliveries made at once by this process.
    pub concurrency: usize,
    /// How often the dispatcher looks for new events and due retries.
    pub poll_interval: Duration,
    /// Above this many API requests in progress in this process, deliveries run at a
    /// quarter of `concurrency`: booking creation keeps the CPU, deliveries catch up after.
    pub yield_above: usize,
}

impl Default for WorkerOptions {
    fn default() -> WorkerOptions {
        WorkerOptions {
            concurrency: 16,
            poll_interval: Duration::from_millis(50),
            yield_above: 8,
        }
    }
}

/// Runs every background job until `shutdown` completes, then lets
/// running deliveries finish.
pub async fn run(app: App, options: WorkerOptions, shutdown: impl Future<Output = ()> + Send) {
    let (stop, stopping) = tokio::sync::watch::channel(());
    let stopped = |mut stopping: tokio::sync::watch::Receiver<()>| async move {
        // Either a stop was sent or the sender is gone: both mean stop.
        let _ = stopping.changed().await;
    };
    tokio::join!(
        async move {
            shutdown.await;
            let _ = stop.send(());
        },
        dispatcher::run(app.clone(), options.clone(), stopped(stopping.clone())),
        leased::run::<inbound::InboundWebhooks>(
            app.clone(),
            options.poll_interval,
            stopped(stopping.clone())
        ),
        leased::run::<pull::PullSync>(
            app.clone(),
            PULL_POLL.max(options.poll_interval),
            stopped(stopping.clone())
        ),
        leased::run::<provider_changes::WaitingChanges>(
            app.clone(),
            options.poll_interval,
            stopped(stopping.clone())
        ),
        leased::run::<calendar_sync::CalendarSyncs>(
            app.clone(),
            options.poll_interval,
            stopped(stopping.clone())
        ),
        leased::run::<expiry::UnconfirmedExpiry>(
            app.clone(),
            EXPIRY_POLL.max(options.poll_interval),
            stopped(stopping.clone())
        ),
        leased::run::<expiry::ExpiryWarnings>(
            app.clone(),
            EXPIRY_POLL.max(options.poll_interval),
            stopped(stopping.clone())
        ),
        leased::run::<notice_mail::NoticeMail>(
            app.clone(),
            WORKFLOW_POLL.max(options.poll_interval),
            stopped(stopping.clone())
        ),
        leased::run::<workflow_sends::WorkflowSends>(
            app.clone(),
            WORKFLOW_POLL.max(options.poll_interval),
            stopped(stopping.clone())
        ),
        health_refresher::run(app, stopped(stopping)),
    );
}
