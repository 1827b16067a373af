//! `POST /v2/chat {"text": "…"}`: runs a chat command as the caller and answers
//! `{reply, intent, data, candidates}`.

use axum::extract::State;
use axum::response::Response;
use axum::{Router, routing::post};
use chrono::Utc;
use serde::Deserialize;

use super::extract::{Auth, Body};
use super::ok;
use crate::api::chat::answer_json;
use crate::api::public_url::PublicUrl;
use crate::api::{ApiError, ErrorCode};
use crate::app::{App, chat};

pub fn router() -> Router<App> {
    Router::new().route("/chat", post(run))
}

#[derive(Deserialize)]
struct ChatBody {
    text: Option<String>,
}

async fn run(
    State(app): State<App>,
    Auth(caller): Auth,
    base: PublicUrl,
    Body(body): Body<ChatBody>,
) -> Result<Response, ApiError> {
    let text = body
        .text
        .ok_or_else(|| ApiError::field(ErrorCode::ValidationError, "text", "is required"))?;
    let link_url = |token: &str| base.scheduling_link(token);
    let answer = chat::run(&app, caller, &text, &link_url, Utc::now()).await?;
    Ok(ok(answer_json(&answer, &base)))
}
