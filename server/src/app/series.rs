//! Recurring series: one request books every occurrence, all or nothing.
//!
//! Each occurrence is checked as a booking of its own (availability, notice, window,
//! limits, other bookings) inside one write transaction; if any cannot be booked the
//! whole request fails naming every such date, and nothing is kept.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::DatabaseTransaction;

use super::availability::Bookable;
use super::{AppError, Result};
use crate::domain::booking::Booking;
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
            let placed =
                super::bookings::place(txn, b, self.length_min, start, self.booker_tz, None, now)
                    .await;
            match placed {
                Ok((span, busy)) if refused.is_empty() => made.push(
                    store::bookings::insert(txn, &make(span, busy))
                        .await
                        .map_err(super::bookings::store_error)?,
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
