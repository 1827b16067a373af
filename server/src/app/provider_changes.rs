//! Normalized changes from providers (through a webhook or a pull) applied to the
//! bookings they concern, under the sync rules (`domain::sync_rules`): only bookings
//! Convene links to the provider's object are touched, never once they are over, never
//! from a stale change, never moved into the past, and at most twice a minute. A change
//! beyond that is coalesced, not dropped: the newest one per object and aspect waits
//! (`store::pending_changes`) and is applied as the minute ends. A change that fails to
//! apply is retried three times, then the booking's team admins (or its host) are told.
//! Nothing is applied while the global kill switch or the booking's team switch is off.
//! Applying is idempotent, so the same change read twice (a repeated delivery, a page
//! pulled again after a crash, one event seen through two calendars) changes nothing more.
//! News about text messages (a status report, a phone's STOP) concerns no booking and
//! goes to [`sms`](super::sms), under its own rules.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::auth::Caller;
use super::bookings::{self, RescheduleInput};
use super::{App, AppError, Result, sms};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::ids::{OrgId, UserId};
use crate::domain::sync_rules::{self, LinkState, Verdict, Wanted};
use crate::plugins::wit;
use crate::store;
use crate::store::inbound as links;
use crate::store::notifications::{self, Notification};
use crate::store::pending_changes::{self as pending, PendingChange};

/// The kind of notice raised when a provider's change could not be applied.
pub const INBOUND_SYNC_FAILED: &str = "CALENDAR_INBOUND_SYNC_FAILED";

