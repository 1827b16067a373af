//! What Twilio posts to the installation's hook URL, form-encoded and signed with
//! `X-Twilio-Signature` over the URL it posted to (see [`crate::signature`]):
//! - a message's status callback (`MessageSid`, `MessageStatus`, `ErrorCode`, ...)
//!   becomes `message-status`, stamped with when Convene received it (Twilio's
//!   callback carries no time of its own);
//! - a message a phone sent to the installation's number (`MessageSid`, `From`, `To`,
//!   `Body`, with `SmsStatus` `received` and no `MessageStatus`) becomes
//!   `message-received`.

use convene_plugin_sdk::{
    Change, Delivery, InboundMessage, MessageStatus, PluginError, WebhookRequest, header,
};

use crate::{Settings, signature};

/// The changes a verified request stands for; a forged one is `bad-signature`.
pub fn handle(settings: &Settings, request: &WebhookRequest) -> Result<Delivery, PluginError> {
    let params: Vec<(String, String)> = form_urlencoded::parse(&request.body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let signed = header(&request.headers, "x-twilio-signature").unwrap_or_default();
    if !signature::verify(&settings.auth_token, &request.url, &params, signed) {
        return Err(PluginError::BadSignature);
    }
    let field = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let required = |name: &str| {
        field(name)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| PluginError::InvalidPayload(format!("Twilio's request lacks `{name}`")))
    };
    let sid = required("MessageSid")?;
    let status = field("MessageStatus");
    let inbound = status.is_none() || field("SmsStatus").as_deref() == Some("received");
    if inbound {
        return Ok(Delivery {
            event_id: Some(sid.clone()),
            changes: vec![Change::MessageReceived(InboundMessage {
                external_id: sid,
                from: required("From")?,
                to: required("To")?,
                body: field("Body").unwrap_or_default(),
            })],
        });
    }
    let status = status.unwrap_or_default();
    Ok(Delivery {
        event_id: Some(format!("{sid}:{status}")),
        changes: vec![Change::MessageStatus(MessageStatus {
            external_id: sid,
            status,
            error_code: field("ErrorCode").filter(|code| !code.is_empty()),
            at_ms: request.received_ms,
        })],
    })
}
