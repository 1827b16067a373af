//! Webhook benchmark on PostgreSQL: prints figures, asserts nothing.
//!
//! 1. Booking throughput with no subscription and with five active subscriptions:
//!    three rounds, alternating, each on a fresh database with its backlog drained
//!    before the next starts, so neither side inherits the other's rows or deliveries.
//! 2. Latency from a booking's commit (its 201) to the subscriber receiving the event,
//!    with bookings arriving at 100 per second.
//!
//! Run: `cargo bench -p convene-tests --bench webhooks`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Duration as Days;
use chrono::{DateTime, Utc, Weekday};
use convene_tests::bench::{bench_event_type, book_all, report};
use convene_tests::{Backend, TestApp, next};
use reqwest::Method;
use serde_json::{Value, json};

/// What the receiver saw: the first arrival of each booking uid, and all requests.
#[derive(Clone, Default)]
struct Arrivals {
    first: Arc<Mutex<HashMap<String, Instant>>>,
    requests: Arc<AtomicUsize>,
}

async fn receiver() -> (String, Arrivals) {
    let arrivals = Arrivals::default();
    let a = arrivals.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let a = a.clone();
            async move {
                let now = Instant::now();
                a.requests.fetch_add(1, Ordering::Relaxed);
                let body: Value = serde_json::from_str(&body).unwrap_or_default();
                if let Some(uid) = body["payload"]["uid"].as_str() {
                    a.first
                        .lock()
                        .unwrap()
                        .entry(uid.to_string())
                        .or_insert(now);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, arrivals)
}

/// A fresh server with jobs, its bench event type, and `subscriptions` webhooks to one receiver.
async fn subscribed_app(subscriptions: usize) -> (TestApp, i64, Arrivals) {
    let app = TestApp::spawn_with_jobs(Backend::Postgres).await;
    let event_type = bench_event_type(&app).await;
    let (url, arrivals) = receiver().await;
    for _ in 0..subscriptions {
        let hook = app
            .post(
                "/v2/webhooks",
                json!({"subscriberUrl": url, "triggers": ["BOOKING_CREATED"], "secret": "bench"}),
            )
            .await;
        assert_eq!(hook.status, 201);
    }
    (app, event_type, arrivals)
}

/// Bookings per second for 2000 bookings at 32 at a time with `subscriptions` webhooks,
/// after a warm-up; returns once every delivery has arrived.
async fn throughput(origin: DateTime<Utc>, subscriptions: usize) -> f64 {
    let (app, event_type, arrivals) = subscribed_app(subscriptions).await;
    let slot = |i: i64| origin + Days::minutes(15 * i);
    let (warm, _) = book_all(&app, event_type, (0..200).map(slot).collect(), 32).await;
    let (created, elapsed) = book_all(&app, event_type, (200..2200).map(slot).collect(), 32).await;
    let rate = created as f64 / elapsed.as_secs_f64();
    let expected = (warm + created) * subscriptions;
    let drained = Instant::now();
    while arrivals.requests.load(Ordering::Relaxed) < expected
        && drained.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "postgres: POST /v2/bookings, {subscriptions} subscriptions: {created} in {:.2}s = {rate:.0}/s; \
         its {} deliveries all arrived {:.1}s after the last booking",
        elapsed.as_secs_f64(),
        created * subscriptions,
        drained.elapsed().as_secs_f64()
    );
    rate
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[tokio::main]
async fn main() {
    let origin = next(Weekday::Mon).and_hms_opt(0, 0, 0).unwrap().and_utc();
    let (mut bare, mut five) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        bare.push(throughput(origin, 0).await);
        five.push(throughput(origin, 5).await);
    }
    let (bare, five) = (median(bare), median(five));
    println!(
        "postgres: median booking throughput: none {bare:.0}/s, 5 subscriptions {five:.0}/s ({:+.1}%)",
        (five / bare - 1.0) * 100.0
    );

    // Latency at a steady 100 bookings per second.
    let (app, event_type, arrivals) = subscribed_app(5).await;
    let arrivals = arrivals.first;
    let mut committed: Vec<(String, Instant)> = Vec::new();
    let mut pace = tokio::time::interval(Duration::from_millis(10));
    let mut pending = Vec::new();
    for i in 0..1000 {
        pace.tick().await;
        let body = json!({
            "eventTypeId": event_type,
            "start": (origin + Days::minutes(15 * i)).to_rfc3339(),
            "attendee": {"name": "Paced", "email": format!("paced{i}@bench.example"), "timeZone": "UTC"},
        });
        let request = app.request(Method::POST, "/v2/bookings", Some(body));
        pending.push(tokio::spawn(async move {
            let answer = request.send().await.ok()?;
            let at = Instant::now();
            let body: Value = answer.json().await.ok()?;
            Some((body["data"]["uid"].as_str()?.to_string(), at))
        }));
    }
    for task in pending {
        if let Ok(Some(done)) = task.await {
            committed.push(done);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals.lock().unwrap().len() < committed.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let arrivals = arrivals.lock().unwrap().clone();
    let latencies: Vec<Duration> = committed
        .iter()
        .filter_map(|(uid, at)| {
            arrivals
                .get(uid)
                .map(|arrived| arrived.saturating_duration_since(*at))
        })
        .collect();
    println!(
        "postgres: {} of {} paced bookings' events arrived",
        latencies.len(),
        committed.len()
    );
    report(
        "postgres: webhook latency, commit to receiver (100 bookings/s, 5 subscriptions)",
        latencies,
    );
}
