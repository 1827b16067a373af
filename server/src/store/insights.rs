//! The counts insights report, aggregated in SQL so a quarter of a large team's
//! bookings answers in one pass over an index: outcome tallies per event type or per
//! member, starts per quarter hour for the heat map, bookings made per event type, and
//! booking-page views.

use std::collections::HashMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Func, OnConflict, Query, SelectStatement};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, Set};

use super::Result;
use super::bookings::live_statuses;
use super::codec::{from_ms, to_ms};
use super::entities::{booking_attendees, booking_hosts, booking_page_views, bookings};
use crate::domain::booking::BookingStatus;
use crate::domain::ids::{EventTypeId, OrgId, UserId};
use crate::domain::insights::BookingTally;
use crate::domain::insights::heat_map::BUCKET_MS;
use crate::domain::span::Span;

/// The bookings a report covers: an organization's, narrowed to some event types
/// and/or to the bookings one member hosts (alone or with others).
#[derive(Debug, Clone)]
pub struct Scope {
    /// The tenant.
    pub org: OrgId,
    /// Only these event types; every one of the organization's when `None`.
    pub event_types: Option<Vec<EventTypeId>>,
    /// Only bookings this member is a host of.
    pub member: Option<UserId>,
}

/// What a row of tallies is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    /// One row per event type.
    EventType,
    /// One row per host: a booking with several hosts counts for each.
    Member,
}

/// The tally of the bookings in `scope` starting within `period`, one row per event
/// type or member (`per`) that has any, judged at `now` (a meeting is completed once
/// it has ended).
pub async fn tallies(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: Span,
    per: Per,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, BookingTally)>> {
    let rows = Rows::of(scope, per);
    let col = |c: Shared| rows.col(c);
    let accepted = || col(Shared::Status).eq(BookingStatus::Accepted.as_str());
    let rescheduled = || rows.rescheduled(scope, period);
    let when = |cond: Cond| Func::sum(Expr::case(cond, 1).finally(0));
    let key = match per {
        Per::EventType => col(Shared::EventTypeId),
        Per::Member => Expr::col((booking_hosts::Entity, booking_hosts::Column::UserId)),
    };
    let mut select = Query::select()
        .expr_as(key, "key")
        .expr_as(Func::count(col(Shared::BookingId)), "created")
        .expr_as(when(rows.held(now)), "completed")
        .expr_as(
            when(
                Cond::all()
                    .add(col(Shared::Status).eq(BookingStatus::Cancelled.as_str()))
                    .add(Cond::all().add(rescheduled()).not()),
            ),
            "cancelled",
        )
        .expr_as(when(Cond::all().add(rescheduled())), "rescheduled")
        .expr_as(
            when(
                Cond::all()
                    .add(accepted())
                    .add(col(Shared::BookingId).in_subquery(absent_attendees())),
            ),
            "no_shows",
        )
        .expr_as(
            Func::cast_as(
                Func::sum(col(Shared::StartMs).sub(col(Shared::CreatedMs))),
                Alias::new("BIGINT"),
            ),
            "lead_time_ms",
        )
        .group_by_col(Alias::new("key"))
        .to_owned();
    rows.within(&mut select, scope, period);
    let backend = db.get_database_backend();
    TallyRow::find_by_statement(backend.build(&select))
        .all(db)
        .await?
        .into_iter()
        .map(|r| Ok((r.key, r.tally())))
        .collect()
}

/// How many live bookings (accepted or pending) in `scope` start in each quarter hour
/// of `period` that has any: what the heat map places on the viewer's clock.
pub async fn starts(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: Span,
) -> Result<Vec<(DateTime<Utc>, u64)>> {
    let rows = Rows::of(scope, Per::EventType);
    let start = || rows.col(Shared::StartMs);
    let mut select = Query::select()
        .expr_as(start().sub(start().modulo(BUCKET_MS)), "bucket")
        .expr_as(Func::count(rows.col(Shared::BookingId)), "n")
        .and_where(rows.col(Shared::Status).is_in(live_statuses()))
        .group_by_col(Alias::new("bucket"))
        .to_owned();
    rows.within(&mut select, scope, period);
    let backend = db.get_database_backend();
    CountRow::find_by_statement(backend.build(&select))
        .all(db)
        .await?
        .into_iter()
        .map(|r| Ok((from_ms(r.bucket)?, count(r.n))))
        .collect()
}

