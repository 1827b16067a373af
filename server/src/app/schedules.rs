//! Schedules: a host's weekly availability and date overrides, in Cal.com API v2's shape
//! (`availability: [{days, startTime, endTime}]`, `overrides: [{date, startTime, endTime}]`).

use std::collections::BTreeMap;

use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::input::{self, Issues};
use super::page::{Page, PageRequest};
use super::{App, AppError, Result};
use crate::domain::ids::ScheduleId;
use crate::domain::saved_schedule::SavedSchedule;
use crate::domain::schedule::{
    DateOverride, LocalRange, Schedule, WEEK, WORKWEEK, WeeklyRule, format_hhmm, parse_hhmm,
};
use crate::store;

/// Weekly availability: on each of `days`, from `startTime` to `endTime` local time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WeeklyInput {
    /// Day names, `Monday` … `Sunday`.
    pub days: Vec<String>,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`, up to `24:00`.
    pub end_time: String,
}

/// One override range on `date`; several entries for one date add ranges, and
/// `00:00`–`00:00` makes the day unavailable.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OverrideInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`.
    pub end_time: String,
}

/// Fields of a schedule to create or change; on update, absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleInput {
    /// Display name.
    pub name: Option<String>,
    /// IANA zone the times are in.
    pub time_zone: Option<String>,
    /// Make it the host's default schedule.
    pub is_default: Option<bool>,
    /// Weekly ranges; on create, absent means Monday–Friday 09:00–17:00.
    pub availability: Option<Vec<WeeklyInput>>,
    /// Date overrides.
    pub overrides: Option<Vec<OverrideInput>>,
}

/// A schedule with whether it is its owner's default.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleView {
    /// The schedule.
    pub schedule: SavedSchedule,
    /// Whether event types without a schedule of their own use it.
    pub is_default: bool,
}

impl ScheduleView {
    /// The weekly rules as Cal.com shows them, days with the same hours grouped: the
    /// inverse of the `availability` input.
    pub fn availability(&self) -> Vec<WeeklyInput> {
        let mut by_hours: BTreeMap<(u16, u16), Vec<String>> = BTreeMap::new();
        for rule in &self.schedule.rules.weekly {
            by_hours
                .entry((rule.range.start_min, rule.range.end_min))
                .or_default()
                .push(weekday_name(rule.weekday).to_string());
        }
        by_hours
            .into_iter()
            .map(|((start, end), days)| WeeklyInput {
                days,
                start_time: format_hhmm(start),
                end_time: format_hhmm(end),
            })
            .collect()
    }

    /// The overrides as Cal.com shows them, one entry per range and `00:00`–`00:00` for a
    /// day off: the inverse of the `overrides` input.
    pub fn overrides(&self) -> Vec<OverrideInput> {
        let entry = |date: NaiveDate, start: u16, end: u16| OverrideInput {
            date: date.to_string(),
            start_time: format_hhmm(start),
            end_time: format_hhmm(end),
        };
        self.schedule
            .rules
            .overrides
            .iter()
            .flat_map(|o| {
                if o.ranges.is_empty() {
                    vec![entry(o.date, 0, 0)]
                } else {
                    o.ranges
                        .iter()
                        .map(|r| entry(o.date, r.start_min, r.end_min))
                        .collect()
                }
            })
            .collect()
    }
}

fn weekday(name: &str) -> Option<Weekday> {
    WEEK.into_iter()
        .find(|d| weekday_name(*d).eq_ignore_ascii_case(name))
}

/// The English day name Cal.com's API uses.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

fn range(issues: &mut Issues, field: &str, start: &str, end: &str) -> Option<LocalRange> {
    let start = issues.take(parse_hhmm(start).map_err(|e| issue(field, "startTime", e)))?;
    let end = issues.take(parse_hhmm(end).map_err(|e| issue(field, "endTime", e)))?;
    issues.take(LocalRange::new(start, end).map_err(|e| issue(field, "endTime", e)))
}

fn issue(field: &str, part: &str, e: impl ToString) -> crate::domain::validate::FieldIssue {
    crate::domain::validate::FieldIssue::new(format!("{field}.{part}"), e.to_string())
}

fn weekly_rules(issues: &mut Issues, input: &[WeeklyInput]) -> Vec<WeeklyRule> {
    let mut rules = Vec::new();
    for (i, entry) in input.iter().enumerate() {
        let field = format!("availability[{i}]");
        let Some(range) = range(issues, &field, &entry.start_time, &entry.end_time) else {
            continue;
        };
        issues.require(
            !entry.days.is_empty(),
            &format!("{field}.days"),
            "name at least one day",
        );
        for (j, day) in entry.days.iter().enumerate() {
            match weekday(day) {
                Some(weekday) => rules.push(WeeklyRule { weekday, range }),
                None => issues.require(
                    false,
                    &format!("{field}.days[{j}]"),
                    format!("`{day}` is not a day name (Monday … Sunday)"),
                ),
            }
        }
    }
    rules
}

