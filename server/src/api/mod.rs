//! Transports: REST (Cal.com API v2 shapes) and GraphQL, both thin over `app/`.
//!
//! Handlers extract, call one use case, and shape the answer. Errors are mapped to
//! HTTP and GraphQL in exactly one place each (`error.rs`, `graphql/`).

mod bearer;
mod error;
mod format;
pub mod graphql;
mod idempotency;
mod rest;

use std::time::Duration;

use axum::{
    Router,
    body::{Body, to_bytes},
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::{catch_panic::CatchPanicLayer, timeout::TimeoutLayer, trace::TraceLayer};

pub use error::{ApiError, ErrorCode};

use crate::app::App;

/// The largest request body accepted.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole HTTP surface of `convene serve`.
pub fn router(app: App) -> Router {
    Router::new()
        .nest("/v2", rest::router(app.clone()))
        .merge(graphql::router(app.clone()))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such route") })
        .layer(axum::middleware::from_fn_with_state(
            app,
            idempotency::middleware,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn(read_body))
        .layer(TraceLayer::new_for_http())
}

/// A panic is a bug: log it and answer the same opaque 500 as any internal error.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %detail, "handler panicked");
    ApiError::new(ErrorCode::Internal, "internal error").into_response()
}

/// Reads the whole body before routing, so that an oversized body gets our error shape
/// and a handler that answers early (say, 401) never cuts off a client still sending.
async fn read_body(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => ApiError::new(
            ErrorCode::InvalidRequest,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes or could not be read"),
        )
        .into_response(),
    }
}
