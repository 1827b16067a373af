//! Bookable slots: which meeting starts an invitee may pick, and whether one
//! picked start may still be booked.
//!
//! Both questions share one definition so that a slot shown to an invitee is
//! exactly a slot that [`check_slot`] accepts:
//! - free time is availability minus every existing booking's buffered span,
//!   widened by this event type's own buffers;
//! - in each stretch of free time the grid starts at the first instant whose
//!   wall-clock time in the invitee's zone is a multiple of the coarsest of
//!   60/30/20/15/10/5 minutes dividing the interval, then steps by the
//!   interval;
//! - a stretch running through a local midnight of the schedule's zone
//!   restarts its grid there. This keeps each day's grid independent of how
//!   far back the requested range reaches (for intervals dividing 24 hours,
//!   the usual case, it changes nothing);
//! - notice, the booking window and period limits then filter the starts.

use std::iter;

use chrono::{DateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::rules::{LimitPeriod, LimitUsage, SlotRules};
use super::schedule::{Schedule, local_dates, resolve_local};
use super::span::{Span, subtract};

/// A booking that already occupies the host (non-cancelled: accepted or
/// pending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingBooking {
    /// The meeting itself.
    pub span: Span,
    /// Free time that booking's event type keeps before it.
    pub buffer_before_min: u32,
    /// Free time that booking's event type keeps after it.
    pub buffer_after_min: u32,
    /// Whether it counts towards this event type's count/duration limits.
    pub same_event_type: bool,
}

impl ExistingBooking {
    /// The time the booking keeps the host busy: the meeting plus its own
    /// event type's buffers.
    pub fn buffered(&self) -> Span {
        Span::new(
            self.span.start - minutes(self.buffer_before_min),
            self.span.end + minutes(self.buffer_after_min),
        )
    }
}

/// Why a requested start cannot be booked. Checked in this order: `InPast`,
/// `TooSoon`, `OutsideWindow`, `LimitReached`, `Taken`, `NotOnSlot`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    /// The start is before now.
    #[error("this time is in the past")]
    InPast,
    /// The start is closer to now than the event type's minimum notice.
    #[error("bookings for this event type must be made at least {notice_min} minutes in advance")]
    TooSoon {
        /// The event type's minimum notice.
        notice_min: u32,
    },
    /// The start is outside the dates the event type can be booked for.
    #[error("this time is outside the period in which this event type can be booked")]
    OutsideWindow,
    /// The count or duration limit for that period is full.
    #[error("the {} booking limit for this event type has been reached", period.adjective())]
    LimitReached {
        /// The shortest period whose limit is full.
        period: LimitPeriod,
    },
    /// Its buffered span overlaps an existing booking's buffered span.
    #[error("this time is already booked")]
    Taken,
    /// Outside availability or not on the slot grid.
    #[error("this time is not one of the available slots for this event type")]
    NotOnSlot,
}

/// The slots an invitee can pick. `range`: the requested window (slots whose
/// START lies in `[range.start, range.end)`).
/// `booker_tz`: the invitee's zone, used only for grid alignment.
///
/// When `rules` has period limits, `bookings` must include this event type's
/// bookings for every period the range touches (e.g. the whole year for a
/// yearly limit). An event type with a zero duration or interval has no slots.
pub fn compute_slots(
    schedule: &Schedule,
    rules: &SlotRules,
    bookings: &[ExistingBooking],
    range: Span,
    now: DateTime<Utc>,
    booker_tz: Tz,
) -> Vec<Span> {
    let Some(grid) = Grid::new(rules, booker_tz) else {
        return Vec::new();
    };
    let Some(starts) = rules
        .bookable_span(now, schedule.tz)
        .and_then(|bookable| bookable.intersection(&range))
    else {
        return Vec::new();
    };
    // Reach back to the local midnight before the first start: that is where
    // the grid of a free stretch already running at that time is anchored.
    let window = Span::new(
        day_anchor(schedule.tz, starts.start),
        starts.end + grid.duration,
    );
    let free = free_ranges(schedule, rules, bookings, window);
    let midnights = local_midnights(schedule.tz, window);
    let limits = LimitUsage::new(rules, schedule.tz, same_type_spans(bookings));
    segments(&free, &midnights)
        .flat_map(|segment| grid.slots_in(segment, starts))
        .filter(|slot| limits.full_period(slot.start).is_none())
        .collect()
}

/// Validate that `start` is a slot that can be booked now; returns the
/// meeting span `[start, start + duration)`.
///
/// Accepts exactly the starts [`compute_slots`] offers for the same inputs,
/// so a booking request can be validated without listing slots.
///
/// # Errors
///
/// The first rule `start` breaks, in the order documented on [`SlotError`].
pub fn check_slot(
    schedule: &Schedule,
    rules: &SlotRules,
    bookings: &[ExistingBooking],
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    booker_tz: Tz,
) -> Result<Span, SlotError> {
    check_timing(rules, start, now, schedule.tz)?;
    let limits = LimitUsage::new(rules, schedule.tz, same_type_spans(bookings));
    if let Some(period) = limits.full_period(start) {
        return Err(SlotError::LimitReached { period });
    }
    let slot = Span::new(start, start + minutes(rules.duration_min));
    if bookings
        .iter()
        .filter_map(|booking| blocked(rules, booking))
        .any(|busy| busy.overlaps(&slot))
    {
        return Err(SlotError::Taken);
    }
    let grid = Grid::new(rules, booker_tz).ok_or(SlotError::NotOnSlot)?;
    // Same anchoring as `compute_slots`: free time is cut at the local
    // midnight before the start, where a running grid restarts.
    let window = Span::new(day_anchor(schedule.tz, start), slot.end);
    free_ranges(schedule, rules, bookings, window)
        .iter()
        .find(|free| free.contains(&slot))
        .filter(|free| grid.is_on_grid(free.start, start))
        .map(|_| slot)
        .ok_or(SlotError::NotOnSlot)
}

