//! Available slots: the engine in `domain::slots` fed with a host's schedule and bookings,
//! and for a team event type with every host's, merged by `domain::team_slots`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::calendars::CalendarBusy;
use super::input::{self, Issues};
use super::{App, AppError, Result};
use crate::domain::event_type::EventType;
use crate::domain::ids::{BookingId, EventTypeId, OrgId, TeamId, UserId};
use crate::domain::out_of_office::without_away;
use crate::domain::rules::SlotRules;
use crate::domain::schedule::Schedule;
use crate::domain::seats::{OfferedSlot, OpenSeats, Seats, offer};
use crate::domain::slots::{ExistingBooking, check_slot, compute_slots};
use crate::domain::span::Span;
use crate::domain::team::{Host, SchedulingType};
use crate::domain::team_slots::{self, HostSlots, PooledSlot};
use crate::domain::user::User;
use crate::domain::validate::FieldIssue;
use crate::store::{self, bookings::HeldTime};

/// The longest range one slots query may cover.
const MAX_QUERY_DAYS: i64 = 366;

/// How a caller names an event type: by id, or by its host's username and its slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventTypeRef {
    /// `eventTypeId`.
    Id(EventTypeId),
    /// `username` + `eventTypeSlug`.
    Slug {
        /// The host's username.
        username: String,
        /// The event type's slug.
        slug: String,
    },
    /// `teamSlug` + `eventTypeSlug`.
    TeamSlug {
        /// The team's slug.
        team: String,
        /// The event type's slug.
        slug: String,
    },
}

impl EventTypeRef {
    /// Builds the reference from the optional request fields, naming what is missing.
    pub fn from_fields(
        id: Option<i64>,
        username: Option<String>,
        team_slug: Option<String>,
        slug: Option<String>,
    ) -> Result<EventTypeRef> {
        match (id, username, team_slug, slug) {
            (Some(id), _, _, _) => Ok(EventTypeRef::Id(EventTypeId(id))),
            (None, Some(username), None, Some(slug)) => Ok(EventTypeRef::Slug { username, slug }),
            (None, None, Some(team), Some(slug)) => Ok(EventTypeRef::TeamSlug { team, slug }),
            (None, Some(_), Some(_), Some(_)) => Err(AppError::invalid(
                "teamSlug",
                "give username or teamSlug, not both",
            )),
            (None, None, None, Some(_)) => Err(AppError::invalid(
                "username",
                "is required with eventTypeSlug (or teamSlug)",
            )),
            _ => Err(AppError::invalid(
                "eventTypeId",
                "give eventTypeId, or eventTypeSlug with username or teamSlug",
            )),
        }
    }
}

/// A request for slots.
#[derive(Debug, Clone)]
pub struct SlotsInput {
    /// Which event type.
    pub event_type: EventTypeRef,
    /// ISO instant, or a date meaning the start of that day in `time_zone`.
    pub start: String,
    /// ISO instant, or a date meaning the end of that day in `time_zone`.
    pub end: String,
    /// The invitee's zone; UTC when absent.
    pub time_zone: Option<String>,
    /// One of the event type's lengths; its default length when absent.
    pub duration: Option<i64>,
    /// A booking being rescheduled: its own time counts as free.
    pub booking_uid_to_reschedule: Option<String>,
}

/// The slots found, with the zone they are to be shown in.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotsView {
    /// The zone the slots are shown in: the invitee's, or the event type's locked zone.
    pub time_zone: Tz,
    /// Whether `time_zone` is the event type's locked zone rather than the one asked for.
    pub time_zone_locked: bool,
    /// Each slot's meeting span, sorted.
    pub slots: Vec<OfferedSlot>,
    /// Connected calendars whose busy times were not fresh (their provider was down or
    /// slow): the slots were computed with the last known ones.
    pub warnings: Vec<String>,
}

