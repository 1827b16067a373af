//! A host's own booking limits end to end on SQLite and PostgreSQL: across event
//! types and teams, in slots and at booking time, in the host's zone.

use chrono::{NaiveDate, Weekday};
use convene_tests::{TestApp, berlin, next, on_both_databases};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn key(user: &Value) -> &str {
    user["apiKey"].as_str().expect("an API key")
}

/// A 30-minute personal event type `slug` of `user`.
async fn event_type(app: &TestApp, user: &Value, slug: &str) {
    let created = app
        .call_as(
            key(user),
            Method::POST,
            "/v2/event-types",
            Some(json!({"title": slug, "slug": slug, "lengthInMinutes": 30})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
}

async fn set_limits(app: &TestApp, user: &Value, body: Value) -> convene_tests::Answer {
    app.call_as(key(user), Method::PUT, "/v2/me/booking-limits", Some(body))
        .await
}

async fn slot_count(app: &TestApp, query: &str, day: NaiveDate) -> usize {
    let answer = app
        .call_anonymous(
            Method::GET,
            &format!("/v2/slots?{query}&start={day}&end={day}&timeZone=Europe/Berlin"),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    answer.data()[day.to_string()]
        .as_array()
        .map_or(0, Vec::len)
}

on_both_databases! {
    async fn a_daily_limit_counts_every_event_type(app: TestApp) {
        let alice = app.add_user("alice", "MEMBER").await;
        event_type(&app, &alice, "intro").await;
        event_type(&app, &alice, "review").await;
        let set = set_limits(&app, &alice, json!({"bookingLimitsCount": {"day": 2}, "bookingLimitsDuration": {"week": 600}})).await;
        assert_eq!(set.status, StatusCode::OK, "{:#}", set.body);
        assert_eq!(set.data()["bookingLimitsCount"]["day"], 2);
        let shown = app.call_as(key(&alice), Method::GET, "/v2/me/booking-limits", None).await;
        assert_eq!(shown.data()["bookingLimitsDuration"]["week"], 600);

        let day = next(Weekday::Tue);
        assert_eq!(slot_count(&app, "username=alice&eventTypeSlug=review", day).await, 16);
        let first = app.book_as_jane(json!({"username": "alice", "eventTypeSlug": "intro", "start": berlin(day, 9)})).await;
        assert_eq!(first.status, StatusCode::CREATED, "{:#}", first.body);
        // Listed before the day fills; refused after, though it was offered.
        assert!(slot_count(&app, "username=alice&eventTypeSlug=review", day).await > 0);
        let second = app.book_as_jane(json!({"username": "alice", "eventTypeSlug": "review", "start": berlin(day, 11)})).await;
        assert_eq!(second.status, StatusCode::CREATED, "{:#}", second.body);
        assert_eq!(slot_count(&app, "username=alice&eventTypeSlug=review", day).await, 0, "the day is full across types");
        assert_eq!(slot_count(&app, "username=alice&eventTypeSlug=intro", day.succ_opt().unwrap()).await, 16, "the next day is not");
        let third = app.book_as_jane(json!({"username": "alice", "eventTypeSlug": "review", "start": berlin(day, 14)})).await;
        assert_eq!(third.status, StatusCode::UNPROCESSABLE_ENTITY, "{:#}", third.body);
        assert_eq!(third.fields(), ["start"]);
        assert!(third.body["error"]["message"].as_str().unwrap().contains("daily booking limit"));

        let uid = first.data()["uid"].as_str().unwrap();
        app.call_anonymous(Method::POST, &format!("/v2/bookings/{uid}/cancel"), Some(json!({}))).await;
        let again = app.book_as_jane(json!({"username": "alice", "eventTypeSlug": "review", "start": berlin(day, 14)})).await;
        assert_eq!(again.status, StatusCode::CREATED, "a cancelled booking frees its place");
    }

    async fn a_round_robin_passes_over_a_host_at_their_limit(app: TestApp) {
        let alice = app.add_user("alice", "MEMBER").await;
        let bob = app.add_user("bob", "MEMBER").await;
        let team = app.post("/v2/teams", json!({"name": "Sales", "slug": "sales"})).await.data()["id"].clone();
        for user in [&alice, &bob] {
            app.post(&format!("/v2/teams/{team}/memberships"), json!({"userId": user["id"]})).await;
        }
        let created = app.post(&format!("/v2/teams/{team}/event-types"), json!({
            "title": "Demo", "slug": "demo", "lengthInMinutes": 30, "schedulingType": "ROUND_ROBIN",
            "hosts": [{"userId": alice["id"], "priority": "highest"}, {"userId": bob["id"]}],
        })).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        set_limits(&app, &alice, json!({"bookingLimitsDuration": {"day": 30}})).await;
        let day = next(Weekday::Wed);
        let mut hosts = Vec::new();
        for h in [9, 10, 11] {
            let booked = app.book_as_jane(json!({"teamSlug": "sales", "eventTypeSlug": "demo", "start": berlin(day, h)})).await;
            assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);
            hosts.push(booked.data()["hosts"][0]["username"].as_str().unwrap().to_string());
        }
        assert_eq!(hosts, ["alice", "bob", "bob"], "alice's 30 minutes a day are used by the first");
    }

    async fn bad_limits_name_the_field(app: TestApp) {
        let alice = app.add_user("alice", "MEMBER").await;
        for (body, field) in [
            (json!({"bookingLimitsCount": {"day": 0}}), "bookingLimitsCount.day"),
            (json!({"bookingLimitsDuration": {"month": 600}}), "bookingLimitsDuration.month"),
            (json!({"bookingLimitsCount": {"week": "many"}}), "bookingLimitsCount.week"),
        ] {
            let answer = set_limits(&app, &alice, body.clone()).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(answer.fields(), [field], "{body}");
        }
        let gql = app.graphql_as(key(&alice), "mutation { setMyBookingLimits(input: {bookingLimitsCount: {week: 5}}) { bookingLimitsCount { week } bookingLimitsDuration { disabled } } }", json!({})).await;
        assert_eq!(gql.body["data"]["setMyBookingLimits"]["bookingLimitsCount"]["week"], 5, "{:#}", gql.body);
        let read = app.graphql_as(key(&alice), "{ myBookingLimits { bookingLimitsCount { week } } }", json!({})).await;
        assert_eq!(read.body["data"]["myBookingLimits"]["bookingLimitsCount"]["week"], 5);
    }
}
