//! Recurring series: one request books every occurrence at the host's local time.

use chrono::{Duration, NaiveDate, Offset, TimeZone, Weekday};
use chrono_tz::Europe::Berlin;
use convene_tests::{TestApp, next, on_both_databases};
use reqwest::Method;
use serde_json::{Value, json};

use super::{booking, utc};

/// A Monday whose next Monday is on the other side of a Berlin DST change.
fn monday_before_dst_change() -> NaiveDate {
    let offset = |day: NaiveDate| {
        Berlin
            .from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap())
            .unwrap()
            .offset()
            .fix()
    };
    let mut day = next(Weekday::Mon);
    while offset(day) == offset(day + Duration::days(7)) {
        day += Duration::days(7);
    }
    day
}

/// A weekly 30-minute event type `weekly` of at most `max` occurrences.
async fn weekly_type(app: &TestApp, max: i64) -> i64 {
    let created = app
        .post(
            "/v2/event-types",
            json!({"title": "Weekly", "slug": "weekly", "lengthInMinutes": 30,
                   "recurrence": {"frequency": "weekly", "interval": 1, "occurrences": max}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(
        created.data()["recurrence"],
        json!({"frequency": "weekly", "interval": 1, "occurrences": max})
    );
    created.data()["id"].as_i64().unwrap()
}

fn series_request(id: i64, start: &str, email: &str, count: i64) -> Value {
    let mut request = booking(id, start, email);
    request["recurrenceCount"] = json!(count);
    request
}

fn starts(list: &Value) -> Vec<Value> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|b| b["start"].clone())
        .collect()
}

on_both_databases! {
    async fn a_series_keeps_the_hosts_local_time_across_dst(app: TestApp) {
        let day = monday_before_dst_change();
        let id = weekly_type(&app, 6).await;
        let made = app.call_anonymous(Method::POST, "/v2/bookings", Some(series_request(id, &utc(Berlin, day, "10:00"), "ann@acme.com", 3))).await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        let list = made.data();
        let weeks: Vec<Value> = (0..3).map(|w| json!(utc(Berlin, day + Duration::days(7 * w), "10:00"))).collect();
        assert_eq!(starts(list), weeks, "10:00 in Berlin every week, whatever the offset");
        let series = &list[0]["recurringBookingUid"];
        assert!(series.is_string());
        assert!(list.as_array().unwrap().iter().all(|b| &b["recurringBookingUid"] == series && b["status"] == "accepted"));
        assert_ne!(list[0]["uid"], list[1]["uid"], "each occurrence is a booking of its own");
        let created = convene::store::outbox::pending(&app.db, convene::domain::ids::OrgId(1)).await.unwrap();
        assert_eq!(created.iter().filter(|e| e.kind == "BOOKING_CREATED").count(), 3);

        let too_many = app.call_anonymous(Method::POST, "/v2/bookings", Some(series_request(id, &utc(Berlin, day, "14:00"), "bob@acme.com", 7))).await;
        assert_eq!(too_many.status, 422);
        assert_eq!(too_many.fields(), ["recurrenceCount"]);

        let plain = app.event_type_id("30min").await;
        let not_recurring = app.call_anonymous(Method::POST, "/v2/bookings", Some(series_request(plain, &utc(Berlin, day, "14:00"), "bob@acme.com", 2))).await;
        assert_eq!(not_recurring.status, 422);
        assert_eq!(not_recurring.fields(), ["recurrenceCount"]);
    }

    async fn a_taken_occurrence_fails_the_whole_series_naming_it(app: TestApp) {
        let day = monday_before_dst_change();
        let id = weekly_type(&app, 6).await;
        let plain = app.event_type_id("30min").await;
        let third = day + Duration::days(14);
        let blocker = app.post("/v2/bookings", booking(plain, &utc(Berlin, third, "11:00"), "x@acme.com")).await;
        assert_eq!(blocker.status, 201, "{:?}", blocker.body);

        let refused = app.call_anonymous(Method::POST, "/v2/bookings", Some(series_request(id, &utc(Berlin, day, "11:00"), "ann@acme.com", 4))).await;
        assert_eq!(refused.status, 422, "{:?}", refused.body);
        assert_eq!(refused.fields(), ["start"]);
        let message = refused.body["error"]["details"][0]["message"].as_str().unwrap();
        assert!(message.contains(&third.to_string()), "{message}");
        assert!(!message.contains(&day.to_string()), "only the taken date is named: {message}");
        let booked = app.get(&format!("/v2/bookings?eventTypeId={id}")).await;
        assert_eq!(booked.data(), &json!([]), "nothing of the series was booked");
    }

    async fn occurrences_are_cancelled_alone_or_with_the_rest_and_moved_alone(app: TestApp) {
        let day = monday_before_dst_change();
        let id = weekly_type(&app, 6).await;
        let made = app.call_anonymous(Method::POST, "/v2/bookings", Some(series_request(id, &utc(Berlin, day, "09:00"), "ann@acme.com", 4))).await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        let uids: Vec<String> = made.data().as_array().unwrap().iter().map(|b| b["uid"].as_str().unwrap().to_string()).collect();
        let series = made.data()[0]["recurringBookingUid"].clone();

        let moved = app.call_anonymous(Method::POST, &format!("/v2/bookings/{}/reschedule", uids[1]), Some(json!({"start": utc(Berlin, day + Duration::days(8), "09:00")}))).await;
        assert_eq!(moved.status, 201, "{:?}", moved.body);
        assert_eq!(moved.data()["recurringBookingUid"], series, "a moved occurrence stays in its series");
        let moved_uid = moved.data()["uid"].as_str().unwrap().to_string();

        let one = app.call_anonymous(Method::POST, &format!("/v2/bookings/{}/cancel", uids[3]), Some(json!({}))).await;
        assert_eq!(one.status, 200, "{:?}", one.body);
        assert_eq!(one.data()["status"], "cancelled");
        let first = app.get(&format!("/v2/bookings/{}", uids[0])).await;
        assert_eq!(first.data()["status"], "accepted", "cancelling one occurrence leaves the others");

        let rest = app.call_anonymous(Method::POST, &format!("/v2/bookings/{}/cancel", moved_uid), Some(json!({"cancelSubsequentBookings": true}))).await;
        assert_eq!(rest.status, 200, "{:?}", rest.body);
        let cancelled: Vec<&str> = rest.data().as_array().unwrap().iter().map(|b| b["uid"].as_str().unwrap()).collect();
        assert_eq!(cancelled, [moved_uid.as_str(), uids[2].as_str()], "this occurrence and the later live ones");
        let first = app.get(&format!("/v2/bookings/{}", uids[0])).await;
        assert_eq!(first.data()["status"], "accepted", "earlier occurrences stay");
        let third = app.get(&format!("/v2/bookings/{}", uids[2])).await;
        assert_eq!(third.data()["status"], "cancelled");
    }

    async fn recurrence_options_are_checked(app: TestApp) {
        let bad = app.post("/v2/event-types", json!({"title": "R", "slug": "r", "lengthInMinutes": 30,
            "recurrence": {"frequency": "yearly", "interval": 1, "occurrences": 5}})).await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.fields(), ["recurrence.frequency"]);
        let seated = app.post("/v2/event-types", json!({"title": "R", "slug": "r", "lengthInMinutes": 30,
            "seats": {"seatsPerTimeSlot": 2},
            "recurrence": {"frequency": "weekly", "occurrences": 5}})).await;
        assert_eq!(seated.status, 422);
        assert_eq!(seated.fields(), ["recurrence"]);
    }
}
