//! An event type's booking rules: meeting length, slot step, buffers, notice,
//! how far ahead invitees may book, and per-period booking limits.
//!
//! Calendar periods (days, weeks, months, the booking window's dates) are
//! always read in the schedule's zone: they describe the host's calendar, not
//! the invitee's.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;

use super::schedule::{local_date, resolve_local};
use super::span::Span;

/// How far ahead an invitee may book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingWindow {
    /// Any future time.
    Unlimited,
    /// Today plus the next `days` calendar days in the schedule's zone (ends
    /// at the end of local day today+days).
    CalendarDays(u32),
    /// Like `CalendarDays` but counting only Mon–Fri (weekends are not
    /// counted, the window extends over them).
    BusinessDays(u32),
    /// Fixed local date range, inclusive both ends, in the schedule's zone.
    DateRange {
        /// First bookable local date.
        start: NaiveDate,
        /// Last bookable local date.
        end: NaiveDate,
    },
}

/// Max bookings (count) or booked minutes (duration) of ONE event type per
/// local day / ISO week (Mon–Sun) / calendar month / calendar year, in the
/// schedule's zone. None = no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodLimits {
    /// Limit per local day.
    pub day: Option<u32>,
    /// Limit per ISO week, Monday to Sunday.
    pub week: Option<u32>,
    /// Limit per calendar month.
    pub month: Option<u32>,
    /// Limit per calendar year.
    pub year: Option<u32>,
}

/// Which calendar period a limit applies to (used in errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitPeriod {
    /// A local day.
    Day,
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
    /// A calendar year.
    Year,
}

/// An event type's booking rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRules {
    /// Length of the booking.
    pub duration_min: u32,
    /// Slot step; callers set it = duration when not configured.
    pub interval_min: u32,
    /// Free time the host needs before each booking.
    pub buffer_before_min: u32,
    /// Free time the host needs after each booking.
    pub buffer_after_min: u32,
    /// How long before its start a slot stops being bookable.
    pub min_notice_min: u32,
    /// How far ahead invitees may book.
    pub window: BookingWindow,
    /// Max number of bookings per period.
    pub count_limits: PeriodLimits,
    /// Max total booked minutes per period.
    pub duration_limits: PeriodLimits,
}

impl SlotRules {
    /// Whether any per-period count or duration limit applies: checking one needs a
    /// stable view of the period's bookings, not just of the slot's neighbours.
    pub fn has_limits(&self) -> bool {
        [self.count_limits, self.duration_limits]
            .iter()
            .any(|l| *l != PeriodLimits::default())
    }

    /// The UTC span in which slot STARTS are allowed by notice + window, given
    /// `now` and the schedule zone (None if nothing is bookable, e.g. range in
    /// the past).
    pub fn bookable_span(&self, now: DateTime<Utc>, tz: Tz) -> Option<Span> {
        let earliest = now + TimeDelta::minutes(i64::from(self.min_notice_min));
        let window = self.window.span(now, tz)?;
        let start = earliest.max(window.start);
        (start < window.end).then(|| Span::new(start, window.end))
    }
}

impl BookingWindow {
    /// The instants this window admits, before notice is applied; `None`
    /// when it admits none (an inverted date range).
    fn span(self, now: DateTime<Utc>, tz: Tz) -> Option<Span> {
        let today = local_date(tz, now);
        let (first, last) = match self {
            BookingWindow::Unlimited => return Some(Span::new(now, DateTime::<Utc>::MAX_UTC)),
            BookingWindow::CalendarDays(days) => {
                (today, today.checked_add_days(Days::new(days.into())))
            }
            BookingWindow::BusinessDays(days) => (today, add_business_days(today, days)),
            BookingWindow::DateRange { start, end } => (start, Some(end)),
        };
        let start = resolve_local(tz, first, 0);
        // A last date beyond the calendar's range means "no end".
        let end = last.map_or(DateTime::<Utc>::MAX_UTC, |last| end_of_local_day(tz, last));
        (start < end).then(|| Span::new(start, end))
    }
}

/// The date `days` business days (Mon–Fri) after `from`, or `from` itself for
/// zero; `None` past the end of the calendar.
fn add_business_days(from: NaiveDate, days: u32) -> Option<NaiveDate> {
    if days == 0 {
        return Some(from);
    }
    // Every 7 calendar days hold exactly 5 business days; jump whole weeks but
    // keep 1..=5 days to walk, so a Saturday start still lands on a weekday.
    let weeks = (days - 1) / 5;
    let mut date = from.checked_add_days(Days::new(u64::from(weeks) * 7))?;
    let mut remaining = days - weeks * 5;
    while remaining > 0 {
        date = date.succ_opt()?;
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            remaining -= 1;
        }
    }
    Some(date)
}

