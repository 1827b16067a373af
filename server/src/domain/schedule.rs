//! A host's working hours: weekly rules and per-date overrides in the host's
//! own time zone, and their conversion to UTC spans.
//!
//! Hosts think in wall-clock time ("09:00–17:00 on weekdays"), so the rules
//! are stored that way and converted per local date. That conversion is where
//! daylight-saving time bites, so every local-to-UTC step goes through
//! [`resolve_local`], which fixes one answer for missing and repeated times.

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc, Weekday,
};
use chrono_tz::{GapInfo, Tz};

use super::span::{Span, merge};

/// Minutes in a day; the end of a range may equal it (24:00).
const DAY_MINUTES: u16 = 1440;

/// A range of local wall-clock time within one day, in minutes since local
/// midnight: 0 <= start < end <= 1440 (1440 = 24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalRange {
    /// Minutes after local midnight at which the range opens.
    pub start_min: u16,
    /// Minutes after local midnight at which the range closes (exclusive).
    pub end_min: u16,
}

impl LocalRange {
    /// Validates a range so that API input can never produce an empty or
    /// multi-day range.
    ///
    /// # Errors
    ///
    /// [`ScheduleError::OutOfDay`] when the end is past 24:00, else
    /// [`ScheduleError::EmptyRange`] when the end is not after the start.
    pub fn new(start_min: u16, end_min: u16) -> Result<LocalRange, ScheduleError> {
        if end_min > DAY_MINUTES {
            return Err(ScheduleError::OutOfDay { minute: end_min });
        }
        if end_min <= start_min {
            return Err(ScheduleError::EmptyRange { start_min, end_min });
        }
        Ok(LocalRange { start_min, end_min })
    }
}

/// Weekly availability rule: on `weekday`, `range` in the schedule's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyRule {
    /// Local weekday the rule repeats on.
    pub weekday: Weekday,
    /// Local hours available on that weekday.
    pub range: LocalRange,
}

/// A date override replaces the WHOLE local day's ranges; empty `ranges` =
/// unavailable that day.
///
/// Several overrides for the same date add up: their ranges are combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateOverride {
    /// Local date the override applies to.
    pub date: NaiveDate,
    /// Hours available on that date instead of the weekly rules.
    pub ranges: Vec<LocalRange>,
}

/// A host's availability: weekly rules plus date overrides, all read in `tz`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Zone the rules' wall-clock times and dates are read in.
    pub tz: Tz,
    /// Repeating weekly hours.
    pub weekly: Vec<WeeklyRule>,
    /// Dates whose hours differ from the weekly rules.
    pub overrides: Vec<DateOverride>,
}

/// Why a wall-clock time or range given by a user is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The range closes at or before it opens.
    #[error(
        "time range {}-{} is empty: end must be after start",
        format_hhmm(*start_min),
        format_hhmm(*end_min)
    )]
    EmptyRange {
        /// Opening minute as given.
        start_min: u16,
        /// Closing minute as given.
        end_min: u16,
    },
    /// A time lies past the end of the day.
    #[error("time {} must be within 00:00-24:00", format_hhmm(*minute))]
    OutOfDay {
        /// The offending minute since midnight.
        minute: u16,
    },
    /// Text that is not a wall-clock time in `HH:MM` form.
    #[error("{input:?} is not a time: expected HH:MM, e.g. 09:30")]
    Malformed {
        /// The text as received.
        input: String,
    },
}

/// Monday to Friday: the week most schedules start from.
pub const WORKWEEK: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

/// Every day, Monday first.
pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

impl Schedule {
    /// The same `ranges` on each of `days`, without overrides: how most schedules begin.
    pub fn weekly(tz: Tz, days: &[Weekday], ranges: &[LocalRange]) -> Schedule {
        let weekly = days
            .iter()
            .flat_map(|&weekday| {
                ranges
                    .iter()
                    .map(move |&range| WeeklyRule { weekday, range })
            })
            .collect();
        Schedule {
            tz,
            weekly,
            overrides: Vec::new(),
        }
    }