/// An event type with what its slots depend on. For a team event type, `host` and
/// `schedule` are its first host's and `team` holds every host's.
pub(super) struct Bookable {
    pub event_type: EventType,
    pub host: User,
    pub schedule: Schedule,
    pub team: Option<TeamHosts>,
}

/// A team event type's hosts, each with the schedule that applies to them.
pub(super) struct TeamHosts {
    pub scheduling_type: SchedulingType,
    pub hosts: Vec<HostCalendar>,
}

/// One host of a team event type.
pub(super) struct HostCalendar {
    pub host: Host,
    pub user: User,
    pub schedule: Schedule,
}

/// Keeps the fixed hosts of `team` and, of the others, those in `only`.
fn narrow(team: &mut TeamHosts, only: &[UserId]) {
    team.hosts
        .retain(|h| h.host.mandatory || only.contains(&h.user.id));
}

/// Narrows round-robin `b` to the hosts `ids` names (`routedTeamMemberIds`, from a
/// routing form), each of whom must host it (a 422 naming the one who does not).
pub(super) fn route_to(b: &mut Bookable, ids: &[i64]) -> Result<()> {
    let Some(team) = b
        .team
        .as_mut()
        .filter(|t| t.scheduling_type == SchedulingType::RoundRobin)
    else {
        return Err(AppError::invalid(
            "routedTeamMemberIds",
            "only a round-robin team event type is routed to members",
        ));
    };
    let mut only = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if !team.hosts.iter().any(|h| h.user.id.0 == *id) {
            return Err(AppError::invalid(
                format!("routedTeamMemberIds[{i}]"),
                format!("user {id} is not a host of event type {}", b.event_type.id),
            ));
        }
        only.push(UserId(*id));
    }
    if !only.is_empty() {
        narrow(team, &only);
    }
    Ok(())
}

/// A host's default schedule, or no availability at all when they have none.
fn schedule_or_none(user: &User, saved: Option<Schedule>) -> Schedule {
    saved.unwrap_or_else(|| Schedule {
        tz: user.time_zone,
        weekly: Vec::new(),
        overrides: Vec::new(),
    })
}

/// `hosts` with their users and default schedules, read in two queries whatever
/// their number; hosts whose user is gone are left out.
pub(super) async fn calendars(app: &App, org: OrgId, hosts: &[Host]) -> Result<Vec<HostCalendar>> {
    let ids: Vec<UserId> = hosts.iter().map(|h| h.user_id).collect();
    let users = store::users::in_org(&app.db, org, &ids).await?;
    let schedule_ids: Vec<_> = users.iter().filter_map(|u| u.default_schedule_id).collect();
    let mut schedules = store::schedules::find_many(&app.db, org, &schedule_ids).await?;
    Ok(hosts
        .iter()
        .filter_map(|host| {
            let user = users.iter().find(|u| u.id == host.user_id)?.clone();
            let saved = user
                .default_schedule_id
                .and_then(|id| schedules.remove(&id))
                .map(|s| s.rules);
            Some(HostCalendar {
                host: *host,
                schedule: schedule_or_none(&user, saved),
                user,
            })
        })
        .collect())
}

/// The hosts of team event type `event_type` as they are now.
async fn team_hosts(app: &App, event_type: &EventType) -> Result<Option<TeamHosts>> {
    let Some(team) = event_type.team_id else {
        return Ok(None);
    };
    let Some(setup) = store::teams::setup(&app.db, event_type.id).await? else {
        return Ok(None);
    };
    let members = if setup.assign_all_members {
        store::teams::members(&app.db, team).await?
    } else {
        Vec::new()
    };
    let hosts = super::team_event_types::hosts_now(&setup, &members);
    Ok(Some(TeamHosts {
        scheduling_type: setup.scheduling_type,
        hosts: calendars(app, event_type.org_id, &hosts).await?,
    }))
}

