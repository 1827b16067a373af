//! Foundation benchmark: prints figures, asserts nothing.
//!
//! 1. Slot computation for one host: 30-minute event, 60-day window, 300 bookings.
//! 2. Over loopback HTTP against a real server, on SQLite and on PostgreSQL:
//!    `GET /v2/slots` latency for a 30-day range with 300 bookings on the calendar, and
//!    `POST /v2/bookings` throughput with 32 concurrent invitees booking distinct slots.
//!
//! Run: `cargo bench -p convene-tests` (PostgreSQL from `TEST_DATABASE_URL`).

use std::time::Instant;

use chrono::{DateTime, Duration as Days, NaiveDate, Utc, Weekday};
use chrono_tz::Europe::Berlin;
use convene::domain::rules::{BookingWindow, PeriodLimits, SlotRules};
use convene::domain::schedule::{LocalRange, Schedule, WORKWEEK};
use convene::domain::slots::{ExistingBooking, compute_slots};
use convene::domain::span::Span;
use convene_tests::bench::{bench_event_type, book_all, report};
use convene_tests::{Backend, TestApp, next};

fn slot_engine() {
    let hours =
        [(9 * 60, 12 * 60), (13 * 60, 17 * 60)].map(|(s, e)| LocalRange::new(s, e).unwrap());
    let schedule = Schedule::weekly(Berlin, &WORKWEEK, &hours);
    let rules = SlotRules {
        duration_min: 30,
        interval_min: 30,
        buffer_before_min: 0,
        buffer_after_min: 0,
        min_notice_min: 60,
        window: BookingWindow::CalendarDays(90),
        count_limits: PeriodLimits::default(),
        duration_limits: PeriodLimits::default(),
    };
    let now: DateTime<Utc> = next(Weekday::Mon).and_hms_opt(6, 0, 0).unwrap().and_utc();
    let range = Span::new(now, now + Days::days(60));
    // 300 bookings: 7 a weekday over the 60 days, on the hour, leaving the half hours free.
    let mut bookings = Vec::new();
    let mut day = now.date_naive();
    while bookings.len() < 300 {
        if day.format("%u").to_string().parse::<u32>().unwrap() <= 5 {
            for hour in [9, 10, 11, 13, 14, 15, 16] {
                let start = day.and_hms_opt(hour - 1, 0, 0).unwrap().and_utc();
                bookings.push(ExistingBooking {
                    span: Span::new(start, start + Days::minutes(30)),
                    buffer_before_min: 0,
                    buffer_after_min: 0,
                    same_event_type: true,
                });
            }
        }
        day = day.succ_opt().unwrap();
    }
    bookings.truncate(300);
    let mut samples = Vec::new();
    let mut found = 0;
    for _ in 0..3000 {
        let started = Instant::now();
        found = compute_slots(&schedule, &rules, &bookings, range, now, Berlin).len();
        samples.push(started.elapsed());
    }
    println!("slot engine: 60-day window, 300 bookings, {found} slots found");
    report("slot computation", samples);
}

async fn over_http(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let name = format!("{backend:?}").to_lowercase();
    let event_type = bench_event_type(&app).await;
    let first: NaiveDate = next(Weekday::Mon);
    let origin = first.and_hms_opt(0, 0, 0).unwrap().and_utc();

    // A busy host: 300 bookings over 60 days, five a day at hours that hit the working
    // day. Then the booking page's question: a month of demo/30min slots.
    let busy: Vec<_> = (0..60)
        .flat_map(|day| {
            [8 * 60, 10 * 60 + 15, 12 * 60 + 30, 14 * 60 + 45, 20 * 60]
                .map(move |m| origin + Days::days(day) + Days::minutes(m))
        })
        .collect();
    let (seeded, _) = book_all(&app, event_type, busy, 8).await;
    let demo = app.event_type_id("30min").await;
    let url = format!(
        "{}/v2/slots?eventTypeId={demo}&start={first}&end={}&timeZone=America/New_York",
        app.base,
        first + Days::days(29)
    );
    let mut samples = Vec::new();
    let mut bytes = 0;
    for _ in 0..500 {
        let started = Instant::now();
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        bytes = response.bytes().await.unwrap().len();
        samples.push(started.elapsed());
    }
    report(
        &format!(
            "{name}: GET /v2/slots (demo/30min, 30 days, {seeded} bookings on the host, {bytes} B answer)"
        ),
        samples,
    );

    // Throughput: 3000 distinct 15-minute slots after those 60 days, 32 invitees at a time.
    let starts: Vec<_> = (0..3000)
        .map(|i| origin + Days::days(61) + Days::minutes(15 * i))
        .collect();
    let (created, elapsed) = book_all(&app, event_type, starts, 32).await;
    println!(
        "{name}: POST /v2/bookings: {created} created in {:.2}s = {:.0} bookings/s (32 concurrent, one host)",
        elapsed.as_secs_f64(),
        created as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    slot_engine();
    over_http(Backend::Sqlite).await;
    over_http(Backend::Postgres).await;
}
