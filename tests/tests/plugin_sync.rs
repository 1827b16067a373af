//! Plugins acting for an organization end to end: installed over GraphQL by an org
//! admin with the OAuth client it brings, connected through the real `/oauth` routes
//! against the provider's authorization-server fake, then pulling the provider's
//! changes page by page with the owner's bearer (refreshed when expired), keeping the
//! cursor, starting over when the provider drops it, and waiting when not connected.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use convene::app::pull_sync;
use convene::store::plugins as installations;
use convene_tests::crm::{book, tuesday};
use convene_tests::fakes::example::{Accepted, ExampleProvider};
use convene_tests::fakes::oauth::{CLIENT_ID, CLIENT_SECRET, FakeOAuth};
use convene_tests::plugins::{link, wasm};
use convene_tests::{TestApp, oauth_flow, on_both_databases, on_both_databases_with_jobs, until};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

const INSTALL: &str = "mutation($settings: [PluginSettingInput!]!) {
    installPlugin(plugin: \"example\", settings: $settings) {
        id plugin version ownerId enabled settings { key value } nextPullAt lastError } }";

/// The provider's two fakes, its API trusting what its authorization server issued.
struct Provider {
    oauth: FakeOAuth,
    api: ExampleProvider,
}

async fn provider(app: &TestApp) -> Provider {
    let oauth = FakeOAuth::start(&format!("{}/oauth/example/callback", app.base)).await;
    let api =
        ExampleProvider::start_accepting(Accepted::IssuedBy(Arc::new(oauth.token_check()))).await;
    Provider { oauth, api }
}

/// The demo admin installs the example plugin over GraphQL, bringing the OAuth client;
/// the installation as answered.
async fn install(app: &TestApp, provider: &Provider) -> Value {
    convene::app::plugins::add_package(&app.app, wasm("example"))
        .await
        .unwrap();
    let settings = json!([
        {"key": "base_url", "value": provider.api.base},
        {"key": "oauth_base_url", "value": provider.oauth.base},
        {"key": "client_id", "value": CLIENT_ID},
        {"key": "client_secret", "value": CLIENT_SECRET},
        {"key": "webhook_secret", "value": "whsec_example"},
    ]);
    app.graphql(INSTALL, json!({"settings": settings})).await["installPlugin"].clone()
}

fn id_of(installation: &Value) -> i64 {
    installation["id"].as_str().unwrap().parse().unwrap()
}

fn provider_booking(id: &str, start: &str, status: &str) -> Value {
    let start: DateTime<Utc> = start.parse().unwrap();
    json!({"id": id, "title": "Sync", "start": start.timestamp_millis(),
           "end": start.timestamp_millis() + 30 * 60 * 1000, "status": status})
}

async fn stored(app: &TestApp, id: i64) -> installations::Installation {
    installations::installation(&app.db, None, id)
        .await
        .unwrap()
        .unwrap()
}

