//! Parsers for the plain values every use case receives: instants, dates, zones.
//! Each returns a message naming what was expected, for the caller to attach to a field.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::validate::FieldIssue;

/// An ISO 8601 instant with an offset (`2026-11-20T09:00:00Z`, `…+01:00`).
pub fn instant(field: &str, s: &str) -> Result<DateTime<Utc>, FieldIssue> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            FieldIssue::new(
                field,
                format!("`{s}` is not an ISO 8601 time with an offset, e.g. 2026-11-20T09:00:00Z"),
            )
        })
}

/// A calendar date `YYYY-MM-DD`.
pub fn date(field: &str, s: &str) -> Result<NaiveDate, FieldIssue> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| FieldIssue::new(field, format!("`{s}` is not a date in the form YYYY-MM-DD")))
}

/// An IANA zone name.
pub fn zone(field: &str, s: &str) -> Result<Tz, FieldIssue> {
    crate::domain::validate::time_zone(s).map_err(|m| FieldIssue::new(field, m))
}

/// Collects the errors of several independent checks, keeping their values.
#[derive(Default)]
pub struct Issues(pub Vec<FieldIssue>);

impl Issues {
    /// Keeps the value, or records the issue and yields `None`.
    pub fn take<T>(&mut self, checked: Result<T, FieldIssue>) -> Option<T> {
        checked.map_err(|issue| self.0.push(issue)).ok()
    }

    /// Keeps the value of a check with several issues of its own, or records them all.
    pub fn take_all<T>(&mut self, checked: Result<T, Vec<FieldIssue>>) -> Option<T> {
        checked.map_err(|issues| self.0.extend(issues)).ok()
    }

    /// Records an issue when `ok` is false.
    pub fn require(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        if !ok {
            self.0.push(FieldIssue::new(field, message));
        }
    }

    /// Fails with every recorded issue, if any.
    pub fn finish(self) -> super::Result<()> {
        super::AppError::check(self.0)
    }

    /// Yields the value of a last check that has several issues of its own (a page
    /// request), or fails with every recorded issue and that check's.
    pub fn finish_with<T>(mut self, checked: Result<T, Vec<FieldIssue>>) -> super::Result<T> {
        match checked {
            Ok(value) => self.finish().map(|()| value),
            Err(issues) => {
                self.0.extend(issues);
                Err(super::AppError::Validation(self.0))
            }
        }
    }
}

/// The first instant of local `date` in `tz` (midnight, or the end of a DST gap at midnight).
pub fn day_start(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    (0..=2)
        .find_map(|hour| {
            tz.from_local_datetime(&date.and_hms_opt(hour, 0, 0)?)
                .earliest()
        })
        .map_or_else(
            || date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            |t| t.with_timezone(&Utc),
        )
}
