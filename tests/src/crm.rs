//! Helpers for the customer-success tests: GraphQL calls, bookings at a chosen time,
//! and moving bookings into the past (the API, rightly, books only the future).

use chrono::{NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Berlin;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{TestApp, next};

/// Creates a customer from `input` (GraphQL `CustomerInput`); its id.
pub async fn create_customer(app: &TestApp, input: Value) -> Value {
    const CREATE: &str =
        "mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }";
    app.graphql(CREATE, json!({ "input": input })).await["createCustomer"]["id"].clone()
}

/// Adds stakeholder `name` <`email`> to customer `customer`; their id.
pub async fn add_stakeholder(app: &TestApp, customer: &Value, name: &str, email: &str) -> Value {
    const ADD: &str = "mutation($c: ID!, $input: StakeholderInput!) { addStakeholder(customerId: $c, input: $input) { id } }";
    let input = json!({"c": customer, "input": {"name": name, "email": email}});
    app.graphql(ADD, input).await["addStakeholder"]["id"].clone()
}

/// Next Tuesday (at least a week ahead) at Berlin `hhmm`, as an ISO instant: inside the
/// demo host's hours, outside its lunch break for any time but 12:00–13:00.
pub fn tuesday(hhmm: &str) -> String {
    let local =
        next(Weekday::Tue).and_time(NaiveTime::parse_from_str(hhmm, "%H:%M").expect("HH:MM"));
    Berlin
        .from_local_datetime(&local)
        .unwrap()
        .with_timezone(&Utc)
        .to_rfc3339()
}

/// Books the demo 30-minute type on the next Tuesday at Berlin `hhmm` for `email`; its uid.
pub async fn book(app: &TestApp, hhmm: &str, email: &str) -> String {
    let event_type = app.event_type_id("30min").await;
    let created = app
        .post(
            "/v2/bookings",
            json!({"eventTypeId": event_type, "start": tuesday(hhmm),
                   "attendee": {"name": "Someone", "email": email, "timeZone": "Europe/Berlin"}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.data()["uid"].as_str().unwrap().to_string()
}

/// Moves booking `uid` to start `days_ago` days ago at this time of day (30 minutes
/// long), straight in the database: call it before the customer it is linked to is
/// first scored, as it bypasses what keeps health snapshots current.
pub async fn move_into_past(app: &TestApp, uid: &str, days_ago: i64) {
    let start = (Utc::now() - chrono::Duration::days(days_ago)).timestamp_millis();
    let end = start + 30 * 60 * 1000;
    app.db
        .execute_unprepared(&format!(
            "UPDATE bookings SET start_ms = {start}, end_ms = {end}, busy_start_ms = {start}, busy_end_ms = {end} WHERE uid = '{uid}'"
        ))
        .await
        .unwrap();
}
