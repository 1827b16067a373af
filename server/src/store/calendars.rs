//! Connected calendars: each calendar installation's calendars with the host's choices,
//! the busy times last fetched from them, the queue of bookings whose calendar event
//! must catch up with the booking (`calendar_syncs`), and which event (in which
//! calendar) a booking has.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::NotSet, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::Result;
use super::codec::{from_json, from_ms, span, to_json, to_ms};
use super::entities::{busy_cache, calendar_choices, calendar_syncs, external_refs};
use crate::domain::ids::{BookingId, OrgId};
use crate::domain::span::Span;

/// One calendar of a connected account and what its host chose for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarChoice {
    /// The provider's id of the calendar.
    pub calendar_id: String,
    pub name: String,
    pub primary: bool,
    /// Whether events can be written to it.
    pub writable: bool,
    pub time_zone: Option<String>,
    /// Its busy times remove the host's slots.
    pub checked: bool,
    /// New bookings' events go to it.
    pub destination: bool,
}

/// The calendars of `installation`, as last listed, primary first.
pub async fn choices(db: &impl ConnectionTrait, installation: i64) -> Result<Vec<CalendarChoice>> {
    let mut rows: Vec<CalendarChoice> = calendar_choices::Entity::find()
        .filter(calendar_choices::Column::InstallationId.eq(installation))
        .all(db)
        .await?
        .into_iter()
        .map(|m| CalendarChoice {
            calendar_id: m.calendar_id,
            name: m.name,
            primary: m.is_primary,
            writable: m.writable,
            time_zone: m.time_zone,
            checked: m.checked,
            destination: m.destination,
        })
        .collect();
    rows.sort_by(|a, b| (!a.primary, &a.name).cmp(&(!b.primary, &b.name)));
    Ok(rows)
}

