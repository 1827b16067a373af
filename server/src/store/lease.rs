//! Leasing rows that are their own queue (inbound events, installations due a pull):
//! the due rows not leased to a live process are taken for this one until a moment,
//! skipping rows another process is taking at the same time (PostgreSQL's
//! `FOR UPDATE SKIP LOCKED`; SQLite has one writer). A process that dies only loses its
//! lease.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::Result;

/// The ids among `due` whose `lease` column is empty or past `now_ms`, oldest id first,
/// at most `limit`, now leased until `until_ms`. Call it inside a write transaction.
pub async fn take<E>(
    db: &impl ConnectionTrait,
    due: Select<E>,
    id: E::Column,
    lease: E::Column,
    (now_ms, until_ms): (i64, i64),
    limit: u64,
) -> Result<Vec<i64>>
where
    E: EntityTrait,
{
    let mut query = due
        .select_only()
        .column(id)
        .filter(Condition::any().add(lease.is_null()).add(lease.lt(now_ms)))
        .order_by_asc(id)
        .limit(limit);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let taken: Vec<i64> = query.into_tuple().all(db).await?;
    if !taken.is_empty() {
        E::update_many()
            .col_expr(lease, Expr::value(until_ms))
            .filter(id.is_in(taken.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(taken)
}
