//! Seated event types: invitees of one slot share one booking, each holding a seat.
//!
//! Taking a seat runs inside the booking's write transaction under the host's lock:
//! the first invitee of a slot makes the booking, later ones join it. The seat count
//! is raised by a conditional update, so racing invitees can never overfill a slot.
//! Cancelling one seat frees it; the last seat to go cancels the booking.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::DatabaseTransaction;

use super::availability::Bookable;
use super::bookings::{self, BookingView};
use super::calendars::CalendarBusy;
use super::{App, AppError, Result};
use crate::domain::booking::{Attendee, Booking, BookingStatus, CancelledBy};
use crate::domain::seats::Seats;
use crate::domain::span::Span;
use crate::store;

/// Seats `attendee` (who carries a fresh seat uid) at `start`: joins the live seated
/// booking there if it has a free seat, or makes a new one with `make` after the slot
/// checks `place` runs; answers the booking as it is now, every seat included. A full
/// slot is a conflict.
#[expect(
    clippy::too_many_arguments,
    reason = "the booking's inputs, all needed"
)]
pub(super) async fn take(
    txn: &DatabaseTransaction,
    b: &Bookable,
    calendar: &CalendarBusy,
    seats: Seats,
    length_min: u32,
    start: DateTime<Utc>,
    booker_tz: Tz,
    attendee: &Attendee,
    make: impl FnOnce(Span, Span) -> Booking,
    now: DateTime<Utc>,
) -> Result<Booking> {
    store::db::lock_host(txn, b.host.id).await?;
    let open = store::bookings::seated_at(txn, b.event_type.id, b.host.id, start).await?;
    let Some(open) = open else {
        let (span, busy) =
            bookings::place(txn, b, calendar, length_min, start, booker_tz, None, now).await?;
        return store::bookings::insert(txn, &make(span, busy))
            .await
            .map_err(bookings::store_error);
    };
    if open.span.minutes() != i64::from(length_min) {
        return Err(AppError::invalid(
            "lengthInMinutes",
            format!(
                "this slot is booked for {} minutes; seats join it at that length",
                open.span.minutes()
            ),
        ));
    }
    bookings::place(
        txn,
        b,
        calendar,
        length_min,
        start,
        booker_tz,
        Some(open.id),
        now,
    )
    .await?;
    if !store::bookings::take_seat(txn, open.id, seats.per_time_slot, attendee, now).await? {
        return Err(AppError::Conflict(format!(
            "every one of the {} seats at this time is taken",
            seats.per_time_slot
        )));
    }
    let mut booking = open;
    booking.attendees.push(attendee.clone());
    booking.updated_at = now;
    Ok(booking)
}

/// Gives back one seat: its attendee leaves the booking, the seat is free again, and
/// the booking itself is cancelled when its last seat goes. Fires `BOOKING_CANCELLED`
/// with only that attendee.
pub(super) async fn cancel(
    app: &App,
    booking: Booking,
    seat: &str,
    reason: Option<String>,
    by: CancelledBy,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    let uid = booking.uid.clone();
    let Some(attendee) = booking
        .attendees
        .iter()
        .find(|a| a.seat_uid.as_deref() == Some(seat))
        .cloned()
    else {
        return Err(AppError::invalid(
            "seatUid",
            format!("booking `{uid}` has no seat `{seat}`"),
        ));
    };
    let txn = store::db::begin_write(&app.db).await?;
    let Some(left) = store::bookings::free_seat(&txn, booking.id, seat, now).await? else {
        return Err(bookings::changed_meanwhile(&uid));
    };
    let mut rest = booking.clone();
    rest.attendees
        .retain(|a| a.seat_uid.as_deref() != Some(seat));
    rest.updated_at = now;
    if left == 0 {
        rest.status = BookingStatus::Cancelled;
        rest.cancellation_reason = reason.clone();
        rest.cancelled_by = Some(by);
        if !store::bookings::update_lifecycle(&txn, &rest, booking.status)
            .await
            .map_err(bookings::store_error)?
        {
            return Err(bookings::changed_meanwhile(&uid));
        }
    }
    super::customers::link_booking(&txn, &rest, now).await?;
    let own = Booking {
        attendees: vec![attendee],
        status: BookingStatus::Cancelled,
        cancellation_reason: reason,
        cancelled_by: Some(by),
        updated_at: now,
        ..booking
    };
    let mut view = bookings::view_in(&txn, own).await?;
    view.seat_uid = Some(seat.to_string());
    bookings::record(&txn, "BOOKING_CANCELLED", &view, now).await?;
    txn.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(booking.uid = %uid, seats.left = left, "seat cancelled");
    Ok(view)
}