fn date_overrides(issues: &mut Issues, input: &[OverrideInput]) -> Vec<DateOverride> {
    let mut by_date: BTreeMap<NaiveDate, Vec<LocalRange>> = BTreeMap::new();
    for (i, entry) in input.iter().enumerate() {
        let field = format!("overrides[{i}]");
        let Some(date) = issues.take(input::date(&format!("{field}.date"), &entry.date)) else {
            continue;
        };
        let ranges = by_date.entry(date).or_default();
        if entry.start_time == "00:00" && entry.end_time == "00:00" {
            continue;
        }
        if let Some(range) = range(issues, &field, &entry.start_time, &entry.end_time) {
            ranges.push(range);
        }
    }
    by_date
        .into_iter()
        .map(|(date, ranges)| DateOverride { date, ranges })
        .collect()
}

fn default_week(tz: chrono_tz::Tz) -> Schedule {
    let office = LocalRange::new(9 * 60, 17 * 60).expect("09:00-17:00 is a valid range");
    Schedule::weekly(tz, &WORKWEEK, &[office])
}

/// Applies `input` to `rules` (a new schedule starts from the caller's zone and a default week).
fn apply(rules: &mut Schedule, name: &mut String, input: &ScheduleInput) -> Result<()> {
    let mut issues = Issues::default();
    if let Some(n) = &input.name {
        issues.require(!n.trim().is_empty(), "name", "must not be empty");
        *name = n.trim().to_string();
    }
    if let Some(tz) = &input.time_zone
        && let Some(tz) = issues.take(input::zone("timeZone", tz))
    {
        rules.tz = tz;
    }
    if let Some(availability) = &input.availability {
        rules.weekly = weekly_rules(&mut issues, availability);
    }
    if let Some(overrides) = &input.overrides {
        rules.overrides = date_overrides(&mut issues, overrides);
    }
    issues.finish()
}

/// Creates a schedule for the caller; the first one becomes the default.
pub async fn create(app: &App, caller: Caller, input: ScheduleInput) -> Result<ScheduleView> {
    let user = super::users::me(app, caller).await?;
    if input.name.is_none() {
        return Err(AppError::invalid("name", "is required"));
    }
    let mut name = String::new();
    let mut rules = default_week(user.time_zone);
    apply(&mut rules, &mut name, &input)?;
    let saved =
        store::schedules::insert(&app.db, caller.org_id, caller.user_id, &name, &rules).await?;
    let is_default = input.is_default.unwrap_or(false) || user.default_schedule_id.is_none();
    if is_default {
        store::users::set_default_schedule(&app.db, caller.org_id, caller.user_id, Some(saved.id))
            .await?;
    }
    Ok(ScheduleView {
        schedule: saved,
        is_default,
    })
}

/// The caller's schedule `id`.
pub async fn get(app: &App, caller: Caller, id: ScheduleId) -> Result<ScheduleView> {
    let schedule = find_own(app, caller, id).await?;
    let user = super::users::me(app, caller).await?;
    Ok(ScheduleView {
        is_default: user.default_schedule_id == Some(schedule.id),
        schedule,
    })
}

/// The caller's default schedule.
pub async fn get_default(app: &App, caller: Caller) -> Result<ScheduleView> {
    let user = super::users::me(app, caller).await?;
    let id = user
        .default_schedule_id
        .ok_or_else(|| AppError::NotFound("you have no default schedule yet".into()))?;
    get(app, caller, id).await
}

/// One page of the caller's schedules, oldest first.
pub async fn list(app: &App, caller: Caller, page: PageRequest) -> Result<Page<ScheduleView>> {
    let keyset = page.keyset()?;
    let user = super::users::me(app, caller).await?;
    let rows =
        store::schedules::list_for_user(&app.db, caller.org_id, caller.user_id, keyset).await?;
    Ok(
        Page::from_rows(rows, &keyset, |s| s.id.0).map(|schedule| ScheduleView {
            is_default: user.default_schedule_id == Some(schedule.id),
            schedule,
        }),
    )
}

/// Changes the fields given in `input`.
pub async fn update(
    app: &App,
    caller: Caller,
    id: ScheduleId,
    input: ScheduleInput,
) -> Result<ScheduleView> {
    let mut schedule = find_own(app, caller, id).await?;
    apply(&mut schedule.rules, &mut schedule.name, &input)?;
    store::schedules::update(&app.db, &schedule).await?;
    if input.is_default == Some(true) {
        store::users::set_default_schedule(&app.db, caller.org_id, caller.user_id, Some(id))
            .await?;
    }
    get(app, caller, id).await
}

/// Deletes the caller's schedule `id`; event types using it fall back to the default.
pub async fn delete(app: &App, caller: Caller, id: ScheduleId) -> Result<()> {
    let schedule = find_own(app, caller, id).await?;
    let user = super::users::me(app, caller).await?;
    store::schedules::delete(&app.db, caller.org_id, schedule.id).await?;
    if user.default_schedule_id == Some(id) {
        store::users::set_default_schedule(&app.db, caller.org_id, caller.user_id, None).await?;
    }
    Ok(())
}

async fn find_own(app: &App, caller: Caller, id: ScheduleId) -> Result<SavedSchedule> {
    store::schedules::find(&app.db, caller.org_id, id)
        .await?
        .filter(|s| s.user_id == caller.user_id)
        .ok_or_else(|| AppError::NotFound(format!("schedule {id} does not exist")))
}
