//! Calendar events for bookings: every booking change fans out (with the outbox
//! dispatcher, in the transaction that marks its event dispatched) to a
//! `calendar_syncs` row per calendar installation of the booking's hosts. A worker
//! brings each one in line with the booking as it is *then*: an accepted booking has an
//! event in the host's chosen calendar (inserted, or patched when it has one), any other
//! has none (deleted). Working from the booking's state rather than a list of actions
//! makes a retry, a repeat or two changes in a row all end the same way.
//!
//! A rescheduled booking takes over its predecessor's event, so the host's calendar
//! shows one event moved rather than one deleted and another created. Failures are
//! retried with growing delays; after [`MAX_ATTEMPTS`] the sync is kept as dead and the
//! host is told.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;

use super::{App, AppError, Result, plugin_access, plugins};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::ids::OrgId;
use crate::plugins::{CallError, Capability, PluginFailure, wit};
use crate::store::calendars::{self as repo, CalendarEvent, PendingSync};
use crate::store::notifications::{self, Notification};
use crate::store::outbox::OutboxEvent;
use crate::store::plugins as installations;
use crate::store::{self, StoreError};

/// Failed attempts after which a sync is given up on and its host told.
pub const MAX_ATTEMPTS: u32 = 5;

/// Queues a calendar sync for every booking an outbox event is about: for each
/// calendar installation of the booking's hosts, and for each installation that made
/// an event for it before (a reassigned booking's old host loses theirs).
pub async fn plan(
    txn: &DatabaseTransaction,
    events: &[OutboxEvent],
    now: DateTime<Utc>,
) -> Result<()> {
    for event in events {
        if !event.kind.starts_with("BOOKING_") || event.kind == "BOOKING_NO_SHOW_UPDATED" {
            continue;
        }
        let Some(uid) = event.payload["uid"].as_str() else {
            continue;
        };
        let Some(booking) = store::bookings::find_by_uid(txn, Some(event.org_id), uid).await?
        else {
            continue;
        };
        let hosts = store::booking_hosts::of_bookings(txn, &[&booking])
            .await?
            .remove(&booking.id)
            .unwrap_or_default();
        for installation in installations::installations(txn, Some(event.org_id)).await? {
            let hosts_it = installation.owner.is_some_and(|o| hosts.contains(&o));
            let made_one = repo::event_of(txn, installation.id, booking.id)
                .await?
                .is_some();
            if installation.enabled && (hosts_it || made_one) {
                repo::enqueue_sync(txn, event.org_id, installation.id, booking.id, now).await?;
            }
        }
    }
    Ok(())
}

/// Leases up to `limit` due syncs for this process.
pub async fn lease_due(app: &App, lease: Duration, limit: u64) -> Result<Vec<i64>> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
    let txn = store::db::begin_write(&app.db).await?;
    let due = repo::lease_due_syncs(&txn, now, until, limit).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(due)
}

/// What a sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synced {
    Created,
    Updated,
    Deleted,
    /// Nothing to do (no event wanted and none made, or the plugin writes no events).
    Nothing,
    /// The provider failed; tried again later or given up on.
    Failed,
}

/// Brings sync `id`'s booking event in line with its booking.
pub async fn run(app: &App, id: i64) -> Result<Synced> {
    let Some(job) = repo::sync(&app.db, id).await? else {
        return Ok(Synced::Nothing);
    };
    let started = std::time::Instant::now();
    let outcome = attempt(app, &job).await;
    let now = Utc::now();
    let synced = match outcome {
        Ok(synced) => synced,
        Err(Attempt::Failed {
            error,
            wait,
            retryable,
        }) => {
            fail(app, &job, &error, retryable.then_some(wait), now).await?;
            Synced::Failed
        }
        Err(Attempt::Ours(error)) => return Err(error),
    };
    let label = match synced {
        Synced::Failed => "failed",
        Synced::Nothing => "nothing",
        _ => "ok",
    };
    metrics::counter!("calendar_syncs_total", "outcome" => label).increment(1);
    metrics::histogram!("calendar_sync_seconds").record(started.elapsed().as_secs_f64());
    Ok(synced)
}

