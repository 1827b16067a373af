//! A customer's health score: 0–100 from their meeting metrics, banded
//! healthy / at risk / critical, with the breakdown that explains it.
//!
//! The shape is the one CSMs know from Gainsight scorecards: each factor
//! ("component") is normalized to 0–100, the overall score is the weighted
//! mean Σ wᵢ·scoreᵢ ÷ Σ wᵢ, and every component is shown with a sentence
//! saying where its score came from, so a CSM can argue with the number
//! rather than just read it. Everything is a pure function of the engagement,
//! the tier, the weights and "now": the same inputs always give the same
//! score, which is what makes daily snapshots and trends meaningful.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::engagement::Engagement;

/// How much each component counts in the overall score; relative, not
/// percentages (any positive total works). A weight of 0 leaves the component
/// in the breakdown but out of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    /// Weight of [`Component`] `recency`.
    pub recency: u32,
    /// Weight of [`Component`] `frequency`.
    pub frequency: u32,
    /// Weight of [`Component`] `cancellations`.
    pub cancellations: u32,
    /// Weight of [`Component`] `no_shows`.
    pub no_shows: u32,
    /// Weight of [`Component`] `coverage`.
    pub coverage: u32,
}

impl Default for Weights {
    /// 30 / 30 / 15 / 10 / 15: seeing the customer, recently and often enough,
    /// counts most; how meetings go, and with whom, refines it.
    fn default() -> Weights {
        Weights {
            recency: 30,
            frequency: 30,
            cancellations: 15,
            no_shows: 10,
            coverage: 15,
        }
    }
}

impl Weights {
    /// Refuses weights that are all zero: they define no score at all.
    pub fn validate(&self) -> Result<(), String> {
        if self.total() > 0 {
            Ok(())
        } else {
            Err("health score weights must not all be zero".to_owned())
        }
    }

    /// The sum, in `u64` so that no set of `u32` weights can overflow it.
    fn total(&self) -> u64 {
        [
            self.recency,
            self.frequency,
            self.cancellations,
            self.no_shows,
            self.coverage,
        ]
        .into_iter()
        .map(u64::from)
        .sum()
    }
}

/// A customer's segment; it sets how often they are expected to meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// The largest accounts, with high-touch coverage.
    Enterprise,
    /// Mid-sized accounts.
    MidMarket,
    /// Small accounts, mostly low-touch.
    Smb,
    /// Anything not segmented.
    Other,
}

impl Tier {
    /// The word used in storage and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Enterprise => "enterprise",
            Tier::MidMarket => "mid-market",
            Tier::Smb => "smb",
            Tier::Other => "other",
        }
    }

    /// Parses the stored word; `None` for anything else.
    pub fn parse(s: &str) -> Option<Tier> {
        [Self::Enterprise, Self::MidMarket, Self::Smb, Self::Other]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// The tier's target cadence: meetings a customer of that tier is expected to
/// hold every 90 days (Enterprise 6, i.e. every other week-ish; Mid-market 3,
/// monthly; SMB 1, quarterly; Other 2). Meeting it earns the full frequency
/// score.
pub fn target_meetings_per_90d(tier: Tier) -> f64 {
    match tier {
        Tier::Enterprise => 6.0,
        Tier::MidMarket => 3.0,
        Tier::Smb => 1.0,
        Tier::Other => 2.0,
    }
}

/// The traffic light a CSM filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// 70 and above.
    Healthy,
    /// 40 to 69.
    AtRisk,
    /// Below 40.
    Critical,
}

impl Band {
    /// The band a score falls in: `>= 70` healthy, `>= 40` at risk, else critical.
    pub fn of(score: u8) -> Band {
        match score {
            70.. => Band::Healthy,
            40.. => Band::AtRisk,
            _ => Band::Critical,
        }
    }

    /// The word used in storage and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Healthy => "healthy",
            Band::AtRisk => "at_risk",
            Band::Critical => "critical",
        }
    }

    /// Parses the stored word; `None` for anything else.
    pub fn parse(s: &str) -> Option<Band> {
        [Self::Healthy, Self::AtRisk, Self::Critical]
            .into_iter()
            .find(|b| b.as_str() == s)
    }
}