/// Finds a bookable event type, its host and the schedule that applies to it.
pub(super) async fn bookable(app: &App, reference: &EventTypeRef) -> Result<Bookable> {
    let (host, event_type) = match reference {
        EventTypeRef::Id(id) => {
            let event_type = store::event_types::find_public(&app.db, *id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("event type {id} does not exist")))?;
            let host = store::users::find(&app.db, event_type.org_id, event_type.owner)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("event type {id} does not exist")))?;
            (host, event_type)
        }
        EventTypeRef::Slug { username, slug } => {
            super::event_types::find_public(app, username, slug).await?
        }
        EventTypeRef::TeamSlug { team, slug } => {
            let not_found =
                || AppError::NotFound(format!("event type `{team}/{slug}` does not exist"));
            let found = store::teams::find_by_slug(&app.db, team)
                .await?
                .ok_or_else(not_found)?;
            let event_type = store::event_types::find_by_team_slug(&app.db, found.id, slug)
                .await?
                .ok_or_else(not_found)?;
            let host = store::users::find(&app.db, event_type.org_id, event_type.owner)
                .await?
                .ok_or_else(not_found)?;
            (host, event_type)
        }
    };
    if let Some(team) = team_hosts(app, &event_type).await? {
        let first = team.hosts.first().ok_or_else(|| {
            AppError::Conflict(format!("event type {} has no hosts", event_type.id))
        })?;
        return Ok(Bookable {
            host: first.user.clone(),
            schedule: first.schedule.clone(),
            event_type,
            team: Some(team),
        });
    }
    let schedule_id = event_type.schedule_id.or(host.default_schedule_id);
    let saved = match schedule_id {
        Some(id) => store::schedules::find(&app.db, host.org_id, id).await?,
        None => None,
    };
    // A host without a schedule has no availability, rather than an error.
    let schedule = saved.map_or_else(
        || Schedule {
            tz: host.time_zone,
            weekly: Vec::new(),
            overrides: Vec::new(),
        },
        |s| s.rules,
    );
    Ok(Bookable {
        event_type,
        host,
        schedule,
        team: None,
    })
}

/// The booking length to use, checked against the event type's lengths.
pub(super) fn length(event_type: &EventType, requested: Option<i64>, field: &str) -> Result<u32> {
    let Some(requested) = requested else {
        return Ok(event_type.length_min);
    };
    u32::try_from(requested)
        .ok()
        .filter(|l| event_type.offers_length(*l))
        .ok_or_else(|| {
            let mut offered = event_type.length_options.clone();
            if offered.is_empty() {
                offered.push(event_type.length_min);
            }
            let offered: Vec<String> = offered.iter().map(u32::to_string).collect();
            AppError::invalid(
                field,
                format!("must be one of {} minutes", offered.join(", ")),
            )
        })
}

/// How far around `span` existing bookings matter: buffers reach a day at most, and
/// booking limits look at the whole week, month or year a slot falls in.
pub(super) fn context_window(rules: &SlotRules, span: Span) -> Span {
    let limits = [rules.count_limits, rules.duration_limits];
    let reach_days = if limits.iter().any(|l| l.year.is_some()) {
        367
    } else if limits.iter().any(|l| l.month.is_some()) {
        32
    } else if limits.iter().any(|l| l.week.is_some()) {
        8
    } else {
        2
    };
    let reach = Duration::days(reach_days);
    Span::new(span.start - reach, span.end + reach)
}

/// The host's bookings as the engine sees them, leaving out `exclude` (a booking being moved).
pub(super) fn existing<'a>(
    held: impl IntoIterator<Item = &'a HeldTime>,
    event_type: EventTypeId,
    exclude: Option<BookingId>,
) -> Vec<ExistingBooking> {
    held.into_iter()
        .filter(|h| Some(h.id) != exclude)
        .map(|h| ExistingBooking {
            span: h.span,
            buffer_before_min: minutes_between(h.busy.start, h.span.start),
            buffer_after_min: minutes_between(h.span.end, h.busy.end),
            same_event_type: h.event_type_id == event_type,
        })
        .collect()
}