/// Why an attempt did not finish.
enum Attempt {
    /// The provider or plugin failed: try again (not before `wait`, when the provider
    /// named one) unless it is bound to fail the same way.
    Failed {
        error: String,
        wait: Option<Duration>,
        retryable: bool,
    },
    /// Our storage failed: the lease runs out and the sync is tried again.
    Ours(AppError),
}

impl From<AppError> for Attempt {
    fn from(error: AppError) -> Attempt {
        Attempt::Ours(error)
    }
}

impl From<StoreError> for Attempt {
    fn from(error: StoreError) -> Attempt {
        Attempt::Ours(error.into())
    }
}

async fn attempt(app: &App, job: &PendingSync) -> std::result::Result<Synced, Attempt> {
    let done = |synced| async move {
        repo::finish_sync(&app.db, job).await?;
        Ok::<_, Attempt>(synced)
    };
    let Some(installation) =
        installations::installation(&app.db, None, job.installation_id).await?
    else {
        return done(Synced::Nothing).await;
    };
    let plugin = plugins::loaded(app, installation.package_id).await?;
    let Some(booking) = store::bookings::by_ids(&app.db, job.org_id, &[job.booking_id])
        .await?
        .pop()
    else {
        return done(Synced::Nothing).await;
    };
    if !installation.enabled || !plugin.manifest.can(Capability::Apply) {
        return done(Synced::Nothing).await;
    }
    let hosts = store::booking_hosts::of_bookings(&app.db, &[&booking])
        .await?
        .remove(&booking.id)
        .unwrap_or_default();
    let wanted = booking.status == BookingStatus::Accepted
        && installation.owner.is_some_and(|o| hosts.contains(&o));
    let mut event = repo::event_of(&app.db, installation.id, booking.id).await?;
    if wanted && event.is_none() {
        event = predecessor_event(app, job.org_id, installation.id, &booking).await?;
    }
    let destination = repo::choices(&app.db, installation.id)
        .await?
        .into_iter()
        .find(|c| c.destination)
        .map(|c| c.calendar_id);
    let info = booking_info(app, &booking, event.as_ref(), destination.clone()).await?;
    let (effect, synced) = match (wanted, &event) {
        (true, None) => (wit::Effect::CreateEvent(info), Synced::Created),
        (true, Some(_)) => (wit::Effect::UpdateEvent(info), Synced::Updated),
        (false, Some(_)) => (wit::Effect::DeleteEvent(info), Synced::Deleted),
        (false, None) => return done(Synced::Nothing).await,
    };
    let context = plugin_access::context(app, &installation, &plugin).await?;
    let call = app.plugins.host()?.apply(&plugin, context, effect);
    let answer = match plugin_access::watched(app, &installation, call).await? {
        Ok(answer) => answer,
        Err(error) => {
            let wait = match &error {
                CallError::Plugin(PluginFailure::RateLimited(seconds)) => {
                    Some(Duration::from_secs((*seconds).into()))
                }
                _ => None,
            };
            return Err(Attempt::Failed {
                error: error.to_string(),
                wait,
                retryable: error.retryable(),
            });
        }
    };
    let now = Utc::now();
    let txn = store::db::begin_write(&app.db).await?;
    if synced == Synced::Deleted {
        repo::forget_event(&txn, installation.id, booking.id).await?;
    } else if let Some(external_id) = answer.value.external_id {
        let calendar_id = match &event {
            Some(before) => before.calendar_id.clone(),
            None => destination,
        };
        let kept = CalendarEvent {
            external_id,
            calendar_id,
            url: answer.value.url,
        };
        repo::keep_event(&txn, job.org_id, installation.id, booking.id, &kept, now).await?;
    }
    installations::write_kv(&txn, installation.id, &answer.kv.0).await?;
    repo::finish_sync(&txn, job).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(installation = installation.id, booking.uid = %booking.uid, ?synced, "calendar event synced");
    Ok(synced)
}

/// The event the booking `booking` was rescheduled from had in `installation`.
async fn predecessor_event(
    app: &App,
    org: OrgId,
    installation: i64,
    booking: &Booking,
) -> Result<Option<CalendarEvent>> {
    let Some(previous) = &booking.rescheduled_from_uid else {
        return Ok(None);
    };
    let Some(previous) = store::bookings::find_by_uid(&app.db, Some(org), previous).await? else {
        return Ok(None);
    };
    Ok(repo::event_of(&app.db, installation, previous.id).await?)
}

