//! Inbound provider webhooks: kept raw the moment they arrive (the answer is a 202
//! within milliseconds), then read by the installation's plugin, which verifies the
//! provider's signature, and applied to the bookings they concern. A failed event is
//! retried three times, then kept as dead for replay and the installation's owner is
//! told. A provider delivery repeated is applied once.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::auth::Caller;
use super::bookings::{self, RescheduleInput};
use super::{App, AppError, Result, plugins};
use crate::domain::booking::{Booking, BookingStatus};
use crate::plugins::{CallError, wit};
use crate::store::inbound::{self as repo, InboundEvent, NewInbound};
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
    Ok(id)
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
    let context = plugins::context(app, &installation, &plugin).await?;
    let request = wit::WebhookRequest {
        method: event.method.clone(),
        path: event.path.clone(),
        headers: event.headers.clone(),
        body: event.body.clone(),
        received_ms: event.received_at.timestamp_millis(),
    };
    let host = app.plugins.host()?;
    let read = host.handle_webhook(&plugin, context, request).await?;
    let delivery = read.value;
    let mut done = Vec::new();
    for change in &delivery.changes {
        done.push(apply(app, event, change, now).await?);
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
    if let Some(kv) = &read.kv {
        installations::replace_kv(&txn, event.installation_id, kv)
            .await
            .map_err(AppError::from)?;
    }
    repo::mark_applied(&txn, event.id, delivery.event_id.as_deref(), &outcome, now)
        .await
        .map_err(AppError::from)?;
    txn.commit()
        .await
        .map_err(|e| AppError::from(store::StoreError::from(e)))?;
    tracing::info!(inbound = event.id, installation = event.installation_id, %outcome, "inbound webhook applied");
    Ok(())
}

/// Applies one change; what it did, in words. Applying is idempotent: a change
/// already in place does nothing, so a retry after a crash never applies it twice.
async fn apply(
    app: &App,
    event: &InboundEvent,
    change: &wit::Change,
    now: DateTime<Utc>,
) -> Result<String> {
    let (external_id, what) = match change {
        wit::Change::BookingMoved(m) => (&m.external_id, Some((m.start_ms, false))),
        wit::Change::BookingCancelled(c) => (&c.external_id, None),
        wit::Change::BookingUpserted(b) => (
            &b.external_id,
            (b.status != wit::BookingStatus::Cancelled).then_some((b.start_ms, true)),
        ),
        other => return Ok(format!("{} not applied yet", kind(other))),
    };
    let Some(booking) = linked_booking(app, event, external_id).await? else {
        return Ok(format!(
            "{} for `{external_id}`, which is no Convene booking: skipped",
            kind(change)
        ));
    };
    let host = Caller {
        org_id: booking.org_id,
        user_id: booking.host,
    };
    match what {
        None if booking.status == BookingStatus::Cancelled => {
            Ok(format!("booking {} was already cancelled", booking.uid))
        }
        None => {
            let reason = match change {
                wit::Change::BookingCancelled(c) => c.reason.clone(),
                _ => None,
            };
            bookings::cancel(app, Some(host), &booking.uid, reason, now).await?;
            Ok(format!("cancelled booking {}", booking.uid))
        }
        Some((start_ms, _)) if booking.span.start.timestamp_millis() == start_ms => {
            Ok(format!("booking {} already at that time", booking.uid))
        }
        Some((start_ms, _)) => {
            let start = DateTime::from_timestamp_millis(start_ms)
                .ok_or_else(|| AppError::invalid("start", "out of range"))?;
            let input = RescheduleInput {
                start: Some(start.to_rfc3339()),
                rescheduling_reason: Some("moved at the provider".into()),
                rescheduled_by: None,
            };
            let moved = bookings::reschedule(app, Some(host), &booking.uid, input, now).await?;
            repo::link(
                &app.db,
                booking.org_id,
                event.installation_id,
                external_id,
                moved.booking.id,
                None,
                now,
            )
            .await?;
            Ok(format!(
                "moved booking {} to {}",
                booking.uid, moved.booking.uid
            ))
        }
    }
}

/// The live booking a provider object stands for: a booking rescheduled since is
/// followed to the one that replaced it.
async fn linked_booking(
    app: &App,
    event: &InboundEvent,
    external_id: &str,
) -> Result<Option<Booking>> {
    let Some(id) = repo::booking_of(&app.db, event.installation_id, external_id).await? else {
        return Ok(None);
    };
    let mut booking = store::bookings::by_ids(&app.db, event.org_id, &[id])
        .await?
        .pop();
    while let Some(next) = booking.as_ref().and_then(|b| b.rescheduled_to_uid.clone()) {
        booking = store::bookings::find_by_uid(&app.db, Some(event.org_id), &next).await?;
    }
    Ok(booking)
}

fn kind(change: &wit::Change) -> &'static str {
    match change {
        wit::Change::BookingUpserted(_) => "booking upserted",
        wit::Change::BookingMoved(_) => "booking moved",
        wit::Change::BookingCancelled(_) => "booking cancelled",
        wit::Change::BookingTitleChanged(_) => "title changed",
        wit::Change::BookingNoShow(_) => "no-show",
        wit::Change::MeetingStarted(_) => "meeting started",
        wit::Change::MeetingEnded(_) => "meeting ended",
        wit::Change::PaymentSucceeded(_) => "payment succeeded",
        wit::Change::PaymentRefunded(_) => "payment refunded",
    }
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
    repo::mark_failed(&app.db, event.id, &failure.message, retry_at, now).await?;
    metrics::counter!("inbound_webhook_failures_total").increment(1);
    tracing::warn!(inbound = event.id, installation = event.installation_id, attempt, error = %failure.message, dead = !retry, "inbound webhook failed");
    if !retry {
        notify_dead(app, event, &failure.message, now).await?;
    }
    Ok(())
}

async fn notify_dead(
    app: &App,
    event: &InboundEvent,
    error: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let installation = installations::installation(&app.db, None, event.installation_id).await?;
    let owner = match installation.and_then(|i| i.owner) {
        Some(owner) => Some(owner),
        None => store::users::first_of_org(&app.db, event.org_id).await?,
    };
    let Some(user_id) = owner else {
        return Ok(());
    };
    notifications::insert(
        &app.db,
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
    Ok(())
}

/// Makes an event of `caller`'s organization due again.
pub async fn replay(app: &App, caller: Caller, id: i64) -> Result<InboundEvent> {
    if !repo::replay(&app.db, caller.org_id, id, Utc::now()).await? {
        return Err(AppError::NotFound(format!("inbound event {id}")));
    }
    repo::find(&app.db, Some(caller.org_id), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("inbound event {id}")))
}
