//! `GET /v2/slots`: slots keyed by date in the invitee's zone (`cal-api-version: 2024-09-04`).

use axum::extract::State;
use axum::response::Response;
use axum::{Router, routing::get};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::extract::Params;
use super::ok;
use crate::api::format::local;
use crate::api::{ApiError, ErrorCode};
use crate::app::App;
use crate::app::availability::{self, EventTypeRef, SlotsInput, SlotsView};

pub fn router() -> Router<App> {
    Router::new().route("/slots", get(slots))
}

async fn slots(State(app): State<App>, params: Params) -> Result<Response, ApiError> {
    let range = match params.get("format").as_deref() {
        None | Some("time") => false,
        Some("range") => true,
        Some(other) => {
            return Err(ApiError::field(
                ErrorCode::ValidationError,
                "format",
                format!("`{other}` is not one of time, range"),
            ));
        }
    };
    let input = SlotsInput {
        event_type: EventTypeRef::from_fields(
            params.int("eventTypeId")?,
            params.get("username"),
            params.get("teamSlug"),
            params.get("eventTypeSlug"),
        )?,
        start: params.required("start")?,
        end: params.required("end")?,
        time_zone: params.get("timeZone"),
        duration: params.int("duration")?,
        booking_uid_to_reschedule: params.get("bookingUidToReschedule"),
    };
    let view = availability::slots(&app, input, Utc::now()).await?;
    Ok(ok(by_date(&view, range)))
}

/// `{ "2026-11-20": [{"start": …}], … }`; a day without slots has no key.
pub(super) fn by_date(view: &SlotsView, range: bool) -> Value {
    let mut days = Map::new();
    for slot in &view.slots {
        let date = slot
            .start
            .with_timezone(&view.time_zone)
            .date_naive()
            .to_string();
        let mut entry = json!({ "start": local(slot.start, view.time_zone) });
        if range {
            entry["end"] = json!(local(slot.end, view.time_zone));
        }
        if let Value::Array(list) = days.entry(date).or_insert_with(|| json!([])) {
            list.push(entry);
        }
    }
    Value::Object(days)
}
