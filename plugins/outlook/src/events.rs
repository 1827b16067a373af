//! A booking's event in the host's Outlook calendar: created in the calendar the host
//! picked (the default calendar otherwise), patched when the booking changes, deleted
//! when it is cancelled.
//!
//! A create carries a `transactionId` derived from the booking uid, so a create retried
//! after a lost answer gets the first event back rather than a second one. The booking
//! uid is also kept in an open extension (`com.convene.booking`), as the event's own
//! mark of being Convene's. A Teams meeting is asked for when the booking's location is
//! Cal.com's `integrations:office365_video`.

use convene_plugin_sdk::http::encode_component;
use convene_plugin_sdk::{BookingInfo, Outcome, PluginError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::graph::{base_url, call, call_json, date_time, status_of};
use crate::known::{self, KnownEvent};

/// The open extension naming the booking an event is for.
pub const EXTENSION: &str = "com.convene.booking";
/// Convene's location for a Teams meeting (Cal.com's integration name).
const TEAMS_LOCATION: &str = "integrations:office365_video";
/// What every Convene `transactionId` starts with.
pub const TRANSACTION_PREFIX: &str = "convene-";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    id: String,
    web_link: Option<String>,
    online_meeting: Option<OnlineMeeting>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OnlineMeeting {
    join_url: Option<String>,
}

/// The event's body: the booking's description, then where to reschedule or cancel.
fn body_text(booking: &BookingInfo) -> String {
    let mut lines: Vec<String> = booking.description.iter().cloned().collect();
    if let Some(url) = &booking.reschedule_url {
        lines.push(format!("Reschedule: {url}"));
    }
    if let Some(url) = &booking.cancel_url {
        lines.push(format!("Cancel: {url}"));
    }
    lines.join("\n\n")
}

/// The fields a create and an update both send.
fn fields(booking: &BookingInfo) -> Result<Value, PluginError> {
    let mut event = json!({
        "subject": booking.title,
        "body": {"contentType": "text", "content": body_text(booking)},
        "start": date_time(booking.start_ms)?,
        "end": date_time(booking.end_ms)?,
        "attendees": booking.attendees.iter()
            .map(|a| json!({"emailAddress": {"address": a.email, "name": a.name}, "type": "required"}))
            .collect::<Vec<_>>(),
    });
    match booking.location.as_deref() {
        Some(TEAMS_LOCATION) => {
            event["isOnlineMeeting"] = json!(true);
            event["onlineMeetingProvider"] = json!("teamsForBusiness");
        }
        Some(location) => event["location"] = json!({"displayName": location}),
        None => {}
    }
    Ok(event)
}

fn remember(id: &str, booking: &BookingInfo) {
    known::put(
        id,
        &KnownEvent {
            uid: booking.uid.clone(),
            start_ms: booking.start_ms,
            end_ms: booking.end_ms,
            subject: booking.title.clone(),
        },
    );
}

fn outcome(event: Event) -> Outcome {
    Outcome {
        url: event
            .online_meeting
            .and_then(|m| m.join_url)
            .or(event.web_link),
        external_id: Some(event.id),
    }
}

/// Creates the booking's event.
pub fn create(booking: &BookingInfo) -> Result<Outcome, PluginError> {
    let url = match &booking.calendar_id {
        Some(calendar) => format!(
            "{}/me/calendars/{}/events",
            base_url(),
            encode_component(calendar)
        ),
        None => format!("{}/me/events", base_url()),
    };
    let mut event = fields(booking)?;
    event["transactionId"] = json!(format!("{TRANSACTION_PREFIX}{}", booking.uid));
    event["extensions"] = json!([{
        "@odata.type": "microsoft.graph.openTypeExtension",
        "extensionName": EXTENSION,
        "bookingUid": booking.uid,
    }]);
    let created: Event = call_json("POST", &url, Some(&event))?;
    remember(&created.id, booking);
    Ok(outcome(created))
}

/// Brings event `id` up to date with the booking (a reschedule makes a new booking
/// uid, so the extension follows too).
pub fn update(booking: &BookingInfo, id: &str) -> Result<Outcome, PluginError> {
    let url = format!("{}/me/events/{}", base_url(), encode_component(id));
    let updated: Event = call_json("PATCH", &url, Some(&fields(booking)?))?;
    call(
        "PATCH",
        &format!("{url}/extensions/{EXTENSION}"),
        Some(&json!({
            "@odata.type": "microsoft.graph.openTypeExtension",
            "bookingUid": booking.uid,
        })),
    )?;
    remember(id, booking);
    Ok(outcome(updated))
}

/// Deletes the booking's event; one already gone is done.
pub fn delete(booking: &BookingInfo) -> Result<Outcome, PluginError> {
    let Some(id) = booking.external_id.clone() else {
        return Ok(Outcome {
            external_id: None,
            url: None,
        });
    };
    let url = format!("{}/me/events/{}", base_url(), encode_component(&id));
    match call("DELETE", &url, None) {
        Err(e) if status_of(&e) == Some(404) => {}
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    known::forget(&id);
    Ok(Outcome {
        external_id: Some(id),
        url: None,
    })
}
