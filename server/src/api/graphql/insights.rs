//! Insights for team admins and CS leaders: booking outcomes and rates, the busiest
//! hours, booking-page conversion and round-robin fairness, each over a period and a
//! scope. The same tables download as CSV from REST `/v2/insights/…`.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::Utc;

use super::error::GqlResult;
use super::{app, caller, field_id, to_id};
use crate::app::insights::{
    self, ConversionLine, FairnessLine, GroupBy, Period, ReportScope, StatsLine,
};
use crate::domain::ids::{EventTypeId, TeamId, UserId};
use crate::domain::insights::heat_map::{HeatMap, WEEKDAYS};

/// Which bookings a report covers; nothing set is the whole organization (for its
/// owners and admins).
#[derive(Debug, Clone, Default, InputObject)]
pub struct InsightsScope {
    /// One team's event types (for its owners and admins).
    pub team_id: Option<ID>,
    /// One event type.
    pub event_type_id: Option<ID>,
    /// The bookings one member hosts.
    pub user_id: Option<ID>,
}

impl InsightsScope {
    fn read(&self) -> GqlResult<ReportScope> {
        let id = |field: &str, id: &Option<ID>| id.as_ref().map(|i| field_id(field, i)).transpose();
        Ok(ReportScope {
            team: id("teamId", &self.team_id)?.map(TeamId),
            event_type: id("eventTypeId", &self.event_type_id)?.map(EventTypeId),
            member: id("userId", &self.user_id)?.map(UserId),
        })
    }
}

/// What each line of a booking report stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum InsightsGroupBy {
    /// One line for the whole scope.
    All,
    /// A line per team; personal event types share one.
    Team,
    /// A line per event type.
    EventType,
    /// A line per host; a booking with several hosts counts for each.
    Member,
}

impl From<InsightsGroupBy> for GroupBy {
    fn from(g: InsightsGroupBy) -> GroupBy {
        match g {
            InsightsGroupBy::All => GroupBy::All,
            InsightsGroupBy::Team => GroupBy::Team,
            InsightsGroupBy::EventType => GroupBy::EventType,
            InsightsGroupBy::Member => GroupBy::Member,
        }
    }
}

/// One line of a booking report. Counts are of bookings whose meeting starts in the
/// period; rates are parts of `created`, null when nothing was booked.
#[derive(Debug, Clone, SimpleObject)]
pub struct BookingStatsLine {
    /// What the line is about: `ALL`, a team, an event type or a member.
    pub group_by: InsightsGroupBy,
    /// The team's, event type's or user's id; null for the whole scope and for
    /// personal event types grouped by team.
    pub group_id: Option<ID>,
    /// Its name: a team slug, an event type title, a username.
    pub group_name: String,
    /// Bookings made, whatever became of them.
    pub created: i32,
    /// Accepted meetings that have ended with nobody marked absent.
    pub completed: i32,
    /// Cancelled, not by a reschedule.
    pub cancelled: i32,
    /// Moved to another time (the replacement counts on its own).
    pub rescheduled: i32,
    /// Accepted meetings with an attendee marked absent.
    pub no_shows: i32,
    /// `completed / created`.
    pub completed_rate: Option<f64>,
    /// `cancelled / created`.
    pub cancelled_rate: Option<f64>,
    /// `rescheduled / created`.
    pub rescheduled_rate: Option<f64>,
    /// `noShows / created`.
    pub no_show_rate: Option<f64>,
    /// How long before its start a booking was made, on average, in minutes.
    pub average_lead_time_minutes: Option<f64>,
}

impl From<StatsLine> for BookingStatsLine {
    fn from(line: StatsLine) -> BookingStatsLine {
        let (s, t) = (line.stats, line.stats.tally);
        BookingStatsLine {
            group_by: match line.group.by {
                GroupBy::All => InsightsGroupBy::All,
                GroupBy::Team => InsightsGroupBy::Team,
                GroupBy::EventType => InsightsGroupBy::EventType,
                GroupBy::Member => InsightsGroupBy::Member,
            },
            group_id: line.group.id.map(to_id),
            group_name: line.group.name,
            created: int(t.created),
            completed: int(t.completed),
            cancelled: int(t.cancelled),
            rescheduled: int(t.rescheduled),
            no_shows: int(t.no_shows),
            completed_rate: s.completed_rate,
            cancelled_rate: s.cancelled_rate,
            rescheduled_rate: s.rescheduled_rate,
            no_show_rate: s.no_show_rate,
            average_lead_time_minutes: s.average_lead_time_minutes,
        }
    }
}

/// Live bookings by weekday and hour of their start, in `timeZone`.
#[derive(Debug, Clone, SimpleObject)]
pub struct BusiestHours {
    /// The zone days and hours are read in.
    pub time_zone: String,
    /// Monday to Sunday.
    pub days: Vec<BusyDay>,
}

/// One weekday of the heat map.
#[derive(Debug, Clone, SimpleObject)]
pub struct BusyDay {
    /// `Monday` … `Sunday`.
    pub weekday: String,
    /// Bookings starting in each hour, 0–23.
    pub hours: Vec<i32>,
    /// The day's bookings.
    pub total: i32,
}

impl From<HeatMap> for BusiestHours {
    fn from(map: HeatMap) -> BusiestHours {
        BusiestHours {
            time_zone: map.zone.name().to_string(),
            days: WEEKDAYS
                .iter()
                .zip(map.cells)
                .map(|(weekday, hours)| BusyDay {
                    weekday: weekday.to_string(),
                    total: int(hours.iter().sum()),
                    hours: hours.into_iter().map(int).collect(),
                })
                .collect(),
        }
    }
}

