//! Recurring series: one request books a meeting every N weeks or months, each
//! occurrence at the same local time in the host's zone, so a series of 10:00
//! meetings stays at 10:00 on both sides of a DST change.

use chrono::{DateTime, Days, Months, Timelike, Utc};
use chrono_tz::Tz;

use super::schedule::resolve_local;
use super::validate::FieldIssue;

/// The most occurrences a series may have.
pub const MAX_OCCURRENCES: u32 = 730;

/// How often a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Every `interval` weeks, on the same weekday.
    Weekly,
    /// Every `interval` months, on the same day of the month (the month's last day
    /// when it is shorter: a series on the 31st meets on 28 or 30 February… April).
    Monthly,
}

impl Frequency {
    /// The word used in storage and the API (`weekly`, `monthly`).
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
        }
    }

    /// Parses the word; `None` for anything else.
    pub fn parse(s: &str) -> Option<Frequency> {
        [Frequency::Weekly, Frequency::Monthly]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// An event type's recurrence rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    /// Weekly or monthly.
    pub frequency: Frequency,
    /// Every how many weeks or months (at least 1).
    pub interval: u32,
    /// The most occurrences one booking may ask for.
    pub max_occurrences: u32,
}

impl Recurrence {
    /// A rule from the API's fields, every bad one named under `field`.
    pub fn new(
        field: &str,
        frequency: &str,
        interval: i64,
        max_occurrences: i64,
    ) -> Result<Recurrence, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let freq = Frequency::parse(frequency);
        if freq.is_none() {
            issues.push(FieldIssue::new(
                format!("{field}.frequency"),
                format!("`{frequency}` is not one of weekly, monthly"),
            ));
        }
        let interval = u32::try_from(interval)
            .ok()
            .filter(|n| (1..=52).contains(n));
        if interval.is_none() {
            issues.push(FieldIssue::new(
                format!("{field}.interval"),
                "must be between 1 and 52",
            ));
        }
        let max = u32::try_from(max_occurrences)
            .ok()
            .filter(|n| (1..=MAX_OCCURRENCES).contains(n));
        if max.is_none() {
            issues.push(FieldIssue::new(
                format!("{field}.occurrences"),
                format!("must be between 1 and {MAX_OCCURRENCES}"),
            ));
        }
        match (freq, interval, max) {
            (Some(frequency), Some(interval), Some(max_occurrences)) => Ok(Recurrence {
                frequency,
                interval,
                max_occurrences,
            }),
            _ => Err(issues),
        }
    }

    /// Checks how many occurrences a booking asks for: 1 up to the rule's maximum.
    pub fn check_count(&self, count: i64) -> Result<u32, String> {
        u32::try_from(count)
            .ok()
            .filter(|n| (1..=self.max_occurrences).contains(n))
            .ok_or_else(|| {
                format!(
                    "must be between 1 and {} for this event type",
                    self.max_occurrences
                )
            })
    }

    /// The starts of `count` occurrences, the first at `first`, each at the same local
    /// time in `tz` as the first (a time skipped by a spring-forward gap moves to the
    /// end of the gap, as availability does).
    pub fn occurrences(&self, first: DateTime<Utc>, tz: Tz, count: u32) -> Vec<DateTime<Utc>> {
        let local = first.with_timezone(&tz);
        let date = local.date_naive();
        let minute = u16::try_from(local.hour() * 60 + local.minute()).unwrap_or(0);
        (0..count)
            .filter_map(|i| {
                let step = i * self.interval;
                let day = match self.frequency {
                    Frequency::Weekly => date.checked_add_days(Days::new(7 * u64::from(step))),
                    Frequency::Monthly => date.checked_add_months(Months::new(step)),
                }?;
                Some(resolve_local(tz, day, minute))
            })
            .collect()
    }
}

