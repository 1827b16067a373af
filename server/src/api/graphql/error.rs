//! The one mapping of use-case errors to GraphQL errors.
//!
//! Every error a resolver returns carries `extensions.code` with the same code the REST
//! API answers (`VALIDATION_ERROR`, `NOT_FOUND`, `CONFLICT`, `GONE`, `UNAUTHORIZED`,
//! `FORBIDDEN`, `UPSTREAM_ERROR`, `INTERNAL_ERROR`); validation errors add
//! `extensions.details`, a list of `{field, message}`. Internal errors are logged and
//! answered as "internal error". The mapping goes through [`ApiError`], so REST and
//! GraphQL cannot disagree.

use async_graphql::{ErrorExtensionValues, ServerError, Value};

use crate::api::{ApiError, ErrorCode};
use crate::app::AppError;

/// A resolver's failure: a GraphQL error that always carries `extensions.code`.
///
/// Resolvers return [`GqlResult`], so `?` on an [`AppError`] goes through this mapping.
/// (Returning `async_graphql::Result` instead would let `?` turn an `AppError` into an
/// error without a code, through async-graphql's blanket `From<impl Display>`.)
#[derive(Debug, Clone)]
pub struct GqlError(async_graphql::Error);

/// What every resolver returns.
pub type GqlResult<T> = Result<T, GqlError>;

impl GqlError {
    /// An error with `code` and `message`, without field details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> GqlError {
        ApiError::new(code, message).into()
    }

    /// The opaque answer to a fault of ours (the fault itself must be logged by the caller).
    pub fn internal() -> GqlError {
        GqlError::new(ErrorCode::Internal, "internal error")
    }
}

impl From<ApiError> for GqlError {
    fn from(err: ApiError) -> GqlError {
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", err.code.as_str());
        if !err.details.is_empty() {
            let details = err
                .details
                .into_iter()
                .map(|d| {
                    Value::from_json(serde_json::json!({ "field": d.field, "message": d.message }))
                        .unwrap_or(Value::Null)
                })
                .collect::<Vec<_>>();
            extensions.set("details", Value::List(details));
        }
        let mut error = async_graphql::Error::new(err.message);
        error.extensions = Some(extensions);
        GqlError(error)
    }
}

impl From<AppError> for GqlError {
    fn from(err: AppError) -> GqlError {
        // `ApiError::from` logs internal errors and hides their detail.
        ApiError::from(err).into()
    }
}

impl From<GqlError> for async_graphql::Error {
    fn from(err: GqlError) -> async_graphql::Error {
        err.0
    }
}

/// A request-level error (no field position), e.g. an invalid API key.
pub fn server_error(err: impl Into<GqlError>) -> ServerError {
    let error = err.into().0;
    let mut server = ServerError::new(error.message, None);
    server.extensions = error.extensions;
    server
}

/// Gives errors that async-graphql raised itself (unparsable query, unknown field,
/// argument of the wrong type, depth or complexity limit) the code `INVALID_REQUEST`,
/// so every error a client sees has a code.
pub fn ensure_codes(errors: &mut [ServerError]) {
    for error in errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", ErrorCode::InvalidRequest.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::FieldIssue;

    fn json(err: GqlError) -> serde_json::Value {
        serde_json::to_value(server_error(err)).expect("serializable")
    }

    #[test]
    fn validation_errors_carry_code_and_details() {
        let err = AppError::Validation(vec![
            FieldIssue::new("attendee.email", "is not an email address"),
            FieldIssue::new("start", "is required"),
        ]);
        let body = json(err.into());
        assert_eq!(body["extensions"]["code"], "VALIDATION_ERROR");
        assert_eq!(
            body["extensions"]["details"],
            serde_json::json!([
                { "field": "attendee.email", "message": "is not an email address" },
                { "field": "start", "message": "is required" },
            ])
        );
        assert_eq!(body["message"], "2 fields are invalid");
    }

    #[test]
    fn each_app_error_keeps_its_code() {
        let cases = [
            (AppError::NotFound("no".into()), "NOT_FOUND"),
            (AppError::Conflict("taken".into()), "CONFLICT"),
            (AppError::Gone("used".into()), "GONE"),
            (AppError::Unauthorized("key".into()), "UNAUTHORIZED"),
            (AppError::Forbidden("host only".into()), "FORBIDDEN"),
            (AppError::Upstream("provider down".into()), "UPSTREAM_ERROR"),
        ];
        for (err, code) in cases {
            let message = err.to_string();
            let body = json(err.into());
            assert_eq!(body["extensions"]["code"], code);
            assert_eq!(body["message"], message.as_str());
            assert!(body["extensions"].get("details").is_none());
        }
    }

    #[test]
    fn internal_errors_hide_their_detail() {
        let err = AppError::Internal(crate::store::StoreError::Duplicate);
        let body = json(err.into());
        assert_eq!(body["extensions"]["code"], "INTERNAL_ERROR");
        assert_eq!(body["message"], "internal error");
    }

    #[test]
    fn library_errors_get_invalid_request() {
        let mut errors = vec![
            ServerError::new("Unknown field \"nope\"", None),
            server_error(GqlError::new(ErrorCode::Conflict, "taken")),
        ];
        ensure_codes(&mut errors);
        let codes: Vec<_> = errors
            .iter()
            .map(|e| e.extensions.as_ref().and_then(|x| x.get("code")).cloned())
            .collect();
        assert_eq!(
            codes,
            vec![
                Some(Value::from("INVALID_REQUEST")),
                Some(Value::from("CONFLICT"))
            ]
        );
    }
}
