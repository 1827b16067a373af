//! Text messages through the organization's messaging plugin (one with the `messages`
//! capability, such as `twilio`): what the workflow sender calls to text a reminder,
//! and where the provider's news about those messages lands.
//!
//! A message is sent at most once per reference: the reference is claimed in storage
//! before the provider is called, and released again when the provider refuses or
//! cannot be reached, so the caller's retry sends it. A phone that opted out (replied
//! STOP, or the provider says so) is not texted until it opts back in (START).

use chrono::{DateTime, Utc};

use super::{App, AppError, Result, plugin_access, plugins};
use crate::domain::ids::OrgId;
use crate::domain::sms::{OptKeyword, normalize_phone, opt_keyword, status_replaces};
use crate::plugins::manifest::HOOK_URL_SETTING;
use crate::plugins::{CallError, Capability, PluginFailure, wit};
use crate::store::plugins::{self as installations, Installation};
use crate::store::{self, StoreError, sms as repo};

/// What became of a message, as the provider last reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsStatus {
    /// `sending` (the provider has not answered yet), then the provider's `queued`,
    /// `sent`, `delivered`, `undelivered` or `failed`.
    pub status: String,
    /// The provider's error code for a message not delivered (Twilio's 30003).
    pub error_code: Option<String>,
}

/// What [`send`] did: the caller tells a message sent from one it must not send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsSent {
    /// The provider took the message now, as `provider_id`.
    Sent { provider_id: Option<String> },
    /// The reference was sent before: nothing was sent again; that message's state.
    AlreadySent {
        provider_id: Option<String>,
        status: SmsStatus,
    },
    /// The recipient opted out of the organization's messages: nothing was sent.
    OptedOut,
}

/// Texts `body` to `to` (any common notation of an E.164 number) through `org`'s
/// messaging plugin, once per `reference` (the caller's id of the message, e.g. the
/// reminder's): a second call with the same reference sends nothing and answers
/// what became of the first. A phone that opted out is not texted. The provider posts
/// the message's status to the installation's hook URL, where [`record_status`] keeps
/// it. A provider that refuses or cannot be reached is an `Upstream` or `Unavailable`
/// error with nothing kept as sent, so the caller may retry. (A call that timed out
/// after the provider took the message is released too: a retry may then text twice,
/// which beats a reminder never sent.)
pub async fn send(app: &App, org: OrgId, to: &str, body: &str, reference: &str) -> Result<SmsSent> {
    let to = normalize_phone(to).map_err(|message| AppError::invalid("to", message))?;
    if body.trim().is_empty() {
        return Err(AppError::invalid("body", "a text message needs a body"));
    }
    if reference.is_empty() {
        return Err(AppError::invalid(
            "reference",
            "a message needs a reference",
        ));
    }
    if let Some(sent) = repo::by_reference(&app.db, org, reference).await? {
        return Ok(already_sent(sent));
    }
    if repo::opted_out(&app.db, org, &to).await? {
        return Ok(SmsSent::OptedOut);
    }
    let installation = messaging_installation(app, org).await?;
    let plugin = plugins::loaded(app, installation.package_id).await?;
    let context = plugin_access::context(app, &installation, &plugin).await?;
    let host = app.plugins.host()?;
    let effect = wit::Effect::SendSms(wit::SmsRequest {
        to: to.clone(),
        body: body.to_string(),
        reference: reference.to_string(),
        status_callback: context.config.get(HOOK_URL_SETTING).cloned(),
    });
    let id = match repo::claim(&app.db, org, installation.id, reference, &to, Utc::now()).await {
        Ok(id) => id,
        Err(StoreError::Duplicate) => {
            // Another send of the same reference claimed it meanwhile.
            let sent = repo::by_reference(&app.db, org, reference)
                .await?
                .ok_or_else(|| {
                    AppError::Conflict(format!("message `{reference}` is being sent"))
                })?;
            return Ok(already_sent(sent));
        }
        Err(other) => return Err(other.into()),
    };
    match plugin_access::watched(app, &installation, host.apply(&plugin, context, effect)).await? {
        Ok(answer) => {
            let provider_id = answer.value.external_id;
            let txn = store::db::begin_write(&app.db).await?;
            repo::mark_sent(&txn, id, provider_id.as_deref(), Utc::now()).await?;
            installations::write_kv(&txn, installation.id, &answer.kv.0).await?;
            txn.commit().await.map_err(StoreError::from)?;
            tracing::info!(org.id = %org, sms.reference = reference, "text message sent");
            Ok(SmsSent::Sent { provider_id })
        }
        Err(error) => {
            repo::release(&app.db, id).await?;
            if error == CallError::Plugin(PluginFailure::RecipientOptedOut) {
                // The provider keeps its own opt-out list (a STOP we never heard of).
                repo::opt_out(&app.db, org, &to, Utc::now()).await?;
                return Ok(SmsSent::OptedOut);
            }
            tracing::warn!(org.id = %org, sms.reference = reference, %error, "text message not sent");
            Err(send_failed(error))
        }
    }
}