/// `existing` plus a host's calendar busy times. A busy span equal to one of the host's
/// bookings is that booking's own calendar event: it is counted already, and a booking
/// being moved must not block itself.
pub(super) fn with_calendar<'a>(
    mut existing: Vec<ExistingBooking>,
    calendar: &[Span],
    held: impl IntoIterator<Item = &'a HeldTime>,
) -> Vec<ExistingBooking> {
    let own: Vec<Span> = held.into_iter().map(|h| h.span).collect();
    existing.extend(
        calendar
            .iter()
            .filter(|busy| !own.contains(busy))
            .map(|busy| ExistingBooking {
                span: *busy,
                buffer_before_min: 0,
                buffer_after_min: 0,
                same_event_type: false,
            }),
    );
    existing
}

fn minutes_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
    u32::try_from((to - from).num_minutes()).unwrap_or(0)
}

/// Parses a query bound: an instant, or a date taken in `tz` (`end_of_day` picks the
/// day's end instead of its start).
pub(super) fn bound(
    field: &str,
    s: &str,
    tz: Tz,
    end_of_day: bool,
) -> Result<DateTime<Utc>, FieldIssue> {
    if s.len() == 10 {
        let date: NaiveDate = input::date(field, s)?;
        let day = if end_of_day {
            date.succ_opt().unwrap_or(date)
        } else {
            date
        };
        return Ok(input::day_start(tz, day));
    }
    input::instant(field, s)
}

/// The zone and range of a slots query, checked.
pub(super) fn query_range(time_zone: Option<&str>, start: &str, end: &str) -> Result<(Tz, Span)> {
    let mut issues = Issues::default();
    let tz = match time_zone {
        Some(name) => issues.take(input::zone("timeZone", name)),
        None => Some(Tz::UTC),
    };
    let zone = tz.unwrap_or(Tz::UTC);
    let start = issues.take(bound("start", start, zone, false));
    let end = issues.take(bound("end", end, zone, true));
    let (Some(tz), Some(start), Some(end)) = (tz, start, end) else {
        return Err(AppError::Validation(issues.0));
    };
    if end <= start {
        return Err(AppError::invalid("end", "must be after start"));
    }
    if end - start > Duration::days(MAX_QUERY_DAYS) {
        return Err(AppError::invalid(
            "end",
            format!("a query may cover at most {MAX_QUERY_DAYS} days"),
        ));
    }
    Ok((tz, Span::new(start, end)))
}

/// The slots an invitee can choose from.
pub async fn slots(app: &App, query: SlotsInput, now: DateTime<Utc>) -> Result<SlotsView> {
    slots_among(app, query, &[], now).await
}

