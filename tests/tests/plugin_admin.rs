//! Plugins as an organization's admins manage them over GraphQL: the packages on offer,
//! installing with settings checked, switching off, uninstalling; members are refused
//! and other organizations see nothing of it.

use convene_tests::plugins::wasm;
use convene_tests::{TestApp, on_both_databases};
use serde_json::{Value, json};

const INSTALL: &str = "mutation($settings: [PluginSettingInput!]!) {
    installPlugin(plugin: \"example\", settings: $settings) { id enabled settings { key value } } }";

/// A member added to the demo organization by its owner; their API key.
async fn member_key(app: &TestApp) -> String {
    let org = app.demo_caller().await.org_id;
    let added = app
        .post(
            &format!("/v2/organizations/{}/users", org.0),
            json!({"email": "member@demo.example", "username": "member", "name": "A Member"}),
        )
        .await;
    assert_eq!(added.status, 201, "{:#}", added.body);
    added.data()["apiKey"].as_str().unwrap().to_string()
}

fn installation_ids(data: &Value) -> Vec<String> {
    data["pluginInstallations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

on_both_databases! {
    async fn an_admin_installs_configures_switches_off_and_uninstalls(app: TestApp) {
        convene::app::plugins::add_package(&app.app, wasm("example")).await.unwrap();
        let packages = app.graphql("{ pluginPackages { plugin version capabilities oauth
            settings { key required secret } } }", json!({})).await;
        let example = &packages["pluginPackages"][0];
        assert_eq!(example["plugin"], "example");
        assert_eq!(example["capabilities"], json!(["webhooks", "pull", "busy_times", "apply"]));
        assert_eq!(example["oauth"], true);
        assert!(example["settings"].as_array().unwrap().contains(
            &json!({"key": "webhook_secret", "required": true, "secret": true})));

        // Settings are checked: the required one missing, an unknown one, a bad URL.
        let refused = app.graphql_as(convene_tests::DEMO_KEY, INSTALL, json!({"settings": [
            {"key": "base_url", "value": "ftp://x"}, {"key": "colour", "value": "red"}]})).await;
        let (code, fields) = refused.graphql_refusal();
        assert_eq!(code, "VALIDATION_ERROR", "{:#}", refused.body);
        for field in ["config.webhook_secret", "config.colour", "config.base_url"] {
            assert!(fields.contains(&field.to_string()), "{field} in {fields:?}");
        }

        let installed = app.graphql(INSTALL, json!({"settings": [
            {"key": "webhook_secret", "value": "whsec_1"}]})).await;
        let id = installed["installPlugin"]["id"].as_str().unwrap().to_string();
        assert_eq!(installed["installPlugin"]["settings"],
                   json!([{"key": "webhook_secret", "value": "********"}]));

        let off = app.graphql("mutation($id: ID!) { setPluginEnabled(id: $id, enabled: false) { enabled } }",
                              json!({"id": id})).await;
        assert_eq!(off["setPluginEnabled"]["enabled"], false);
        let listed = app.graphql("{ pluginInstallations { id enabled } }", json!({})).await;
        assert_eq!(listed["pluginInstallations"], json!([{"id": id, "enabled": false}]));

        // A member of the organization and another organization's admin are kept out.
        let member = member_key(&app).await;
        let forbidden = app.graphql_as(&member, "{ pluginInstallations { id } }", json!({})).await;
        assert_eq!(forbidden.graphql_refusal().0, "FORBIDDEN", "{:#}", forbidden.body);
        let forbidden = app.graphql_as(&member, "mutation($id: ID!) { uninstallPlugin(id: $id) }",
                                       json!({"id": id})).await;
        assert_eq!(forbidden.graphql_refusal().0, "FORBIDDEN");
        let rival = app.other_org_key().await;
        let theirs = app.graphql_as(&rival, "{ pluginInstallations { id } }", json!({})).await;
        assert_eq!(installation_ids(&theirs.body["data"]), Vec::<String>::new());
        let not_theirs = app.graphql_as(&rival, "mutation($id: ID!) { uninstallPlugin(id: $id) }",
                                        json!({"id": id})).await;
        assert_eq!(not_theirs.graphql_refusal().0, "NOT_FOUND");
        let events = app.graphql_as(&rival, "{ inboundEvents { items { id } } }", json!({})).await;
        assert_eq!(events.body["data"]["inboundEvents"]["items"], json!([]));

        let gone = app.graphql("mutation($id: ID!) { uninstallPlugin(id: $id) }", json!({"id": id})).await;
        assert_eq!(gone["uninstallPlugin"], id);
        let listed = app.graphql("{ pluginInstallations { id } }", json!({})).await;
        assert_eq!(installation_ids(&listed), Vec::<String>::new());
    }
}
