//! `/v2/bookings` in Cal.com API v2's shape (`cal-api-version: 2024-08-13`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::get, routing::post};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Auth, Body, MaybeAuth, Params};
use super::page::{page_request, page_response};
use super::{ok, success};
use crate::api::format::utc;
use crate::api::{ApiError, ErrorCode};
use crate::app::bookings::{
    self, Booked, BookingView, CancelInput, CreateBookingInput, ListInput, RescheduleInput,
    StatusFilter,
};
use crate::app::{App, series};

pub fn router() -> Router<App> {
    Router::new()
        .route("/bookings", post(create).get(list))
        .route("/bookings/{uid}", get(show))
        .route("/bookings/{uid}/reschedule", post(reschedule))
        .route("/bookings/{uid}/cancel", post(cancel))
        .route("/bookings/{uid}/confirm", post(confirm))
        .route("/bookings/{uid}/decline", post(decline))
        .route("/bookings/{uid}/mark-absent", post(mark_absent))
        .route("/bookings/{uid}/reassign", post(reassign))
}

/// A booking as Cal.com API v2 answers it.
pub fn booking_json(view: &BookingView) -> Value {
    let b = &view.booking;
    let meeting_url = b
        .location
        .as_deref()
        .filter(|l| l.starts_with("https://") || l.starts_with("http://"));
    let mut body = json!({
        "id": b.id.0,
        "uid": b.uid,
        "title": b.title,
        "description": b.description,
        "hosts": view.hosts.iter().map(|h| json!({
            "id": h.id.0,
            "name": h.name,
            "email": h.email,
            "username": h.username,
            "timeZone": h.time_zone.name(),
        })).collect::<Vec<_>>(),
        "status": b.status.as_str(),
        "cancellationReason": b.cancellation_reason,
        "cancelledBy": b.cancelled_by.map(|c| c.as_str()),
        "reschedulingReason": b.rescheduling_reason,
        "rescheduledFromUid": b.rescheduled_from_uid,
        "rescheduledToUid": b.rescheduled_to_uid,
        "start": utc(b.span.start),
        "end": utc(b.span.end),
        "duration": b.span.minutes(),
        "eventTypeId": b.event_type_id.0,
        "eventType": { "id": b.event_type_id.0, "slug": view.event_type_slug },
        "attendees": b.attendees.iter().map(|a| json!({
            "name": a.name,
            "email": a.email,
            "timeZone": a.time_zone.name(),
            "language": a.language,
            "phoneNumber": a.phone_number,
            "absent": a.absent,
        })).collect::<Vec<_>>(),
        "guests": b.guests,
        "location": b.location,
        "meetingUrl": meeting_url,
        "metadata": b.metadata,
        "bookingFieldsResponses": b.responses,
        "createdAt": utc(b.created_at),
        "updatedAt": utc(b.updated_at),
    });
    if let Some(seat) = &view.seat_uid {
        body["seatUid"] = json!(seat);
    }
    if let Some(series) = &b.recurring_booking_uid {
        body["recurringBookingUid"] = json!(series);
    }
    if let Some(assignment) = b.assignment {
        body["assignment"] = json!({
            "reason": assignment.reason(),
            "customerId": assignment.customer().map(|c| c.0),
        });
    }
    body
}

async fn create(
    State(app): State<App>,
    MaybeAuth(_): MaybeAuth,
    Body(input): Body<CreateBookingInput>,
) -> Result<Response, ApiError> {
    let body = match bookings::create(&app, input, Utc::now()).await? {
        Booked::One(view) => booking_json(&view),
        Booked::Series(views) => Value::Array(views.iter().map(booking_json).collect()),
    };
    Ok(success(StatusCode::CREATED, body))
}

async fn show(
    State(app): State<App>,
    MaybeAuth(caller): MaybeAuth,
    Path(uid): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(booking_json(&bookings::get(&app, caller, &uid).await?)))
}

async fn list(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
) -> Result<Response, ApiError> {
    let statuses = params
        .get("status")
        .map(|s| {
            s.split(',')
                .map(|one| {
                    StatusFilter::parse(one.trim()).ok_or_else(|| {
                        ApiError::field(
                            ErrorCode::ValidationError,
                            "status",
                            format!("`{one}` is not one of upcoming, past, cancelled, unconfirmed"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let descending = match params.get("sortStart").as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::field(
                ErrorCode::ValidationError,
                "sortStart",
                format!("`{other}` is not one of asc, desc"),
            ));
        }
    };
    let input = ListInput {
        statuses,
        attendee_email: params.get("attendeeEmail"),
        event_type_id: params.int("eventTypeId")?,
        after_start: params.get("afterStart"),
        before_end: params.get("beforeEnd"),
        descending,
        page: page_request(&params)?,
    };
    let page = bookings::list(&app, caller, input, Utc::now()).await?;
    Ok(page_response(&page, booking_json))
}

async fn reschedule(
    State(app): State<App>,
    MaybeAuth(caller): MaybeAuth,
    Path(uid): Path<String>,
    Body(input): Body<RescheduleInput>,
) -> Result<Response, ApiError> {
    let view = bookings::reschedule(&app, caller, &uid, input, Utc::now()).await?;
    Ok(success(StatusCode::CREATED, booking_json(&view)))
}

/// `{cancellationReason?, seatUid?, cancelSubsequentBookings?}`; with `seatUid` (or a
/// seat's uid in the path) only that seat of a seated booking is cancelled; with
/// `cancelSubsequentBookings: true` this occurrence and the rest of its series are,
/// answered as an array.
async fn cancel(
    State(app): State<App>,
    MaybeAuth(caller): MaybeAuth,
    Path(uid): Path<String>,
    Body(body): Body<CancelInput>,
) -> Result<Response, ApiError> {
    if body.cancel_subsequent_bookings == Some(true) {
        let reason = body.cancellation_reason;
        let views = series::cancel_from(&app, caller, &uid, reason, Utc::now()).await?;
        return Ok(ok(Value::Array(views.iter().map(booking_json).collect())));
    }
    let view = bookings::cancel_with(&app, caller, &uid, body, Utc::now()).await?;
    Ok(ok(booking_json(&view)))
}

/// `POST /v2/bookings/{uid}/reassign`: a round-robin booking goes to the next host.
async fn reassign(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(uid): Path<String>,
) -> Result<Response, ApiError> {
    let view = bookings::reassign(&app, caller, &uid, Utc::now()).await?;
    Ok(ok(booking_json(&view)))
}

async fn confirm(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(uid): Path<String>,
) -> Result<Response, ApiError> {
    let view = bookings::confirm(&app, caller, &uid, Utc::now()).await?;
    Ok(ok(booking_json(&view)))
}

#[derive(Deserialize)]
struct DeclineBody {
    reason: Option<String>,
}

async fn decline(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(uid): Path<String>,
    Body(body): Body<DeclineBody>,
) -> Result<Response, ApiError> {
    let view = bookings::decline(&app, caller, &uid, body.reason, Utc::now()).await?;
    Ok(ok(booking_json(&view)))
}

#[derive(Deserialize)]
struct MarkAbsentBody {
    #[serde(default)]
    attendees: Vec<bookings::Presence>,
}

/// Cal.com's `POST /v2/bookings/{uid}/mark-absent`: the host marks no-shows.
async fn mark_absent(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(uid): Path<String>,
    Body(body): Body<MarkAbsentBody>,
) -> Result<Response, ApiError> {
    let view = bookings::mark_absent(&app, caller, &uid, body.attendees, Utc::now()).await?;
    Ok(ok(booking_json(&view)))
}
