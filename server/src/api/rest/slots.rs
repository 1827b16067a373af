//! `GET /v2/slots`: slots keyed by date in the invitee's zone (`cal-api-version: 2024-09-04`).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::extract::Params;
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
    // Beside `data`, so Cal.com clients reading only `data` see its usual shape; slots
    // computed with a connected calendar's last known busy times say so in `warnings`.
    let mut body = json!({
        "status": "success",
        "data": by_date(&view, range),
        "timeZone": view.time_zone.name(),
        "timeZoneLocked": view.time_zone_locked,
    });
    if !view.warnings.is_empty() {
        body["warnings"] = json!(view.warnings);
    }
    Ok(Json(body).into_response())
}

/// `{ "2026-11-20": [{"start": …}], … }`; a day without slots has no key.
pub(super) fn by_date(view: &SlotsView, range: bool) -> Value {
    let mut days = Map::new();
    for offered in &view.slots {
        let slot = offered.span;
        let date = slot
            .start
            .with_timezone(&view.time_zone)
            .date_naive()
            .to_string();
        let mut entry = json!({ "start": local(slot.start, view.time_zone) });
        if range {
            entry["end"] = json!(local(slot.end, view.time_zone));
        }
        if let Some(seats) = offered.seats {
            entry["seatsBooked"] = json!(seats.booked);
            entry["seatsRemaining"] = json!(seats.remaining());
            entry["seatsTotal"] = json!(seats.total);
        }
        if let Value::Array(list) = days.entry(date).or_insert_with(|| json!([])) {
            list.push(entry);
        }
    }
    Value::Object(days)
}
