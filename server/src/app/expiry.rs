//! Pending bookings nobody confirmed before they began: they are rejected, which frees
//! their slot and tells the invitee (`BOOKING_REJECTED`), rather than holding the host's
//! time forever. An hour before, their hosts are warned once. The expiry jobs
//! (`jobs/expiry.rs`) call in here.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{App, Result};
use crate::domain::booking::BookingStatus;
use crate::domain::ids::BookingId;
use crate::store;

/// How long before its start the hosts of a pending booking are warned it expires.
pub const WARN_BEFORE: chrono::Duration = chrono::Duration::hours(1);

/// Leases up to `limit` pending bookings starting within [`WARN_BEFORE`] whose hosts
/// were not warned yet, for `lease`, by the app's clock.
pub async fn lease_expiring(app: &App, lease: Duration, limit: u64) -> Result<Vec<i64>> {
    let now = app.clock.now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
    let txn = store::db::begin_write(&app.db).await?;
    let due = store::bookings::lease_expiring(&txn, now, now + WARN_BEFORE, until, limit).await?;
    txn.commit().await.map_err(store::StoreError::from)?;
    Ok(due)
}

/// Warns the hosts of booking `id` that it expires unconfirmed, if it is still pending
/// and they were not warned yet; whether they were warned now.
pub async fn warn(app: &App, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let txn = store::db::begin_write(&app.db).await?;
    let Some(booking) = store::bookings::find_by_id(&txn, BookingId(id)).await? else {
        return Ok(false);
    };
    let warned = booking.status == BookingStatus::Pending
        && store::bookings::mark_expiry_warned(&txn, booking.id, now).await?;
    if warned {
        super::notifications::expiring(&txn, &booking, now).await?;
    }
    txn.commit().await.map_err(store::StoreError::from)?;
    Ok(warned)
}

/// Why an expired booking was rejected, as its `cancellationReason` says.
pub const EXPIRED_REASON: &str = "not confirmed by the host before its start";

/// Leases up to `limit` pending bookings that have started, for `lease`.
pub async fn lease_due(app: &App, lease: Duration, limit: u64) -> Result<Vec<i64>> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
    let txn = store::db::begin_write(&app.db).await?;
    let due = store::bookings::lease_unconfirmed(&txn, now, until, limit).await?;
    txn.commit().await.map_err(store::StoreError::from)?;
    Ok(due)
}

/// Rejects booking `id` if it is still pending at `now` and has started; `false` when
/// there was nothing to do (confirmed or declined meanwhile, or moved later).
pub async fn expire(app: &App, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let Some(booking) = store::bookings::find_by_id(&app.db, BookingId(id)).await? else {
        return Ok(false);
    };
    if booking.status != BookingStatus::Pending || booking.span.start > now {
        return Ok(false);
    }
    let uid = booking.uid.clone();
    match super::bookings::transition(
        app,
        booking,
        BookingStatus::Rejected,
        Some(EXPIRED_REASON.to_string()),
        "BOOKING_REJECTED",
        now,
    )
    .await
    {
        Ok(_) => {
            tracing::info!(booking.uid = %uid, "unconfirmed booking expired");
            Ok(true)
        }
        // The host confirmed or declined it in the same moment: theirs is the last word.
        Err(super::AppError::Conflict(_)) => Ok(false),
        Err(other) => Err(other),
    }
}
