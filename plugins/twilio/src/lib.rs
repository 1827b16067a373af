//! Text messages through Twilio's Messages API (`tests/src/fakes/twilio.rs` fakes it
//! for the tests):
//! - `apply(send-sms)`: the message sent from the installation's number, its status
//!   posted back to the hook URL Convene names (see [`messages`]);
//! - `handle-webhook`: Twilio's signed status callbacks and the messages phones send
//!   to the number (STOP, START, ...) read (see [`webhooks`]).
//!
//! Settings: `account_sid`, `auth_token` (secret: it signs Twilio's requests too),
//! `from_number`, and `base_url` to point the plugin at another API origin (a fake).

mod messages;
mod signature;
mod webhooks;

use convene_plugin_sdk::settings::field;
use convene_plugin_sdk::{
    Busy, Calendar, Capability, Delivery, Effect, Guest, Outcome, Page, PluginError,
    PluginManifest, TimeRange, WebhookRequest, config, export, required_config,
};

const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// The installation's settings.
pub struct Settings {
    account_sid: String,
    auth_token: String,
    from_number: String,
    /// Twilio's API origin, without a trailing slash.
    base_url: String,
}

impl Settings {
    fn load() -> Result<Settings, PluginError> {
        Ok(Settings {
            account_sid: required_config("account_sid")?,
            auth_token: required_config("auth_token")?,
            from_number: required_config("from_number")?,
            base_url: config::get("base_url")
                .filter(|url| !url.is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.into())
                .trim_end_matches('/')
                .to_string(),
        })
    }
}

struct Twilio;

impl Guest for Twilio {
    fn manifest() -> PluginManifest {
        PluginManifest {
            id: "twilio".into(),
            name: "Twilio SMS".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: vec![
                Capability::Apply,
                Capability::Webhooks,
                Capability::Messages,
            ],
            allowed_hosts: vec!["api.twilio.com".into()],
            oauth: None,
            config: vec![
                field("account_sid", "Account SID", true, false),
                field("auth_token", "Auth token", true, true),
                field("from_number", "Sending number (E.164)", true, false),
                field("base_url", "API base URL", false, false),
            ],
        }
    }

    fn handle_webhook(request: WebhookRequest) -> Result<Delivery, PluginError> {
        webhooks::handle(&Settings::load()?, &request)
    }

    fn pull(_cursor: Option<String>) -> Result<Page, PluginError> {
        Err(PluginError::Unsupported)
    }

    fn busy_times(_range: TimeRange, _calendars: Vec<String>) -> Result<Vec<Busy>, PluginError> {
        Err(PluginError::Unsupported)
    }

    fn calendars() -> Result<Vec<Calendar>, PluginError> {
        Err(PluginError::Unsupported)
    }

    fn apply(effect: Effect) -> Result<Outcome, PluginError> {
        match &effect {
            Effect::SendSms(sms) => messages::send_sms(&Settings::load()?, sms),
            _ => Err(PluginError::Unsupported),
        }
    }
}

export!(Twilio);
