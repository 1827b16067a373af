//! `POST /hooks/{installation}`: inbound provider webhooks. Nothing is verified here
//! (the installation's plugin checks the provider's signature later): the raw request
//! is stored first, then answered 202 at once, so a provider never waits on us and a
//! crash after the answer loses nothing. A provider's check of the endpoint (Microsoft
//! Graph's `?validationToken=`) is answered at once with the token and not stored.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, Router};
use serde_json::json;

use super::error::ApiError;
use crate::app::{App, inbound};

/// The inbound webhook routes (any method: some providers validate with a GET).
pub fn routes() -> Router<App> {
    Router::new()
        .route("/hooks/{installation}", any(receive))
        .route("/hooks/{installation}/{*rest}", any(receive_sub))
}

async fn receive(
    State(app): State<App>,
    Path(installation): Path<i64>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    keep(&app, installation, "/", method, query, headers, body).await
}

async fn receive_sub(
    State(app): State<App>,
    Path((installation, rest)): Path<(i64, String)>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    keep(
        &app,
        installation,
        &format!("/{rest}"),
        method,
        query,
        headers,
        body,
    )
    .await
}

async fn keep(
    app: &App,
    installation: i64,
    path: &str,
    method: Method,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if let Some(token) = inbound::validation_echo(app, installation, query.as_deref()).await? {
        return Ok(([(header::CONTENT_TYPE, "text/plain")], token).into_response());
    }
    let path = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let id = inbound::receive(app, installation, method.as_str(), &path, &headers, &body).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"status": "success", "data": {"id": id}})),
    )
        .into_response())
}
