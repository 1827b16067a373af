//! `/oauth`: connecting an account at an outside provider.
//!
//! - `GET /oauth/{plugin}/start` (API key; `?team=ID` for a team's account) answers
//!   `{"status":"success","data":{"authorizeUrl","expiresAt"}}`: the URL to open in the
//!   owner's browser.
//! - `GET /oauth/{plugin}/callback` is where the provider sends the browser back. It
//!   takes no API key: the signed state is the authentication. It answers a small page
//!   for a browser, or JSON for a client that asks for it (`Accept: application/json`),
//!   errors included.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use serde_json::{Value, json};

use super::format::utc;
use super::public_url::PublicUrl;
use super::rest::extract::{Auth, Params};
use super::web::{escape, page};
use super::{ApiError, ErrorCode};
use crate::app::App;
use crate::app::connections::{self, Callback};
use crate::domain::connection::ConnectionOwner;
use crate::store::connections::Connection;

/// The `/oauth` routes.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/{plugin}/start", get(start))
        .route("/{plugin}/callback", get(callback))
        .with_state(app)
}

async fn start(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(plugin): Path<String>,
    public_url: PublicUrl,
    params: Params,
) -> Result<Response, ApiError> {
    let owner = match params.int("team")? {
        Some(team) => ConnectionOwner::Team(team),
        None => ConnectionOwner::User(caller.user_id),
    };
    let redirect_uri = format!("{}/oauth/{plugin}/callback", public_url.0);
    let started = connections::start(&app, caller, &plugin, owner, redirect_uri).await?;
    Ok(Json(json!({
        "status": "success",
        "data": {
            "authorizeUrl": started.authorize_url,
            "expiresAt": utc(started.expires_at),
        },
    }))
    .into_response())
}

async fn callback(
    State(app): State<App>,
    Path(plugin): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    let callback = Callback {
        code: params.get("code"),
        state: params.get("state"),
        error: params.get("error"),
        error_description: params.get("error_description"),
    };
    match connections::finish(&app, &plugin, callback).await {
        Ok(connection) if wants_json => Json(json!({
            "status": "success",
            "data": connection_json(&connection),
        }))
        .into_response(),
        Ok(connection) => page(
            StatusCode::OK,
            "Connected",
            &format!(
                "<h1>Connected</h1><p>Convene can now reach <strong>{}</strong> for you.</p>\
                 <p class=\"muted\">You can close this window.</p>",
                escape(&connection.plugin_id)
            ),
        ),
        Err(err) => {
            let err = ApiError::from(err);
            if wants_json {
                return err.into_response();
            }
            let message = if err.code == ErrorCode::Internal {
                "Something went wrong on our side. Please try again later.".to_string()
            } else {
                err.message.clone()
            };
            page(
                err.code.status(),
                "Not connected",
                &format!(
                    "<h1>Not connected</h1><p class=\"error\">{}</p>\
                     <p class=\"muted\">Start connecting again from Convene.</p>",
                    escape(&message)
                ),
            )
        }
    }
}

/// A connection as clients see it: never a token.
fn connection_json(c: &Connection) -> Value {
    let (owner_type, owner_id) = match c.owner {
        ConnectionOwner::User(user) => ("user", user.0),
        ConnectionOwner::Team(team) => ("team", team),
    };
    json!({
        "id": c.id.0,
        "plugin": c.plugin_id,
        "kind": c.kind.as_str(),
        "status": c.status.as_str(),
        "owner": { "type": owner_type, "id": owner_id },
        "accountLabel": c.account_label,
        "scopes": c.scopes,
        "expiresAt": c.expires_at.map(utc),
        "createdAt": utc(c.created_at),
        "updatedAt": utc(c.updated_at),
    })
}
