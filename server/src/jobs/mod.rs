//! Background work: the outbox dispatcher and webhook deliveries.
//!
//! `convene serve` runs it beside the HTTP server; `convene worker` runs it alone, and
//! several processes may share one PostgreSQL database. The rows in `store/` are the
//! queue: each due delivery is leased to exactly one process (`FOR UPDATE SKIP LOCKED`
//! on PostgreSQL, one writer on SQLite), a process that dies only loses its lease, and
//! a delivery run twice records one attempt, so nothing is lost or counted twice.

mod dispatcher;

use std::time::Duration;

use crate::app::App;

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
            yield_above: 4,
        }
    }
}

/// Runs the dispatcher until `shutdown` completes, then lets running deliveries finish.
pub async fn run(app: App, options: WorkerOptions, shutdown: impl Future<Output = ()> + Send) {
    dispatcher::run(app, options, shutdown).await;
}
