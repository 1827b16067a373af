//! Hosts' own booking limits, one row per user; a user without one has none.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::OnConflict};

use super::Result;
use super::codec::to_ms;
use super::entities::host_limits;
use super::event_types::{decode_limits, encode_limits};
use crate::domain::host_limits::HostLimits;
use crate::domain::ids::{OrgId, UserId};

fn to_limits(m: &host_limits::Model) -> Result<HostLimits> {
    Ok(HostLimits {
        count: decode_limits("host count limits", &m.count_limits)?,
        duration: decode_limits("host duration limits", &m.duration_limits)?,
    })
}

/// The limits of each of `users` that has any.
pub async fn of_many(
    db: &impl ConnectionTrait,
    users: &[UserId],
) -> Result<HashMap<UserId, HostLimits>> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    host_limits::Entity::find()
        .filter(host_limits::Column::UserId.is_in(users.iter().map(|u| u.0)))
        .all(db)
        .await?
        .iter()
        .map(|m| Ok((UserId(m.user_id), to_limits(m)?)))
        .collect()
}

/// The limits of `user` (none set: [`HostLimits::default`]).
pub async fn of(db: &impl ConnectionTrait, user: UserId) -> Result<HostLimits> {
    Ok(of_many(db, &[user])
        .await?
        .remove(&user)
        .unwrap_or_default())
}

/// Sets `user`'s limits, replacing any.
pub async fn put(
    db: &impl ConnectionTrait,
    org: OrgId,
    user: UserId,
    limits: &HostLimits,
) -> Result<()> {
    host_limits::Entity::insert(host_limits::ActiveModel {
        org_id: Set(org.0),
        user_id: Set(user.0),
        count_limits: Set(encode_limits(&limits.count)),
        duration_limits: Set(encode_limits(&limits.duration)),
        updated_ms: Set(to_ms(Utc::now())),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(host_limits::Column::UserId)
            .update_columns([
                host_limits::Column::CountLimits,
                host_limits::Column::DurationLimits,
                host_limits::Column::UpdatedMs,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}
