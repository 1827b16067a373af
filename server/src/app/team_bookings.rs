//! Booking a team event type: which hosts are free at the start asked for, who gets a
//! round-robin booking, and moving a round-robin booking to the next host.
//!
//! Every host is checked with the ordinary slot check (their own schedule, zone,
//! bookings and buffers), from one query for all hosts' bookings; a host out of
//! office then, or whose own booking limits are full, is not free. A collective
//! booking needs every host; a round-robin one every fixed host and the host the
//! chooser picks among the others free. The database refuses a host held twice, so
//! when a concurrent booking takes the chosen host first, the attempt is rolled back
//! to a savepoint and the next host is tried, up to three times.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::availability::{
    Bookable, HostCalendar, TeamHosts, context_window, existing, with_calendar,
};
use super::calendars::CalendarBusy;
use super::{AppError, Result};
use crate::domain::booking::{Assignment, Booking};
use crate::domain::ids::{BookingId, CustomerId, UserId};
use crate::domain::round_robin::{self, Absent, Candidate};
use crate::domain::slots::{SlotError, check_slot};
use crate::domain::span::Span;
use crate::domain::team::SchedulingType;
use crate::domain::user::User;
use crate::store::{self, StoreError};

/// How many hosts a round-robin booking tries before giving up on a slot that
/// concurrent bookings keep taking.
const ATTEMPTS: usize = 3;

/// A start checked against every host.
pub(super) struct Checked {
    /// The meeting.
    pub span: Span,
    /// The meeting with the event type's buffers.
    pub busy: Span,
    /// Indices into [`TeamHosts::hosts`] of the hosts free then.
    pub free: Vec<usize>,
    /// Why the first host who is not free is not (to explain a refusal).
    refusal: Option<SlotError>,
}

/// Checks `start` for every host (leaving out booking `exclude`, being moved), their
/// connected calendars' busy times (`calendar`, read before the transaction) included.
#[expect(
    clippy::too_many_arguments,
    reason = "the slot check's inputs, all needed"
)]
pub(super) async fn check(
    txn: &DatabaseTransaction,
    b: &Bookable,
    team: &TeamHosts,
    calendar: &CalendarBusy,
    length_min: u32,
    start: DateTime<Utc>,
    booker_tz: Tz,
    exclude: Option<BookingId>,
    now: DateTime<Utc>,
) -> Result<Checked> {
    let rules = b.event_type.slot_rules(length_min);
    let span = Span::new(start, start + Duration::minutes(i64::from(length_min)));
    let ids: Vec<UserId> = team.hosts.iter().map(|h| h.user.id).collect();
    let held = store::booking_hosts::held_times(txn, &ids, context_window(&rules, span)).await?;
    let away = store::out_of_office::overlapping(txn, &ids, span).await?;
    let mut free = Vec::with_capacity(team.hosts.len());
    let mut refusal: Option<SlotError> = None;
    for (i, host) in team.hosts.iter().enumerate() {
        if away.iter().any(|e| e.user_id == host.user.id) {
            refusal.get_or_insert(SlotError::NotOnSlot);
            continue;
        }
        let mine = || {
            held.iter()
                .filter(|(u, _)| *u == host.user.id)
                .map(|(_, h)| h)
        };
        let existing = with_calendar(
            existing(mine(), b.event_type.id, exclude),
            calendar.of(host.user.id),
            mine(),
        );
        match check_slot(&host.schedule, &rules, &existing, start, now, booker_tz) {
            Ok(_) => free.push(i),
            // "Taken" explains a refusal best: the slot was there, someone took it.
            Err(err) if refusal.is_none() || err == SlotError::Taken => refusal = Some(err),
            Err(_) => {}
        }
    }
    let candidates: Vec<&User> = free.iter().map(|&i| &team.hosts[i].user).collect();
    let full = super::host_limits::full(txn, &candidates, span, exclude).await?;
    if !full.is_empty() {
        free.retain(|&i| !full.iter().any(|(u, _)| *u == team.hosts[i].user.id));
        refusal.get_or_insert(SlotError::NotOnSlot);
    }
    let busy = Span::new(
        span.start - Duration::minutes(i64::from(rules.buffer_before_min)),
        span.end + Duration::minutes(i64::from(rules.buffer_after_min)),
    );
    Ok(Checked {
        span,
        busy,
        free,
        refusal,
    })
}

fn refused(checked: &Checked) -> AppError {
    super::bookings::slot_error(checked.refusal.clone().unwrap_or(SlotError::Taken))
}

/// The hosts a booking gets, as indices into [`TeamHosts::hosts`].
struct Picked {
    /// The host it is held by.
    primary: usize,
    /// Its other hosts (collective, fixed).
    others: Vec<usize>,
    /// Round robin's credits for the rotating hosts who could not take it; kept by
    /// [`book`] only, as a reassignment books no new slot.
    credits: Vec<(UserId, u64)>,
    /// Which rule chose a round-robin host.
    assignment: Option<Assignment>,
}

