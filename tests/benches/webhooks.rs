//! Webhook benchmark on PostgreSQL: prints figures, asserts nothing.
//!
//! 1. Latency from a booking's commit (its 201) to the subscriber receiving the event,
//!    with bookings arriving at 100 per second.
//! 2. Booking throughput with no subscription and with five active subscriptions.
//!
//! Run: `cargo bench -p convene-tests --bench webhooks`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Duration as Days;
use chrono::Weekday;
use convene_tests::bench::{bench_event_type, book_all, report};
use convene_tests::{Backend, TestApp, next};
use reqwest::Method;
use serde_json::{Value, json};

/// Arrival time of each booking uid's event.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

async fn receiver() -> (String, Arrivals) {
    let arrivals: Arrivals = Arc::default();
    let a = arrivals.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let a = a.clone();
            async move {
                let now = Instant::now();
                let body: Value = serde_json::from_str(&body).unwrap_or_default();
                if let Some(uid) = body["payload"]["uid"].as_str() {
                    a.lock().unwrap().entry(uid.to_string()).or_insert(now);
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

#[tokio::main]
async fn main() {
    let app = TestApp::spawn_with_jobs(Backend::Postgres).await;
    let event_type = bench_event_type(&app).await;
    let origin = next(Weekday::Mon).and_hms_opt(0, 0, 0).unwrap().and_utc();

    // Throughput with no subscriber at all.
    let starts: Vec<_> = (0..2000).map(|i| origin + Days::minutes(15 * i)).collect();
    let (created, elapsed) = book_all(&app, event_type, starts, 32).await;
    let bare = created as f64 / elapsed.as_secs_f64();
    println!(
        "postgres: POST /v2/bookings, no subscriptions: {created} in {:.2}s = {bare:.0}/s",
        elapsed.as_secs_f64()
    );

    // Five active subscriptions, then the same load on fresh slots.
    let (url, arrivals) = receiver().await;
    for _ in 0..5 {
        let hook = app
            .post(
                "/v2/webhooks",
                json!({"subscriberUrl": url, "triggers": ["BOOKING_CREATED"], "secret": "bench"}),
            )
            .await;
        assert_eq!(hook.status, 201);
    }
    let starts: Vec<_> = (2000..4000)
        .map(|i| origin + Days::minutes(15 * i))
        .collect();
    let (created, elapsed) = book_all(&app, event_type, starts, 32).await;
    let subscribed = created as f64 / elapsed.as_secs_f64();
    println!(
        "postgres: POST /v2/bookings, 5 subscriptions: {created} in {:.2}s = {subscribed:.0}/s ({:+.1}% vs none)",
        elapsed.as_secs_f64(),
        (subscribed / bare - 1.0) * 100.0
    );

    // Let that backlog (five deliveries per booking) drain, then measure latency at a
    // steady 100 bookings per second.
    let drained = Instant::now();
    while arrivals.lock().unwrap().len() < created && drained.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "postgres: the {created} bookings' events all arrived {:.1}s after the last booking",
        drained.elapsed().as_secs_f64()
    );
    arrivals.lock().unwrap().clear();
    let mut committed: Vec<(String, Instant)> = Vec::new();
    let mut pace = tokio::time::interval(Duration::from_millis(10));
    let mut pending = Vec::new();
    for i in 4000..5000 {
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
