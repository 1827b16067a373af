//! `/v2/routing-forms`: routing forms (owners, with a key) and their public side for
//! invitees: open a form prefilled from the link's query, submit answers and learn
//! where they lead, with the first slots of an event-type route.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::get};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::extract::{Auth, Body, Params, path_id};
use super::page::{page_request, page_response};
use super::slots::by_date;
use super::{ok, success};
use crate::api::ApiError;
use crate::api::format::utc;
use crate::app::App;
use crate::app::routing_forms::{self, RoutingFormInput, SlotRange, Submission};
use crate::domain::ids::RoutingFormId;
use crate::domain::routing_form::{FormResponse, RoutingForm, Target};

pub fn router() -> Router<App> {
    Router::new()
        .route("/routing-forms", get(list).post(create))
        .route(
            "/routing-forms/{id}",
            get(show).patch(update).delete(remove),
        )
        .route("/routing-forms/{id}/prefill", get(prefill))
        .route(
            "/routing-forms/{id}/responses",
            get(list_responses).post(submit),
        )
}

fn form_id(raw: &str) -> Result<RoutingFormId, ApiError> {
    Ok(RoutingFormId(path_id("routing form", raw)?))
}

/// A form: its questions, routes and fallback as they are written in.
pub(crate) fn form_json(form: &RoutingForm) -> Value {
    json!({
        "id": form.id.0,
        "name": form.name,
        "description": form.description,
        "userId": form.owner.0,
        "teamId": form.team_id.map(|t| t.0),
        "fields": form.rules.fields,
        "routes": form.rules.routes,
        "fallback": form.rules.fallback,
        "createdAt": utc(form.created_at),
        "updatedAt": utc(form.updated_at),
    })
}

/// A kept response with where it went.
pub(crate) fn response_json(r: &FormResponse) -> Value {
    json!({
        "id": r.id.0,
        "formId": r.form_id.0,
        "response": r.answers,
        "routeIndex": r.route,
        "routedTo": r.target,
        "createdAt": utc(r.created_at),
    })
}

/// A submission's answer, in Cal.com's shape for form responses: `eventTypeId` and
/// `slots` (keyed by date, as `GET /v2/slots`) for an event-type route,
/// `routing.teamMemberIds` for chosen members, `routingExternalRedirectUrl` or
/// `routingCustomMessage` otherwise; plus the kept response's id and route, and
/// `routing.contactOwner` when the slots are the booker's account owner's.
fn submission_json(s: &Submission) -> Value {
    let target = &s.response.target;
    let (url, message, members) = match target {
        Target::ExternalUrl { url } => (Some(url.as_str()), None, None),
        Target::Message { message } => (None, Some(message.as_str()), None),
        Target::TeamMembers { member_ids, .. } => (None, None, Some(member_ids)),
        Target::EventType { .. } => (None, None, None),
    };
    json!({
        "responseId": s.response.id.0,
        "routeIndex": s.response.route,
        "routedTo": target,
        "eventTypeId": target.event_type().map(|e| e.0),
        "routing": {
            "responseId": s.response.id.0,
            "teamMemberIds": members.map(|m| m.iter().map(|u| u.0).collect::<Vec<_>>()),
            "contactOwner": s.contact_owner.map(|(customer, user)| json!({
                "userId": user.0,
                "customerId": customer.0,
            })),
        },
        "routingExternalRedirectUrl": url,
        "routingCustomMessage": message,
        "slots": s.slots.as_ref().map(|view| by_date(view, false)),
    })
}

async fn create(
    State(app): State<App>,
    Auth(caller): Auth,
    Body(input): Body<RoutingFormInput>,
) -> Result<Response, ApiError> {
    let form = routing_forms::create(&app, caller, input, Utc::now()).await?;
    Ok(success(StatusCode::CREATED, form_json(&form)))
}

async fn list(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
) -> Result<Response, ApiError> {
    let page = routing_forms::list(&app, caller, &page_request(&params)?).await?;
    Ok(page_response(&page, form_json))
}

async fn show(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let form = routing_forms::get(&app, caller, form_id(&id)?).await?;
    Ok(ok(form_json(&form)))
}

async fn update(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Body(input): Body<RoutingFormInput>,
) -> Result<Response, ApiError> {
    let form = routing_forms::update(&app, caller, form_id(&id)?, input, Utc::now()).await?;
    Ok(ok(form_json(&form)))
}

async fn remove(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = form_id(&id)?;
    let form = routing_forms::get(&app, caller, id).await?;
    routing_forms::delete(&app, caller, id).await?;
    Ok(ok(form_json(&form)))
}

/// The form as an invitee sees it, with `prefill`: the answers the query fills in
/// (`?interest=Sales%20Demo`). No key needed.
async fn prefill(
    State(app): State<App>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let (form, prefill) = routing_forms::open(&app, form_id(&id)?, &params.0).await?;
    Ok(ok(json!({
        "id": form.id.0,
        "name": form.name,
        "description": form.description,
        "fields": form.rules.fields,
        "prefill": prefill,
    })))
}

/// Submits answers (the body: field id → answer) as an invitee; `start`, `end` and
/// `timeZone` in the query shape the slots of an event-type route, and
/// `skipContactOwner=true` leaves a round-robin route to the rotation. No key needed.
async fn submit(
    State(app): State<App>,
    Path(id): Path<String>,
    params: Params,
    Body(responses): Body<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let range = SlotRange {
        start: params.get("start"),
        end: params.get("end"),
        time_zone: params.get("timeZone"),
        skip_contact_owner: params.get("skipContactOwner").as_deref() == Some("true"),
    };
    let submission =
        routing_forms::submit(&app, form_id(&id)?, &responses, range, Utc::now()).await?;
    Ok(success(StatusCode::CREATED, submission_json(&submission)))
}

async fn list_responses(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let page =
        routing_forms::responses(&app, caller, form_id(&id)?, &page_request(&params)?).await?;
    Ok(page_response(&page, response_json))
}
