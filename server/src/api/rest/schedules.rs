//! `/v2/schedules` in Cal.com API v2's shape (`cal-api-version: 2024-06-11`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::get};
use serde_json::{Value, json};

use super::extract::{Auth, Body, Params, path_id};
use super::page::{page_request, page_response};
use super::{ok, success};
use crate::api::ApiError;
use crate::app::App;
use crate::app::schedules::{self, ScheduleInput, ScheduleView};
use crate::domain::ids::ScheduleId;

pub fn router() -> Router<App> {
    Router::new()
        .route("/schedules", get(list).post(create))
        .route("/schedules/default", get(default))
        .route("/schedules/{id}", get(show).patch(update).delete(remove))
}

/// A schedule as Cal.com API v2 answers it: weekly rules grouped by identical hours.
fn schedule_json(view: &ScheduleView) -> Value {
    let s = &view.schedule;
    json!({
        "id": s.id.0,
        "ownerId": s.user_id.0,
        "name": s.name,
        "timeZone": s.rules.tz.name(),
        "isDefault": view.is_default,
        "availability": view.availability(),
        "overrides": view.overrides(),
    })
}

async fn list(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
) -> Result<Response, ApiError> {
    let page = schedules::list(&app, caller, page_request(&params)?).await?;
    Ok(page_response(&page, schedule_json))
}

async fn create(
    State(app): State<App>,
    Auth(caller): Auth,
    Body(input): Body<ScheduleInput>,
) -> Result<Response, ApiError> {
    let view = schedules::create(&app, caller, input).await?;
    Ok(success(StatusCode::CREATED, schedule_json(&view)))
}

async fn default(State(app): State<App>, Auth(caller): Auth) -> Result<Response, ApiError> {
    Ok(ok(schedule_json(
        &schedules::get_default(&app, caller).await?,
    )))
}

async fn show(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = ScheduleId(path_id("schedule", &id)?);
    Ok(ok(schedule_json(&schedules::get(&app, caller, id).await?)))
}

async fn update(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Body(input): Body<ScheduleInput>,
) -> Result<Response, ApiError> {
    let id = ScheduleId(path_id("schedule", &id)?);
    Ok(ok(schedule_json(
        &schedules::update(&app, caller, id, input).await?,
    )))
}

async fn remove(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = ScheduleId(path_id("schedule", &id)?);
    let view = schedules::get(&app, caller, id).await?;
    schedules::delete(&app, caller, id).await?;
    Ok(ok(schedule_json(&view)))
}
