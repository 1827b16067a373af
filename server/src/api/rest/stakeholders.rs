//! `/v2/stakeholders/{id}`: a stakeholder's personal data under the GDPR, exported as
//! one document or erased, leaving their meetings anonymized.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::{Router, routing::get, routing::post};
use chrono::Utc;
use serde_json::json;

use super::extract::{Auth, path_id};
use super::ok;
use crate::api::ApiError;
use crate::app::App;
use crate::app::personal_data;
use crate::domain::ids::StakeholderId;

pub fn router() -> Router<App> {
    Router::new()
        .route("/stakeholders/{id}/export", get(export))
        .route("/stakeholders/{id}/erase", post(erase))
}

async fn export(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = StakeholderId(path_id("stakeholder", &id)?);
    Ok(ok(
        personal_data::export(&app, caller, id, Utc::now()).await?
    ))
}

async fn erase(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = StakeholderId(path_id("stakeholder", &id)?);
    let e = personal_data::erase(&app, caller, id, Utc::now()).await?;
    Ok(ok(json!({
        "stakeholderId": e.stakeholder_id.0,
        "pseudonym": e.pseudonym,
        "bookings": e.bookings,
        "meetingLinks": e.meeting_links,
        "schedulingLinks": e.scheduling_links,
        "webhookDeliveries": e.webhook_deliveries,
        "outboxEvents": e.outbox_events,
        "storedResponses": e.stored_responses,
        "formResponses": e.form_responses,
    })))
}
