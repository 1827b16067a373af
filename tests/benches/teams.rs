//! Team scheduling benchmark: prints figures, asserts nothing.
//!
//! 50 hosts, each with their own schedule (weekday hours that differ by host, in
//! Berlin) and 200 existing bookings in a 30-day window. A 30-minute round-robin type
//! over all 50 and a collective type over the first 10; the slots of 30 days:
//! - engine only: every host's slots from in-memory schedules and bookings, merged;
//! - over loopback HTTP (`GET /v2/slots?teamSlug=…`), on SQLite and on PostgreSQL.
//!
//! Run: `cargo bench -p convene-tests --bench teams` (PostgreSQL from `TEST_DATABASE_URL`).

use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Berlin;
use convene::domain::ids::{EventTypeId, OrgId, UserId};
use convene::domain::rules::{BookingWindow, PeriodLimits, SlotRules};
use convene::domain::schedule::{LocalRange, Schedule, WORKWEEK};
use convene::domain::slots::{ExistingBooking, compute_slots};
use convene::domain::span::Span;
use convene::domain::team::SchedulingType;
use convene::domain::team_slots::{HostSlots, offered};
use convene_tests::bench::report;
use convene_tests::{Backend, TestApp, next, seed};
use reqwest::Method;
use serde_json::{Value, json};

const HOSTS: usize = 50;
const COLLECTIVE: usize = 10;
const BOOKINGS_PER_HOST: usize = 200;
const DAYS: i64 = 30;

/// Host `i` works weekdays from 7:00 + (i mod 4) h to 15:00 + (i mod 4) h Berlin time.
fn hours(i: usize) -> (u16, u16) {
    let shift = (i % 4) as u16 * 60;
    (7 * 60 + shift, 15 * 60 + shift)
}

fn schedule(i: usize) -> Schedule {
    let (start, end) = hours(i);
    Schedule::weekly(Berlin, &WORKWEEK, &[LocalRange::new(start, end).unwrap()])
}

/// 200 bookings of host `i` inside its working hours over the window, none
/// overlapping: a deterministic spread of half hours (some a quarter past).
fn bookings(i: usize, first: NaiveDate) -> Vec<Span> {
    let (start, end) = hours(i);
    let mut spans = Vec::new();
    let mut n = i as u64 * 7919 + 1;
    'days: for day in 0..DAYS {
        let date = first + Duration::days(day);
        if date.weekday().number_from_monday() > 5 {
            continue;
        }
        let mut minute = start;
        while minute + 30 <= end {
            n = n
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let roll = (n >> 33) % 100;
            if roll < 45 {
                let offset = if roll < 5 { 15 } else { 0 };
                let local = date.and_hms_opt(0, 0, 0).unwrap()
                    + Duration::minutes(i64::from(minute + offset));
                let begin = Berlin
                    .from_local_datetime(&local)
                    .unwrap()
                    .with_timezone(&Utc);
                spans.push(Span::new(begin, begin + Duration::minutes(30)));
                minute += 30 + offset;
                if spans.len() == BOOKINGS_PER_HOST {
                    break 'days;
                }
            }
            minute += 30;
        }
    }
    spans
}

fn rules() -> SlotRules {
    SlotRules {
        duration_min: 30,
        interval_min: 30,
        buffer_before_min: 0,
        buffer_after_min: 0,
        min_notice_min: 0,
        window: BookingWindow::Unlimited,
        count_limits: PeriodLimits::default(),
        duration_limits: PeriodLimits::default(),
    }
}

fn engine(first: NaiveDate, now: DateTime<Utc>) {
    let range = Span::new(
        Berlin
            .from_local_datetime(&first.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc),
        Berlin
            .from_local_datetime(&(first + Duration::days(DAYS)).and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc),
    );
    let calendars: Vec<(Schedule, Vec<ExistingBooking>)> = (0..HOSTS)
        .map(|i| {
            let existing = bookings(i, first)
                .into_iter()
                .map(|span| ExistingBooking {
                    span,
                    buffer_before_min: 0,
                    buffer_after_min: 0,
                    same_event_type: false,
                })
                .collect();
            (schedule(i), existing)
        })
        .collect();
    let rules = rules();
    for (kind, count, runs) in [
        (SchedulingType::RoundRobin, HOSTS, 300),
        (SchedulingType::Collective, COLLECTIVE, 1000),
    ] {
        let mut samples = Vec::new();
        let mut found = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let per_host: Vec<HostSlots> = calendars[..count]
                .iter()
                .enumerate()
                .map(|(i, (schedule, existing))| HostSlots {
                    host: UserId(i as i64),
                    fixed: false,
                    slots: compute_slots(schedule, &rules, existing, range, now, Berlin),
                })
                .collect();
            found = offered(kind, &per_host).len();
            samples.push(started.elapsed());
        }
        report(
            &format!(
                "engine only: {} of {count} hosts, 30 days, {found} slots",
                kind.as_str()
            ),
            samples,
        );
    }
}

