//! Extractors that turn every rejection into our error shape, so junk input is refused
//! before it reaches a use case, with the offending field named.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::api::{ApiError, ErrorCode};
use crate::app::{App, auth::Caller};

/// A JSON body. An empty body reads as `{}`, so body-less POSTs such as `/cancel` work.
/// Unreadable JSON is 400 INVALID_REQUEST; JSON of the wrong shape is 422 naming the path.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &App) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.body_text()))?;
        parse_json(&bytes).map(Body)
    }
}

/// Reads `bytes` as `T`, telling unreadable JSON from JSON of the wrong shape.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("the body is not valid JSON: {inner}"),
            )
        } else if path == "." || path.is_empty() {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("the body must be a JSON object: {inner}"),
            )
        } else {
            ApiError::field(
                ErrorCode::ValidationError,
                path,
                strip_position(&inner.to_string()),
            )
        }
    })?;
    de.end().map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

/// serde_json appends "at line L column C", which means nothing next to a field path.
fn strip_position(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_string()
}

/// Query parameters as strings; typed parsing happens field by field with named errors.
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// The integer value of `name`, if present.
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    ApiError::field(
                        ErrorCode::ValidationError,
                        name,
                        format!("`{v}` is not a whole number"),
                    )
                })
            })
            .transpose()
    }

    /// The value of `name`, which must be present.
    pub fn required(&self, name: &str) -> Result<String, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::field(ErrorCode::ValidationError, name, "is required"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(Params(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

/// A caller that must be authenticated.
pub struct Auth(pub Caller);

impl FromRequestParts<App> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match MaybeAuth::from_request_parts(parts, app).await? {
            MaybeAuth(Some(caller)) => Ok(Auth(caller)),
            MaybeAuth(None) => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "this route needs an API key: `Authorization: Bearer cnv_…`",
            )),
        }
    }
}

/// A caller that may be anonymous (an invitee); a key, when sent, must be valid.
pub struct MaybeAuth(pub Option<Caller>);

impl FromRequestParts<App> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match crate::api::bearer::bearer(&parts.headers)? {
            None => Ok(MaybeAuth(None)),
            Some(key) => Ok(MaybeAuth(Some(
                crate::app::auth::authenticate(&app.db, key).await?,
            ))),
        }
    }
}

/// A numeric id from the path; anything else is a resource that does not exist.
pub fn path_id(kind: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::new(
            ErrorCode::NotFound,
            format!("{kind} `{raw}` does not exist"),
        )
    })
}
