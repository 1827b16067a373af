//! REST under `/v2`, shaped like Cal.com API v2 so its clients work unchanged.
//! One module per resource, each exporting `router()`.

mod bookings;
mod chat;
mod customers;
mod event_types;
pub(super) mod extract;
mod host_limits;
mod insights;
mod me;
mod organizations;
mod out_of_office;
mod page;
mod routing_forms;
mod schedules;
mod scheduling_links;
mod slots;
mod stakeholders;
mod teams;
mod webhooks;
mod workflows;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::app::App;

pub(super) use bookings::booking_json;
pub(super) use scheduling_links::{link_json, recommendation_json};

/// Every `/v2` route.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(slots::router())
        .merge(bookings::router())
        .merge(event_types::router())
        .merge(schedules::router())
        .merge(me::router())
        .merge(organizations::router())
        .merge(webhooks::router())
        .merge(workflows::router())
        .merge(scheduling_links::router())
        .merge(customers::router())
        .merge(stakeholders::router())
        .merge(teams::router())
        .merge(routing_forms::router())
        .merge(out_of_office::router())
        .merge(host_limits::router())
        .merge(insights::router())
        .merge(chat::router())
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
