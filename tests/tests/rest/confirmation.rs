//! Confirmation only on short notice, and pending bookings that expire unconfirmed.

use chrono::{Duration, Utc, Weekday};
use chrono_tz::Europe::Berlin;
use convene::domain::booking::BookingStatus;
use convene::domain::ids::{EventTypeId, OrgId};
use convene::domain::span::Span;
use convene_tests::{next, on_both_databases, on_both_databases_with_jobs, until};
use reqwest::Method;
use serde_json::json;

use super::{booking, local, utc};

on_both_databases! {
    async fn only_short_notice_bookings_wait_for_the_host(app: TestApp) {
        let created = app.post("/v2/event-types", json!({
            "title": "Call", "slug": "call", "lengthInMinutes": 30,
            "confirmationPolicy": {"type": "time", "noticeThreshold": {"unit": "hours", "count": 720}},
        })).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let e = created.data();
        assert_eq!(e["requiresConfirmation"], true);
        assert_eq!(e["requiresConfirmationThresholdMin"], 43200);
        assert_eq!(e["confirmationPolicy"]["type"], "time");
        let id = e["id"].as_i64().unwrap();

        let soon = next(Weekday::Mon);
        let short = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, soon, "10:00"), "a@acme.com"))).await;
        assert_eq!(short.status, 201, "{:?}", short.body);
        assert_eq!(short.data()["status"], "pending", "booked with less than 30 days' notice");
        let slots = app.get(&format!("/v2/slots?eventTypeId={id}&start={soon}&end={soon}&timeZone=Europe/Berlin")).await;
        let offered = slots.data()[soon.to_string()].as_array().unwrap();
        assert!(!offered.iter().any(|s| s["start"] == json!(local(Berlin, soon, "10:00"))), "a pending booking holds its slot");
        let same = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, soon, "10:00"), "b@acme.com"))).await;
        assert_eq!(same.status, 409);

        let later = soon + Duration::days(35);
        let long = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, later, "10:00"), "c@acme.com"))).await;
        assert_eq!(long.data()["status"], "accepted", "booked with more notice: no confirmation");

        let always = app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"requiresConfirmationThresholdMin": 0}))).await;
        assert_eq!(always.data()["confirmationPolicy"]["type"], "always");
        let any = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, later, "11:00"), "d@acme.com"))).await;
        assert_eq!(any.data()["status"], "pending");

        let bad = app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"confirmationPolicy": {"type": "time", "noticeThreshold": {"unit": "days", "count": 1}}}))).await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.fields(), ["confirmationPolicy.noticeThreshold.unit"]);
    }
}

on_both_databases_with_jobs! {
    async fn a_booking_unconfirmed_at_its_start_expires_and_frees_its_slot(app: TestApp) {
        let host = app.demo_caller().await.user_id;
        let event_type = EventTypeId(app.event_type_id("30min").await);
        let now = Utc::now();
        let pending = |start: chrono::DateTime<Utc>| {
            let mut b = convene_tests::seed::booking(OrgId(1), event_type, host, Span::new(start, start + Duration::minutes(30)), now - Duration::days(2));
            b.status = BookingStatus::Pending;
            b
        };
        let receiver = crate::webhooks::Receiver::start(vec![]).await;
        let hook = app.post("/v2/webhooks", json!({"subscriberUrl": receiver.url, "triggers": ["BOOKING_REJECTED"]})).await;
        assert_eq!(hook.status, 201, "{:?}", hook.body);
        let started = convene::store::bookings::insert(&app.db, &pending(now - Duration::minutes(10))).await.unwrap();
        let ahead = convene::store::bookings::insert(&app.db, &pending(now + Duration::days(3))).await.unwrap();

        until("the started booking to expire", async || {
            app.get(&format!("/v2/bookings/{}", started.uid)).await.data()["status"] == "rejected"
        }).await;
        let expired = app.get(&format!("/v2/bookings/{}", started.uid)).await;
        assert_eq!(expired.data()["cancellationReason"], convene::app::expiry::EXPIRED_REASON);
        let held = convene::store::bookings::held_times(&app.db, host, started.busy).await.unwrap();
        assert!(held.is_empty(), "the host's time is free again: {held:?}");
        let still = app.get(&format!("/v2/bookings/{}", ahead.uid)).await;
        assert_eq!(still.data()["status"], "pending", "a booking not yet begun waits for the host");
        let got = receiver.wait_for(1).await;
        let body: serde_json::Value = serde_json::from_str(&got[0].body).unwrap();
        assert_eq!(body["triggerEvent"], "BOOKING_REJECTED");
        assert_eq!(body["payload"]["uid"], json!(started.uid));
    }
}
