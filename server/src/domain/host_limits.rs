//! A host's own limits, across all their event types: bookings per day, week, month
//! and year, and booked minutes per day and week. Periods are the host's calendar
//! periods in their zone (a local day, an ISO week from Monday), so a DST change moves
//! no booking from one period to another.
//!
//! They apply on top of each event type's rules: slots are offered only while the host
//! has room, and a booking is refused once a period is full, whichever event type (or
//! team) it is for.

use chrono::Duration;
use chrono_tz::Tz;

use super::rules::{LimitPeriod, LimitUsage, PeriodLimits};
use super::span::Span;

/// A host's limits; `None` everywhere means none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostLimits {
    /// Max bookings per day, week, month, year.
    pub count: PeriodLimits,
    /// Max booked minutes per day and week (month and year are not offered).
    pub duration: PeriodLimits,
}

impl HostLimits {
    /// Whether any limit is set.
    pub fn is_empty(&self) -> bool {
        self.count == PeriodLimits::default() && self.duration == PeriodLimits::default()
    }

    /// How far around `range` the host's bookings must be read to judge it: the
    /// whole of every limited period a start in `range` can fall in.
    pub fn reach(&self, range: Span) -> Span {
        let longest = [self.count, self.duration]
            .iter()
            .map(|l| {
                if l.year.is_some() {
                    367
                } else if l.month.is_some() {
                    32
                } else if l.week.is_some() {
                    8
                } else if l.day.is_some() {
                    2
                } else {
                    0
                }
            })
            .max()
            .unwrap_or(0);
        let reach = Duration::days(longest);
        Span::new(range.start - reach, range.end + reach)
    }

    fn usage(&self, duration_min: u32, tz: Tz, booked: &[Span]) -> LimitUsage {
        LimitUsage::of(
            self.count,
            self.duration,
            duration_min,
            tz,
            booked.iter().copied(),
        )
    }

    /// The shortest period that one more booking of `meeting` would overfill, given
    /// the host's `booked` meetings (all event types), read in `tz`.
    pub fn full_period(&self, tz: Tz, booked: &[Span], meeting: Span) -> Option<LimitPeriod> {
        if self.is_empty() {
            return None;
        }
        let minutes = u32::try_from(meeting.minutes()).unwrap_or(u32::MAX);
        self.usage(minutes, tz, booked).full_period(meeting.start)
    }

    /// `slots` the host still has room for.
    pub fn keep_within(&self, tz: Tz, booked: &[Span], slots: Vec<Span>) -> Vec<Span> {
        let Some(first) = slots.first() else {
            return slots;
        };
        if self.is_empty() {
            return slots;
        }
        let minutes = u32::try_from(first.minutes()).unwrap_or(u32::MAX);
        let usage = self.usage(minutes, tz, booked);
        slots
            .into_iter()
            .filter(|s| usage.full_period(s.start).is_none())
            .collect()
    }
}

/// The message for a refusal: "`alice` has reached their daily booking limit".
pub fn refusal(username: &str, period: LimitPeriod) -> String {
    format!(
        "`{username}` has reached their {} booking limit",
        period.adjective()
    )
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use chrono_tz::America::New_York;

    use super::*;

    /// New York wall-clock time in 2026 as UTC (DST ends on Sunday 1 November).
    fn ny(m: u32, d: u32, h: u32) -> DateTime<Utc> {
        New_York
            .with_ymd_and_hms(2026, m, d, h, 0, 0)
            .unwrap()
            .to_utc()
    }

    fn meeting(m: u32, d: u32, h: u32, minutes: i64) -> Span {
        Span::new(ny(m, d, h), ny(m, d, h) + Duration::minutes(minutes))
    }

    fn limits(count: PeriodLimits, duration: PeriodLimits) -> HostLimits {
        HostLimits { count, duration }
    }

    #[test]
    fn periods_fill_across_event_types_in_the_hosts_zone() {
        let per_day = PeriodLimits {
            day: Some(2),
            ..PeriodLimits::default()
        };
        let per_week = PeriodLimits {
            week: Some(3),
            ..PeriodLimits::default()
        };
        let hour_a_day = PeriodLimits {
            day: Some(60),
            ..PeriodLimits::default()
        };
        let none = PeriodLimits::default();
        // Monday 26 Oct .. Sunday 1 Nov 2026, the week New York leaves DST.
        for (name, host, booked, next, expected) in [
            (
                "day has room",
                limits(per_day, none),
                vec![meeting(10, 27, 9, 30)],
                meeting(10, 27, 15, 30),
                None,
            ),
            (
                "day full",
                limits(per_day, none),
                vec![meeting(10, 27, 9, 30), meeting(10, 27, 10, 30)],
                meeting(10, 27, 15, 30),
                Some(LimitPeriod::Day),
            ),
            (
                "late evening is still that local day",
                limits(per_day, none),
                vec![meeting(10, 27, 9, 30), meeting(10, 27, 10, 30)],
                meeting(10, 27, 22, 30),
                Some(LimitPeriod::Day),
            ),
            (
                "next local day is free",
                limits(per_day, none),
                vec![meeting(10, 27, 9, 30), meeting(10, 27, 22, 30)],
                meeting(10, 28, 0, 30),
                None,
            ),
            (
                "week full by Sunday after the DST change",
                limits(per_week, none),
                vec![
                    meeting(10, 26, 9, 30),
                    meeting(10, 28, 9, 30),
                    meeting(10, 30, 9, 30),
                ],
                meeting(11, 1, 23, 30),
                Some(LimitPeriod::Week),
            ),
            (
                "a new ISO week on Monday",
                limits(per_week, none),
                vec![
                    meeting(10, 26, 9, 30),
                    meeting(10, 28, 9, 30),
                    meeting(10, 30, 9, 30),
                ],
                meeting(11, 2, 0, 30),
                None,
            ),
            (
                "minutes: 30 + 30 fits an hour",
                limits(none, hour_a_day),
                vec![meeting(10, 27, 9, 30)],
                meeting(10, 27, 11, 30),
                None,
            ),
            (
                "minutes: 45 + 30 does not",
                limits(none, hour_a_day),
                vec![meeting(10, 27, 9, 45)],
                meeting(10, 27, 11, 30),
                Some(LimitPeriod::Day),
            ),
            (
                "no limits",
                HostLimits::default(),
                vec![meeting(10, 27, 9, 30); 9],
                meeting(10, 27, 11, 30),
                None,
            ),
        ] {
            assert_eq!(
                host.full_period(New_York, &booked, next),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn slots_are_kept_while_there_is_room() {
        let host = limits(
            PeriodLimits {
                day: Some(1),
                ..PeriodLimits::default()
            },
            PeriodLimits::default(),
        );
        let slots = vec![
            meeting(10, 27, 9, 30),
            meeting(10, 28, 9, 30),
            meeting(10, 29, 9, 30),
        ];
        let kept = host.keep_within(New_York, &[meeting(10, 28, 14, 60)], slots);
        assert_eq!(kept, vec![meeting(10, 27, 9, 30), meeting(10, 29, 9, 30)]);
    }

    #[test]
    fn reach_covers_the_longest_period() {
        let range = meeting(10, 27, 0, 60);
        let yearly = limits(
            PeriodLimits {
                year: Some(100),
                ..PeriodLimits::default()
            },
            PeriodLimits::default(),
        );
        let reach = yearly.reach(range);
        assert!(
            reach.start <= ny(1, 1, 0) && reach.end >= ny(12, 31, 23),
            "the whole year"
        );
        assert_eq!(HostLimits::default().reach(range), range);
    }
}
