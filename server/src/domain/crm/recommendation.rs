//! Which kind of meeting to offer a customer next, and why: the rules behind the
//! scheduling-link generator and chat's "send a link to Jane" when no event type is
//! named.
//!
//! The rules are tried in this order and the first that is due *and* that the host
//! has an event type for wins; a due rule the host cannot serve falls through to the
//! next one:
//!
//! 1. **Churned**: a churned customer gets no recommendation at all.
//! 2. **Onboarding**: a new account (younger than [`Thresholds::new_account_days`]) or
//!    one in the onboarding stage, with no onboarding session held or booked yet. It
//!    comes first because nothing else is meaningful before the customer is live.
//! 3. **Renewal**: the renewal date is at most [`Thresholds::renewal_within_days`]
//!    away (or the stage is renewal) and no QBR was held in that many days nor is one
//!    booked: a QBR. Before the routine QBR because it is tied to a date.
//! 4. **QBR due**: the last QBR (or the start of the account, without one) was more
//!    than [`Thresholds::qbr_every_days`] ago and none is booked.
//! 5. **Check-in overdue**: the last meeting of any kind (or the start of the
//!    account) was longer ago than the tier's cadence ([`check_in_every_days`]) and no
//!    meeting is booked. Last, since any of the meetings above is also a touch point.
//!
//! Days are whole 24-hour spans elapsed ("more than 90 days" is 91 or more), like the
//! engagement metrics; a renewal date counts calendar days from today's UTC date.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::engagement::{MeetingFact, MeetingOutcome, engagement};
use super::health::{Tier, target_meetings_per_90d};
use crate::domain::customer::{LifecycleStage, MeetingCategory};
use crate::domain::validate::FieldIssue;

/// The largest threshold accepted, in days: two years.
pub const MAX_THRESHOLD_DAYS: u32 = 730;

/// An organization's thresholds for the rules, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thresholds {
    /// A QBR is due when the last one was more than this many days ago.
    pub qbr_every_days: u32,
    /// A renewal is near when it is at most this many days away.
    pub renewal_within_days: u32,
    /// An account younger than this many days is new and gets onboarding first.
    pub new_account_days: u32,
}

impl Default for Thresholds {
    /// A QBR every quarter, renewals prepared two months ahead, a month to onboard.
    fn default() -> Thresholds {
        Thresholds {
            qbr_every_days: 90,
            renewal_within_days: 60,
            new_account_days: 30,
        }
    }
}

impl Thresholds {
    /// Every problem with these thresholds, named by their API fields: the QBR
    /// interval must be at least a day, and none may exceed [`MAX_THRESHOLD_DAYS`].
    pub fn check(&self) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        if self.qbr_every_days == 0 {
            issues.push(FieldIssue::new("qbrEveryDays", "must be at least 1"));
        }
        for (field, days) in [
            ("qbrEveryDays", self.qbr_every_days),
            ("renewalWithinDays", self.renewal_within_days),
            ("newAccountDays", self.new_account_days),
        ] {
            if days > MAX_THRESHOLD_DAYS {
                issues.push(FieldIssue::new(
                    field,
                    format!("must be at most {MAX_THRESHOLD_DAYS}"),
                ));
            }
        }
        issues
    }
}

/// What the rules know about a customer.
#[derive(Debug, Clone, Copy)]
pub struct CustomerContext<'a> {
    /// Where the account is in its life.
    pub stage: LifecycleStage,
    /// Its segment, which sets the check-in cadence.
    pub tier: Tier,
    /// When it became a customer.
    pub since: DateTime<Utc>,
    /// When its contract renews, if known.
    pub renewal: Option<NaiveDate>,
    /// Its meetings, as engagement sees them (held, booked, cancelled).
    pub meetings: &'a [MeetingFact],
}

/// The kind of meeting to offer, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    /// What to offer.
    pub category: MeetingCategory,
    /// Why, for the person sending the link: "last QBR was 132 days ago (every 90 days)".
    pub reason: String,
}

/// Why nothing is recommended: nothing is due, the customer has churned, or the host
/// has no event type for what is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoRecommendation {
    /// Readable on its own.
    pub reason: String,
}

/// The days between check-ins a tier expects: 90 days over its target meetings per
/// quarter (enterprise 15, mid-market 30, SMB 90, other 45).
pub fn check_in_every_days(tier: Tier) -> i64 {
    (90.0 / target_meetings_per_90d(tier)).round() as i64
}

