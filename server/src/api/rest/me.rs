//! `GET /v2/me`: who the API key belongs to.

use axum::extract::State;
use axum::response::Response;
use axum::{Router, routing::get};
use serde_json::json;

use super::extract::Auth;
use super::ok;
use crate::api::ApiError;
use crate::app::{App, users};

pub fn router() -> Router<App> {
    Router::new().route("/me", get(me))
}

async fn me(State(app): State<App>, Auth(caller): Auth) -> Result<Response, ApiError> {
    let user = users::me(&app, caller).await?;
    Ok(ok(json!({
        "id": user.id.0,
        "username": user.username,
        "email": user.email,
        "name": user.name,
        "timeZone": user.time_zone.name(),
        "organizationId": user.org_id.0,
        "defaultScheduleId": user.default_schedule_id.map(|s| s.0),
    })))
}
