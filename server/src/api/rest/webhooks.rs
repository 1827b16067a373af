//! `/v2/webhooks`: subscriptions in Cal.com API v2's shape, plus the delivery log,
//! replay of dead deliveries and a ping.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Router, routing::get, routing::post};
use serde_json::{Value, json};

use super::extract::{Auth, Body, Params, path_id};
use super::page::{page_request, page_response};
use super::{ok, success};
use crate::api::ApiError;
use crate::api::format::utc;
use crate::app::App;
use crate::app::webhooks::{self, DeliveryLog, WebhookInput};
use crate::store::webhooks::Subscription;

pub fn router() -> Router<App> {
    Router::new()
        .route("/webhooks", get(list).post(create))
        .route("/webhooks/{id}", get(show).patch(update).delete(remove))
        .route("/webhooks/{id}/deliveries", get(deliveries))
        .route(
            "/webhooks/{id}/deliveries/{delivery}/replay",
            post(replay_one),
        )
        .route("/webhooks/{id}/replay-dead", post(replay_dead))
        .route("/webhooks/{id}/ping", post(ping))
}

/// A subscription as answered; the secret is write-only.
fn webhook_json(s: &Subscription) -> Value {
    json!({
        "id": s.id,
        "userId": s.user_id.0,
        "eventTypeId": s.event_type_id.map(|e| e.0),
        "subscriberUrl": s.subscriber_url,
        "triggers": s.triggers,
        "active": s.active,
        "payloadTemplate": s.payload_template,
        "hasSecret": s.secret.is_some(),
        "consecutiveFailures": s.consecutive_failures,
        "disabledReason": s.disabled_reason,
        "createdAt": utc(s.created_at),
        "updatedAt": utc(s.updated_at),
    })
}

fn delivery_json(log: &DeliveryLog) -> Value {
    let d = &log.delivery;
    json!({
        "id": d.id,
        "trigger": d.trigger,
        "status": d.status.as_str(),
        "attempts": d.attempts,
        "nextAttemptAt": utc(d.next_attempt_at),
        "lastStatusCode": d.last_status_code,
        "lastError": d.last_error,
        "createdAt": utc(d.created_at),
        "deliveredAt": d.delivered_at.map(utc),
        "log": log.attempts.iter().map(|a| json!({
            "attempt": a.attempt,
            "statusCode": a.status_code,
            "latencyMs": a.latency_ms,
            "error": a.error,
            "at": utc(a.at),
        })).collect::<Vec<_>>(),
    })
}

async fn list(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
) -> Result<Response, ApiError> {
    let page = webhooks::list(&app, caller, page_request(&params)?).await?;
    Ok(page_response(&page, webhook_json))
}

async fn create(
    State(app): State<App>,
    Auth(caller): Auth,
    Body(input): Body<WebhookInput>,
) -> Result<Response, ApiError> {
    let s = webhooks::create(&app, caller, input).await?;
    Ok(success(StatusCode::CREATED, webhook_json(&s)))
}

async fn show(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id("webhook", &id)?;
    Ok(ok(webhook_json(&webhooks::get(&app, caller, id).await?)))
}

async fn update(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Body(input): Body<WebhookInput>,
) -> Result<Response, ApiError> {
    let id = path_id("webhook", &id)?;
    Ok(ok(webhook_json(
        &webhooks::update(&app, caller, id, input).await?,
    )))
}

async fn remove(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id("webhook", &id)?;
    Ok(ok(webhook_json(&webhooks::delete(&app, caller, id).await?)))
}

async fn deliveries(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let id = path_id("webhook", &id)?;
    let page = webhooks::deliveries(&app, caller, id, page_request(&params)?).await?;
    Ok(page_response(&page, delivery_json))
}

async fn replay_one(
    State(app): State<App>,
    Auth(caller): Auth,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = path_id("webhook", &id)?;
    let delivery = path_id("delivery", &delivery)?;
    let replayed = webhooks::replay(&app, caller, id, Some(delivery)).await?;
    Ok(ok(json!({ "replayed": replayed })))
}

async fn replay_dead(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id("webhook", &id)?;
    let replayed = webhooks::replay(&app, caller, id, None).await?;
    Ok(ok(json!({ "replayed": replayed })))
}

async fn ping(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id("webhook", &id)?;
    let result = webhooks::ping(&app, caller, id).await?;
    Ok(ok(json!({
        "ok": result.error.is_none(),
        "statusCode": result.status_code,
        "error": result.error,
        "latencyMs": result.latency_ms,
    })))
}