/// Which hosts a booking at `checked` gets. Fails when a host it needs is not free.
/// `passed_over`: round-robin hosts not to pick (taken meanwhile, or the current host
/// of a booking being reassigned). `contact_owner`: the booker's customer and its
/// owner, who takes a round-robin booking when they host the type and are free (the
/// rotation is skipped, so no one earns credit for it).
async fn pick(
    txn: &DatabaseTransaction,
    b: &Bookable,
    team: &TeamHosts,
    checked: &Checked,
    passed_over: &[UserId],
    contact_owner: Option<(CustomerId, UserId)>,
) -> Result<Picked> {
    let is_fixed =
        |h: &HostCalendar| h.host.mandatory || team.scheduling_type == SchedulingType::Collective;
    let fixed: Vec<usize> = (0..team.hosts.len())
        .filter(|&i| is_fixed(&team.hosts[i]))
        .collect();
    if fixed.iter().any(|i| !checked.free.contains(i)) {
        return Err(refused(checked));
    }
    if fixed.len() == team.hosts.len() {
        let (first, rest) = fixed.split_first().ok_or_else(|| refused(checked))?;
        return Ok(Picked {
            primary: *first,
            others: rest.to_vec(),
            credits: Vec::new(),
            assignment: None,
        });
    }
    let rotating: Vec<usize> = checked
        .free
        .iter()
        .copied()
        .filter(|&i| !is_fixed(&team.hosts[i]) && !passed_over.contains(&team.hosts[i].user.id))
        .collect();
    if let Some((customer, owner)) = contact_owner
        && let Some(&primary) = rotating.iter().find(|&&i| team.hosts[i].user.id == owner)
    {
        return Ok(Picked {
            primary,
            others: fixed,
            credits: Vec::new(),
            assignment: Some(Assignment::ContactOwner { customer }),
        });
    }
    let ids: Vec<UserId> = rotating.iter().map(|&i| team.hosts[i].user.id).collect();
    let tally = store::booking_hosts::round_robin_tally(txn, b.event_type.id, &ids).await?;
    let credit = store::round_robin_credits::of_hosts(txn, b.event_type.id, &ids).await?;
    let candidates: Vec<Candidate> = rotating
        .iter()
        .map(|&i| {
            let h = &team.hosts[i];
            let (bookings, last_booked) = tally.get(&h.user.id).copied().unwrap_or_default();
            Candidate {
                user_id: h.user.id,
                priority: h.host.priority,
                weight: h.host.weight,
                bookings,
                credit: credit.get(&h.user.id).copied().unwrap_or(0),
                last_booked,
            }
        })
        .collect();
    let chosen = round_robin::choose(&candidates).ok_or_else(|| refused(checked))?;
    let primary = rotating
        .into_iter()
        .find(|&i| team.hosts[i].user.id == chosen)
        .ok_or_else(|| refused(checked))?;
    let absent: Vec<Absent> = (0..team.hosts.len())
        .filter(|i| !checked.free.contains(i) && !is_fixed(&team.hosts[*i]))
        .map(|i| Absent {
            user_id: team.hosts[i].user.id,
            priority: team.hosts[i].host.priority,
            weight: team.hosts[i].host.weight,
        })
        .collect();
    Ok(Picked {
        primary,
        others: fixed,
        credits: round_robin::absence_credits(&candidates, chosen, &absent),
        assignment: Some(Assignment::RoundRobin),
    })
}

/// Inside the booking's transaction: checks `start`, picks the hosts (the booker's
/// `contact_owner` first, see [`pick`]) and saves the booking `make` builds for the
/// chosen host, span and buffered span. Answers the saved booking and its hosts, the
/// one it is held by first.
#[expect(
    clippy::too_many_arguments,
    reason = "the booking's inputs, all needed"
)]
pub(super) async fn book(
    txn: &DatabaseTransaction,
    b: &Bookable,
    team: &TeamHosts,
    calendar: &CalendarBusy,
    length_min: u32,
    start: DateTime<Utc>,
    booker_tz: Tz,
    contact_owner: Option<(CustomerId, UserId)>,
    now: DateTime<Utc>,
    make: impl Fn(&User, Span, Span) -> Booking,
) -> Result<(Booking, Vec<User>)> {
    let mut passed_over = Vec::new();
    for attempt in 1..=ATTEMPTS {
        let checked = check(
            txn, b, team, calendar, length_min, start, booker_tz, None, now,
        )
        .await?;
        let picked = pick(txn, b, team, &checked, &passed_over, contact_owner).await?;
        let host = &team.hosts[picked.primary].user;
        let booking = Booking {
            assignment: picked.assignment,
            ..make(host, checked.span, checked.busy)
        };
        match save(txn, &booking, team, &picked.others).await {
            Ok(saved) => {
                store::round_robin_credits::add(
                    txn,
                    b.event_type.org_id,
                    b.event_type.id,
                    &picked.credits,
                )
                .await?;
                let mut hosts = vec![host.clone()];
                hosts.extend(picked.others.iter().map(|&i| team.hosts[i].user.clone()));
                return Ok((saved, hosts));
            }
            Err(StoreError::Overlap) if attempt < ATTEMPTS => {
                tracing::info!(
                    event_type.id = b.event_type.id.0,
                    user.id = host.id.0,
                    attempt,
                    "round-robin host taken meanwhile; trying the next"
                );
                passed_over.push(host.id);
            }
            Err(err) => return Err(super::bookings::store_error(err)),
        }
    }
    Err(super::bookings::slot_error(SlotError::Taken))
}

