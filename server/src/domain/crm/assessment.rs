//! A customer's health as a CSM reads it: today's engagement and score, and the
//! score the same customer had 30 days ago, for the trend arrow.
//!
//! The score of 30 days ago is recomputed from what was known then (the bookings
//! made by that day, each judged as of that day) rather than read from a stored
//! history, so it exists from the first day a customer is scored, and a change of
//! weights moves both scores alike instead of showing as a trend.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::engagement::{
    DEFAULT_WINDOW_DAYS, Engagement, MeetingFact, MeetingOutcome, engagement_over,
};
use super::health::{Health, Tier, Trend, Weights, health, trend};
use crate::domain::booking::{BookingStatus, CancelledBy};
use crate::domain::customer::MeetingCategory;
use crate::domain::ids::{BookingId, StakeholderId};

/// How far back the trend looks.
pub const TREND_DAYS: i64 = 30;

/// A booking linked to a customer, as stored: what a [`MeetingFact`] is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedBooking {
    /// The booking.
    pub booking_id: BookingId,
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it was booked: before that, nobody knew of it.
    pub booked_at: DateTime<Utc>,
    /// Its status now.
    pub status: BookingStatus,
    /// Who cancelled it, when cancelled.
    pub cancelled_by: Option<CancelledBy>,
    /// Whether it replaced an earlier booking (a reschedule).
    pub rescheduled: bool,
    /// Whether a reschedule replaced it: the replacement is the meeting.
    pub replaced: bool,
    /// Its event type's kind of meeting.
    pub category: Option<MeetingCategory>,
    /// The customer's stakeholders among its attendees.
    pub stakeholder_ids: Vec<StakeholderId>,
    /// Whether one of the customer's attendees was marked absent.
    pub no_show: bool,
}

impl LinkedBooking {
    /// What this booking is as a meeting at `now`; `None` when it is none: not yet
    /// booked then, replaced by a reschedule, or never confirmed before it started.
    pub fn fact_at(&self, now: DateTime<Utc>) -> Option<MeetingFact> {
        if self.booked_at > now {
            return None;
        }
        let outcome = match self.status {
            BookingStatus::Cancelled if self.replaced => return None,
            BookingStatus::Cancelled => match self.cancelled_by {
                Some(CancelledBy::Host) => MeetingOutcome::CancelledByHost,
                Some(CancelledBy::Attendee) | None => MeetingOutcome::CancelledByCustomer,
            },
            BookingStatus::Rejected => MeetingOutcome::CancelledByHost,
            BookingStatus::Accepted | BookingStatus::Pending if self.start >= now => {
                MeetingOutcome::Scheduled
            }
            BookingStatus::Pending => return None,
            BookingStatus::Accepted if self.no_show => MeetingOutcome::NoShow,
            BookingStatus::Accepted => MeetingOutcome::Held,
        };
        Some(MeetingFact {
            booking_id: self.booking_id,
            start: self.start,
            outcome,
            rescheduled: self.rescheduled,
            category: self.category.map(|c| c.as_str().to_owned()),
            stakeholder_ids: self.stakeholder_ids.clone(),
        })
    }
}

/// A customer's engagement and health at one moment, with the score 30 days before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Meeting metrics now.
    pub engagement: Engagement,
    /// The score, its band and the components it came from.
    pub health: Health,
    /// The score 30 days ago; `None` for a customer younger than that.
    pub previous_score: Option<u8>,
    /// The direction since then.
    pub trend: Option<Trend>,
}

/// What a CSM needs to know about a customer to assess it.
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    /// Its bookings.
    pub bookings: &'a [LinkedBooking],
    /// How many stakeholders it has on file.
    pub stakeholders: usize,
    /// Its segment, which sets the expected cadence.
    pub tier: Tier,
    /// When it became a customer of ours.
    pub since: DateTime<Utc>,
}

/// The meeting metrics of `bookings` at `now` over the last `window_days`, for a
/// customer with `stakeholders` people on file (or a CSM's whole book of them).
pub fn engagement_at(
    bookings: &[LinkedBooking],
    stakeholders: usize,
    now: DateTime<Utc>,
    window_days: u32,
) -> Engagement {
    let facts: Vec<MeetingFact> = bookings.iter().filter_map(|b| b.fact_at(now)).collect();
    engagement_over(&facts, stakeholders, now, window_days)
}

