//! The one error answer of the HTTP API:
//! `{"status":"error","error":{"code":"…","message":"…","details":[{"field":"…","message":"…"}]}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::app::AppError;
use crate::domain::validate::FieldIssue;

/// The error codes a client can branch on, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// 400: the request cannot be read (bad JSON, bad header).
    InvalidRequest,
    /// 401: no or invalid credentials.
    Unauthorized,
    /// 403: credentials that may not do this.
    Forbidden,
    /// 404: no such resource (or another organization's).
    NotFound,
    /// 409: clashes with current state (slot taken).
    Conflict,
    /// 410: existed, but is used up, expired or withdrawn for good.
    Gone,
    /// 422: readable but breaks a rule.
    ValidationError,
    /// 429: too many requests.
    RateLimitExceeded,
    /// 500: our fault.
    #[serde(rename = "INTERNAL_ERROR")]
    Internal,
    /// 502: an outside provider failed or refused us.
    #[serde(rename = "UPSTREAM_ERROR")]
    Upstream,
}

impl ErrorCode {
    /// The HTTP status this code is sent with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::Gone => StatusCode::GONE,
            ErrorCode::ValidationError => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::RateLimitExceeded => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Upstream => StatusCode::BAD_GATEWAY,
        }
    }

    /// The code as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Gone => "GONE",
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::RateLimitExceeded => "RATE_LIMIT_EXCEEDED",
            ErrorCode::Internal => "INTERNAL_ERROR",
            ErrorCode::Upstream => "UPSTREAM_ERROR",
        }
    }
}

/// One invalid field in an error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorDetail {
    /// Dotted JSON path of the field.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// What kind of error.
    pub code: ErrorCode,
    /// Readable on its own.
    pub message: String,
    /// Per-field problems (validation errors).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

impl ApiError {
    /// An error without field details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A validation error on one field.
    pub fn field(
        code: ErrorCode,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ApiError {
        let (field, message) = (field.into(), message.into());
        ApiError {
            code,
            message: format!("{field}: {message}"),
            details: vec![ErrorDetail { field, message }],
        }
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> ApiError {
        let message = err.to_string();
        match err {
            AppError::Validation(issues) => ApiError {
                code: ErrorCode::ValidationError,
                message,
                details: issues
                    .into_iter()
                    .map(|FieldIssue { field, message }| ErrorDetail { field, message })
                    .collect(),
            },
            AppError::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            AppError::Conflict(_) => ApiError::new(ErrorCode::Conflict, message),
            AppError::Gone(_) => ApiError::new(ErrorCode::Gone, message),
            AppError::Unauthorized(_) => ApiError::new(ErrorCode::Unauthorized, message),
            AppError::Forbidden(_) => ApiError::new(ErrorCode::Forbidden, message),
            AppError::Unavailable(reason) => {
                tracing::error!(%reason, "request failed: a plugin could not run");
                ApiError::new(ErrorCode::Internal, "internal error")
            }
            AppError::Upstream(_) => ApiError::new(ErrorCode::Upstream, message),
            AppError::Internal(err) => {
                tracing::error!(error = %err, "request failed");
                ApiError::new(ErrorCode::Internal, "internal error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "status": "error", "error": &self });
        (self.code.status(), Json(body)).into_response()
    }
}