/// The instant local `date` ends in `tz` (next local midnight).
fn end_of_local_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    date.succ_opt()
        .map_or(DateTime::<Utc>::MAX_UTC, |next| resolve_local(tz, next, 0))
}

impl PeriodLimits {
    /// The limit for `period`, if any.
    fn get(&self, period: LimitPeriod) -> Option<u32> {
        match period {
            LimitPeriod::Day => self.day,
            LimitPeriod::Week => self.week,
            LimitPeriod::Month => self.month,
            LimitPeriod::Year => self.year,
        }
    }
}

impl LimitPeriod {
    /// Shortest first, the order limits are checked and reported in.
    const ALL: [LimitPeriod; 4] = [
        LimitPeriod::Day,
        LimitPeriod::Week,
        LimitPeriod::Month,
        LimitPeriod::Year,
    ];

    /// The first local date of the period containing `date`; it names the
    /// period when counting bookings.
    fn first_day(self, date: NaiveDate) -> NaiveDate {
        match self {
            LimitPeriod::Day => date,
            LimitPeriod::Week => date - Days::new(date.weekday().num_days_from_monday().into()),
            LimitPeriod::Month => date.with_day(1).unwrap_or(date),
            LimitPeriod::Year => date.with_ordinal(1).unwrap_or(date),
        }
    }

    /// "daily", "weekly", ...: reads better than "day" in user-facing errors.
    pub(crate) fn adjective(self) -> &'static str {
        match self {
            LimitPeriod::Day => "daily",
            LimitPeriod::Week => "weekly",
            LimitPeriod::Month => "monthly",
            LimitPeriod::Year => "yearly",
        }
    }
}

impl fmt::Display for LimitPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitPeriod::Day => "day",
            LimitPeriod::Week => "week",
            LimitPeriod::Month => "month",
            LimitPeriod::Year => "year",
        })
    }
}

/// Bookings and minutes already booked in one period.
#[derive(Debug, Clone, Copy, Default)]
struct Used {
    /// Bookings starting in the period.
    count: u32,
    /// Their total length in minutes.
    minutes: i64,
}

/// How much of an event type's period limits its existing bookings use,
/// tallied once so that checking a slot is a few map lookups instead of a
/// scan over all bookings.
pub(crate) struct LimitUsage {
    /// Max bookings per period.
    count: PeriodLimits,
    /// Max booked minutes per period.
    duration: PeriodLimits,
    /// The length of the booking being considered.
    duration_min: u32,
    /// Zone the calendar periods are read in.
    tz: Tz,
    /// Periods that have a count or duration limit; empty means no work.
    periods: Vec<LimitPeriod>,
    /// Usage per period, keyed by the period's first local date.
    used: HashMap<(LimitPeriod, NaiveDate), Used>,
}

impl LimitUsage {
    /// Tallies `booked`, the spans of this event type's existing bookings.
    /// They must cover every period a checked start can fall in.
    pub(crate) fn new(
        rules: &SlotRules,
        tz: Tz,
        booked: impl IntoIterator<Item = Span>,
    ) -> LimitUsage {
        LimitUsage::of(
            rules.count_limits,
            rules.duration_limits,
            rules.duration_min,
            tz,
            booked,
        )
    }

    /// Tallies `booked` against `count` and `duration` limits for a booking of
    /// `duration_min` minutes: for limits that are not one event type's (a host's
    /// across all their event types).
    pub(crate) fn of(
        count: PeriodLimits,
        duration: PeriodLimits,
        duration_min: u32,
        tz: Tz,
        booked: impl IntoIterator<Item = Span>,
    ) -> LimitUsage {
        let periods = LimitPeriod::ALL
            .into_iter()
            .filter(|&p| count.get(p).is_some() || duration.get(p).is_some())
            .collect();
        let mut usage = LimitUsage {
            count,
            duration,
            duration_min,
            tz,
            periods,
            used: HashMap::new(),
        };
        if !usage.periods.is_empty() {
            booked.into_iter().for_each(|span| usage.record(span));
        }
        usage
    }

