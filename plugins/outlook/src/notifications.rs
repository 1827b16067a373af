//! Graph's change notifications, as the host stored them from `/hooks/{installation}`:
//! `{"value": [{subscriptionId, clientState, changeType, resourceData: {id, ...}}]}`.
//! Graph signs nothing, so each notification must name one of this installation's
//! subscriptions and echo its `clientState` secret; then the notified calendars are
//! synced through their delta (a notification says only that something changed).

use std::collections::BTreeSet;

use convene_plugin_sdk::http::parse;
use convene_plugin_sdk::signature::same_secret;
use convene_plugin_sdk::{Delivery, PluginError, WebhookRequest};
use serde::Deserialize;

use crate::delta;
use crate::subscriptions::{Subscriptions, known_client_state};

#[derive(Deserialize)]
struct Notifications {
    value: Vec<Notification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    subscription_id: String,
    client_state: Option<String>,
    change_type: Option<String>,
    resource_data: Option<ResourceData>,
}

#[derive(Deserialize)]
struct ResourceData {
    id: Option<String>,
    #[serde(rename = "@odata.etag")]
    etag: Option<String>,
}

/// The changes a verified notification stands for.
pub fn handle(request: &WebhookRequest) -> Result<Delivery, PluginError> {
    let notifications: Notifications = parse(&request.body)?;
    let secret = known_client_state().ok_or(PluginError::BadSignature)?;
    let subscriptions = Subscriptions::load();
    let mut calendars = BTreeSet::new();
    for notification in &notifications.value {
        let echoed = notification.client_state.as_deref().unwrap_or_default();
        if !same_secret(&secret, echoed) {
            return Err(PluginError::BadSignature);
        }
        let calendar = subscriptions
            .calendar_of(&notification.subscription_id)
            .ok_or(PluginError::BadSignature)?;
        calendars.insert(calendar.to_string());
    }
    let mut changes = Vec::new();
    for calendar in &calendars {
        changes.extend(delta::sync(calendar)?);
    }
    Ok(Delivery {
        event_id: notifications.value.first().map(delivery_id),
        changes,
    })
}

/// Graph gives a notification no id of its own: its subscription, event, change and
/// the event's version (etag) together name it, so a redelivery is recognised.
fn delivery_id(notification: &Notification) -> String {
    let data = notification.resource_data.as_ref();
    format!(
        "{}:{}:{}:{}",
        notification.subscription_id,
        data.and_then(|d| d.id.as_deref()).unwrap_or_default(),
        notification.change_type.as_deref().unwrap_or_default(),
        data.and_then(|d| d.etag.as_deref()).unwrap_or_default(),
    )
}
