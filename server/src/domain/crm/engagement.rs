//! Meeting metrics for one customer (or one CSM's book of customers): how
//! often they meet, how recently, how reliably, and with how many of their
//! people. These are the facts a health score is built from and what a CSM
//! reads on a customer's page.
//!
//! The windows are the last 30 and 90 days before "now", half-open:
//! `[now - 30d, now)` and `[now - 90d, now)`, counted by each meeting's start.
//! Rates, the category breakdown, coverage and the mean gap are taken over one
//! window, 90 days unless the reader asks for another ([`engagement_over`]); the
//! health score always uses 90.
//! Days are 24-hour spans of UTC time, so the figures do not move with a zone's
//! DST changes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::ids::{BookingId, StakeholderId};

/// The category key of meetings without one in [`Engagement::by_category`].
pub const UNCATEGORIZED: &str = "uncategorized";

/// What became of a meeting, as far as the customer relationship cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingOutcome {
    /// Accepted and not marked otherwise: upcoming, or past and not yet marked.
    /// A past one counts as held (see [`MeetingFact::held`]).
    Scheduled,
    /// Marked as held.
    Held,
    /// Cancelled by someone at the customer: a risk signal.
    CancelledByCustomer,
    /// Cancelled by the host's side: not a risk signal, but the meeting was
    /// still planned, so it counts as one scheduled.
    CancelledByHost,
    /// The customer did not show up.
    NoShow,
}

impl MeetingOutcome {
    /// The snake-case word used in storage and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingOutcome::Scheduled => "scheduled",
            MeetingOutcome::Held => "held",
            MeetingOutcome::CancelledByCustomer => "cancelled_by_customer",
            MeetingOutcome::CancelledByHost => "cancelled_by_host",
            MeetingOutcome::NoShow => "no_show",
        }
    }

    /// Parses the stored word; `None` for anything else.
    pub fn parse(s: &str) -> Option<MeetingOutcome> {
        [
            Self::Scheduled,
            Self::Held,
            Self::CancelledByCustomer,
            Self::CancelledByHost,
            Self::NoShow,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// One meeting with a customer, as the engagement metrics need it.
///
/// A booking that was rescheduled is one meeting, not two: pass the
/// replacement (with `rescheduled: true`) and leave out the booking it
/// replaced, or the move would also count as a cancellation.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingFact {
    /// The booking.
    pub booking_id: BookingId,
    /// When it starts (or started).
    pub start: DateTime<Utc>,
    /// What became of it.
    pub outcome: MeetingOutcome,
    /// Whether it replaced an earlier booking.
    pub rescheduled: bool,
    /// The kind of meeting (`qbr`, `check-in`, …), as given; `None` when unknown.
    pub category: Option<String>,
    /// The customer's stakeholders among the attendees.
    pub stakeholder_ids: Vec<StakeholderId>,
}

impl MeetingFact {
    /// Whether the meeting took place: marked held, or still `Scheduled` with a
    /// start before `now`. Hosts rarely mark meetings, so a past accepted
    /// meeting is taken as held unless someone marked it a no-show.
    pub fn held(&self, now: DateTime<Utc>) -> bool {
        match self.outcome {
            MeetingOutcome::Held => true,
            MeetingOutcome::Scheduled => self.start < now,
            _ => false,
        }
    }
}

/// Meeting metrics over the windows in the module doc. Every rate is a
/// fraction in `0.0..=1.0` and `None` when its denominator is zero, so "no
/// meetings" is never shown as "0 % cancelled".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    /// The window the rates, categories, coverage and mean gap are over, in days.
    pub window_days: u32,
    /// Held meetings starting in the window.
    pub meetings_in_window: u32,
    /// Held meetings starting in `[now - 30d, now)`.
    pub meetings_30d: u32,
    /// Held meetings starting in `[now - 90d, now)`.
    pub meetings_90d: u32,
    /// Start of the latest held meeting before now, however long ago.
    pub last_meeting: Option<DateTime<Utc>>,
    /// Start of the earliest `Scheduled` meeting at or after now: whether the
    /// next touch point is already booked.
    pub next_meeting: Option<DateTime<Utc>>,
    /// Mean gap in days between consecutive held meetings of the window;
    /// `None` with fewer than two.
    pub avg_days_between: Option<f64>,
    /// Customer cancellations ÷ meetings scheduled in the window (held,
    /// no-shows and cancellations by either side). Host cancellations are in
    /// the denominator only: the meeting was planned, but the customer did
    /// not call it off.
    pub cancellation_rate: Option<f64>,
    /// No-shows ÷ (held + no-shows) over the window.
    pub no_show_rate: Option<f64>,
    /// Rescheduled meetings ÷ all meetings (as for `cancellation_rate`) of the
    /// window.
    pub reschedule_rate: Option<f64>,
    /// Held meetings of the window per category; meetings without one
    /// are under [`UNCATEGORIZED`].
    pub by_category: BTreeMap<String, u32>,
    /// Distinct stakeholders present at held meetings of the window ÷
    /// the stakeholders known, at most 1.0 (a meeting may name someone since
    /// removed); `None` when no stakeholder is known.
    pub stakeholder_coverage: Option<f64>,
}