/// The demo organization with 50 hosts as above, a team of them, and the two types.
async fn seed(app: &TestApp, first: NaiveDate) {
    let me = app.get("/v2/me").await;
    let org = me.data()["organizationId"].as_i64().unwrap();
    let held_by = app.event_type_id("30min").await;
    let team = app
        .post("/v2/teams", json!({"name": "Bench", "slug": "bench"}))
        .await;
    let team_id = team.data()["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for i in 0..HOSTS {
        let user = app
            .post(
                &format!("/v2/organizations/{org}/users"),
                json!({"email": format!("host{i}@bench.example"), "username": format!("host{i}"),
                       "name": format!("Host {i}"), "timeZone": "Europe/Berlin"}),
            )
            .await;
        let user: Value = user.data().clone();
        let key = user["apiKey"].as_str().unwrap().to_string();
        let schedule = app
            .send(
                app.request(Method::GET, "/v2/schedules/default", None)
                    .bearer_auth(&key),
            )
            .await;
        let (start, end) = hours(i);
        let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
        app.send(
            app.request(
                Method::PATCH,
                &format!("/v2/schedules/{}", schedule.data()["id"]),
                Some(json!({"availability": [{"days": days, "startTime": hhmm(start), "endTime": hhmm(end)}]})),
            )
            .bearer_auth(&key),
        )
        .await;
        app.post(
            &format!("/v2/teams/{team_id}/memberships"),
            json!({"userId": user["id"]}),
        )
        .await;
        let host = UserId(user["id"].as_i64().unwrap());
        for span in bookings(i, first) {
            convene::store::bookings::insert(
                &app.db,
                &seed::booking(OrgId(org), EventTypeId(held_by), host, span, Utc::now()),
            )
            .await
            .expect("a seeded booking");
        }
        ids.push(user["id"].clone());
    }
    for (slug, kind, count) in [
        ("rr", "ROUND_ROBIN", HOSTS),
        ("collective", "COLLECTIVE", COLLECTIVE),
    ] {
        let hosts: Vec<Value> = ids[..count]
            .iter()
            .map(|id| json!({"userId": id}))
            .collect();
        let created = app
            .post(
                &format!("/v2/teams/{team_id}/event-types"),
                json!({"title": slug, "slug": slug, "lengthInMinutes": 30, "schedulingType": kind, "hosts": hosts}),
            )
            .await;
        assert_eq!(created.status, 201, "{:#}", created.body);
    }
}

async fn over_http(backend: Backend, first: NaiveDate) {
    let app = TestApp::spawn(backend).await;
    let name = format!("{backend:?}").to_lowercase();
    let started = Instant::now();
    seed(&app, first).await;
    println!(
        "{name}: seeded {HOSTS} hosts x {BOOKINGS_PER_HOST} bookings in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let last = first + Duration::days(DAYS - 1);
    for (slug, count, runs) in [("rr", HOSTS, 200), ("collective", COLLECTIVE, 300)] {
        let url = format!(
            "{}/v2/slots?teamSlug=bench&eventTypeSlug={slug}&start={first}&end={last}&timeZone=Europe/Berlin",
            app.base
        );
        let mut samples = Vec::new();
        let mut bytes = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let response = app.client.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            bytes = response.bytes().await.unwrap().len();
            samples.push(started.elapsed());
        }
        report(
            &format!("{name}: GET /v2/slots {slug} ({count} hosts, 30 days, {bytes} B answer)"),
            samples,
        );
    }
}

#[tokio::main]
async fn main() {
    let first = next(Weekday::Mon);
    let now = Berlin
        .from_local_datetime(&first.and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
        - Duration::days(1);
    engine(first, now);
    over_http(Backend::Sqlite, first).await;
    over_http(Backend::Postgres, first).await;
}
