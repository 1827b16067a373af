//! Workflow benchmark on SQLite and PostgreSQL: prints figures, asserts nothing.
//!
//! With two workflows watching the event type (a confirmation email at once and a
//! reminder 24 hours before), 1,000 bookings are made, then:
//! 1. planning: the outbox dispatcher fans their events out (webhook deliveries,
//!    calendar syncs, workflow sends, notices) — events per second, and the same
//!    dispatch with no workflow for comparison;
//! 2. sending: every due send is leased and sent to the mail folder, 8 at a time as the
//!    job does — messages per second.
//!
//! Run: `cargo bench -p convene-tests --bench workflows`.

use std::time::{Duration, Instant};

use chrono::{Duration as Span, Utc, Weekday};
use convene::app::{webhooks, workflows};
use convene_tests::bench::{bench_event_type, book_all};
use convene_tests::{Backend, TestApp, next};
use futures::StreamExt;
use serde_json::json;

const BOOKINGS: usize = 1000;

async fn prepared(backend: Backend, with_workflows: bool) -> TestApp {
    let app = TestApp::spawn(backend).await;
    let event_type = bench_event_type(&app).await;
    if with_workflows {
        for (trigger, subject) in [
            (json!({"type": "BOOKING_CREATED"}), "Booked: {EVENT_NAME}"),
            (
                json!({"type": "BEFORE_START", "offset": {"value": 24, "unit": "HOURS"}}),
                "Tomorrow: {EVENT_NAME}",
            ),
        ] {
            let created = app
                .post("/v2/workflows", json!({
                    "name": subject, "trigger": trigger, "activeOnAll": true,
                    "steps": [{"action": "EMAIL_ATTENDEES", "subject": subject,
                               "body": "Hi {ATTENDEE_FIRST_NAME}, {EVENT_DATE} at {EVENT_TIME} ({TIMEZONE})."}],
                }))
                .await;
            assert_eq!(created.status, 201, "{:#}", created.body);
        }
    }
    let first = next(Weekday::Mon).and_hms_opt(0, 0, 0).unwrap().and_utc() + Span::days(2);
    let starts = (0..BOOKINGS)
        .map(|i| first + Span::minutes(15 * i as i64))
        .collect();
    let (created, _) = book_all(&app, event_type, starts, 16).await;
    assert_eq!(created, BOOKINGS);
    app
}

/// Dispatches every waiting event; how long it took.
async fn dispatch_all(app: &TestApp) -> Duration {
    let started = Instant::now();
    while webhooks::fan_out(&app.app, 200, Utc::now()).await.unwrap() > 0 {}
    started.elapsed()
}

/// Sends every send due by the far future, 8 at a time; how many and how long.
async fn send_all(app: &TestApp) -> (usize, Duration) {
    app.app.clock.pin(Utc::now() + Span::days(400));
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let due = workflows::lease_due(&app.app, Duration::from_secs(120), 200)
            .await
            .unwrap();
        if due.is_empty() {
            break;
        }
        sent += due.len();
        futures::stream::iter(due)
            .map(|id| workflows::deliver(&app.app, id))
            .buffer_unordered(8)
            .for_each(|done| {
                done.unwrap();
                std::future::ready(())
            })
            .await;
    }
    (sent, started.elapsed())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let plain = prepared(backend, false).await;
        let without = dispatch_all(&plain).await;
        drop(plain);
        let app = prepared(backend, true).await;
        let with = dispatch_all(&app).await;
        let per_second = |d: Duration| BOOKINGS as f64 / d.as_secs_f64();
        println!(
            "{backend:?} dispatch of {BOOKINGS} booking events: {:.0} events/s without workflows, {:.0} events/s with two workflows ({:.2} ms vs {:.2} ms per event)",
            per_second(without),
            per_second(with),
            without.as_secs_f64() * 1e3 / BOOKINGS as f64,
            with.as_secs_f64() * 1e3 / BOOKINGS as f64,
        );
        let (sent, took) = send_all(&app).await;
        println!(
            "{backend:?} sending {sent} workflow emails to the mail folder: {:.0} messages/s ({:.2} ms each, 8 at a time)",
            sent as f64 / took.as_secs_f64(),
            took.as_secs_f64() * 1e3 / sent as f64,
        );
        assert_eq!(app.sent_mail().len(), sent, "every send wrote its message");
    }
}
