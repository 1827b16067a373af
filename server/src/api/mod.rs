//! Transports: REST (Cal.com API v2 shapes), GraphQL and pages for people, all thin
//! over `app/`.
//!
//! Handlers extract, call one use case, and shape the answer. Errors are mapped to
//! HTTP and GraphQL in exactly one place each (`error.rs`, `graphql/`).

mod bearer;
mod chat;
mod csv;
mod error;
mod format;
pub mod graphql;
mod health;
mod hooks;
mod idempotency;
mod metrics;
mod oauth;
mod public_url;
mod rate_limit;
mod request_id;
mod rest;
mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::{
    Router,
    body::{Body, to_bytes},
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::{catch_panic::CatchPanicLayer, timeout::TimeoutLayer, trace::TraceLayer};

pub use self::metrics::metrics_handle;
pub use error::{ApiError, ErrorCode};
pub use rate_limit::{Group, Limit, MAX_CLIENTS, RateLimits};
pub use request_id::RequestId;

use crate::app::App;
use crate::app::in_flight::InFlight;

/// The largest request body accepted.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole HTTP surface of `convene serve` with chosen rate limits: the operator's
/// (defaults plus `--rate-limit-*` flags), tiny ones for tests of the limiter,
/// [`RateLimits::unlimited`] for benchmarks and tests that send thousands of requests.
pub fn router_with(app: App, limits: RateLimits) -> Router {
    // Installed before the first request, so no early measurement is lost.
    metrics_handle();
    let in_flight = app.in_flight.clone();
    let router = Router::new()
        .nest("/v2", rest::router(app.clone()))
        .merge(graphql::router(app.clone()))
        .merge(web::router(app.clone()))
        .merge(health::router(app.clone()))
        .merge(hooks::routes().with_state(app.clone()))
        .nest("/oauth", oauth::router(app.clone()))
        .route(
            "/metrics",
            get(self::metrics::render).with_state(app.clone()),
        )
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such route") })
        .layer(axum::middleware::from_fn_with_state(
            app,
            idempotency::middleware,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(30),
        ));
    // Outside idempotency and the handlers, so a refused request costs no database work;
    // inside `read_body`, so a refusal never cuts off a client still sending.
    let router = if limits.is_unlimited() {
        router
    } else {
        router.layer(axum::middleware::from_fn_with_state(
            rate_limit::RateLimiter::new(limits),
            rate_limit::middleware,
        ))
    };
    router
        .layer(axum::middleware::from_fn(read_body))
        .layer(axum::middleware::from_fn_with_state(
            in_flight,
            count_in_flight,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_id::make_span))
        .layer(axum::middleware::from_fn(self::metrics::middleware))
        .layer(axum::middleware::from_fn(request_id::middleware))
}

/// Counts the request in [`App::in_flight`] while it is served.
async fn count_in_flight(
    State(in_flight): State<Arc<InFlight>>,
    req: Request,
    next: Next,
) -> Response {
    let _serving = in_flight.enter();
    next.run(req).await
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
