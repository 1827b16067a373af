//! The plugin host against real components: `plugins/example` driving a local fake of
//! its provider, `plugins/hostile` misbehaving every way it can, and a component built
//! for a world version this host does not speak.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use convene::plugins::{
    Allowlist, CallContext, CallError, Capability, Credentials, HostSettings, Limits, LoadError,
    Plugin, PluginFailure, PluginHost, wit,
};
use convene_tests::fakes::example::ExampleProvider;
use convene_tests::plugins::wasm;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

const SECRET: &str = "whsec_example";

fn host(limits: Limits) -> PluginHost {
    PluginHost::new(&HostSettings {
        limits,
        cache_dir: Some(std::env::temp_dir().join("convene-test-plugin-cache")),
        allow_private_hosts: true,
        ..HostSettings::default()
    })
    .expect("plugin host")
}

async fn load(host: &PluginHost, name: &str) -> Plugin {
    host.load(wasm(name)).await.expect("plugin loads")
}

/// A connection whose token the test controls; counts refreshes.
struct TestToken {
    current: Mutex<String>,
    after_refresh: String,
    refreshes: AtomicUsize,
}

impl TestToken {
    fn new(current: &str, after_refresh: &str) -> std::sync::Arc<TestToken> {
        std::sync::Arc::new(TestToken {
            current: Mutex::new(current.into()),
            after_refresh: after_refresh.into(),
            refreshes: AtomicUsize::new(0),
        })
    }
}

impl Credentials for TestToken {
    fn bearer(&self, refresh: bool) -> Pin<Box<dyn Future<Output = Option<String>> + Send + '_>> {
        Box::pin(async move {
            let mut current = self.current.lock().unwrap();
            if refresh {
                self.refreshes.fetch_add(1, Ordering::SeqCst);
                *current = self.after_refresh.clone();
            }
            Some(current.clone())
        })
    }
}

fn context(
    plugin: &Plugin,
    installation_id: i64,
    config: &[(&str, &str)],
    credentials: Option<std::sync::Arc<dyn Credentials>>,
) -> CallContext {
    let config: BTreeMap<String, String> = config
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    CallContext {
        installation_id,
        plugin_id: plugin.manifest.id.clone(),
        allowlist: Allowlist::new(
            plugin.manifest.allowed_hosts.clone(),
            config.get("base_url").map(String::as_str),
        ),
        config,
        kv: BTreeMap::new(),
        credentials,
    }
}

fn signed_webhook(body: serde_json::Value, secret: &str) -> wit::WebhookRequest {
    let body = serde_json::to_vec(&body).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&body);
    wit::WebhookRequest {
        method: "POST".into(),
        path: "/".into(),
        url: "https://cal.example.com/hooks/1".into(),
        headers: vec![(
            "X-Example-Signature".into(),
            hex::encode(mac.finalize().into_bytes()),
        )],
        body,
        received_ms: 0,
    }
}

fn created_event(id: &str) -> serde_json::Value {
    json!({
        "id": id,
        "type": "booking.created",
        "booking": {
            "id": "bk_1", "title": "Intro", "start": 1_800_000_000_000i64,
            "end": 1_800_001_800_000i64, "host_email": "host@convene.test",
            "attendees": [{"name": "Jane", "email": "jane@acme.com"}]
        }
    })
}

#[tokio::test]
async fn example_plugin_loads_with_its_manifest_and_hash() {
    let host = host(Limits::default());
    let bytes = wasm("example");
    let plugin = host.load(bytes.clone()).await.unwrap();
    assert_eq!(plugin.manifest.id, "example");
    assert_eq!(plugin.manifest.version, "0.1.0");
    assert!(plugin.manifest.can(Capability::Webhooks));
    assert!(plugin.manifest.can(Capability::Apply));
    assert_eq!(plugin.manifest.allowed_hosts, vec!["api.example.test"]);
    assert_eq!(plugin.sha256, convene::plugins::sha256_hex(&bytes));
    assert_eq!(plugin.sha256.len(), 64);
}

