//! Plugin host benchmark: prints figures, asserts nothing.
//!
//! 1. Loading a component: compiling it, and taking it from the on-disk cache.
//! 2. The cost of one call: a fresh instance from the pre-instantiated component plus
//!    the trivial `manifest` export (every plugin call pays this).
//! 3. A realistic call: the example plugin verifying a signed webhook and reading it.
//!
//! Run: `scripts/build-plugins && cargo bench -p convene-tests --bench plugins`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use convene::plugins::{Allowlist, CallContext, HostSettings, PluginHost, wit};
use convene_tests::bench::report;
use convene_tests::plugins::wasm;
use hmac::{Hmac, KeyInit, Mac};
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
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
