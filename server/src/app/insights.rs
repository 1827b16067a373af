//! Reports for team admins and CS leaders, over a period and a scope (the
//! organization, a team, an event type, a member): booking outcomes and rates, the
//! busiest hours, booking-page conversion, and a round-robin type's distribution
//! audit. The store aggregates in SQL; `domain::insights` does the arithmetic.
//!
//! Who sees what: organization owners and admins see everything; team owners and admins
//! their team's event types and members; anyone their own bookings and event types.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::auth::Caller;
use super::availability::{EventTypeRef, bookable, query_range};
use super::{App, AppError, Result};
use crate::domain::event_type::EventType;
use crate::domain::ids::{EventTypeId, TeamId, UserId};
use crate::domain::insights::fairness::{self, HostShare};
use crate::domain::insights::heat_map::{self, HeatMap};
use crate::domain::insights::{BookingStats, BookingTally, Conversion};
use crate::domain::span::Span;
use crate::domain::team::SchedulingType;
use crate::store;
use crate::store::event_types::EventTypeLabel;
use crate::store::insights::{Per, Scope};

/// Which bookings a report covers; all fields empty is the whole organization.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportScope {
    /// One team's event types.
    pub team: Option<TeamId>,
    /// One event type.
    pub event_type: Option<EventTypeId>,
    /// The bookings one member hosts.
    pub member: Option<UserId>,
}

/// The period a report covers, as asked: instants, or dates read in `time_zone`, which
/// is also the zone of the heat map (the viewer's own zone when not given).
#[derive(Debug, Clone, Default)]
pub struct Period {
    /// An ISO 8601 instant, or a date (start of that day).
    pub start: String,
    /// An ISO 8601 instant, or a date (end of that day).
    pub end: String,
    /// An IANA zone.
    pub time_zone: Option<String>,
}

/// What each line of a booking report stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// One line for everything in scope.
    All,
    /// A line per team (personal event types together on one).
    Team,
    /// A line per event type.
    EventType,
    /// A line per host; a booking with several hosts counts for each.
    Member,
}

/// What a report line is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The kind of thing.
    pub by: GroupBy,
    /// Its id: a team, event type or user; `None` for the whole scope, or for
    /// personal event types grouped by team.
    pub id: Option<i64>,
    /// Its name as people know it: a title, a slug, a username.
    pub name: String,
}

/// One line of a booking report.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsLine {
    /// What it is about.
    pub group: Group,
    /// Its numbers.
    pub stats: BookingStats,
}

/// One booking page's line of a conversion report.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversionLine {
    /// The event type whose page it is.
    pub event_type: EventTypeLabel,
    /// Its numbers.
    pub conversion: Conversion,
}

/// Bookings created, completed, cancelled, rescheduled and no-shows, with their rates
/// and the average lead time, of the bookings in `scope` starting in `period`, a line
/// per `group_by`, busiest first.
pub async fn booking_stats(
    app: &App,
    caller: Caller,
    scope: ReportScope,
    period: &Period,
    group_by: GroupBy,
    now: DateTime<Utc>,
) -> Result<Vec<StatsLine>> {
    let allowed = allowed(app, caller, scope).await?;
    let (_, span) = allowed.read(period)?;
    let per = if group_by == GroupBy::Member {
        Per::Member
    } else {
        Per::EventType
    };
    let rows = store::insights::tallies(&app.db, &allowed.scope, span, per, now).await?;
    let mut lines: BTreeMap<Option<i64>, BookingTally> = BTreeMap::new();
    for (key, tally) in rows {
        let group = match group_by {
            GroupBy::All => None,
            GroupBy::EventType | GroupBy::Member => Some(key),
            GroupBy::Team => allowed
                .label(EventTypeId(key))
                .and_then(|l| l.team_id)
                .map(|t| t.0),
        };
        *lines.entry(group).or_default() += tally;
    }
    if group_by == GroupBy::All {
        lines.entry(None).or_default();
    }
    let names = names(app, caller, group_by, &allowed, lines.keys()).await?;
    let mut out: Vec<StatsLine> = lines
        .into_iter()
        .map(|(id, tally)| StatsLine {
            group: Group {
                by: group_by,
                id,
                name: names.get(&id).cloned().unwrap_or_default(),
            },
            stats: tally.into(),
        })
        .collect();
    out.sort_by_key(|line| std::cmp::Reverse(line.stats.tally.created));
    Ok(out)
}

