//! `/v2/schedules` in Cal.com API v2's shape (`cal-api-version: 2024-06-11`).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::get};
use serde_json::{Value, json};

use super::extract::{Auth, Body, path_id};
use super::{ok, success};
use crate::api::ApiError;
use crate::app::App;
use crate::app::schedules::{self, ScheduleInput, ScheduleView, weekday_name};
use crate::domain::ids::ScheduleId;
use crate::domain::schedule::format_hhmm;

pub fn router() -> Router<App> {
    Router::new()
        .route("/schedules", get(list).post(create))
        .route("/schedules/default", get(default))
        .route("/schedules/{id}", get(show).patch(update).delete(remove))
}

/// A schedule as Cal.com API v2 answers it: weekly rules grouped by identical hours.
fn schedule_json(view: &ScheduleView) -> Value {
    let s = &view.schedule;
    let mut by_hours: BTreeMap<(u16, u16), Vec<&str>> = BTreeMap::new();
    for rule in &s.rules.weekly {
        by_hours
            .entry((rule.range.start_min, rule.range.end_min))
            .or_default()
            .push(weekday_name(rule.weekday));
    }
    let availability: Vec<Value> = by_hours
        .into_iter()
        .map(|((start, end), days)| json!({ "days": days, "startTime": format_hhmm(start), "endTime": format_hhmm(end) }))
        .collect();
    let overrides: Vec<Value> = s
        .rules
        .overrides
        .iter()
        .flat_map(|o| {
            let date = o.date.to_string();
            if o.ranges.is_empty() {
                vec![json!({ "date": date, "startTime": "00:00", "endTime": "00:00" })]
            } else {
                o.ranges
                    .iter()
                    .map(|r| json!({ "date": date, "startTime": format_hhmm(r.start_min), "endTime": format_hhmm(r.end_min) }))
                    .collect()
            }
        })
        .collect();
    json!({
        "id": s.id.0,
        "ownerId": s.user_id.0,
        "name": s.name,
        "timeZone": s.rules.tz.name(),
        "isDefault": view.is_default,
        "availability": availability,
        "overrides": overrides,
    })
}

async fn list(State(app): State<App>, Auth(caller): Auth) -> Result<Response, ApiError> {
    let all = schedules::list(&app, caller).await?;
    Ok(ok(Value::Array(all.iter().map(schedule_json).collect())))
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
