//! Helpers the benchmarks share: percentiles, a bookable-around-the-clock event type,
//! and a load generator. Benchmarks print figures; nothing here asserts a timing.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use reqwest::Method;
use serde_json::json;

use crate::TestApp;

/// The `p` quantile (0–1) of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Prints p50/p95/p99 of `samples` in microseconds under `name`.
pub fn report(name: &str, mut samples: Vec<Duration>) {
    if samples.is_empty() {
        println!("{name}: no samples");
        return;
    }
    samples.sort();
    println!(
        "{name}: n={} p50={:.1}us p95={:.1}us p99={:.1}us",
        samples.len(),
        percentile(&samples, 0.50).as_secs_f64() * 1e6,
        percentile(&samples, 0.95).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6,
    );
}

/// A 24/7 schedule and a 15-minute event type, so thousands of distinct slots exist.
pub async fn bench_event_type(app: &TestApp) -> i64 {
    let every_day = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let schedule = app
        .post("/v2/schedules", json!({"name": "Always", "timeZone": "UTC", "availability": [{"days": every_day, "startTime": "00:00", "endTime": "24:00"}]}))
        .await;
    let schedule_id = schedule.data()["id"].as_i64().unwrap();
    let created = app
        .post("/v2/event-types", json!({"title": "Bench", "slug": "bench", "lengthInMinutes": 15, "scheduleId": schedule_id}))
        .await;
    created.data()["id"].as_i64().unwrap()
}

/// Books every start at `concurrency` at a time; returns how many were created and how long it took.
pub async fn book_all(
    app: &TestApp,
    event_type: i64,
    starts: Vec<DateTime<Utc>>,
    concurrency: usize,
) -> (usize, Duration) {
    let started = Instant::now();
    let created = futures::stream::iter(starts.into_iter().enumerate())
        .map(|(i, start)| {
            let body = json!({
                "eventTypeId": event_type,
                "start": start.to_rfc3339(),
                "attendee": {"name": "Load", "email": format!("load{i}@bench.example"), "timeZone": "UTC"},
            });
            app.send(app.request(Method::POST, "/v2/bookings", Some(body)))
        })
        .buffer_unordered(concurrency)
        .filter(|a| std::future::ready(a.status == 201))
        .count()
        .await;
    (created, started.elapsed())
}
