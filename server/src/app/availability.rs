//! Available slots: the engine in `domain::slots` fed with a host's schedule and bookings.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::input::{self, Issues};
use super::{App, AppError, Result};
use crate::domain::event_type::EventType;
use crate::domain::ids::{BookingId, EventTypeId};
use crate::domain::rules::SlotRules;
use crate::domain::schedule::Schedule;
use crate::domain::slots::{ExistingBooking, compute_slots};
use crate::domain::span::Span;
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
}

impl EventTypeRef {
    /// Builds the reference from the optional request fields, naming what is missing.
    pub fn from_fields(
        id: Option<i64>,
        username: Option<String>,
        slug: Option<String>,
    ) -> Result<EventTypeRef> {
        match (id, username, slug) {
            (Some(id), _, _) => Ok(EventTypeRef::Id(EventTypeId(id))),
            (None, Some(username), Some(slug)) => Ok(EventTypeRef::Slug { username, slug }),
            (None, None, Some(_)) => Err(AppError::invalid(
                "username",
                "is required with eventTypeSlug",
            )),
            _ => Err(AppError::invalid(
                "eventTypeId",
                "give eventTypeId, or eventTypeSlug with username",
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
    /// The invitee's zone.
    pub time_zone: Tz,
    /// Each slot's meeting span, sorted.
    pub slots: Vec<Span>,
}

/// An event type with what its slots depend on.
pub(super) struct Bookable {
    pub event_type: EventType,
    pub host: User,
    pub schedule: Schedule,
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
    };
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
pub(super) fn existing(
    held: &[HeldTime],
    event_type: EventTypeId,
    exclude: Option<BookingId>,
) -> Vec<ExistingBooking> {
    held.iter()
        .filter(|h| Some(h.id) != exclude)
        .map(|h| ExistingBooking {
            span: h.span,
            buffer_before_min: minutes_between(h.busy.start, h.span.start),
            buffer_after_min: minutes_between(h.span.end, h.busy.end),
            same_event_type: h.event_type_id == event_type,
        })
        .collect()
}

fn minutes_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
    u32::try_from((to - from).num_minutes()).unwrap_or(0)
}

/// Parses a slots query bound: an instant, or a date taken in `tz` (`end_of_day` picks
/// the day's end instead of its start).
fn bound(field: &str, s: &str, tz: Tz, end_of_day: bool) -> Result<DateTime<Utc>, FieldIssue> {
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

/// The slots an invitee can choose from.
pub async fn slots(app: &App, query: SlotsInput, now: DateTime<Utc>) -> Result<SlotsView> {
    let mut issues = Issues::default();
    let tz = match &query.time_zone {
        Some(name) => issues.take(input::zone("timeZone", name)),
        None => Some(Tz::UTC),
    };
    let zone = tz.unwrap_or(Tz::UTC);
    let start = issues.take(bound("start", &query.start, zone, false));
    let end = issues.take(bound("end", &query.end, zone, true));
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
    let b = bookable(app, &query.event_type).await?;
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
    let range = Span::new(start, end);
    let held =
        store::bookings::held_times(&app.db, b.host.id, context_window(&rules, range)).await?;
    let existing = existing(&held, b.event_type.id, exclude);
    let slots = compute_slots(&b.schedule, &rules, &existing, range, now, tz);
    Ok(SlotsView {
        time_zone: tz,
        slots,
    })
}
