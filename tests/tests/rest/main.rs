//! End-to-end tests of the REST API (`/v2`), through HTTP against a real server,
//! each on SQLite and on PostgreSQL. Files mirror the routes they exercise.

mod bookings;
mod confirmation;
mod customers;
mod errors;
mod event_types;
mod locked_zone;
mod recurring;
mod schedules;
mod seats;
mod slots;
mod webhooks;

use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use convene_tests::{DEMO_KEY, TestApp};
use reqwest::Method;
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

/// Walks list route `path` two items a page, following `nextCursor` until `hasMore` is
/// false and checking each page's `pagination`; answers every item in the order served
/// and how many pages that took.
pub async fn walk(app: &TestApp, path: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..=20 {
        let mut query = vec![("limit", "2".to_string())];
        query.extend(cursor.take().map(|c| ("cursor", c)));
        let request = app
            .request(Method::GET, path, None)
            .bearer_auth(DEMO_KEY)
            .query(&query);
        let answer = app.send(request).await;
        assert_eq!(answer.status, 200, "{path} {query:?}: {:?}", answer.body);
        let page = answer.data().as_array().expect("a list").clone();
        let pagination = &answer.body["pagination"];
        assert_eq!(
            pagination["returnedItems"],
            json!(page.len()),
            "{pagination}"
        );
        assert_eq!(
            pagination["hasNextPage"], pagination["hasMore"],
            "{pagination}"
        );
        items.extend(page.iter().cloned());
        if pagination["hasMore"] == false {
            assert!(pagination["nextCursor"].is_null(), "{pagination}");
            return (items, pages);
        }
        assert_eq!(
            page.len(),
            2,
            "only the last page may be short: {pagination}"
        );
        cursor = Some(
            pagination["nextCursor"]
                .as_str()
                .expect("a cursor while hasMore")
                .to_string(),
        );
    }
    panic!("{path} still had more after 20 pages");
}

/// The `id`s of `items`, in order.
pub fn ids(items: &[Value]) -> Vec<i64> {
    items
        .iter()
        .map(|i| i["id"].as_i64().expect("an id"))
        .collect()
}

/// List route `path` refuses a limit outside 1–250 or not a number, and a cursor it
/// never gave out, with 422 naming the field.
pub async fn assert_page_params_are_checked(app: &TestApp, path: &str) {
    let sep = if path.contains('?') { '&' } else { '?' };
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=251", "limit"),
        ("limit=abc", "limit"),
        ("take=0", "limit"),
        ("cursor=junk", "cursor"),
        ("cursor=1_2_x", "cursor"),
    ] {
        let answer = app.get(&format!("{path}{sep}{query}")).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code(), answer.fields()),
            (422, "VALIDATION_ERROR", vec![field.to_string()]),
            "{path}{sep}{query}: {:?}",
            answer.body
        );
    }
    assert_eq!(app.get(&format!("{path}{sep}limit=250")).await.status, 200);
}