/// Event type options that do not go with a recurring series: seats share one
/// occurrence, and a team type picks its host per booking.
pub fn check_options(recurrence: Option<Recurrence>, seated: bool, team: bool) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if recurrence.is_none() {
        return issues;
    }
    if seated {
        issues.push(FieldIssue::new(
            "recurrence",
            "a seated event type cannot be recurring",
        ));
    }
    if team {
        issues.push(FieldIssue::new(
            "recurrence",
            "recurring series are offered on personal event types only",
        ));
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::{America::New_York, Europe::London};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn rule(frequency: Frequency, interval: u32) -> Recurrence {
        Recurrence {
            frequency,
            interval,
            max_occurrences: 24,
        }
    }

    /// Name, rule, host zone, first start, count, expected starts.
    type Case = (
        &'static str,
        Recurrence,
        Tz,
        &'static str,
        u32,
        &'static [&'static str],
    );

    #[test]
    fn occurrences_keep_the_local_time_across_dst() {
        let cases: [Case; 5] = [
            (
                "weekly in London across the March change: 10:00 GMT, then 10:00 BST",
                rule(Frequency::Weekly, 1),
                London,
                "2027-03-22T10:00:00Z",
                3,
                &[
                    "2027-03-22T10:00:00Z",
                    "2027-03-29T09:00:00Z",
                    "2027-04-05T09:00:00Z",
                ],
            ),
            (
                "every two weeks in New York across the November change",
                rule(Frequency::Weekly, 2),
                New_York,
                "2027-10-25T13:30:00Z",
                3,
                &[
                    "2027-10-25T13:30:00Z",
                    "2027-11-08T14:30:00Z",
                    "2027-11-22T14:30:00Z",
                ],
            ),
            (
                "monthly on the 31st clamps to each month's last day",
                rule(Frequency::Monthly, 1),
                London,
                "2027-01-31T15:00:00Z",
                4,
                &[
                    "2027-01-31T15:00:00Z",
                    "2027-02-28T15:00:00Z",
                    "2027-03-31T14:00:00Z",
                    "2027-04-30T14:00:00Z",
                ],
            ),
            (
                "every three months",
                rule(Frequency::Monthly, 3),
                London,
                "2027-01-10T09:00:00Z",
                2,
                &["2027-01-10T09:00:00Z", "2027-04-10T08:00:00Z"],
            ),
            (
                "one occurrence is the first start",
                rule(Frequency::Weekly, 1),
                London,
                "2027-06-01T08:00:00Z",
                1,
                &["2027-06-01T08:00:00Z"],
            ),
        ];
        for (name, rule, tz, first, count, expected) in cases {
            let got = rule.occurrences(utc(first), tz, count);
            let expected: Vec<DateTime<Utc>> = expected.iter().map(|s| utc(s)).collect();
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_to_its_end() {
        // 01:30 London exists on 21 March 2027 but not on 28 March (01:00 → 02:00).
        let first = London
            .with_ymd_and_hms(2027, 3, 21, 1, 30, 0)
            .unwrap()
            .to_utc();
        let got = rule(Frequency::Weekly, 1).occurrences(first, London, 2);
        assert_eq!(got[1], utc("2027-03-28T01:00:00Z"));
    }

    #[test]
    fn rules_and_counts_are_checked() {
        let cases = [
            ("weekly", 1, 10, vec![]),
            ("monthly", 2, 12, vec![]),
            ("daily", 1, 10, vec!["recurrence.frequency"]),
            ("weekly", 0, 10, vec!["recurrence.interval"]),
            ("weekly", 1, 0, vec!["recurrence.occurrences"]),
            (
                "yearly",
                -1,
                10_000,
                vec![
                    "recurrence.frequency",
                    "recurrence.interval",
                    "recurrence.occurrences",
                ],
            ),
        ];
        for (frequency, interval, max, fields) in cases {
            let got = Recurrence::new("recurrence", frequency, interval, max);
            let named: Vec<String> = got
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|i| i.field)
                .collect();
            assert_eq!(named, fields, "{frequency} {interval} {max}");
        }
        let weekly = Some(rule(Frequency::Weekly, 1));
        for (seated, team, issues) in [
            (false, false, 0),
            (true, false, 1),
            (false, true, 1),
            (true, true, 2),
        ] {
            assert_eq!(
                check_options(weekly, seated, team).len(),
                issues,
                "seated {seated}, team {team}"
            );
            assert!(check_options(None, seated, team).is_empty());
        }
        let r = rule(Frequency::Weekly, 1);
        for (count, ok) in [(0, false), (1, true), (24, true), (25, false), (-2, false)] {
            assert_eq!(r.check_count(count).is_ok(), ok, "{count} occurrences");
        }
    }
}
