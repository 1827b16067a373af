//! JSON over the host's `http.send`: what nearly every provider API call is.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::convene::plugin::http::send;
use crate::{HttpError, HttpRequest, HttpResponse, PluginError, UpstreamStatus};

/// How much of a provider's error body is kept in [`PluginError::UpstreamStatus`].
const ERROR_EXCERPT: usize = 500;

/// Sends `request`; a 2xx answer is returned, anything else becomes the matching
/// [`PluginError`] (429 with its `Retry-After`, other statuses with an excerpt).
pub fn send_ok(request: &HttpRequest) -> Result<HttpResponse, PluginError> {
    let response = send(request).map_err(|e| match e {
        HttpError::RateLimited(seconds) => PluginError::RateLimited(seconds),
        other => PluginError::Upstream(other),
    })?;
    match response.status {
        200..=299 => Ok(response),
        429 => Err(PluginError::RateLimited(
            retry_after(&response).unwrap_or(60),
        )),
        status => Err(PluginError::UpstreamStatus(UpstreamStatus {
            status,
            message: String::from_utf8_lossy(
                &response.body[..response.body.len().min(ERROR_EXCERPT)],
            )
            .into_owned(),
        })),
    }
}

/// `GET url`, parsed as JSON. `auth` asks the host for the installation's bearer.
pub fn get_json<T: DeserializeOwned>(url: &str, auth: bool) -> Result<T, PluginError> {
    let response = send_ok(&request("GET", url, Vec::new(), auth))?;
    parse(&response.body)
}

/// `method url` with a JSON body, the answer parsed as JSON (an empty answer as `null`).
pub fn send_json<B: Serialize, T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: &B,
    auth: bool,
) -> Result<T, PluginError> {
    let body = serde_json::to_vec(body).map_err(|e| PluginError::Internal(e.to_string()))?;
    let response = send_ok(&request(method, url, body, auth))?;
    if response.body.is_empty() {
        return parse(b"null");
    }
    parse(&response.body)
}

/// A request with JSON headers.
pub fn request(method: &str, url: &str, body: Vec<u8>, auth: bool) -> HttpRequest {
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    if !body.is_empty() {
        headers.push(("content-type".to_string(), "application/json".to_string()));
    }
    HttpRequest {
        method: method.to_string(),
        url: url.to_string(),
        headers,
        body,
        auth,
    }
}

/// Parses a provider's JSON, naming what did not fit.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, PluginError> {
    serde_json::from_slice(body).map_err(|e| PluginError::InvalidPayload(e.to_string()))
}

/// The seconds a `Retry-After` header asks for (the delta-seconds form).
pub fn retry_after(response: &HttpResponse) -> Option<u32> {
    crate::header(&response.headers, "retry-after")?
        .trim()
        .parse()
        .ok()
}

/// `value` percent-encoded for one URL path segment or query value: everything but
/// RFC 3986's unreserved characters, so ids such as `en.usa#holiday@group.v.calendar.google.com`
/// reach the provider intact.
pub fn encode_component(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_keep_only_unreserved_characters() {
        assert_eq!(encode_component("primary"), "primary");
        assert_eq!(
            encode_component("en.usa#holiday@group"),
            "en.usa%23holiday%40group"
        );
        assert_eq!(encode_component("a b/c"), "a%20b%2Fc");
    }
}