/// Per event type in `scope`, the bookings made within `period` (first bookings, not
/// the replacements reschedules make) and how many of them took place by `now`: what
/// a booking page converted its views into.
pub async fn made(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: Span,
    now: DateTime<Utc>,
) -> Result<HashMap<EventTypeId, (u64, u64)>> {
    let b = |c: bookings::Column| Expr::col((bookings::Entity, c));
    let mut select = Query::select()
        .expr_as(b(bookings::Column::EventTypeId), "key")
        .expr_as(Func::count(b(bookings::Column::Id)), "made")
        .expr_as(
            Func::sum(Expr::case(Rows::Bookings.held(now), 1).finally(0)),
            "completed",
        )
        .from(bookings::Entity)
        .and_where(b(bookings::Column::OrgId).eq(scope.org.0))
        .and_where(b(bookings::Column::CreatedMs).gte(to_ms(period.start)))
        .and_where(b(bookings::Column::CreatedMs).lt(to_ms(period.end)))
        .and_where(b(bookings::Column::RescheduledFromUid).is_null())
        .group_by_col(Alias::new("key"))
        .to_owned();
    if let Some(ids) = &scope.event_types {
        select.and_where(b(bookings::Column::EventTypeId).is_in(ids.iter().map(|e| e.0)));
    }
    let backend = db.get_database_backend();
    Ok(MadeRow::find_by_statement(backend.build(&select))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (EventTypeId(r.key), (count(r.made), count(r.completed))))
        .collect())
}

/// Counts one view of `event_type`'s booking page at `at`, in the hour it falls in.
pub async fn record_view(
    db: &impl ConnectionTrait,
    org: OrgId,
    event_type: EventTypeId,
    at: DateTime<Utc>,
) -> Result<()> {
    let hour = at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at);
    booking_page_views::Entity::insert(booking_page_views::ActiveModel {
        org_id: Set(org.0),
        event_type_id: Set(event_type.0),
        hour_ms: Set(to_ms(hour)),
        views: Set(1),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            booking_page_views::Column::EventTypeId,
            booking_page_views::Column::HourMs,
        ])
        .value(
            booking_page_views::Column::Views,
            Expr::col((
                booking_page_views::Entity,
                booking_page_views::Column::Views,
            ))
            .add(1),
        )
        .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Views of each booking page in `scope` (its event types) in the hours of `period`.
pub async fn views(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: Span,
) -> Result<HashMap<EventTypeId, u64>> {
    use booking_page_views::Column as V;
    let mut select = Query::select()
        .expr_as(Expr::col(V::EventTypeId), "key")
        .expr_as(
            Func::cast_as(Func::sum(Expr::col(V::Views)), Alias::new("BIGINT")),
            "n",
        )
        .from(booking_page_views::Entity)
        .and_where(Expr::col(V::OrgId).eq(scope.org.0))
        .and_where(Expr::col(V::HourMs).gte(to_ms(period.start)))
        .and_where(Expr::col(V::HourMs).lt(to_ms(period.end)))
        .group_by_col(Alias::new("key"))
        .to_owned();
    if let Some(ids) = &scope.event_types {
        select.and_where(Expr::col(V::EventTypeId).is_in(ids.iter().map(|e| e.0)));
    }
    let backend = db.get_database_backend();
    Ok(KeyCountRow::find_by_statement(backend.build(&select))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (EventTypeId(r.key), count(r.n)))
        .collect())
}

/// Where a report's rows come from: the bookings themselves, or, when hosts matter (a
/// line per member, or one member's bookings), `booking_hosts`, which holds a row per
/// host of each booking with its status and times and is indexed for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    Bookings,
    Hosts,
}

/// The columns `bookings` and `booking_hosts` share.
#[derive(Debug, Clone, Copy)]
enum Shared {
    BookingId,
    OrgId,
    EventTypeId,
    Status,
    StartMs,
    EndMs,
    CreatedMs,
}

impl Rows {
    fn of(scope: &Scope, per: Per) -> Rows {
        if per == Per::Member || scope.member.is_some() {
            Rows::Hosts
        } else {
            Rows::Bookings
        }
    }

