//! A host with Google Calendar connected: the `google-calendar` plugin installed over
//! GraphQL with the OAuth client it brings, and the demo host connected through the real
//! `/oauth` routes against the fakes of Google's authorization server and Calendar API.

use std::sync::Arc;

use serde_json::json;

use crate::fakes::example::Accepted;
use crate::fakes::google::GoogleCalendar;
use crate::fakes::oauth::{CLIENT_ID, CLIENT_SECRET, FakeOAuth};
use crate::plugins::wasm;
use crate::{TestApp, oauth_flow};

/// Google's two fakes, the calendar API trusting what its authorization server issued,
/// and the demo host's installation connected to them.
pub struct ConnectedGoogle {
    pub oauth: FakeOAuth,
    pub api: GoogleCalendar,
    /// The installation's GraphQL id.
    pub installation: String,
}

/// Installs and connects Google Calendar for the demo host.
pub async fn connect_google(app: &TestApp) -> ConnectedGoogle {
    let oauth = FakeOAuth::start(&format!("{}/oauth/google-calendar/callback", app.base)).await;
    let api = GoogleCalendar::start(Accepted::IssuedBy(Arc::new(oauth.token_check()))).await;
    convene::app::plugins::add_package(&app.app, wasm("google_calendar"))
        .await
        .expect("the package is accepted");
    let settings = json!([
        {"key": "base_url", "value": api.base},
        {"key": "oauth_base_url", "value": oauth.base},
        {"key": "client_id", "value": CLIENT_ID},
        {"key": "client_secret", "value": CLIENT_SECRET},
    ]);
    let installed = app
        .graphql(
            "mutation($settings: [PluginSettingInput!]!) {
                installPlugin(plugin: \"google-calendar\", settings: $settings) { id } }",
            json!({"settings": settings}),
        )
        .await;
    let installation = installed["installPlugin"]["id"]
        .as_str()
        .expect("the installation's id")
        .to_string();
    oauth_flow::connect(app, "google-calendar").await;
    ConnectedGoogle {
        oauth,
        api,
        installation,
    }
}

/// The demo host's choice of checked calendars and destination.
pub async fn choose(
    app: &TestApp,
    google: &ConnectedGoogle,
    checked: &[&str],
    destination: Option<&str>,
) {
    let chosen = app
        .graphql_as(
            crate::DEMO_KEY,
            CHOOSE,
            json!({"id": google.installation, "checked": checked, "destination": destination}),
        )
        .await;
    assert!(chosen.body["errors"].is_null(), "{:#}", chosen.body);
}

/// `chooseCalendars` with the variables `id`, `checked` and `destination`.
pub const CHOOSE: &str = "mutation($id: ID!, $checked: [String!]!, $destination: String) {
    chooseCalendars(installationId: $id, checked: $checked, destination: $destination) {
        id checked destination } }";