#[tokio::test]
async fn a_signed_webhook_becomes_changes_and_kv_is_kept_only_on_success() {
    let host = host(Limits::default());
    let plugin = load(&host, "example").await;
    let mut ctx = context(&plugin, 1, &[("webhook_secret", SECRET)], None);

    let first = host
        .handle_webhook(
            &plugin,
            ctx.clone(),
            signed_webhook(created_event("e1"), SECRET),
        )
        .await
        .unwrap();
    assert_eq!(first.value.event_id.as_deref(), Some("e1"));
    let [wit::Change::BookingUpserted(booking)] = first.value.changes.as_slice() else {
        panic!("one upsert expected: {:?}", first.value.changes);
    };
    assert_eq!(booking.external_id, "bk_1");
    assert_eq!(booking.attendees[0].email, "jane@acme.com");
    assert_eq!(
        first.kv.0.get("webhooks-seen"),
        Some(&Some(b"1".to_vec())),
        "the plugin counted the webhook"
    );

    first.kv.apply_to(&mut ctx.kv);
    let second = host
        .handle_webhook(
            &plugin,
            ctx.clone(),
            signed_webhook(created_event("e2"), SECRET),
        )
        .await
        .unwrap();
    assert_eq!(second.kv.0.get("webhooks-seen"), Some(&Some(b"2".to_vec())));

    let forged = host
        .handle_webhook(
            &plugin,
            ctx,
            signed_webhook(created_event("e3"), "not-the-secret"),
        )
        .await
        .unwrap_err();
    assert_eq!(forged, CallError::Plugin(PluginFailure::BadSignature));
    assert!(
        !forged.retryable(),
        "a forged webhook is not worth retrying"
    );
}

#[tokio::test]
async fn pull_pages_with_the_bearer_and_refreshes_after_a_401() {
    let fake = ExampleProvider::start("fresh-token").await;
    fake.state.lock().unwrap().bookings = (1..=3)
        .map(|i| json!({"id": format!("bk_{i}"), "title": "Sync", "start": i * 1000, "end": i * 1000 + 500}))
        .collect();
    let host = host(Limits::default());
    let plugin = load(&host, "example").await;
    let token = TestToken::new("expired-token", "fresh-token");
    let ctx = context(
        &plugin,
        2,
        &[("webhook_secret", SECRET), ("base_url", &fake.base)],
        Some(token.clone()),
    );

    let first = host.pull(&plugin, ctx.clone(), None).await.unwrap().value;
    assert_eq!(first.changes.len(), 2);
    assert!(first.has_more);
    assert_eq!(
        token.refreshes.load(Ordering::SeqCst),
        1,
        "one refresh after the 401"
    );
    let second = host
        .pull(&plugin, ctx.clone(), first.next_cursor.clone())
        .await
        .unwrap()
        .value;
    assert_eq!(second.changes.len(), 1);
    assert!(!second.has_more);
    let requests = fake.state.lock().unwrap().requests.clone();
    assert_eq!(requests[0].1.as_deref(), Some("Bearer expired-token"));
    assert!(
        requests[1..]
            .iter()
            .all(|(_, auth)| auth.as_deref() == Some("Bearer fresh-token")),
        "{requests:?}"
    );

    let gone = host
        .pull(&plugin, ctx, Some("99".into()))
        .await
        .unwrap_err();
    assert_eq!(gone, CallError::Plugin(PluginFailure::NeedsResync));
}

