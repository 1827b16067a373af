//! `Idempotency-Key` on POST, PATCH and DELETE, for REST and GraphQL alike: the first
//! request with a key runs and its answer is kept for 24 hours; a repeat gets the same
//! answer and changes nothing.
//!
//! The key is claimed before the request runs, so two concurrent requests with one key
//! cannot both act: the second is told the first is still in flight. Answers of 5xx
//! are not kept, so a retry after our failure runs again.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::{Digest, Sha256};

use crate::api::{ApiError, ErrorCode};
use crate::app::App;
use crate::domain::ids::OrgId;
use crate::store::idempotency::{self, Claim};

const HEADER: &str = "idempotency-key";

/// Answers repeats from the record and records first answers.
pub async fn middleware(State(app): State<App>, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::POST | Method::PATCH | Method::DELETE) {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let key = match key.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= 255 => k.trim().to_string(),
        _ => {
            return ApiError::field(
                ErrorCode::InvalidRequest,
                "Idempotency-Key",
                "must be 1-255 visible ASCII characters",
            )
            .into_response();
        }
    };
    let scope = scope(req.headers());
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return ApiError::new(
            ErrorCode::InvalidRequest,
            "the request body could not be read",
        )
        .into_response();
    };
    let fingerprint = fingerprint(
        &parts.method,
        parts.uri.path_and_query().map_or("", |p| p.as_str()),
        &bytes,
    );
    let claim = match idempotency::claim(&app.db, &scope, &key, &fingerprint, Utc::now()).await {
        Ok(claim) => claim,
        Err(err) => return ApiError::from(crate::app::AppError::from(err)).into_response(),
    };
    match claim {
        Claim::Replay { status, body } => replay(status, body),
        Claim::InFlight => ApiError::new(
            ErrorCode::Conflict,
            "a request with this Idempotency-Key is still being processed; retry shortly",
        )
        .into_response(),
        Claim::Mismatch => ApiError::field(
            ErrorCode::ValidationError,
            "Idempotency-Key",
            "was already used for a different request",
        )
        .into_response(),
        Claim::New => {
            let org = caller_org(&app, &parts.headers).await;
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            remember(&app, &scope, &key, org, response).await
        }
    }
}

/// Keys are per credential: one integrator's keys never collide with another's.
fn scope(headers: &HeaderMap) -> String {
    headers.get(header::AUTHORIZATION).map_or_else(
        || "public".to_string(),
        |v| hex::encode(Sha256::digest(v.as_bytes())),
    )
}

fn fingerprint(method: &Method, path: &str, body: &Bytes) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_str());
    hash.update(b" ");
    hash.update(path);
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

fn replay(status: u16, body: String) -> Response {
    let status = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// The organization of the API key sent, if any. It is stored with the answer, so
/// erasing a person's data finds the answers given to that organization.
async fn caller_org(app: &App, headers: &HeaderMap) -> Option<OrgId> {
    let key = crate::api::bearer::bearer(headers).ok().flatten()?;
    let caller = crate::app::auth::authenticate(&app.db, key).await.ok()?;
    Some(caller.org_id)
}

async fn remember(
    app: &App,
    scope: &str,
    key: &str,
    org: Option<OrgId>,
    response: Response,
) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        let _ = idempotency::release(&app.db, scope, key).await;
        return ApiError::new(ErrorCode::Internal, "internal error").into_response();
    };
    let status = parts.status.as_u16();
    let stored = if parts.status.is_server_error() {
        idempotency::release(&app.db, scope, key).await
    } else {
        idempotency::complete(
            &app.db,
            scope,
            key,
            org,
            status,
            &String::from_utf8_lossy(&bytes),
        )
        .await
    };
    if let Err(err) = stored {
        tracing::error!(error = %err, idempotency.key = key, "could not record idempotent response");
    }
    Response::from_parts(parts, Body::from(bytes))
}