/// The window of [`engagement`], and of the health score: a quarter.
pub const DEFAULT_WINDOW_DAYS: u32 = 90;

/// Computes the meeting metrics of `facts` at `now` over the default 90-day
/// window; `stakeholder_count` is how many stakeholders the customer has on
/// file. See [`Engagement`] for each figure's definition.
pub fn engagement(
    facts: &[MeetingFact],
    stakeholder_count: usize,
    now: DateTime<Utc>,
) -> Engagement {
    engagement_over(facts, stakeholder_count, now, DEFAULT_WINDOW_DAYS)
}

/// The same over the last `window_days` days (at least one), for a CSM who
/// wants this month or this year rather than this quarter.
pub fn engagement_over(
    facts: &[MeetingFact],
    stakeholder_count: usize,
    now: DateTime<Utc>,
    window_days: u32,
) -> Engagement {
    let window_days = window_days.max(1);
    let in_window = |days: u32| {
        let since = now - TimeDelta::days(i64::from(days));
        move |f: &&MeetingFact| since <= f.start && f.start < now
    };
    let held = |f: &&MeetingFact| f.held(now);
    let count_held = |days: u32| facts.iter().filter(in_window(days)).filter(held).count();
    let in_range: Vec<&MeetingFact> = facts.iter().filter(in_window(window_days)).collect();
    let held_in_range: Vec<&MeetingFact> = in_range.iter().copied().filter(held).collect();
    let count = |pred: &dyn Fn(&MeetingFact) -> bool| in_range.iter().filter(|f| pred(f)).count();
    let no_shows = count(&|f| f.outcome == MeetingOutcome::NoShow);
    let cancelled = count(&|f| f.outcome == MeetingOutcome::CancelledByCustomer);
    let rescheduled = count(&|f| f.rescheduled);

    Engagement {
        window_days,
        meetings_in_window: saturating_u32(held_in_range.len()),
        meetings_30d: saturating_u32(count_held(30)),
        meetings_90d: saturating_u32(count_held(90)),
        last_meeting: facts
            .iter()
            .filter(|f| f.held(now) && f.start < now)
            .map(|f| f.start)
            .max(),
        next_meeting: facts
            .iter()
            .filter(|f| f.outcome == MeetingOutcome::Scheduled && f.start >= now)
            .map(|f| f.start)
            .min(),
        avg_days_between: avg_days_between(&held_in_range),
        cancellation_rate: ratio(cancelled, in_range.len()),
        no_show_rate: ratio(no_shows, held_in_range.len() + no_shows),
        reschedule_rate: ratio(rescheduled, in_range.len()),
        by_category: by_category(&held_in_range),
        stakeholder_coverage: coverage(&held_in_range, stakeholder_count),
    }
}