    fn col(self, c: Shared) -> Expr {
        use booking_hosts::Column as H;
        use bookings::Column as B;
        match self {
            Rows::Bookings => Expr::col((
                bookings::Entity,
                match c {
                    Shared::BookingId => B::Id,
                    Shared::OrgId => B::OrgId,
                    Shared::EventTypeId => B::EventTypeId,
                    Shared::Status => B::Status,
                    Shared::StartMs => B::StartMs,
                    Shared::EndMs => B::EndMs,
                    Shared::CreatedMs => B::CreatedMs,
                },
            )),
            Rows::Hosts => Expr::col((
                booking_hosts::Entity,
                match c {
                    Shared::BookingId => H::BookingId,
                    Shared::OrgId => H::OrgId,
                    Shared::EventTypeId => H::EventTypeId,
                    Shared::Status => H::Status,
                    Shared::StartMs => H::StartMs,
                    Shared::EndMs => H::EndMs,
                    Shared::CreatedMs => H::CreatedMs,
                },
            )),
        }
    }

    /// Whether a row's meeting took place by `now`: accepted, ended, nobody absent.
    fn held(self, now: DateTime<Utc>) -> Cond {
        Cond::all()
            .add(
                self.col(Shared::Status)
                    .eq(BookingStatus::Accepted.as_str()),
            )
            .add(self.col(Shared::EndMs).lte(to_ms(now)))
            .add(
                self.col(Shared::BookingId)
                    .not_in_subquery(absent_attendees()),
            )
    }

    /// Whether a row's booking was replaced by a reschedule. Only `bookings` says so;
    /// for host rows, the few such bookings of the period are looked up once.
    fn rescheduled(self, scope: &Scope, period: Span) -> Expr {
        let replaced = Expr::col((bookings::Entity, bookings::Column::RescheduledToUid));
        match self {
            Rows::Bookings => replaced.is_not_null(),
            Rows::Hosts => {
                let mut ids = Query::select()
                    .column((bookings::Entity, bookings::Column::Id))
                    .and_where(replaced.is_not_null())
                    .to_owned();
                Rows::Bookings.within(&mut ids, scope, period);
                self.col(Shared::BookingId).in_subquery(ids)
            }
        }
    }

    /// Selects from these rows, narrowed to `scope` and to starts within `period`.
    fn within(self, select: &mut SelectStatement, scope: &Scope, period: Span) {
        match self {
            Rows::Bookings => select.from(bookings::Entity),
            Rows::Hosts => select.from(booking_hosts::Entity),
        };
        select
            .and_where(self.col(Shared::OrgId).eq(scope.org.0))
            .and_where(self.col(Shared::StartMs).gte(to_ms(period.start)))
            .and_where(self.col(Shared::StartMs).lt(to_ms(period.end)));
        if let Some(ids) = &scope.event_types {
            select.and_where(self.col(Shared::EventTypeId).is_in(ids.iter().map(|e| e.0)));
        }
        if let (Rows::Hosts, Some(member)) = (self, scope.member) {
            select.and_where(
                Expr::col((booking_hosts::Entity, booking_hosts::Column::UserId)).eq(member.0),
            );
        }
    }
}

/// The bookings with an attendee marked absent.
fn absent_attendees() -> SelectStatement {
    Query::select()
        .column((
            booking_attendees::Entity,
            booking_attendees::Column::BookingId,
        ))
        .from(booking_attendees::Entity)
        .and_where(
            Expr::col((booking_attendees::Entity, booking_attendees::Column::Absent)).eq(true),
        )
        .to_owned()
}

/// A SQL count as a count (never negative).
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[derive(FromQueryResult)]
struct TallyRow {
    key: i64,
    created: i64,
    completed: i64,
    cancelled: i64,
    rescheduled: i64,
    no_shows: i64,
    lead_time_ms: i64,
}

impl TallyRow {
    fn tally(&self) -> BookingTally {
        BookingTally {
            created: count(self.created),
            completed: count(self.completed),
            cancelled: count(self.cancelled),
            rescheduled: count(self.rescheduled),
            no_shows: count(self.no_shows),
            lead_time_ms: self.lead_time_ms,
        }
    }
}

#[derive(FromQueryResult)]
struct CountRow {
    bucket: i64,
    n: i64,
}

#[derive(FromQueryResult)]
struct KeyCountRow {
    key: i64,
    n: i64,
}

#[derive(FromQueryResult)]
struct MadeRow {
    key: i64,
    made: i64,
    completed: i64,
}
