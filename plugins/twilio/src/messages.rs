//! Sending a message: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
//! form-encoded, with HTTP Basic auth of the account SID and auth token. Twilio answers
//! 201 with the message resource (its `sid` is the message's id), or an error body
//! `{code, message, more_info, status}` whose code says what went wrong.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use convene_plugin_sdk::bindings::convene::plugin::http::send;
use convene_plugin_sdk::http::{encode_component, parse, retry_after};
use convene_plugin_sdk::{
    HttpError, HttpRequest, HttpResponse, Outcome, PluginError, SmsRequest, UpstreamStatus,
};
use serde::Deserialize;

use crate::Settings;

/// Twilio's code for a recipient who replied STOP: no more messages from this sender.
const UNSUBSCRIBED: u32 = 21610;
/// Twilio's code for too many requests.
const TOO_MANY_REQUESTS: u32 = 20429;
/// The wait asked of the host when Twilio throttles without a `Retry-After`.
const RATE_LIMIT_WAIT: u32 = 5;

#[derive(Deserialize)]
struct Message {
    sid: String,
}

/// Twilio's error body.
#[derive(Deserialize)]
struct TwilioError {
    code: Option<u32>,
    message: Option<String>,
}

/// Sends `sms` from the installation's number; the outcome names Twilio's message SID.
pub fn send_sms(settings: &Settings, sms: &SmsRequest) -> Result<Outcome, PluginError> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("To", &sms.to)
        .append_pair("From", &settings.from_number)
        .append_pair("Body", &sms.body);
    if let Some(callback) = &sms.status_callback {
        form.append_pair("StatusCallback", callback);
    }
    let credentials = STANDARD.encode(format!("{}:{}", settings.account_sid, settings.auth_token));
    let request = HttpRequest {
        method: "POST".into(),
        url: format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            settings.base_url,
            encode_component(&settings.account_sid)
        ),
        headers: vec![
            ("accept".into(), "application/json".into()),
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("authorization".into(), format!("Basic {credentials}")),
        ],
        body: form.finish().into_bytes(),
        auth: false,
    };
    let response = send(&request).map_err(|e| match e {
        HttpError::RateLimited(seconds) => PluginError::RateLimited(seconds),
        other => PluginError::Upstream(other),
    })?;
    if !(200..=299).contains(&response.status) {
        return Err(refusal(&response));
    }
    let message: Message = parse(&response.body)?;
    Ok(Outcome {
        external_id: Some(message.sid),
        url: None,
    })
}

/// What Twilio's error answer means for the host: an unsubscribed recipient, a wait, or
/// the status with Twilio's code and message (an invalid `To` is 400 code 21211, bad
/// credentials 401 code 20003).
fn refusal(response: &HttpResponse) -> PluginError {
    let error: Option<TwilioError> = serde_json::from_slice(&response.body).ok();
    let code = error.as_ref().and_then(|e| e.code);
    if code == Some(UNSUBSCRIBED) {
        return PluginError::RecipientOptedOut;
    }
    if response.status == 429 || code == Some(TOO_MANY_REQUESTS) {
        return PluginError::RateLimited(retry_after(response).unwrap_or(RATE_LIMIT_WAIT));
    }
    let message = match error {
        Some(TwilioError {
            code: Some(code),
            message,
        }) => format!("Twilio error {code}: {}", message.unwrap_or_default()),
        _ => String::from_utf8_lossy(&response.body[..response.body.len().min(500)]).into_owned(),
    };
    PluginError::UpstreamStatus(UpstreamStatus {
        status: response.status,
        message,
    })
}