/// One factor of the score, as shown to the CSM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// `recency`, `frequency`, `cancellations`, `no_shows` or `coverage`.
    pub name: String,
    /// Its weight, as configured (0: shown, not counted).
    pub weight: u32,
    /// 0–100.
    pub score: u8,
    /// Where the score came from, readable on its own: "last meeting 12 days ago".
    pub detail: String,
}

/// A customer's health at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// The weighted mean of the components' scores, rounded, 0–100.
    pub score: u8,
    /// The band of `score`.
    pub band: Band,
    /// Every component, weight 0 included, in the order recency, frequency,
    /// cancellations, no-shows, coverage.
    pub components: Vec<Component>,
}

/// Scores `e` for a customer of `tier` at `now`.
///
/// Each component is scored 0–100 (rounded to the nearest integer):
/// - **recency**, from whole days since the last held meeting: up to 30 days
///   100; from 30 to 60 days linearly down to 50; from 60 to 120 days linearly
///   down to 0; later, or no meeting ever, 0. (Mid-touch practice: under a
///   month is green, over two months is red.)
/// - **frequency**: `min(1, meetings_90d ÷ target) × 100`, the target being
///   [`target_meetings_per_90d`] of the tier.
/// - **cancellations**: `(1 − min(1, cancellation_rate × 2)) × 100`, so half
///   the meetings cancelled by the customer is already 0; no meetings (rate
///   `None`) is 100, because nothing was cancelled.
/// - **no_shows**: the same over `no_show_rate`.
/// - **coverage**: `stakeholder_coverage × 100`; no stakeholders known
///   (`None`) is 0, because not knowing who to talk to is itself a risk.
///
/// Rates are clamped to `0..=1` first; a rate that is not a number scores 0.
/// The overall score is `round(Σ wᵢ·scoreᵢ ÷ Σ wᵢ)` over the components'
/// rounded scores, halves rounding up. Weights that are all zero (refused by
/// [`Weights::validate`]) count every component equally rather than give a
/// meaningless 0.
pub fn health(e: &Engagement, tier: Tier, weights: &Weights, now: DateTime<Utc>) -> Health {
    let components = vec![
        recency(e.last_meeting, now, weights.recency),
        frequency(e.meetings_90d, tier, weights.frequency),
        cancellations(e.cancellation_rate, weights.cancellations),
        no_shows(e.no_show_rate, weights.no_shows),
        coverage(e.stakeholder_coverage, weights.coverage),
    ];
    let score = weighted_mean(&components);
    Health {
        score,
        band: Band::of(score),
        components,
    }
}

/// `round(Σ wᵢ·sᵢ ÷ Σ wᵢ)` in integers, or the plain mean when no weight is set.
fn weighted_mean(components: &[Component]) -> u8 {
    let total: u64 = components.iter().map(|c| u64::from(c.weight)).sum();
    let (sum, total) = if total == 0 {
        let sum: u64 = components.iter().map(|c| u64::from(c.score)).sum();
        (sum, components.len() as u64)
    } else {
        let sum: u64 = components
            .iter()
            .map(|c| u64::from(c.weight) * u64::from(c.score))
            .sum();
        (sum, total)
    };
    if total == 0 {
        return 0;
    }
    u8::try_from((2 * sum + total) / (2 * total)).unwrap_or(100)
}

/// A 0–100 value as a component score; not-a-number is 0.
fn to_score(value: f64) -> u8 {
    if value.is_nan() {
        0
    } else {
        value.clamp(0.0, 100.0).round() as u8
    }
}

/// A rate as a whole percentage, for the sentences.
fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

fn recency(last: Option<DateTime<Utc>>, now: DateTime<Utc>, weight: u32) -> Component {
    let (score, detail) = match last {
        None => (0, "no meeting held yet".to_owned()),
        Some(last) => {
            let days = (now - last).num_days().max(0);
            let detail = match days {
                0 => "last meeting today".to_owned(),
                1 => "last meeting 1 day ago".to_owned(),
                d => format!("last meeting {d} days ago"),
            };
            (recency_score(days), detail)
        }
    };
    Component {
        name: "recency".to_owned(),
        weight,
        score,
        detail,
    }
}

/// The recency curve over whole days: flat to 30, −50 over the next 30, −50
/// over the 60 after that.
fn recency_score(days: i64) -> u8 {
    let d = days as f64;
    match days {
        ..=30 => 100,
        31..=60 => to_score(100.0 - (d - 30.0) * 50.0 / 30.0),
        61..=120 => to_score(50.0 - (d - 60.0) * 50.0 / 60.0),
        _ => 0,
    }
}

