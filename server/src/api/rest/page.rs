//! Pagination on every list route: `limit` and `cursor` in, a `pagination` object out,
//! written once so every list reads and answers the same way.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::extract::Params;
use crate::api::ApiError;
use crate::app::page::{Page, PageRequest};

/// The page a list request asks for. `take` is Cal.com API v2's name for `limit`, so its
/// clients page unchanged; when both are sent, `limit` wins.
pub fn page_request(params: &Params) -> Result<PageRequest, ApiError> {
    let limit = match params.int("limit")? {
        Some(limit) => Some(limit),
        None => params.int("take")?,
    };
    Ok(PageRequest {
        cursor: params.get("cursor"),
        limit,
    })
}

/// `{"status":"success","data":[…],"pagination":{…}}`, each item shaped by `item_json`.
/// `hasNextPage` repeats `hasMore` under Cal.com's name.
pub fn page_response<T>(page: &Page<T>, item_json: impl Fn(&T) -> Value) -> Response {
    Json(json!({
        "status": "success",
        "data": page.items.iter().map(item_json).collect::<Vec<_>>(),
        "pagination": {
            "returnedItems": page.items.len(),
            "hasMore": page.has_more(),
            "hasNextPage": page.has_more(),
            "nextCursor": page.next_cursor,
        },
    }))
    .into_response()
}
