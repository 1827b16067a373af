//! Inbound provider webhooks end to end: `POST /hooks/{installation}` keeps the raw
//! request and answers 202, the worker has the installation's plugin read it, and the
//! change lands on the booking it concerns. Forged, repeated and crashing deliveries.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use convene::store::inbound::{self, InboundStatus};
use convene_tests::crm::{book, tuesday};
use convene_tests::plugins::{install, link, settled};
use convene_tests::{TestApp, on_both_databases_with_jobs, until};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "whsec_inbound";

fn signature(body: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Sends a webhook as the provider would; the inbound event's id.
async fn deliver(app: &TestApp, installation: i64, event: Value, secret: &str) -> i64 {
    let body = serde_json::to_vec(&event).unwrap();
    let answer = app
        .send(
            app.client
                .request(Method::POST, format!("{}/hooks/{installation}", app.base))
                .header("x-example-signature", signature(&body, secret))
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
    assert_eq!(answer.status, 202, "{:?}", answer.body);
    answer.data()["id"].as_i64().unwrap()
}

fn moved(event_id: &str, external_id: &str, start: &str) -> Value {
    let start: DateTime<Utc> = start.parse().unwrap();
    json!({"id": event_id, "type": "booking.moved", "booking": {
        "id": external_id, "start": start.timestamp_millis(),
        "end": start.timestamp_millis() + 30 * 60 * 1000}})
}

on_both_databases_with_jobs! {
    async fn a_provider_move_reschedules_the_linked_booking_once(app: TestApp) {
        let installation = install(&app, "example", &[("webhook_secret", SECRET)]).await;
        let uid = book(&app, "09:00", "jane@acme.com").await;
        link(&app, installation, &uid, "ext-1").await;

        let id = deliver(&app, installation, moved("evt-1", "ext-1", &tuesday("11:00")), SECRET).await;
        let event = settled(&app, id).await;
        assert_eq!(event.status, InboundStatus::Applied, "{:?}", event.last_error);
        assert_eq!(event.provider_event_id.as_deref(), Some("evt-1"));

        let old = app.get(&format!("/v2/bookings/{uid}")).await;
        assert_eq!(old.data()["status"], "cancelled");
        let new_uid = old.data()["rescheduledToUid"].as_str().unwrap().to_string();
        let new = app.get(&format!("/v2/bookings/{new_uid}")).await;
        assert_eq!(new.data()["status"], "accepted");
        assert_eq!(new.data()["start"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(),
                   tuesday("11:00").parse::<DateTime<Utc>>().unwrap());

        // The provider delivers the same event again: applied once.
        let again = deliver(&app, installation, moved("evt-1", "ext-1", &tuesday("11:00")), SECRET).await;
        let again = settled(&app, again).await;
        assert_eq!(again.status, InboundStatus::Applied, "{:?}", again.last_error);
        let live = app.get("/v2/bookings?status=upcoming").await;
        let live: Vec<&Value> = live.data().as_array().unwrap().iter()
            .filter(|b| b["attendees"][0]["email"] == "jane@acme.com").collect();
        assert_eq!(live.len(), 1, "one live booking after a repeated move: {live:?}");

        // And the provider cancels it.
        let cancel = json!({"id": "evt-2", "type": "booking.cancelled", "booking": {"id": "ext-1", "start": 0, "end": 0}});
        let cancelled = settled(&app, deliver(&app, installation, cancel, SECRET).await).await;
        assert_eq!(cancelled.status, InboundStatus::Applied, "{:?}", cancelled.last_error);
        let new = app.get(&format!("/v2/bookings/{new_uid}")).await;
        assert_eq!(new.data()["status"], "cancelled");
    }

    async fn stale_and_echoing_changes_are_skipped_under_the_sync_rules(app: TestApp) {
        let installation = install(&app, "example", &[("webhook_secret", SECRET)]).await;
        let uid = book(&app, "09:00", "jane@acme.com").await;
        link(&app, installation, &uid, "ext-1").await;
        let upsert = |event: &str, start: &str, updated: i64| {
            let start: DateTime<Utc> = start.parse().unwrap();
            json!({"id": event, "type": "booking.created", "booking": {"id": "ext-1",
                   "start": start.timestamp_millis(), "end": start.timestamp_millis() + 30 * 60 * 1000,
                   "status": "accepted", "updated": updated}})
        };
        let outcome = async |event: Value| {
            let event = settled(&app, deliver(&app, installation, event, SECRET).await).await;
            assert_eq!(event.status, InboundStatus::Applied, "{:?}", event.last_error);
            event.outcome.unwrap()
        };
        assert!(outcome(upsert("e1", &tuesday("11:00"), 2_000)).await.starts_with("moved booking"));
        // Delivered late: the provider changed it before the one already applied.
        let stale = outcome(upsert("e0", &tuesday("10:00"), 1_000)).await;
        assert!(stale.contains("skipped, a newer change was already applied"), "{stale}");
        assert!(outcome(upsert("e2", &tuesday("14:00"), 3_000)).await.starts_with("moved booking"));
        // A third change within the minute waits for the minute to end (coalesced with
        // any later one), so two systems echoing each other are slowed, not lost.
        let echo = outcome(moved("e3", "ext-1", &tuesday("15:00"))).await;
        assert!(echo.contains("held back until") && echo.contains("two changes already reached it this minute"), "{echo}");
        let live = app.get("/v2/bookings?status=upcoming").await;
        let starts: Vec<DateTime<Utc>> = live.data().as_array().unwrap().iter()
            .map(|b| b["start"].as_str().unwrap().parse().unwrap()).collect();
        assert_eq!(starts, [tuesday("14:00").parse::<DateTime<Utc>>().unwrap()]);
    }

    async fn a_forged_webhook_is_kept_dead_and_the_owner_told(app: TestApp) {
        let installation = install(&app, "example", &[("webhook_secret", SECRET)]).await;
        let uid = book(&app, "09:00", "jane@acme.com").await;
        link(&app, installation, &uid, "ext-1").await;
        let id = deliver(&app, installation, moved("evt-9", "ext-1", &tuesday("13:00")), "forged").await;
        let event = settled(&app, id).await;
        assert_eq!(event.status, InboundStatus::Dead);
        assert_eq!(event.attempts, 1, "a bad signature is not retried");
        assert!(event.last_error.as_deref().unwrap().contains("signature"), "{:?}", event.last_error);
        assert!(!event.body.is_empty(), "the raw body is kept");
        let booking = app.get(&format!("/v2/bookings/{uid}")).await;
        assert_eq!(booking.data()["status"], "accepted", "nothing applied");
        let notices = app.get("/v2/me/notifications").await;
        assert_eq!(notices.data()[0]["kind"], "INBOUND_WEBHOOK_FAILED", "{:?}", notices.body);
    }

    async fn a_plugin_that_keeps_crashing_is_switched_off_and_its_admins_told(app: TestApp) {
        let installation = install(&app, "hostile", &[("behaviour", "panic")]).await;
        let enabled = async || {
            let listed = app.graphql("{ pluginInstallations { id enabled } }", json!({})).await;
            listed["pluginInstallations"].as_array().unwrap().iter()
                .find(|i| i["id"].as_str() == Some(&installation.to_string())).unwrap()["enabled"].as_bool().unwrap()
        };
        // Each event is tried four times; its pulls crash too. Ten crashes in a row
        // switch it off.
        let first = deliver(&app, installation, json!({"n": 1}), SECRET).await;
        assert_eq!(settled(&app, first).await.status, InboundStatus::Dead);
        assert!(enabled().await, "a few crashes leave it on");
        let mut n = 1;
        while enabled().await {
            n += 1;
            assert!(n <= 4, "switched off by the tenth crash");
            let event = deliver(&app, installation, json!({ "n": n }), SECRET).await;
            until("its attempts, or the switch-off", async || {
                let event = inbound::find(&app.db, None, event).await.unwrap().unwrap();
                event.status == InboundStatus::Dead || !enabled().await
            })
            .await;
        }
        let notices = app.get("/v2/me/notifications").await;
        let disabled: Vec<&Value> = notices.data().as_array().unwrap().iter()
            .filter(|n| n["kind"] == "PLUGIN_DISABLED").collect();
        assert_eq!(disabled.len(), 1, "{:?}", notices.body);
        assert_eq!(disabled[0]["subject"], format!("installation:{installation}"));
        let message = disabled[0]["message"].as_str().unwrap();
        assert!(message.contains("after 10 calls in a row") && message.contains("crashed"), "{message}");

        // What arrives meanwhile waits for it to be switched on again; none is lost.
        let later = deliver(&app, installation, json!({"n": "later"}), SECRET).await;
        until("an attempt that finds it off", async || {
            let event = inbound::find(&app.db, None, later).await.unwrap().unwrap();
            event.last_error.as_deref().is_some_and(|e| e.contains("disabled"))
        })
        .await;
        let event = inbound::find(&app.db, None, later).await.unwrap().unwrap();
        assert_ne!(event.status, InboundStatus::Dead, "kept for later: {event:?}");
    }

    async fn a_crashing_plugin_is_retried_then_dead_and_the_server_keeps_serving(app: TestApp) {
        let installation = install(&app, "hostile", &[("behaviour", "panic")]).await;
        let started = Instant::now();
        let id = deliver(&app, installation, json!({"anything": 1}), SECRET).await;
        assert!(started.elapsed() < Duration::from_secs(2), "answered at once");
        let slots = app.get(&format!(
            "/v2/slots?username=demo&eventTypeSlug=30min&start={}&end={}",
            &tuesday("00:00")[..10], &tuesday("00:00")[..10])).await;
        assert_eq!(slots.status, 200, "slots still served");
        // Another installation keeps working while this one crashes.
        let example = install(&app, "example", &[("webhook_secret", SECRET)]).await;
        let uid = book(&app, "09:00", "jane@acme.com").await;
        link(&app, example, &uid, "ext-1").await;
        let fine = deliver(&app, example, moved("evt-1", "ext-1", &tuesday("11:00")), SECRET).await;
        assert_eq!(settled(&app, fine).await.status, InboundStatus::Applied);
        let event = settled(&app, id).await;
        assert_eq!(event.status, InboundStatus::Dead);
        assert_eq!(event.attempts, 4, "the first attempt and three retries");
        assert!(event.last_error.as_deref().unwrap().contains("crashed"), "{:?}", event.last_error);

        // The admin finds it among the dead, with why, and replays it.
        let dead = app.graphql("{ inboundEvents(status: DEAD) { items { id installationId attempts lastError } } }",
                               json!({})).await;
        let listed = &dead["inboundEvents"]["items"];
        assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed[0]["id"], id.to_string());
        assert_eq!(listed[0]["installationId"], installation.to_string());
        assert_eq!(listed[0]["attempts"], 4);
        let replayed = app.graphql("mutation($id: ID!) { replayInboundEvent(id: $id) { status nextAttemptAt } }",
                                   json!({"id": id.to_string()})).await;
        assert_eq!(replayed["replayInboundEvent"]["status"], "RECEIVED");
        assert_eq!(settled(&app, id).await.status, InboundStatus::Dead, "replayed, and failed again");
    }
}