fn frequency(meetings_90d: u32, tier: Tier, weight: u32) -> Component {
    let target = target_meetings_per_90d(tier);
    let plural = if meetings_90d == 1 { "" } else { "s" };
    Component {
        name: "frequency".to_owned(),
        weight,
        score: to_score((f64::from(meetings_90d) / target).min(1.0) * 100.0),
        detail: format!(
            "{meetings_90d} meeting{plural} held in the last 90 days, target {target} for {}",
            tier.as_str()
        ),
    }
}

/// `(1 − min(1, rate × 2)) × 100`; `None` (nothing to judge) is 100.
fn rate_score(rate: Option<f64>) -> u8 {
    rate.map_or(100, |r| {
        to_score((1.0 - (r.clamp(0.0, 1.0) * 2.0).min(1.0)) * 100.0)
    })
}

fn cancellations(rate: Option<f64>, weight: u32) -> Component {
    Component {
        name: "cancellations".to_owned(),
        weight,
        score: rate_score(rate),
        detail: match rate {
            None => "no meetings scheduled in the last 90 days".to_owned(),
            Some(r) => format!(
                "{} of meetings in the last 90 days cancelled by the customer",
                percent(r)
            ),
        },
    }
}

fn no_shows(rate: Option<f64>, weight: u32) -> Component {
    Component {
        name: "no_shows".to_owned(),
        weight,
        score: rate_score(rate),
        detail: match rate {
            None => "no meetings due in the last 90 days".to_owned(),
            Some(r) => format!(
                "{} of meetings in the last 90 days were no-shows",
                percent(r)
            ),
        },
    }
}

fn coverage(coverage: Option<f64>, weight: u32) -> Component {
    Component {
        name: "coverage".to_owned(),
        weight,
        score: coverage.map_or(0, |c| to_score(c * 100.0)),
        detail: match coverage {
            None => "no stakeholders on file".to_owned(),
            Some(c) => format!(
                "{} of known stakeholders met in the last 90 days",
                percent(c)
            ),
        },
    }
}

/// Which way a score moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    /// Up by 5 points or more.
    Up,
    /// Down by 5 points or more.
    Down,
    /// Within 4 points either way: day-to-day noise, not a change.
    Flat,
}

impl Trend {
    /// The lower-case word used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Up => "up",
            Trend::Down => "down",
            Trend::Flat => "flat",
        }
    }
}