/// The busiest days and hours of the live bookings in `scope` starting in `period`: a
/// 7×24 map in the period's zone, else the viewer's.
pub async fn busiest_hours(
    app: &App,
    caller: Caller,
    scope: ReportScope,
    period: &Period,
) -> Result<HeatMap> {
    let allowed = allowed(app, caller, scope).await?;
    let (zone, span) = allowed.read(period)?;
    let starts = store::insights::starts(&app.db, &allowed.scope, span).await?;
    Ok(heat_map::heat_map(&starts, zone))
}

/// How each booking page in `scope` turned its views in `period` into bookings made in
/// it, and how many of those took place; a member's scope is their personal pages.
pub async fn conversion(
    app: &App,
    caller: Caller,
    scope: ReportScope,
    period: &Period,
    now: DateTime<Utc>,
) -> Result<Vec<ConversionLine>> {
    let allowed = allowed(app, caller, scope).await?;
    let (_, span) = allowed.read(period)?;
    let pages = allowed.pages();
    let scope = Scope {
        event_types: Some(pages.iter().map(|l| l.id).collect()),
        member: None,
        ..allowed.scope.clone()
    };
    let views = store::insights::views(&app.db, &scope, span).await?;
    let made = store::insights::made(&app.db, &scope, span, now).await?;
    let mut lines: Vec<ConversionLine> = pages
        .into_iter()
        .filter_map(|label| {
            let seen = views.get(&label.id).copied().unwrap_or(0);
            let (booked, completed) = made.get(&label.id).copied().unwrap_or((0, 0));
            let quiet = seen == 0 && booked == 0;
            (!(quiet && label.deleted)).then(|| ConversionLine {
                conversion: Conversion::new(seen, booked, completed),
                event_type: label.clone(),
            })
        })
        .collect();
    lines.sort_by_key(|line| std::cmp::Reverse(line.conversion.views));
    Ok(lines)
}

/// Counts a view of `event_type`'s booking page, shown at `at`. A failure is logged,
/// never shown to the invitee: a lost view must not cost a booking.
pub async fn record_page_view(app: &App, event_type: &EventType, at: DateTime<Utc>) {
    if let Err(error) =
        store::insights::record_view(&app.db, event_type.org_id, event_type.id, at).await
    {
        tracing::warn!(event_type.id = event_type.id.0, %error, "booking page view not counted");
    }
}

/// The scope a caller may see, with the organization's event types to name lines by.
struct Allowed {
    scope: Scope,
    labels: HashMap<EventTypeId, EventTypeLabel>,
    asked: ReportScope,
    /// The viewer's own zone, for a period asked without one.
    viewer_zone: Tz,
}

impl Allowed {
    fn read(&self, period: &Period) -> Result<(Tz, Span)> {
        read_period(period, self.viewer_zone)
    }

    fn label(&self, id: EventTypeId) -> Option<&EventTypeLabel> {
        self.labels.get(&id)
    }

    /// The booking pages in scope: its event types, or a member's personal ones.
    fn pages(&self) -> Vec<&EventTypeLabel> {
        let mut pages: Vec<&EventTypeLabel> = match (&self.scope.event_types, self.asked.member) {
            (Some(ids), _) => ids.iter().filter_map(|id| self.labels.get(id)).collect(),
            (None, Some(member)) => self
                .labels
                .values()
                .filter(|l| l.owner == member && l.team_id.is_none())
                .collect(),
            (None, None) => self.labels.values().collect(),
        };
        pages.sort_by_key(|l| l.id);
        pages
    }
}

/// Checks that `caller` may see `asked`, FORBIDDEN otherwise, and resolves it.
async fn allowed(app: &App, caller: Caller, asked: ReportScope) -> Result<Allowed> {
    let labels: HashMap<EventTypeId, EventTypeLabel> =
        store::event_types::labels(&app.db, caller.org_id)
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
    let event_type = asked
        .event_type
        .map(|id| {
            labels.get(&id).cloned().ok_or_else(|| {
                AppError::invalid("eventTypeId", format!("event type {id} does not exist"))
            })
        })
        .transpose()?;
    let team = asked.team.or(event_type.as_ref().and_then(|e| e.team_id));
    if let (Some(asked_team), Some(e)) = (asked.team, &event_type)
        && e.team_id != Some(asked_team)
    {
        return Err(AppError::invalid(
            "eventTypeId",
            format!("event type {} is not one of team {asked_team}'s", e.id),
        ));
    }
    let me = super::users::me(app, caller).await?;
    if !me.org_role.manages() {
        let own_only = || {
            AppError::Forbidden(
                "only organization owners and admins see every booking; ask for a team you \
             manage, your own event types or your own bookings"
                    .into(),
            )
        };
        match (team, &event_type, asked.member) {
            (Some(team), _, _) => {
                super::teams::managed(app, caller, team).await?;
            }
            (None, Some(e), _) if e.owner == caller.user_id => {}
            (None, None, Some(member)) if member == caller.user_id => {}
            _ => return Err(own_only()),
        }
    }
    if let Some(member) = asked.member
        && store::users::find(&app.db, caller.org_id, member)
            .await?
            .is_none()
    {
        return Err(AppError::invalid(
            "userId",
            format!("user {member} does not exist"),
        ));
    }
    let event_types = match (&event_type, asked.team) {
        (Some(e), _) => Some(vec![e.id]),
        (None, Some(team)) => Some(
            labels
                .values()
                .filter(|l| l.team_id == Some(team))
                .map(|l| l.id)
                .collect(),
        ),
        (None, None) => None,
    };
    Ok(Allowed {
        scope: Scope {
            org: caller.org_id,
            event_types,
            member: asked.member,
        },
        labels,
        asked,
        viewer_zone: me.time_zone,
    })
}