/// What the customer's meetings say, per kind.
struct History {
    /// The latest held meeting of each kind.
    last_held: HashMap<MeetingCategory, DateTime<Utc>>,
    /// The kinds with a meeting booked from now on.
    booked: HashSet<MeetingCategory>,
    /// The latest held meeting of any kind.
    last_meeting: Option<DateTime<Utc>>,
    /// Whether any meeting is booked from now on.
    any_booked: bool,
    /// Meetings held in the last 90 days.
    meetings_90d: u32,
}

impl History {
    fn of(meetings: &[MeetingFact], now: DateTime<Utc>) -> History {
        let metrics = engagement(meetings, 0, now);
        let mut last_held = HashMap::new();
        let mut booked = HashSet::new();
        for m in meetings {
            let Some(category) = m.category.as_deref().and_then(MeetingCategory::parse) else {
                continue;
            };
            if m.held(now) && m.start < now {
                let last = last_held.entry(category).or_insert(m.start);
                *last = (*last).max(m.start);
            } else if m.outcome == MeetingOutcome::Scheduled && m.start >= now {
                booked.insert(category);
            }
        }
        History {
            last_held,
            booked,
            last_meeting: metrics.last_meeting,
            any_booked: metrics.next_meeting.is_some(),
            meetings_90d: metrics.meetings_90d,
        }
    }
}

/// Whole days from `then` to `now`.
fn days_since(then: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - then).num_days()
}

