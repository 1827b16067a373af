//! Reports for team admins and CS leaders, as pure arithmetic over counts the store
//! aggregates in SQL: booking outcomes and their rates ([`BookingTally`]), the busiest
//! hours of the week ([`heat_map`]), booking-page conversion ([`Conversion`]) and a
//! round-robin type's distribution ([`fairness`]).
//!
//! Every count of a period is of the bookings whose meeting *starts* in it, so the
//! numbers of one period add up: each booking is created, then ends completed,
//! cancelled, rescheduled (replaced by a new booking, counted on its own), a no-show,
//! rejected, or is still to come.

pub mod fairness;
pub mod heat_map;

use std::ops::AddAssign;

/// What happened to the bookings of one group (an event type, a member, a team…) in a
/// period. Sums of whole bookings, so tallies of disjoint groups add up to theirs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookingTally {
    /// Bookings made, whatever became of them.
    pub created: u64,
    /// Accepted meetings that have ended with nobody marked absent.
    pub completed: u64,
    /// Cancelled, not by a reschedule.
    pub cancelled: u64,
    /// Moved to another time (the replacement is a booking of its own).
    pub rescheduled: u64,
    /// Accepted meetings with an attendee marked absent.
    pub no_shows: u64,
    /// The sum over every booking of how long before its start it was made, in
    /// milliseconds (negative never happens: a booking is made before it starts).
    pub lead_time_ms: i64,
}

impl AddAssign for BookingTally {
    fn add_assign(&mut self, other: BookingTally) {
        self.created += other.created;
        self.completed += other.completed;
        self.cancelled += other.cancelled;
        self.rescheduled += other.rescheduled;
        self.no_shows += other.no_shows;
        self.lead_time_ms += other.lead_time_ms;
    }
}

/// A tally with its rates, as a report shows it. A rate is a part of `created`, 0–1;
/// every rate and the average are `None` when nothing was booked, rather than a
/// misleading 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookingStats {
    /// The counts.
    pub tally: BookingTally,
    /// `completed / created`.
    pub completed_rate: Option<f64>,
    /// `cancelled / created`.
    pub cancelled_rate: Option<f64>,
    /// `rescheduled / created`.
    pub rescheduled_rate: Option<f64>,
    /// `no_shows / created`.
    pub no_show_rate: Option<f64>,
    /// How long before its start a booking was made, on average, in minutes.
    pub average_lead_time_minutes: Option<f64>,
}

impl From<BookingTally> for BookingStats {
    fn from(tally: BookingTally) -> BookingStats {
        let of_created = |part: u64| rate(part, tally.created);
        BookingStats {
            tally,
            completed_rate: of_created(tally.completed),
            cancelled_rate: of_created(tally.cancelled),
            rescheduled_rate: of_created(tally.rescheduled),
            no_show_rate: of_created(tally.no_shows),
            average_lead_time_minutes: (tally.created > 0)
                .then(|| tally.lead_time_ms as f64 / tally.created as f64 / 60_000.0),
        }
    }
}

/// How a booking page turned views into bookings over a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conversion {
    /// Times the page was shown.
    pub views: u64,
    /// Bookings made in the period (reschedules not counted again).
    pub bookings: u64,
    /// Of those, the meetings that took place.
    pub completed: u64,
    /// `bookings / views`; `None` without views.
    pub booking_rate: Option<f64>,
    /// `completed / views`; `None` without views.
    pub completion_rate: Option<f64>,
}

impl Conversion {
    /// The conversion of `views` into `bookings` of which `completed` took place.
    pub fn new(views: u64, bookings: u64, completed: u64) -> Conversion {
        Conversion {
            views,
            bookings,
            completed,
            booking_rate: rate(bookings, views),
            completion_rate: rate(completed, views),
        }
    }
}

/// `part / whole`, `None` when `whole` is 0.
fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(created: u64, completed: u64, cancelled: u64, rescheduled: u64) -> BookingTally {
        BookingTally {
            created,
            completed,
            cancelled,
            rescheduled,
            no_shows: 0,
            lead_time_ms: 0,
        }
    }

    #[test]
    fn rates_are_parts_of_what_was_created() {
        let mut t = tally(8, 4, 2, 1);
        t.no_shows = 1;
        t.lead_time_ms = 8 * 2 * 86_400_000;
        let s = BookingStats::from(t);
        assert_eq!(s.completed_rate, Some(0.5));
        assert_eq!(s.cancelled_rate, Some(0.25));
        assert_eq!(s.rescheduled_rate, Some(0.125));
        assert_eq!(s.no_show_rate, Some(0.125));
        assert_eq!(s.average_lead_time_minutes, Some(2.0 * 24.0 * 60.0));
    }

    #[test]
    fn nothing_booked_has_no_rates_rather_than_zero() {
        let s = BookingStats::from(BookingTally::default());
        assert_eq!(s.completed_rate, None);
        assert_eq!(s.no_show_rate, None);
        assert_eq!(s.average_lead_time_minutes, None);
    }

    #[test]
    fn tallies_of_groups_add_up() {
        let mut total = tally(3, 1, 1, 0);
        total += tally(2, 0, 1, 1);
        assert_eq!(total, tally(5, 1, 2, 1));
    }

    #[test]
    fn conversion_rates_are_per_view() {
        let cases = [
            (200, 10, 8, Some(0.05), Some(0.04)),
            (0, 0, 0, None, None),
            (0, 2, 1, None, None),
            (5, 0, 0, Some(0.0), Some(0.0)),
        ];
        for (views, bookings, completed, booking_rate, completion_rate) in cases {
            let c = Conversion::new(views, bookings, completed);
            assert_eq!(
                (c.booking_rate, c.completion_rate),
                (booking_rate, completion_rate),
                "{views} views, {bookings} bookings"
            );
        }
    }
}
