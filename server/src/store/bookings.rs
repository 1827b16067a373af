//! Bookings and their attendees.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func, Query},
};

use super::codec::{from_json, from_ms, mentions, span, to_json, to_ms, tz, word};
use super::db::is_overlap;
use super::entities::{booking_attendees, bookings, meeting_links};
use super::keyset::{Keyset, by_key_then_id};
use super::{Result, StoreError};
use crate::domain::booking::{Assignment, Attendee, Booking, BookingStatus, CancelledBy};
use crate::domain::ids::{BookingId, CustomerId, EventTypeId, OrgId, UserId};
use crate::domain::span::Span;

/// A booking as the slot engine needs it: when the host is held, and by which event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldTime {
    /// The booking's row id (to leave out the one being rescheduled).
    pub id: BookingId,
    /// What was booked.
    pub event_type_id: EventTypeId,
    /// The meeting.
    pub span: Span,
    /// The meeting plus its buffers.
    pub busy: Span,
}

/// The live bookings of `host` whose buffered time overlaps `window`, whichever
/// booking holds them (their own, or a team booking they are one of the hosts of).
pub async fn held_times(
    db: &impl ConnectionTrait,
    host: UserId,
    window: Span,
) -> Result<Vec<HeldTime>> {
    Ok(super::booking_hosts::held_times(db, &[host], window)
        .await?
        .into_iter()
        .map(|(_, held)| held)
        .collect())
}

pub(super) fn live_statuses() -> [&'static str; 2] {
    [
        BookingStatus::Accepted.as_str(),
        BookingStatus::Pending.as_str(),
    ]
}

