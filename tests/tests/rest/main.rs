//! End-to-end tests of the REST API (`/v2`), through HTTP against a real server,
//! each on SQLite and on PostgreSQL. Files mirror the routes they exercise.

mod bookings;
mod errors;
mod event_types;
mod schedules;
mod slots;
mod webhooks;

use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde_json::{Value, json};

/// `date` at local `hh:mm` in `tz`, as the API writes slot times (`…T09:00:00.000+01:00`).
pub fn local(tz: Tz, date: NaiveDate, hhmm: &str) -> String {
    let time = NaiveTime::parse_from_str(hhmm, "%H:%M").expect("HH:MM");
    tz.from_local_datetime(&date.and_time(time))
        .earliest()
        .expect("a local time that exists")
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

/// The same instant in UTC, as booking `start` is sent and answered (`…T08:00:00.000Z`).
pub fn utc(tz: Tz, date: NaiveDate, hhmm: &str) -> String {
    let time = NaiveTime::parse_from_str(hhmm, "%H:%M").expect("HH:MM");
    tz.from_local_datetime(&date.and_time(time))
        .earliest()
        .expect("a local time that exists")
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// A booking request for the demo host's event type `event_type_id` at `start`.
pub fn booking(event_type_id: i64, start: &str, email: &str) -> Value {
    json!({
        "eventTypeId": event_type_id,
        "start": start,
        "attendee": { "name": "Jane Doe", "email": email, "timeZone": "America/New_York", "language": "en" },
    })
}
