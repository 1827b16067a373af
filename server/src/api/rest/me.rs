//! `GET /v2/me`: who the API key belongs to; `/v2/me/notifications`: what Convene has
//! told them (a webhook switched off, …).

use axum::extract::{Path, State};
use axum::response::Response;
use axum::{
    Router,
    routing::{get, post},
};
use serde_json::{Value, json};

use super::extract::{Auth, Params, path_id};
use super::ok;
use super::page::{page_request, page_response};
use crate::api::ApiError;
use crate::api::format::utc;
use crate::app::{App, notifications, users};
use crate::domain::user::User;
use crate::store::notifications::Notification;

pub fn router() -> Router<App> {
    Router::new()
        .route("/me", get(me))
        .route("/me/notifications", get(list_notifications))
        .route("/me/notifications/unread-count", get(unread_count))
        .route("/me/notifications/{id}/read", post(mark_read))
}

async fn me(State(app): State<App>, Auth(caller): Auth) -> Result<Response, ApiError> {
    Ok(ok(user_json(&users::me(&app, caller).await?)))
}

/// A user as `GET /v2/me` answers it.
pub(super) fn user_json(user: &User) -> Value {
    json!({
        "id": user.id.0,
        "username": user.username,
        "email": user.email,
        "name": user.name,
        "timeZone": user.time_zone.name(),
        "organizationId": user.org_id.0,
        "organizationRole": user.org_role.as_str(),
        "defaultScheduleId": user.default_schedule_id.map(|s| s.0),
    })
}

fn notification_json(n: &Notification) -> Value {
    json!({
        "id": n.id,
        "kind": n.kind,
        "subject": n.subject,
        "message": n.message,
        "createdAt": utc(n.created_at),
        "readAt": n.read_at.map(utc),
    })
}

async fn list_notifications(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
) -> Result<Response, ApiError> {
    let page = notifications::list(&app, caller, page_request(&params)?).await?;
    Ok(page_response(&page, notification_json))
}

async fn mark_read(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id("notification", &id)?;
    Ok(ok(notification_json(
        &notifications::mark_read(&app, caller, id).await?,
    )))
}

async fn unread_count(State(app): State<App>, Auth(caller): Auth) -> Result<Response, ApiError> {
    let count = notifications::unread_count(&app, caller).await?;
    Ok(ok(json!({ "count": count })))
}
