//! Inbound provider webhooks: kept raw the moment they arrive (the answer is a 202
//! within milliseconds), then read by the installation's plugin, which verifies the
//! provider's signature, and applied to the bookings they concern. A failed event is
//! retried three times, then kept as dead for replay and the organization's admins
//! are told. A provider delivery repeated is applied once.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::auth::Caller;
use super::page::{Page, PageRequest};
use super::{App, AppError, Result, plugin_access, plugins, provider_changes};
use crate::plugins::{CallError, Capability, wit};
use crate::store::inbound::{self as repo, InboundEvent, InboundStatus, NewInbound};
use crate::store::notifications::{self, Notification};
use crate::store::{self, plugins as installations};

/// Attempts an event gets: the first and three retries.
pub const MAX_ATTEMPTS: u32 = 4;

/// Waits before each retry (divided by `Settings::webhook_retry_scale` in tests).
const RETRY_AFTER: [Duration; 3] = [
    Duration::from_secs(10),
    Duration::from_secs(60),
    Duration::from_secs(300),
];

/// Keeps an inbound request for installation `installation`; its id.
pub async fn receive(
    app: &App,
    installation: i64,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<i64> {
    let found = installations::installation(&app.db, None, installation)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no plugin installation {installation}")))?;
    let id = repo::insert(
        &app.db,
        NewInbound {
            org_id: found.org_id,
            installation_id: installation,
            method,
            path,
            headers,
            body,
        },
        Utc::now(),
    )
    .await?;
    metrics::counter!("inbound_webhooks_total", "plugin" => found.plugin_id).increment(1);
    app.inbound_arrived.notify_one();
    Ok(id)
}

/// The token to echo when a request is a provider's check of the endpoint rather than a
/// change: Microsoft Graph validates a subscription's notification URL with
/// `?validationToken=...` and wants the decoded token back as `text/plain` within 10 s.
/// Answered only for a known installation, and nothing is kept.
pub async fn validation_echo(
    app: &App,
    installation: i64,
    query: Option<&str>,
) -> Result<Option<String>> {
    let Some(token) = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(key, _)| key == "validationToken")
            .map(|(_, token)| token.into_owned())
    }) else {
        return Ok(None);
    };
    installations::installation(&app.db, None, installation)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no plugin installation {installation}")))?;
    tracing::info!(installation, "endpoint validation answered");
    Ok(Some(token))
}

/// Leases up to `limit` due events for this process.
pub async fn lease_due(app: &App, lease: Duration, limit: u64) -> Result<Vec<i64>> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
    let txn = store::db::begin_write(&app.db).await?;
    let due = repo::lease_due(&txn, now, until, limit).await?;
    txn.commit().await.map_err(store::StoreError::from)?;
    Ok(due)
}

/// Processes one leased event: the plugin reads it, the changes are applied, the
/// plugin's kv is kept, the event is marked. Failures are recorded on the event.
pub async fn process(app: &App, id: i64) -> Result<()> {
    let event = repo::find(&app.db, None, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("inbound event {id}")))?;
    let now = Utc::now();
    match read_and_apply(app, &event, now).await {
        Ok(()) => Ok(()),
        Err(failure) => fail(app, &event, &failure, now).await,
    }
}

/// Why an attempt failed, and whether another may succeed.
struct Failure {
    message: String,
    retryable: bool,
    /// The provider asked for at least this long.
    wait: Option<Duration>,
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Failure {
        let retryable = !matches!(e, AppError::NotFound(_) | AppError::Validation(_));
        Failure {
            message: e.to_string(),
            retryable,
            wait: None,
        }
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Failure {
        let wait = match &e {
            CallError::Plugin(crate::plugins::PluginFailure::RateLimited(s)) => {
                Some(Duration::from_secs((*s).into()))
            }
            _ => None,
        };
        Failure {
            retryable: e.retryable(),
            message: e.to_string(),
            wait,
        }
    }
}

async fn read_and_apply(
    app: &App,
    event: &InboundEvent,
    now: DateTime<Utc>,
) -> std::result::Result<(), Failure> {
    let installation = installations::installation(&app.db, None, event.installation_id)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| AppError::NotFound(format!("installation {}", event.installation_id)))?;
    if !installation.enabled {
        return Err(Failure {
            message: "the installation is disabled".into(),
            retryable: true,
            wait: Some(Duration::from_secs(300)),
        });
    }
    let plugin = plugins::loaded(app, installation.package_id).await?;
    let context = plugin_access::context(app, &installation, &plugin).await?;
    let request = wit::WebhookRequest {
        method: event.method.clone(),
        path: event.path.clone(),
        url: public_url(app, event),
        headers: event.headers.clone(),
        body: event.body.clone(),
        received_ms: event.received_at.timestamp_millis(),
    };
    let host = app.plugins.host()?;
    let read = plugin_access::watched(
        app,
        &installation,
        host.handle_webhook(&plugin, context, request),
    )
    .await??;
    if plugin.manifest.can(Capability::Calendars) {
        // The provider vouched for this push: its busy times are news too.
        store::calendars::mark_busy_stale(&app.db, event.installation_id)
            .await
            .map_err(AppError::from)?;
    }
    let delivery = read.value;
    let mut done = Vec::new();
    for change in &delivery.changes {
        done.push(
            provider_changes::apply(
                app,
                event.org_id,
                event.installation_id,
                change,
                event.received_at,
                now,
            )
            .await?,
        );
    }
    let outcome = if done.is_empty() {
        "no changes".to_string()
    } else {
        done.join("; ")
    };
    let txn = store::db::begin_write(&app.db)
        .await
        .map_err(AppError::from)?;
    let first = match &delivery.event_id {
        Some(provider_id) => {
            repo::first_application(&txn, event.installation_id, provider_id, event.id, now)
                .await
                .map_err(AppError::from)?
        }
        None => true,
    };
    let outcome = if first {
        outcome
    } else {
        format!(
            "repeat of provider delivery {}",
            delivery.event_id.as_deref().unwrap_or("")
        )
    };
    installations::write_kv(&txn, event.installation_id, &read.kv.0)
        .await
        .map_err(AppError::from)?;
    repo::mark_applied(&txn, event.id, delivery.event_id.as_deref(), &outcome, now)
        .await
        .map_err(AppError::from)?;
    txn.commit()
        .await
        .map_err(|e| AppError::from(store::StoreError::from(e)))?;
    tracing::info!(inbound = event.id, installation = event.installation_id, %outcome, "inbound webhook applied");
    Ok(())
}