/// The same with a team event type's rotating hosts narrowed to `only` (fixed hosts
/// stay); every host when `only` is empty. A routing form that sends an invitee to
/// chosen members of a round-robin type shows their slots alone.
pub async fn slots_among(
    app: &App,
    query: SlotsInput,
    only: &[UserId],
    now: DateTime<Utc>,
) -> Result<SlotsView> {
    let (tz, range) = query_range(query.time_zone.as_deref(), &query.start, &query.end)?;
    let mut b = bookable(app, &query.event_type).await?;
    if let Some(team) = b.team.as_mut().filter(|_| !only.is_empty()) {
        narrow(team, only);
    }
    // A locked zone replaces the invitee's, bare dates included.
    let locked = b.event_type.locked_time_zone;
    let (tz, range) = match locked {
        Some(zone) if zone != tz => query_range(Some(zone.name()), &query.start, &query.end)?,
        _ => (tz, range),
    };
    let length = length(&b.event_type, query.duration, "duration")?;
    let exclude = match &query.booking_uid_to_reschedule {
        Some(uid) => Some(
            store::bookings::find_by_uid(&app.db, Some(b.event_type.org_id), uid)
                .await?
                .ok_or_else(|| {
                    AppError::invalid(
                        "bookingUidToReschedule",
                        format!("booking `{uid}` does not exist"),
                    )
                })?
                .id,
        ),
        None => None,
    };
    let rules = b.event_type.slot_rules(length);
    let hosts: Vec<UserId> = match &b.team {
        Some(team) => team.hosts.iter().map(|h| h.user.id).collect(),
        None => vec![b.host.id],
    };
    let calendar = super::calendars::busy(app, b.event_type.org_id, &hosts, range, now).await?;
    let slots = match &b.team {
        Some(team) => {
            let per_host = host_slots(
                app,
                &b.event_type,
                team,
                (&rules, &calendar),
                exclude,
                range,
                now,
                tz,
            )
            .await?;
            unseated(team_slots::offered(team.scheduling_type, &per_host))
        }
        None => {
            let held =
                store::bookings::held_times(&app.db, b.host.id, context_window(&rules, range))
                    .await?;
            let away = super::out_of_office::away(app, &[b.host.id], range).await?;
            let away: Vec<Span> = away.into_iter().map(|(_, s)| s).collect();
            let existing = with_calendar(
                existing(&held, b.event_type.id, exclude),
                calendar.of(b.host.id),
                &held,
            );
            let free = without_away(
                compute_slots(&b.schedule, &rules, &existing, range, now, tz),
                &away,
            );
            let free = super::host_limits::trim(&app.db, &[&b.host], vec![free], range, exclude)
                .await?
                .pop()
                .unwrap_or_default();
            match b.event_type.seats {
                None => unseated(free),
                Some(seats) => {
                    let seated = SeatedSlots {
                        b: &b,
                        rules: &rules,
                        held: &held,
                        exclude,
                        now,
                        tz,
                    };
                    seated.offer(app, seats, free, range).await?
                }
            }
        }
    };
    Ok(SlotsView {
        time_zone: tz,
        time_zone_locked: locked.is_some(),
        slots,
        warnings: calendar.warnings,
    })
}

/// Slots of an unseated event type, as offered.
fn unseated(slots: Vec<Span>) -> Vec<OfferedSlot> {
    slots
        .into_iter()
        .map(|span| OfferedSlot { span, seats: None })
        .collect()
}

/// What offering a seated event type's slots needs besides its free slots.
struct SeatedSlots<'a> {
    b: &'a Bookable,
    rules: &'a SlotRules,
    held: &'a [HeldTime],
    exclude: Option<BookingId>,
    now: DateTime<Utc>,
    tz: Tz,
}

impl SeatedSlots<'_> {
    /// The free slots plus the seated bookings in `range` with a seat left whose time
    /// a new seat could still take (notice, window, limits: the check a booking runs).
    async fn offer(
        &self,
        app: &App,
        seats: Seats,
        free: Vec<Span>,
        range: Span,
    ) -> Result<Vec<OfferedSlot>> {
        let open: Vec<(BookingId, OpenSeats)> =
            store::bookings::seated_in(&app.db, self.b.event_type.id, range)
                .await?
                .into_iter()
                .filter(|(id, span, _)| {
                    Some(*id) != self.exclude
                        && span.minutes() == i64::from(self.rules.duration_min)
                })
                .map(|(id, span, booked)| (id, OpenSeats { span, booked }))
                .collect();
        let list: Vec<OpenSeats> = open.iter().map(|(_, o)| *o).collect();
        Ok(offer(free, &list, seats.per_time_slot, |span| {
            let Some((id, _)) = open.iter().find(|(_, o)| o.span == *span) else {
                return false;
            };
            let others = existing(self.held, self.b.event_type.id, Some(*id));
            check_slot(
                &self.b.schedule,
                self.rules,
                &others,
                span.start,
                self.now,
                self.tz,
            )
            .is_ok()
        }))
    }
}