fn saturating_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `part / whole`, `None` for an empty whole.
fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The mean of consecutive gaps, which telescopes to (last − first) ÷ (n − 1).
fn avg_days_between(held: &[&MeetingFact]) -> Option<f64> {
    let first = held.iter().map(|f| f.start).min()?;
    let last = held.iter().map(|f| f.start).max()?;
    let gaps = held.len().checked_sub(1).filter(|&g| g > 0)?;
    let span_days = (last - first).num_milliseconds() as f64 / 86_400_000.0;
    Some(span_days / gaps as f64)
}

fn by_category(held: &[&MeetingFact]) -> BTreeMap<String, u32> {
    let mut counts = BTreeMap::new();
    for f in held {
        let key = f.category.as_deref().unwrap_or(UNCATEGORIZED);
        *counts.entry(key.to_owned()).or_insert(0u32) += 1;
    }
    counts
}

fn coverage(held: &[&MeetingFact], stakeholder_count: usize) -> Option<f64> {
    let met: BTreeSet<StakeholderId> = held
        .iter()
        .flat_map(|f| f.stakeholder_ids.iter().copied())
        .collect();
    ratio(met.len(), stakeholder_count).map(|c| c.min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use MeetingOutcome::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    /// `days` after now (negative: before), plus `secs` seconds.
    fn at(days: i64, secs: i64) -> DateTime<Utc> {
        now() + TimeDelta::days(days) + TimeDelta::seconds(secs)
    }

    fn fact(id: i64, start: DateTime<Utc>, outcome: MeetingOutcome) -> MeetingFact {
        MeetingFact {
            booking_id: BookingId(id),
            start,
            outcome,
            rescheduled: false,
            category: None,
            stakeholder_ids: vec![],
        }
    }

    fn rescheduled(mut f: MeetingFact) -> MeetingFact {
        f.rescheduled = true;
        f
    }

    fn with(mut f: MeetingFact, category: Option<&str>, stakeholders: &[i64]) -> MeetingFact {
        f.category = category.map(str::to_owned);
        f.stakeholder_ids = stakeholders.iter().copied().map(StakeholderId).collect();
        f
    }

    #[test]
    fn outcome_words_round_trip() {
        for o in [
            Scheduled,
            Held,
            CancelledByCustomer,
            CancelledByHost,
            NoShow,
        ] {
            assert_eq!(MeetingOutcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(CancelledByCustomer.as_str(), "cancelled_by_customer");
        assert_eq!(MeetingOutcome::parse("noshow"), None);
    }

    #[test]
    fn held_depends_on_now() {
        #[rustfmt::skip]
        let cases = [
            ("past scheduled is held", Scheduled, at(0, -1), true),
            ("scheduled at now is not yet held", Scheduled, at(0, 0), false),
            ("future scheduled", Scheduled, at(1, 0), false),
            ("marked held", Held, at(-3, 0), true),
            ("no-show", NoShow, at(-3, 0), false),
            ("customer cancellation", CancelledByCustomer, at(-3, 0), false),
            ("host cancellation", CancelledByHost, at(-3, 0), false),
        ];
        for (name, outcome, start, expected) in cases {
            assert_eq!(fact(1, start, outcome).held(now()), expected, "{name}");
        }
    }

    #[test]
    fn meeting_counts_respect_window_edges() {
        #[rustfmt::skip]
        let cases = [
            ("just started", vec![fact(1, at(0, -1), Held)], 1, 1),
            ("30 days ago exactly is inside both", vec![fact(1, at(-30, 0), Held)], 1, 1),
            ("a second before 30 days ago", vec![fact(1, at(-30, -1), Held)], 0, 1),
            ("90 days ago exactly is inside", vec![fact(1, at(-90, 0), Scheduled)], 0, 1),
            ("a second before 90 days ago", vec![fact(1, at(-90, -1), Held)], 0, 0),
            ("starting now is not held yet", vec![fact(1, at(0, 0), Scheduled)], 0, 0),
            ("future scheduled", vec![fact(1, at(2, 0), Scheduled)], 0, 0),
            ("no-show and cancellations are not held", vec![
                fact(1, at(-1, 0), NoShow),
                fact(2, at(-2, 0), CancelledByCustomer),
                fact(3, at(-3, 0), CancelledByHost),
            ], 0, 0),
            ("mixed", vec![
                fact(1, at(-1, 0), Held),
                fact(2, at(-10, 0), Scheduled),
                fact(3, at(-40, 0), Held),
                fact(4, at(-89, 0), Held),
                fact(5, at(-200, 0), Held),
                fact(6, at(-5, 0), NoShow),
            ], 2, 4),
        ];
        for (name, facts, d30, d90) in cases {
            let e = engagement(&facts, 0, now());
            assert_eq!((e.meetings_30d, e.meetings_90d), (d30, d90), "{name}");
        }
    }

    #[test]
    fn last_and_next_meeting() {
        #[rustfmt::skip]
        let cases = [
            ("nothing", vec![], None, None),
            ("last held long ago still counts", vec![fact(1, at(-400, 0), Held)], Some(at(-400, 0)), None),
            ("latest held wins", vec![fact(1, at(-20, 0), Held), fact(2, at(-5, 0), Scheduled), fact(3, at(-9, 0), Held)], Some(at(-5, 0)), None),
            ("a later no-show is not the last meeting", vec![fact(1, at(-20, 0), Held), fact(2, at(-2, 0), NoShow)], Some(at(-20, 0)), None),
            ("a later cancellation is not the last meeting", vec![fact(1, at(-20, 0), Held), fact(2, at(-2, 0), CancelledByHost)], Some(at(-20, 0)), None),
            ("earliest upcoming is next", vec![fact(1, at(9, 0), Scheduled), fact(2, at(3, 0), Scheduled)], None, Some(at(3, 0))),
            ("starting now is next, not last", vec![fact(1, at(0, 0), Scheduled)], None, Some(at(0, 0))),
            ("a cancelled future meeting is not next", vec![fact(1, at(1, 0), CancelledByCustomer), fact(2, at(7, 0), Scheduled)], None, Some(at(7, 0))),
            ("held marked on a future start is neither", vec![fact(1, at(1, 0), Held)], None, None),
        ];
        for (name, facts, last, next) in cases {
            let e = engagement(&facts, 0, now());
            assert_eq!((e.last_meeting, e.next_meeting), (last, next), "{name}");
        }
    }

    #[test]
    fn average_days_between_held_meetings() {
        #[rustfmt::skip]
        let cases = [
            ("none", vec![], None),
            ("one", vec![fact(1, at(-10, 0), Held)], None),
            ("two", vec![fact(1, at(-10, 0), Held), fact(2, at(-4, 0), Held)], Some(6.0)),
            ("unsorted three", vec![fact(1, at(-3, 0), Held), fact(2, at(-30, 0), Held), fact(3, at(-12, 0), Scheduled)], Some(13.5)),
            ("half a day", vec![fact(1, at(-2, 0), Held), fact(2, at(-2, 43_200), Held)], Some(0.5)),
            ("only the last 90 days", vec![fact(1, at(-100, 0), Held), fact(2, at(-20, 0), Held), fact(3, at(-10, 0), Held)], Some(10.0)),
            ("no-shows and cancellations are not meetings", vec![fact(1, at(-20, 0), Held), fact(2, at(-15, 0), NoShow), fact(3, at(-12, 0), CancelledByCustomer)], None),
            ("upcoming meetings are not counted", vec![fact(1, at(-20, 0), Held), fact(2, at(5, 0), Scheduled)], None),
        ];
        for (name, facts, expected) in cases {
            assert_eq!(
                engagement(&facts, 0, now()).avg_days_between,
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn rates_over_90_days() {
        #[rustfmt::skip]
        let cases = [
            ("no meetings: no rates", vec![], None, None, None),
            ("only upcoming: no rates", vec![fact(1, at(3, 0), Scheduled)], None, None, None),
            ("only old: no rates", vec![fact(1, at(-91, 0), CancelledByCustomer)], None, None, None),
            ("one held", vec![fact(1, at(-3, 0), Held)], Some(0.0), Some(0.0), Some(0.0)),
            ("customer cancellation", vec![fact(1, at(-3, 0), Held), fact(2, at(-4, 0), CancelledByCustomer)], Some(0.5), Some(0.0), Some(0.0)),
            ("host cancellation only in the denominator", vec![
                fact(1, at(-3, 0), Held),
                fact(2, at(-4, 0), CancelledByHost),
                fact(3, at(-5, 0), CancelledByHost),
                fact(4, at(-6, 0), CancelledByCustomer),
            ], Some(0.25), Some(0.0), Some(0.0)),
            ("only cancellations: no-show rate undefined", vec![fact(1, at(-4, 0), CancelledByCustomer)], Some(1.0), None, Some(0.0)),
            ("no-shows over held and no-shows", vec![
                fact(1, at(-3, 0), Held),
                fact(2, at(-4, 0), Scheduled),
                fact(3, at(-5, 0), Held),
                fact(4, at(-6, 0), NoShow),
                fact(5, at(-7, 0), CancelledByCustomer),
            ], Some(0.2), Some(0.25), Some(0.0)),
            ("reschedules over all meetings", vec![
                rescheduled(fact(1, at(-3, 0), Held)),
                rescheduled(fact(2, at(-4, 0), CancelledByHost)),
                fact(3, at(-5, 0), NoShow),
                fact(4, at(-6, 0), Held),
                rescheduled(fact(5, at(4, 0), Scheduled)),
            ], Some(0.0), Some(1.0 / 3.0), Some(0.5)),
            ("window edge: 90 days ago exactly counts, earlier does not", vec![
                fact(1, at(-90, 0), CancelledByCustomer),
                fact(2, at(-90, -1), CancelledByCustomer),
                fact(3, at(-10, 0), Held),
            ], Some(0.5), Some(0.0), Some(0.0)),
        ];
        for (name, facts, cancel, no_show, resched) in cases {
            let e = engagement(&facts, 0, now());
            assert_eq!(e.cancellation_rate, cancel, "{name}: cancellation");
            assert_eq!(e.no_show_rate, no_show, "{name}: no-show");
            assert_eq!(e.reschedule_rate, resched, "{name}: reschedule");
        }
    }

    #[test]
    fn another_window_narrows_rates_but_not_the_fixed_counts() {
        let facts = vec![
            with(fact(1, at(-5, 0), Held), Some("qbr"), &[1]),
            fact(2, at(-10, 0), CancelledByCustomer),
            with(fact(3, at(-50, 0), Held), None, &[2]),
            fact(4, at(-60, 0), NoShow),
        ];
        let month = engagement_over(&facts, 2, now(), 30);
        assert_eq!(month.window_days, 30);
        assert_eq!(month.meetings_in_window, 1);
        assert_eq!((month.meetings_30d, month.meetings_90d), (1, 2));
        assert_eq!(month.cancellation_rate, Some(0.5));
        assert_eq!(month.no_show_rate, Some(0.0));
        assert_eq!(month.stakeholder_coverage, Some(0.5));
        assert_eq!(month.by_category, BTreeMap::from([("qbr".to_owned(), 1)]));
        let quarter = engagement(&facts, 2, now());
        assert_eq!(quarter.window_days, 90);
        assert_eq!(quarter.meetings_in_window, 2);
        assert_eq!(quarter.cancellation_rate, Some(0.25));
        assert_eq!(quarter.no_show_rate, Some(1.0 / 3.0));
        assert_eq!(quarter.stakeholder_coverage, Some(1.0));
        assert_eq!(engagement_over(&facts, 2, now(), 0).window_days, 1);
    }

    #[test]
    fn categories_of_held_meetings() {
        let facts = [
            with(fact(1, at(-3, 0), Held), Some("qbr"), &[]),
            with(fact(2, at(-30, 0), Scheduled), Some("check-in"), &[]),
            with(fact(3, at(-40, 0), Held), Some("check-in"), &[]),
            with(fact(4, at(-50, 0), Held), None, &[]),
            with(fact(5, at(-60, 0), NoShow), Some("qbr"), &[]),
            with(fact(6, at(-100, 0), Held), Some("qbr"), &[]),
            with(fact(7, at(5, 0), Scheduled), Some("kickoff"), &[]),
        ];
        let expected: BTreeMap<String, u32> = [("check-in", 2), ("qbr", 1), (UNCATEGORIZED, 1)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(engagement(&facts, 0, now()).by_category, expected);
        assert!(engagement(&[], 0, now()).by_category.is_empty());
    }

    #[test]
    fn stakeholder_coverage() {
        let facts = vec![
            with(fact(1, at(-3, 0), Held), None, &[1, 2]),
            with(fact(2, at(-10, 0), Scheduled), None, &[2, 3]),
            with(fact(3, at(-12, 0), NoShow), None, &[4]),
            with(fact(4, at(-13, 0), CancelledByCustomer), None, &[5]),
            with(fact(5, at(-100, 0), Held), None, &[6]),
            with(fact(6, at(2, 0), Scheduled), None, &[7]),
        ];
        #[rustfmt::skip]
        let cases = [
            ("no stakeholders known", facts.clone(), 0, None),
            ("three of six met", facts.clone(), 6, Some(0.5)),
            ("three of four met", facts.clone(), 4, Some(0.75)),
            ("more met than known is capped", facts.clone(), 2, Some(1.0)),
            ("nobody met", vec![], 5, Some(0.0)),
        ];
        for (name, facts, known, expected) in cases {
            assert_eq!(
                engagement(&facts, known, now()).stakeholder_coverage,
                expected,
                "{name}"
            );
        }
    }

    mod invariants {
        use super::*;
        use proptest::prelude::*;

        fn any_fact() -> impl Strategy<Value = MeetingFact> {
            (
                0i64..20,
                -86_400i64 * 200..86_400 * 30,
                prop::sample::select(vec![
                    Scheduled,
                    Held,
                    CancelledByCustomer,
                    CancelledByHost,
                    NoShow,
                ]),
                any::<bool>(),
                prop::option::of(prop::sample::select(vec!["qbr", "check-in"])),
                prop::collection::vec(0i64..8, 0..4),
            )
                .prop_map(|(id, secs, outcome, resched, category, people)| {
                    let mut f = with(fact(id, at(0, secs), outcome), category, &people);
                    f.rescheduled = resched;
                    f
                })
        }

        proptest! {
            #[test]
            fn metrics_stay_in_range(facts in prop::collection::vec(any_fact(), 0..30), known in 0usize..10) {
                let e = engagement(&facts, known, now());
                prop_assert!(e.meetings_30d <= e.meetings_90d);
                for rate in [e.cancellation_rate, e.no_show_rate, e.reschedule_rate, e.stakeholder_coverage].into_iter().flatten() {
                    prop_assert!((0.0..=1.0).contains(&rate), "{rate} out of range in {e:?}");
                }
                prop_assert_eq!(e.by_category.values().sum::<u32>(), e.meetings_90d);
                prop_assert!(e.last_meeting.is_none_or(|t| t < now()));
                prop_assert!(e.next_meeting.is_none_or(|t| t >= now()));
                prop_assert_eq!(e.avg_days_between.is_some(), e.meetings_90d >= 2);
                prop_assert_eq!(e.stakeholder_coverage.is_some(), known > 0);
            }
        }
    }
}
