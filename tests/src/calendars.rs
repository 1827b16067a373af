//! A host with a calendar provider connected: the provider's plugin installed over
//! GraphQL with the OAuth client it brings, and the demo host connected through the real
//! `/oauth` routes against the fakes of the provider's authorization server and API
//! (Google Calendar, or Outlook through Microsoft Graph).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use convene::app::{calendar_sync, webhooks};
use serde_json::{Value, json};

use crate::crm::tuesday;
use crate::fakes::example::Accepted;
use crate::fakes::google::{GoogleCalendar, PRIMARY};
use crate::fakes::microsoft::MicrosoftGraph;
use crate::fakes::oauth::{CLIENT_ID, CLIENT_SECRET, FakeOAuth};
use crate::plugins::wasm;
use crate::{TestApp, oauth_flow};

/// A provider's two fakes, the API trusting what its authorization server issued, and
/// the demo host's installation connected to them.
pub struct Connected<Api> {
    pub oauth: FakeOAuth,
    pub api: Api,
    /// The installation's GraphQL id.
    pub installation: String,
}

/// Google Calendar connected.
pub type ConnectedGoogle = Connected<GoogleCalendar>;
/// Outlook connected.
pub type ConnectedOutlook = Connected<MicrosoftGraph>;

/// Installs and connects Google Calendar for the demo host.
pub async fn connect_google(app: &TestApp) -> ConnectedGoogle {
    let oauth = FakeOAuth::start(&format!("{}/oauth/google-calendar/callback", app.base)).await;
    let api = GoogleCalendar::start(Accepted::IssuedBy(Arc::new(oauth.token_check()))).await;
    let installation = install_and_connect(app, "google-calendar", &api.base, &oauth).await;
    Connected {
        oauth,
        api,
        installation,
    }
}

/// Installs and connects Outlook for the demo host.
pub async fn connect_outlook(app: &TestApp) -> ConnectedOutlook {
    let oauth = FakeOAuth::start(&format!("{}/oauth/outlook/callback", app.base)).await;
    let api = MicrosoftGraph::start(Accepted::IssuedBy(Arc::new(oauth.token_check()))).await;
    let installation = install_and_connect(app, "outlook", &api.base, &oauth).await;
    Connected {
        oauth,
        api,
        installation,
    }
}

/// Adds plugin `plugin`'s package, installs it pointed at the fakes and connects the
/// demo host; the installation's id.
async fn install_and_connect(app: &TestApp, plugin: &str, api: &str, oauth: &FakeOAuth) -> String {
    convene::app::plugins::add_package(&app.app, wasm(&plugin.replace('-', "_")))
        .await
        .expect("the package is accepted");
    let settings = json!([
        {"key": "base_url", "value": api},
        {"key": "oauth_base_url", "value": oauth.base},
        {"key": "client_id", "value": CLIENT_ID},
        {"key": "client_secret", "value": CLIENT_SECRET},
    ]);
    let installed = app
        .graphql(
            "mutation($plugin: String!, $settings: [PluginSettingInput!]!) {
                installPlugin(plugin: $plugin, settings: $settings) { id } }",
            json!({"plugin": plugin, "settings": settings}),
        )
        .await;
    let installation = installed["installPlugin"]["id"]
        .as_str()
        .expect("the installation's id")
        .to_string();
    oauth_flow::connect(app, plugin).await;
    installation
}

/// The demo host's choice of checked calendars and destination.
pub async fn choose<Api>(
    app: &TestApp,
    connected: &Connected<Api>,
    checked: &[&str],
    destination: Option<&str>,
) {
    let chosen = app
        .graphql_as(
            crate::DEMO_KEY,
            CHOOSE,
            json!({"id": connected.installation, "checked": checked, "destination": destination}),
        )
        .await;
    assert!(chosen.body["errors"].is_null(), "{:#}", chosen.body);
}