    /// Available UTC spans intersecting `window` (clipped to it), sorted,
    /// merged (touching ranges merge, also across midnight).
    ///
    /// Local dates one day either side of the window are evaluated too, since
    /// a zone's offset can move a neighbouring local day into the window.
    pub fn availability(&self, window: Span) -> Vec<Span> {
        let spans = local_dates(self.tz, window)
            .flat_map(|date| {
                self.ranges_on(date)
                    .filter_map(move |range| self.to_utc(date, range))
            })
            .filter_map(|span| span.intersection(&window))
            .collect();
        merge(spans)
    }

    /// The local ranges in force on `date`: the overrides for it if there are
    /// any, else the weekly rules for its weekday.
    fn ranges_on(&self, date: NaiveDate) -> impl Iterator<Item = LocalRange> + '_ {
        let overridden = self.overrides.iter().any(|o| o.date == date);
        let from_overrides = self
            .overrides
            .iter()
            .filter(move |o| o.date == date)
            .flat_map(|o| o.ranges.iter().copied());
        let from_weekly = self
            .weekly
            .iter()
            .filter(move |rule| !overridden && rule.weekday == date.weekday())
            .map(|rule| rule.range);
        from_overrides.chain(from_weekly)
    }

    /// The UTC span of `range` on local `date`, or `None` when DST squeezes it
    /// to nothing (or the range was built inverted, bypassing
    /// [`LocalRange::new`]).
    fn to_utc(&self, date: NaiveDate, range: LocalRange) -> Option<Span> {
        let start = resolve_local(self.tz, date, range.start_min);
        let end = resolve_local(self.tz, date, range.end_min);
        (start < end).then(|| Span::new(start, end))
    }
}

/// The UTC instant of local wall-clock `minute` (minutes since midnight,
/// 1440 = midnight of the next date) on `date` in `tz`.
///
/// This is the single place DST is decided, so schedules, booking windows and
/// the slot grid all agree:
/// - a time skipped by a spring-forward gap maps to the first instant after
///   the gap (Berlin 2026-03-29 02:30 → 03:00 CEST), so a range starting in
///   the gap opens when the clock resumes;
/// - a time repeated by a fall-back takes its first occurrence, so a range
///   ending in the repeated hour does not silently grow by an hour.
pub fn resolve_local(tz: Tz, date: NaiveDate, minute: u16) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::MIN) + TimeDelta::minutes(i64::from(minute));
    match tz.from_local_datetime(&local) {
        LocalResult::Single(instant) => instant.to_utc(),
        LocalResult::Ambiguous(first, second) => first.min(second).to_utc(),
        LocalResult::None => after_gap(tz, local),
    }
}

/// The first instant after the DST gap that swallowed `local`.
fn after_gap(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    GapInfo::new(&local, &tz)
        .and_then(|gap| gap.end)
        .map_or_else(
            // Only reachable with malformed zone data; reading the time with the
            // offset in force there is the closest meaningful answer.
            || (local - tz.offset_from_utc_datetime(&local).fix()).and_utc(),
            |end| end.to_utc(),
        )
}

/// The local dates in `tz` whose rules may reach into `window`: from the day
/// before its start to the day after its end.
pub(crate) fn local_dates(tz: Tz, window: Span) -> impl Iterator<Item = NaiveDate> {
    let first = local_date(tz, window.start);
    let last = local_date(tz, window.end);
    let first = first.pred_opt().unwrap_or(first);
    let last = last.succ_opt().unwrap_or(last);
    first.iter_days().take_while(move |date| *date <= last)
}

/// The local calendar date of `instant` in `tz`.
pub(crate) fn local_date(tz: Tz, instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&tz).date_naive()
}