/// Assesses `account` at `now` with `weights`.
pub fn assess(account: Account<'_>, weights: &Weights, now: DateTime<Utc>) -> Assessment {
    let at = |moment: DateTime<Utc>| {
        let engagement = engagement_at(
            account.bookings,
            account.stakeholders,
            moment,
            DEFAULT_WINDOW_DAYS,
        );
        let health = health(&engagement, account.tier, weights, moment);
        (engagement, health)
    };
    let (engagement, health) = at(now);
    let then = now - TimeDelta::days(TREND_DAYS);
    let previous_score = (account.since <= then).then(|| at(then).1.score);
    Assessment {
        trend: trend(health.score, previous_score),
        engagement,
        health,
        previous_score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn days(n: i64) -> DateTime<Utc> {
        now() + TimeDelta::days(n)
    }

    fn booking(id: i64, start: i64, status: BookingStatus) -> LinkedBooking {
        LinkedBooking {
            booking_id: BookingId(id),
            start: days(start),
            booked_at: days(start - 7),
            status,
            cancelled_by: None,
            rescheduled: false,
            replaced: false,
            category: None,
            stakeholder_ids: Vec::new(),
            no_show: false,
        }
    }

    #[test]
    fn bookings_become_meetings_by_status() {
        use BookingStatus::*;
        use MeetingOutcome::*;
        let host_cancelled = LinkedBooking {
            cancelled_by: Some(CancelledBy::Host),
            ..booking(1, -3, Cancelled)
        };
        let replaced = LinkedBooking {
            replaced: true,
            ..booking(1, -3, Cancelled)
        };
        let absent = LinkedBooking {
            no_show: true,
            ..booking(1, -3, Accepted)
        };
        let absent_ahead = LinkedBooking {
            no_show: true,
            ..booking(1, 3, Accepted)
        };
        #[rustfmt::skip]
        let cases = [
            ("past accepted was held", booking(1, -3, Accepted), Some(Held)),
            ("future accepted is scheduled", booking(1, 3, Accepted), Some(Scheduled)),
            ("future pending is scheduled", booking(1, 3, Pending), Some(Scheduled)),
            ("past pending never happened", booking(1, -3, Pending), None),
            ("cancelled by nobody named counts against the customer", booking(1, -3, Cancelled), Some(CancelledByCustomer)),
            ("cancelled by the host", host_cancelled, Some(CancelledByHost)),
            ("declined by the host", booking(1, -3, Rejected), Some(CancelledByHost)),
            ("replaced by a reschedule is no meeting", replaced, None),
            ("an absent attendee is a no-show", absent, Some(NoShow)),
            ("absence ahead of time is not yet one", absent_ahead, Some(Scheduled)),
        ];
        for (name, b, expected) in cases {
            assert_eq!(b.fact_at(now()).map(|f| f.outcome), expected, "{name}");
        }
    }

    #[test]
    fn a_booking_is_unknown_before_it_was_made() {
        let b = booking(1, 2, BookingStatus::Accepted);
        assert!(b.fact_at(days(-5)).is_some(), "booked 7 days ahead");
        assert!(b.fact_at(days(-6)).is_none());
    }

    #[test]
    fn the_trend_compares_with_what_was_known_30_days_ago() {
        let weights = Weights::default();
        let meetings: Vec<LinkedBooking> = [-100, -95, -10, -5]
            .into_iter()
            .enumerate()
            .map(|(i, d)| booking(i as i64, d, BookingStatus::Accepted))
            .collect();
        let account = Account {
            bookings: &meetings,
            stakeholders: 0,
            tier: Tier::Smb,
            since: days(-200),
        };
        let a = assess(account, &weights, now());
        assert_eq!(a.engagement.meetings_90d, 2);
        let then = assess(account, &weights, days(-TREND_DAYS));
        assert_eq!(a.previous_score, Some(then.health.score));
        assert!(a.health.score > then.health.score);
        assert_eq!(a.trend, Some(Trend::Up));

        let young = Account {
            since: days(-10),
            ..account
        };
        let a = assess(young, &weights, now());
        assert_eq!((a.previous_score, a.trend), (None, None));
    }
}