on_both_databases! {
    async fn calls_of_one_installation_at_once_keep_each_others_kv_keys(app: TestApp) {
        let provider = provider(&app).await;
        let id = id_of(&install(&app, &provider).await);
        let value = |text: &str| Some(text.as_bytes().to_vec());
        let first = std::collections::BTreeMap::from([
            ("channels".to_string(), value("c0")),
            ("tokens".to_string(), value("t0")),
            ("stale".to_string(), value("s0")),
        ]);
        installations::write_kv(&app.db, id, &first).await.unwrap();

        // Both calls started from the kv above: a pull renewing the channels and dropping
        // a key, and a push moving the sync token.
        let pull = std::collections::BTreeMap::from([
            ("channels".to_string(), value("c1")),
            ("stale".to_string(), None),
        ]);
        let push = std::collections::BTreeMap::from([("tokens".to_string(), value("t1"))]);
        installations::write_kv(&app.db, id, &pull).await.unwrap();
        installations::write_kv(&app.db, id, &push).await.unwrap();

        let kv = installations::kv(&app.db, id).await.unwrap();
        let kept: Vec<(&str, &[u8])> = kv.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
        assert_eq!(kept, [("channels", &b"c1"[..]), ("tokens", &b"t1"[..])],
            "the push did not undo the renewed channels");
    }

    async fn an_installation_pulls_with_its_owners_connection_and_keeps_its_cursor(app: TestApp) {
        let provider = provider(&app).await;
        let installation = install(&app, &provider).await;
        let id = id_of(&installation);
        assert_eq!(installation["ownerId"], app.demo_caller().await.user_id.0.to_string());
        let shown: Vec<(String, String)> = installation["settings"].as_array().unwrap().iter()
            .map(|s| (s["key"].as_str().unwrap().into(), s["value"].as_str().unwrap().into()))
            .collect();
        assert!(shown.contains(&("client_secret".into(), "********".into())), "{shown:?}");
        assert!(shown.contains(&("client_id".into(), CLIENT_ID.into())), "{shown:?}");

        // Tokens born expired: the first pull must refresh before calling the provider.
        provider.oauth.set_access_ttl(Duration::ZERO);
        oauth_flow::connect(&app, "example").await;
        provider.oauth.set_access_ttl(Duration::from_secs(3600));

        let uid = book(&app, "09:00", "jane@acme.com").await;
        link(&app, id, &uid, "ext-1").await;
        provider.api.state.lock().unwrap().bookings = vec![
            provider_booking("ext-1", &tuesday("11:00"), "accepted"),
            provider_booking("ext-2", &tuesday("12:00"), "accepted"),
            provider_booking("ext-3", &tuesday("13:00"), "cancelled"),
        ];

        let run = pull_sync::pull(&app.app, id).await.unwrap();
        assert_eq!(run.error, None);
        assert_eq!(run.pages, 2, "two bookings a page: {run:?}");
        assert!(run.applied[0].starts_with(&format!("moved booking {uid}")), "{run:?}");
        assert!(run.applied[1].contains("no Convene booking: skipped"), "{run:?}");
        assert_eq!(provider.oauth.refreshes(), 1, "the expired token was refreshed once");
        let requests = provider.api.state.lock().unwrap().requests.clone();
        let check = provider.oauth.token_check();
        assert!(requests.iter().all(|(_, auth)| auth.as_deref()
            .and_then(|a| a.strip_prefix("Bearer ")).is_some_and(&check)),
            "every request carried a bearer the provider issued: {requests:?}");

        let old = app.get(&format!("/v2/bookings/{uid}")).await;
        let moved_to = old.data()["rescheduledToUid"].as_str().unwrap().to_string();
        let moved = app.get(&format!("/v2/bookings/{moved_to}")).await;
        assert_eq!(moved.data()["start"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(),
                   tuesday("11:00").parse::<DateTime<Utc>>().unwrap());

        let after = stored(&app, id).await;
        assert_eq!(after.pull_cursor.as_deref(), Some("3"));
        let next = after.next_pull_at.unwrap() - Utc::now();
        assert!(next > chrono::Duration::minutes(4), "next pull in five minutes, not {next}");

        // The next pull asks only for what came after the cursor.
        provider.api.state.lock().unwrap().bookings.push(
            provider_booking("ext-1", &tuesday("14:00"), "accepted"));
        let before = provider.api.request_count();
        let run = pull_sync::pull(&app.app, id).await.unwrap();
        assert_eq!(run.pages, 1);
        let requests = provider.api.state.lock().unwrap().requests.clone();
        assert_eq!(requests[before].0, "GET /bookings?cursor=3");
        let moved = app.get(&format!("/v2/bookings/{moved_to}")).await;
        assert_eq!(moved.data()["status"], "cancelled", "moved again, to 14:00");
        assert_eq!(stored(&app, id).await.pull_cursor.as_deref(), Some("4"));
    }

    async fn a_cursor_the_provider_dropped_starts_over_and_an_admin_can_ask_for_it(app: TestApp) {
        let provider = provider(&app).await;
        let id = id_of(&install(&app, &provider).await);
        oauth_flow::connect(&app, "example").await;
        provider.api.state.lock().unwrap().bookings =
            vec![provider_booking("ext-9", &tuesday("11:00"), "accepted")];
        installations::set_pull_cursor(&app.db, id, Some("99")).await.unwrap();

        let run = pull_sync::pull(&app.app, id).await.unwrap();
        assert!(run.resynced, "{run:?}");
        assert_eq!(run.pages, 1);
        let asked: Vec<String> = provider.api.state.lock().unwrap().requests.iter()
            .map(|(what, _)| what.clone()).collect();
        assert_eq!(asked, ["GET /bookings?cursor=99", "GET /bookings?cursor="]);
        assert_eq!(stored(&app, id).await.pull_cursor.as_deref(), Some("1"));

        let resynced = app.graphql("mutation($id: ID!) { resyncPlugin(id: $id) { id nextPullAt } }",
                                   json!({"id": id.to_string()})).await;
        let due: DateTime<Utc> = resynced["resyncPlugin"]["nextPullAt"].as_str().unwrap().parse().unwrap();
        assert!(due <= Utc::now());
        assert_eq!(stored(&app, id).await.pull_cursor, None, "a full sync starts from the top");
    }

    async fn without_a_connected_account_the_pull_says_so_and_waits(app: TestApp) {
        let provider = provider(&app).await;
        let id = id_of(&install(&app, &provider).await);
        let run = pull_sync::pull(&app.app, id).await.unwrap();
        assert_eq!(run.pages, 0);
        assert_eq!(provider.api.request_count(), 0, "nothing was sent without a bearer");
        let listed = app.graphql("{ pluginInstallations { id lastError nextPullAt } }", json!({})).await;
        let row = &listed["pluginInstallations"][0];
        assert!(row["lastError"].as_str().unwrap().contains("no connected account"), "{row}");
        let next: DateTime<Utc> = row["nextPullAt"].as_str().unwrap().parse().unwrap();
        assert!(next > Utc::now() + chrono::Duration::minutes(4));

        // Connecting makes the pull due at once.
        oauth_flow::connect(&app, "example").await;
        assert!(stored(&app, id).await.next_pull_at.unwrap() <= Utc::now());
    }

    async fn secret_settings_are_sealed_at_rest_and_kept_when_sent_back_hidden(app: TestApp) {
        let provider = provider(&app).await;
        let id = id_of(&install(&app, &provider).await);
        let raw = app.db.query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT config FROM plugin_installations WHERE id = {id}"),
        )).await.unwrap().unwrap();
        let raw: String = raw.try_get_by_index(0).unwrap();
        assert!(!raw.contains(CLIENT_SECRET) && !raw.contains("whsec_example"), "{raw}");
        assert!(raw.contains(CLIENT_ID), "plain settings stay readable: {raw}");

        let configure = "mutation($id: ID!, $settings: [PluginSettingInput!]!) {
            configurePlugin(id: $id, settings: $settings) { settings { key value } } }";
        let settings = json!([
            {"key": "base_url", "value": provider.api.base},
            {"key": "oauth_base_url", "value": provider.oauth.base},
            {"key": "client_id", "value": CLIENT_ID},
            {"key": "client_secret", "value": "********"},
            {"key": "webhook_secret", "value": "whsec_rotated"},
        ]);
        app.graphql(configure, json!({"id": id.to_string(), "settings": settings})).await;
        // The kept client secret still works: the token exchange authenticates with it.
        oauth_flow::connect(&app, "example").await;
        let config = convene::app::plugins::opened(
            &app.app,
            &convene::app::plugins::installation(&app.app, None, id).await.unwrap().manifest,
            &stored(&app, id).await,
        ).unwrap();
        assert_eq!(config["client_secret"], CLIENT_SECRET);
        assert_eq!(config["webhook_secret"], "whsec_rotated");
    }
}

on_both_databases_with_jobs! {
    async fn the_worker_pulls_once_an_account_is_connected(app: TestApp) {
        let provider = provider(&app).await;
        let id = id_of(&install(&app, &provider).await);
        let uid = book(&app, "09:00", "jane@acme.com").await;
        link(&app, id, &uid, "ext-1").await;
        provider.api.state.lock().unwrap().bookings =
            vec![provider_booking("ext-1", &tuesday("13:00"), "cancelled")];
        oauth_flow::connect(&app, "example").await;
        until("the worker to pull the cancellation", async || {
            app.get(&format!("/v2/bookings/{uid}")).await.data()["status"] == "cancelled"
        })
        .await;
        // The page's changes are applied before its cursor is saved.
        until("the cursor after the page kept", async || {
            stored(&app, id).await.pull_cursor.as_deref() == Some("1")
        })
        .await;
    }
}
