//! A host's own booking limits across all their event types (`/v2/me/booking-limits`),
//! and their enforcement: slots are trimmed to the room a host has left, and a booking
//! is refused inside its transaction once a period is full, even for a slot that was
//! listed a moment before.

use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Deserialize;

use super::auth::Caller;
use super::event_types::{LimitsInput, limits};
use super::input::Issues;
use super::{App, AppError, Result};
use crate::domain::host_limits::{self, HostLimits};
use crate::domain::ids::{BookingId, UserId};
use crate::domain::rules::LimitPeriod;
use crate::domain::span::Span;
use crate::domain::user::User;
use crate::store;

/// The caller's limits as sent, in the event types' names; `{disabled: true}` (or an
/// empty object) removes a kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostLimitsInput {
    /// Max bookings per day, week, month, year.
    pub booking_limits_count: Option<LimitsInput>,
    /// Max booked minutes per day and week.
    pub booking_limits_duration: Option<LimitsInput>,
}

/// The caller's limits.
pub async fn get(app: &App, caller: Caller) -> Result<HostLimits> {
    Ok(store::host_limits::of(&app.db, caller.user_id).await?)
}

/// Replaces the caller's limits. Bad values are 422s naming the field
/// (`bookingLimitsDuration.month`: minutes are limited per day and week only).
pub async fn set(app: &App, caller: Caller, input: HostLimitsInput) -> Result<HostLimits> {
    let mut issues = Issues::default();
    let none = LimitsInput::default();
    let count = limits(
        &mut issues,
        "bookingLimitsCount",
        input.booking_limits_count.as_ref().unwrap_or(&none),
    );
    let duration_input = input.booking_limits_duration.as_ref().unwrap_or(&none);
    let duration = limits(&mut issues, "bookingLimitsDuration", duration_input);
    for (name, value) in [("month", duration.month), ("year", duration.year)] {
        issues.require(
            value.is_none(),
            &format!("bookingLimitsDuration.{name}"),
            "booked minutes are limited per day and week only",
        );
    }
    issues.finish()?;
    let limits = HostLimits { count, duration };
    store::host_limits::put(&app.db, caller.org_id, caller.user_id, &limits).await?;
    tracing::info!(user.id = caller.user_id.0, "host booking limits set");
    Ok(limits)
}

/// The meetings of `users` (all event types, as host or co-host) within `window`,
/// leaving out `exclude` (a booking being moved), by user.
async fn booked(
    db: &impl ConnectionTrait,
    users: &[UserId],
    window: Span,
    exclude: Option<BookingId>,
) -> Result<Vec<(UserId, Span)>> {
    Ok(store::booking_hosts::held_times(db, users, window)
        .await?
        .into_iter()
        .filter(|(_, h)| Some(h.id) != exclude)
        .map(|(u, h)| (u, h.span))
        .collect())
}

fn of(booked: &[(UserId, Span)], user: UserId) -> Vec<Span> {
    booked
        .iter()
        .filter(|(u, _)| *u == user)
        .map(|(_, s)| *s)
        .collect()
}

/// Each of `hosts`' slots (in the same order) cut to what their own limits leave room
/// for; two queries whatever the number of hosts.
pub(super) async fn trim(
    db: &impl ConnectionTrait,
    hosts: &[&User],
    slots: Vec<Vec<Span>>,
    range: Span,
    exclude: Option<BookingId>,
) -> Result<Vec<Vec<Span>>> {
    let ids: Vec<UserId> = hosts.iter().map(|h| h.id).collect();
    let all = store::host_limits::of_many(db, &ids).await?;
    if all.values().all(HostLimits::is_empty) {
        return Ok(slots);
    }
    let limited: Vec<UserId> = all.keys().copied().collect();
    let window = all.values().map(|l| l.reach(range)).fold(range, |a, b| {
        Span::new(a.start.min(b.start), a.end.max(b.end))
    });
    let booked = booked(db, &limited, window, exclude).await?;
    Ok(hosts
        .iter()
        .zip(slots)
        .map(|(host, slots)| match all.get(&host.id) {
            Some(limits) => limits.keep_within(host.time_zone, &of(&booked, host.id), slots),
            None => slots,
        })
        .collect())
}

/// Inside a booking's transaction: the hosts of `hosts` whose own limits one more
/// `meeting` would break, with the period that is full. Hosts with limits are locked
/// first (on PostgreSQL) so that two bookings cannot both take a period's last place.
pub(super) async fn full(
    txn: &DatabaseTransaction,
    hosts: &[&User],
    meeting: Span,
    exclude: Option<BookingId>,
) -> Result<Vec<(UserId, LimitPeriod)>> {
    let ids: Vec<UserId> = hosts.iter().map(|h| h.id).collect();
    let all = store::host_limits::of_many(txn, &ids).await?;
    let mut limited: Vec<UserId> = all
        .iter()
        .filter(|(_, l)| !l.is_empty())
        .map(|(u, _)| *u)
        .collect();
    if limited.is_empty() {
        return Ok(Vec::new());
    }
    limited.sort();
    for user in &limited {
        store::db::lock_host(txn, *user).await?;
    }
    let window = limited
        .iter()
        .filter_map(|u| all.get(u))
        .map(|l| l.reach(meeting))
        .fold(meeting, |a, b| {
            Span::new(a.start.min(b.start), a.end.max(b.end))
        });
    let booked = booked(txn, &limited, window, exclude).await?;
    Ok(hosts
        .iter()
        .filter_map(|host| {
            let limits = all.get(&host.id)?;
            let period = limits.full_period(host.time_zone, &of(&booked, host.id), meeting)?;
            Some((host.id, period))
        })
        .collect())
}

/// Inside a booking's transaction: refuses `meeting` for `host` when it would break
/// their own limits (a 422 on `start`, like an event type's limit).
pub(super) async fn check(
    txn: &DatabaseTransaction,
    host: &User,
    meeting: Span,
    exclude: Option<BookingId>,
) -> Result<()> {
    match full(txn, &[host], meeting, exclude).await?.first() {
        Some((_, period)) => Err(AppError::invalid(
            "start",
            host_limits::refusal(&host.username, *period),
        )),
        None => Ok(()),
    }
}