/// Saves a new booking with its attendees. Fails with [`StoreError::Overlap`] when the
/// host's time is already held: the database, not this code, is the judge.
pub async fn insert(db: &impl ConnectionTrait, booking: &Booking) -> Result<Booking> {
    let model = bookings::ActiveModel {
        uid: Set(booking.uid.clone()),
        org_id: Set(booking.org_id.0),
        event_type_id: Set(booking.event_type_id.0),
        host_user_id: Set(booking.host.0),
        title: Set(booking.title.clone()),
        description: Set(booking.description.clone()),
        status: Set(booking.status.as_str().to_string()),
        start_ms: Set(to_ms(booking.span.start)),
        end_ms: Set(to_ms(booking.span.end)),
        busy_start_ms: Set(to_ms(booking.busy.start)),
        busy_end_ms: Set(to_ms(booking.busy.end)),
        guests: Set(to_json(&booking.guests)),
        location: Set(booking.location.clone()),
        metadata: Set(to_json(&booking.metadata)),
        responses: Set(to_json(&booking.responses)),
        cancellation_reason: Set(booking.cancellation_reason.clone()),
        cancelled_by: Set(booking.cancelled_by.map(|c| c.as_str().to_string())),
        rescheduling_reason: Set(booking.rescheduling_reason.clone()),
        rescheduled_from_uid: Set(booking.rescheduled_from_uid.clone()),
        rescheduled_to_uid: Set(booking.rescheduled_to_uid.clone()),
        created_ms: Set(to_ms(booking.created_at)),
        updated_ms: Set(to_ms(booking.updated_at)),
        seats_booked: Set(seats_of(booking)),
        recurring_booking_uid: Set(booking.recurring_booking_uid.clone()),
        assignment: Set(booking.assignment.as_ref().map(to_json)),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(overlap_or_db)?;
    if !booking.attendees.is_empty() {
        booking_attendees::Entity::insert_many(booking.attendees.iter().map(|a| {
            booking_attendees::ActiveModel {
                booking_id: Set(model.id),
                name: Set(a.name.clone()),
                email: Set(a.email.to_lowercase()),
                time_zone: Set(a.time_zone.name().to_string()),
                language: Set(a.language.clone()),
                phone_number: Set(a.phone_number.clone()),
                absent: Set(a.absent),
                seat_uid: Set(a.seat_uid.clone()),
                ..Default::default()
            }
        }))
        .exec(db)
        .await?;
    }
    let mut saved = booking.clone();
    saved.id = BookingId(model.id);
    Ok(saved)
}

pub(super) fn overlap_or_db(err: sea_orm::DbErr) -> StoreError {
    if is_overlap(&err) {
        StoreError::Overlap
    } else {
        StoreError::Db(err)
    }
}

/// Writes a booking's lifecycle fields (status, reasons, reschedule link) if its status
/// is still `expected`; `false` when another request changed it first.
pub async fn update_lifecycle(
    db: &impl ConnectionTrait,
    booking: &Booking,
    expected: BookingStatus,
) -> Result<bool> {
    let result = bookings::Entity::update_many()
        .col_expr(
            bookings::Column::Status,
            Expr::value(booking.status.as_str()),
        )
        .col_expr(
            bookings::Column::CancellationReason,
            Expr::value(booking.cancellation_reason.clone()),
        )
        .col_expr(
            bookings::Column::CancelledBy,
            Expr::value(booking.cancelled_by.map(|c| c.as_str())),
        )
        .col_expr(
            bookings::Column::RescheduledToUid,
            Expr::value(booking.rescheduled_to_uid.clone()),
        )
        .col_expr(
            bookings::Column::UpdatedMs,
            Expr::value(to_ms(booking.updated_at)),
        )
        .filter(bookings::Column::Id.eq(booking.id.0))
        .filter(bookings::Column::Status.eq(expected.as_str()))
        .exec(db)
        .await
        .map_err(overlap_or_db)?;
    Ok(result.rows_affected == 1)
}

/// Hands live `booking` from its host to `to`, with its new `title` and the rule that
/// chose `to`, if nobody changed it meanwhile (`false` then). Fails with
/// [`StoreError::Overlap`] when `to` is held at that time.
pub async fn reassign(
    db: &impl ConnectionTrait,
    booking: &Booking,
    to: UserId,
    title: &str,
    assignment: Option<Assignment>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let result = bookings::Entity::update_many()
        .col_expr(bookings::Column::HostUserId, Expr::value(to.0))
        .col_expr(bookings::Column::Title, Expr::value(title))
        .col_expr(
            bookings::Column::Assignment,
            Expr::value(assignment.as_ref().map(to_json)),
        )
        .col_expr(bookings::Column::UpdatedMs, Expr::value(to_ms(now)))
        .filter(bookings::Column::Id.eq(booking.id.0))
        .filter(bookings::Column::HostUserId.eq(booking.host.0))
        .filter(bookings::Column::Status.eq(booking.status.as_str()))
        .exec(db)
        .await
        .map_err(overlap_or_db)?;
    Ok(result.rows_affected == 1)
}

/// Renames `booking` (its provider event was retitled); `false` when it is gone.
pub async fn set_title(
    db: &impl ConnectionTrait,
    booking: BookingId,
    title: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let result = bookings::Entity::update_many()
        .col_expr(bookings::Column::Title, Expr::value(title))
        .col_expr(bookings::Column::UpdatedMs, Expr::value(to_ms(now)))
        .filter(bookings::Column::Id.eq(booking.0))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks attendee `email` (any case) of `booking` absent or present.
pub async fn set_absent(
    db: &impl ConnectionTrait,
    booking: BookingId,
    email: &str,
    absent: bool,
) -> Result<()> {
    booking_attendees::Entity::update_many()
        .col_expr(booking_attendees::Column::Absent, Expr::value(absent))
        .filter(booking_attendees::Column::BookingId.eq(booking.0))
        .filter(
            Expr::expr(Func::lower(Expr::col(booking_attendees::Column::Email)))
                .eq(email.to_lowercase()),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The booking `uid`; with `org`, only inside that organization.
pub async fn find_by_uid(
    db: &impl ConnectionTrait,
    org: Option<OrgId>,
    uid: &str,
) -> Result<Option<Booking>> {
    let mut query = bookings::Entity::find().filter(bookings::Column::Uid.eq(uid));
    if let Some(org) = org {
        query = query.filter(bookings::Column::OrgId.eq(org.0));
    }
    let Some(model) = query.one(db).await? else {
        return Ok(None);
    };
    Ok(with_attendees(db, vec![model]).await?.pop())
}

/// The bookings `ids` of `org`, in no particular order.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: &[BookingId],
) -> Result<Vec<Booking>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let models = bookings::Entity::find()
        .filter(bookings::Column::OrgId.eq(org.0))
        .filter(bookings::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?;
    with_attendees(db, models).await
}

/// Every attendee email (lower case) of each booking of `org` that has an attendee
/// matching `matches`: what relinking needs when a customer or stakeholder changes.
async fn attendee_emails_where(
    db: &impl ConnectionTrait,
    org: OrgId,
    matches: Condition,
) -> Result<Vec<(BookingId, Vec<String>)>> {
    let in_org = Query::select()
        .column(bookings::Column::Id)
        .from(bookings::Entity)
        .and_where(bookings::Column::OrgId.eq(org.0))
        .to_owned();
    let matching = Query::select()
        .column(booking_attendees::Column::BookingId)
        .from(booking_attendees::Entity)
        .cond_where(matches)
        .and_where(booking_attendees::Column::BookingId.in_subquery(in_org))
        .to_owned();
    let mut emails: Vec<(BookingId, Vec<String>)> = Vec::new();
    for a in booking_attendees::Entity::find()
        .filter(booking_attendees::Column::BookingId.in_subquery(matching))
        .order_by_asc(booking_attendees::Column::BookingId)
        .order_by_asc(booking_attendees::Column::Id)
        .all(db)
        .await?
    {
        let id = BookingId(a.booking_id);
        match emails.last_mut() {
            Some((last, list)) if *last == id => list.push(a.email.to_lowercase()),
            _ => emails.push((id, vec![a.email.to_lowercase()])),
        }
    }
    Ok(emails)
}

/// The attendee emails of `org`'s bookings with someone at one of `domains` or their
/// subdomains.
pub async fn attendees_at_domains(
    db: &impl ConnectionTrait,
    org: OrgId,
    domains: &[String],
) -> Result<Vec<(BookingId, Vec<String>)>> {
    if domains.is_empty() {
        return Ok(Vec::new());
    }
    let mut any = Condition::any();
    for domain in domains {
        // Domains hold only letters, digits, dots and hyphens: nothing LIKE treats specially.
        any = any
            .add(booking_attendees::Column::Email.like(format!("%@{domain}")))
            .add(booking_attendees::Column::Email.like(format!("%.{domain}")));
    }
    attendee_emails_where(db, org, any).await
}

/// The attendee emails of `org`'s bookings with an attendee at one of `emails`.
pub async fn attendees_with_emails(
    db: &impl ConnectionTrait,
    org: OrgId,
    emails: &[String],
) -> Result<Vec<(BookingId, Vec<String>)>> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    let matches =
        Condition::all().add(booking_attendees::Column::Email.is_in(emails.iter().cloned()));
    attendee_emails_where(db, org, matches).await
}

/// The people who booked `host` in `org`, as (name, email), each name once per
/// address, latest booking first: whom a host can mean by a name.
pub async fn attendees_of_host(
    db: &impl ConnectionTrait,
    org: OrgId,
    host: UserId,
) -> Result<Vec<(String, String)>> {
    let hosted = Query::select()
        .column(bookings::Column::Id)
        .from(bookings::Entity)
        .and_where(bookings::Column::OrgId.eq(org.0))
        .and_where(bookings::Column::HostUserId.eq(host.0))
        .to_owned();
    Ok(booking_attendees::Entity::find()
        .select_only()
        .column(booking_attendees::Column::Name)
        .column(booking_attendees::Column::Email)
        .filter(booking_attendees::Column::BookingId.in_subquery(hosted))
        .group_by(booking_attendees::Column::Name)
        .group_by(booking_attendees::Column::Email)
        .order_by_desc(Expr::expr(Func::max(Expr::col(
            booking_attendees::Column::BookingId,
        ))))
        .into_tuple()
        .all(db)
        .await?)
}

/// Which bookings a list shows, as in Cal.com's booking tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Not yet ended, accepted or pending.
    Upcoming,
    /// Already ended, accepted or pending.
    Past,
    /// Cancelled or rejected.
    Cancelled,
    /// Not yet ended and waiting for confirmation.
    Unconfirmed,
}

/// A filtered, paginated query over an organization's bookings.
#[derive(Debug, Clone)]
pub struct BookingQuery {
    /// Only bookings this user hosts.
    pub host: Option<UserId>,
    /// Only bookings linked to this customer.
    pub customer: Option<CustomerId>,
    /// Any of these tabs (none: all bookings).
    pub statuses: Vec<StatusFilter>,
    /// Only bookings with this attendee (case-insensitive).
    pub attendee_email: Option<String>,
    /// Only bookings of this event type.
    pub event_type_id: Option<EventTypeId>,
    /// Only bookings starting at or after this instant.
    pub after_start: Option<DateTime<Utc>>,
    /// Only bookings ending at or before this instant.
    pub before_end: Option<DateTime<Utc>>,
    /// Newest first instead of oldest first.
    pub descending: bool,
    /// The page: after which (start, id) position, and how many.
    pub page: Keyset<(DateTime<Utc>, BookingId)>,
}

/// One page of `org`'s bookings matching `q`, ordered by start then id; asks one more
/// row than the page's limit so the caller knows whether another page exists.
pub async fn list(
    db: &impl ConnectionTrait,
    org: OrgId,
    q: &BookingQuery,
    now: DateTime<Utc>,
) -> Result<Vec<Booking>> {
    let now_ms = to_ms(now);
    let mut query = bookings::Entity::find().filter(bookings::Column::OrgId.eq(org.0));
    if let Some(host) = q.host {
        query = query.filter(bookings::Column::HostUserId.eq(host.0));
    }
    if let Some(customer) = q.customer {
        query = query.filter(
            bookings::Column::Id.in_subquery(
                Query::select()
                    .column(meeting_links::Column::BookingId)
                    .from(meeting_links::Entity)
                    .and_where(meeting_links::Column::OrgId.eq(org.0))
                    .and_where(meeting_links::Column::CustomerId.eq(customer.0))
                    .to_owned(),
            ),
        );
    }
    if !q.statuses.is_empty() {
        let mut any = Condition::any();
        for status in &q.statuses {
            any = any.add(status_condition(*status, now_ms));
        }
        query = query.filter(any);
    }
    if let Some(email) = &q.attendee_email {
        query = query.filter(
            bookings::Column::Id.in_subquery(
                Query::select()
                    .column(booking_attendees::Column::BookingId)
                    .from(booking_attendees::Entity)
                    .and_where(booking_attendees::Column::Email.eq(email.to_lowercase()))
                    .to_owned(),
            ),
        );
    }
    if let Some(id) = q.event_type_id {
        query = query.filter(bookings::Column::EventTypeId.eq(id.0));
    }
    if let Some(t) = q.after_start {
        query = query.filter(bookings::Column::StartMs.gte(to_ms(t)));
    }
    if let Some(t) = q.before_end {
        query = query.filter(bookings::Column::EndMs.lte(to_ms(t)));
    }
    let page = Keyset {
        after: q.page.after.map(|(start, id)| (to_ms(start), id.0)),
        limit: q.page.limit,
    };
    let query = by_key_then_id(
        query,
        bookings::Column::StartMs,
        bookings::Column::Id,
        q.descending,
        page,
    );
    let models = query.all(db).await?;
    with_attendees(db, models).await
}

fn status_condition(status: StatusFilter, now_ms: i64) -> Condition {
    let live = bookings::Column::Status.is_in(live_statuses());
    match status {
        StatusFilter::Upcoming => Condition::all()
            .add(live)
            .add(bookings::Column::EndMs.gte(now_ms)),
        StatusFilter::Past => Condition::all()
            .add(live)
            .add(bookings::Column::EndMs.lt(now_ms)),
        StatusFilter::Cancelled => Condition::all().add(bookings::Column::Status.is_in([
            BookingStatus::Cancelled.as_str(),
            BookingStatus::Rejected.as_str(),
        ])),
        StatusFilter::Unconfirmed => Condition::all()
            .add(bookings::Column::Status.eq(BookingStatus::Pending.as_str()))
            .add(bookings::Column::EndMs.gte(now_ms)),
    }
}

/// Loads the attendees of `models` in one query and builds the bookings.
async fn with_attendees(
    db: &impl ConnectionTrait,
    models: Vec<bookings::Model>,
) -> Result<Vec<Booking>> {
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let mut attendees: HashMap<i64, Vec<Attendee>> = HashMap::new();
    if !ids.is_empty() {
        for a in booking_attendees::Entity::find()
            .filter(booking_attendees::Column::BookingId.is_in(ids))
            .order_by_asc(booking_attendees::Column::Id)
            .all(db)
            .await?
        {
            attendees.entry(a.booking_id).or_default().push(Attendee {
                time_zone: tz(&a.time_zone)?,
                name: a.name,
                email: a.email,
                language: a.language,
                phone_number: a.phone_number,
                absent: a.absent,
                seat_uid: a.seat_uid,
            });
        }
    }
    models
        .into_iter()
        .map(|m| {
            let attendees = attendees.remove(&m.id).unwrap_or_default();
            to_booking(m, attendees)
        })
        .collect()
}

fn to_booking(m: bookings::Model, attendees: Vec<Attendee>) -> Result<Booking> {
    Ok(Booking {
        id: BookingId(m.id),
        org_id: OrgId(m.org_id),
        event_type_id: EventTypeId(m.event_type_id),
        host: UserId(m.host_user_id),
        status: word("booking status", &m.status, BookingStatus::parse)?,
        span: span(m.start_ms, m.end_ms)?,
        busy: span(m.busy_start_ms, m.busy_end_ms)?,
        attendees,
        guests: from_json("guests", &m.guests)?,
        metadata: from_json("metadata", &m.metadata)?,
        responses: from_json("responses", &m.responses)?,
        created_at: from_ms(m.created_ms)?,
        updated_at: from_ms(m.updated_ms)?,
        uid: m.uid,
        title: m.title,
        description: m.description,
        location: m.location,
        cancelled_by: m
            .cancelled_by
            .map(|c| word("booking cancelled_by", &c, CancelledBy::parse))
            .transpose()?,
        cancellation_reason: m.cancellation_reason,
        rescheduling_reason: m.rescheduling_reason,
        rescheduled_from_uid: m.rescheduled_from_uid,
        rescheduled_to_uid: m.rescheduled_to_uid,
        recurring_booking_uid: m.recurring_booking_uid,
        assignment: m
            .assignment
            .map(|a| from_json("booking assignment", &a))
            .transpose()?,
    })
}

/// The bookings of `org` with `email` (lower case) as an attendee or in their guest
/// list, by start: everything a person's data export and erasure must cover. The guest
/// list is searched as text, so the caller checks for an exact guest.
pub async fn involving(db: &impl ConnectionTrait, org: OrgId, email: &str) -> Result<Vec<Booking>> {
    let as_attendee = Query::select()
        .column(booking_attendees::Column::BookingId)
        .from(booking_attendees::Entity)
        .and_where(booking_attendees::Column::Email.eq(email))
        .to_owned();
    let models = bookings::Entity::find()
        .filter(bookings::Column::OrgId.eq(org.0))
        .filter(
            Condition::any()
                .add(bookings::Column::Id.in_subquery(as_attendee))
                .add(mentions(bookings::Column::Guests, email)),
        )
        .order_by_asc(bookings::Column::StartMs)
        .order_by_asc(bookings::Column::Id)
        .all(db)
        .await?;
    with_attendees(db, models).await
}

/// Writes what an erasure changed in `booking`: its title, guests, answers, metadata,
/// location and reasons, and its attendee `was_email` as `attendee` (whose phone
/// number goes). Time, status and everything else stay as they are.
pub async fn rewrite_personal_data(
    db: &impl ConnectionTrait,
    booking: &Booking,
    was_email: &str,
    attendee: Option<&Attendee>,
) -> Result<()> {
    bookings::Entity::update_many()
        .col_expr(bookings::Column::Title, Expr::value(booking.title.clone()))
        .col_expr(
            bookings::Column::Guests,
            Expr::value(to_json(&booking.guests)),
        )
        .col_expr(
            bookings::Column::Responses,
            Expr::value(to_json(&booking.responses)),
        )
        .col_expr(
            bookings::Column::Metadata,
            Expr::value(to_json(&booking.metadata)),
        )
        .col_expr(
            bookings::Column::Location,
            Expr::value(booking.location.clone()),
        )
        .col_expr(
            bookings::Column::CancellationReason,
            Expr::value(booking.cancellation_reason.clone()),
        )
        .col_expr(
            bookings::Column::ReschedulingReason,
            Expr::value(booking.rescheduling_reason.clone()),
        )
        .col_expr(
            bookings::Column::UpdatedMs,
            Expr::value(to_ms(booking.updated_at)),
        )
        .filter(bookings::Column::Id.eq(booking.id.0))
        .exec(db)
        .await?;
    if let Some(a) = attendee {
        booking_attendees::Entity::update_many()
            .col_expr(booking_attendees::Column::Name, Expr::value(a.name.clone()))
            .col_expr(
                booking_attendees::Column::Email,
                Expr::value(a.email.to_lowercase()),
            )
            .col_expr(
                booking_attendees::Column::PhoneNumber,
                Expr::value(a.phone_number.clone()),
            )
            .filter(booking_attendees::Column::BookingId.eq(booking.id.0))
            .filter(booking_attendees::Column::Email.eq(was_email))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// How many seats a new booking takes: one per attendee holding a seat.
fn seats_of(booking: &Booking) -> i32 {
    let seats = booking
        .attendees
        .iter()
        .filter(|a| a.seat_uid.is_some())
        .count();
    i32::try_from(seats).unwrap_or(i32::MAX)
}

/// The live seated booking of `event_type` held by `host` that starts at `start`: the
/// booking a new invitee of that slot joins.
pub async fn seated_at(
    db: &impl ConnectionTrait,
    event_type: EventTypeId,
    host: UserId,
    start: DateTime<Utc>,
) -> Result<Option<Booking>> {
    let Some(model) = bookings::Entity::find()
        .filter(bookings::Column::EventTypeId.eq(event_type.0))
        .filter(bookings::Column::HostUserId.eq(host.0))
        .filter(bookings::Column::StartMs.eq(to_ms(start)))
        .filter(bookings::Column::Status.is_in(live_statuses()))
        .filter(bookings::Column::SeatsBooked.gt(0))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(with_attendees(db, vec![model]).await?.pop())
}

/// The live seated bookings of `event_type` starting inside `window`, each with the
/// seats it holds.
pub async fn seated_in(
    db: &impl ConnectionTrait,
    event_type: EventTypeId,
    window: Span,
) -> Result<Vec<(BookingId, Span, u32)>> {
    let rows: Vec<(i64, i64, i64, i32)> = bookings::Entity::find()
        .select_only()
        .column(bookings::Column::Id)
        .column(bookings::Column::StartMs)
        .column(bookings::Column::EndMs)
        .column(bookings::Column::SeatsBooked)
        .filter(bookings::Column::EventTypeId.eq(event_type.0))
        .filter(bookings::Column::Status.is_in(live_statuses()))
        .filter(bookings::Column::SeatsBooked.gt(0))
        .filter(bookings::Column::StartMs.gte(to_ms(window.start)))
        .filter(bookings::Column::StartMs.lt(to_ms(window.end)))
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(id, start, end, booked)| {
            let booked = u32::try_from(booked).unwrap_or(0);
            Ok((BookingId(id), span(start, end)?, booked))
        })
        .collect()
}

/// Takes one seat of live booking `booking` for `attendee` if fewer than `capacity`
/// are taken; `false` when the slot is full (or no longer live). The count is raised
/// by one conditional `UPDATE`, which the database serializes per row, so concurrent
/// invitees can never take more seats than there are.
pub async fn take_seat(
    db: &impl ConnectionTrait,
    booking: BookingId,
    capacity: u32,
    attendee: &Attendee,
    now: DateTime<Utc>,
) -> Result<bool> {
    let taken = bookings::Entity::update_many()
        .col_expr(
            bookings::Column::SeatsBooked,
            Expr::col(bookings::Column::SeatsBooked).add(1),
        )
        .col_expr(bookings::Column::UpdatedMs, Expr::value(to_ms(now)))
        .filter(bookings::Column::Id.eq(booking.0))
        .filter(bookings::Column::Status.is_in(live_statuses()))
        .filter(bookings::Column::SeatsBooked.lt(i64::from(capacity)))
        .exec(db)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(false);
    }
    booking_attendees::ActiveModel {
        booking_id: Set(booking.0),
        name: Set(attendee.name.clone()),
        email: Set(attendee.email.to_lowercase()),
        time_zone: Set(attendee.time_zone.name().to_string()),
        language: Set(attendee.language.clone()),
        phone_number: Set(attendee.phone_number.clone()),
        absent: Set(attendee.absent),
        seat_uid: Set(attendee.seat_uid.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(true)
}

/// Gives back seat `seat_uid` of `booking`: its attendee leaves and the count drops by
/// one. Returns the seats still taken, or `None` when the seat was already gone.
pub async fn free_seat(
    db: &impl ConnectionTrait,
    booking: BookingId,
    seat_uid: &str,
    now: DateTime<Utc>,
) -> Result<Option<u32>> {
    let gone = booking_attendees::Entity::delete_many()
        .filter(booking_attendees::Column::BookingId.eq(booking.0))
        .filter(booking_attendees::Column::SeatUid.eq(seat_uid))
        .exec(db)
        .await?;
    if gone.rows_affected != 1 {
        return Ok(None);
    }
    bookings::Entity::update_many()
        .col_expr(
            bookings::Column::SeatsBooked,
            Expr::col(bookings::Column::SeatsBooked).sub(1),
        )
        .col_expr(bookings::Column::UpdatedMs, Expr::value(to_ms(now)))
        .filter(bookings::Column::Id.eq(booking.0))
        .exec(db)
        .await?;
    let left: Option<i32> = bookings::Entity::find_by_id(booking.0)
        .select_only()
        .column(bookings::Column::SeatsBooked)
        .into_tuple()
        .one(db)
        .await?;
    Ok(Some(left.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)))
}

/// The booking holding seat `seat_uid`; with `org`, only inside that organization.
pub async fn find_by_seat_uid(
    db: &impl ConnectionTrait,
    org: Option<OrgId>,
    seat_uid: &str,
) -> Result<Option<Booking>> {
    let seat: Option<i64> = booking_attendees::Entity::find()
        .select_only()
        .column(booking_attendees::Column::BookingId)
        .filter(booking_attendees::Column::SeatUid.eq(seat_uid))
        .into_tuple()
        .one(db)
        .await?;
    let Some(id) = seat else {
        return Ok(None);
    };
    let mut query = bookings::Entity::find().filter(bookings::Column::Id.eq(id));
    if let Some(org) = org {
        query = query.filter(bookings::Column::OrgId.eq(org.0));
    }
    let Some(model) = query.one(db).await? else {
        return Ok(None);
    };
    Ok(with_attendees(db, vec![model]).await?.pop())
}

/// Takes the seat uids off `booking`'s attendees, so the booking replacing it in a
/// reschedule can carry them: a seat keeps its handle when its slot moves.
pub async fn release_seat_uids(db: &impl ConnectionTrait, booking: BookingId) -> Result<()> {
    booking_attendees::Entity::update_many()
        .col_expr(
            booking_attendees::Column::SeatUid,
            Expr::value(Option::<String>::None),
        )
        .filter(booking_attendees::Column::BookingId.eq(booking.0))
        .exec(db)
        .await?;
    Ok(())
}

/// The live occurrences of series `series` in `org` starting at or after `from`, by
/// start: what "cancel this and the rest" cancels.
pub async fn series_from(
    db: &impl ConnectionTrait,
    org: OrgId,
    series: &str,
    from: DateTime<Utc>,
) -> Result<Vec<Booking>> {
    let models = bookings::Entity::find()
        .filter(bookings::Column::OrgId.eq(org.0))
        .filter(bookings::Column::RecurringBookingUid.eq(series))
        .filter(bookings::Column::Status.is_in(live_statuses()))
        .filter(bookings::Column::StartMs.gte(to_ms(from)))
        .order_by_asc(bookings::Column::StartMs)
        .all(db)
        .await?;
    with_attendees(db, models).await
}

/// Takes up to `limit` pending bookings that have started unconfirmed, leased until
/// `lease_until`: the expiry job's queue. Call it inside a write transaction.
pub async fn lease_unconfirmed(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    let started = Condition::all().add(bookings::Column::StartMs.lte(to_ms(now)));
    lease_pending(db, started, now, lease_until, limit).await
}

/// Leases up to `limit` pending bookings that also meet `which`, by the expiry lease.
async fn lease_pending(
    db: &impl ConnectionTrait,
    which: Condition,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    let due = bookings::Entity::find()
        .filter(bookings::Column::Status.eq(BookingStatus::Pending.as_str()))
        .filter(which);
    super::lease::take(
        db,
        due,
        bookings::Column::Id,
        bookings::Column::ExpiryLeaseMs,
        (to_ms(now), to_ms(lease_until)),
        limit,
    )
    .await
}

/// Leases up to `limit` pending bookings starting after `now` and by `horizon` whose
/// hosts were not yet warned that they expire unconfirmed.
pub async fn lease_expiring(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    let soon_unwarned = Condition::all()
        .add(bookings::Column::StartMs.gt(to_ms(now)))
        .add(bookings::Column::StartMs.lte(to_ms(horizon)))
        .add(bookings::Column::ExpiryWarnedMs.is_null());
    lease_pending(db, soon_unwarned, now, lease_until, limit).await
}

/// Records that booking `id`'s hosts were warned it expires; `false` when they already
/// were.
pub async fn mark_expiry_warned(
    db: &impl ConnectionTrait,
    id: BookingId,
    now: DateTime<Utc>,
) -> Result<bool> {
    let result = bookings::Entity::update_many()
        .col_expr(bookings::Column::ExpiryWarnedMs, Expr::value(to_ms(now)))
        .col_expr(bookings::Column::ExpiryLeaseMs, Expr::value(None::<i64>))
        .filter(bookings::Column::Id.eq(id.0))
        .filter(bookings::Column::ExpiryWarnedMs.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The booking with row id `id`, whatever its organization (for jobs).
pub async fn find_by_id(db: &impl ConnectionTrait, id: BookingId) -> Result<Option<Booking>> {
    let Some(model) = bookings::Entity::find_by_id(id.0).one(db).await? else {
        return Ok(None);
    };
    Ok(with_attendees(db, vec![model]).await?.pop())
}