/// How one booking page turned views into bookings.
#[derive(Debug, Clone, SimpleObject)]
pub struct PageConversion {
    /// The event type whose page it is.
    pub event_type_id: ID,
    /// Its slug.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// Times its booking page was shown in the period (counted by Convene itself).
    pub views: i32,
    /// Bookings made in the period (reschedules not counted again).
    pub bookings: i32,
    /// Of those, the meetings that took place.
    pub completed: i32,
    /// `bookings / views`; null without views.
    pub booking_rate: Option<f64>,
    /// `completed / views`; null without views.
    pub completion_rate: Option<f64>,
}

impl From<ConversionLine> for PageConversion {
    fn from(line: ConversionLine) -> PageConversion {
        let c = line.conversion;
        PageConversion {
            event_type_id: to_id(line.event_type.id.0),
            slug: line.event_type.slug,
            title: line.event_type.title,
            views: int(c.views),
            bookings: int(c.bookings),
            completed: int(c.completed),
            booking_rate: c.booking_rate,
            completion_rate: c.completion_rate,
        }
    }
}

/// One rotating host of a round-robin type in a fairness table.
#[derive(Debug, Clone, SimpleObject)]
pub struct HostShare {
    /// The host's user id.
    pub user_id: ID,
    /// Their handle.
    pub username: String,
    /// Their weight on the event type.
    pub weight: i32,
    /// Bookings they took in the period (live ones: not cancelled or rejected).
    pub bookings: i32,
    /// Their part of the period's bookings, 0–1.
    pub share: f64,
    /// Their weight over the rotating hosts' total weight, 0–1.
    pub weight_share: f64,
    /// `(share - weightShare) / weightShare`: 0.1 is 10% more than their weight asks;
    /// null when the period had no bookings. A host away part of the period is owed
    /// less than their weight share.
    pub deviation: Option<f64>,
}

impl From<FairnessLine> for HostShare {
    fn from(line: FairnessLine) -> HostShare {
        let s = line.share;
        HostShare {
            user_id: to_id(s.user_id.0),
            username: line.username,
            weight: i32::try_from(s.weight).unwrap_or(i32::MAX),
            bookings: int(s.bookings),
            share: s.share,
            weight_share: s.weight_share,
            deviation: s.deviation,
        }
    }
}

fn int(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn period(start: String, end: String, time_zone: Option<String>) -> Period {
    Period {
        start,
        end,
        time_zone,
    }
}

/// Insights queries; they need a key. Every one takes a period: `start` and `end` are
/// ISO 8601 instants or dates `YYYY-MM-DD` (a whole day), read in `timeZone` (default:
/// the viewer's own zone).
#[derive(Default)]
pub struct InsightsQuery;

#[Object]
impl InsightsQuery {
    /// Bookings created, completed, cancelled, rescheduled and no-shows, their rates
    /// and the average lead time, for the bookings in `scope` starting in the period; a
    /// line per `groupBy`, most bookings first.
    async fn booking_stats(
        &self,
        ctx: &Context<'_>,
        scope: Option<InsightsScope>,
        start: String,
        end: String,
        time_zone: Option<String>,
        #[graphql(default_with = "InsightsGroupBy::All")] group_by: InsightsGroupBy,
    ) -> GqlResult<Vec<BookingStatsLine>> {
        let scope = scope.unwrap_or_default().read()?;
        let lines = insights::booking_stats(
            app(ctx)?,
            caller(ctx)?,
            scope,
            &period(start, end, time_zone),
            group_by.into(),
            Utc::now(),
        )
        .await?;
        Ok(lines.into_iter().map(Into::into).collect())
    }

    /// The busiest days and hours: live bookings in `scope` starting in the period, by
    /// weekday and hour in `timeZone` (a 7×24 heat map).
    async fn busiest_hours(
        &self,
        ctx: &Context<'_>,
        scope: Option<InsightsScope>,
        start: String,
        end: String,
        time_zone: Option<String>,
    ) -> GqlResult<BusiestHours> {
        let scope = scope.unwrap_or_default().read()?;
        let map = insights::busiest_hours(
            app(ctx)?,
            caller(ctx)?,
            scope,
            &period(start, end, time_zone),
        )
        .await?;
        Ok(map.into())
    }

    /// Each booking page in `scope`: its views in the period against the bookings made
    /// in it and how many took place, most viewed first.
    async fn booking_page_conversion(
        &self,
        ctx: &Context<'_>,
        scope: Option<InsightsScope>,
        start: String,
        end: String,
        time_zone: Option<String>,
    ) -> GqlResult<Vec<PageConversion>> {
        let scope = scope.unwrap_or_default().read()?;
        let lines = insights::conversion(
            app(ctx)?,
            caller(ctx)?,
            scope,
            &period(start, end, time_zone),
            Utc::now(),
        )
        .await?;
        Ok(lines.into_iter().map(Into::into).collect())
    }

    /// A round-robin type's distribution audit: each rotating host's bookings starting
    /// in the period against the share their weight asks for. For the owners and admins
    /// of its team.
    async fn round_robin_fairness(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A round-robin team event type.")] event_type_id: ID,
        start: String,
        end: String,
        time_zone: Option<String>,
    ) -> GqlResult<Vec<HostShare>> {
        let event_type = EventTypeId(field_id("eventTypeId", &event_type_id)?);
        let lines = insights::round_robin_fairness(
            app(ctx)?,
            caller(ctx)?,
            event_type,
            &period(start, end, time_zone),
        )
        .await?;
        Ok(lines.into_iter().map(Into::into).collect())
    }
}
