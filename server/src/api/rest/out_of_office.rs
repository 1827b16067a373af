//! `/v2/me/ooo`: the caller's out-of-office entries, as Cal.com API v2 has them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::get};
use chrono::Utc;
use serde_json::{Value, json};

use super::extract::{Auth, Body, Params, path_id};
use super::page::{page_request, page_response};
use super::{ok, success};
use crate::api::ApiError;
use crate::api::format::utc;
use crate::app::App;
use crate::app::out_of_office::{self, OutOfOfficeInput};
use crate::domain::ids::OutOfOfficeId;
use crate::domain::out_of_office::OutOfOffice;

pub fn router() -> Router<App> {
    Router::new()
        .route("/me/ooo", get(list).post(create))
        .route("/me/ooo/{id}", get(show).patch(update).delete(remove))
}

/// An entry in Cal.com's shape: `id, userId, toUserId, start, end, notes, reason`.
fn entry_json(e: &OutOfOffice) -> Value {
    json!({
        "id": e.id.0,
        "userId": e.user_id.0,
        "toUserId": e.redirect_to.map(|u| u.0),
        "start": utc(e.span.start),
        "end": utc(e.span.end),
        "notes": e.notes,
        "reason": e.reason.as_str(),
        "createdAt": utc(e.created_at),
    })
}

fn entry_id(raw: &str) -> Result<OutOfOfficeId, ApiError> {
    Ok(OutOfOfficeId(path_id("out-of-office entry", raw)?))
}

async fn list(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
) -> Result<Response, ApiError> {
    let page = out_of_office::list(&app, caller, &page_request(&params)?).await?;
    Ok(page_response(&page, entry_json))
}

async fn create(
    State(app): State<App>,
    Auth(caller): Auth,
    Body(input): Body<OutOfOfficeInput>,
) -> Result<Response, ApiError> {
    let entry = out_of_office::create(&app, caller, input, Utc::now()).await?;
    Ok(success(StatusCode::CREATED, entry_json(&entry)))
}

async fn show(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(entry_json(
        &out_of_office::get(&app, caller, entry_id(&id)?).await?,
    )))
}

async fn update(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Body(input): Body<OutOfOfficeInput>,
) -> Result<Response, ApiError> {
    let entry = out_of_office::update(&app, caller, entry_id(&id)?, input, Utc::now()).await?;
    Ok(ok(entry_json(&entry)))
}

async fn remove(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(ok(entry_json(
        &out_of_office::delete(&app, caller, entry_id(&id)?).await?,
    )))
}
