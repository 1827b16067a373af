//! Microsoft Graph over the host's HTTP: the base URL (moved to a fake by the
//! installation's `base_url`), JSON calls with the installation's bearer, `@odata.nextLink`
//! paging, and Graph's times (`dateTime` without offset, in UTC as asked).

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use convene_plugin_sdk::http::{parse, request, send_ok};
use convene_plugin_sdk::{PluginError, UpstreamStatus, config};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const DEFAULT_BASE_URL: &str = "https://graph.microsoft.com/v1.0";

/// Where Graph is: `https://graph.microsoft.com/v1.0` unless the installation says.
pub fn base_url() -> String {
    config::get("base_url").unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
}

/// `method url` with an optional JSON body and the host's bearer; the answer's body.
/// 429 becomes [`PluginError::RateLimited`] with Graph's `Retry-After`.
pub fn call(method: &str, url: &str, body: Option<&Value>) -> Result<Vec<u8>, PluginError> {
    let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    send_ok(&request(method, url, body, true)).map(|response| response.body)
}

/// [`call`], the answer parsed.
pub fn call_json<T: DeserializeOwned>(
    method: &str,
    url: &str,
    body: Option<&Value>,
) -> Result<T, PluginError> {
    parse(&call(method, url, body)?)
}

/// One page of a Graph collection.
#[derive(Deserialize)]
pub struct Collection<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
}

/// Every item of the collection at `url`, following `@odata.nextLink` verbatim.
pub fn all_pages<T: DeserializeOwned>(url: String) -> Result<Vec<T>, PluginError> {
    let mut items = Vec::new();
    let mut next = Some(url);
    while let Some(url) = next {
        let page: Collection<T> = call_json("GET", &url, None)?;
        items.extend(page.value);
        next = page.next_link;
    }
    Ok(items)
}

/// The HTTP status of a provider's refusal, if that is what `error` is.
pub fn status_of(error: &PluginError) -> Option<u16> {
    match error {
        PluginError::UpstreamStatus(UpstreamStatus { status, .. }) => Some(*status),
        _ => None,
    }
}

/// Graph's `dateTimeTimeZone`, in UTC.
pub fn date_time(ms: i64) -> Result<Value, PluginError> {
    let at = DateTime::<Utc>::from_timestamp_millis(ms)
        .ok_or_else(|| PluginError::Internal(format!("{ms} ms is not a time")))?;
    Ok(json!({
        "dateTime": at.to_rfc3339_opts(SecondsFormat::Secs, true).trim_end_matches('Z'),
        "timeZone": "UTC",
    }))
}

/// An RFC 3339 UTC instant (`expirationDateTime`, query bounds).
pub fn instant(ms: i64) -> Result<String, PluginError> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .ok_or_else(|| PluginError::Internal(format!("{ms} ms is not a time")))
}

/// A `dateTimeTimeZone` Graph answered in UTC (`2026-03-03T09:00:00.0000000`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphTime {
    pub date_time: String,
}

impl GraphTime {
    /// UTC milliseconds; an offset, when Graph adds one, is honoured.
    pub fn millis(&self) -> Result<i64, PluginError> {
        let text = self.date_time.as_str();
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(at.timestamp_millis());
        }
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .map(|t| t.and_utc().timestamp_millis())
            .map_err(|e| PluginError::InvalidPayload(format!("`{text}` is not a time: {e}")))
    }
}

/// An RFC 3339 instant Graph answered (`subscriptionExpirationDateTime`, ...).
pub fn millis(text: &str) -> Result<i64, PluginError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| PluginError::InvalidPayload(format!("`{text}` is not an RFC 3339 time: {e}")))
}