/// Applies one change that Convene heard of at `received_at`; what it did, in words.
/// A change the rules hold back is kept to be applied later, and one that fails is kept
/// for a retry: neither is an error of the webhook or pull that read it.
pub async fn apply(
    app: &App,
    org: OrgId,
    installation: i64,
    change: &wit::Change,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String> {
    match change {
        wit::Change::MessageStatus(report) => {
            return sms::record_status(app, org, installation, report, now).await;
        }
        wit::Change::MessageReceived(message) => {
            return sms::record_received(app, org, message, received_at).await;
        }
        _ => {}
    }
    let Some((external_id, wanted, changed_at)) = normalized(change) else {
        return Ok(format!("{} not applied yet", kind(change)));
    };
    let change = PendingChange {
        id: 0,
        org_id: org,
        installation_id: installation,
        external_id: external_id.to_string(),
        wanted,
        changed_at,
        received_at,
        attempts: 0,
        due_at: now,
        last_error: None,
    };
    settle(app, &change, now).await
}

/// Leases up to `limit` waiting changes due at `now` for this process.
pub async fn lease_due(
    app: &App,
    lease: Duration,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
    let txn = store::db::begin_write(&app.db).await?;
    let due = pending::lease_due(&txn, now, until, limit).await?;
    txn.commit().await.map_err(store::StoreError::from)?;
    Ok(due)
}

/// Applies the waiting change `id` (leased by this process) as of `now`. Settling it
/// removes it, or keeps it for later again (a fresh copy, unleased).
pub async fn apply_waiting(app: &App, id: i64, now: DateTime<Utc>) -> Result<String> {
    match pending::find(&app.db, id).await? {
        Some(change) => settle(app, &change, now).await,
        None => Ok(format!("waiting change {id} already settled")),
    }
}

/// What one attempt at a change came to.
enum Attempt {
    Applied(String),
    Skipped(String),
    /// Held back by the per-minute limit until this moment.
    Held(DateTime<Utc>),
}

/// Attempts `change` and records what came of it: applied or skipped (a waiting
/// older change of the same aspect is then moot), held back (kept, replacing the one
/// waiting), or failed (kept for a retry, or reported after the last attempt).
async fn settle(app: &App, change: &PendingChange, now: DateTime<Utc>) -> Result<String> {
    let external_id = change.external_id.as_str();
    match attempt(app, change, now).await {
        Ok(Attempt::Applied(done)) => {
            pending::drop_superseded(&app.db, change).await?;
            metrics::counter!("calendar_inbound_changes_total", "outcome" => "applied")
                .increment(1);
            metrics::histogram!("calendar_inbound_sync_seconds")
                .record((now - change.received_at).num_milliseconds().max(0) as f64 / 1000.0);
            Ok(done)
        }
        Ok(Attempt::Skipped(why)) => {
            pending::drop_superseded(&app.db, change).await?;
            metrics::counter!("calendar_inbound_changes_total", "outcome" => "skipped")
                .increment(1);
            Ok(why)
        }
        Ok(Attempt::Held(until)) => {
            let waiting = PendingChange {
                due_at: until,
                ..change.clone()
            };
            pending::keep(&app.db, &waiting, now).await?;
            metrics::counter!("calendar_inbound_changes_total", "outcome" => "coalesced")
                .increment(1);
            Ok(format!(
                "{} for `{external_id}`: held back until {}, two changes already reached it this minute",
                describe(&change.wanted),
                until.to_rfc3339()
            ))
        }
        Err(error) => failed(app, change, &error, now).await,
    }
}

/// Keeps a failed change for a retry, or tells who should know after its last attempt.
async fn failed(
    app: &App,
    change: &PendingChange,
    error: &AppError,
    now: DateTime<Utc>,
) -> Result<String> {
    metrics::counter!("calendar_inbound_changes_total", "outcome" => "failed").increment(1);
    let attempt = change.attempts + 1;
    let what = describe(&change.wanted);
    let external_id = &change.external_id;
    tracing::warn!(installation = change.installation_id, external.id = %external_id, attempt, %error, "provider change failed to apply");
    match sync_rules::retry_delay(attempt) {
        Some(delay) => {
            let delay = delay / app.settings.webhook_retry_scale.max(1);
            let retry = PendingChange {
                attempts: attempt,
                due_at: now + chrono::Duration::from_std(delay).unwrap_or_default(),
                last_error: Some(error.to_string()),
                ..change.clone()
            };
            pending::keep(&app.db, &retry, now).await?;
            Ok(format!(
                "{what} for `{external_id}` failed ({error}); retried at {}",
                retry.due_at.to_rfc3339()
            ))
        }
        None => {
            let txn = store::db::begin_write(&app.db).await?;
            pending::drop_superseded(&txn, change).await?;
            notify_failed(&txn, app, change, error, now).await?;
            txn.commit().await.map_err(store::StoreError::from)?;
            Ok(format!(
                "{what} for `{external_id}` failed {attempt} times ({error}); given up, admins told"
            ))
        }
    }
}

/// One attempt at `change` under the rules and switches.
async fn attempt(app: &App, change: &PendingChange, now: DateTime<Utc>) -> Result<Attempt> {
    let installation = change.installation_id;
    let external_id = change.external_id.as_str();
    let what = describe(&change.wanted);
    let Some((booking, link)) =
        linked_booking(app, change.org_id, installation, external_id).await?
    else {
        return Ok(Attempt::Skipped(format!(
            "{what} for `{external_id}`, which is no Convene booking: skipped"
        )));
    };
    let skipped = |why: &str| -> Result<Attempt> {
        Ok(Attempt::Skipped(format!(
            "{what} for booking {}: skipped, {why}",
            booking.uid
        )))
    };
    if let Some(why) = switched_off(app, &booking).await? {
        return skipped(&why);
    }
    let already = match &change.wanted {
        Wanted::Cancelled { .. } => booking.status == BookingStatus::Cancelled,
        Wanted::At { start_ms } => booking.span.start.timestamp_millis() == *start_ms,
        Wanted::Titled { title } => booking.title == *title,
    };
    if already {
        return Ok(Attempt::Skipped(format!(
            "booking {} already so",
            booking.uid
        )));
    }
    if booking.status == BookingStatus::Cancelled {
        return skipped("the booking is cancelled");
    }
    if let Wanted::At { start_ms } = change.wanted
        && start_ms < now.timestamp_millis()
    {
        return skipped("the new time is in the past");
    }
    match sync_rules::judge(&link, booking.span.end, change.changed_at, now) {
        Verdict::Apply => {}
        Verdict::TooFrequent => return Ok(Attempt::Held(sync_rules::window_end(&link, now))),
        other => return skipped(other.reason().unwrap_or_default()),
    }
    let done = act(
        app,
        installation,
        external_id,
        &booking,
        &change.wanted,
        now,
    )
    .await?;
    let remembered = sync_rules::applied(&link, change.changed_at, now);
    links::record_applied(&app.db, installation, external_id, &remembered, now).await?;
    Ok(Attempt::Applied(done))
}

/// Why inbound sync is off for `booking`, if it is: the global kill switch, or the
/// switch of the team whose event type it is.
async fn switched_off(app: &App, booking: &Booking) -> Result<Option<String>> {
    if !app.settings.calendar_sync {
        return Ok(Some("calendar sync is switched off".into()));
    }
    let Some(team) = team_of(&app.db, booking).await? else {
        return Ok(None);
    };
    Ok((!team.calendar_sync_enabled)
        .then(|| format!("team `{}` switched calendar sync off", team.slug)))
}

/// The team whose event type `booking` is, if any.
async fn team_of(
    db: &impl ConnectionTrait,
    booking: &Booking,
) -> Result<Option<crate::domain::team::Team>> {
    let Some(event_type) =
        store::event_types::find(db, booking.org_id, booking.event_type_id).await?
    else {
        return Ok(None);
    };
    let Some(team) = event_type.team_id else {
        return Ok(None);
    };
    Ok(store::teams::find(db, booking.org_id, team).await?)
}

/// Does what `wanted` asks of `booking`, as its host.
async fn act(
    app: &App,
    installation: i64,
    external_id: &str,
    booking: &Booking,
    wanted: &Wanted,
    now: DateTime<Utc>,
) -> Result<String> {
    let host = Caller {
        org_id: booking.org_id,
        user_id: booking.host,
    };
    Ok(match wanted {
        Wanted::Cancelled { reason } => {
            bookings::cancel(app, Some(host), &booking.uid, reason.clone(), now).await?;
            format!("cancelled booking {}", booking.uid)
        }
        Wanted::At { start_ms } => {
            let start = DateTime::from_timestamp_millis(*start_ms)
                .ok_or_else(|| AppError::invalid("start", "out of range"))?;
            let input = RescheduleInput {
                start: Some(start.to_rfc3339()),
                rescheduling_reason: Some("moved at the provider".into()),
                rescheduled_by: None,
            };
            let moved =
                bookings::reschedule_checking(app, Some(host), &booking.uid, input, false, now)
                    .await?;
            links::link(
                &app.db,
                booking.org_id,
                installation,
                external_id,
                moved.booking.id,
                None,
                now,
            )
            .await?;
            format!("moved booking {} to {}", booking.uid, moved.booking.uid)
        }
        Wanted::Titled { title } => {
            store::bookings::set_title(&app.db, booking.id, title, now).await?;
            format!("retitled booking {}", booking.uid)
        }
    })
}

/// Tells the booking's team owners and admins (its host, for a personal booking) that a
/// change from their calendar could not be applied.
async fn notify_failed(
    db: &impl ConnectionTrait,
    app: &App,
    change: &PendingChange,
    error: &AppError,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some((booking, _)) = linked_booking(
        app,
        change.org_id,
        change.installation_id,
        &change.external_id,
    )
    .await?
    else {
        return Ok(());
    };
    let recipients: Vec<UserId> = match team_of(db, &booking).await? {
        Some(team) => store::teams::managers(db, team.id).await?,
        None => vec![booking.host],
    };
    for user_id in recipients {
        notifications::insert(
            db,
            &Notification {
                id: 0,
                org_id: booking.org_id,
                user_id,
                kind: INBOUND_SYNC_FAILED.into(),
                subject: format!("booking:{}", booking.uid),
                message: format!(
                    "A change made in the calendar ({}) could not be applied to booking {} after {} attempts: {error}. The booking is unchanged.",
                    describe(&change.wanted),
                    booking.uid,
                    sync_rules::MAX_ATTEMPTS
                ),
                created_at: now,
                read_at: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// The provider object a change is about, what it asks, and the provider's time of it;
/// `None` for changes that do not concern a booking's time, state or title.
fn normalized(change: &wit::Change) -> Option<(&str, Wanted, Option<DateTime<Utc>>)> {
    Some(match change {
        wit::Change::BookingMoved(m) => (
            m.external_id.as_str(),
            Wanted::At {
                start_ms: m.start_ms,
            },
            None,
        ),
        wit::Change::BookingCancelled(c) => (
            c.external_id.as_str(),
            Wanted::Cancelled {
                reason: c.reason.clone(),
            },
            None,
        ),
        wit::Change::BookingTitleChanged(t) => (
            t.external_id.as_str(),
            Wanted::Titled {
                title: t.title.clone(),
            },
            None,
        ),
        wit::Change::BookingUpserted(b) => (
            b.external_id.as_str(),
            if b.status == wit::BookingStatus::Cancelled {
                Wanted::Cancelled { reason: None }
            } else {
                Wanted::At {
                    start_ms: b.start_ms,
                }
            },
            b.updated_ms.and_then(DateTime::from_timestamp_millis),
        ),
        _ => return None,
    })
}

/// The live booking a provider object stands for (a booking rescheduled since is
/// followed to the one that replaced it), and what the sync rules remember of the link.
async fn linked_booking(
    app: &App,
    org: OrgId,
    installation: i64,
    external_id: &str,
) -> Result<Option<(Booking, LinkState)>> {
    let Some((id, link)) = links::linked(&app.db, installation, external_id).await? else {
        return Ok(None);
    };
    let mut booking = store::bookings::by_ids(&app.db, org, &[id]).await?.pop();
    while let Some(next) = booking.as_ref().and_then(|b| b.rescheduled_to_uid.clone()) {
        booking = store::bookings::find_by_uid(&app.db, Some(org), &next).await?;
    }
    Ok(booking.map(|b| (b, link)))
}

fn describe(wanted: &Wanted) -> &'static str {
    match wanted {
        Wanted::Cancelled { .. } => "booking cancelled",
        Wanted::At { .. } => "booking moved",
        Wanted::Titled { .. } => "title changed",
    }
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
        wit::Change::MessageStatus(_) => "message status",
        wit::Change::MessageReceived(_) => "message received",
    }
}
