//! Round robin's absence credits (`domain::round_robin::absence_credits`): per event
//! type and host, in millionths of a booking, only ever added to.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::Result;
use super::entities::round_robin_credits::{ActiveModel, Column, Entity};
use crate::domain::ids::{EventTypeId, OrgId, UserId};

/// The credits of `hosts` on `event_type`; a host never credited is left out.
pub async fn of_hosts(
    db: &impl ConnectionTrait,
    event_type: EventTypeId,
    hosts: &[UserId],
) -> Result<HashMap<UserId, u64>> {
    if hosts.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, i64)> = Entity::find()
        .select_only()
        .column(Column::UserId)
        .column(Column::Credit)
        .filter(Column::EventTypeId.eq(event_type.0))
        .filter(Column::UserId.is_in(hosts.iter().map(|h| h.0)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(user, credit)| (UserId(user), u64::try_from(credit).unwrap_or(0)))
        .collect())
}

/// Adds each `(host, credit)` to what the host has on `event_type` of `org`.
pub async fn add(
    db: &impl ConnectionTrait,
    org: OrgId,
    event_type: EventTypeId,
    credits: &[(UserId, u64)],
) -> Result<()> {
    if credits.is_empty() {
        return Ok(());
    }
    let rows = credits.iter().map(|(user, credit)| ActiveModel {
        org_id: Set(org.0),
        event_type_id: Set(event_type.0),
        user_id: Set(user.0),
        credit: Set(i64::try_from(*credit).unwrap_or(i64::MAX)),
        ..Default::default()
    });
    Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([Column::EventTypeId, Column::UserId])
                .value(
                    Column::Credit,
                    Expr::col((Entity, Column::Credit)).add(Expr::cust("excluded.credit")),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
