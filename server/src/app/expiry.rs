//! Pending bookings nobody confirmed before they began: they are rejected, which frees
//! their slot and tells the invitee (`BOOKING_REJECTED`), rather than holding the host's
//! time forever. The expiry job (`jobs/expiry.rs`) calls in here.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{App, Result};
use crate::domain::booking::BookingStatus;
use crate::domain::ids::BookingId;
use crate::store;

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
