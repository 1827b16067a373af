//! The outbox: every mutation writes its event here in the same transaction as its
//! rows, so an event exists exactly when the change does. A dispatcher job delivers them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::Result;
use super::codec::{from_json, from_ms, mentions, to_json, to_ms};
use super::entities::outbox_events;
use crate::domain::ids::OrgId;

/// An event waiting to be delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Row id, increasing in commit order within a writer.
    pub id: i64,
    /// The tenant.
    pub org_id: OrgId,
    /// The trigger name, e.g. `BOOKING_CREATED`.
    pub kind: String,
    /// The event body.
    pub payload: serde_json::Value,
    /// When the change happened (committed with it).
    pub created_at: DateTime<Utc>,
}

/// Records an event for `org`.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: OrgId,
    kind: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    outbox_events::ActiveModel {
        org_id: Set(org.0),
        kind: Set(kind.to_string()),
        payload: Set(to_json(payload)),
        created_ms: Set(to_ms(now)),
        dispatched_ms: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Events of `org` not yet dispatched, oldest first.
pub async fn pending(db: &impl ConnectionTrait, org: OrgId) -> Result<Vec<OutboxEvent>> {
    outbox_events::Entity::find()
        .filter(outbox_events::Column::OrgId.eq(org.0))
        .filter(outbox_events::Column::DispatchedMs.is_null())
        .order_by_asc(outbox_events::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_event)
        .collect()
}

fn to_event(m: outbox_events::Model) -> Result<OutboxEvent> {
    Ok(OutboxEvent {
        id: m.id,
        org_id: OrgId(m.org_id),
        payload: from_json("outbox payload", &m.payload)?,
        created_at: from_ms(m.created_ms)?,
        kind: m.kind,
    })
}

/// Takes up to `limit` undispatched events, oldest first. On PostgreSQL the rows stay
/// locked until the transaction ends and concurrent dispatchers skip them; SQLite's
/// single writer gives the same.
pub async fn claim_undispatched(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<OutboxEvent>> {
    let mut query = outbox_events::Entity::find()
        .filter(outbox_events::Column::DispatchedMs.is_null())
        .order_by_asc(outbox_events::Column::Id)
        .limit(limit);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    query.all(db).await?.into_iter().map(to_event).collect()
}

/// Marks events as dispatched (their deliveries exist).
pub async fn mark_dispatched(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    outbox_events::Entity::update_many()
        .col_expr(outbox_events::Column::DispatchedMs, Expr::value(to_ms(now)))
        .filter(outbox_events::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(())
}

/// When the oldest event still waiting for dispatch was written, if any.
pub async fn oldest_undispatched(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>> {
    let oldest: Option<i64> = outbox_events::Entity::find()
        .select_only()
        .column(outbox_events::Column::CreatedMs)
        .filter(outbox_events::Column::DispatchedMs.is_null())
        .order_by_asc(outbox_events::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    oldest.map(from_ms).transpose()
}

/// How many events still wait for dispatch.
pub async fn undispatched(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(outbox_events::Entity::find()
        .filter(outbox_events::Column::DispatchedMs.is_null())
        .count(db)
        .await?)
}

/// The payloads (JSON text) of `org`'s events that mention `text` in any case, by id:
/// stored copies of personal data an erasure must rewrite.
pub async fn payloads_mentioning(
    db: &impl ConnectionTrait,
    org: OrgId,
    text: &str,
) -> Result<Vec<(i64, String)>> {
    Ok(outbox_events::Entity::find()
        .select_only()
        .columns([outbox_events::Column::Id, outbox_events::Column::Payload])
        .filter(outbox_events::Column::OrgId.eq(org.0))
        .filter(mentions(outbox_events::Column::Payload, text))
        .order_by_asc(outbox_events::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// Replaces the payload (JSON text) of event `id` of `org`.
pub async fn set_payload(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: i64,
    payload: &str,
) -> Result<()> {
    outbox_events::Entity::update_many()
        .col_expr(outbox_events::Column::Payload, Expr::value(payload))
        .filter(outbox_events::Column::Id.eq(id))
        .filter(outbox_events::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}