/// The zone and span of `period`; the zone defaults to the viewer's own.
fn read_period(period: &Period, viewer_zone: Tz) -> Result<(Tz, Span)> {
    let zone = period.time_zone.as_deref().unwrap_or(viewer_zone.name());
    query_range(Some(zone), &period.start, &period.end)
}

/// The name of each line's group.
async fn names<'a>(
    app: &App,
    caller: Caller,
    group_by: GroupBy,
    allowed: &Allowed,
    ids: impl Iterator<Item = &'a Option<i64>>,
) -> Result<HashMap<Option<i64>, String>> {
    let ids: Vec<Option<i64>> = ids.copied().collect();
    let mut names = HashMap::new();
    match group_by {
        GroupBy::All => {
            names.insert(None, "All bookings".to_string());
        }
        GroupBy::EventType => {
            for id in ids.into_iter().flatten() {
                if let Some(l) = allowed.label(EventTypeId(id)) {
                    names.insert(Some(id), l.title.clone());
                }
            }
        }
        GroupBy::Member => {
            let users: Vec<UserId> = ids.into_iter().flatten().map(UserId).collect();
            for user in store::users::in_org(&app.db, caller.org_id, &users).await? {
                names.insert(Some(user.id.0), user.username);
            }
        }
        GroupBy::Team => {
            for id in ids {
                let name = match id {
                    Some(team) => store::teams::find(&app.db, caller.org_id, TeamId(team))
                        .await?
                        .map(|t| t.slug)
                        .unwrap_or_default(),
                    None => "Personal event types".to_string(),
                };
                names.insert(id, name);
            }
        }
    }
    Ok(names)
}

/// One host's line of a fairness table, with who they are.
#[derive(Debug, Clone)]
pub struct FairnessLine {
    /// The host's handle.
    pub username: String,
    /// Their numbers.
    pub share: HostShare,
}

/// Each rotating host of round-robin type `event_type`: their bookings starting in
/// `period` against their weight share. For the owners and admins of the type's team
/// (and the organization's).
pub async fn round_robin_fairness(
    app: &App,
    caller: Caller,
    event_type: EventTypeId,
    period: &Period,
) -> Result<Vec<FairnessLine>> {
    let b = bookable(app, &EventTypeRef::Id(event_type)).await?;
    if b.event_type.org_id != caller.org_id {
        return Err(AppError::NotFound(format!(
            "event type {event_type} does not exist"
        )));
    }
    let (Some(team_id), Some(team)) = (b.event_type.team_id, &b.team) else {
        return Err(not_round_robin(event_type));
    };
    super::teams::managed(app, caller, team_id).await?;
    if team.scheduling_type != SchedulingType::RoundRobin {
        return Err(not_round_robin(event_type));
    }
    let viewer = super::users::me(app, caller).await?;
    let (_, period) = read_period(period, viewer.time_zone)?;
    let rotating: Vec<_> = team
        .hosts
        .iter()
        .filter(|h| !h.host.mandatory)
        .map(|h| (h.user.id, h.host.weight))
        .collect();
    let ids: Vec<_> = rotating.iter().map(|(id, _)| *id).collect();
    let taken = store::booking_hosts::booked_within(&app.db, event_type, &ids, period).await?;
    let lines = fairness::shares(&rotating, &taken)
        .into_iter()
        .zip(team.hosts.iter().filter(|h| !h.host.mandatory))
        .map(|(share, host)| FairnessLine {
            username: host.user.username.clone(),
            share,
        })
        .collect();
    Ok(lines)
}

fn not_round_robin(id: EventTypeId) -> AppError {
    AppError::invalid(
        "eventTypeId",
        format!("event type {id} is not a round-robin team event type"),
    )
}
