//! Recurring series: one request books every occurrence, all or nothing, and an
//! occurrence is cancelled alone or with the rest of its series.
//!
//! Each occurrence is checked as a booking of its own (availability, notice, window,
//! limits, other bookings) inside one write transaction; if any cannot be booked the
//! whole request fails naming every such date, and nothing is kept.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::auth::Caller;
use super::availability::Bookable;
use super::bookings::{self, BookingView};
use super::calendars::CalendarBusy;
use super::{App, AppError, Result};
use crate::domain::booking::{Booking, BookingStatus, CancelledBy};
use crate::domain::recurrence::Recurrence;
use crate::domain::span::Span;
use crate::domain::validate::FieldIssue;
use crate::store;

/// The occurrences one request asks for.
pub(super) struct Occurrences {
    /// The event type's rule.
    pub rule: Recurrence,
    /// How many.
    pub count: u32,
    /// The first start, as the invitee picked it.
    pub first: DateTime<Utc>,
    /// Each meeting's length.
    pub length_min: u32,
    /// The invitee's zone (their slot grid, and the dates an error names).
    pub booker_tz: Tz,
    /// The host's calendar busy times over the whole series.
    pub calendar: CalendarBusy,
}

impl Occurrences {
    /// Books every occurrence with `make`, at the first's local time in the host's
    /// zone; fails with a 422 on `start` naming each date that cannot be booked.
    pub async fn book(
        &self,
        txn: &DatabaseTransaction,
        b: &Bookable,
        make: impl Fn(Span, Span) -> Booking,
        now: DateTime<Utc>,
    ) -> Result<Vec<Booking>> {
        let starts = self.rule.occurrences(self.first, b.schedule.tz, self.count);
        let mut refused: Vec<String> = Vec::new();
        let mut made = Vec::with_capacity(starts.len());
        for start in starts {
            let placed = bookings::place(
                txn,
                b,
                &self.calendar,
                self.length_min,
                start,
                self.booker_tz,
                None,
                now,
            )
            .await;
            match placed {
                Ok((span, busy)) if refused.is_empty() => made.push(
                    store::bookings::insert(txn, &make(span, busy))
                        .await
                        .map_err(bookings::store_error)?,
                ),
                Ok(_) => {}
                Err(AppError::Conflict(_) | AppError::Validation(_)) => refused.push(
                    start
                        .with_timezone(&self.booker_tz)
                        .date_naive()
                        .to_string(),
                ),
                Err(other) => return Err(other),
            }
        }
        if refused.is_empty() {
            return Ok(made);
        }
        Err(AppError::Validation(vec![FieldIssue::new(
            "start",
            format!(
                "{} of {} occurrences cannot be booked, nothing was booked: {}",
                refused.len(),
                self.count,
                refused.join(", ")
            ),
        )]))
    }
}

/// Cancels occurrence `uid` of a recurring series and every later live one ("this
/// and the rest"), in one transaction; each fires `BOOKING_CANCELLED`. Answers the
/// cancelled occurrences by start.
pub async fn cancel_from(
    app: &App,
    caller: Option<Caller>,
    uid: &str,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Vec<BookingView>> {
    let booking = bookings::find(app, caller, uid).await?;
    bookings::ensure_live(&booking, "cancelled")?;
    let Some(series) = booking.recurring_booking_uid.as_deref() else {
        return Err(AppError::invalid(
            "cancelSubsequentBookings",
            format!("booking `{uid}` is not an occurrence of a recurring series"),
        ));
    };
    let by = match caller {
        Some(c) if c.user_id == booking.host => CancelledBy::Host,
        _ => CancelledBy::Attendee,
    };
    let rest =
        store::bookings::series_from(&app.db, booking.org_id, series, booking.span.start).await?;
    let rest = bookings::views(app, rest).await?;
    let txn = app.db.begin().await.map_err(store::StoreError::from)?;
    let mut cancelled = Vec::with_capacity(rest.len());
    for mut view in rest {
        let was = view.booking.status;
        view.booking.status = BookingStatus::Cancelled;
        view.booking.cancellation_reason = reason.clone();
        view.booking.cancelled_by = Some(by);
        view.booking.updated_at = now;
        if !store::bookings::update_lifecycle(&txn, &view.booking, was)
            .await
            .map_err(bookings::store_error)?
        {
            return Err(bookings::changed_meanwhile(&view.booking.uid));
        }
        bookings::record(&txn, "BOOKING_CANCELLED", &view, now).await?;
        cancelled.push(view);
    }
    txn.commit().await.map_err(store::StoreError::from)?;
    tracing::info!(booking.series = %series, occurrences = cancelled.len(), "series cancelled from an occurrence");
    Ok(cancelled)
}
