//! Nothing is lost and nothing is done twice across a crash: a real `convene serve`
//! process takes bookings with a webhook subscribed, is killed with SIGKILL mid-way,
//! restarts on the same database, and every booking that exists reaches the receiver
//! exactly once (counted by delivery id). On SQLite and on PostgreSQL.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use support::{
    KEY, PgSchema, Process, assert_each_delivered_once, book, free_port, receiver, remove_sqlite,
    slots, sqlite_url, subscribe, wait_healthy,
};

async fn crash_and_recover(database_url: &str) {
    let client = reqwest::Client::new();
    let (hook_url, seen) = receiver(Duration::ZERO).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Process::serve(database_url, port);
    wait_healthy(&client, &base).await;
    let event_type = subscribe(&client, &base, &hook_url, &["BOOKING_CREATED"]).await;

    let starts = slots(60);
    let (before, after) = starts.split_at(30);
    for (i, start) in before.iter().enumerate() {
        book(&client, &base, event_type, start, i).await;
    }
    // Kill it with bookings committed whose webhooks may be anywhere: in the outbox,
    // fanned out, leased, or on the wire.
    server.kill();

    let _server = Process::serve(database_url, port);
    wait_healthy(&client, &base).await;
    for (i, start) in after.iter().enumerate() {
        book(&client, &base, event_type, start, 30 + i).await;
    }

    let listed: Value = client
        .get(format!("{base}/v2/bookings?take=250"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored: BTreeSet<(String, String)> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| ("BOOKING_CREATED".into(), b["uid"].as_str().unwrap().into()))
        .collect();
    assert!(
        stored.len() >= 50,
        "most bookings went in: {}",
        stored.len()
    );
    // A delivery leased by the killed process is retried once its lease (60 s) runs out.
    assert_each_delivered_once(&seen, &stored, Duration::from_secs(90)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let (url, file) = sqlite_url();
    crash_and_recover(&url).await;
    remove_sqlite(&file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let schema = PgSchema::create().await;
    crash_and_recover(&schema.url).await;
    schema.remove().await;
}