/// The notice and booking-window checks, which need no bookings.
fn check_timing(
    rules: &SlotRules,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(), SlotError> {
    if start < now {
        return Err(SlotError::InPast);
    }
    if start < now + minutes(rules.min_notice_min) {
        return Err(SlotError::TooSoon {
            notice_min: rules.min_notice_min,
        });
    }
    let in_window = rules
        .bookable_span(now, tz)
        .is_some_and(|bookable| bookable.start <= start && start < bookable.end);
    if !in_window {
        return Err(SlotError::OutsideWindow);
    }
    Ok(())
}

/// Whole minutes as a duration.
fn minutes(count: u32) -> TimeDelta {
    TimeDelta::minutes(i64::from(count))
}

/// The meetings that count towards this event type's limits.
fn same_type_spans(bookings: &[ExistingBooking]) -> impl Iterator<Item = Span> + '_ {
    bookings
        .iter()
        .filter(|booking| booking.same_event_type)
        .map(|booking| booking.span)
}

/// The span a slot of this event type must stay out of because of `booking`:
/// its buffered span widened by our own buffers, so that "slot inside free
/// time" equals "buffered slot does not overlap buffered booking". `None` for
/// a booking that occupies no time at all.
fn blocked(rules: &SlotRules, booking: &ExistingBooking) -> Option<Span> {
    let busy = booking.buffered();
    (!busy.is_empty()).then(|| {
        Span::new(
            busy.start - minutes(rules.buffer_after_min),
            busy.end + minutes(rules.buffer_before_min),
        )
    })
}

/// Availability within `window` with every booking's blocked span removed:
/// the time slots must lie in.
fn free_ranges(
    schedule: &Schedule,
    rules: &SlotRules,
    bookings: &[ExistingBooking],
    window: Span,
) -> Vec<Span> {
    let busy: Vec<Span> = bookings.iter().filter_map(|b| blocked(rules, b)).collect();
    subtract(&schedule.availability(window), &busy)
}

/// The UTC instants of local midnight (schedule zone) on each date that may
/// reach into `window`, ascending.
fn local_midnights(tz: Tz, window: Span) -> Vec<DateTime<Utc>> {
    local_dates(tz, window)
        .map(|date| resolve_local(tz, date, 0))
        .collect()
}

/// The last local midnight (schedule zone) at or before `instant`.
fn day_anchor(tz: Tz, instant: DateTime<Utc>) -> DateTime<Utc> {
    local_midnights(tz, Span::new(instant, instant))
        .into_iter()
        .rfind(|midnight| *midnight <= instant)
        // Unreachable: the midnight of the instant's own date precedes it.
        .unwrap_or(instant)
}

/// A piece of free time over which one grid runs.
#[derive(Debug, Clone, Copy)]
struct Segment {
    /// Where the grid is anchored and up to where it may place starts.
    starts: Span,
    /// End of the free stretch; slots may run past `starts.end` up to here.
    free_end: DateTime<Utc>,
}

/// Splits each free range at the local midnights inside it (`midnights`
/// ascending).
fn segments<'a>(
    free: &'a [Span],
    midnights: &'a [DateTime<Utc>],
) -> impl Iterator<Item = Segment> + 'a {
    free.iter().flat_map(move |range| {
        let first = midnights.partition_point(|m| *m <= range.start);
        let last = midnights.partition_point(|m| *m < range.end);
        let cuts = &midnights[first..last];
        let anchors = iter::once(range.start).chain(cuts.iter().copied());
        let ends = cuts.iter().copied().chain(iter::once(range.end));
        anchors.zip(ends).map(|(anchor, end)| Segment {
            starts: Span::new(anchor, end),
            free_end: range.end,
        })
    })
}

/// Wall-clock alignments a grid snaps to, coarsest first: a 30-minute
/// interval gives :00/:30 starts, a 45-minute one :00/:15/:30/:45.
const ALIGNMENTS_MIN: [u32; 6] = [60, 30, 20, 15, 10, 5];

/// Where slots may start: aligned in the invitee's zone, then every
/// `interval`.
#[derive(Debug, Clone, Copy)]
struct Grid {
    /// Length of each slot.
    duration: TimeDelta,
    /// Distance between consecutive starts.
    step: TimeDelta,
    /// Seconds a first start must be a multiple of, in local time since
    /// midnight; `None` when no alignment divides the interval.
    align_secs: Option<i64>,
    /// Zone whose wall clock the alignment is read in.
    booker_tz: Tz,
}

impl Grid {
    /// `None` when the rules describe no slot at all (zero duration or
    /// interval).
    fn new(rules: &SlotRules, booker_tz: Tz) -> Option<Grid> {
        if rules.duration_min == 0 || rules.interval_min == 0 {
            return None;
        }
        let align_secs = ALIGNMENTS_MIN
            .into_iter()
            .find(|&align| rules.interval_min.is_multiple_of(align))
            .map(|align| i64::from(align) * 60);
        Some(Grid {
            duration: minutes(rules.duration_min),
            step: minutes(rules.interval_min),
            align_secs,
            booker_tz,
        })
    }

    /// The slots of `segment` whose start lies in `allowed`.
    fn slots_in(&self, segment: Segment, allowed: Span) -> impl Iterator<Item = Span> {
        let Grid { duration, step, .. } = *self;
        let first = self.at_or_after(self.first(segment.starts.start), allowed.start);
        let starts_end = segment.starts.end.min(allowed.end);
        let last_start = segment.free_end - duration;
        iter::successors(Some(first), move |start| Some(*start + step))
            .take_while(move |start| *start < starts_end && *start <= last_start)
            .map(move |start| Span::new(start, start + duration))
    }

    /// Whether `start` is a grid point of the grid anchored at `anchor`.
    fn is_on_grid(&self, anchor: DateTime<Utc>, start: DateTime<Utc>) -> bool {
        self.at_or_after(self.first(anchor), start) == start
    }

