//! How many API requests this process is serving right now. Background work in the same
//! process reads it to step aside while the API is busy: an invitee waiting for a
//! booking's 201 matters more than a webhook arriving a few milliseconds sooner. The
//! same count is the `http_requests_in_flight` gauge on `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A count of requests in progress, shared by the HTTP layer and the job runner.
#[derive(Debug, Default)]
pub struct InFlight(AtomicUsize);

impl InFlight {
    /// Counts one request until the returned guard is dropped (also on panic or timeout).
    pub fn enter(self: &Arc<Self>) -> InFlightGuard {
        self.0.fetch_add(1, Ordering::Relaxed);
        metrics::gauge!("http_requests_in_flight").increment(1.0);
        InFlightGuard(self.clone())
    }

    /// Requests in progress now.
    pub fn current(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// One request in progress; dropping it ends the count.
#[derive(Debug)]
pub struct InFlightGuard(Arc<InFlight>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("http_requests_in_flight").decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_count_up_and_down() {
        let in_flight = Arc::new(InFlight::default());
        let a = in_flight.enter();
        let b = in_flight.enter();
        assert_eq!(in_flight.current(), 2);
        drop(a);
        assert_eq!(in_flight.current(), 1);
        drop(b);
        assert_eq!(in_flight.current(), 0);
    }
}
