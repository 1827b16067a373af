//! `GET /metrics` in the Prometheus text format, and the per-request measurements.
//!
//! One recorder serves the whole process (the `metrics` facade allows exactly one), so
//! it is installed once, on first use, and every router built afterwards renders from
//! the same handle; tests that start many servers in one process share it too.
//! Any module records with the `metrics` macros (`metrics::counter!("…").increment(1)`)
//! and its figures appear here; nothing else needs wiring.
//!
//! Measured per request, labelled by method, route pattern (axum's `MatchedPath`, so
//! `/v2/bookings/{uid}`, never the raw path, keeping label sets bounded) and status:
//! - `http_requests_total` (counter)
//! - `http_request_duration_seconds` (histogram)
//!
//! and `http_requests_in_flight` (gauge); the rate limiter adds
//! `rate_limit_exceeded_total{group}` and `rate_limit_clients`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};

use crate::app::App;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Bucket bounds for every `*_seconds` histogram: 1 ms to 30 s (our request timeout).
const SECONDS_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often histogram samples are folded into buckets when nobody scrapes, so they
/// never pile up in memory.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The label for requests no route matched (404s), so junk paths add no label sets.
const UNMATCHED: &str = "unmatched";

/// The process-wide Prometheus handle, installing the recorder on first call.
///
/// Call it early in any process that records metrics but serves no router (a worker),
/// or its figures go nowhere. If another recorder was installed first, this logs a
/// warning and renders an empty page instead of failing.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(install)
}

fn install() -> PrometheusHandle {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
        .unwrap_or_else(|_| PrometheusBuilder::new());
    match builder.install_recorder() {
        Ok(handle) => {
            describe();
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        upkeep.run_upkeep();
                    }
                });
            if let Err(err) = spawned {
                tracing::warn!(error = %err, "no metrics upkeep thread; histograms drain only when scraped");
            }
            handle
        }
        Err(err) => {
            tracing::warn!(error = %err, "another metrics recorder is installed; /metrics will be empty");
            PrometheusBuilder::new().build_recorder().handle()
        }
    }
}

fn describe() {
    metrics::describe_counter!("http_requests_total", "HTTP requests answered");
    metrics::describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time from receiving a request to having its response"
    );
    metrics::describe_gauge!("http_requests_in_flight", "HTTP requests being served");
    metrics::describe_counter!(
        "rate_limit_exceeded_total",
        "Requests refused with 429, by route group"
    );
    metrics::describe_gauge!(
        "queue_depth",
        "Work waiting: outbox events, deliveries due, scheduled for retry, and dead letters"
    );
    metrics::describe_counter!(
        "job_failures_total",
        "Background work that failed on our side (not a subscriber's answer), by job"
    );
    metrics::describe_counter!(
        "webhook_delivery_attempts_total",
        "Webhook delivery attempts by outcome: delivered, retry or dead"
    );
    metrics::describe_counter!(
        "db_queries_total",
        "SQL statements run, by outcome: ok or error"
    );
    metrics::describe_counter!(
        "calendar_inbound_changes_total",
        "Provider changes to bookings by outcome: applied, skipped (by a sync rule or switch), coalesced (held for the next minute) or failed (an attempt that erred)"
    );
    metrics::describe_histogram!(
        "calendar_inbound_sync_seconds",
        metrics::Unit::Seconds,
        "Time from a provider's push (or the pull that read a change) to the change applied to its booking"
    );
    metrics::describe_gauge!(
        "rate_limit_clients",
        "Open rate-limit windows after the last sweep"
    );
}

/// `GET /metrics`. The queue's depth is counted at scrape time: it lives in the database,
/// shared by every process, so any one of them reports the same figures.
pub(crate) async fn render(State(app): State<App>) -> Response {
    match crate::app::webhooks::backlog(&app, chrono::Utc::now()).await {
        Ok(backlog) => {
            for (queue, depth) in [
                ("outbox", backlog.outbox),
                ("due", backlog.due),
                ("scheduled", backlog.scheduled),
                ("dead", backlog.dead),
            ] {
                metrics::gauge!("queue_depth", "queue" => queue).set(depth as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not count the queue for /metrics"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics_handle().render(),
    )
        .into_response()
}

/// Counts and times every request. Runs after routing, where `MatchedPath` is known.
pub(crate) async fn middleware(req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_owned();
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let labels = [
        ("method", method.to_owned()),
        ("path", path),
        ("status", response.status().as_str().to_owned()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Standard methods by name, anything else as `OTHER`, so clients cannot invent labels.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}
