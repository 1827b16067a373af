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
    let b = |c: bookings::Column| Expr::col((bookings::Entity, c));
    let accepted = || b(bookings::Column::Status).eq(BookingStatus::Accepted.as_str());
    let with_absent = || b(bookings::Column::Id).in_subquery(absent_attendees());
    let when = |cond: Cond| Func::sum(Expr::case(cond, 1).finally(0));
    let key = match per {
        Per::EventType => b(bookings::Column::EventTypeId),
        Per::Member => Expr::col((booking_hosts::Entity, booking_hosts::Column::UserId)),
    };
    let mut select = Query::select()
        .expr_as(key.clone(), "key")
        .expr_as(
            Func::count(Expr::col((bookings::Entity, bookings::Column::Id))),
            "created",
        )
        .expr_as(
            when(
                Cond::all()
                    .add(accepted())
                    .add(b(bookings::Column::EndMs).lte(to_ms(now)))
                    .add(b(bookings::Column::Id).not_in_subquery(absent_attendees())),
            ),
            "completed",
        )
        .expr_as(
            when(
                Cond::all()
                    .add(b(bookings::Column::Status).eq(BookingStatus::Cancelled.as_str()))
                    .add(b(bookings::Column::RescheduledToUid).is_null()),
            ),
            "cancelled",
        )
        .expr_as(
            when(Cond::all().add(b(bookings::Column::RescheduledToUid).is_not_null())),
            "rescheduled",
        )
        .expr_as(
            when(Cond::all().add(accepted()).add(with_absent())),
            "no_shows",
        )
        .expr_as(
            Func::cast_as(
                Func::sum(b(bookings::Column::StartMs).sub(b(bookings::Column::CreatedMs))),
                Alias::new("BIGINT"),
            ),
            "lead_time_ms",
        )
        .from(bookings::Entity)
        .group_by_col(Alias::new("key"))
        .to_owned();
    within(&mut select, scope, period, per == Per::Member);
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
    let start = || Expr::col((bookings::Entity, bookings::Column::StartMs));
    let mut select = Query::select()
        .expr_as(start().sub(start().modulo(BUCKET_MS)), "bucket")
        .expr_as(
            Func::count(Expr::col((bookings::Entity, bookings::Column::Id))),
            "n",
        )
        .from(bookings::Entity)
        .and_where(Expr::col((bookings::Entity, bookings::Column::Status)).is_in(live_statuses()))
        .group_by_col(Alias::new("bucket"))
        .to_owned();
    within(&mut select, scope, period, scope.member.is_some());
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
    let completed = Cond::all()
        .add(b(bookings::Column::Status).eq(BookingStatus::Accepted.as_str()))
        .add(b(bookings::Column::EndMs).lte(to_ms(now)))
        .add(b(bookings::Column::Id).not_in_subquery(absent_attendees()));
    let mut select = Query::select()
        .expr_as(b(bookings::Column::EventTypeId), "key")
        .expr_as(Func::count(b(bookings::Column::Id)), "made")
        .expr_as(Func::sum(Expr::case(completed, 1).finally(0)), "completed")
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

/// Narrows `select` (over `bookings`) to `scope` and to starts within `period`,
/// joining each booking's hosts when `by_host` (one row per host).
fn within(select: &mut SelectStatement, scope: &Scope, period: Span, by_host: bool) {
    let b = |c: bookings::Column| Expr::col((bookings::Entity, c));
    select
        .and_where(b(bookings::Column::OrgId).eq(scope.org.0))
        .and_where(b(bookings::Column::StartMs).gte(to_ms(period.start)))
        .and_where(b(bookings::Column::StartMs).lt(to_ms(period.end)));
    if let Some(ids) = &scope.event_types {
        select.and_where(b(bookings::Column::EventTypeId).is_in(ids.iter().map(|e| e.0)));
    }
    if by_host || scope.member.is_some() {
        let host = |c: booking_hosts::Column| Expr::col((booking_hosts::Entity, c));
        select.inner_join(
            booking_hosts::Entity,
            host(booking_hosts::Column::BookingId).equals((bookings::Entity, bookings::Column::Id)),
        );
        if let Some(member) = scope.member {
            select.and_where(host(booking_hosts::Column::UserId).eq(member.0));
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
