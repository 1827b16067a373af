//! Several processes share one PostgreSQL queue: a `convene serve` and two
//! `convene worker` processes all dispatch the outbox and deliver webhooks at once,
//! against a receiver slow enough that their leases overlap, and every event still
//! arrives exactly once, under one delivery id.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use support::{
    KEY, PgSchema, Process, assert_each_delivered_once, book, free_port, receiver, slots,
    subscribe, wait_healthy,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_and_two_workers_deliver_each_event_once() {
    let schema = PgSchema::create().await;
    let client = reqwest::Client::new();
    let (hook_url, seen) = receiver(Duration::from_millis(20)).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // The server delivers one at a time, so the workers must carry most of the load.
    let addr = format!("127.0.0.1:{port}");
    let server = Process::start(
        &schema.url,
        &[
            "serve",
            "--demo",
            "--addr",
            &addr,
            "--worker-concurrency",
            "1",
        ],
    );
    wait_healthy(&client, &base).await;
    let workers = [
        Process::start(&schema.url, &["worker", "--worker-concurrency", "4"]),
        Process::start(&schema.url, &["worker", "--worker-concurrency", "4"]),
    ];
    let event_type = subscribe(
        &client,
        &base,
        &hook_url,
        &["BOOKING_CREATED", "BOOKING_CANCELLED"],
    )
    .await;

    let starts = slots(60);
    let uids: Vec<String> = futures::stream::iter(starts.iter().enumerate())
        .map(|(i, start)| book(&client, &base, event_type, start, i))
        .buffer_unordered(8)
        .filter_map(|uid| async move { uid })
        .collect()
        .await;
    assert_eq!(uids.len(), starts.len(), "every booking went in");
    let mut expected: BTreeSet<(String, String)> = uids
        .iter()
        .map(|uid| ("BOOKING_CREATED".to_string(), uid.clone()))
        .collect();
    for uid in uids.iter().step_by(2) {
        let cancelled = client
            .post(format!("{base}/v2/bookings/{uid}/cancel"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(cancelled.status(), 200, "cancel {uid}");
        expected.insert(("BOOKING_CANCELLED".to_string(), uid.clone()));
    }

    assert_each_delivered_once(&seen, &expected, Duration::from_secs(60)).await;
    // Nobody crashed, so no delivery may have been leased by two processes at once.
    let twice: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, (_, _, received))| *received > 1)
        .map(|(id, _)| id.clone())
        .collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    drop((server, workers));
    schema.remove().await;
}
