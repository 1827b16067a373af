//! `/v2/me/booking-limits`: the caller's own booking limits across all their event
//! types, in the event types' field names.

use axum::extract::State;
use axum::response::Response;
use axum::{Router, routing::get};
use serde_json::{Value, json};

use super::event_types::limits_json;
use super::extract::{Auth, Body};
use super::ok;
use crate::api::ApiError;
use crate::app::App;
use crate::app::host_limits::{self, HostLimitsInput};
use crate::domain::host_limits::HostLimits;

pub fn router() -> Router<App> {
    Router::new().route("/me/booking-limits", get(show).put(set))
}

fn limits_body(l: &HostLimits) -> Value {
    json!({
        "bookingLimitsCount": limits_json(&l.count),
        "bookingLimitsDuration": limits_json(&l.duration),
    })
}

async fn show(State(app): State<App>, Auth(caller): Auth) -> Result<Response, ApiError> {
    Ok(ok(limits_body(&host_limits::get(&app, caller).await?)))
}

async fn set(
    State(app): State<App>,
    Auth(caller): Auth,
    Body(input): Body<HostLimitsInput>,
) -> Result<Response, ApiError> {
    Ok(ok(limits_body(
        &host_limits::set(&app, caller, input).await?,
    )))
}