/// Each host's own slots, out of office and own limits considered: every host's
/// bookings come from one query.
#[expect(
    clippy::too_many_arguments,
    reason = "the slot engine's inputs, all needed"
)]
async fn host_slots(
    app: &App,
    event_type: &EventType,
    team: &TeamHosts,
    (rules, calendar): (&SlotRules, &CalendarBusy),
    exclude: Option<BookingId>,
    range: Span,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Vec<HostSlots>> {
    let ids: Vec<UserId> = team.hosts.iter().map(|h| h.user.id).collect();
    let held =
        store::booking_hosts::held_times(&app.db, &ids, context_window(rules, range)).await?;
    let away = super::out_of_office::away(app, &ids, range).await?;
    let slots: Vec<Vec<Span>> = team
        .hosts
        .iter()
        .map(|h| {
            let first = held.partition_point(|(u, _)| *u < h.user.id);
            let last = held.partition_point(|(u, _)| *u <= h.user.id);
            let mine = || held[first..last].iter().map(|(_, t)| t);
            let existing = with_calendar(
                existing(mine(), event_type.id, exclude),
                calendar.of(h.user.id),
                mine(),
            );
            let mine: Vec<Span> = away
                .iter()
                .filter(|(u, _)| *u == h.user.id)
                .map(|(_, s)| *s)
                .collect();
            without_away(
                compute_slots(&h.schedule, rules, &existing, range, now, tz),
                &mine,
            )
        })
        .collect();
    let users: Vec<&User> = team.hosts.iter().map(|h| &h.user).collect();
    let slots = super::host_limits::trim(&app.db, &users, slots, range, exclude).await?;
    Ok(team
        .hosts
        .iter()
        .zip(slots)
        .map(|(h, slots)| HostSlots {
            host: h.user.id,
            fixed: h.host.mandatory,
            slots,
        })
        .collect())
}

/// Who of a team is free when: each slot of the team's event type `event_type`
/// (or, without one, 30-minute slots of every member) with the hosts free at it.
/// For the team's owners and admins (and the organization's).
#[expect(clippy::too_many_arguments, reason = "the query's fields, all needed")]
pub async fn team_availability(
    app: &App,
    caller: super::auth::Caller,
    team_id: TeamId,
    event_type: Option<EventTypeId>,
    start: &str,
    end: &str,
    time_zone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TeamAvailability> {
    let team = super::teams::managed(app, caller, team_id).await?;
    let (tz, range) = query_range(time_zone, start, end)?;
    let (event_type, hosts) = match event_type {
        Some(id) => {
            let b = bookable(app, &EventTypeRef::Id(id)).await?;
            match b.team {
                Some(hosts) if b.event_type.team_id == Some(team.id) => (b.event_type, hosts),
                _ => {
                    return Err(AppError::invalid(
                        "eventTypeId",
                        format!(
                            "event type {id} is not an event type of team `{}`",
                            team.slug
                        ),
                    ));
                }
            }
        }
        None => {
            let members = store::teams::members(&app.db, team.id).await?;
            let hosts: Vec<Host> = members.iter().map(|m| Host::new(m.user_id)).collect();
            let hosts = TeamHosts {
                scheduling_type: SchedulingType::RoundRobin,
                hosts: calendars(app, team.org_id, &hosts).await?,
            };
            (
                super::event_types::sketch(team.org_id, caller.user_id),
                hosts,
            )
        }
    };
    let rules = event_type.slot_rules(event_type.length_min);
    let ids: Vec<UserId> = hosts.hosts.iter().map(|h| h.user.id).collect();
    let calendar = super::calendars::busy(app, team.org_id, &ids, range, now).await?;
    let per_host = host_slots(
        app,
        &event_type,
        &hosts,
        (&rules, &calendar),
        None,
        range,
        now,
        tz,
    )
    .await?;
    Ok(TeamAvailability {
        time_zone: tz,
        slots: team_slots::pooled(hosts.scheduling_type, &per_host),
        hosts: hosts.hosts.into_iter().map(|h| h.user).collect(),
    })
}

/// Who of a team is free when.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamAvailability {
    /// The zone the slots are to be shown in.
    pub time_zone: Tz,
    /// Each slot with the ids of the hosts free at it.
    pub slots: Vec<PooledSlot>,
    /// The hosts looked at.
    pub hosts: Vec<User>,
}
