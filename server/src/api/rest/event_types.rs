//! `/v2/event-types` in Cal.com API v2's shape (`cal-api-version: 2024-06-14`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::get};
use serde_json::{Value, json};

use super::extract::{Auth, Body, MaybeAuth, Params, path_id};
use super::page::{page_request, page_response};
use super::{ok, success};
use crate::api::format::utc;
use crate::api::{ApiError, ErrorCode};
use crate::app::App;
use crate::app::event_types::{self, EventTypeInput};
use crate::domain::event_type::EventType;
use crate::domain::ids::EventTypeId;
use crate::domain::rules::{BookingWindow, PeriodLimits};

pub fn router() -> Router<App> {
    Router::new()
        .route("/event-types", get(list).post(create))
        .route("/event-types/{id}", get(show).patch(update).delete(remove))
}

pub(super) fn limits_json(l: &PeriodLimits) -> Value {
    if *l == PeriodLimits::default() {
        return json!({ "disabled": true });
    }
    json!({ "day": l.day, "week": l.week, "month": l.month, "year": l.year })
}

fn window_json(w: &BookingWindow) -> Value {
    match w {
        BookingWindow::Unlimited => json!({ "disabled": true }),
        BookingWindow::CalendarDays(days) => {
            json!({ "type": "calendarDays", "value": days, "rolling": false })
        }
        BookingWindow::BusinessDays(days) => {
            json!({ "type": "businessDays", "value": days, "rolling": false })
        }
        BookingWindow::DateRange { start, end } => {
            json!({ "type": "range", "value": [start.to_string(), end.to_string()] })
        }
    }
}

fn confirmation_json(e: &EventType) -> Value {
    match (e.requires_confirmation, e.confirmation_threshold_min) {
        (false, _) => json!({ "disabled": true }),
        (true, None) => json!({ "type": "always", "blockUnconfirmedBookingsInBooker": true }),
        (true, Some(minutes)) => json!({
            "type": "time",
            "noticeThreshold": { "unit": "minutes", "count": minutes },
            "blockUnconfirmedBookingsInBooker": true,
        }),
    }
}

/// An event type as Cal.com API v2 answers it.
pub(super) fn event_type_json(e: &EventType) -> Value {
    json!({
        "id": e.id.0,
        "ownerId": e.owner.0,
        "title": e.title,
        "slug": e.slug,
        "description": e.description,
        "lengthInMinutes": e.length_min,
        "lengthInMinutesOptions": e.length_options,
        "slotInterval": e.slot_interval_min,
        "minimumBookingNotice": e.min_notice_min,
        "beforeEventBuffer": e.buffer_before_min,
        "afterEventBuffer": e.buffer_after_min,
        "scheduleId": e.schedule_id.map(|s| s.0),
        "bookingLimitsCount": limits_json(&e.count_limits),
        "bookingLimitsDuration": limits_json(&e.duration_limits),
        "bookingWindow": window_json(&e.window),
        "requiresConfirmation": e.requires_confirmation,
        "requiresConfirmationThresholdMin": e.confirmation_threshold_min,
        "confirmationPolicy": confirmation_json(e),
        "lockTimeZoneToggleOnBookingPage": e.locked_time_zone.is_some(),
        "lockedTimeZone": e.locked_time_zone.map(|z| z.name()),
        "seats": e.seats.map_or_else(
            || json!({ "disabled": true }),
            |s| json!({
                "seatsPerTimeSlot": s.per_time_slot,
                "showAttendeeInfo": s.show_attendees,
                "showAvailabilityCount": true,
            }),
        ),
        "recurrence": e.recurrence.map_or_else(
            || json!({ "disabled": true }),
            |r| json!({
                "frequency": r.frequency.as_str(),
                "interval": r.interval,
                "occurrences": r.max_occurrences,
            }),
        ),
        "locations": e.locations,
        "bookingFields": e.booking_fields,
        "createdAt": utc(e.created_at),
        "updatedAt": utc(e.updated_at),
    })
}

/// Own event types with a key; with `?username=` (and `eventSlug=`), a host's public ones.
async fn list(
    State(app): State<App>,
    MaybeAuth(caller): MaybeAuth,
    params: Params,
) -> Result<Response, ApiError> {
    if let Some(username) = params.get("username") {
        let Some(slug) = params.get("eventSlug") else {
            return Err(ApiError::field(
                ErrorCode::ValidationError,
                "eventSlug",
                "is required with username",
            ));
        };
        let (_, e) = event_types::find_public(&app, &username, &slug).await?;
        return Ok(ok(json!([event_type_json(&e)])));
    }
    let Some(caller) = caller else {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "send an API key to list your event types, or ?username=&eventSlug= for a public one",
        ));
    };
    let page = event_types::list(&app, caller, page_request(&params)?).await?;
    Ok(page_response(&page, event_type_json))
}

async fn create(
    State(app): State<App>,
    Auth(caller): Auth,
    Body(input): Body<EventTypeInput>,
) -> Result<Response, ApiError> {
    let e = event_types::create(&app, caller, input).await?;
    Ok(success(StatusCode::CREATED, event_type_json(&e)))
}

async fn show(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = EventTypeId(path_id("event type", &id)?);
    Ok(ok(event_type_json(
        &event_types::get(&app, caller, id).await?,
    )))
}

async fn update(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Body(input): Body<EventTypeInput>,
) -> Result<Response, ApiError> {
    let id = EventTypeId(path_id("event type", &id)?);
    Ok(ok(event_type_json(
        &event_types::update(&app, caller, id, input).await?,
    )))
}

async fn remove(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = EventTypeId(path_id("event type", &id)?);
    let e = event_types::get(&app, caller, id).await?;
    event_types::delete(&app, caller, id).await?;
    Ok(ok(event_type_json(&e)))
}
