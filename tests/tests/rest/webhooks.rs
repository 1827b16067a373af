//! `/v2/webhooks` and deliveries, against a real HTTP receiver on loopback.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use chrono::Weekday;
use chrono_tz::Europe::Berlin;
use convene_tests::{next, on_both_databases, on_both_databases_with_jobs, until};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{assert_page_params_are_checked, booking, ids, utc, walk};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(super) struct Received {
    headers: HeaderMap,
    pub(super) body: String,
}

/// A webhook subscriber on loopback that answers with `script` in turn (then 200).
#[derive(Clone)]
pub(super) struct Receiver {
    pub(super) url: String,
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Vec<u16>>>,
}

impl Receiver {
    pub(super) async fn start(script: Vec<u16>) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script));
        let (g, s) = (got.clone(), script.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (g, s) = (g.clone(), s.clone());
                async move {
                    g.lock().unwrap().push(Received { headers, body });
                    let mut s = s.lock().unwrap();
                    let code = if s.is_empty() { 200 } else { s.remove(0) };
                    StatusCode::from_u16(code).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, got, script }
    }

    fn answer_always(&self, code: u16) {
        *self.script.lock().unwrap() = vec![code; 10_000];
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (at most 20 s).
    pub(super) async fn wait_for(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        while self.got.lock().unwrap().len() < n {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "only {} of {n} requests arrived",
                self.received().len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.received()
    }
}

fn hmac_hex(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

on_both_databases_with_jobs! {
    async fn created_rescheduled_and_cancelled_arrive_signed(app: TestApp) {
        let receiver = Receiver::start(vec![]).await;
        let created = app.post("/v2/webhooks", json!({
            "subscriberUrl": receiver.url, "secret": "s3cret",
            "triggers": ["BOOKING_CREATED", "BOOKING_RESCHEDULED", "BOOKING_CANCELLED"],
        })).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        assert_eq!(created.data()["hasSecret"], true);
        assert!(created.data().get("secret").is_none(), "the secret is never answered");

        let day = next(Weekday::Mon);
        let id = app.event_type_id("30min").await;
        let booked = app.post("/v2/bookings", booking(id, &utc(Berlin, day, "09:00"), "hooked@acme.com")).await;
        let uid = booked.data()["uid"].as_str().unwrap().to_string();
        let moved = app.post(&format!("/v2/bookings/{uid}/reschedule"), json!({"start": utc(Berlin, day, "10:00")})).await;
        let new_uid = moved.data()["uid"].as_str().unwrap().to_string();
        app.post(&format!("/v2/bookings/{new_uid}/cancel"), json!({"cancellationReason": "done"})).await;

        let got = receiver.wait_for(3).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.received().len(), 3, "each event arrives once");
        let mut seen = Vec::new();
        for r in &got {
            let signature = r.headers["x-cal-signature-256"].to_str().unwrap();
            assert_eq!(signature, hmac_hex("s3cret", &r.body), "signed over the raw body");
            assert_eq!(r.headers["x-cal-webhook-version"], "2021-10-20");
            let body: Value = serde_json::from_str(&r.body).unwrap();
            seen.push((body["triggerEvent"].as_str().unwrap().to_string(), body["payload"]["uid"].as_str().unwrap().to_string()));
            assert_eq!(body["payload"]["attendees"][0]["email"], "hooked@acme.com");
            assert_eq!(body["payload"]["organizer"]["username"], "demo");
        }
        seen.sort();
        assert_eq!(seen, [
            ("BOOKING_CANCELLED".to_string(), new_uid.clone()),
            ("BOOKING_CREATED".to_string(), uid.clone()),
            ("BOOKING_RESCHEDULED".to_string(), new_uid.clone()),
        ]);
        let ids: std::collections::HashSet<_> = got.iter().map(|r| r.headers["x-convene-delivery-id"].clone()).collect();
        assert_eq!(ids.len(), 3, "every delivery has its own id");
    }

    async fn a_failing_receiver_gets_the_event_on_the_third_attempt(app: TestApp) {
        let receiver = Receiver::start(vec![500, 500]).await;
        let hook = app.post("/v2/webhooks", json!({"subscriberUrl": receiver.url, "triggers": ["BOOKING_CREATED"]})).await;
        let hook_id = hook.data()["id"].as_i64().unwrap();
        let id = app.event_type_id("30min").await;
        app.post("/v2/bookings", booking(id, &utc(Berlin, next(Weekday::Tue), "09:00"), "retry@acme.com")).await;
        let got = receiver.wait_for(3).await;
        assert_eq!(got[0].headers["x-convene-delivery-id"], got[2].headers["x-convene-delivery-id"], "retries carry the same delivery id");
        assert_eq!(got[2].headers["x-convene-attempt"], "3");
        assert_eq!(got[0].headers["x-cal-signature-256"], "no-secret-provided");
        until("the delivery log to show it delivered", async || {
            app.get(&format!("/v2/webhooks/{hook_id}/deliveries")).await.data()[0]["status"] == "delivered"
        }).await;
        let log = app.get(&format!("/v2/webhooks/{hook_id}/deliveries")).await;
        let codes: Vec<Value> = log.data()[0]["log"].as_array().unwrap().iter().map(|a| a["statusCode"].clone()).collect();
        assert_eq!(codes, [json!(500), json!(500), json!(200)]);
        let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
        for outcome in ["retry", "delivered"] {
            assert!(
                metrics.contains(&format!("webhook_delivery_attempts_total{{outcome=\"{outcome}\"}}")),
                "attempts are counted by outcome: {metrics}"
            );
        }
    }

    async fn a_dead_letter_replays_once_the_receiver_is_back(app: TestApp) {
        let receiver = Receiver::start(vec![]).await;
        receiver.answer_always(503);
        let hook = app.post("/v2/webhooks", json!({"subscriberUrl": receiver.url, "triggers": ["BOOKING_CREATED"]})).await;
        let hook_id = hook.data()["id"].as_i64().unwrap();
        let id = app.event_type_id("30min").await;
        app.post("/v2/bookings", booking(id, &utc(Berlin, next(Weekday::Wed), "09:00"), "dead@acme.com")).await;
        until("the delivery to be dead", async || {
            app.get(&format!("/v2/webhooks/{hook_id}/deliveries")).await.data()[0]["status"] == "dead"
        }).await;
        assert_eq!(receiver.received().len(), 5, "five attempts, then the dead letter");
        receiver.answer_always(200);
        let replayed = app.post(&format!("/v2/webhooks/{hook_id}/replay-dead"), json!({})).await;
        assert_eq!(replayed.data()["replayed"], 1);
        receiver.wait_for(6).await;
        until("the replay to be delivered", async || {
            app.get(&format!("/v2/webhooks/{hook_id}/deliveries")).await.data()[0]["status"] == "delivered"
        }).await;
        let again = app.post(&format!("/v2/webhooks/{hook_id}/replay-dead"), json!({})).await;
        assert_eq!(again.data()["replayed"], 0, "nothing is dead any more");
    }

    async fn templates_scopes_and_switching_off(app: TestApp) {
        let receiver = Receiver::start(vec![]).await;
        let other = app.post("/v2/event-types", json!({"title": "Other", "slug": "other", "lengthInMinutes": 30})).await;
        let other_id = other.data()["id"].as_i64().unwrap();
        let hook = app.post("/v2/webhooks", json!({
            "subscriberUrl": receiver.url, "triggers": ["BOOKING_CREATED"], "eventTypeId": other_id,
            "payloadTemplate": "{\"who\": \"{{payload.attendees[0].name}}\", \"event\": {{triggerEvent}}}",
        })).await;
        assert_eq!(hook.status, 201, "{:?}", hook.body);
        let hook_id = hook.data()["id"].as_i64().unwrap();
        let day = next(Weekday::Thu);
        let thirty = app.event_type_id("30min").await;
        app.post("/v2/bookings", booking(thirty, &utc(Berlin, day, "09:00"), "a@acme.com")).await;
        let mut quoted = booking(other_id, &utc(Berlin, day, "10:00"), "b@acme.com");
        quoted["attendee"]["name"] = json!("Jane \"JJ\" Doe");
        app.post("/v2/bookings", quoted).await;
        let got = receiver.wait_for(1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.received().len(), 1, "only the scoped event type's booking");
        let body: Value = serde_json::from_str(&got[0].body).unwrap();
        assert_eq!(body, json!({"who": "Jane \"JJ\" Doe", "event": "BOOKING_CREATED"}));

        // A receiver that fails every attempt switches the subscription off after 20 in a row.
        receiver.answer_always(500);
        for time in ["11:00", "13:00", "14:00", "15:00"] {
            app.post("/v2/bookings", booking(other_id, &utc(Berlin, day, time), "c@acme.com")).await;
        }
        until("the subscription to be switched off", async || {
            app.get(&format!("/v2/webhooks/{hook_id}")).await.data()["active"] == false
        }).await;
        let off = app.get(&format!("/v2/webhooks/{hook_id}")).await;
        assert!(off.data()["disabledReason"].as_str().unwrap().contains("20"), "{:?}", off.body);

        // Its owner is told once, in the notices, and can mark the notice read.
        let notices = app.get("/v2/me/notifications").await;
        assert_eq!(notices.status, 200, "{:?}", notices.body);
        let list = notices.data().as_array().unwrap().clone();
        assert_eq!(list.len(), 1, "one notice: {list:?}");
        assert_eq!(list[0]["kind"], "WEBHOOK_DISABLED");
        assert_eq!(list[0]["subject"], format!("webhook:{hook_id}"));
        assert!(list[0]["message"].as_str().unwrap().contains(receiver.url.as_str()), "{list:?}");
        assert_eq!(list[0]["readAt"], Value::Null);
        assert_eq!(notices.body["pagination"]["hasMore"], false);
        let read = app.post(&format!("/v2/me/notifications/{}/read", list[0]["id"]), json!({})).await;
        assert_eq!(read.status, 200, "{:?}", read.body);
        assert!(read.data()["readAt"].is_string(), "{:?}", read.body);
        let again = app.post(&format!("/v2/me/notifications/{}/read", list[0]["id"]), json!({})).await;
        assert_eq!(again.data()["readAt"], read.data()["readAt"], "the first read time stays");
        let missing = app.post("/v2/me/notifications/999999/read", json!({})).await;
        assert_eq!((missing.status.as_u16(), missing.code()), (404, "NOT_FOUND"));
        let graphql = app.post("/graphql", json!({"query": "{ notifications { items { kind readAt } hasMore } }"})).await;
        assert_eq!(
            graphql.body["data"]["notifications"],
            json!({"items": [{"kind": "WEBHOOK_DISABLED", "readAt": read.data()["readAt"]}], "hasMore": false})
        );
        let anonymous = app.call_anonymous(Method::GET, "/v2/me/notifications", None).await;
        assert_eq!(anonymous.status.as_u16(), 401);
    }

    async fn the_delivery_log_pages_newest_first(app: TestApp) {
        let receiver = Receiver::start(vec![]).await;
        let hook = app.post("/v2/webhooks", json!({"subscriberUrl": receiver.url, "triggers": ["BOOKING_CREATED"]})).await;
        let path = format!("/v2/webhooks/{}/deliveries", hook.data()["id"]);
        let id = app.event_type_id("30min").await;
        let day = next(Weekday::Fri);
        for time in ["09:00", "09:30", "10:00", "10:30", "11:00"] {
            app.post("/v2/bookings", booking(id, &utc(Berlin, day, time), "logged@acme.com")).await;
        }
        receiver.wait_for(5).await;
        // The receiver has its requests a moment before each attempt is logged.
        until("every delivery's attempt to be logged", async || {
            let all = app.get(&path).await;
            all.data().as_array().is_some_and(|d| {
                d.len() == 5 && d.iter().all(|x| x["log"].as_array().is_some_and(|log| !log.is_empty()))
            })
        })
        .await;
        let all = app.get(&path).await;
        let expected = ids(all.data().as_array().unwrap());
        assert_eq!(expected.len(), 5, "{:?}", all.body);
        assert!(expected.is_sorted_by(|a, b| a > b), "newest first: {expected:?}");
        let (items, pages) = walk(&app, &path).await;
        assert_eq!((ids(&items), pages), (expected, 3));
        assert!(items.iter().all(|d| d["log"].as_array().is_some_and(|log| !log.is_empty())), "each with its attempts");
        assert_page_params_are_checked(&app, &path).await;
    }

    async fn subscriptions_are_checked_and_private(app: TestApp) {
        for (body, field) in [
            (json!({"subscriberUrl": "ftp://example.com/hook"}), "subscriberUrl"),
            (json!({"subscriberUrl": "http://169.254.169.254/latest/meta-data"}), "subscriberUrl"),
            (json!({"subscriberUrl": "https://example.com/hook", "triggers": ["BOOKING_EXPLODED"]}), "triggers[0]"),
            (json!({"subscriberUrl": "https://example.com/hook", "payloadTemplate": "{\"a\": {{payload.uid}"}), "payloadTemplate"),
            (json!({"triggers": ["BOOKING_CREATED"]}), "subscriberUrl"),
        ] {
            let answer = app.post("/v2/webhooks", body.clone()).await;
            assert_eq!((answer.status.as_u16(), answer.fields()), (422, vec![field.to_string()]), "{body}: {:?}", answer.body);
        }
        let mine = app.post("/v2/webhooks", json!({"subscriberUrl": "https://example.com/hook"})).await;
        let id = mine.data()["id"].as_i64().unwrap();
        assert_eq!(mine.data()["triggers"].as_array().unwrap().len(), 13, "all triggers by default");
        let anonymous = app.call_anonymous(Method::GET, &format!("/v2/webhooks/{id}"), None).await;
        assert_eq!(anonymous.status, 401);
        let patched = app.call(Method::PATCH, &format!("/v2/webhooks/{id}"), Some(json!({"active": false}))).await;
        assert_eq!(patched.data()["active"], false);
        assert_eq!(app.call(Method::DELETE, &format!("/v2/webhooks/{id}"), None).await.status, 200);
        assert_eq!(app.get(&format!("/v2/webhooks/{id}")).await.status, 404);
    }
}

on_both_databases! {
    async fn subscriptions_page_with_a_cursor(app: TestApp) {
        for i in 0..5 {
            let created = app.post("/v2/webhooks", json!({"subscriberUrl": format!("https://example.com/hook/{i}")})).await;
            assert_eq!(created.status, 201, "{:?}", created.body);
        }
        let all = app.get("/v2/webhooks").await;
        let expected = ids(all.data().as_array().unwrap());
        assert_eq!(expected.len(), 5);
        assert!(expected.is_sorted_by(|a, b| a < b), "oldest first: {expected:?}");
        let (items, pages) = walk(&app, "/v2/webhooks").await;
        assert_eq!((ids(&items), pages), (expected.clone(), 3));
        assert_page_params_are_checked(&app, "/v2/webhooks").await;

        // A cursor names a row, not a position: deleting a row already seen skips nothing.
        let first = app.get("/v2/webhooks?limit=2").await;
        let cursor = first.body["pagination"]["nextCursor"].as_str().unwrap().to_string();
        app.call(Method::DELETE, &format!("/v2/webhooks/{}", expected[0]), None).await;
        let second = app.get(&format!("/v2/webhooks?limit=2&cursor={cursor}")).await;
        assert_eq!(ids(second.data().as_array().unwrap()), expected[2..4]);
    }
}
