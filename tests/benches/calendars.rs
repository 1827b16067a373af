//! Connected-calendar benchmark: prints figures, asserts nothing.
//!
//! The demo host connects Google Calendar (the fake, over loopback HTTP) with three
//! checked calendars of 2,000 events each over the next 30 days, then:
//! - slots of one week with a warm busy-time cache (`GET /v2/slots`);
//! - the same when every request must fetch busy times first (choices just changed);
//! - from `POST /v2/bookings` to the event being in Google Calendar, with the background
//!   jobs running (no calendar checked, so every hour is free);
//! - from the user moving an event in Google Calendar (the fake's push notification to
//!   the running server) to its booking rescheduled: push, inbound job, the plugin's
//!   incremental sync, the booking moved.
//!
//! Run: `cargo bench -p convene-tests --bench calendars` (after `scripts/build-plugins`).

use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use convene_tests::bench::report;
use convene_tests::calendars::{choose, connect_google, event_for, pull_now};
use convene_tests::fakes::google::{HOLIDAYS, PRIMARY, TEAM};
use convene_tests::{Backend, TestApp, next};
use serde_json::json;

const EVENTS_PER_CALENDAR: i64 = 2_000;
const DAYS: i64 = 30;

#[tokio::main]
async fn main() {
    let app = TestApp::spawn_with_jobs(Backend::Sqlite).await;
    let google = connect_google(&app).await;
    let calendars = [PRIMARY, TEAM, HOLIDAYS];
    let start = Utc::now();
    let step = Days::days(DAYS).num_minutes() / EVENTS_PER_CALENDAR;
    for (c, calendar) in calendars.iter().enumerate() {
        for i in 0..EVENTS_PER_CALENDAR {
            let at = start + Days::minutes(i * step + c as i64 * 5);
            google.api.add_busy(calendar, at, at + Days::minutes(10));
        }
    }
    choose(&app, &google, &calendars, Some(PRIMARY)).await;

    let event_type = app.event_type_id("30min").await;
    let monday = next(chrono::Weekday::Mon);
    let sunday = monday + Days::days(6);
    let slots = format!(
        "/v2/slots?eventTypeId={event_type}&start={monday}&end={sunday}&timeZone=Europe/Berlin"
    );
    let first = app.get(&slots).await;
    assert_eq!(first.status, 200, "{:#}", first.body);

    let mut warm = Vec::new();
    for _ in 0..200 {
        let began = Instant::now();
        let answer = app.get(&slots).await;
        warm.push(began.elapsed());
        assert_eq!(answer.status, 200);
    }
    report("slots, 3 calendars x 2000 events, warm cache", warm);

    let mut cold = Vec::new();
    for _ in 0..30 {
        choose(&app, &google, &calendars, Some(PRIMARY)).await;
        let began = Instant::now();
        let answer = app.get(&slots).await;
        cold.push(began.elapsed());
        assert_eq!(answer.status, 200);
    }
    report(
        "slots, 3 calendars x 2000 events, fetching busy times",
        cold,
    );

    // Bookings go where the busy calendars leave room: none checked from here on.
    choose(&app, &google, &[], Some(PRIMARY)).await;
    let mut written = Vec::new();
    let mut booked_uids = Vec::new();
    let days: Vec<_> = (0..5).map(|d| monday + Days::days(d)).collect();
    let hours = ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00"];
    for day in &days {
        for hour in hours {
            let local = format!("{day}T{hour}:00");
            let start = local
                .parse::<chrono::NaiveDateTime>()
                .unwrap()
                .and_local_timezone(chrono_tz::Europe::Berlin)
                .unwrap()
                .with_timezone(&Utc);
            let before = google.api.state.lock().unwrap().events(PRIMARY).len();
            let began = Instant::now();
            let booked = app
                .post(
                    "/v2/bookings",
                    json!({"eventTypeId": event_type, "start": start.to_rfc3339(),
                       "attendee": {"name": "Jane", "email": "jane@acme.com", "timeZone": "Europe/Berlin"}}),
                )
                .await;
            if booked.status != 201 {
                continue;
            }
            booked_uids.push((booked.data()["uid"].as_str().unwrap().to_string(), start));
            while google.api.state.lock().unwrap().events(PRIMARY).len() == before {
                assert!(
                    began.elapsed() < Duration::from_secs(20),
                    "the event never came"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            written.push(began.elapsed());
        }
    }
    report("booking created -> event in Google Calendar", written);

    // Push channels open on the writable calendars (a full sync of their events first).
    pull_now(&app, &google).await;
    let mut pushed = Vec::new();
    for (uid, start) in booked_uids {
        let event = event_for(&google, PRIMARY, &uid).await;
        let id = event["id"].as_str().unwrap().to_string();
        // Half an hour later: free, as bookings start on the hour.
        let to = start + Days::minutes(30);
        let began = Instant::now();
        google
            .api
            .user_moves(PRIMARY, &id, to, to + Days::minutes(30));
        loop {
            let booking = convene::store::bookings::find_by_uid(&app.db, None, &uid)
                .await
                .unwrap()
                .unwrap();
            if booking.rescheduled_to_uid.is_some() {
                break;
            }
            assert!(
                began.elapsed() < Duration::from_secs(20),
                "the booking never moved"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        pushed.push(began.elapsed());
    }
    report(
        "event moved in Google Calendar (push) -> booking rescheduled",
        pushed,
    );
}
