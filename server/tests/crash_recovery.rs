//! Nothing is lost and nothing is done twice across a crash: a real `convene serve`
//! process takes bookings with a webhook subscribed, is killed with SIGKILL mid-way,
//! restarts on the same database, and every booking that exists reaches the receiver
//! exactly once (counted by delivery id). On SQLite and on PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use chrono::{Datelike, Duration as Days, Utc};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

const KEY: &str = "cnv_crashtestkey000000000000000000000000000";

/// What the receiver saw: delivery id → (trigger, booking uid, times received).
type Seen = Arc<Mutex<BTreeMap<String, (String, String, u32)>>>;

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let s = s.clone();
            async move {
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process that is killed when dropped, also when a failed assertion unwinds:
/// a survivor would hold cargo's output pipe open and hang the test run.
struct Server(Child);

impl Server {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn start(database_url: &str, port: u16) -> Server {
    Server(
        Command::new(env!("CARGO_BIN_EXE_convene"))
            .args(["serve", "--demo", "--addr", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("CONVENE_DEMO_API_KEY", KEY)
            .env("CONVENE_ALLOW_PRIVATE_WEBHOOK_TARGETS", "true")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the convene binary starts"),
    )
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
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
fn slots(n: usize) -> Vec<String> {
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

async fn book(
    client: &reqwest::Client,
    base: &str,
    event_type: i64,
    start: &str,
    i: usize,
) -> bool {
    let body = json!({
        "eventTypeId": event_type, "start": start,
        "attendee": {"name": "Crash", "email": format!("crash{i}@acme.com"), "timeZone": "UTC"},
    });
    matches!(client.post(format!("{base}/v2/bookings")).json(&body).send().await, Ok(r) if r.status() == 201)
}

async fn crash_and_recover(database_url: String) {
    let client = reqwest::Client::new();
    let (hook_url, seen) = receiver().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&database_url, port);
    wait_healthy(&client, &base).await;

    let auth = format!("Bearer {KEY}");
    let subscribed = client
        .post(format!("{base}/v2/webhooks"))
        .header("authorization", &auth)
        .json(&json!({"subscriberUrl": hook_url, "triggers": ["BOOKING_CREATED"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(subscribed.status(), 201);
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
    let event_type = public["data"][0]["id"].as_i64().unwrap();

    let starts = slots(60);
    let (before, after) = starts.split_at(30);
    for (i, start) in before.iter().enumerate() {
        book(&client, &base, event_type, start, i).await;
    }
    // Kill it with bookings committed whose webhooks may be anywhere: in the outbox,
    // fanned out, leased, or on the wire.
    server.kill();

    let mut server = start(&database_url, port);
    wait_healthy(&client, &base).await;
    for (i, start) in after.iter().enumerate() {
        book(&client, &base, event_type, start, 30 + i).await;
    }

    let listed: Value = client
        .get(format!("{base}/v2/bookings?take=250"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored: BTreeSet<String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["uid"].as_str().unwrap().to_string())
        .collect();
    assert!(
        stored.len() >= 50,
        "most bookings went in: {}",
        stored.len()
    );

    // A delivery leased by the killed process is retried once its lease (60 s) runs out.
    let started = Instant::now();
    loop {
        let delivered: BTreeSet<String> = seen
            .lock()
            .unwrap()
            .values()
            .map(|(_, uid, _)| uid.clone())
            .collect();
        if delivered == stored {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{} of {} bookings delivered",
            delivered.len(),
            stored.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = seen.lock().unwrap().clone();
    let mut per_uid: BTreeMap<String, u32> = BTreeMap::new();
    for (trigger, uid, _) in seen.values() {
        assert_eq!(trigger, "BOOKING_CREATED");
        *per_uid.entry(uid.clone()).or_default() += 1;
    }
    assert!(
        per_uid.values().all(|n| *n == 1),
        "one delivery id per event: {per_uid:?}"
    );
    server.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let file = std::env::temp_dir().join(format!(
        "convene-crash-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    crash_and_recover(format!("sqlite://{}?mode=rwc", file.display())).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let base = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = Database::connect(&base).await.unwrap();
    let schema = format!("crash_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    crash_and_recover(format!(
        "{base}{sep}options=-csearch_path%3D{schema},public"
    ))
    .await;
    admin
        .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}