    /// The first start of a grid anchored at `anchor`.
    fn first(&self, anchor: DateTime<Utc>) -> DateTime<Utc> {
        match self.align_secs {
            Some(align) => next_aligned(self.booker_tz, anchor, align),
            None => anchor,
        }
    }

    /// The first grid point at or after `instant`, on the grid through `first`.
    fn at_or_after(&self, first: DateTime<Utc>, instant: DateTime<Utc>) -> DateTime<Utc> {
        if instant <= first {
            return first;
        }
        let behind = instant - first;
        let step = self.step.num_seconds();
        // Ceiling division, counting a fraction of a second as a whole one.
        let whole = behind.num_seconds() + i64::from(behind.subsec_nanos() > 0);
        let steps = (whole + step - 1) / step;
        first + TimeDelta::seconds(steps * step)
    }
}

/// The first instant at or after `instant` whose local time in `tz` is a whole
/// multiple of `align_secs` since midnight.
///
/// Rounds up under the offset in force, and again if a DST change moved the
/// result off alignment (e.g. Lord Howe's 30-minute shift under a 60-minute
/// alignment).
fn next_aligned(tz: Tz, instant: DateTime<Utc>, align_secs: i64) -> DateTime<Utc> {
    let nanos = instant.timestamp_subsec_nanos();
    let mut candidate = if nanos == 0 {
        instant
    } else {
        instant - TimeDelta::nanoseconds(nanos.into()) + TimeDelta::seconds(1)
    };
    loop {
        let offset = tz.offset_from_utc_datetime(&candidate.naive_utc()).fix();
        let local_secs = candidate.timestamp() + i64::from(offset.local_minus_utc());
        let past_alignment = local_secs.rem_euclid(align_secs);
        if past_alignment == 0 {
            return candidate;
        }
        candidate += TimeDelta::seconds(align_secs - past_alignment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::{BookingWindow, PeriodLimits};
    use crate::domain::schedule::{
        DateOverride, LocalRange, WEEK, WORKWEEK, WeeklyRule, parse_hhmm,
    };
    use chrono::{NaiveDate, Weekday};
    use chrono_tz::America::New_York;
    use chrono_tz::Asia::Kolkata;
    use chrono_tz::Australia::Lord_Howe;
    use chrono_tz::Europe::Berlin;
    use chrono_tz::UTC;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn hhmm(s: &str) -> u16 {
        parse_hhmm(s).unwrap()
    }

    /// Local wall-clock `time` on `day` in `tz`, as UTC.
    fn local(tz: Tz, day: NaiveDate, time: &str) -> DateTime<Utc> {
        resolve_local(tz, day, hhmm(time))
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn range(start: &str, end: &str) -> LocalRange {
        LocalRange::new(hhmm(start), hhmm(end)).unwrap()
    }

    fn schedule(tz: Tz, days: &[Weekday], ranges: &[(&str, &str)]) -> Schedule {
        let ranges: Vec<LocalRange> = ranges
            .iter()
            .map(|&(start, end)| range(start, end))
            .collect();
        Schedule::weekly(tz, days, &ranges)
    }

    /// The Berlin host of the examples: Mon–Fri 09:00–12:00 and 13:00–17:00.
    fn berlin_office() -> Schedule {
        schedule(Berlin, &WORKWEEK, &[("09:00", "12:00"), ("13:00", "17:00")])
    }

    fn thirty_minutes() -> SlotRules {
        SlotRules {
            duration_min: 30,
            interval_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min: 0,
            window: BookingWindow::Unlimited,
            count_limits: PeriodLimits::default(),
            duration_limits: PeriodLimits::default(),
        }
    }

    fn booking(start: DateTime<Utc>, end: DateTime<Utc>) -> ExistingBooking {
        ExistingBooking {
            span: Span::new(start, end),
            buffer_before_min: 0,
            buffer_after_min: 0,
            same_event_type: false,
        }
    }

    /// The whole local `day` in `tz`.
    fn whole_day(tz: Tz, day: NaiveDate) -> Span {
        Span::new(local(tz, day, "00:00"), local(tz, day, "24:00"))
    }

    /// A moment long before every test day, so nothing is filtered as past.
    fn long_ago() -> DateTime<Utc> {
        utc(2025, 1, 1, 0, 0)
    }

    /// Slot starts as "HH:MM" in `tz`, for readable expectations.
    fn starts(slots: &[Span], tz: Tz) -> Vec<String> {
        slots
            .iter()
            .map(|slot| slot.start.with_timezone(&tz).format("%H:%M").to_string())
            .collect()
    }

    #[test]
    fn weekday_and_weekend_slots() {
        let weekday = [
            "09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "13:00", "13:30", "14:00",
            "14:30", "15:00", "15:30", "16:00", "16:30",
        ];
        #[rustfmt::skip]
        let cases = [
            ("monday", date(2026, 1, 5), weekday.to_vec()),
            ("friday", date(2026, 1, 9), weekday.to_vec()),
            ("saturday", date(2026, 1, 10), vec![]),
            ("sunday", date(2026, 1, 11), vec![]),
        ];
        for (name, day, expected) in cases {
            let slots = compute_slots(
                &berlin_office(),
                &thirty_minutes(),
                &[],
                whole_day(Berlin, day),
                long_ago(),
                Berlin,
            );
            assert_eq!(starts(&slots, Berlin), expected, "{name}");
            assert!(
                slots.iter().all(|slot| slot.minutes() == 30),
                "{name}: slot length"
            );
        }
    }

    #[test]
    fn dst_days_keep_local_hours() {
        #[rustfmt::skip]
        let cases = [
            ("berlin before spring forward", Berlin, date(2026, 3, 28), utc(2026, 3, 28, 8, 0)),
            ("berlin spring forward", Berlin, date(2026, 3, 29), utc(2026, 3, 29, 7, 0)),
            ("berlin before fall back", Berlin, date(2026, 10, 24), utc(2026, 10, 24, 7, 0)),
            ("berlin fall back", Berlin, date(2026, 10, 25), utc(2026, 10, 25, 8, 0)),
            ("new york before spring forward", New_York, date(2026, 3, 7), utc(2026, 3, 7, 14, 0)),
            ("new york spring forward", New_York, date(2026, 3, 8), utc(2026, 3, 8, 13, 0)),
            ("new york before fall back", New_York, date(2026, 10, 31), utc(2026, 10, 31, 13, 0)),
            ("new york fall back", New_York, date(2026, 11, 1), utc(2026, 11, 1, 14, 0)),
        ];
        for (name, tz, day, first_utc) in cases {
            let every_day = schedule(tz, &WEEK, &[("09:00", "17:00")]);
            let slots = compute_slots(
                &every_day,
                &thirty_minutes(),
                &[],
                whole_day(tz, day),
                long_ago(),
                tz,
            );
            assert_eq!(
                slots.first().map(|slot| slot.start),
                Some(first_utc),
                "{name}: first slot"
            );
            assert_eq!(slots.len(), 16, "{name}: eight local hours");
            assert_eq!(starts(&slots[..1], tz), ["09:00"], "{name}: local start");
            assert_eq!(
                starts(&slots[15..], tz),
                ["16:30"],
                "{name}: local last start"
            );
        }
    }

    #[test]
    fn dst_transition_ranges() {
        let spring = date(2026, 3, 29);
        let fall = date(2026, 10, 25);
        #[rustfmt::skip]
        let cases = [
            ("01:30-03:30 over the gap holds one real hour", spring, range("01:30", "03:30"), vec![utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0)]),
            ("range inside the gap has no slots", spring, range("02:00", "02:30"), vec![]),
            ("ambiguous start takes the first occurrence: two real hours", fall, range("02:30", "03:30"), vec![utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2, 0)]),
        ];
        for (name, day, local_range, expected) in cases {
            let host = Schedule {
                tz: Berlin,
                weekly: vec![],
                overrides: vec![DateOverride {
                    date: day,
                    ranges: vec![local_range],
                }],
            };
            let slots = compute_slots(
                &host,
                &thirty_minutes(),
                &[],
                whole_day(Berlin, day),
                long_ago(),
                Berlin,
            );
            let got: Vec<_> = slots.iter().map(|slot| slot.start).collect();
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn overrides_in_slots() {
        let monday = date(2026, 1, 5);
        // (name, override ranges for monday if any, slot count, first start)
        #[rustfmt::skip]
        let cases = [
            ("weekly hours", None, 14, Some("09:00")),
            ("override replaces the day", Some(vec![range("14:00", "15:00")]), 2, Some("14:00")),
            ("empty override means unavailable", Some(vec![]), 0, None),
            ("full-day override", Some(vec![range("00:00", "24:00")]), 48, Some("00:00")),
        ];
        for (name, ranges, count, first) in cases {
            let host = Schedule {
                overrides: ranges
                    .into_iter()
                    .map(|ranges| DateOverride {
                        date: monday,
                        ranges,
                    })
                    .collect(),
                ..berlin_office()
            };
            let slots = compute_slots(
                &host,
                &thirty_minutes(),
                &[],
                whole_day(Berlin, monday),
                long_ago(),
                Berlin,
            );
            assert_eq!(slots.len(), count, "{name}: count");
            assert_eq!(
                starts(&slots, Berlin).first().map(String::as_str),
                first,
                "{name}: first"
            );
        }
    }

    #[test]
    fn buffers_and_grid_restarts() {
        let day = date(2026, 1, 5);
        let at = |time| local(UTC, day, time);
        let host = schedule(UTC, &[Weekday::Mon], &[("09:00", "17:00")]);
        // (name, booking start, booking end, its buffers before/after,
        //  interval, our buffers before/after, starts within 09:00-12:00)
        #[rustfmt::skip]
        let cases = [
            ("no booking", None, 0, 0, 30, 0, 0, vec!["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]),
            ("plain booking", Some(("10:00", "10:30")), 0, 0, 30, 0, 0, vec!["09:00", "09:30", "10:30", "11:00", "11:30"]),
            ("booking after-buffer skips unaligned 10:45", Some(("10:00", "10:30")), 0, 15, 30, 0, 0, vec!["09:00", "09:30", "11:00", "11:30"]),
            ("booking after-buffer with 15-minute interval", Some(("10:00", "10:30")), 0, 15, 15, 0, 0, vec!["09:00", "09:15", "09:30", "10:45", "11:00", "11:15", "11:30", "11:45"]),
            ("booking before-buffer", Some(("10:00", "10:30")), 30, 0, 30, 0, 0, vec!["09:00", "10:30", "11:00", "11:30"]),
            ("own before-buffer", Some(("10:00", "10:30")), 0, 0, 30, 15, 0, vec!["09:00", "09:30", "11:00", "11:30"]),
            ("own after-buffer", Some(("10:00", "10:30")), 0, 0, 30, 0, 15, vec!["09:00", "10:30", "11:00", "11:30"]),
            ("own buffers may leave availability", None, 0, 0, 30, 60, 0, vec!["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]),
            ("odd busy end, interval 30", Some(("10:00", "10:20")), 0, 0, 30, 0, 0, vec!["09:00", "09:30", "10:30", "11:00", "11:30"]),
            ("odd busy end, interval 20", Some(("10:00", "10:20")), 0, 0, 20, 0, 0, vec!["09:00", "09:20", "10:20", "10:40", "11:00", "11:20", "11:40"]),
            ("odd busy end, interval 45", Some(("10:00", "10:20")), 0, 0, 45, 0, 0, vec!["09:00", "10:30", "11:15"]),
            ("unaligned interval starts at the busy end", Some(("10:00", "10:20")), 0, 0, 35, 0, 0, vec!["09:00", "10:20", "10:55", "11:30"]),
        ];
        for (name, busy, their_before, their_after, interval, our_before, our_after, expected) in
            cases
        {
            let bookings: Vec<_> = busy
                .into_iter()
                .map(|(start, end)| ExistingBooking {
                    buffer_before_min: their_before,
                    buffer_after_min: their_after,
                    ..booking(at(start), at(end))
                })
                .collect();
            let rules = SlotRules {
                interval_min: interval,
                buffer_before_min: our_before,
                buffer_after_min: our_after,
                ..thirty_minutes()
            };
            let morning = Span::new(at("09:00"), at("12:00"));
            let slots = compute_slots(&host, &rules, &bookings, morning, long_ago(), UTC);
            assert_eq!(starts(&slots, UTC), expected, "{name}");
        }
    }

    #[test]
    fn grid_aligns_in_the_bookers_zone() {
        let day = date(2026, 1, 5);
        let host = schedule(UTC, &[Weekday::Mon], &[("09:00", "17:00")]);
        let on_the_hour = vec![
            "09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00",
        ];
        let on_the_half_hour = vec![
            "09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30",
        ];
        #[rustfmt::skip]
        let cases = [
            ("utc booker, hourly", UTC, 60, on_the_hour.clone()),
            ("kolkata booker, hourly", Kolkata, 60, on_the_half_hour.clone()),
            ("kolkata booker, every two hours", Kolkata, 120, vec!["09:30", "11:30", "13:30", "15:30"]),
            ("new york booker, hourly", New_York, 60, on_the_hour.clone()),
            ("lord howe booker in summer (+11)", Lord_Howe, 60, on_the_hour),
        ];
        for (name, booker_tz, interval, expected) in cases {
            let rules = SlotRules {
                duration_min: 60,
                interval_min: interval,
                ..thirty_minutes()
            };
            let slots = compute_slots(
                &host,
                &rules,
                &[],
                whole_day(UTC, day),
                long_ago(),
                booker_tz,
            );
            assert_eq!(starts(&slots, UTC), expected, "{name}");
        }
    }

    #[test]
    fn next_aligned_respects_the_zone() {
        #[rustfmt::skip]
        let cases = [
            ("already aligned", UTC, utc(2026, 1, 5, 9, 0), 30, utc(2026, 1, 5, 9, 0)),
            ("rounds up", UTC, utc(2026, 1, 5, 9, 1), 30, utc(2026, 1, 5, 9, 30)),
            ("half-hour zone", Kolkata, utc(2026, 1, 5, 9, 0), 60, utc(2026, 1, 5, 9, 30)),
            ("sub-second rounds up", UTC, utc(2026, 1, 5, 9, 0) + TimeDelta::milliseconds(1), 5, utc(2026, 1, 5, 9, 5)),
            // Lord Howe falls back 30 minutes at 02:00 local (+11 to +10:30) on
            // 2026-04-05: rounding 01:50 up to 02:00 under the old offset lands on
            // 01:30 local, so the search continues to 02:00 local.
            ("half-hour dst shift", Lord_Howe, utc(2026, 4, 4, 14, 50), 60, utc(2026, 4, 4, 15, 30)),
        ];
        for (name, tz, instant, align_min, expected) in cases {
            assert_eq!(
                next_aligned(tz, instant, align_min * 60),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn notice_and_window_filter_starts() {
        // 2026-01-05 is a Monday; the host works Mon–Fri.
        let monday = date(2026, 1, 5);
        let friday = date(2026, 1, 9);
        let all_january = Span::new(
            local(Berlin, monday, "00:00"),
            local(Berlin, date(2026, 2, 1), "00:00"),
        );
        let berlin = |day: NaiveDate, time| local(Berlin, day, time);
        // (name, now, notice, window, first start, last start)
        #[rustfmt::skip]
        let cases = [
            ("no notice", berlin(monday, "08:00"), 0, BookingWindow::CalendarDays(0), berlin(monday, "09:00"), berlin(monday, "16:30")),
            ("now inside a slot", berlin(monday, "09:10"), 0, BookingWindow::CalendarDays(0), berlin(monday, "09:30"), berlin(monday, "16:30")),
            ("two hours notice", berlin(monday, "08:00"), 120, BookingWindow::CalendarDays(0), berlin(monday, "10:00"), berlin(monday, "16:30")),
            ("notice off the grid", berlin(monday, "08:00"), 125, BookingWindow::CalendarDays(0), berlin(monday, "10:30"), berlin(monday, "16:30")),
            ("notice into tomorrow", berlin(monday, "16:00"), 18 * 60, BookingWindow::CalendarDays(1), berlin(date(2026, 1, 6), "10:00"), berlin(date(2026, 1, 6), "16:30")),
            ("calendar days over a weekend", berlin(friday, "08:00"), 0, BookingWindow::CalendarDays(3), berlin(friday, "09:00"), berlin(date(2026, 1, 12), "16:30")),
            ("business days over a weekend", berlin(friday, "08:00"), 0, BookingWindow::BusinessDays(2), berlin(friday, "09:00"), berlin(date(2026, 1, 13), "16:30")),
            ("fixed date range", berlin(monday, "08:00"), 0, BookingWindow::DateRange { start: date(2026, 1, 13), end: date(2026, 1, 14) }, berlin(date(2026, 1, 13), "09:00"), berlin(date(2026, 1, 14), "16:30")),
        ];
        for (name, now, notice, window, first, last) in cases {
            let rules = SlotRules {
                min_notice_min: notice,
                window,
                ..thirty_minutes()
            };
            let slots = compute_slots(&berlin_office(), &rules, &[], all_january, now, Berlin);
            assert_eq!(slots.first().map(|s| s.start), Some(first), "{name}: first");
            assert_eq!(slots.last().map(|s| s.start), Some(last), "{name}: last");
        }
    }

    #[test]
    fn nothing_bookable_gives_no_slots() {
        let monday = date(2026, 1, 5);
        #[rustfmt::skip]
        let cases = [
            ("past date range", SlotRules { window: BookingWindow::DateRange { start: date(2025, 12, 1), end: date(2025, 12, 31) }, ..thirty_minutes() }),
            ("zero duration", SlotRules { duration_min: 0, ..thirty_minutes() }),
            ("zero interval", SlotRules { interval_min: 0, ..thirty_minutes() }),
            ("limit of zero", SlotRules { count_limits: PeriodLimits { year: Some(0), ..PeriodLimits::default() }, ..thirty_minutes() }),
        ];
        for (name, rules) in cases {
            let slots = compute_slots(
                &berlin_office(),
                &rules,
                &[],
                whole_day(Berlin, monday),
                long_ago(),
                Berlin,
            );
            assert_eq!(slots, vec![], "{name}");
        }
    }

    #[test]
    fn period_limits_drop_full_periods() {
        // Week of Mon 2026-01-05; one slot taken on each of Mon, Tue (this
        // event type) and Wed (another event type).
        let days = [5, 6, 7, 8, 9, 12].map(|d| date(2026, 1, d));
        let bookings = [(5, true), (6, true), (7, false)].map(|(d, same_event_type)| {
            let day = date(2026, 1, d);
            ExistingBooking {
                same_event_type,
                ..booking(local(Berlin, day, "10:00"), local(Berlin, day, "10:30"))
            }
        });
        let none = PeriodLimits::default();
        // (name, count limits, duration limits, slots on Mon..Fri and next Mon)
        #[rustfmt::skip]
        let cases = [
            ("no limits", none, none, [13, 13, 13, 14, 14, 14]),
            ("one per day", PeriodLimits { day: Some(1), ..none }, none, [0, 0, 13, 14, 14, 14]),
            ("two per week", PeriodLimits { week: Some(2), ..none }, none, [0, 0, 0, 0, 0, 14]),
            ("three per week", PeriodLimits { week: Some(3), ..none }, none, [13, 13, 13, 14, 14, 14]),
            ("two per month", PeriodLimits { month: Some(2), ..none }, none, [0, 0, 0, 0, 0, 0]),
            ("sixty minutes per day", none, PeriodLimits { day: Some(60), ..none }, [13, 13, 13, 14, 14, 14]),
            ("thirty minutes per day", none, PeriodLimits { day: Some(30), ..none }, [0, 0, 13, 14, 14, 14]),
            ("ninety minutes per week", none, PeriodLimits { week: Some(90), ..none }, [13, 13, 13, 14, 14, 14]),
            ("eighty minutes per week", none, PeriodLimits { week: Some(80), ..none }, [0, 0, 0, 0, 0, 14]),
        ];
        for (name, count_limits, duration_limits, expected) in cases {
            let rules = SlotRules {
                count_limits,
                duration_limits,
                ..thirty_minutes()
            };
            let per_day = days.map(|day| {
                compute_slots(
                    &berlin_office(),
                    &rules,
                    &bookings,
                    whole_day(Berlin, day),
                    long_ago(),
                    Berlin,
                )
                .len()
            });
            assert_eq!(per_day, expected, "{name}");
        }
    }

    #[test]
    fn check_slot_reports_the_first_failed_rule() {
        let monday = date(2026, 1, 5);
        let tuesday = date(2026, 1, 6);
        let berlin = |day: NaiveDate, time| local(Berlin, day, time);
        let rules = SlotRules {
            min_notice_min: 60,
            window: BookingWindow::CalendarDays(14),
            count_limits: PeriodLimits {
                day: Some(1),
                ..PeriodLimits::default()
            },
            ..thirty_minutes()
        };
        let bookings = [
            ExistingBooking {
                same_event_type: true,
                ..booking(berlin(tuesday, "10:00"), berlin(tuesday, "10:30"))
            },
            ExistingBooking {
                same_event_type: true,
                ..booking(
                    berlin(date(2026, 1, 30), "10:00"),
                    berlin(date(2026, 1, 30), "10:30"),
                )
            },
            booking(berlin(monday, "11:00"), berlin(monday, "11:30")),
        ];
        let now = berlin(monday, "08:00");
        #[rustfmt::skip]
        let cases = [
            ("valid slot", berlin(monday, "09:00"), Ok(Span::new(berlin(monday, "09:00"), berlin(monday, "09:30")))),
            ("valid slot right after a booking", berlin(monday, "11:30"), Ok(Span::new(berlin(monday, "11:30"), berlin(monday, "12:00")))),
            ("in the past", berlin(monday, "07:00"), Err(SlotError::InPast)),
            ("within notice", berlin(monday, "08:30"), Err(SlotError::TooSoon { notice_min: 60 })),
            ("beyond the window", berlin(date(2026, 1, 29), "10:00"), Err(SlotError::OutsideWindow)),
            ("daily limit full", berlin(tuesday, "14:00"), Err(SlotError::LimitReached { period: LimitPeriod::Day })),
            ("same time as a booking", berlin(monday, "11:00"), Err(SlotError::Taken)),
            ("overlapping a booking", berlin(monday, "10:45"), Err(SlotError::Taken)),
            ("off the grid", berlin(monday, "09:15"), Err(SlotError::NotOnSlot)),
            ("lunch break", berlin(monday, "12:00"), Err(SlotError::NotOnSlot)),
            ("running into lunch", berlin(monday, "11:45"), Err(SlotError::NotOnSlot)),
            ("weekend", berlin(date(2026, 1, 10), "10:00"), Err(SlotError::NotOnSlot)),
            ("past beats everything", berlin(date(2026, 1, 3), "10:07"), Err(SlotError::InPast)),
            ("notice beats not on slot", berlin(monday, "08:15"), Err(SlotError::TooSoon { notice_min: 60 })),
            ("window beats limit", berlin(date(2026, 1, 30), "14:00"), Err(SlotError::OutsideWindow)),
            ("limit beats taken", berlin(tuesday, "10:00"), Err(SlotError::LimitReached { period: LimitPeriod::Day })),
            ("taken beats not on slot", berlin(monday, "11:10"), Err(SlotError::Taken)),
        ];
        for (name, start, expected) in cases {
            assert_eq!(
                check_slot(&berlin_office(), &rules, &bookings, start, now, Berlin),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn check_slot_rejects_degenerate_rules() {
        let monday = date(2026, 1, 5);
        let start = local(Berlin, monday, "09:00");
        #[rustfmt::skip]
        let cases = [
            ("zero duration", SlotRules { duration_min: 0, ..thirty_minutes() }),
            ("zero interval", SlotRules { interval_min: 0, ..thirty_minutes() }),
        ];
        for (name, rules) in cases {
            assert_eq!(
                check_slot(&berlin_office(), &rules, &[], start, long_ago(), Berlin),
                Err(SlotError::NotOnSlot),
                "{name}"
            );
        }
    }

    #[test]
    fn slot_error_messages_read_alone() {
        #[rustfmt::skip]
        let cases = [
            ("past", SlotError::InPast, "this time is in the past"),
            ("notice", SlotError::TooSoon { notice_min: 120 }, "bookings for this event type must be made at least 120 minutes in advance"),
            ("window", SlotError::OutsideWindow, "this time is outside the period in which this event type can be booked"),
            ("daily limit", SlotError::LimitReached { period: LimitPeriod::Day }, "the daily booking limit for this event type has been reached"),
            ("yearly limit", SlotError::LimitReached { period: LimitPeriod::Year }, "the yearly booking limit for this event type has been reached"),
            ("taken", SlotError::Taken, "this time is already booked"),
            ("not on slot", SlotError::NotOnSlot, "this time is not one of the available slots for this event type"),
        ];
        for (name, error, expected) in cases {
            assert_eq!(error.to_string(), expected, "{name}");
        }
    }

    #[test]
    fn grid_restarts_at_local_midnight() {
        // Round the clock with a 50-minute interval (align 10): each local day
        // starts its own grid at 00:00, and a slot may run over midnight.
        let host = schedule(Berlin, &WEEK, &[("00:00", "24:00")]);
        let rules = SlotRules {
            duration_min: 50,
            interval_min: 50,
            ..thirty_minutes()
        };
        let monday = date(2026, 1, 5);
        let tuesday = date(2026, 1, 6);
        let two_days = Span::new(
            local(Berlin, monday, "00:00"),
            local(Berlin, tuesday, "24:00"),
        );
        #[rustfmt::skip]
        let cases = [
            ("whole range", two_days),
            ("range starting on tuesday", whole_day(Berlin, tuesday)),
        ];
        for (name, requested) in cases {
            let slots = compute_slots(&host, &rules, &[], requested, long_ago(), Berlin);
            let tuesday_starts: Vec<_> = slots
                .iter()
                .filter(|slot| slot.start >= local(Berlin, tuesday, "00:00"))
                .map(|slot| slot.start)
                .take(2)
                .collect();
            assert_eq!(
                tuesday_starts,
                [
                    local(Berlin, tuesday, "00:00"),
                    local(Berlin, tuesday, "00:50")
                ],
                "{name}"
            );
        }
        let monday_slots = compute_slots(
            &host,
            &rules,
            &[],
            whole_day(Berlin, monday),
            long_ago(),
            Berlin,
        );
        assert_eq!(
            monday_slots.last().copied(),
            Some(Span::new(
                local(Berlin, monday, "23:20"),
                local(Berlin, tuesday, "00:10")
            )),
            "last monday slot runs over midnight"
        );
    }

    mod invariants {
        use super::*;
        use proptest::prelude::*;

        const ZONES: [Tz; 5] = [Berlin, New_York, Kolkata, Lord_Howe, UTC];

        /// Days next to DST changes in the zones above, plus a quiet one.
        fn base_day() -> impl Strategy<Value = NaiveDate> {
            prop::sample::select(vec![
                date(2026, 3, 7),
                date(2026, 3, 28),
                date(2026, 4, 4),
                date(2026, 6, 15),
                date(2026, 10, 3),
                date(2026, 10, 24),
                date(2026, 10, 31),
            ])
        }

        fn zone() -> impl Strategy<Value = Tz> {
            prop::sample::select(ZONES.to_vec())
        }

        /// Five-minute ranges, often touching midnight so that free time runs
        /// from one day into the next.
        fn local_range() -> impl Strategy<Value = LocalRange> {
            let start = prop_oneof![1 => Just(0u16), 3 => (0u16..288).prop_map(|q| q * 5)];
            let length = prop_oneof![1 => Just(1440u16), 3 => (1u16..=144).prop_map(|q| q * 5)];
            (start, length).prop_map(|(start, length)| {
                LocalRange::new(start, (start + length).min(1440)).unwrap()
            })
        }

        fn host(base: NaiveDate) -> impl Strategy<Value = Schedule> {
            // One to three ranges on each weekday, so most days have some hours.
            let weekly = prop::collection::vec(prop::collection::vec(local_range(), 1..4), 7);
            let overrides =
                prop::collection::vec((0u64..5, prop::collection::vec(local_range(), 0..3)), 0..3);
            (zone(), weekly, overrides).prop_map(move |(tz, weekly, overrides)| Schedule {
                tz,
                weekly: WEEK
                    .into_iter()
                    .zip(weekly)
                    .flat_map(|(weekday, ranges)| {
                        ranges
                            .into_iter()
                            .map(move |range| WeeklyRule { weekday, range })
                    })
                    .collect(),
                overrides: overrides
                    .into_iter()
                    .map(|(offset, ranges)| DateOverride {
                        date: base + chrono::Days::new(offset),
                        ranges,
                    })
                    .collect(),
            })
        }

        fn window(base: NaiveDate) -> impl Strategy<Value = BookingWindow> {
            prop_oneof![
                3 => Just(BookingWindow::Unlimited),
                1 => (0u32..6).prop_map(BookingWindow::CalendarDays),
                1 => (0u32..6).prop_map(BookingWindow::BusinessDays),
                1 => (0u64..3, 0u64..3).prop_map(move |(from, length)| BookingWindow::DateRange {
                    start: base + chrono::Days::new(from),
                    end: base + chrono::Days::new(from + length),
                }),
            ]
        }

        fn limits(max: u32) -> impl Strategy<Value = PeriodLimits> {
            (
                prop::option::weighted(0.15, 1..=max),
                prop::option::weighted(0.15, 1..=max * 3),
            )
                .prop_map(|(day, week)| PeriodLimits {
                    day,
                    week,
                    ..PeriodLimits::default()
                })
        }

        fn rules(base: NaiveDate) -> impl Strategy<Value = SlotRules> {
            let duration = prop::sample::select(vec![5u32, 15, 20, 30, 45, 60, 90]);
            let interval = prop::option::of(prop::sample::select(vec![
                5u32, 7, 10, 15, 20, 25, 30, 45, 50, 60, 75, 90, 120,
            ]));
            let notice = prop::sample::select(vec![0u32, 0, 10, 60, 600]);
            (
                duration,
                interval,
                0u32..=30,
                0u32..=30,
                notice,
                window(base),
                limits(3),
                limits(240),
            )
                .prop_map(
                    |(
                        duration,
                        interval,
                        before,
                        after,
                        notice,
                        window,
                        count_limits,
                        duration_limits,
                    )| SlotRules {
                        duration_min: duration,
                        interval_min: interval.unwrap_or(duration),
                        buffer_before_min: before,
                        buffer_after_min: after,
                        min_notice_min: notice,
                        window,
                        count_limits,
                        duration_limits,
                    },
                )
        }

        fn bookings(origin: DateTime<Utc>) -> impl Strategy<Value = Vec<ExistingBooking>> {
            let one = (
                -1440i64..5 * 1440,
                0i64..=120,
                0u32..=30,
                0u32..=30,
                any::<bool>(),
            )
                .prop_map(move |(offset, length, before, after, same_event_type)| {
                    let start = origin + TimeDelta::minutes(offset);
                    ExistingBooking {
                        span: Span::new(start, start + TimeDelta::minutes(length)),
                        buffer_before_min: before,
                        buffer_after_min: after,
                        same_event_type,
                    }
                });
            prop::collection::vec(one, 0..10)
        }

        /// One random scheduling question around a DST-prone day.
        #[derive(Debug, Clone)]
        struct Case {
            host: Schedule,
            rules: SlotRules,
            bookings: Vec<ExistingBooking>,
            range: Span,
            now: DateTime<Utc>,
            booker_tz: Tz,
        }

        impl Case {
            fn slots(&self) -> Vec<Span> {
                compute_slots(
                    &self.host,
                    &self.rules,
                    &self.bookings,
                    self.range,
                    self.now,
                    self.booker_tz,
                )
            }

            fn check(&self, start: DateTime<Utc>) -> Result<Span, SlotError> {
                check_slot(
                    &self.host,
                    &self.rules,
                    &self.bookings,
                    start,
                    self.now,
                    self.booker_tz,
                )
            }
        }

        fn any_case(max_range_min: i64) -> impl Strategy<Value = Case> {
            base_day().prop_flat_map(move |base| {
                let origin = base.and_time(chrono::NaiveTime::MIN).and_utc();
                (
                    host(base),
                    rules(base),
                    bookings(origin),
                    (-720i64..1440, 360..max_range_min),
                    -2880i64..720,
                    zone(),
                )
                    .prop_map(
                        move |(host, rules, bookings, (from, length), now, booker_tz)| {
                            let start = origin + TimeDelta::minutes(from);
                            Case {
                                host,
                                rules,
                                bookings,
                                range: Span::new(start, start + TimeDelta::minutes(length)),
                                now: origin + TimeDelta::minutes(now),
                                booker_tz,
                            }
                        },
                    )
            })
        }

        proptest! {
            #[test]
            fn slots_respect_availability_and_bookings(case in any_case(3 * 1440)) {
                let slots = case.slots();
                let reach = Span::new(case.range.start - TimeDelta::days(2), case.range.end + TimeDelta::days(2));
                let available = case.host.availability(reach);
                for pair in slots.windows(2) {
                    prop_assert!(pair[0].start < pair[1].start, "not sorted and distinct: {pair:?}");
                }
                for slot in &slots {
                    prop_assert!(case.range.start <= slot.start && slot.start < case.range.end, "{slot:?} starts outside the range");
                    prop_assert!(available.iter().any(|a| a.contains(slot)), "{slot:?} is outside availability");
                    let buffered = Span::new(
                        slot.start - minutes(case.rules.buffer_before_min),
                        slot.end + minutes(case.rules.buffer_after_min),
                    );
                    for booking in &case.bookings {
                        prop_assert!(!buffered.overlaps(&booking.buffered()), "{slot:?} collides with {booking:?}");
                    }
                    prop_assert_eq!(case.check(slot.start), Ok(*slot));
                }
            }

            #[test]
            fn slots_do_not_depend_on_the_requested_range(case in any_case(3 * 1440), cut in 0i64..3 * 1440) {
                let later = Span::new((case.range.start + TimeDelta::minutes(cut)).min(case.range.end), case.range.end);
                let narrowed = Case { range: later, ..case.clone() };
                let expected: Vec<Span> = case.slots().into_iter().filter(|slot| slot.start >= later.start).collect();
                prop_assert_eq!(narrowed.slots(), expected);
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            /// Every whole minute is accepted by `check_slot` exactly when
            /// `compute_slots` offers it (all inputs are whole minutes, so
            /// every slot is too).
            #[test]
            fn check_slot_accepts_exactly_the_computed_slots(case in any_case(2 * 1440)) {
                let offered: Vec<DateTime<Utc>> = case.slots().iter().map(|slot| slot.start).collect();
                let minutes_in_range = case.range.minutes();
                for minute in 0..minutes_in_range {
                    let start = case.range.start + TimeDelta::minutes(minute);
                    let accepted = case.check(start).is_ok();
                    prop_assert_eq!(accepted, offered.binary_search(&start).is_ok(), "start {}", start);
                }
            }
        }
    }
}