    /// Adds one booking to every limited period its start falls in.
    fn record(&mut self, span: Span) {
        let date = local_date(self.tz, span.start);
        for &period in &self.periods {
            let used = self
                .used
                .entry((period, period.first_day(date)))
                .or_default();
            used.count += 1;
            used.minutes += span.minutes();
        }
    }

    /// The shortest period whose count or duration limit one more booking
    /// starting at `start` would exceed, or `None` if it fits them all.
    pub(crate) fn full_period(&self, start: DateTime<Utc>) -> Option<LimitPeriod> {
        if self.periods.is_empty() {
            return None;
        }
        let date = local_date(self.tz, start);
        self.periods
            .iter()
            .copied()
            .find(|&period| self.is_full(period, date))
    }

    /// Whether one more booking on local `date` would break a limit of
    /// `period`.
    fn is_full(&self, period: LimitPeriod, date: NaiveDate) -> bool {
        let used = self
            .used
            .get(&(period, period.first_day(date)))
            .copied()
            .unwrap_or_default();
        let count_full = self.count.get(period).is_some_and(|max| used.count >= max);
        let minutes_full = self
            .duration
            .get(period)
            .is_some_and(|max| used.minutes + i64::from(self.duration_min) > i64::from(max));
        count_full || minutes_full
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Berlin;

    /// Berlin wall-clock time in 2026 (winter or summer), as UTC.
    fn berlin(mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Berlin
            .with_ymd_and_hms(2026, mo, d, h, mi, 0)
            .unwrap()
            .to_utc()
    }

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn rules(window: BookingWindow, min_notice_min: u32) -> SlotRules {
        SlotRules {
            duration_min: 30,
            interval_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min,
            window,
            count_limits: PeriodLimits::default(),
            duration_limits: PeriodLimits::default(),
        }
    }

    #[test]
    fn bookable_span_combines_notice_and_window() {
        // 2026-01-09 is a Friday.
        let now = berlin(1, 9, 10, 0);
        let max = DateTime::<Utc>::MAX_UTC;
        #[rustfmt::skip]
        let cases = [
            ("unlimited", BookingWindow::Unlimited, 0, Some(Span::new(now, max))),
            ("notice moves the start", BookingWindow::Unlimited, 120, Some(Span::new(berlin(1, 9, 12, 0), max))),
            ("today only", BookingWindow::CalendarDays(0), 0, Some(Span::new(now, berlin(1, 10, 0, 0)))),
            ("two calendar days", BookingWindow::CalendarDays(2), 0, Some(Span::new(now, berlin(1, 12, 0, 0)))),
            ("notice past a today-only window", BookingWindow::CalendarDays(0), 14 * 60, None),
            ("one business day skips the weekend", BookingWindow::BusinessDays(1), 0, Some(Span::new(now, berlin(1, 13, 0, 0)))),
            ("six business days", BookingWindow::BusinessDays(6), 0, Some(Span::new(now, berlin(1, 20, 0, 0)))),
            ("future date range", BookingWindow::DateRange { start: date(2, 1), end: date(2, 3) }, 0, Some(Span::new(berlin(2, 1, 0, 0), berlin(2, 4, 0, 0)))),
            ("date range already running", BookingWindow::DateRange { start: date(1, 1), end: date(1, 9) }, 0, Some(Span::new(now, berlin(1, 10, 0, 0)))),
            ("past date range", BookingWindow::DateRange { start: date(1, 1), end: date(1, 8) }, 0, None),
            ("inverted date range", BookingWindow::DateRange { start: date(2, 3), end: date(2, 1) }, 0, None),
            ("date range ends at local midnight across DST", BookingWindow::DateRange { start: date(3, 28), end: date(3, 29) }, 0, Some(Span::new(berlin(3, 28, 0, 0), berlin(3, 30, 0, 0)))),
            ("window beyond the calendar", BookingWindow::CalendarDays(u32::MAX), 0, Some(Span::new(now, max))),
        ];
        for (name, window, notice, expected) in cases {
            assert_eq!(
                rules(window, notice).bookable_span(now, Berlin),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn business_days_count_weekdays_only() {
        // 2026-01-05 is a Monday.
        #[rustfmt::skip]
        let cases = [
            ("zero is today", date(1, 10), 0, date(1, 10)),
            ("friday plus one is monday", date(1, 9), 1, date(1, 12)),
            ("saturday plus one is monday", date(1, 10), 1, date(1, 12)),
            ("sunday plus five is friday", date(1, 11), 5, date(1, 16)),
            ("saturday plus five is friday", date(1, 10), 5, date(1, 16)),
            ("monday plus five is monday", date(1, 5), 5, date(1, 12)),
            ("monday plus ten", date(1, 5), 10, date(1, 19)),
            ("thursday plus twelve", date(1, 8), 12, date(1, 26)),
        ];
        for (name, from, days, expected) in cases {
            assert_eq!(add_business_days(from, days), Some(expected), "{name}");
        }
    }

    #[test]
    fn periods_start_on_their_first_day() {
        #[rustfmt::skip]
        let cases = [
            ("day", LimitPeriod::Day, date(3, 18), date(3, 18)),
            ("week from wednesday", LimitPeriod::Week, date(3, 18), date(3, 16)),
            ("week from monday", LimitPeriod::Week, date(3, 16), date(3, 16)),
            ("week from sunday", LimitPeriod::Week, date(3, 22), date(3, 16)),
            ("week across new year", LimitPeriod::Week, date(1, 2), NaiveDate::from_ymd_opt(2025, 12, 29).unwrap()),
            ("month", LimitPeriod::Month, date(3, 18), date(3, 1)),
            ("year", LimitPeriod::Year, date(3, 18), date(1, 1)),
        ];
        for (name, period, day, expected) in cases {
            assert_eq!(period.first_day(day), expected, "{name}");
        }
    }

    #[test]
    fn period_names() {
        #[rustfmt::skip]
        let cases = [
            ("day", LimitPeriod::Day, "day", "daily"),
            ("week", LimitPeriod::Week, "week", "weekly"),
            ("month", LimitPeriod::Month, "month", "monthly"),
            ("year", LimitPeriod::Year, "year", "yearly"),
        ];
        for (name, period, noun, adjective) in cases {
            assert_eq!(period.to_string(), noun, "{name}");
            assert_eq!(period.adjective(), adjective, "{name}");
        }
    }

    #[test]
    fn limit_usage_reports_the_shortest_full_period() {
        let none = PeriodLimits::default();
        // 30-minute bookings on Tue 2026-03-17 00:30 local (still Monday in
        // UTC) and on Wed 2026-03-18.
        let booked = [
            Span::new(berlin(3, 17, 0, 30), berlin(3, 17, 1, 0)),
            Span::new(berlin(3, 18, 9, 0), berlin(3, 18, 9, 30)),
        ];
        let monday = berlin(3, 16, 10, 0);
        let tuesday = berlin(3, 17, 10, 0);
        let next_week = berlin(3, 23, 10, 0);
        #[rustfmt::skip]
        let cases = [
            ("no limits", none, none, tuesday, None),
            ("day count full", PeriodLimits { day: Some(1), ..none }, none, tuesday, Some(LimitPeriod::Day)),
            ("day counted in local time", PeriodLimits { day: Some(1), ..none }, none, monday, None),
            ("day count with room", PeriodLimits { day: Some(2), ..none }, none, tuesday, None),
            ("week count full", PeriodLimits { week: Some(2), ..none }, none, monday, Some(LimitPeriod::Week)),
            ("next week is fresh", PeriodLimits { week: Some(2), ..none }, none, next_week, None),
            ("day reported before week", PeriodLimits { day: Some(1), week: Some(1), ..none }, none, tuesday, Some(LimitPeriod::Day)),
            ("month count full", PeriodLimits { month: Some(2), ..none }, none, next_week, Some(LimitPeriod::Month)),
            ("year count with room", PeriodLimits { year: Some(3), ..none }, none, next_week, None),
            ("zero allows nothing", PeriodLimits { day: Some(0), ..none }, none, monday, Some(LimitPeriod::Day)),
            ("day minutes exactly fit", none, PeriodLimits { day: Some(60), ..none }, tuesday, None),
            ("day minutes exceeded", none, PeriodLimits { day: Some(59), ..none }, tuesday, Some(LimitPeriod::Day)),
            ("week minutes exceeded", none, PeriodLimits { week: Some(80), ..none }, monday, Some(LimitPeriod::Week)),
        ];
        for (name, count_limits, duration_limits, start, expected) in cases {
            let rules = SlotRules {
                count_limits,
                duration_limits,
                ..rules(BookingWindow::Unlimited, 0)
            };
            let usage = LimitUsage::new(&rules, Berlin, booked);
            assert_eq!(usage.full_period(start), expected, "{name}");
        }
    }
}
