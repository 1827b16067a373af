//! `/v2/scheduling-links`: a CSM makes, lists and revokes links (API key); an invitee
//! opens one and books through it with the token alone. A link made without an
//! `eventTypeId` for a customer or stakeholder books the recommended event type, and
//! the answer's `recommendation` says which kind of meeting and why.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::get, routing::post};
use chrono::Utc;
use serde_json::{Value, json};

use super::bookings::booking_json;
use super::extract::{Auth, Body, Params, path_id};
use super::page::{page_request, page_response};
use super::{ok, success};
use crate::api::ApiError;
use crate::api::format::utc;
use crate::api::public_url::PublicUrl;
use crate::app::App;
use crate::app::bookings::CreateBookingInput;
use crate::app::scheduling_links::{self, OpenedLink, SchedulingLinkInput};
use crate::domain::crm::recommendation::Recommendation;
use crate::domain::ids::{CustomerId, SchedulingLinkId};
use crate::domain::scheduling_link::SchedulingLink;

/// `{key}` is a link's token on the invitee's routes and its id on `DELETE`.
pub fn router() -> Router<App> {
    Router::new()
        .route("/scheduling-links", post(create).get(list))
        .route("/scheduling-links/{key}", get(open).delete(revoke))
        .route("/scheduling-links/{key}/bookings", post(book))
}

/// A link as its CSM sees it.
pub fn link_json(l: &SchedulingLink, base: &PublicUrl) -> Value {
    json!({
        "id": l.id.0,
        "url": base.scheduling_link(&l.token),
        "token": l.token,
        "eventTypeId": l.event_type_id.0,
        "customerId": l.customer_id.map(|c| c.0),
        "stakeholderId": l.stakeholder_id.map(|s| s.0),
        "prefillName": l.prefill_name,
        "prefillEmail": l.prefill_email,
        "maxUses": l.max_uses,
        "uses": l.uses,
        "expiresAt": utc(l.expires_at),
        "createdAt": utc(l.created_at),
        "firstOpenedAt": l.first_opened_at.map(utc),
        "lastOpenedAt": l.last_opened_at.map(utc),
        "openCount": l.open_count,
        "usedAt": l.used_at.map(utc),
        "revokedAt": l.revoked_at.map(utc),
        "status": l.status(Utc::now()).as_str(),
    })
}

/// Why an event type was recommended: `{category, reason}`.
pub fn recommendation_json(r: &Recommendation) -> Value {
    json!({ "category": r.category.as_str(), "reason": r.reason })
}

/// What the invitee's page needs: the event type, the host, the filled-in fields.
fn opened_json(o: &OpenedLink) -> Value {
    let e = &o.event_type;
    json!({
        "eventType": {
            "id": e.id.0,
            "slug": e.slug,
            "title": e.title,
            "description": e.description,
            "lengthInMinutes": e.length_min,
            "lengthInMinutesOptions": e.length_options,
        },
        "host": {
            "name": o.host.name,
            "username": o.host.username,
            "timeZone": o.host.time_zone.name(),
        },
        "prefill": { "name": o.link.prefill_name, "email": o.link.prefill_email },
        "usesLeft": o.link.uses_left(),
        "expiresAt": utc(o.link.expires_at),
    })
}

async fn create(
    State(app): State<App>,
    Auth(caller): Auth,
    base: PublicUrl,
    Body(input): Body<SchedulingLinkInput>,
) -> Result<Response, ApiError> {
    let created = scheduling_links::create(&app, caller, input, Utc::now()).await?;
    let mut body = link_json(&created.link, &base);
    body["recommendation"] = json!(created.recommendation.as_ref().map(recommendation_json));
    Ok(success(StatusCode::CREATED, body))
}

async fn list(
    State(app): State<App>,
    Auth(caller): Auth,
    base: PublicUrl,
    params: Params,
) -> Result<Response, ApiError> {
    let customer = params.int("customerId")?.map(CustomerId);
    let page = scheduling_links::list(&app, caller, customer, page_request(&params)?).await?;
    Ok(page_response(&page, |l| link_json(l, &base)))
}

async fn revoke(
    State(app): State<App>,
    Auth(caller): Auth,
    base: PublicUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = SchedulingLinkId(path_id("scheduling link", &id)?);
    let link = scheduling_links::revoke(&app, caller, id, Utc::now()).await?;
    Ok(ok(link_json(&link, &base)))
}

async fn open(State(app): State<App>, Path(token): Path<String>) -> Result<Response, ApiError> {
    let opened = scheduling_links::open(&app, &token, Utc::now()).await?;
    Ok(ok(opened_json(&opened)))
}

async fn book(
    State(app): State<App>,
    Path(token): Path<String>,
    Body(input): Body<CreateBookingInput>,
) -> Result<Response, ApiError> {
    let view = scheduling_links::book(&app, &token, input, Utc::now()).await?;
    Ok(success(StatusCode::CREATED, booking_json(&view)))
}