/// What became of `org`'s message `reference`; `None` when none was sent.
pub async fn status(app: &App, org: OrgId, reference: &str) -> Result<Option<SmsStatus>> {
    Ok(repo::by_reference(&app.db, org, reference)
        .await?
        .map(|sent| status_of(&sent)))
}

/// Whether `phone` opted out of `org`'s messages, so a sender can skip it (or offer
/// another channel) before composing a message.
pub async fn opted_out(app: &App, org: OrgId, phone: &str) -> Result<bool> {
    let phone = normalize_phone(phone).map_err(|message| AppError::invalid("phone", message))?;
    Ok(repo::opted_out(&app.db, org, &phone).await?)
}

/// Keeps a provider's status report of a message `installation` sent; what it did, in
/// words. A final status stays, and older news never overwrites newer. A report of a
/// message not known yet (the provider was faster than our storing of its id) is an
/// error, so the inbound event is retried.
pub async fn record_status(
    app: &App,
    org: OrgId,
    installation: i64,
    report: &wit::MessageStatus,
    now: DateTime<Utc>,
) -> Result<String> {
    let at = DateTime::from_timestamp_millis(report.at_ms)
        .ok_or_else(|| AppError::invalid("at", "out of range"))?;
    let txn = store::db::begin_write(&app.db).await?;
    let Some(sent) =
        repo::by_provider_id_for_update(&txn, org, installation, &report.external_id).await?
    else {
        return Err(AppError::Conflict(format!(
            "message `{}` is not known (yet)",
            report.external_id
        )));
    };
    let current_at = sent.status_at.map(|t| t.timestamp_millis());
    if !status_replaces(&sent.status, current_at, &report.status, report.at_ms) {
        return Ok(format!(
            "message `{}` {}: kept {}",
            sent.reference, report.status, sent.status
        ));
    }
    repo::set_status(
        &txn,
        sent.id,
        &report.status,
        report.error_code.as_deref(),
        at,
        now,
    )
    .await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(format!("message `{}` {}", sent.reference, report.status))
}

/// Acts on a text a phone sent to the organization: an opt-out keyword (STOP, ...) or
/// an opt-in one (START, ...) updates the phone's subscription; anything else is only
/// described. What it did, in words.
pub async fn record_received(
    app: &App,
    org: OrgId,
    message: &wit::InboundMessage,
    received_at: DateTime<Utc>,
) -> Result<String> {
    let Ok(phone) = normalize_phone(&message.from) else {
        return Ok(format!(
            "text from `{}`, not a phone number: ignored",
            message.from
        ));
    };
    Ok(match opt_keyword(&message.body) {
        Some(OptKeyword::OptOut) => {
            repo::opt_out(&app.db, org, &phone, received_at).await?;
            format!("{phone} opted out of text messages")
        }
        Some(OptKeyword::OptIn) => {
            repo::opt_in(&app.db, org, &phone).await?;
            format!("{phone} opted in to text messages")
        }
        None => format!("text from {phone}: no keyword, nothing to do"),
    })
}

fn status_of(sent: &repo::SmsMessage) -> SmsStatus {
    SmsStatus {
        status: sent.status.clone(),
        error_code: sent.error_code.clone(),
    }
}

fn already_sent(sent: repo::SmsMessage) -> SmsSent {
    SmsSent::AlreadySent {
        status: status_of(&sent),
        provider_id: sent.provider_id,
    }
}

/// `org`'s first enabled installation of a plugin that sends text messages.
async fn messaging_installation(app: &App, org: OrgId) -> Result<Installation> {
    for installation in installations::installations(&app.db, Some(org)).await? {
        if !installation.enabled {
            continue;
        }
        let Some(package) = installations::package(&app.db, installation.package_id).await? else {
            continue;
        };
        if plugins::manifest_of(&package)?.can(Capability::Messages) {
            return Ok(installation);
        }
    }
    Err(AppError::NotFound(format!(
        "organization {org} has no enabled plugin that sends text messages \
         (install one with the `messages` capability, such as `twilio`)"
    )))
}

/// A failed send as the caller sees it: the provider's refusal or absence is
/// `Upstream`, a provider asking to wait or a plugin that could not run `Unavailable`.
fn send_failed(error: CallError) -> AppError {
    match error {
        CallError::Plugin(PluginFailure::RateLimited(seconds)) => AppError::Unavailable(format!(
            "the text message provider asks to wait {seconds} s before sending again"
        )),
        CallError::Plugin(PluginFailure::Upstream(_) | PluginFailure::UpstreamStatus { .. }) => {
            AppError::Upstream(format!("the text message provider failed: {error}"))
        }
        other => AppError::Unavailable(format!("the messaging plugin failed: {other}")),
    }
}