/// The trend arrow: today's score against the one 30 days ago; `None` when
/// there is no earlier score to compare with. A change under 5 points is
/// `Flat`.
pub fn trend(current: u8, thirty_days_ago: Option<u8>) -> Option<Trend> {
    let delta = i16::from(current) - i16::from(thirty_days_ago?);
    Some(match delta {
        5.. => Trend::Up,
        ..=-5 => Trend::Down,
        _ => Trend::Flat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};
    use std::collections::BTreeMap;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    /// An engagement where every component scores 100 with default weights
    /// for an SMB customer; tests change one field.
    fn perfect() -> Engagement {
        Engagement {
            window_days: 90,
            meetings_in_window: 6,
            meetings_30d: 1,
            meetings_90d: 6,
            last_meeting: Some(now() - TimeDelta::days(1)),
            next_meeting: None,
            avg_days_between: None,
            cancellation_rate: Some(0.0),
            no_show_rate: Some(0.0),
            reschedule_rate: None,
            by_category: BTreeMap::new(),
            stakeholder_coverage: Some(1.0),
        }
    }

    fn component<'a>(h: &'a Health, name: &str) -> &'a Component {
        h.components
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no component {name}"))
    }

    #[test]
    fn words_round_trip() {
        for t in [Tier::Enterprise, Tier::MidMarket, Tier::Smb, Tier::Other] {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
        for b in [Band::Healthy, Band::AtRisk, Band::Critical] {
            assert_eq!(Band::parse(b.as_str()), Some(b));
        }
        assert_eq!(Tier::MidMarket.as_str(), "mid-market");
        assert_eq!(Band::AtRisk.as_str(), "at_risk");
        assert_eq!(Tier::parse("mid_market"), None);
        assert_eq!(Band::parse("at-risk"), None);
    }

    #[test]
    fn weights_default_and_validate() {
        let w = Weights::default();
        assert_eq!(
            (
                w.recency,
                w.frequency,
                w.cancellations,
                w.no_shows,
                w.coverage
            ),
            (30, 30, 15, 10, 15)
        );
        assert_eq!(w.validate(), Ok(()));
        let zero = Weights {
            recency: 0,
            frequency: 0,
            cancellations: 0,
            no_shows: 0,
            coverage: 0,
        };
        assert!(zero.validate().is_err());
        assert_eq!(
            Weights {
                no_shows: 1,
                ..zero
            }
            .validate(),
            Ok(())
        );
        let max = Weights {
            recency: u32::MAX,
            frequency: u32::MAX,
            cancellations: u32::MAX,
            no_shows: u32::MAX,
            coverage: u32::MAX,
        };
        assert_eq!(max.validate(), Ok(()), "the total must not overflow");
    }

    #[test]
    fn recency_breakpoints() {
        #[rustfmt::skip]
        let cases = [
            ("today", Some(0), 100, "last meeting today"),
            ("yesterday", Some(1), 100, "last meeting 1 day ago"),
            ("12 days", Some(12), 100, "last meeting 12 days ago"),
            ("30 days", Some(30), 100, "last meeting 30 days ago"),
            ("31 days", Some(31), 98, "last meeting 31 days ago"),
            ("45 days", Some(45), 75, "last meeting 45 days ago"),
            ("60 days", Some(60), 50, "last meeting 60 days ago"),
            ("61 days", Some(61), 49, "last meeting 61 days ago"),
            ("90 days", Some(90), 25, "last meeting 90 days ago"),
            ("119 days", Some(119), 1, "last meeting 119 days ago"),
            ("120 days", Some(120), 0, "last meeting 120 days ago"),
            ("a year", Some(365), 0, "last meeting 365 days ago"),
            ("never", None, 0, "no meeting held yet"),
        ];
        for (name, days, score, detail) in cases {
            let e = Engagement {
                last_meeting: days.map(|d| now() - TimeDelta::days(d)),
                ..perfect()
            };
            let h = health(&e, Tier::Smb, &Weights::default(), now());
            let c = component(&h, "recency");
            assert_eq!((c.score, c.detail.as_str()), (score, detail), "{name}");
        }
        // Whole days: 30 days and 23 hours is still 30 days.
        let e = Engagement {
            last_meeting: Some(now() - TimeDelta::days(30) - TimeDelta::hours(23)),
            ..perfect()
        };
        let h = health(&e, Tier::Smb, &Weights::default(), now());
        assert_eq!(component(&h, "recency").score, 100);
    }

    #[test]
    fn frequency_against_the_tier_target() {
        assert_eq!(target_meetings_per_90d(Tier::Enterprise), 6.0);
        assert_eq!(target_meetings_per_90d(Tier::MidMarket), 3.0);
        assert_eq!(target_meetings_per_90d(Tier::Smb), 1.0);
        assert_eq!(target_meetings_per_90d(Tier::Other), 2.0);
        #[rustfmt::skip]
        let cases = [
            (Tier::Enterprise, 0, 0),
            (Tier::Enterprise, 3, 50),
            (Tier::Enterprise, 5, 83),
            (Tier::Enterprise, 6, 100),
            (Tier::Enterprise, 9, 100),
            (Tier::MidMarket, 1, 33),
            (Tier::MidMarket, 2, 67),
            (Tier::MidMarket, 3, 100),
            (Tier::Smb, 0, 0),
            (Tier::Smb, 1, 100),
            (Tier::Other, 1, 50),
            (Tier::Other, 2, 100),
        ];
        for (tier, meetings, score) in cases {
            let e = Engagement {
                meetings_90d: meetings,
                ..perfect()
            };
            let h = health(&e, tier, &Weights::default(), now());
            assert_eq!(
                component(&h, "frequency").score,
                score,
                "{tier:?} {meetings}"
            );
        }
        let e = Engagement {
            meetings_90d: 2,
            ..perfect()
        };
        let h = health(&e, Tier::Enterprise, &Weights::default(), now());
        assert_eq!(
            component(&h, "frequency").detail,
            "2 meetings held in the last 90 days, target 6 for enterprise"
        );
    }

    #[test]
    fn cancellation_and_no_show_scores() {
        #[rustfmt::skip]
        let cases = [
            (None, 100),
            (Some(0.0), 100),
            (Some(0.1), 80),
            (Some(0.25), 50),
            (Some(0.4), 20),
            (Some(0.5), 0),
            (Some(0.8), 0),
            (Some(1.0), 0),
            (Some(-0.5), 100),
            (Some(f64::NAN), 0),
        ];
        for (rate, score) in cases {
            let e = Engagement {
                cancellation_rate: rate,
                ..perfect()
            };
            let h = health(&e, Tier::Smb, &Weights::default(), now());
            assert_eq!(
                component(&h, "cancellations").score,
                score,
                "cancellations {rate:?}"
            );
            assert_eq!(
                component(&h, "no_shows").score,
                100,
                "no-shows untouched by {rate:?}"
            );
            let e = Engagement {
                no_show_rate: rate,
                ..perfect()
            };
            let h = health(&e, Tier::Smb, &Weights::default(), now());
            assert_eq!(component(&h, "no_shows").score, score, "no-shows {rate:?}");
            assert_eq!(
                component(&h, "cancellations").score,
                100,
                "cancellations untouched by {rate:?}"
            );
        }
        let e = Engagement {
            cancellation_rate: Some(0.25),
            no_show_rate: None,
            ..perfect()
        };
        let h = health(&e, Tier::Smb, &Weights::default(), now());
        assert_eq!(
            component(&h, "cancellations").detail,
            "25% of meetings in the last 90 days cancelled by the customer"
        );
        assert_eq!(
            component(&h, "no_shows").detail,
            "no meetings due in the last 90 days"
        );
    }

    #[test]
    fn coverage_scores() {
        #[rustfmt::skip]
        let cases = [
            (None, 0, "no stakeholders on file"),
            (Some(0.0), 0, "0% of known stakeholders met in the last 90 days"),
            (Some(0.6), 60, "60% of known stakeholders met in the last 90 days"),
            (Some(2.0 / 3.0), 67, "67% of known stakeholders met in the last 90 days"),
            (Some(1.0), 100, "100% of known stakeholders met in the last 90 days"),
        ];
        for (coverage, score, detail) in cases {
            let e = Engagement {
                stakeholder_coverage: coverage,
                ..perfect()
            };
            let h = health(&e, Tier::Smb, &Weights::default(), now());
            let c = component(&h, "coverage");
            assert_eq!(
                (c.score, c.detail.as_str()),
                (score, detail),
                "{coverage:?}"
            );
        }
    }

    #[test]
    fn overall_is_the_weighted_mean() {
        // Component scores: recency 75 (45 days), frequency 50 (3 of 6),
        // cancellations 80, no-shows 0, coverage 60.
        let e = Engagement {
            last_meeting: Some(now() - TimeDelta::days(45)),
            meetings_90d: 3,
            cancellation_rate: Some(0.1),
            no_show_rate: Some(0.5),
            stakeholder_coverage: Some(0.6),
            ..perfect()
        };
        let w = |recency, frequency, cancellations, no_shows, coverage| Weights {
            recency,
            frequency,
            cancellations,
            no_shows,
            coverage,
        };
        #[rustfmt::skip]
        let cases = [
            // (30·75 + 30·50 + 15·80 + 10·0 + 15·60) / 100 = 58.5, rounds up
            ("default", Weights::default(), 59, Band::AtRisk),
            ("recency only", w(1, 0, 0, 0, 0), 75, Band::Healthy),
            ("no-shows only", w(0, 0, 0, 7, 0), 0, Band::Critical),
            ("equal", w(1, 1, 1, 1, 1), 53, Band::AtRisk),
            // (2·75 + 1·80) / 3 = 76.67
            ("two of five", w(2, 0, 1, 0, 0), 77, Band::Healthy),
            ("all zero counts equally", w(0, 0, 0, 0, 0), 53, Band::AtRisk),
        ];
        for (name, weights, score, band) in cases {
            let h = health(&e, Tier::Enterprise, &weights, now());
            assert_eq!((h.score, h.band), (score, band), "{name}");
        }
    }

    #[test]
    fn zero_weight_components_are_listed_but_not_counted() {
        let e = Engagement {
            stakeholder_coverage: None,
            ..perfect()
        };
        let weights = Weights {
            coverage: 0,
            ..Weights::default()
        };
        let h = health(&e, Tier::Smb, &weights, now());
        let names: Vec<&str> = h.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "recency",
                "frequency",
                "cancellations",
                "no_shows",
                "coverage"
            ]
        );
        let coverage = component(&h, "coverage");
        assert_eq!((coverage.weight, coverage.score), (0, 0));
        assert_eq!(h.score, 100);
        let counted = health(&e, Tier::Smb, &Weights::default(), now());
        assert_eq!(
            counted.score, 85,
            "with its default weight the missing coverage costs 15"
        );
    }

    #[test]
    fn bands_edges() {
        #[rustfmt::skip]
        let cases = [
            (0, Band::Critical),
            (39, Band::Critical),
            (40, Band::AtRisk),
            (69, Band::AtRisk),
            (70, Band::Healthy),
            (100, Band::Healthy),
        ];
        for (score, band) in cases {
            assert_eq!(Band::of(score), band, "{score}");
        }
    }

    #[test]
    fn trend_arrow() {
        #[rustfmt::skip]
        let cases = [
            (50, None, None),
            (50, Some(50), Some(Trend::Flat)),
            (54, Some(50), Some(Trend::Flat)),
            (55, Some(50), Some(Trend::Up)),
            (46, Some(50), Some(Trend::Flat)),
            (45, Some(50), Some(Trend::Down)),
            (100, Some(0), Some(Trend::Up)),
            (0, Some(100), Some(Trend::Down)),
        ];
        for (current, before, expected) in cases {
            assert_eq!(trend(current, before), expected, "{current} vs {before:?}");
        }
    }

    mod invariants {
        use super::*;
        use proptest::prelude::*;

        fn any_rate() -> impl Strategy<Value = Option<f64>> {
            prop::option::of(prop_oneof![0.0..=1.0f64, prop::num::f64::ANY])
        }

        fn any_engagement() -> impl Strategy<Value = Engagement> {
            (
                any::<u32>(),
                any::<u32>(),
                prop::option::of(-86_400i64 * 400..86_400 * 10),
                any_rate(),
                any_rate(),
                any_rate(),
            )
                .prop_map(|(d30, d90, last, cancel, no_show, coverage)| Engagement {
                    window_days: 90,
                    meetings_in_window: d90,
                    meetings_30d: d30,
                    meetings_90d: d90,
                    last_meeting: last.map(|s| now() + TimeDelta::seconds(s)),
                    next_meeting: None,
                    avg_days_between: None,
                    cancellation_rate: cancel,
                    no_show_rate: no_show,
                    reschedule_rate: None,
                    by_category: BTreeMap::new(),
                    stakeholder_coverage: coverage,
                })
        }

        fn any_weight() -> impl Strategy<Value = u32> {
            prop_oneof![0..=100u32, any::<u32>()]
        }

        fn any_weights() -> impl Strategy<Value = Weights> {
            (
                any_weight(),
                any_weight(),
                any_weight(),
                any_weight(),
                any_weight(),
            )
                .prop_map(
                    |(recency, frequency, cancellations, no_shows, coverage)| Weights {
                        recency,
                        frequency,
                        cancellations,
                        no_shows,
                        coverage,
                    },
                )
                .prop_filter("weights must validate", |w| w.validate().is_ok())
        }

        fn any_tier() -> impl Strategy<Value = Tier> {
            prop::sample::select(vec![
                Tier::Enterprise,
                Tier::MidMarket,
                Tier::Smb,
                Tier::Other,
            ])
        }

        proptest! {
            #[test]
            fn score_is_the_weighted_mean_of_components(e in any_engagement(), tier in any_tier(), weights in any_weights()) {
                let h = health(&e, tier, &weights, now());
                prop_assert!(h.score <= 100, "score {}", h.score);
                prop_assert_eq!(h.band, Band::of(h.score));
                let expected_weights = [weights.recency, weights.frequency, weights.cancellations, weights.no_shows, weights.coverage];
                prop_assert_eq!(h.components.len(), 5);
                let mut sum = 0.0;
                let mut total = 0.0;
                for (c, w) in h.components.iter().zip(expected_weights) {
                    prop_assert!(c.score <= 100, "{} scored {}", c.name, c.score);
                    prop_assert_eq!(c.weight, w);
                    prop_assert!(!c.detail.is_empty());
                    sum += f64::from(w) * f64::from(c.score);
                    total += f64::from(w);
                }
                prop_assert_eq!(f64::from(h.score), (sum / total).round());
            }
        }
    }
}
