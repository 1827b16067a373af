//! What the process-level tests share: real `convene` processes that die with the
//! test, a webhook receiver that counts by delivery id, demo slots and databases.
// Each test crate that includes this module uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use chrono::{Datelike, Duration as Days, Utc};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// The demo host's API key in every process of a test.
pub const KEY: &str = "cnv_processtestkey0000000000000000000000000";

/// The secret key every process of a test shares, as processes sharing one PostgreSQL
/// must (32 bytes in base64).
pub const SECRET_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// What the receiver saw: delivery id → (trigger, booking uid, times received).
pub type Seen = Arc<Mutex<BTreeMap<String, (String, String, u32)>>>;

/// A webhook receiver on loopback that takes `delay` per request; its URL and what it saw.
pub async fn receiver(delay: Duration) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let s = s.clone();
            async move {
                tokio::time::sleep(delay).await;
                let id = headers["x-convene-delivery-id"]
                    .to_str()
                    .unwrap()
                    .to_string();
                let body: Value = serde_json::from_str(&body).unwrap();
                let trigger = body["triggerEvent"].as_str().unwrap().to_string();
                let uid = body["payload"]["uid"].as_str().unwrap().to_string();
                s.lock().unwrap().entry(id).or_insert((trigger, uid, 0)).2 += 1;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `convene` child process that is killed when dropped, also when a failed assertion
/// unwinds: a survivor would hold cargo's output pipe open and hang the test run.
pub struct Process(Child);

impl Process {
    /// Runs `convene ARGS` on `database_url` with the demo key, the shared secret key and
    /// loopback webhooks.
    pub fn start(database_url: &str, args: &[&str]) -> Process {
        Process(
            Command::new(env!("CARGO_BIN_EXE_convene"))
                .args(args)
                .env("DATABASE_URL", database_url)
                .env("CONVENE_DEMO_API_KEY", KEY)
                .env("CONVENE_SECRET_KEY", SECRET_KEY)
                .env("CONVENE_ALLOW_PRIVATE_WEBHOOK_TARGETS", "true")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("the convene binary starts"),
        )
    }

    /// `convene serve --demo` on `port`.
    pub fn serve(database_url: &str, port: u16) -> Process {
        let addr = format!("127.0.0.1:{port}");
        Process::start(database_url, &["serve", "--demo", "--addr", &addr])
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until `base` answers `/healthz`.
pub async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not come up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Weekday slots of demo/30min from a week ahead: `n` distinct starts.
pub fn slots(n: usize) -> Vec<String> {
    let mut day = Utc::now().date_naive() + Days::days(7);
    let mut out = Vec::new();
    while out.len() < n {
        if day.weekday().number_from_monday() <= 5 {
            // 08:00–09:30 and 13:00–14:30 UTC are inside Berlin's 09–12 / 13–17 in winter
            // (UTC+1) and in summer (UTC+2), and never in the lunch break.
            for (h, m) in [(8, 0), (8, 30), (9, 0), (13, 0), (13, 30), (14, 0)] {
                out.push(format!("{day}T{h:02}:{m:02}:00Z"));
            }
        }
        day += Days::days(1);
    }
    out.truncate(n);
    out
}

/// Books `start` as invitee number `i`; its uid when the server took it.
pub async fn book(
    client: &reqwest::Client,
    base: &str,
    event_type: i64,
    start: &str,
    i: usize,
) -> Option<String> {
    let body = json!({
        "eventTypeId": event_type, "start": start,
        "attendee": {"name": "Invitee", "email": format!("invitee{i}@acme.com"), "timeZone": "UTC"},
    });
    let response = client
        .post(format!("{base}/v2/bookings"))
        .json(&body)
        .send()
        .await
        .ok()?;
    if response.status() != 201 {
        return None;
    }
    let created: Value = response.json().await.ok()?;
    created["data"]["uid"].as_str().map(str::to_string)
}

/// Subscribes `url` to `triggers` as the demo host; the id of the demo 30-minute type.
pub async fn subscribe(client: &reqwest::Client, base: &str, url: &str, triggers: &[&str]) -> i64 {
    let subscribed = client
        .post(format!("{base}/v2/webhooks"))
        .bearer_auth(KEY)
        .json(&json!({"subscriberUrl": url, "triggers": triggers}))
        .send()
        .await
        .unwrap();
    assert_eq!(subscribed.status(), 201);
    demo_event_type(client, base).await
}

/// The id of the demo host's 30-minute event type.
pub async fn demo_event_type(client: &reqwest::Client, base: &str) -> i64 {
    let public: Value = client
        .get(format!(
            "{base}/v2/event-types?username=demo&eventSlug=30min"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    public["data"][0]["id"].as_i64().unwrap()
}

/// Waits until the receiver has seen `expected` (trigger, uid) events, then checks each
/// arrived under exactly one delivery id. A delivery may reach the receiver more than
/// once (a process killed after sending, before recording); the id lets it de-duplicate.
pub async fn assert_each_delivered_once(
    seen: &Seen,
    expected: &std::collections::BTreeSet<(String, String)>,
    within: Duration,
) {
    let started = Instant::now();
    loop {
        let delivered: std::collections::BTreeSet<(String, String)> = seen
            .lock()
            .unwrap()
            .values()
            .map(|(trigger, uid, _)| (trigger.clone(), uid.clone()))
            .collect();
        if &delivered == expected {
            break;
        }
        assert!(
            started.elapsed() < within,
            "{} of {} events delivered; missing {:?}",
            delivered.len(),
            expected.len(),
            expected.difference(&delivered).take(3).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = seen.lock().unwrap().clone();
    let mut ids_per_event: BTreeMap<(String, String), u32> = BTreeMap::new();
    for (trigger, uid, _) in seen.values() {
        *ids_per_event
            .entry((trigger.clone(), uid.clone()))
            .or_default() += 1;
    }
    let repeated: Vec<_> = ids_per_event.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "one delivery id per event: {repeated:?}"
    );
}

/// A fresh SQLite file URL, and the file to remove afterwards.
pub fn sqlite_url() -> (String, std::path::PathBuf) {
    let file = std::env::temp_dir().join(format!(
        "convene-process-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    (format!("sqlite://{}?mode=rwc", file.display()), file)
}

/// Removes a SQLite database file and its journal files.
pub fn remove_sqlite(file: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

/// A schema of its own on the test PostgreSQL server, removed by [`PgSchema::remove`].
pub struct PgSchema {
    /// The URL whose search path is the schema.
    pub url: String,
    name: String,
    admin: sea_orm::DatabaseConnection,
}

impl PgSchema {
    /// Creates the schema (with `btree_gist` available from `public`).
    pub async fn create() -> PgSchema {
        let base = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let admin = Database::connect(&base).await.unwrap();
        let name = format!("proc_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE SCHEMA {name}"))
            .await
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        PgSchema {
            url: format!("{base}{sep}options=-csearch_path%3D{name},public"),
            name,
            admin,
        }
    }

    /// Drops the schema with everything in it.
    pub async fn remove(self) {
        self.admin
            .execute_unprepared(&format!("DROP SCHEMA {} CASCADE", self.name))
            .await
            .unwrap();
    }
}
