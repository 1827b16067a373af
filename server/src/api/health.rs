//! `GET /healthz`: whether this process can do its job right now, for load balancers
//! and orchestrators. 200 `{"status":"ok","database":"ok"}` when every check passes,
//! 503 `{"status":"error","database":"error"}` (naming each failed check) when any fails.
//!
//! Cheap on purpose, since it is polled every few seconds: each check is one round trip
//! with a deadline. Failure details go to the log, never to the (unauthenticated) caller.

use std::future::Future;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value};

use crate::app::App;

/// How long one check may take before it counts as failed: a hung database must make
/// the probe fail, not hang it.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The `/healthz` route.
pub(crate) fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(app)
}

async fn healthz(State(app): State<App>) -> Response {
    // One line per dependency; a new check (the job queue, say) is one more entry.
    let checks = [
        ("database", run("database", database(&app)).await),
        ("queue", run("queue", queue(&app)).await),
    ];
    let healthy = checks.iter().all(|(_, ok)| *ok);
    let verdict = |ok: bool| Value::from(if ok { "ok" } else { "error" });
    let mut body = Map::new();
    body.insert("status".into(), verdict(healthy));
    for (name, ok) in checks {
        body.insert(name.into(), verdict(ok));
    }
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// How long an outbox event may wait for dispatch before the queue counts as stuck.
const MAX_DISPATCH_LAG: Duration = Duration::from_secs(60);

/// The job queue moves: no outbox event has waited longer than [`MAX_DISPATCH_LAG`].
async fn queue(app: &App) -> Result<(), String> {
    let lag = crate::app::webhooks::dispatch_lag(app, chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    if lag > MAX_DISPATCH_LAG {
        return Err(format!(
            "the oldest outbox event has waited {}s for dispatch",
            lag.as_secs()
        ));
    }
    Ok(())
}

/// Runs one check under [`CHECK_TIMEOUT`], logging why it failed.
async fn run(name: &str, check: impl Future<Output = Result<(), String>>) -> bool {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::warn!(check = name, %error, "health check failed");
            false
        }
        Err(_) => {
            tracing::warn!(check = name, timeout = ?CHECK_TIMEOUT, "health check timed out");
            false
        }
    }
}

/// One round trip to the database.
async fn database(app: &App) -> Result<(), String> {
    app.db.ping().await.map_err(|e| e.to_string())
}
