//! Notices from Convene to a user: things the owner must learn about without watching
//! logs, such as a webhook switched off after failing again and again, or a booking
//! waiting for their confirmation. They are written in the same transaction as the
//! change they report, so none is lost or invented, and each is also mailed once
//! (by a job, so a mail server that is down delays the email, never the change).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction};

use super::auth::Caller;
use super::page::{Page, PageRequest};
use super::{App, AppError, Result};
use crate::domain::booking::Booking;
use crate::domain::user::User;
use crate::domain::workflow::template::time_values;
use crate::mail::Email;
use crate::store::notifications::{self, Notification};
use crate::store::outbox::OutboxEvent;
use crate::store::webhooks::Subscription;
use crate::store::{self, StoreError};

/// The kind of notice raised when a subscription is switched off.
pub const WEBHOOK_DISABLED: &str = "WEBHOOK_DISABLED";

/// Tells `subscription`'s owner it was switched off, and why, inside the caller's
/// transaction `db`.
pub(crate) async fn webhook_disabled(
    db: &impl ConnectionTrait,
    subscription: &Subscription,
    failures: u32,
    now: DateTime<Utc>,
) -> Result<Notification> {
    let notice = Notification::new(
        subscription.org_id,
        subscription.user_id,
        WEBHOOK_DISABLED,
        format!("webhook:{}", subscription.id),
        format!(
            "Your webhook to {} was switched off after {failures} failed deliveries in a row. \
             Fix the receiver, then set it active again; dead deliveries can be replayed.",
            subscription.subscriber_url
        ),
        now,
    );
    Ok(notifications::insert(db, &notice).await?)
}

/// A page of the caller's notices, newest first.
pub async fn list(app: &App, caller: Caller, page: PageRequest) -> Result<Page<Notification>> {
    let keyset = page.keyset()?;
    let rows = notifications::list_for_user(&app.db, caller.org_id, caller.user_id, keyset).await?;
    Ok(Page::from_rows(rows, &keyset, |n| n.id))
}

/// Marks the caller's notice `id` read.
pub async fn mark_read(app: &App, caller: Caller, id: i64) -> Result<Notification> {
    notifications::mark_read(&app.db, caller.org_id, caller.user_id, id, Utc::now())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("notification `{id}` does not exist")))
}

/// How many of the caller's notices are unread (the badge on the bell).
pub async fn unread_count(app: &App, caller: Caller) -> Result<u64> {
    Ok(notifications::unread_count(&app.db, caller.org_id, caller.user_id).await?)
}

/// The kind of notice raised when a booking waits for its host's confirmation.
pub const BOOKING_NEEDS_CONFIRMATION: &str = "BOOKING_NEEDS_CONFIRMATION";
/// The kind of notice raised when a pending booking is about to be declined unconfirmed.
pub const BOOKING_EXPIRING: &str = "BOOKING_EXPIRING";