/// The whole public URL `event` was sent to, as the provider saw it (Twilio signs it):
/// the server's public URL, or `http://` and the request's `Host` without one, then
/// `/hooks/{installation}` and the stored path, whose `/` alone stands for no path.
fn public_url(app: &App, event: &InboundEvent) -> String {
    let base = match &app.settings.public_url {
        Some(base) => base.trim_end_matches('/').to_string(),
        None => {
            let host = event
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("host"))
                .map_or("localhost", |(_, value)| value.as_str());
            format!("http://{host}")
        }
    };
    hook_url(&base, event.installation_id, &event.path)
}

/// `{base}/hooks/{installation}` followed by `path` as the hook route stored it.
fn hook_url(base: &str, installation: i64, path: &str) -> String {
    let rest = match path.strip_prefix('/') {
        Some(query) if query.is_empty() || query.starts_with('?') => query,
        _ => path,
    };
    format!("{base}/hooks/{installation}{rest}")
}

/// Records a failed attempt: due again after a delay, or dead after the last attempt
/// (or at once when retrying cannot help), telling the installation's owner.
async fn fail(
    app: &App,
    event: &InboundEvent,
    failure: &Failure,
    now: DateTime<Utc>,
) -> Result<()> {
    let attempt = event.attempts + 1;
    let retry = failure.retryable && attempt < MAX_ATTEMPTS;
    let retry_at = retry.then(|| {
        let delay = RETRY_AFTER[(attempt as usize - 1).min(RETRY_AFTER.len() - 1)]
            / app.settings.webhook_retry_scale.max(1);
        now + chrono::Duration::from_std(delay.max(failure.wait.unwrap_or_default()))
            .unwrap_or_default()
    });
    // Dead and noticed together: whoever sees it dead finds the notice too.
    let txn = store::db::begin_write(&app.db).await?;
    repo::mark_failed(&txn, event.id, &failure.message, retry_at, now).await?;
    if !retry {
        notify_dead(&txn, event, &failure.message, now).await?;
    }
    txn.commit().await.map_err(store::StoreError::from)?;
    metrics::counter!("inbound_webhook_failures_total").increment(1);
    tracing::warn!(inbound = event.id, installation = event.installation_id, attempt, error = %failure.message, dead = !retry, "inbound webhook failed");
    Ok(())
}

/// Tells the organization's owners and admins, and the installation's owner, that an
/// event is dead.
async fn notify_dead(
    db: &impl sea_orm::ConnectionTrait,
    event: &InboundEvent,
    error: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let installation = installations::installation(db, None, event.installation_id).await?;
    let mut recipients = store::users::org_admins(db, event.org_id).await?;
    if let Some(owner) = installation.and_then(|i| i.owner)
        && !recipients.contains(&owner)
    {
        recipients.push(owner);
    }
    for user_id in recipients {
        notifications::insert(
            db,
            &Notification {
                id: 0,
                org_id: event.org_id,
                user_id,
                kind: "INBOUND_WEBHOOK_FAILED".into(),
                subject: format!("inbound_event:{}", event.id),
                message: format!(
                    "A webhook from plugin installation {} could not be applied ({error}); it is kept and can be replayed.",
                    event.installation_id
                ),
                created_at: now,
                read_at: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// One page of the inbound events of `caller`'s organization, newest first: of one
/// installation and in one status when asked. For org admins.
pub async fn list(
    app: &App,
    caller: Caller,
    installation: Option<i64>,
    status: Option<InboundStatus>,
    page: PageRequest,
) -> Result<Page<InboundEvent>> {
    plugins::managed_org(app, caller).await?;
    let keyset = page.keyset()?;
    let rows = repo::list(&app.db, caller.org_id, installation, status, keyset).await?;
    Ok(Page::from_rows(rows, &keyset, |e| e.id))
}

/// Makes an event of `caller`'s organization due again. For org admins.
pub async fn replay(app: &App, caller: Caller, id: i64) -> Result<InboundEvent> {
    plugins::managed_org(app, caller).await?;
    if !repo::replay(&app.db, caller.org_id, id, Utc::now()).await? {
        return Err(AppError::NotFound(format!("inbound event {id}")));
    }
    repo::find(&app.db, Some(caller.org_id), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("inbound event {id}")))
}

#[cfg(test)]
mod tests {
    use super::hook_url;

    #[test]
    fn the_hook_url_is_rebuilt_as_the_provider_sent_it() {
        let base = "https://cal.example.com";
        let cases = [
            ("/", "https://cal.example.com/hooks/7"),
            ("/?a=1&b=2", "https://cal.example.com/hooks/7?a=1&b=2"),
            ("/status", "https://cal.example.com/hooks/7/status"),
            ("/status?x=y", "https://cal.example.com/hooks/7/status?x=y"),
        ];
        for (path, expected) in cases {
            assert_eq!(hook_url(base, 7, path), expected, "{path}");
        }
    }
}
