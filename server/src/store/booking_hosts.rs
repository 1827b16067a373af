//! Every host a booking holds. A booking's own host is kept here by the database
//! (triggers follow its status, times and host); a collective or fixed-host booking adds
//! its other hosts. The no-double-booking guarantee is enforced over this table, so
//! a host is never held twice whichever booking names them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, Func},
};

use super::Result;
use super::bookings::{HeldTime, live_statuses, overlap_or_db};
use super::codec::{from_ms, span, to_ms};
use super::entities::{booking_hosts, bookings};
use crate::domain::booking::Booking;
use crate::domain::ids::{BookingId, EventTypeId, UserId};
use crate::domain::span::Span;

/// The live bookings of each of `hosts` whose buffered time overlaps `window`, in one
/// query: `(host, held time)` sorted by host, then start.
pub async fn held_times(
    db: &impl ConnectionTrait,
    hosts: &[UserId],
    window: Span,
) -> Result<Vec<(UserId, HeldTime)>> {
    if hosts.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, i64, i64, i64, i64, i64, i64)> = booking_hosts::Entity::find()
        .select_only()
        .columns([
            booking_hosts::Column::UserId,
            booking_hosts::Column::BookingId,
            booking_hosts::Column::EventTypeId,
            booking_hosts::Column::StartMs,
            booking_hosts::Column::EndMs,
            booking_hosts::Column::BusyStartMs,
            booking_hosts::Column::BusyEndMs,
        ])
        .filter(booking_hosts::Column::UserId.is_in(hosts.iter().map(|h| h.0)))
        .filter(booking_hosts::Column::BusyStartMs.lt(to_ms(window.end)))
        .filter(booking_hosts::Column::BusyEndMs.gt(to_ms(window.start)))
        .filter(booking_hosts::Column::Status.is_in(live_statuses()))
        .order_by_asc(booking_hosts::Column::UserId)
        .order_by_asc(booking_hosts::Column::BusyStartMs)
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(user, id, event_type, start, end, busy_start, busy_end)| {
            Ok((
                UserId(user),
                HeldTime {
                    id: BookingId(id),
                    event_type_id: EventTypeId(event_type),
                    span: span(start, end)?,
                    busy: span(busy_start, busy_end)?,
                },
            ))
        })
        .collect()
}

/// Adds `hosts` (besides its own host) to a saved booking. Fails with
/// [`super::StoreError::Overlap`] when one of them is already held at that time.
pub async fn add(db: &impl ConnectionTrait, booking: &Booking, hosts: &[UserId]) -> Result<()> {
    if hosts.is_empty() {
        return Ok(());
    }
    booking_hosts::Entity::insert_many(hosts.iter().map(|h| booking_hosts::ActiveModel {
        org_id: Set(booking.org_id.0),
        booking_id: Set(booking.id.0),
        user_id: Set(h.0),
        event_type_id: Set(booking.event_type_id.0),
        status: Set(booking.status.as_str().to_string()),
        start_ms: Set(to_ms(booking.span.start)),
        end_ms: Set(to_ms(booking.span.end)),
        busy_start_ms: Set(to_ms(booking.busy.start)),
        busy_end_ms: Set(to_ms(booking.busy.end)),
        created_ms: Set(to_ms(booking.created_at)),
        ..Default::default()
    }))
    .exec(db)
    .await
    .map_err(overlap_or_db)?;
    Ok(())
}

/// Every host of each of `bookings`, its own host first, then the others in the order
/// they were added.
pub async fn of_bookings(
    db: &impl ConnectionTrait,
    bookings: &[&Booking],
) -> Result<HashMap<BookingId, Vec<UserId>>> {
    let mut hosts: HashMap<BookingId, Vec<UserId>> =
        bookings.iter().map(|b| (b.id, vec![b.host])).collect();
    if bookings.is_empty() {
        return Ok(hosts);
    }
    let rows: Vec<(i64, i64)> = booking_hosts::Entity::find()
        .select_only()
        .columns([
            booking_hosts::Column::BookingId,
            booking_hosts::Column::UserId,
        ])
        .filter(booking_hosts::Column::BookingId.is_in(bookings.iter().map(|b| b.id.0)))
        .order_by_asc(booking_hosts::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for (booking, user) in rows {
        if let Some(list) = hosts.get_mut(&BookingId(booking))
            && !list.contains(&UserId(user))
        {
            list.push(UserId(user));
        }
    }
    Ok(hosts)
}

/// What round robin weighs for each of `hosts`: their live bookings of `event_type` as
/// its chosen host, and when they were last booked for anything.
pub async fn round_robin_tally(
    db: &impl ConnectionTrait,
    event_type: EventTypeId,
    hosts: &[UserId],
) -> Result<HashMap<UserId, (u64, Option<DateTime<Utc>>)>> {
    let mut tally: HashMap<UserId, (u64, Option<DateTime<Utc>>)> =
        hosts.iter().map(|h| (*h, (0, None))).collect();
    if hosts.is_empty() {
        return Ok(tally);
    }
    for (host, n) in live_counts(db, event_type, hosts, None).await? {
        if let Some(entry) = tally.get_mut(&host) {
            entry.0 = n;
        }
    }
    let latest: Vec<(i64, Option<i64>)> = booking_hosts::Entity::find()
        .select_only()
        .column(booking_hosts::Column::UserId)
        .column_as(
            Expr::expr(Func::max(Expr::col(booking_hosts::Column::CreatedMs))),
            "latest",
        )
        .filter(booking_hosts::Column::UserId.is_in(hosts.iter().map(|h| h.0)))
        .filter(booking_hosts::Column::Status.is_in(live_statuses()))
        .group_by(booking_hosts::Column::UserId)
        .into_tuple()
        .all(db)
        .await?;
    for (host, ms) in latest {
        if let (Some(entry), Some(ms)) = (tally.get_mut(&UserId(host)), ms) {
            entry.1 = Some(from_ms(ms)?);
        }
    }
    Ok(tally)
}

/// How many live bookings of `event_type` each of `hosts` holds as its host, of those
/// starting within `period`: a round-robin type's distribution over a report's period.
pub async fn booked_within(
    db: &impl ConnectionTrait,
    event_type: EventTypeId,
    hosts: &[UserId],
    period: Span,
) -> Result<HashMap<UserId, u64>> {
    Ok(live_counts(db, event_type, hosts, Some(period))
        .await?
        .into_iter()
        .collect())
}

/// Live bookings of `event_type` per host among `hosts` (those starting within
/// `period`, if given), counted in SQL; hosts without any are left out.
async fn live_counts(
    db: &impl ConnectionTrait,
    event_type: EventTypeId,
    hosts: &[UserId],
    period: Option<Span>,
) -> Result<Vec<(UserId, u64)>> {
    if hosts.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = bookings::Entity::find()
        .select_only()
        .column(bookings::Column::HostUserId)
        .column_as(
            Expr::expr(Func::count(Expr::col(bookings::Column::Id))),
            "n",
        )
        .filter(bookings::Column::EventTypeId.eq(event_type.0))
        .filter(bookings::Column::HostUserId.is_in(hosts.iter().map(|h| h.0)))
        .filter(bookings::Column::Status.is_in(live_statuses()));
    if let Some(period) = period {
        query = query
            .filter(bookings::Column::StartMs.gte(to_ms(period.start)))
            .filter(bookings::Column::StartMs.lt(to_ms(period.end)));
    }
    let counts: Vec<(i64, i64)> = query
        .group_by(bookings::Column::HostUserId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts
        .into_iter()
        .map(|(host, n)| (UserId(host), u64::try_from(n).unwrap_or(0)))
        .collect())
}
