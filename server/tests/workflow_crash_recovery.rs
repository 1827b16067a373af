//! A workflow's messages survive a crash and are not sent twice: a real `convene serve`
//! process with a workflow posting to a webhook on every booking is killed with
//! SIGKILL mid-way, restarts on the same database, and every booking's message reaches
//! the receiver under exactly one send key. On SQLite and on PostgreSQL.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;
use support::{
    KEY, PgSchema, Process, assert_each_delivered_once, book, demo_event_type, free_port, receiver,
    remove_sqlite, slots, sqlite_url, wait_healthy,
};

async fn crash_and_recover(database_url: &str) {
    let client = reqwest::Client::new();
    let (hook_url, seen) = receiver(Duration::ZERO).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Process::serve(database_url, port);
    wait_healthy(&client, &base).await;
    let created = client
        .post(format!("{base}/v2/workflows"))
        .bearer_auth(KEY)
        .json(&json!({
            "name": "To the CRM", "trigger": {"type": "BOOKING_CREATED"}, "activeOnAll": true,
            "steps": [{"action": "WEBHOOK", "sendTo": hook_url}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let event_type = demo_event_type(&client, &base).await;

    let starts = slots(40);
    let (before, after) = starts.split_at(20);
    let mut booked = BTreeSet::new();
    for (i, start) in before.iter().enumerate() {
        booked.extend(book(&client, &base, event_type, start, i).await);
    }
    // Killed with messages anywhere: planned, leased, on the wire, or sent unrecorded.
    server.kill();

    let _server = Process::serve(database_url, port);
    wait_healthy(&client, &base).await;
    for (i, start) in after.iter().enumerate() {
        booked.extend(book(&client, &base, event_type, start, 20 + i).await);
    }
    assert!(
        booked.len() >= 35,
        "most bookings went in: {}",
        booked.len()
    );
    let expected: BTreeSet<(String, String)> = booked
        .into_iter()
        .map(|uid| ("BOOKING_CREATED".to_string(), uid))
        .collect();
    // A send leased by the killed process is made again once its lease (120 s) ends.
    assert_each_delivered_once(&seen, &expected, Duration::from_secs(160)).await;
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
