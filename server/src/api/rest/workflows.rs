//! `/v2/workflows`: messages sent by themselves around bookings (see
//! `app::workflows`), their planned sends, and a preview of a step's message.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::get, routing::post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Auth, Body, Params, path_id};
use super::{ok, success};
use crate::api::ApiError;
use crate::api::format::utc;
use crate::app::App;
use crate::app::workflows::{self, WorkflowInput};
use crate::domain::workflow::{EventTypes, Owner, Workflow};
use crate::store::workflows::Send;

pub fn router() -> Router<App> {
    Router::new()
        .route("/workflows", get(list).post(create))
        .route("/workflows/preview", post(preview))
        .route("/workflows/{id}", get(show).patch(update).delete(remove))
        .route("/workflows/{id}/sends", get(sends))
}

/// A workflow as answered: the same shape it is written in.
pub fn workflow_json(w: &Workflow) -> Value {
    let (user_id, team_id) = match w.owner {
        Owner::User(user) => (Some(user.0), None),
        Owner::Team(team) => (None, Some(team.0)),
        Owner::Organization => (None, None),
    };
    json!({
        "id": w.id,
        "name": w.name,
        "userId": user_id,
        "teamId": team_id,
        "organization": w.owner == Owner::Organization,
        "trigger": {
            "type": w.trigger.name(),
            "offset": w.trigger.offset_minutes().map(|m| json!({"value": m, "unit": "MINUTES"})),
        },
        "steps": w.steps.iter().map(|s| json!({
            "action": s.action.name(),
            "sendTo": s.action.fixed_recipient(),
            "subject": s.subject,
            "body": s.body,
            "sendIfLate": s.send_if_late,
        })).collect::<Vec<_>>(),
        "activeOnAll": w.event_types == EventTypes::All,
        "activeOn": match &w.event_types {
            EventTypes::All => Vec::new(),
            EventTypes::Only(ids) => ids.iter().map(|id| id.0).collect(),
        },
        "active": w.active,
        "createdAt": utc(w.created_at),
        "updatedAt": utc(w.updated_at),
    })
}

fn send_json(s: &Send) -> Value {
    json!({
        "id": s.id,
        "step": s.step,
        "bookingId": s.booking_id.map(|b| b.0),
        "trigger": s.event_kind,
        "status": s.status.as_str(),
        "dueAt": utc(s.due),
        "attempts": s.attempts,
        "lastError": s.last_error,
        "sentAt": s.sent_at.map(utc),
        "createdAt": utc(s.created_at),
    })
}

async fn list(State(app): State<App>, Auth(caller): Auth) -> Result<Response, ApiError> {
    let all = workflows::list(&app, caller).await?;
    Ok(ok(Value::Array(all.iter().map(workflow_json).collect())))
}

async fn create(
    State(app): State<App>,
    Auth(caller): Auth,
    Body(input): Body<WorkflowInput>,
) -> Result<Response, ApiError> {
    let w = workflows::create(&app, caller, input).await?;
    Ok(success(StatusCode::CREATED, workflow_json(&w)))
}

async fn show(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id("workflow", &id)?;
    Ok(ok(workflow_json(&workflows::get(&app, caller, id).await?)))
}

async fn update(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Body(input): Body<WorkflowInput>,
) -> Result<Response, ApiError> {
    let id = path_id("workflow", &id)?;
    Ok(ok(workflow_json(
        &workflows::update(&app, caller, id, input).await?,
    )))
}

async fn remove(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id("workflow", &id)?;
    workflows::delete(&app, caller, id).await?;
    Ok(ok(json!({ "id": id })))
}

async fn sends(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let id = path_id("workflow", &id)?;
    let limit = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100);
    let all = workflows::sends(&app, caller, id, limit).await?;
    Ok(ok(Value::Array(all.iter().map(send_json).collect())))
}

/// A template to try: `{subject?, body, timeZone?, language?}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PreviewInput {
    #[serde(default)]
    subject: String,
    body: String,
    time_zone: Option<String>,
    language: Option<String>,
}

async fn preview(
    Auth(_caller): Auth,
    Body(input): Body<PreviewInput>,
) -> Result<Response, ApiError> {
    let shown = workflows::preview(
        &input.subject,
        &input.body,
        input.time_zone.as_deref(),
        input.language.as_deref(),
    )?;
    Ok(ok(json!({ "subject": shown.subject, "body": shown.body })))
}