/// Replaces the calendars of `installation` with `choices`.
pub async fn replace_choices(
    db: &impl ConnectionTrait,
    installation: i64,
    choices: &[CalendarChoice],
    now: DateTime<Utc>,
) -> Result<()> {
    calendar_choices::Entity::delete_many()
        .filter(calendar_choices::Column::InstallationId.eq(installation))
        .exec(db)
        .await?;
    if choices.is_empty() {
        return Ok(());
    }
    calendar_choices::Entity::insert_many(choices.iter().map(|c| calendar_choices::ActiveModel {
        installation_id: Set(installation),
        calendar_id: Set(c.calendar_id.clone()),
        name: Set(c.name.clone()),
        is_primary: Set(c.primary),
        writable: Set(c.writable),
        time_zone: Set(c.time_zone.clone()),
        checked: Set(c.checked),
        destination: Set(c.destination),
        updated_ms: Set(to_ms(now)),
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Busy times fetched from one installation's checked calendars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusyWindow {
    /// The range the busy times cover.
    pub covers: Span,
    pub busy: Vec<Span>,
    pub fetched_at: DateTime<Utc>,
    /// `false` once the provider said something changed (or the choices did): the
    /// times are then only a fallback while a fresh fetch fails.
    pub fresh: bool,
}

/// The busy times last fetched for `installation`.
pub async fn cached_busy(
    db: &impl ConnectionTrait,
    installation: i64,
) -> Result<Option<BusyWindow>> {
    let Some(row) = busy_cache::Entity::find_by_id(installation).one(db).await? else {
        return Ok(None);
    };
    let pairs: Vec<(i64, i64)> = from_json("busy times", &row.busy)?;
    Ok(Some(BusyWindow {
        covers: span(row.from_ms, row.to_ms)?,
        busy: pairs
            .into_iter()
            .map(|(start, end)| span(start, end))
            .collect::<Result<_>>()?,
        fetched_at: from_ms(row.fetched_ms)?,
        fresh: row.fresh,
    }))
}

/// Keeps freshly fetched busy times for `installation`.
pub async fn put_busy(
    db: &impl ConnectionTrait,
    installation: i64,
    window: &BusyWindow,
) -> Result<()> {
    let pairs: Vec<(i64, i64)> = window
        .busy
        .iter()
        .map(|s| (to_ms(s.start), to_ms(s.end)))
        .collect();
    let row = busy_cache::ActiveModel {
        installation_id: Set(installation),
        from_ms: Set(to_ms(window.covers.start)),
        to_ms: Set(to_ms(window.covers.end)),
        busy: Set(to_json(&pairs)),
        fetched_ms: Set(to_ms(window.fetched_at)),
        fresh: Set(window.fresh),
    };
    busy_cache::Entity::insert(row)
        .on_conflict(
            OnConflict::column(busy_cache::Column::InstallationId)
                .update_columns([
                    busy_cache::Column::FromMs,
                    busy_cache::Column::ToMs,
                    busy_cache::Column::Busy,
                    busy_cache::Column::FetchedMs,
                    busy_cache::Column::Fresh,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Marks `installation`'s busy times as out of date, keeping them as a fallback.
pub async fn mark_busy_stale(db: &impl ConnectionTrait, installation: i64) -> Result<()> {
    busy_cache::Entity::update_many()
        .col_expr(busy_cache::Column::Fresh, Expr::value(false))
        .filter(busy_cache::Column::InstallationId.eq(installation))
        .exec(db)
        .await?;
    Ok(())
}

/// Asks for `booking`'s event in `installation` to be brought in line with the booking.
/// Asking again while a sync waits or runs bumps its generation, so the sync running
/// now does not count as the last word.
pub async fn enqueue_sync(
    db: &impl ConnectionTrait,
    org: OrgId,
    installation: i64,
    booking: BookingId,
    now: DateTime<Utc>,
) -> Result<()> {
    let row = calendar_syncs::ActiveModel {
        id: NotSet,
        org_id: Set(org.0),
        installation_id: Set(installation),
        booking_id: Set(booking.0),
        generation: Set(0),
        attempts: Set(0),
        due_ms: Set(to_ms(now)),
        lease_ms: Set(None),
        last_error: Set(None),
        dead: Set(false),
        created_ms: Set(to_ms(now)),
        updated_ms: Set(to_ms(now)),
    };
    calendar_syncs::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                calendar_syncs::Column::InstallationId,
                calendar_syncs::Column::BookingId,
            ])
            .value(
                calendar_syncs::Column::Generation,
                Expr::col((calendar_syncs::Entity, calendar_syncs::Column::Generation)).add(1),
            )
            .value(calendar_syncs::Column::Attempts, 0)
            .value(calendar_syncs::Column::DueMs, to_ms(now))
            .value(calendar_syncs::Column::Dead, false)
            .value(calendar_syncs::Column::LastError, Option::<String>::None)
            .value(calendar_syncs::Column::UpdatedMs, to_ms(now))
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A booking's calendar event waiting to be brought in line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSync {
    pub id: i64,
    pub org_id: OrgId,
    pub installation_id: i64,
    pub booking_id: BookingId,
    /// Bumped by every new request; finishing an older one leaves the row to run again.
    pub generation: i32,
    /// Attempts that failed so far.
    pub attempts: u32,
    /// Given up on after too many failures; an operator can see why.
    pub dead: bool,
    pub last_error: Option<String>,
}

fn to_pending(m: calendar_syncs::Model) -> PendingSync {
    PendingSync {
        id: m.id,
        org_id: OrgId(m.org_id),
        installation_id: m.installation_id,
        booking_id: BookingId(m.booking_id),
        generation: m.generation,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        dead: m.dead,
        last_error: m.last_error,
    }
}

/// Leases up to `limit` due syncs until `until`; call it inside a write transaction.
pub async fn lease_due_syncs(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    super::lease::take(
        db,
        calendar_syncs::Entity::find()
            .filter(calendar_syncs::Column::Dead.eq(false))
            .filter(calendar_syncs::Column::DueMs.lte(to_ms(now))),
        calendar_syncs::Column::Id,
        calendar_syncs::Column::LeaseMs,
        (to_ms(now), to_ms(until)),
        limit,
    )
    .await
}

/// One sync by id.
pub async fn sync(db: &impl ConnectionTrait, id: i64) -> Result<Option<PendingSync>> {
    Ok(calendar_syncs::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(to_pending))
}

/// The syncs of `installation`'s bookings, waiting or given up on.
pub async fn syncs_of(db: &impl ConnectionTrait, installation: i64) -> Result<Vec<PendingSync>> {
    Ok(calendar_syncs::Entity::find()
        .filter(calendar_syncs::Column::InstallationId.eq(installation))
        .all(db)
        .await?
        .into_iter()
        .map(to_pending)
        .collect())
}

/// A sync done: gone, unless it was asked for again meanwhile, when it is due again.
pub async fn finish_sync(db: &impl ConnectionTrait, done: &PendingSync) -> Result<()> {
    let removed = calendar_syncs::Entity::delete_many()
        .filter(calendar_syncs::Column::Id.eq(done.id))
        .filter(calendar_syncs::Column::Generation.eq(done.generation))
        .exec(db)
        .await?;
    if removed.rows_affected == 0 {
        release(db, done.id).await?;
    }
    Ok(())
}

async fn release(db: &impl ConnectionTrait, id: i64) -> Result<()> {
    calendar_syncs::Entity::update_many()
        .col_expr(
            calendar_syncs::Column::LeaseMs,
            Expr::value(Option::<i64>::None),
        )
        .filter(calendar_syncs::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A failed attempt: tried again at `retry_at`, or given up on when `None`.
pub async fn fail_sync(
    db: &impl ConnectionTrait,
    failed: &PendingSync,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    calendar_syncs::Entity::update_many()
        .col_expr(
            calendar_syncs::Column::Attempts,
            Expr::value(i32::try_from(failed.attempts + 1).unwrap_or(i32::MAX)),
        )
        .col_expr(calendar_syncs::Column::LastError, Expr::value(error))
        .col_expr(
            calendar_syncs::Column::Dead,
            Expr::value(retry_at.is_none()),
        )
        .col_expr(
            calendar_syncs::Column::DueMs,
            Expr::value(to_ms(retry_at.unwrap_or(now))),
        )
        .col_expr(
            calendar_syncs::Column::LeaseMs,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(calendar_syncs::Column::UpdatedMs, Expr::value(to_ms(now)))
        .filter(calendar_syncs::Column::Id.eq(failed.id))
        .filter(calendar_syncs::Column::Generation.eq(failed.generation))
        .exec(db)
        .await?;
    release(db, failed.id).await
}

/// The event `installation` made for `booking`, and the calendar it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    pub external_id: String,
    pub calendar_id: Option<String>,
    /// A join link or the event's page.
    pub url: Option<String>,
}

/// `booking`'s event in `installation`, if one was made.
pub async fn event_of(
    db: &impl ConnectionTrait,
    installation: i64,
    booking: BookingId,
) -> Result<Option<CalendarEvent>> {
    Ok(external_refs::Entity::find()
        .filter(external_refs::Column::InstallationId.eq(installation))
        .filter(external_refs::Column::BookingId.eq(booking.0))
        .one(db)
        .await?
        .map(|m| CalendarEvent {
            external_id: m.external_id,
            calendar_id: m.calendar_id,
            url: m.url,
        }))
}

/// Records that `booking`'s event in `installation` is `event` (re-pointing the link
/// when the event was another booking's, as after a reschedule).
pub async fn keep_event(
    db: &impl ConnectionTrait,
    org: OrgId,
    installation: i64,
    booking: BookingId,
    event: &CalendarEvent,
    now: DateTime<Utc>,
) -> Result<()> {
    super::inbound::link(
        db,
        org,
        installation,
        &event.external_id,
        booking,
        None,
        now,
    )
    .await?;
    external_refs::Entity::update_many()
        .col_expr(
            external_refs::Column::CalendarId,
            Expr::value(event.calendar_id.clone()),
        )
        .col_expr(external_refs::Column::Url, Expr::value(event.url.clone()))
        .filter(external_refs::Column::InstallationId.eq(installation))
        .filter(external_refs::Column::ExternalId.eq(&event.external_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets `booking`'s event in `installation` once it is deleted at the provider.
pub async fn forget_event(
    db: &impl ConnectionTrait,
    installation: i64,
    booking: BookingId,
) -> Result<()> {
    external_refs::Entity::delete_many()
        .filter(external_refs::Column::InstallationId.eq(installation))
        .filter(external_refs::Column::BookingId.eq(booking.0))
        .exec(db)
        .await?;
    Ok(())
}