fn plural(n: i64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A rule that is due: the kind it asks for and why.
type Due = (MeetingCategory, String);

fn onboarding(
    c: &CustomerContext<'_>,
    t: &Thresholds,
    h: &History,
    now: DateTime<Utc>,
) -> Option<Due> {
    let had = h.last_held.contains_key(&MeetingCategory::Onboarding)
        || h.booked.contains(&MeetingCategory::Onboarding);
    let age = days_since(c.since, now);
    let new = age < i64::from(t.new_account_days);
    let why = if new {
        let tenure = match age {
            0 => "a customer since today".to_string(),
            _ => format!("a customer for {}", plural(age, "day")),
        };
        format!("new account ({tenure}) with no onboarding session yet")
    } else if c.stage == LifecycleStage::Onboarding {
        "still onboarding with no onboarding session yet".to_string()
    } else {
        return None;
    };
    (!had).then_some((MeetingCategory::Onboarding, why))
}

fn renewal(
    c: &CustomerContext<'_>,
    t: &Thresholds,
    h: &History,
    now: DateTime<Utc>,
) -> Option<Due> {
    let window = i64::from(t.renewal_within_days);
    let days_away = c.renewal.map(|d| (d - now.date_naive()).num_days());
    let why = match (c.renewal, days_away) {
        (Some(date), Some(0)) => format!("renewal on {date} is today"),
        (Some(date), Some(away)) if (1..=window).contains(&away) => {
            format!("renewal on {date} is {} away", plural(away, "day"))
        }
        _ if c.stage == LifecycleStage::Renewal => "renewal is being negotiated".to_string(),
        _ => return None,
    };
    let recent_qbr = h
        .last_held
        .get(&MeetingCategory::Qbr)
        .is_some_and(|&last| days_since(last, now) <= window);
    let prepared = recent_qbr || h.booked.contains(&MeetingCategory::Qbr);
    (!prepared).then_some((MeetingCategory::Qbr, why))
}

fn qbr(c: &CustomerContext<'_>, t: &Thresholds, h: &History, now: DateTime<Utc>) -> Option<Due> {
    if h.booked.contains(&MeetingCategory::Qbr) {
        return None;
    }
    let every = i64::from(t.qbr_every_days);
    let interval = plural(every, "day");
    let why = match h.last_held.get(&MeetingCategory::Qbr) {
        Some(&last) => {
            let days = days_since(last, now);
            (days > every).then(|| format!("last QBR was {days} days ago (every {interval})"))
        }
        None => {
            let days = days_since(c.since, now);
            (days > every)
                .then(|| format!("no QBR yet in {days} days as a customer (every {interval})"))
        }
    }?;
    Some((MeetingCategory::Qbr, why))
}

fn check_in(c: &CustomerContext<'_>, h: &History, now: DateTime<Utc>) -> Option<Due> {
    if h.any_booked {
        return None;
    }
    let every = check_in_every_days(c.tier);
    let cadence = format!(
        "{} cadence: every {} days; {} in the last 90 days",
        c.tier.as_str(),
        every,
        plural(i64::from(h.meetings_90d), "meeting"),
    );
    let why = match h.last_meeting {
        Some(last) => {
            let days = days_since(last, now);
            (days > every).then(|| format!("last meeting was {days} days ago ({cadence})"))
        }
        None => {
            let days = days_since(c.since, now);
            (days > every)
                .then(|| format!("no meeting yet in {days} days as a customer ({cadence})"))
        }
    }?;
    Some((MeetingCategory::CheckIn, why))
}

/// What to offer `customer` at `now` under `thresholds`, among the kinds the host has an
/// event type for (`offered`), following the rules in the module doc.
pub fn recommend(
    customer: &CustomerContext<'_>,
    thresholds: &Thresholds,
    offered: &HashSet<MeetingCategory>,
    now: DateTime<Utc>,
) -> Result<Recommendation, NoRecommendation> {
    if customer.stage == LifecycleStage::Churned {
        return Err(NoRecommendation {
            reason: "the customer has churned".to_string(),
        });
    }
    let h = History::of(customer.meetings, now);
    let due = [
        onboarding(customer, thresholds, &h, now),
        renewal(customer, thresholds, &h, now),
        qbr(customer, thresholds, &h, now),
        check_in(customer, &h, now),
    ];
    let mut missing: Vec<Due> = Vec::new();
    for (category, reason) in due.into_iter().flatten() {
        if offered.contains(&category) {
            return Ok(Recommendation { category, reason });
        }
        if missing.iter().all(|(c, _)| *c != category) {
            missing.push((category, reason));
        }
    }
    let reason = if missing.is_empty() {
        nothing_due(customer, thresholds, &h, now)
    } else {
        let lacking: Vec<String> = missing
            .iter()
            .map(|(c, why)| {
                format!(
                    "{} is due ({why}) but there is no {} event type",
                    c.as_str(),
                    c.as_str()
                )
            })
            .collect();
        lacking.join("; ")
    };
    Err(NoRecommendation { reason })
}

/// "nothing is due: last meeting 5 days ago (…), last QBR 20 days ago (every 90 days)".
fn nothing_due(c: &CustomerContext<'_>, t: &Thresholds, h: &History, now: DateTime<Utc>) -> String {
    let meeting = match h.last_meeting {
        _ if h.any_booked => "a meeting is already booked".to_string(),
        Some(last) => format!(
            "last meeting {} ago (check-in every {} days)",
            plural(days_since(last, now), "day"),
            check_in_every_days(c.tier)
        ),
        None => format!(
            "a customer for {} (check-in every {} days)",
            plural(days_since(c.since, now), "day"),
            check_in_every_days(c.tier)
        ),
    };
    let qbr = match h.last_held.get(&MeetingCategory::Qbr) {
        _ if h.booked.contains(&MeetingCategory::Qbr) => "a QBR is booked".to_string(),
        Some(&last) => format!(
            "last QBR {} ago (every {})",
            plural(days_since(last, now), "day"),
            plural(i64::from(t.qbr_every_days), "day")
        ),
        None => format!(
            "no QBR yet (every {})",
            plural(i64::from(t.qbr_every_days), "day")
        ),
    };
    format!("nothing is due: {meeting}, {qbr}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use MeetingCategory::{CheckIn, Demo, Onboarding, Qbr};
    use MeetingOutcome::{CancelledByCustomer, Held, NoShow, Scheduled};
    use chrono::{TimeDelta, TimeZone};

    use crate::domain::ids::BookingId;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap()
    }

    fn days_ago(days: i64) -> DateTime<Utc> {
        now() - TimeDelta::days(days)
    }

    fn meeting(
        category: Option<MeetingCategory>,
        days: i64,
        outcome: MeetingOutcome,
    ) -> MeetingFact {
        MeetingFact {
            booking_id: BookingId(days),
            start: days_ago(days),
            outcome,
            rescheduled: false,
            category: category.map(|c| c.as_str().to_owned()),
            stakeholder_ids: vec![],
        }
    }

    fn held(category: MeetingCategory, days: i64) -> MeetingFact {
        meeting(Some(category), days, Held)
    }

    fn booked(category: MeetingCategory, days_ahead: i64) -> MeetingFact {
        meeting(Some(category), -days_ahead, Scheduled)
    }

    fn all() -> HashSet<MeetingCategory> {
        MeetingCategory::ALL.into_iter().collect()
    }

    fn only(categories: &[MeetingCategory]) -> HashSet<MeetingCategory> {
        categories.iter().copied().collect()
    }

    /// An active mid-market customer of 400 days, renewal unknown.
    struct Case {
        stage: LifecycleStage,
        tier: Tier,
        age_days: i64,
        renewal: Option<NaiveDate>,
        meetings: Vec<MeetingFact>,
    }

    fn case(meetings: Vec<MeetingFact>) -> Case {
        Case {
            stage: LifecycleStage::Active,
            tier: Tier::MidMarket,
            age_days: 400,
            renewal: None,
            meetings,
        }
    }

    impl Case {
        fn stage(mut self, stage: LifecycleStage) -> Case {
            self.stage = stage;
            self
        }
        fn tier(mut self, tier: Tier) -> Case {
            self.tier = tier;
            self
        }
        fn age(mut self, days: i64) -> Case {
            self.age_days = days;
            self
        }
        fn renews_in(mut self, days: i64) -> Case {
            self.renewal = Some(now().date_naive() + TimeDelta::days(days));
            self
        }
        fn run(
            &self,
            thresholds: &Thresholds,
            offered: &HashSet<MeetingCategory>,
        ) -> Result<Recommendation, NoRecommendation> {
            let context = CustomerContext {
                stage: self.stage,
                tier: self.tier,
                since: days_ago(self.age_days),
                renewal: self.renewal,
                meetings: &self.meetings,
            };
            recommend(&context, thresholds, offered, now())
        }
    }

    /// Recent meetings of every routine kind: nothing is due.
    fn settled() -> Vec<MeetingFact> {
        vec![held(Qbr, 20), held(CheckIn, 5)]
    }

    /// Routine meetings on time, the last QBR too long ago to prepare a renewal.
    fn routine() -> Vec<MeetingFact> {
        vec![held(Qbr, 70), held(CheckIn, 5)]
    }

    #[test]
    fn each_rule_recommends_its_kind_with_its_reason() {
        let t = Thresholds::default();
        #[rustfmt::skip]
        let cases = [
            ("new account", case(vec![]).age(12), Onboarding, "new account (a customer for 12 days) with no onboarding session yet"),
            ("account made today", case(vec![]).age(0), Onboarding, "new account (a customer since today) with no onboarding session yet"),
            ("onboarding stage, older account", case(vec![held(CheckIn, 3)]).stage(LifecycleStage::Onboarding).age(45), Onboarding, "still onboarding with no onboarding session yet"),
            ("renewal near", case(routine()).renews_in(41), Qbr, "renewal on 2027-01-15 is 41 days away"),
            ("renewal today", case(routine()).renews_in(0), Qbr, "renewal on 2026-12-05 is today"),
            ("renewal stage without a date", case(vec![held(Qbr, 70), held(CheckIn, 5)]).stage(LifecycleStage::Renewal), Qbr, "renewal is being negotiated"),
            ("QBR overdue", case(vec![held(Qbr, 132), held(CheckIn, 5)]), Qbr, "last QBR was 132 days ago (every 90 days)"),
            ("never a QBR", case(vec![held(CheckIn, 5)]).age(100), Qbr, "no QBR yet in 100 days as a customer (every 90 days)"),
            ("check-in overdue", case(vec![held(Qbr, 40)]), CheckIn, "last meeting was 40 days ago (mid-market cadence: every 30 days; 1 meeting in the last 90 days)"),
            ("never met, past the cadence", case(vec![]).tier(Tier::Enterprise).age(60), CheckIn, "no meeting yet in 60 days as a customer (enterprise cadence: every 15 days; 0 meetings in the last 90 days)"),
            ("an uncategorized meeting counts for the cadence", case(vec![held(Qbr, 40), meeting(None, 31, Held)]), CheckIn, "last meeting was 31 days ago (mid-market cadence: every 30 days; 2 meetings in the last 90 days)"),
        ];
        for (name, c, category, reason) in cases {
            let got = c.run(&t, &all());
            assert_eq!(
                got,
                Ok(Recommendation {
                    category,
                    reason: reason.to_string()
                }),
                "{name}"
            );
        }
    }

    #[test]
    fn boundaries_are_whole_days_and_strict() {
        let t = Thresholds::default();
        let settled_check_in = |qbr_days| case(vec![held(Qbr, qbr_days), held(CheckIn, 5)]);
        #[rustfmt::skip]
        let cases = [
            ("QBR exactly 90 days ago is not yet due", settled_check_in(90), None),
            ("QBR 90 days and 23 hours ago is not yet due", case(vec![
                meeting(Some(Qbr), 0, Held),
                held(CheckIn, 5),
            ]).with_start(0, days_ago(90) - TimeDelta::hours(23)), None),
            ("QBR 91 days ago is due", settled_check_in(91), Some(Qbr)),
            ("renewal 60 days away is near", case(routine()).renews_in(60), Some(Qbr)),
            ("renewal 61 days away is not", case(routine()).renews_in(61), None),
            ("a renewal date passed is not near", case(routine()).renews_in(-1), None),
            ("account 29 days old is new", case(settled()).age(29), Some(Onboarding)),
            ("account 30 days old is not new", case(vec![held(CheckIn, 5)]).age(30), None),
            ("mid-market: last meeting 30 days ago is on cadence", case(vec![held(Qbr, 30)]), None),
            ("mid-market: 31 days is overdue", case(vec![held(Qbr, 31)]), Some(CheckIn)),
            ("SMB: 89 days is on cadence", case(vec![held(Qbr, 89)]).tier(Tier::Smb), None),
            ("enterprise: 16 days is overdue", case(vec![held(Qbr, 16)]).tier(Tier::Enterprise), Some(CheckIn)),
        ];
        for (name, c, expected) in cases {
            let got = c.run(&t, &all()).ok().map(|r| r.category);
            assert_eq!(got, expected, "{name}");
        }
    }

    impl Case {
        fn with_start(mut self, i: usize, start: DateTime<Utc>) -> Case {
            self.meetings[i].start = start;
            self
        }
    }

    #[test]
    fn the_first_rule_due_wins_ties() {
        let t = Thresholds::default();
        #[rustfmt::skip]
        let cases = [
            ("new account in renewal talks: onboarding first", case(vec![]).age(10).renews_in(20), Onboarding),
            ("renewal near and QBR overdue: the renewal says why", case(vec![held(Qbr, 200), held(CheckIn, 5)]).renews_in(30), Qbr),
            ("QBR overdue and check-in overdue: QBR", case(vec![held(Qbr, 200)]), Qbr),
        ];
        for (name, c, expected) in cases {
            assert_eq!(
                c.run(&t, &all()).map(|r| r.category),
                Ok(expected),
                "{name}"
            );
        }
        let both = case(vec![held(Qbr, 200), held(CheckIn, 5)])
            .renews_in(30)
            .run(&t, &all());
        assert_eq!(
            both.unwrap().reason,
            "renewal on 2027-01-04 is 30 days away"
        );
    }

    #[test]
    fn what_is_held_or_booked_satisfies_a_rule() {
        let t = Thresholds::default();
        #[rustfmt::skip]
        let cases = [
            ("new account with onboarding held", case(vec![held(Onboarding, 3)]).age(10), None),
            ("new account with onboarding booked", case(vec![booked(Onboarding, 3)]).age(10), None),
            ("a cancelled onboarding does not count", case(vec![meeting(Some(Onboarding), 2, CancelledByCustomer)]).age(10), Some(Onboarding)),
            ("a no-show QBR does not count", case(vec![meeting(Some(Qbr), 10, NoShow), held(CheckIn, 5)]), Some(Qbr)),
            ("QBR overdue but one is booked", case(vec![held(Qbr, 150), held(CheckIn, 5), booked(Qbr, 7)]), None),
            ("renewal near, QBR held within the window", case(vec![held(Qbr, 50), held(CheckIn, 5)]).renews_in(30), None),
            ("renewal near, last QBR before the window", case(vec![held(Qbr, 61), held(CheckIn, 5)]).renews_in(30), Some(Qbr)),
            ("check-in overdue but a demo is booked", case(vec![held(Qbr, 40), booked(Demo, 2)]), None),
        ];
        for (name, c, expected) in cases {
            assert_eq!(
                c.run(&t, &all()).ok().map(|r| r.category),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn a_kind_the_host_lacks_falls_through_to_the_next_rule() {
        let t = Thresholds::default();
        let overdue = case(vec![held(Qbr, 200)]);
        assert_eq!(
            overdue.run(&t, &only(&[CheckIn])).map(|r| r.category),
            Ok(CheckIn),
            "no QBR type: the overdue check-in instead"
        );
        let new = case(vec![]).age(5);
        assert_eq!(
            new.run(&t, &only(&[CheckIn, Qbr])),
            Err(NoRecommendation {
                reason: "onboarding is due (new account (a customer for 5 days) with no onboarding session yet) but there is no onboarding event type".into()
            }),
            "nothing else is due for a 5-day-old account"
        );
        assert_eq!(
            case(vec![held(Qbr, 200)]).renews_in(10).run(&t, &only(&[Demo])),
            Err(NoRecommendation {
                reason: "qbr is due (renewal on 2026-12-15 is 10 days away) but there is no qbr event type; check-in is due (last meeting was 200 days ago (mid-market cadence: every 30 days; 0 meetings in the last 90 days)) but there is no check-in event type".into()
            }),
            "each missing kind named once, with the first reason"
        );
    }

    #[test]
    fn no_recommendation_says_why() {
        let t = Thresholds::default();
        #[rustfmt::skip]
        let cases = [
            ("churned, whatever is due", case(vec![]).stage(LifecycleStage::Churned).age(5).renews_in(3), "the customer has churned"),
            ("all settled", case(settled()), "nothing is due: last meeting 5 days ago (check-in every 30 days), last QBR 20 days ago (every 90 days)"),
            ("young account past onboarding", case(vec![held(Onboarding, 3)]).age(20), "nothing is due: last meeting 3 days ago (check-in every 30 days), no QBR yet (every 90 days)"),
            ("bookings already made", case(vec![held(Onboarding, 3), booked(Qbr, 4)]).age(20), "nothing is due: a meeting is already booked, a QBR is booked"),
            ("SMB's long cadence", case(vec![held(Onboarding, 40)]).tier(Tier::Smb).age(45), "nothing is due: last meeting 40 days ago (check-in every 90 days), no QBR yet (every 90 days)"),
        ];
        for (name, c, reason) in cases {
            assert_eq!(
                c.run(&t, &all()),
                Err(NoRecommendation {
                    reason: reason.into()
                }),
                "{name}"
            );
        }
    }

    #[test]
    fn thresholds_change_the_answer() {
        let c = case(vec![held(Qbr, 50), held(CheckIn, 5)]).renews_in(100);
        assert!(c.run(&Thresholds::default(), &all()).is_err());
        let sooner = Thresholds {
            qbr_every_days: 45,
            ..Thresholds::default()
        };
        assert_eq!(
            c.run(&sooner, &all()).unwrap().reason,
            "last QBR was 50 days ago (every 45 days)"
        );
        let renewing = case(vec![held(Qbr, 80), held(CheckIn, 5)]).renews_in(70);
        assert!(renewing.run(&Thresholds::default(), &all()).is_err());
        let earlier = Thresholds {
            renewal_within_days: 75,
            ..Thresholds::default()
        };
        assert_eq!(
            renewing.run(&earlier, &all()).unwrap().reason,
            "renewal on 2027-02-13 is 70 days away"
        );
        let daily = Thresholds {
            qbr_every_days: 1,
            ..Thresholds::default()
        };
        assert_eq!(
            case(vec![held(Qbr, 2), held(CheckIn, 1)])
                .run(&daily, &all())
                .unwrap()
                .reason,
            "last QBR was 2 days ago (every 1 day)"
        );
        let longer = Thresholds {
            new_account_days: 500,
            ..Thresholds::default()
        };
        assert_eq!(c.run(&longer, &all()).map(|r| r.category), Ok(Onboarding));
    }

    #[test]
    fn cadence_follows_the_tier_target() {
        #[rustfmt::skip]
        let cases = [(Tier::Enterprise, 15), (Tier::MidMarket, 30), (Tier::Smb, 90), (Tier::Other, 45)];
        for (tier, days) in cases {
            assert_eq!(check_in_every_days(tier), days, "{}", tier.as_str());
        }
    }

    #[test]
    fn thresholds_are_checked_by_field() {
        assert!(Thresholds::default().check().is_empty());
        let bad = Thresholds {
            qbr_every_days: 0,
            renewal_within_days: 731,
            new_account_days: 0,
        };
        let fields: Vec<String> = bad.check().into_iter().map(|i| i.field).collect();
        assert_eq!(fields, ["qbrEveryDays", "renewalWithinDays"]);
        let edge = Thresholds {
            qbr_every_days: 730,
            renewal_within_days: 0,
            new_account_days: 730,
        };
        assert!(edge.check().is_empty());
    }
}