/// Parse "HH:MM" (00:00..=24:00) into minutes; used by the API layers.
///
/// Exactly two digits each side keeps the wire format unambiguous; 24:00 is
/// accepted because it is the only way to express "until midnight".
///
/// # Errors
///
/// [`ScheduleError::Malformed`] for anything but `HH:MM` with minutes below
/// 60, [`ScheduleError::OutOfDay`] for times past 24:00.
pub fn parse_hhmm(s: &str) -> Result<u16, ScheduleError> {
    let malformed = || ScheduleError::Malformed {
        input: s.to_owned(),
    };
    let (hours, minutes) = s.split_once(':').ok_or_else(malformed)?;
    let two_digits = |part: &str| {
        (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u16>().ok())
            .flatten()
    };
    let (hours, minutes) = two_digits(hours)
        .zip(two_digits(minutes))
        .filter(|&(_, minutes)| minutes < 60)
        .ok_or_else(malformed)?;
    let minute = hours * 60 + minutes;
    if minute > DAY_MINUTES {
        return Err(ScheduleError::OutOfDay { minute });
    }
    Ok(minute)
}

/// Format minutes as "HH:MM".
pub fn format_hhmm(min: u16) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;
    use chrono_tz::Australia::Lord_Howe;
    use chrono_tz::Europe::Berlin;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn range(start: &str, end: &str) -> LocalRange {
        LocalRange::new(parse_hhmm(start).unwrap(), parse_hhmm(end).unwrap()).unwrap()
    }

    fn every_day(tz: Tz, start: &str, end: &str) -> Schedule {
        Schedule::weekly(tz, &WEEK, &[range(start, end)])
    }

    /// The availability of one local date, as UTC spans.
    fn on_date(schedule: &Schedule, day: NaiveDate) -> Vec<Span> {
        let window = Span::new(
            resolve_local(schedule.tz, day, 0),
            resolve_local(schedule.tz, day, 1440),
        );
        schedule.availability(window)
    }

    #[test]
    fn parse_hhmm_accepts_day_times_only() {
        let malformed = |s: &str| {
            Err(ScheduleError::Malformed {
                input: s.to_owned(),
            })
        };
        #[rustfmt::skip]
        let cases = [
            ("midnight", "00:00", Ok(0)),
            ("morning", "09:30", Ok(570)),
            ("last minute", "23:59", Ok(1439)),
            ("end of day", "24:00", Ok(1440)),
            ("past end of day", "24:30", Err(ScheduleError::OutOfDay { minute: 1470 })),
            ("hour 25", "25:00", Err(ScheduleError::OutOfDay { minute: 1500 })),
            ("minute 60", "10:60", malformed("10:60")),
            ("single digit hour", "9:30", malformed("9:30")),
            ("no colon", "0930", malformed("0930")),
            ("seconds", "09:30:00", malformed("09:30:00")),
            ("sign", "+9:30", malformed("+9:30")),
            ("empty", "", malformed("")),
            ("letters", "ab:cd", malformed("ab:cd")),
        ];
        for (name, input, expected) in cases {
            assert_eq!(parse_hhmm(input), expected, "{name}");
        }
    }

    #[test]
    fn format_hhmm_pads() {
        let cases = [
            ("zero", 0, "00:00"),
            ("morning", 545, "09:05"),
            ("end", 1440, "24:00"),
        ];
        for (name, minute, expected) in cases {
            assert_eq!(format_hhmm(minute), expected, "{name}");
            assert_eq!(parse_hhmm(expected), Ok(minute), "{name} round trip");
        }
    }

    #[test]
    fn local_range_validation() {
        #[rustfmt::skip]
        let cases = [
            ("normal", 540, 1020, Ok(LocalRange { start_min: 540, end_min: 1020 })),
            ("whole day", 0, 1440, Ok(LocalRange { start_min: 0, end_min: 1440 })),
            ("empty", 600, 600, Err(ScheduleError::EmptyRange { start_min: 600, end_min: 600 })),
            ("inverted", 1020, 540, Err(ScheduleError::EmptyRange { start_min: 1020, end_min: 540 })),
            ("past midnight", 1380, 1500, Err(ScheduleError::OutOfDay { minute: 1500 })),
        ];
        for (name, start, end, expected) in cases {
            assert_eq!(LocalRange::new(start, end), expected, "{name}");
        }
    }

    #[test]
    fn error_messages_name_the_values() {
        #[rustfmt::skip]
        let cases = [
            ("empty range", ScheduleError::EmptyRange { start_min: 1020, end_min: 540 }, "time range 17:00-09:00 is empty: end must be after start"),
            ("out of day", ScheduleError::OutOfDay { minute: 1500 }, "time 25:00 must be within 00:00-24:00"),
            ("malformed", ScheduleError::Malformed { input: "9am".into() }, "\"9am\" is not a time: expected HH:MM, e.g. 09:30"),
        ];
        for (name, error, expected) in cases {
            assert_eq!(error.to_string(), expected, "{name}");
        }
    }

    #[test]
    fn resolve_local_applies_dst_rules() {
        #[rustfmt::skip]
        let cases = [
            ("berlin winter", Berlin, date(2026, 1, 5), "09:00", utc(2026, 1, 5, 8, 0)),
            ("berlin summer", Berlin, date(2026, 7, 6), "09:00", utc(2026, 7, 6, 7, 0)),
            ("gap maps to its end", Berlin, date(2026, 3, 29), "02:30", utc(2026, 3, 29, 1, 0)),
            ("gap start maps to its end", Berlin, date(2026, 3, 29), "02:00", utc(2026, 3, 29, 1, 0)),
            ("repeated time takes first", Berlin, date(2026, 10, 25), "02:30", utc(2026, 10, 25, 0, 30)),
            ("24:00 is next midnight", Berlin, date(2026, 1, 5), "24:00", utc(2026, 1, 5, 23, 0)),
            ("new york gap", New_York, date(2026, 3, 8), "02:15", utc(2026, 3, 8, 7, 0)),
            ("new york repeat", New_York, date(2026, 11, 1), "01:30", utc(2026, 11, 1, 5, 30)),
            ("lord howe half-hour gap", Lord_Howe, date(2026, 10, 4), "02:15", utc(2026, 10, 3, 15, 30)),
        ];
        for (name, tz, day, time, expected) in cases {
            assert_eq!(
                resolve_local(tz, day, parse_hhmm(time).unwrap()),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn nine_to_five_keeps_local_hours_across_dst() {
        #[rustfmt::skip]
        let cases = [
            ("berlin before spring", Berlin, date(2026, 3, 28), utc(2026, 3, 28, 8, 0), utc(2026, 3, 28, 16, 0)),
            ("berlin spring forward", Berlin, date(2026, 3, 29), utc(2026, 3, 29, 7, 0), utc(2026, 3, 29, 15, 0)),
            ("berlin before fall", Berlin, date(2026, 10, 24), utc(2026, 10, 24, 7, 0), utc(2026, 10, 24, 15, 0)),
            ("berlin fall back", Berlin, date(2026, 10, 25), utc(2026, 10, 25, 8, 0), utc(2026, 10, 25, 16, 0)),
            ("new york spring forward", New_York, date(2026, 3, 8), utc(2026, 3, 8, 13, 0), utc(2026, 3, 8, 21, 0)),
            ("new york fall back", New_York, date(2026, 11, 1), utc(2026, 11, 1, 14, 0), utc(2026, 11, 1, 22, 0)),
        ];
        for (name, tz, day, start, end) in cases {
            let schedule = every_day(tz, "09:00", "17:00");
            assert_eq!(
                on_date(&schedule, day),
                vec![Span::new(start, end)],
                "{name}"
            );
        }
    }

    #[test]
    fn ranges_inside_dst_transitions() {
        #[rustfmt::skip]
        let cases = [
            ("01:30-03:30 over the gap is one real hour", date(2026, 3, 29), range("01:30", "03:30"), vec![Span::new(utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30))]),
            ("range wholly inside the gap disappears", date(2026, 3, 29), range("02:00", "02:30"), vec![]),
            ("range starting in the gap opens when clocks resume", date(2026, 3, 29), range("02:30", "04:00"), vec![Span::new(utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0))]),
            ("ambiguous start takes first occurrence", date(2026, 10, 25), range("02:30", "04:00"), vec![Span::new(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 3, 0))]),
            ("ambiguous end takes first occurrence", date(2026, 10, 25), range("01:00", "02:30"), vec![Span::new(utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 0, 30))]),
        ];
        for (name, day, local, expected) in cases {
            let schedule = Schedule {
                tz: Berlin,
                weekly: vec![],
                overrides: vec![DateOverride {
                    date: day,
                    ranges: vec![local],
                }],
            };
            assert_eq!(on_date(&schedule, day), expected, "{name}");
        }
    }

    #[test]
    fn overrides_replace_the_day() {
        let monday = date(2026, 1, 5);
        let at = |h, m| utc(2026, 1, 5, h, m);
        #[rustfmt::skip]
        let cases = [
            ("no override uses weekly", vec![], vec![Span::new(at(8, 0), at(16, 0))]),
            ("override replaces weekly", vec![DateOverride { date: monday, ranges: vec![range("12:00", "14:00")] }], vec![Span::new(at(11, 0), at(13, 0))]),
            ("empty override blocks the day", vec![DateOverride { date: monday, ranges: vec![] }], vec![]),
            ("full-day override", vec![DateOverride { date: monday, ranges: vec![range("00:00", "24:00")] }], vec![Span::new(utc(2026, 1, 4, 23, 0), at(23, 0))]),
            ("override for another date leaves this one alone", vec![DateOverride { date: date(2026, 1, 6), ranges: vec![] }], vec![Span::new(at(8, 0), at(16, 0))]),
            ("same-date overrides combine", vec![DateOverride { date: monday, ranges: vec![range("08:00", "09:00")] }, DateOverride { date: monday, ranges: vec![range("18:00", "19:00")] }], vec![Span::new(at(7, 0), at(8, 0)), Span::new(at(17, 0), at(18, 0))]),
        ];
        for (name, overrides, expected) in cases {
            let schedule = Schedule {
                overrides,
                ..every_day(Berlin, "09:00", "17:00")
            };
            assert_eq!(on_date(&schedule, monday), expected, "{name}");
        }
    }

    #[test]
    fn availability_clips_and_merges() {
        let overnight = Schedule {
            tz: Berlin,
            weekly: vec![
                WeeklyRule {
                    weekday: Weekday::Mon,
                    range: range("22:00", "24:00"),
                },
                WeeklyRule {
                    weekday: Weekday::Tue,
                    range: range("00:00", "02:00"),
                },
                WeeklyRule {
                    weekday: Weekday::Tue,
                    range: range("01:00", "03:00"),
                },
            ],
            overrides: vec![],
        };
        #[rustfmt::skip]
        let cases = [
            ("midnight join and overlap merge", Span::new(utc(2026, 1, 5, 0, 0), utc(2026, 1, 7, 0, 0)), vec![Span::new(utc(2026, 1, 5, 21, 0), utc(2026, 1, 6, 2, 0))]),
            ("clipped to the window", Span::new(utc(2026, 1, 5, 22, 0), utc(2026, 1, 6, 0, 0)), vec![Span::new(utc(2026, 1, 5, 22, 0), utc(2026, 1, 6, 0, 0))]),
            ("window outside availability", Span::new(utc(2026, 1, 6, 12, 0), utc(2026, 1, 6, 13, 0)), vec![]),
            ("empty window", Span::new(utc(2026, 1, 5, 22, 0), utc(2026, 1, 5, 22, 0)), vec![]),
        ];
        for (name, window, expected) in cases {
            assert_eq!(overnight.availability(window), expected, "{name}");
        }
    }
}
