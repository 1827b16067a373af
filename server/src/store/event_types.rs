//! Event types. Window, limits, locations and questions are JSON text: always read
//! with the event type, never queried on their own.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use super::codec::{from_json, from_ms, to_json, to_ms, tz};
use super::entities::event_types;
use super::keyset::{self, Keyset};
use super::{Result, StoreError, duplicate_or_db};
use crate::domain::event_type::EventType;
use crate::domain::ids::{EventTypeId, OrgId, ScheduleId, TeamId, UserId};
use crate::domain::recurrence::Recurrence;
use crate::domain::rules::{BookingWindow, PeriodLimits};
use crate::domain::seats::Seats;

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
enum StoredWindow {
    CalendarDays { days: u32 },
    BusinessDays { days: u32 },
    Range { start: NaiveDate, end: NaiveDate },
}

#[derive(Serialize, Deserialize)]
struct StoredLimits {
    day: Option<u32>,
    week: Option<u32>,
    month: Option<u32>,
    year: Option<u32>,
}

fn encode_window(window: BookingWindow) -> Option<String> {
    let stored = match window {
        BookingWindow::Unlimited => return None,
        BookingWindow::CalendarDays(days) => StoredWindow::CalendarDays { days },
        BookingWindow::BusinessDays(days) => StoredWindow::BusinessDays { days },
        BookingWindow::DateRange { start, end } => StoredWindow::Range { start, end },
    };
    Some(to_json(&stored))
}

fn decode_window(text: Option<&str>) -> Result<BookingWindow> {
    let Some(text) = text else {
        return Ok(BookingWindow::Unlimited);
    };
    Ok(match from_json("booking window", text)? {
        StoredWindow::CalendarDays { days } => BookingWindow::CalendarDays(days),
        StoredWindow::BusinessDays { days } => BookingWindow::BusinessDays(days),
        StoredWindow::Range { start, end } => BookingWindow::DateRange { start, end },
    })
}

pub(super) fn encode_limits(l: &PeriodLimits) -> String {
    to_json(&StoredLimits {
        day: l.day,
        week: l.week,
        month: l.month,
        year: l.year,
    })
}

pub(super) fn decode_limits(what: &'static str, text: &str) -> Result<PeriodLimits> {
    let l: StoredLimits = from_json(what, text)?;
    Ok(PeriodLimits {
        day: l.day,
        week: l.week,
        month: l.month,
        year: l.year,
    })
}

/// A recurrence rule as stored: `{"frequency": "weekly", "interval": 1, "occurrences": 12}`.
#[derive(Serialize, Deserialize)]
struct StoredRecurrence {
    frequency: String,
    interval: u32,
    occurrences: u32,
}

fn encode_recurrence(rule: Option<Recurrence>) -> Option<String> {
    rule.map(|r| {
        to_json(&StoredRecurrence {
            frequency: r.frequency.as_str().to_string(),
            interval: r.interval,
            occurrences: r.max_occurrences,
        })
    })
}

fn decode_recurrence(text: Option<&str>) -> Result<Option<Recurrence>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let r: StoredRecurrence = from_json("recurrence", text)?;
    Recurrence::new(
        "recurrence",
        &r.frequency,
        i64::from(r.interval),
        i64::from(r.occurrences),
    )
    .map(Some)
    .map_err(|_| StoreError::Corrupt {
        what: "recurrence",
        detail: text.to_string(),
    })
}

fn minutes(what: &'static str, value: i32) -> Result<u32> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt {
        what,
        detail: value.to_string(),
    })
}