#[tokio::test]
async fn without_a_connection_an_authenticated_call_is_refused_before_leaving() {
    let fake = ExampleProvider::start("token").await;
    let host = host(Limits::default());
    let plugin = load(&host, "example").await;
    let ctx = context(&plugin, 3, &[("base_url", &fake.base)], None);
    let refused = host.pull(&plugin, ctx, None).await.unwrap_err();
    assert!(
        matches!(&refused, CallError::Plugin(PluginFailure::Upstream(m)) if m.contains("no connected account")),
        "{refused:?}"
    );
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn a_429_holds_back_that_installation_only_for_its_retry_after() {
    let fake = ExampleProvider::start("token").await;
    fake.state.lock().unwrap().throttle = Some((1, 30));
    let host = host(Limits::default());
    let plugin = load(&host, "example").await;
    let token = TestToken::new("token", "token");
    let ctx = context(&plugin, 4, &[("base_url", &fake.base)], Some(token.clone()));

    let throttled = host.pull(&plugin, ctx.clone(), None).await.unwrap_err();
    assert_eq!(throttled, CallError::Plugin(PluginFailure::RateLimited(30)));
    let held = host.pull(&plugin, ctx, None).await.unwrap_err();
    assert!(
        matches!(held, CallError::Plugin(PluginFailure::RateLimited(s)) if (29..=30).contains(&s)),
        "{held:?}"
    );
    assert_eq!(
        fake.request_count(),
        1,
        "the second pull never left the host"
    );

    let other = context(&plugin, 5, &[("base_url", &fake.base)], Some(token));
    assert!(
        host.pull(&plugin, other, None).await.is_ok(),
        "another installation"
    );
}

#[tokio::test]
async fn effects_and_busy_times_reach_the_provider() {
    let fake = ExampleProvider::start("token").await;
    let host = host(Limits::default());
    let plugin = load(&host, "example").await;
    let ctx = context(
        &plugin,
        6,
        &[("base_url", &fake.base)],
        Some(TestToken::new("token", "token")),
    );
    let booking = wit::BookingInfo {
        uid: "uid1".into(),
        title: "Kickoff".into(),
        description: None,
        start_ms: 1_000,
        end_ms: 2_000,
        time_zone: "Europe/Paris".into(),
        host_email: "host@convene.test".into(),
        attendees: vec![wit::Attendee {
            name: "Jane".into(),
            email: "jane@acme.com".into(),
            time_zone: None,
        }],
        location: None,
        external_id: None,
        calendar_id: None,
        reschedule_url: None,
        cancel_url: None,
    };
    let outcome = host
        .apply(
            &plugin,
            ctx.clone(),
            wit::Effect::CreateEvent(booking.clone()),
        )
        .await
        .unwrap()
        .value;
    assert_eq!(outcome.external_id.as_deref(), Some("evt_1"));
    assert_eq!(outcome.url.as_deref(), Some("https://example.test/e/evt_1"));
    assert_eq!(fake.state.lock().unwrap().events[0].1["title"], "Kickoff");

    let deleted = wit::BookingInfo {
        external_id: Some("evt_1".into()),
        ..booking
    };
    host.apply(&plugin, ctx.clone(), wit::Effect::DeleteEvent(deleted))
        .await
        .unwrap();
    assert!(fake.state.lock().unwrap().events.is_empty());

    let busy = host
        .busy_times(
            &plugin,
            ctx,
            wit::TimeRange {
                start_ms: 0,
                end_ms: 86_400_000,
            },
            Vec::new(),
        )
        .await
        .unwrap()
        .value;
    assert_eq!(busy.len(), 1);
    assert_eq!((busy[0].start_ms, busy[0].end_ms), (3_600_000, 7_200_000));
}

#[tokio::test]
async fn a_component_for_another_world_version_is_refused_by_name() {
    let host = host(Limits::default());
    let refused = host.load(wasm("future_world")).await.unwrap_err();
    let LoadError::Incompatible(message) = &refused else {
        panic!("expected a version refusal, got {refused:?}");
    };
    assert!(message.contains("convene:plugin@1.0.0"), "{message}");
    assert!(message.contains("convene:plugin@0.3.0"), "{message}");

    let garbage = host.load(b"\0asm not really".to_vec()).await.unwrap_err();
    assert!(
        matches!(garbage, LoadError::NotAComponent(_)),
        "{garbage:?}"
    );
}

/// Calls the hostile plugin with `behaviour`, then proves the host still serves: the
/// example plugin answers a webhook at once.
async fn misbehave(host: &PluginHost, behaviour: &str, extra: &[(&str, &str)]) -> CallError {
    let hostile = load(host, "hostile").await;
    let mut config = vec![("behaviour", behaviour)];
    config.extend_from_slice(extra);
    let error = host
        .handle_webhook(
            &hostile,
            context(&hostile, 66, &config, None),
            signed_webhook(json!({}), SECRET),
        )
        .await
        .unwrap_err();
    let example = load(host, "example").await;
    let still = host
        .handle_webhook(
            &example,
            context(&example, 67, &[("webhook_secret", SECRET)], None),
            signed_webhook(created_event("after"), SECRET),
        )
        .await;
    assert!(
        still.is_ok(),
        "after `{behaviour}` the host still works: {still:?}"
    );
    error
}

#[tokio::test]
async fn an_endless_loop_is_stopped_at_the_deadline_without_blocking_other_work() {
    let host = host(Limits {
        deadline: Duration::from_millis(300),
        ..Limits::default()
    });
    let started = Instant::now();
    let ticker = tokio::spawn(async {
        let mut ticks = 0;
        let mut interval = tokio::time::interval(Duration::from_millis(20));
        for _ in 0..10 {
            interval.tick().await;
            ticks += 1;
        }
        ticks
    });
    let error = misbehave(&host, "loop", &[]).await;
    assert_eq!(error, CallError::Deadline(Duration::from_millis(300)));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(ticker.await.unwrap(), 10, "the loop yielded to other tasks");
}

#[tokio::test]
async fn unbounded_allocation_is_stopped_at_the_memory_cap() {
    let host = host(Limits {
        memory_bytes: 16 << 20,
        ..Limits::default()
    });
    assert_eq!(
        misbehave(&host, "allocate", &[]).await,
        CallError::Memory(16 << 20)
    );
}

#[tokio::test]
async fn a_host_outside_the_allowlist_is_denied() {
    let host = host(Limits::default());
    let error = misbehave(&host, "forbidden-host", &[]).await;
    let CallError::Plugin(PluginFailure::Upstream(message)) = &error else {
        panic!("expected a denial, got {error:?}");
    };
    assert!(
        message.contains("`exfiltrate.invalid` is not in the plugin's allowed hosts"),
        "{message}"
    );
}

#[tokio::test]
async fn huge_answers_are_capped() {
    let host = host(Limits::default());
    assert_eq!(
        misbehave(&host, "huge-output", &[("output_mb", "100")]).await,
        CallError::Memory(64 << 20),
        "100 MB cannot even be built inside 64 MiB"
    );
    assert_eq!(
        misbehave(&host, "huge-output", &[("output_mb", "8")]).await,
        CallError::Output(4 << 20),
        "8 MB fits in memory but not in what one call may hand back"
    );
}

#[tokio::test]
async fn traps_and_panics_fail_the_call_and_are_worth_retrying() {
    let host = host(Limits::default());
    for behaviour in ["trap", "panic"] {
        let error = misbehave(&host, behaviour, &[]).await;
        assert!(
            matches!(error, CallError::Trap(_)),
            "{behaviour}: {error:?}"
        );
        assert!(error.retryable());
    }
}

#[tokio::test]
async fn a_plugin_finds_no_files_and_no_environment() {
    let host = host(Limits::default());
    let error = misbehave(&host, "read-secrets", &[]).await;
    let CallError::Plugin(PluginFailure::Internal(report)) = &error else {
        panic!("expected the plugin's report, got {error:?}");
    };
    assert!(report.starts_with("file: Err("), "{report}");
    assert!(!report.contains("root:"), "{report}");
    assert!(report.contains("HOME: Err(NotPresent)"), "{report}");
    assert!(report.ends_with("variables: 0"), "{report}");
}
