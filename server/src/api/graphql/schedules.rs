//! Schedules: a host's weekly availability and date overrides (REST `/v2/schedules`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::error::GqlResult;
use super::page::{Page, page_request};
use super::{app, caller, lookup_id, to_id};
use crate::app::schedules::{self, OverrideInput, ScheduleView, WeeklyInput};
use crate::domain::ids::ScheduleId;

/// Weekly availability: on each of `days`, from `startTime` to `endTime` local time.
#[derive(Debug, Clone, SimpleObject)]
pub struct ScheduleAvailability {
    /// Day names, `Monday` … `Sunday`.
    pub days: Vec<String>,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`, up to `24:00`.
    pub end_time: String,
}

/// One range of a date override; `00:00`–`00:00` means the day is unavailable.
#[derive(Debug, Clone, SimpleObject)]
pub struct ScheduleOverride {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`.
    pub end_time: String,
}

/// A schedule: weekly hours in a zone, with date overrides.
#[derive(Debug, Clone, SimpleObject)]
pub struct Schedule {
    /// The schedule's id.
    pub id: ID,
    /// The host it belongs to.
    pub owner_id: ID,
    /// Display name.
    pub name: String,
    /// IANA zone the times are in.
    pub time_zone: String,
    /// Whether event types without a schedule of their own use it.
    pub is_default: bool,
    /// Weekly ranges, days with identical hours grouped.
    pub availability: Vec<ScheduleAvailability>,
    /// Date overrides, one entry per range.
    pub overrides: Vec<ScheduleOverride>,
}

impl From<ScheduleView> for Schedule {
    fn from(view: ScheduleView) -> Schedule {
        let availability = view
            .availability()
            .into_iter()
            .map(|w| ScheduleAvailability {
                days: w.days,
                start_time: w.start_time,
                end_time: w.end_time,
            })
            .collect();
        let overrides = view
            .overrides()
            .into_iter()
            .map(|o| ScheduleOverride {
                date: o.date,
                start_time: o.start_time,
                end_time: o.end_time,
            })
            .collect();
        let s = view.schedule;
        Schedule {
            id: to_id(s.id.0),
            owner_id: to_id(s.user_id.0),
            name: s.name,
            time_zone: s.rules.tz.name().to_string(),
            is_default: view.is_default,
            availability,
            overrides,
        }
    }
}

/// Weekly availability to set: on each of `days`, from `startTime` to `endTime`.
#[derive(Debug, Clone, InputObject)]
pub struct ScheduleAvailabilityInput {
    /// Day names, `Monday` … `Sunday`.
    pub days: Vec<String>,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`, up to `24:00`.
    pub end_time: String,
}

/// One override range on `date`; several entries for one date add ranges, and
/// `00:00`–`00:00` makes the day unavailable.
#[derive(Debug, Clone, InputObject)]
pub struct ScheduleOverrideInput {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`.
    pub start_time: String,
    /// `HH:MM`.
    pub end_time: String,
}

/// Fields of a schedule. On create `name` is required; on update, absent fields stay
/// as they are. Problems are reported as `VALIDATION_ERROR` naming each field.
#[derive(Debug, Clone, Default, InputObject)]
pub struct ScheduleInput {
    /// Display name.
    pub name: Option<String>,
    /// IANA zone the times are in (default: the caller's zone).
    pub time_zone: Option<String>,
    /// Make it the caller's default schedule (a first schedule always is).
    pub is_default: Option<bool>,
    /// Weekly ranges; on create, absent means Monday–Friday 09:00–17:00.
    pub availability: Option<Vec<ScheduleAvailabilityInput>>,
    /// Date overrides (replacing all existing ones when given).
    pub overrides: Option<Vec<ScheduleOverrideInput>>,
}

impl From<ScheduleInput> for schedules::ScheduleInput {
    fn from(input: ScheduleInput) -> schedules::ScheduleInput {
        schedules::ScheduleInput {
            name: input.name,
            time_zone: input.time_zone,
            is_default: input.is_default,
            availability: input.availability.map(|list| {
                list.into_iter()
                    .map(|a| WeeklyInput {
                        days: a.days,
                        start_time: a.start_time,
                        end_time: a.end_time,
                    })
                    .collect()
            }),
            overrides: input.overrides.map(|list| {
                list.into_iter()
                    .map(|o| OverrideInput {
                        date: o.date,
                        start_time: o.start_time,
                        end_time: o.end_time,
                    })
                    .collect()
            }),
        }
    }
}

/// Queries about schedules; all need a key.
#[derive(Default)]
pub struct ScheduleQuery;

#[Object]
impl ScheduleQuery {
    /// One page of the caller's schedules, oldest first.
    async fn schedules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<Schedule>> {
        let app = app(ctx)?;
        let page = schedules::list(app, caller(ctx)?, page_request(cursor, limit)).await?;
        Ok(page.into())
    }

    /// One of the caller's schedules.
    async fn schedule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The schedule's id.")] id: ID,
    ) -> GqlResult<Schedule> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        let id = ScheduleId(lookup_id("schedule", &id)?);
        Ok(schedules::get(app, caller, id).await?.into())
    }

    /// The caller's default schedule (`NOT_FOUND` when there is none yet).
    async fn default_schedule(&self, ctx: &Context<'_>) -> GqlResult<Schedule> {
        let app = app(ctx)?;
        Ok(schedules::get_default(app, caller(ctx)?).await?.into())
    }
}

/// Mutations of schedules; all need a key.
#[derive(Default)]
pub struct ScheduleMutation;

#[Object]
impl ScheduleMutation {
    /// Creates a schedule for the caller; the first one becomes the default.
    async fn create_schedule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields to set.")] input: ScheduleInput,
    ) -> GqlResult<Schedule> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        Ok(schedules::create(app, caller, input.into()).await?.into())
    }

    /// Changes the fields given in `input` of the caller's schedule `id`.
    async fn update_schedule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The schedule's id.")] id: ID,
        #[graphql(desc = "The fields to set.")] input: ScheduleInput,
    ) -> GqlResult<Schedule> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        let id = ScheduleId(lookup_id("schedule", &id)?);
        Ok(schedules::update(app, caller, id, input.into())
            .await?
            .into())
    }

    /// Deletes the caller's schedule `id` (event types using it fall back to the
    /// default); answers its id.
    async fn delete_schedule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The schedule's id.")] id: ID,
    ) -> GqlResult<ID> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        let row = ScheduleId(lookup_id("schedule", &id)?);
        schedules::delete(app, caller, row).await?;
        Ok(id)
    }
}