fn stored_minutes(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn to_event_type(m: event_types::Model) -> Result<EventType> {
    Ok(EventType {
        id: EventTypeId(m.id),
        org_id: OrgId(m.org_id),
        owner: UserId(m.owner_user_id),
        team_id: m.team_id.map(TeamId),
        length_min: minutes("length", m.length_min)?,
        length_options: from_json("length options", &m.length_options)?,
        slot_interval_min: m
            .slot_interval_min
            .map(|v| minutes("slot interval", v))
            .transpose()?,
        recurrence: decode_recurrence(m.recurrence.as_deref())?,
        confirmation_threshold_min: m
            .confirmation_threshold_min
            .map(|v| minutes("confirmation threshold", v))
            .transpose()?,
        locked_time_zone: m.locked_time_zone.as_deref().map(tz).transpose()?,
        min_notice_min: minutes("minimum notice", m.min_notice_min)?,
        buffer_before_min: minutes("buffer", m.buffer_before_min)?,
        buffer_after_min: minutes("buffer", m.buffer_after_min)?,
        window: decode_window(m.booking_window.as_deref())?,
        count_limits: decode_limits("booking limits", &m.count_limits)?,
        duration_limits: decode_limits("duration limits", &m.duration_limits)?,
        requires_confirmation: m.requires_confirmation,
        seats: m
            .seats_per_time_slot
            .map(|n| {
                Seats::new(i64::from(n), m.seats_show_attendees).map_err(|e| StoreError::Corrupt {
                    what: "seats per time slot",
                    detail: e,
                })
            })
            .transpose()?,
        locations: from_json("locations", &m.locations)?,
        booking_fields: from_json("booking fields", &m.booking_fields)?,
        schedule_id: m.schedule_id.map(ScheduleId),
        created_at: from_ms(m.created_ms)?,
        updated_at: from_ms(m.updated_ms)?,
        slug: m.slug,
        title: m.title,
        description: m.description,
    })
}

fn to_active(e: &EventType) -> event_types::ActiveModel {
    event_types::ActiveModel {
        id: NotSet,
        org_id: Set(e.org_id.0),
        owner_user_id: Set(e.owner.0),
        slug: Set(e.slug.clone()),
        title: Set(e.title.clone()),
        description: Set(e.description.clone()),
        length_min: Set(stored_minutes(e.length_min)),
        length_options: Set(to_json(&e.length_options)),
        slot_interval_min: Set(e.slot_interval_min.map(stored_minutes)),
        min_notice_min: Set(stored_minutes(e.min_notice_min)),
        buffer_before_min: Set(stored_minutes(e.buffer_before_min)),
        buffer_after_min: Set(stored_minutes(e.buffer_after_min)),
        booking_window: Set(encode_window(e.window)),
        count_limits: Set(encode_limits(&e.count_limits)),
        duration_limits: Set(encode_limits(&e.duration_limits)),
        requires_confirmation: Set(e.requires_confirmation),
        seats_per_time_slot: Set(e
            .seats
            .map(|s| i32::try_from(s.per_time_slot).unwrap_or(i32::MAX))),
        seats_show_attendees: Set(e.seats.is_some_and(|s| s.show_attendees)),
        recurrence: Set(encode_recurrence(e.recurrence)),
        confirmation_threshold_min: Set(e.confirmation_threshold_min.map(stored_minutes)),
        locked_time_zone: Set(e.locked_time_zone.map(|z| z.name().to_string())),
        locations: Set(to_json(&e.locations)),
        booking_fields: Set(to_json(&e.booking_fields)),
        schedule_id: Set(e.schedule_id.map(|s| s.0)),
        created_ms: Set(to_ms(e.created_at)),
        updated_ms: Set(to_ms(e.updated_at)),
        deleted_ms: NotSet,
        team_id: Set(e.team_id.map(|t| t.0)),
        scheduling_type: NotSet,
        assign_all_team_members: NotSet,
    }
}

/// Saves a new event type (its `id` is ignored) and returns it with its id.
/// A team event type gets its scheduling type and hosts from `teams::save_setup`.
pub async fn insert(db: &impl ConnectionTrait, event_type: &EventType) -> Result<EventType> {
    let mut active = to_active(event_type);
    active.scheduling_type = Set(None);
    active.assign_all_team_members = Set(false);
    to_event_type(active.insert(db).await.map_err(duplicate_or_db)?)
}

/// Replaces every field of an existing event type.
pub async fn update(db: &impl ConnectionTrait, event_type: &EventType) -> Result<EventType> {
    let mut active = to_active(event_type);
    active.id = Set(event_type.id.0);
    active.updated_ms = Set(to_ms(Utc::now()));
    to_event_type(active.update(db).await.map_err(duplicate_or_db)?)
}

/// The event type `id` in `org`.
pub async fn find(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: EventTypeId,
) -> Result<Option<EventType>> {
    live()
        .filter(event_types::Column::Id.eq(id.0))
        .filter(event_types::Column::OrgId.eq(org.0))
        .one(db)
        .await?
        .map(to_event_type)
        .transpose()
}

/// The event type `id` in any organization: public slot and booking routes
/// learn the tenant from the event type itself.
pub async fn find_public(db: &impl ConnectionTrait, id: EventTypeId) -> Result<Option<EventType>> {
    live()
        .filter(event_types::Column::Id.eq(id.0))
        .one(db)
        .await?
        .map(to_event_type)
        .transpose()
}

/// The personal event type `slug` of host `owner`.
pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    owner: UserId,
    slug: &str,
) -> Result<Option<EventType>> {
    live()
        .filter(event_types::Column::OwnerUserId.eq(owner.0))
        .filter(event_types::Column::TeamId.is_null())
        .filter(event_types::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(to_event_type)
        .transpose()
}

/// The event type `slug` of `team`.
pub async fn find_by_team_slug(
    db: &impl ConnectionTrait,
    team: TeamId,
    slug: &str,
) -> Result<Option<EventType>> {
    live()
        .filter(event_types::Column::TeamId.eq(team.0))
        .filter(event_types::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(to_event_type)
        .transpose()
}

/// One page of host `owner`'s personal event types, oldest first, with one row past the limit.
pub async fn list_for_owner(
    db: &impl ConnectionTrait,
    org: OrgId,
    owner: UserId,
    page: Keyset<i64>,
) -> Result<Vec<EventType>> {
    let query = live()
        .filter(event_types::Column::OrgId.eq(org.0))
        .filter(event_types::Column::OwnerUserId.eq(owner.0))
        .filter(event_types::Column::TeamId.is_null());
    keyset::oldest_first(query, event_types::Column::Id, page)
        .all(db)
        .await?
        .into_iter()
        .map(to_event_type)
        .collect()
}

/// Those of `ids` that are host `owner`'s personal event types, oldest first.
pub async fn personal_among(
    db: &impl ConnectionTrait,
    org: OrgId,
    owner: UserId,
    ids: &[EventTypeId],
) -> Result<Vec<EventType>> {
    live()
        .filter(event_types::Column::OrgId.eq(org.0))
        .filter(event_types::Column::OwnerUserId.eq(owner.0))
        .filter(event_types::Column::TeamId.is_null())
        .filter(event_types::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .order_by_asc(event_types::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_event_type)
        .collect()
}

/// Soft-deletes the event type `id` in `org`: its bookings keep pointing at it, it can
/// no longer be found or booked, and its slug is free for a new event type.
/// `false` when there was none.
pub async fn delete(db: &impl ConnectionTrait, org: OrgId, id: EventTypeId) -> Result<bool> {
    let result = event_types::Entity::update_many()
        .col_expr(
            event_types::Column::DeletedMs,
            Expr::value(to_ms(Utc::now())),
        )
        .filter(event_types::Column::Id.eq(id.0))
        .filter(event_types::Column::OrgId.eq(org.0))
        .filter(event_types::Column::DeletedMs.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Slugs of event types by id, deleted ones included: bookings name their event type
/// even after it is gone.
pub async fn slugs(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = EventTypeId>,
) -> Result<HashMap<EventTypeId, String>> {
    Ok(event_types::Entity::find()
        .filter(event_types::Column::Id.is_in(ids.into_iter().map(|id| id.0)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (EventTypeId(m.id), m.slug))
        .collect())
}

/// What reports name an event type by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypeLabel {
    /// Row id.
    pub id: EventTypeId,
    /// URL slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Its owner (for a team type, who created it).
    pub owner: UserId,
    /// The team whose type it is.
    pub team_id: Option<TeamId>,
    /// Whether it was deleted; its bookings still count.
    pub deleted: bool,
}

/// Every event type of `org`, deleted ones included, in the order they were made.
pub async fn labels(db: &impl ConnectionTrait, org: OrgId) -> Result<Vec<EventTypeLabel>> {
    Ok(event_types::Entity::find()
        .filter(event_types::Column::OrgId.eq(org.0))
        .order_by_asc(event_types::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| EventTypeLabel {
            id: EventTypeId(m.id),
            slug: m.slug,
            title: m.title,
            owner: UserId(m.owner_user_id),
            team_id: m.team_id.map(TeamId),
            deleted: m.deleted_ms.is_some(),
        })
        .collect())
}

fn live() -> sea_orm::Select<event_types::Entity> {
    event_types::Entity::find().filter(event_types::Column::DeletedMs.is_null())
}
