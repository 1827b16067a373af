//! Plugin host benchmark: prints figures, asserts nothing.
//!
//! 1. Loading a component: compiling it, and taking it from the on-disk cache.
//! 2. The cost of one call: a fresh instance from the pre-instantiated component plus
//!    the trivial `manifest` export (every plugin call pays this).
//! 3. A realistic call: the example plugin verifying a signed webhook and reading it.
//! 4. Inbound end to end with an idle queue, on SQLite and PostgreSQL: a provider's
//!    signed "booking moved" webhook POSTed to `/hooks/{installation}` until the booking
//!    it concerns is rescheduled (kept raw, 202, read by the plugin, applied).
//!
//! Run: `scripts/build-plugins && cargo bench -p convene-tests --bench plugins`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, Utc};
use convene::plugins::{Allowlist, CallContext, HostSettings, PluginHost, wit};
use convene::store::inbound::{self, InboundStatus};
use convene_tests::bench::{bench_event_type, report};
use convene_tests::plugins::{install, link, wasm};
use convene_tests::{Backend, TestApp, next};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::json;
use sha2::Sha256;

const CALLS: usize = 5_000;

#[tokio::main]
async fn main() {
    let cache = std::env::temp_dir().join(format!("convene-bench-cache-{}", std::process::id()));
    let settings = HostSettings {
        cache_dir: Some(cache.clone()),
        ..HostSettings::default()
    };
    let host = PluginHost::new(&settings).unwrap();
    let started = Instant::now();
    let plugin = host.load(wasm("example")).await.unwrap();
    println!(
        "load example.wasm, compiling: {:.1} ms",
        ms(started.elapsed())
    );
    let again = PluginHost::new(&settings).unwrap();
    let started = Instant::now();
    again.load(wasm("example")).await.unwrap();
    println!(
        "load example.wasm, from the disk cache: {:.1} ms",
        ms(started.elapsed())
    );

    for _ in 0..500 {
        host.manifest(&plugin).await.unwrap();
    }
    let mut samples = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        host.manifest(&plugin).await.unwrap();
        samples.push(started.elapsed());
    }
    report("call: fresh instance + trivial export (manifest)", samples);

    let body = br#"{"id":"e1","type":"booking.created","booking":{"id":"b1","title":"T","start":1,"end":2,"attendees":[{"name":"J","email":"j@acme.com"}]}}"#.to_vec();
    let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
    mac.update(&body);
    let request = wit::WebhookRequest {
        method: "POST".into(),
        path: "/".into(),
        url: "https://cal.example.com/hooks/1".into(),
        headers: vec![(
            "x-example-signature".into(),
            hex::encode(mac.finalize().into_bytes()),
        )],
        body,
        received_ms: 0,
    };
    let context = CallContext {
        installation_id: 1,
        plugin_id: "example".into(),
        config: BTreeMap::from([("webhook_secret".to_string(), "secret".to_string())]),
        kv: BTreeMap::new(),
        allowlist: Allowlist::default(),
        credentials: None,
    };
    let mut samples = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let started = Instant::now();
        host.handle_webhook(&plugin, context.clone(), request.clone())
            .await
            .unwrap();
        samples.push(started.elapsed());
    }
    report(
        "call: example handle-webhook (HMAC check + JSON parse)",
        samples,
    );
    let _ = std::fs::remove_dir_all(cache);

    for backend in [Backend::Sqlite, Backend::Postgres] {
        inbound_to_applied(backend).await;
    }
}

/// Moves sent by the provider, one at a time.
const MOVES: usize = 200;

async fn inbound_to_applied(backend: Backend) {
    let app = TestApp::spawn_with_jobs(backend).await;
    let secret = "whsec_bench";
    let installation = install(&app, "example", &[("webhook_secret", secret)]).await;
    let event_type = bench_event_type(&app).await;
    let day = next(chrono::Weekday::Mon)
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let mut samples = Vec::with_capacity(MOVES);
    for n in 0..MOVES {
        let start = day + Span::minutes(30 * n as i64);
        let booked = app
            .post(
                "/v2/bookings",
                json!({"eventTypeId": event_type, "start": start.to_rfc3339(),
                       "attendee": {"name": "B", "email": format!("b{n}@acme.com"), "timeZone": "UTC"}}),
            )
            .await;
        let uid = booked.data()["uid"].as_str().unwrap().to_string();
        let external = format!("ext-{n}");
        link(&app, installation, &uid, &external).await;
        let body = moved(&format!("evt-{n}"), &external, start + Span::minutes(15));
        let started = Instant::now();
        let answer = app
            .send(
                app.client
                    .request(Method::POST, format!("{}/hooks/{installation}", app.base))
                    .header("x-example-signature", sign(&body, secret))
                    .body(body),
            )
            .await;
        let id = answer.data()["id"].as_i64().unwrap();
        loop {
            let event = inbound::find(&app.db, None, id).await.unwrap().unwrap();
            if event.status != InboundStatus::Received {
                assert_eq!(
                    event.status,
                    InboundStatus::Applied,
                    "{:?}",
                    event.last_error
                );
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        samples.push(started.elapsed());
    }
    report(
        &format!("inbound webhook received -> booking moved ({backend:?}, idle queue)"),
        samples,
    );
}

fn moved(event_id: &str, external_id: &str, start: DateTime<Utc>) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"id": event_id, "type": "booking.moved", "booking": {
        "id": external_id, "start": start.timestamp_millis(),
        "end": start.timestamp_millis() + 15 * 60 * 1000}}),
    )
    .unwrap()
}

fn sign(body: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