/// Tells the hosts of every booking requested among `events` that it waits for them,
/// inside the dispatcher's transaction (so each request is told once).
pub(crate) async fn plan(
    txn: &DatabaseTransaction,
    events: &[OutboxEvent],
    now: DateTime<Utc>,
) -> Result<()> {
    for event in events.iter().filter(|e| e.kind == "BOOKING_REQUESTED") {
        let Some(uid) = event.payload["uid"].as_str() else {
            continue;
        };
        let Some(booking) = store::bookings::find_by_uid(txn, Some(event.org_id), uid).await?
        else {
            continue;
        };
        for host in hosts(txn, &booking).await? {
            let when = when(&booking, &host);
            let who = booking
                .attendees
                .first()
                .map_or("Someone", |a| a.name.as_str());
            let message = format!(
                "{who} asked to book \"{}\" on {when}. Confirm or decline it: until you do, the \
                 time is held, and a booking still unconfirmed at its start is declined.",
                booking.title
            );
            tell(
                txn,
                &host,
                BOOKING_NEEDS_CONFIRMATION,
                &booking,
                message,
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// Warns the hosts of pending booking `booking` that it is declined at its start unless
/// they confirm it, inside `txn`.
pub(crate) async fn expiring(
    txn: &DatabaseTransaction,
    booking: &Booking,
    now: DateTime<Utc>,
) -> Result<()> {
    for host in hosts(txn, booking).await? {
        let message = format!(
            "\"{}\" on {} is still waiting for your confirmation and will be declined at its \
             start. Confirm it now to keep it.",
            booking.title,
            when(booking, &host)
        );
        tell(txn, &host, BOOKING_EXPIRING, booking, message, now).await?;
    }
    Ok(())
}

async fn tell(
    txn: &DatabaseTransaction,
    host: &User,
    kind: &str,
    booking: &Booking,
    message: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let notice = Notification::new(
        booking.org_id,
        host.id,
        kind,
        format!("booking:{}", booking.uid),
        message,
        now,
    );
    notifications::insert(txn, &notice).await?;
    Ok(())
}

/// The hosts of `booking`, the main host first: who is told about it.
pub(super) async fn hosts(db: &impl ConnectionTrait, booking: &Booking) -> Result<Vec<User>> {
    let ids = store::booking_hosts::of_bookings(db, &[booking])
        .await?
        .remove(&booking.id)
        .unwrap_or_else(|| vec![booking.host]);
    let mut hosts = Vec::with_capacity(ids.len());
    for id in ids {
        hosts.extend(store::users::find(db, booking.org_id, id).await?);
    }
    Ok(hosts)
}

/// A booking's start on `host`'s clock: "Tuesday, December 8, 2026 at 10:00 AM
/// (Europe/Berlin)".
fn when(booking: &Booking, host: &User) -> String {
    let [date, time, _, zone] =
        time_values(booking.span.start, booking.span.end, host.time_zone, "en");
    format!("{} at {} ({})", date.1, time.1, zone.1)
}

/// Leases up to `limit` notices not yet mailed, for `lease`.
pub async fn lease_unmailed(app: &App, lease: Duration, limit: u64) -> Result<Vec<i64>> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
    let txn = store::db::begin_write(&app.db).await?;
    let due = notifications::lease_unmailed(&txn, now, until, limit).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(due)
}

/// Mails notice `id` to its user, once: the message is keyed by the notice, so a
/// retry after a crash rewrites the same message rather than sending another.
pub async fn mail(app: &App, id: i64) -> Result<()> {
    let Some(notice) = notifications::unmailed(&app.db, id).await? else {
        return Ok(());
    };
    let user = store::users::find(&app.db, notice.org_id, notice.user_id).await?;
    if let Some(user) = user {
        let email = Email {
            key: format!("notice-{}", notice.id),
            to_name: Some(user.name.clone()),
            to: user.email.clone(),
            subject: title(&notice.kind).to_string(),
            text: format!(
                "{}\n\nYou get this because you use Convene; the notice is also in your \
                 notifications.",
                notice.message
            ),
        };
        if let Err(e) = app.mailer.send(&email).await {
            if e.is_transient() {
                // The lease runs out and another attempt is made.
                return Err(AppError::Unavailable(e.to_string()));
            }
            tracing::warn!(notification.id = id, error = %e, "a notice could not be mailed; kept in the app only");
        }
    }
    notifications::mark_emailed(&app.db, id, Utc::now()).await?;
    Ok(())
}

/// The subject line of a notice's email.
fn title(kind: &str) -> &'static str {
    match kind {
        WEBHOOK_DISABLED => "A webhook was switched off",
        BOOKING_NEEDS_CONFIRMATION => "A booking waits for your confirmation",
        BOOKING_EXPIRING => "An unconfirmed booking is about to be declined",
        super::connections::CONNECTION_BROKEN => "A connection stopped working",
        super::workflows::WORKFLOW_SEND_FAILED => "A workflow message could not be sent",
        super::plugin_access::PLUGIN_DISABLED => "A plugin was switched off",
        _ => "Something in Convene needs your attention",
    }
}
