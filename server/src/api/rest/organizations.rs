//! `POST /v2/organizations/{orgId}/users`: an organization's owners and admins add users.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::post};

use super::extract::{Auth, Body, path_id};
use super::me::user_json;
use super::success;
use crate::api::ApiError;
use crate::app::App;
use crate::app::users::{self, OrgUserInput};
use crate::domain::ids::OrgId;

pub fn router() -> Router<App> {
    Router::new().route("/organizations/{org_id}/users", post(create_user))
}

/// Answers the new user with `apiKey`, their first API key, shown this once.
async fn create_user(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(org_id): Path<String>,
    Body(input): Body<OrgUserInput>,
) -> Result<Response, ApiError> {
    let org = OrgId(path_id("organization", &org_id)?);
    let created = users::create_in_org(&app, caller, org, input).await?;
    let mut data = user_json(&created.user);
    data["apiKey"] = created.api_key.into();
    Ok(success(StatusCode::CREATED, data))
}
