//! Reading `Authorization: Bearer cnv_…`, the same for REST and GraphQL.

use axum::http::{HeaderMap, header};

use super::{ApiError, ErrorCode};

/// The API key sent, if any. A header that is present but unreadable or not a Bearer
/// key is an error rather than an anonymous request, so a typo never silently drops
/// a caller's identity.
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        ApiError::new(
            ErrorCode::Unauthorized,
            "the Authorization header is not readable text",
        )
    })?;
    value
        .strip_prefix("Bearer ")
        .map(|key| Some(key.trim()))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthorized,
                "send the API key as `Authorization: Bearer cnv_…`",
            )
        })
}
