//! Out of office end to end on SQLite and PostgreSQL: slots vanish for the range,
//! bookings go to the teammate named, round robins skip the absent host, and bad
//! entries are refused naming the field.

use chrono::{NaiveDate, Weekday};
use convene_tests::{TestApp, berlin, next, on_both_databases};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn key(user: &Value) -> &str {
    user["apiKey"].as_str().expect("an API key")
}

/// A 30-minute personal event type `chat` of `user`.
async fn chat(app: &TestApp, user: &Value) {
    let created = app
        .call_as(
            key(user),
            Method::POST,
            "/v2/event-types",
            Some(json!({"title": "Chat", "slug": "chat", "lengthInMinutes": 30})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
}

/// `user`'s absence on `day` (a whole Berlin day), sending invitees to `to`.
async fn away(
    app: &TestApp,
    user: &Value,
    day: NaiveDate,
    to: Option<&Value>,
) -> convene_tests::Answer {
    app.call_as(
        key(user),
        Method::POST,
        "/v2/me/ooo",
        Some(json!({
            "start": day.to_string(), "end": day.to_string(), "reason": "vacation",
            "notes": "Skiing", "toUserId": to.map(|t| t["id"].clone()),
        })),
    )
    .await
}

/// The Berlin starts of `path`'s slots on `day`.
async fn slots(app: &TestApp, query: &str, day: NaiveDate) -> Vec<String> {
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
        .map(|s| {
            s.iter()
                .map(|s| s["start"].as_str().unwrap()[11..16].to_string())
                .collect()
        })
        .unwrap_or_default()
}

on_both_databases! {
    async fn slots_vanish_and_bookings_go_to_the_teammate(app: TestApp) {
        let alice = app.add_user("alice", "MEMBER").await;
        let bob = app.add_user("bob", "MEMBER").await;
        chat(&app, &alice).await;
        chat(&app, &bob).await;
        let day = next(Weekday::Tue);
        let created = away(&app, &alice, day, Some(&bob)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        assert_eq!(created.data()["toUserId"], bob["id"]);
        assert_eq!(created.data()["reason"], "vacation");
        assert!(app.outbox_kinds().await.contains(&"OOO_CREATED".to_string()));

        assert!(slots(&app, "username=alice&eventTypeSlug=chat", day).await.is_empty(), "away all day");
        let next_day = day.succ_opt().unwrap();
        assert_eq!(slots(&app, "username=alice&eventTypeSlug=chat", next_day).await.first().map(String::as_str), Some("09:00"));

        let booked = app.book_as_jane(json!({"username": "alice", "eventTypeSlug": "chat", "start": berlin(day, 10)})).await;
        assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);
        assert_eq!(booked.data()["hosts"][0]["username"], "bob", "redirected to the teammate");
        assert_eq!(booked.data()["eventType"]["slug"], "chat");
        assert!(!slots(&app, "username=bob&eventTypeSlug=chat", day).await.contains(&"10:00".to_string()));

        let listed = app.call_as(key(&alice), Method::GET, "/v2/me/ooo", None).await;
        assert_eq!(listed.data().as_array().unwrap().len(), 1);
        let id = created.data()["id"].as_i64().unwrap();
        let removed = app.call_as(key(&alice), Method::DELETE, &format!("/v2/me/ooo/{id}"), None).await;
        assert_eq!(removed.status, StatusCode::OK);
        assert_eq!(slots(&app, "username=alice&eventTypeSlug=chat", day).await.first().map(String::as_str), Some("09:00"), "back once deleted");
    }

    async fn without_a_teammate_to_take_over_the_booking_is_refused_clearly(app: TestApp) {
        let carol = app.add_user("carol", "MEMBER").await;
        let dave = app.add_user("dave", "MEMBER").await;
        chat(&app, &carol).await;
        let day = next(Weekday::Wed);
        let entry = away(&app, &carol, day, None).await;
        let body = json!({"username": "carol", "eventTypeSlug": "chat", "start": berlin(day, 11)});
        let refused = app.book_as_jane(body.clone()).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{:#}", refused.body);
        assert!(refused.body["error"]["message"].as_str().unwrap().contains("`carol` is out of office"));

        let id = entry.data()["id"].as_i64().unwrap();
        let patched = app.call_as(key(&carol), Method::PATCH, &format!("/v2/me/ooo/{id}"), Some(json!({"toUserId": dave["id"]}))).await;
        assert_eq!(patched.status, StatusCode::OK, "{:#}", patched.body);
        assert_eq!(patched.data()["notes"], "Skiing", "the rest stays");
        let refused = app.book_as_jane(body).await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(refused.body["error"]["message"].as_str().unwrap().contains("`dave`, who has no event type `chat`"), "{:#}", refused.body);
    }

    async fn team_types_skip_the_absent_host(app: TestApp) {
        let alice = app.add_user("alice", "MEMBER").await;
        let bob = app.add_user("bob", "MEMBER").await;
        let team = app.post("/v2/teams", json!({"name": "Sales", "slug": "sales"})).await.data()["id"].clone();
        for user in [&alice, &bob] {
            app.post(&format!("/v2/teams/{team}/memberships"), json!({"userId": user["id"]})).await;
        }
        let hosts = json!([{"userId": alice["id"]}, {"userId": bob["id"]}]);
        for (slug, kind) in [("rr", "ROUND_ROBIN"), ("both", "COLLECTIVE")] {
            let created = app.post(&format!("/v2/teams/{team}/event-types"), json!({
                "title": slug, "slug": slug, "lengthInMinutes": 30, "schedulingType": kind, "hosts": hosts,
            })).await;
            assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        }
        let day = next(Weekday::Thu);
        away(&app, &alice, day, None).await;
        assert!(slots(&app, "teamSlug=sales&eventTypeSlug=both", day).await.is_empty(), "a collective needs everyone");
        assert_eq!(slots(&app, "teamSlug=sales&eventTypeSlug=rr", day).await.len(), 16, "bob alone still offers the day");
        for h in [9, 10, 11] {
            let booked = app.book_as_jane(json!({"teamSlug": "sales", "eventTypeSlug": "rr", "start": berlin(day, h)})).await;
            assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);
            assert_eq!(booked.data()["hosts"][0]["username"], "bob", "alice is away");
        }
        let both = app.book_as_jane(json!({"teamSlug": "sales", "eventTypeSlug": "both", "start": berlin(day, 14)})).await;
        assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY, "{:#}", both.body);
    }

    async fn bad_entries_name_the_field(app: TestApp) {
        let alice = app.add_user("alice", "MEMBER").await;
        let me = alice["id"].clone();
        for (body, field) in [
            (json!({"start": "2030-01-10", "end": "2030-01-09"}), "end"),
            (json!({"start": "soon", "end": "2030-01-09"}), "start"),
            (json!({"end": "2030-01-09"}), "start"),
            (json!({"start": "2030-01-09", "end": "2030-01-09", "reason": "party"}), "reason"),
            (json!({"start": "2030-01-09", "end": "2030-01-09", "toUserId": 987654}), "toUserId"),
            (json!({"start": "2030-01-09", "end": "2030-01-09", "toUserId": me}), "toUserId"),
        ] {
            let answer = app.call_as(key(&alice), Method::POST, "/v2/me/ooo", Some(body.clone())).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(answer.fields(), [field], "{body}");
        }
        let gql = app.graphql_as(key(&alice), "mutation { createOutOfOffice(input: {start: \"2030-01-09T08:00:00Z\", end: \"2030-01-09T12:00:00Z\", reason: \"sick\"}) { id reason start } }", json!({})).await;
        assert_eq!(gql.body["data"]["createOutOfOffice"]["start"], "2030-01-09T08:00:00.000Z", "{:#}", gql.body);
        let listed = app.graphql_as(key(&alice), "{ outOfOffice { items { reason } } }", json!({})).await;
        assert_eq!(listed.body["data"]["outOfOffice"]["items"][0]["reason"], "sick");
        let theirs = app.get("/v2/me/ooo").await;
        assert_eq!(theirs.data().as_array().unwrap().len(), 0, "entries are the caller's own");
    }
}