/// The booking as a calendar plugin sees it.
async fn booking_info(
    app: &App,
    booking: &Booking,
    event: Option<&CalendarEvent>,
    destination: Option<String>,
) -> Result<wit::BookingInfo> {
    let host = store::users::find(&app.db, booking.org_id, booking.host)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("host of booking {}", booking.uid)))?;
    let links = app
        .settings
        .public_url
        .as_deref()
        .map(|base| base.trim_end_matches('/'));
    let mut attendees: Vec<wit::Attendee> = booking
        .attendees
        .iter()
        .map(|a| wit::Attendee {
            name: a.name.clone(),
            email: a.email.clone(),
            time_zone: Some(a.time_zone.name().to_string()),
        })
        .collect();
    attendees.extend(booking.guests.iter().map(|email| wit::Attendee {
        name: email.clone(),
        email: email.clone(),
        time_zone: None,
    }));
    Ok(wit::BookingInfo {
        uid: booking.uid.clone(),
        title: booking.title.clone(),
        description: (!booking.description.is_empty()).then(|| booking.description.clone()),
        start_ms: booking.span.start.timestamp_millis(),
        end_ms: booking.span.end.timestamp_millis(),
        time_zone: host.time_zone.name().to_string(),
        host_email: host.email,
        attendees,
        location: booking.location.clone(),
        external_id: event.map(|e| e.external_id.clone()),
        calendar_id: event.and_then(|e| e.calendar_id.clone()).or(destination),
        reschedule_url: links.map(|base| format!("{base}/reschedule/{}", booking.uid)),
        cancel_url: links.map(|base| format!("{base}/booking/{}?cancel=true", booking.uid)),
    })
}

/// Backoff after the `attempts`-th failure: 10 s, 40 s, 160 s, ... at most an hour.
fn backoff(attempts: u32) -> Duration {
    let seconds = 10u64.saturating_mul(4u64.saturating_pow(attempts.saturating_sub(1)));
    Duration::from_secs(seconds.min(3600))
}

/// Records a failed attempt. `retry` is `None` when trying again cannot help, else the
/// wait the provider asked for, if any.
async fn fail(
    app: &App,
    job: &PendingSync,
    error: &str,
    retry: Option<Option<Duration>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let attempts = job.attempts + 1;
    let txn = store::db::begin_write(&app.db).await?;
    let retry_at = retry.filter(|_| attempts < MAX_ATTEMPTS).map(|asked| {
        let wait = asked.unwrap_or_default().max(backoff(attempts));
        now + chrono::Duration::from_std(wait).unwrap_or_default()
    });
    repo::fail_sync(&txn, job, error, retry_at, now).await?;
    if retry_at.is_none() {
        notify_given_up(&txn, job, error, now).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    tracing::warn!(installation = job.installation_id, booking.id = %job.booking_id, attempts, error, given_up = retry_at.is_none(), "calendar sync failed");
    Ok(())
}

/// Tells the installation's owner (the host whose calendar it is) that a booking's
/// event could not be written.
async fn notify_given_up(
    txn: &DatabaseTransaction,
    job: &PendingSync,
    error: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(owner) = installations::installation(txn, None, job.installation_id)
        .await?
        .and_then(|i| i.owner)
    else {
        return Ok(());
    };
    let booking = store::bookings::by_ids(txn, job.org_id, &[job.booking_id])
        .await?
        .pop()
        .map_or_else(|| job.booking_id.to_string(), |b| b.uid);
    notifications::insert(
        txn,
        &Notification {
            id: 0,
            org_id: job.org_id,
            user_id: owner,
            kind: "CALENDAR_SYNC_FAILED".into(),
            subject: format!("booking:{booking}"),
            message: format!(
                "The calendar event of booking {booking} could not be written after {MAX_ATTEMPTS} tries ({error})."
            ),
            created_at: now,
            read_at: None,
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(10));
        assert_eq!(backoff(2), Duration::from_secs(40));
        assert_eq!(backoff(3), Duration::from_secs(160));
        assert_eq!(backoff(9), Duration::from_secs(3600));
    }
}
