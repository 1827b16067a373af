//! Schedules. Weekly rules and overrides are kept as JSON text: a schedule is always
//! read and written whole.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc, Weekday};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};

use super::Result;
use super::codec::{from_json, to_json, to_ms, tz};
use super::entities::schedules;
use super::keyset::{self, Keyset};
use crate::domain::ids::{OrgId, ScheduleId, UserId};
use crate::domain::saved_schedule::SavedSchedule;
use crate::domain::schedule::{DateOverride, LocalRange, Schedule, WeeklyRule};

#[derive(Serialize, Deserialize)]
struct StoredRange {
    start: u16,
    end: u16,
}

#[derive(Serialize, Deserialize)]
struct StoredRule {
    day: Weekday,
    #[serde(flatten)]
    range: StoredRange,
}

#[derive(Serialize, Deserialize)]
struct StoredOverride {
    date: NaiveDate,
    ranges: Vec<StoredRange>,
}

fn stored_range(r: &LocalRange) -> StoredRange {
    StoredRange {
        start: r.start_min,
        end: r.end_min,
    }
}

fn local_range(r: StoredRange) -> Result<LocalRange> {
    LocalRange::new(r.start, r.end).map_err(|e| super::StoreError::Corrupt {
        what: "schedule range",
        detail: e.to_string(),
    })
}

fn encode(rules: &Schedule) -> (String, String) {
    let weekly: Vec<StoredRule> = rules
        .weekly
        .iter()
        .map(|r| StoredRule {
            day: r.weekday,
            range: stored_range(&r.range),
        })
        .collect();
    let overrides: Vec<StoredOverride> = rules
        .overrides
        .iter()
        .map(|o| StoredOverride {
            date: o.date,
            ranges: o.ranges.iter().map(stored_range).collect(),
        })
        .collect();
    (to_json(&weekly), to_json(&overrides))
}

fn to_saved(m: schedules::Model) -> Result<SavedSchedule> {
    let weekly: Vec<StoredRule> = from_json("schedule availability", &m.availability)?;
    let overrides: Vec<StoredOverride> = from_json("schedule overrides", &m.overrides)?;
    Ok(SavedSchedule {
        id: ScheduleId(m.id),
        org_id: OrgId(m.org_id),
        user_id: UserId(m.user_id),
        name: m.name,
        rules: Schedule {
            tz: tz(&m.time_zone)?,
            weekly: weekly
                .into_iter()
                .map(|r| {
                    Ok(WeeklyRule {
                        weekday: r.day,
                        range: local_range(r.range)?,
                    })
                })
                .collect::<Result<_>>()?,
            overrides: overrides
                .into_iter()
                .map(|o| {
                    Ok(DateOverride {
                        date: o.date,
                        ranges: o
                            .ranges
                            .into_iter()
                            .map(local_range)
                            .collect::<Result<_>>()?,
                    })
                })
                .collect::<Result<_>>()?,
        },
    })
}

/// Saves a new schedule for `user`.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: OrgId,
    user: UserId,
    name: &str,
    rules: &Schedule,
) -> Result<SavedSchedule> {
    let (availability, overrides) = encode(rules);
    let now = to_ms(Utc::now());
    let model = schedules::ActiveModel {
        org_id: Set(org.0),
        user_id: Set(user.0),
        name: Set(name.to_string()),
        time_zone: Set(rules.tz.name().to_string()),
        availability: Set(availability),
        overrides: Set(overrides),
        created_ms: Set(now),
        updated_ms: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    to_saved(model)
}

/// The schedule `id` in `org`.
pub async fn find(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: ScheduleId,
) -> Result<Option<SavedSchedule>> {
    schedules::Entity::find_by_id(id.0)
        .filter(schedules::Column::OrgId.eq(org.0))
        .one(db)
        .await?
        .map(to_saved)
        .transpose()
}

/// The schedules `ids` of `org` that exist, by id: every host of a team in one query.
pub async fn find_many(
    db: &impl ConnectionTrait,
    org: OrgId,
    ids: &[ScheduleId],
) -> Result<HashMap<ScheduleId, SavedSchedule>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    schedules::Entity::find()
        .filter(schedules::Column::OrgId.eq(org.0))
        .filter(schedules::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| to_saved(m).map(|s| (s.id, s)))
        .collect()
}

/// One page of the schedules of `user`, oldest first, with one row past the limit.
pub async fn list_for_user(
    db: &impl ConnectionTrait,
    org: OrgId,
    user: UserId,
    page: Keyset<i64>,
) -> Result<Vec<SavedSchedule>> {
    let query = schedules::Entity::find()
        .filter(schedules::Column::OrgId.eq(org.0))
        .filter(schedules::Column::UserId.eq(user.0));
    keyset::oldest_first(query, schedules::Column::Id, page)
        .all(db)
        .await?
        .into_iter()
        .map(to_saved)
        .collect()
}

/// Replaces a schedule's name and rules.
pub async fn update(db: &impl ConnectionTrait, saved: &SavedSchedule) -> Result<()> {
    let (availability, overrides) = encode(&saved.rules);
    schedules::ActiveModel {
        id: Set(saved.id.0),
        name: Set(saved.name.clone()),
        time_zone: Set(saved.rules.tz.name().to_string()),
        availability: Set(availability),
        overrides: Set(overrides),
        updated_ms: Set(to_ms(Utc::now())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Deletes the schedule `id` in `org`; `false` when there was none.
pub async fn delete(db: &impl ConnectionTrait, org: OrgId, id: ScheduleId) -> Result<bool> {
    let Some(model) = schedules::Entity::find_by_id(id.0)
        .filter(schedules::Column::OrgId.eq(org.0))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    model.into_active_model().delete(db).await?;
    Ok(true)
}
