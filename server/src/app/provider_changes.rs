//! Normalized changes from providers (through a webhook or a pull) applied to the
//! bookings they concern, under the sync rules (`domain::sync_rules`): only bookings
//! Convene links to the provider's object are touched, never once they are over, never
//! from a stale change, at most twice a minute. Applying is idempotent, so the same
//! change read twice (a repeated delivery, a page pulled again after a crash) changes
//! nothing more.

use chrono::{DateTime, Utc};

use super::auth::Caller;
use super::bookings::{self, RescheduleInput};
use super::{App, AppError, Result};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::ids::OrgId;
use crate::domain::sync_rules::{self, LinkState};
use crate::plugins::wit;
use crate::store;
use crate::store::inbound as links;

/// Applies one change; what it did, in words. Applying is idempotent: a change
/// already in place does nothing, so a retry after a crash never applies it twice.
pub async fn apply(
    app: &App,
    org: OrgId,
    installation: i64,
    change: &wit::Change,
    now: DateTime<Utc>,
) -> Result<String> {
    let (external_id, wanted, changed_at) = match change {
        wit::Change::BookingMoved(m) => (&m.external_id, Wanted::At(m.start_ms), None),
        wit::Change::BookingCancelled(c) => (&c.external_id, Wanted::Cancelled, None),
        wit::Change::BookingUpserted(b) => (
            &b.external_id,
            if b.status == wit::BookingStatus::Cancelled {
                Wanted::Cancelled
            } else {
                Wanted::At(b.start_ms)
            },
            b.updated_ms.and_then(DateTime::from_timestamp_millis),
        ),
        other => return Ok(format!("{} not applied yet", kind(other))),
    };
    let Some((booking, link)) = linked_booking(app, org, installation, external_id).await? else {
        return Ok(format!(
            "{} for `{external_id}`, which is no Convene booking: skipped",
            kind(change)
        ));
    };
    let already = match wanted {
        Wanted::Cancelled => booking.status == BookingStatus::Cancelled,
        Wanted::At(start_ms) => booking.span.start.timestamp_millis() == start_ms,
    };
    if already {
        return Ok(format!("booking {} already so", booking.uid));
    }
    let verdict = sync_rules::judge(&link, booking.span.end, changed_at, now);
    if let Some(why) = verdict.reason() {
        return Ok(format!(
            "{} for booking {}: skipped, {why}",
            kind(change),
            booking.uid
        ));
    }
    let host = Caller {
        org_id: booking.org_id,
        user_id: booking.host,
    };
    let done = match wanted {
        Wanted::Cancelled => {
            let reason = match change {
                wit::Change::BookingCancelled(c) => c.reason.clone(),
                _ => None,
            };
            bookings::cancel(app, Some(host), &booking.uid, reason, now).await?;
            format!("cancelled booking {}", booking.uid)
        }
        Wanted::At(start_ms) => {
            let start = DateTime::from_timestamp_millis(start_ms)
                .ok_or_else(|| AppError::invalid("start", "out of range"))?;
            let input = RescheduleInput {
                start: Some(start.to_rfc3339()),
                rescheduling_reason: Some("moved at the provider".into()),
                rescheduled_by: None,
            };
            let moved = bookings::reschedule(app, Some(host), &booking.uid, input, now).await?;
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
    };
    let remembered = sync_rules::applied(&link, changed_at, now);
    links::record_applied(&app.db, installation, external_id, &remembered, now).await?;
    Ok(done)
}

/// What a change asks of the booking.
#[derive(Debug, Clone, Copy)]
enum Wanted {
    Cancelled,
    /// Live, starting at this UTC millisecond.
    At(i64),
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
