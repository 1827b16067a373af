//! REST under `/v2`, shaped like Cal.com API v2 so its clients work unchanged.
//! One module per resource, each exporting `router()`.

mod bookings;
mod event_types;
mod extract;
mod idempotency;
mod me;
mod schedules;
mod slots;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::app::App;

/// Every `/v2` route, with idempotency keys honoured on writes.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(slots::router())
        .merge(bookings::router())
        .merge(event_types::router())
        .merge(schedules::router())
        .merge(me::router())
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            idempotency::middleware,
        ))
        .with_state(app)
}

/// `{"status":"success","data":…}` with `status`.
fn success(status: StatusCode, data: Value) -> Response {
    (status, Json(json!({ "status": "success", "data": data }))).into_response()
}

/// `{"status":"success","data":…}` with 200 OK.
fn ok(data: Value) -> Response {
    success(StatusCode::OK, data)
}

/// An instant as Cal.com writes it in UTC: `2026-11-20T08:00:00.000Z`.
fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// An instant in `tz` with its offset: `2026-11-20T09:00:00.000+01:00`.
fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}