/// `chooseCalendars` with the variables `id`, `checked` and `destination`.
pub const CHOOSE: &str = "mutation($id: ID!, $checked: [String!]!, $destination: String) {
    chooseCalendars(installationId: $id, checked: $checked, destination: $destination) {
        id checked destination } }";

/// `text` as a UTC instant.
pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("an RFC 3339 time")
}

/// Booking `uid` as stored.
pub async fn booking(app: &TestApp, uid: &str) -> convene::domain::booking::Booking {
    convene::store::bookings::find_by_uid(&app.db, None, uid)
        .await
        .expect("the store answers")
        .expect("the booking exists")
}

/// The start of every slot of the demo 30-minute type next Tuesday, and the answer.
pub async fn tuesday_slots(app: &TestApp) -> (Vec<DateTime<Utc>>, Value) {
    let day = &tuesday("12:00")[..10];
    let event_type = app.event_type_id("30min").await;
    let answer = app
        .get(&format!(
            "/v2/slots?eventTypeId={event_type}&start={day}&end={day}&timeZone=Europe/Berlin"
        ))
        .await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    let starts = answer.data()[day]
        .as_array()
        .into_iter()
        .flatten()
        .map(|slot| at(slot["start"].as_str().expect("a slot start")))
        .collect();
    (starts, answer.body)
}

/// Fans out waiting booking events and runs every calendar sync they asked for.
pub async fn sync_calendars(app: &TestApp) -> Vec<calendar_sync::Synced> {
    webhooks::fan_out(&app.app, 100, Utc::now())
        .await
        .expect("fan out");
    let due = calendar_sync::lease_due(&app.app, std::time::Duration::from_secs(60), 100)
        .await
        .expect("lease syncs");
    let mut done = Vec::new();
    for id in due {
        done.push(calendar_sync::run(&app.app, id).await.expect("a sync run"));
    }
    done
}

impl<Api> Connected<Api> {
    /// The installation's numeric id.
    pub fn id(&self) -> i64 {
        self.installation
            .parse()
            .expect("a numeric installation id")
    }
}

/// Connects Google Calendar for the demo host and pulls it once, which opens a push
/// channel on every writable calendar.
pub async fn connect_google_watched(app: &TestApp) -> ConnectedGoogle {
    let google = connect_google(app).await;
    pull_now(app, &google).await;
    assert!(
        google
            .api
            .state
            .lock()
            .unwrap()
            .open_channel(PRIMARY)
            .is_some(),
        "a push channel on the primary calendar"
    );
    google
}

/// Pulls the installation now, as its periodic pull would.
pub async fn pull_now<Api>(app: &TestApp, connected: &Connected<Api>) {
    let run = convene::app::pull_sync::pull(&app.app, connected.id())
        .await
        .expect("the pull runs");
    assert_eq!(run.error, None, "{run:?}");
}

/// The Google event written for booking `uid` in `calendar`, once the jobs wrote it.
pub async fn event_for(google: &ConnectedGoogle, calendar: &str, uid: &str) -> Value {
    let find = || {
        google
            .api
            .state
            .lock()
            .unwrap()
            .events(calendar)
            .into_iter()
            .find(|e| e["extendedProperties"]["private"]["convene_booking"] == uid)
    };
    crate::until(&format!("the event of booking {uid}"), async || {
        find().is_some()
    })
    .await;
    find().expect("found")
}

/// Books Jane on Tuesday at 11:00 on a new 30-minute event type held on the video
/// `integration` (`google-meet`, `office365_video`).
pub async fn book_video_call(app: &TestApp, integration: &str) {
    let created = app
        .post(
            "/v2/event-types",
            json!({
                "title": "Video call", "slug": "video", "lengthInMinutes": 30,
                "locations": [{"type": "integration", "integration": integration}],
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let booked = app
        .post(
            "/v2/bookings",
            json!({"eventTypeId": created.data()["id"], "start": tuesday("11:00"),
                "attendee": {"name": "Jane", "email": "jane@acme.com", "timeZone": "Europe/Berlin"}}),
        )
        .await;
    assert_eq!(booked.status, 201, "{:#}", booked.body);
}