/// Saves `booking` and its other hosts under a savepoint, so a refusal leaves the
/// transaction usable for the next try.
async fn save(
    txn: &DatabaseTransaction,
    booking: &Booking,
    team: &TeamHosts,
    others: &[usize],
) -> Result<Booking, StoreError> {
    let savepoint = txn.begin().await?;
    let result = async {
        let saved = store::bookings::insert(&savepoint, booking).await?;
        let ids: Vec<UserId> = others.iter().map(|&i| team.hosts[i].user.id).collect();
        store::booking_hosts::add(&savepoint, &saved, &ids).await?;
        Ok(saved)
    }
    .await;
    match result {
        Ok(saved) => {
            savepoint.commit().await?;
            Ok(saved)
        }
        Err(err) => {
            savepoint.rollback().await?;
            Err(err)
        }
    }
}

/// Inside a reschedule's transaction: checks that every one of `hosts` (the moved
/// booking's) is free at `start`, leaving out the booking being moved.
#[expect(
    clippy::too_many_arguments,
    reason = "the slot check's inputs, all needed"
)]
pub(super) async fn check_all(
    txn: &DatabaseTransaction,
    b: &Bookable,
    team: &TeamHosts,
    calendar: &CalendarBusy,
    hosts: &[UserId],
    length_min: u32,
    start: DateTime<Utc>,
    booker_tz: Tz,
    exclude: BookingId,
    now: DateTime<Utc>,
) -> Result<(Span, Span)> {
    let checked = check(
        txn,
        b,
        team,
        calendar,
        length_min,
        start,
        booker_tz,
        Some(exclude),
        now,
    )
    .await?;
    let all_free = hosts.iter().all(|h| {
        team.hosts
            .iter()
            .position(|c| c.user.id == *h)
            .is_some_and(|i| checked.free.contains(&i))
    });
    if all_free {
        Ok((checked.span, checked.busy))
    } else {
        Err(refused(&checked))
    }
}

/// Inside a reassignment's transaction: moves round-robin `booking` from its host to
/// the host the chooser picks among the others free then, retrying like [`book`].
pub(super) async fn reassign(
    txn: &DatabaseTransaction,
    b: &Bookable,
    team: &TeamHosts,
    calendar: &CalendarBusy,
    booking: &Booking,
    now: DateTime<Utc>,
) -> Result<User> {
    if team.scheduling_type != SchedulingType::RoundRobin {
        return Err(AppError::Conflict(format!(
            "booking `{}` is collective: every host attends, there is no one to hand it to",
            booking.uid
        )));
    }
    let length_min = u32::try_from(booking.span.minutes()).unwrap_or(b.event_type.length_min);
    // The booking was made with enough notice; reassigning it later must not fail on it.
    let as_of =
        now.min(booking.span.start - Duration::minutes(i64::from(b.event_type.min_notice_min)));
    let mut passed_over = vec![booking.host];
    for attempt in 1..=ATTEMPTS {
        let checked = check(
            txn,
            b,
            team,
            calendar,
            length_min,
            booking.span.start,
            booking.invitee_time_zone(),
            Some(booking.id),
            as_of,
        )
        .await?;
        let picked = pick(txn, b, team, &checked, &passed_over, None)
            .await
            .map_err(|_| {
                AppError::Conflict(format!(
                    "no other host of this event type is free at the time of booking `{}`",
                    booking.uid
                ))
            })?;
        let host = &team.hosts[picked.primary].user;
        let savepoint = txn.begin().await.map_err(StoreError::from)?;
        let invitee = booking.attendees.first().map_or("", |a| a.name.as_str());
        let title = super::bookings::title(&b.event_type, host, invitee);
        let moved =
            store::bookings::reassign(&savepoint, booking, host.id, &title, picked.assignment, now);
        match moved.await {
            Ok(true) => {
                savepoint.commit().await.map_err(StoreError::from)?;
                return Ok(host.clone());
            }
            Ok(false) => {
                savepoint.rollback().await.map_err(StoreError::from)?;
                return Err(super::bookings::changed_meanwhile(&booking.uid));
            }
            Err(StoreError::Overlap) if attempt < ATTEMPTS => {
                savepoint.rollback().await.map_err(StoreError::from)?;
                passed_over.push(host.id);
            }
            Err(err) => return Err(super::bookings::store_error(err)),
        }
    }
    Err(super::bookings::slot_error(SlotError::Taken))
}
