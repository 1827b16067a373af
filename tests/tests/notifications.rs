//! Notices for people who must act, on SQLite and PostgreSQL: a booking waiting for its
//! host's confirmation, and the warning an hour before such a booking is declined
//! unconfirmed; each in the app (with an unread count) and by email, once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use convene_tests::crm::tuesday;
use convene_tests::{TestApp, on_both_databases_with_jobs, until};
use reqwest::Method;
use serde_json::{Value, json};

/// Makes the demo host's 30-minute meeting need confirmation; its id.
async fn requires_confirmation(app: &TestApp) -> i64 {
    let id = app.event_type_id("30min").await;
    let patched = app
        .call(
            Method::PATCH,
            &format!("/v2/event-types/{id}"),
            Some(json!({"requiresConfirmation": true})),
        )
        .await;
    assert_eq!(patched.status, 200, "{:#}", patched.body);
    id
}

/// Jane asks for `start`; the pending booking's uid.
async fn request(app: &TestApp, event_type: i64, start: &str) -> String {
    let booked = app
        .book_as_jane(json!({"eventTypeId": event_type, "start": start}))
        .await;
    assert_eq!(booked.status, 201, "{:#}", booked.body);
    assert_eq!(booked.data()["status"], "pending");
    booked.data()["uid"].as_str().unwrap().to_string()
}

/// The demo host's notices of `kind`.
async fn notices(app: &TestApp, kind: &str) -> Vec<Value> {
    let all = app.get("/v2/me/notifications").await;
    all.data()
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

async fn unread(app: &TestApp) -> u64 {
    let rest = app.get("/v2/me/notifications/unread-count").await;
    let gql = app.graphql("{ unreadNotificationCount }", json!({})).await;
    assert_eq!(rest.data()["count"], gql["unreadNotificationCount"]);
    rest.data()["count"].as_u64().unwrap()
}

on_both_databases_with_jobs! {
    async fn a_requested_booking_tells_its_host_in_the_app_and_by_mail(app: TestApp) {
        let event_type = requires_confirmation(&app).await;
        assert_eq!(unread(&app).await, 0);
        let uid = request(&app, event_type, &tuesday("10:00")).await;
        until("the host's notice", async || !notices(&app, "BOOKING_NEEDS_CONFIRMATION").await.is_empty()).await;
        let notice = notices(&app, "BOOKING_NEEDS_CONFIRMATION").await.remove(0);
        assert_eq!(notice["subject"], format!("booking:{uid}"));
        let message = notice["message"].as_str().unwrap();
        assert!(message.starts_with("Jane Doe asked to book \"30 Minute Meeting"), "{message}");
        assert!(message.contains("Tuesday, ") && message.contains("at 10:00 AM (Europe/Berlin)"), "on the host's clock: {message}");
        assert_eq!(unread(&app).await, 1);

        until("the notice's email", async || !app.sent_mail().is_empty()).await;
        let mail = app.sent_mail();
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].subject, "A booking waits for your confirmation");
        let me = app.get("/v2/me").await;
        let host = me.data()["email"].as_str().unwrap();
        assert!(mail[0].to.ends_with(&format!("<{host}>")), "to the host: {:?}", mail[0]);
        assert!(mail[0].text.starts_with(message), "{}", mail[0].text);

        let id = notice["id"].as_i64().unwrap();
        let read = app.post(&format!("/v2/me/notifications/{id}/read"), json!({})).await;
        assert_eq!(read.status, 200);
        assert_eq!(unread(&app).await, 0);
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(app.sent_mail().len(), 1, "mailed once");
    }

    async fn an_unconfirmed_booking_warns_its_host_once_an_hour_before_it_expires(app: TestApp) {
        let event_type = requires_confirmation(&app).await;
        let start = tuesday("10:00");
        let uid = request(&app, event_type, &start).await;
        let confirmed = request(&app, event_type, &tuesday("14:00")).await;
        let answer = app.post(&format!("/v2/bookings/{confirmed}/confirm"), json!({})).await;
        assert_eq!(answer.status, 200, "{:#}", answer.body);
        let start: DateTime<Utc> = start.parse().unwrap();

        app.app.clock.pin(start - chrono::Duration::minutes(61));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(notices(&app, "BOOKING_EXPIRING").await.is_empty(), "not yet");

        app.app.clock.pin(start - chrono::Duration::minutes(59));
        until("the warning", async || !notices(&app, "BOOKING_EXPIRING").await.is_empty()).await;
        app.app.clock.pin(start - chrono::Duration::minutes(5));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let warnings = notices(&app, "BOOKING_EXPIRING").await;
        assert_eq!(warnings.len(), 1, "once, and not for the confirmed booking: {warnings:?}");
        assert_eq!(warnings[0]["subject"], format!("booking:{uid}"));
        assert!(warnings[0]["message"].as_str().unwrap().contains("will be declined at its start"));
        until("the warning's email", async || {
            app.sent_mail().iter().any(|m| m.subject == "An unconfirmed booking is about to be declined")
        })
        .await;
    }
}
