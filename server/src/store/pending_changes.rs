//! Provider changes waiting to be applied to their booking: coalesced (the booking took
//! its two changes this minute) or failed and due for a retry. One row per provider
//! object and aspect: a newer change replaces the one waiting. The rows are their own
//! queue, leased like inbound events.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, NotSet, QueryFilter, Set};

use super::Result;
use super::codec::{from_json, from_ms, to_json, to_ms};
use super::entities::pending_provider_changes as rows;
use crate::domain::ids::OrgId;
use crate::domain::sync_rules::Wanted;

/// A change waiting for its booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub id: i64,
    pub org_id: OrgId,
    pub installation_id: i64,
    pub external_id: String,
    pub wanted: Wanted,
    /// The provider's own time of the change, when it gave one.
    pub changed_at: Option<DateTime<Utc>>,
    /// When Convene first heard of it (the push, or the pull that read it).
    pub received_at: DateTime<Utc>,
    /// Failed attempts so far.
    pub attempts: u32,
    pub due_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

fn to_pending(m: rows::Model) -> Result<PendingChange> {
    Ok(PendingChange {
        id: m.id,
        org_id: OrgId(m.org_id),
        installation_id: m.installation_id,
        external_id: m.external_id,
        wanted: from_json("pending provider change", &m.wanted)?,
        changed_at: m.changed_ms.map(from_ms).transpose()?,
        received_at: from_ms(m.received_ms)?,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        due_at: from_ms(m.due_ms)?,
        last_error: m.last_error,
    })
}

/// Keeps `change` (its `id` ignored) due at `due_at`, replacing the change waiting for
/// the same provider object and aspect unless that one was heard of later: a retry of
/// an older change never overwrites a newer one held back meanwhile.
pub async fn keep(
    db: &impl ConnectionTrait,
    change: &PendingChange,
    now: DateTime<Utc>,
) -> Result<()> {
    let row = rows::ActiveModel {
        id: NotSet,
        org_id: Set(change.org_id.0),
        installation_id: Set(change.installation_id),
        external_id: Set(change.external_id.clone()),
        aspect: Set(change.wanted.aspect().as_str().into()),
        wanted: Set(to_json(&change.wanted)),
        changed_ms: Set(change.changed_at.map(to_ms)),
        received_ms: Set(to_ms(change.received_at)),
        attempts: Set(i32::try_from(change.attempts).unwrap_or(i32::MAX)),
        due_ms: Set(to_ms(change.due_at)),
        lease_until_ms: Set(None),
        last_error: Set(change.last_error.clone()),
        updated_ms: Set(to_ms(now)),
    };
    rows::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                rows::Column::InstallationId,
                rows::Column::ExternalId,
                rows::Column::Aspect,
            ])
            .update_columns([
                rows::Column::Wanted,
                rows::Column::ChangedMs,
                rows::Column::ReceivedMs,
                rows::Column::Attempts,
                rows::Column::DueMs,
                rows::Column::LeaseUntilMs,
                rows::Column::LastError,
                rows::Column::UpdatedMs,
            ])
            .action_and_where(
                Expr::col((rows::Entity, rows::Column::ReceivedMs))
                    .lte(Expr::cust("excluded.received_ms")),
            )
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Drops what waits for `change`'s object and aspect, heard of no later than `change`,
/// which settled it. A change heard of later and held back meanwhile stays.
pub async fn drop_superseded(db: &impl ConnectionTrait, change: &PendingChange) -> Result<()> {
    rows::Entity::delete_many()
        .filter(rows::Column::InstallationId.eq(change.installation_id))
        .filter(rows::Column::ExternalId.eq(change.external_id.as_str()))
        .filter(rows::Column::Aspect.eq(change.wanted.aspect().as_str()))
        .filter(rows::Column::ReceivedMs.lte(to_ms(change.received_at)))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes up to `limit` due changes and leases them until `lease_until`.
pub async fn lease_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    let due = rows::Entity::find().filter(rows::Column::DueMs.lte(to_ms(now)));
    super::lease::take(
        db,
        due,
        rows::Column::Id,
        rows::Column::LeaseUntilMs,
        (to_ms(now), to_ms(lease_until)),
        limit,
    )
    .await
}

/// Change `id`.
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<PendingChange>> {
    rows::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(to_pending)
        .transpose()
}

/// Every change waiting for `installation`'s objects, soonest due first.
pub async fn of_installation(
    db: &impl ConnectionTrait,
    installation: i64,
) -> Result<Vec<PendingChange>> {
    let mut found: Vec<PendingChange> = rows::Entity::find()
        .filter(rows::Column::InstallationId.eq(installation))
        .all(db)
        .await?
        .into_iter()
        .map(to_pending)
        .collect::<Result<_>>()?;
    found.sort_by_key(|p| (p.due_at, p.id));
    Ok(found)
}
