//! Idempotency keys: the first request with a key is recorded with its response, and a
//! repeat within 24 hours gets that response back instead of running again.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, SqlErr, sea_query::Expr,
};

use super::Result;
use super::codec::{mentions, to_ms};
use super::entities::idempotency_keys;
use crate::domain::ids::OrgId;

/// How long a key is remembered.
pub const RETENTION: Duration = Duration::hours(24);

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First use: run the request, then [`complete`] or [`release`].
    New,
    /// Done before with the same request: answer this.
    Replay {
        /// The original HTTP status.
        status: u16,
        /// The original body.
        body: String,
    },
    /// The same key is being processed right now.
    InFlight,
    /// The key was used before for a different request.
    Mismatch,
}

/// Claims `key` in `scope` (the caller's organization or the public scope) for a
/// request whose method, path and body hash to `request_hash`.
pub async fn claim(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Claim> {
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::Key.eq(key))
        .filter(idempotency_keys::Column::CreatedMs.lt(to_ms(now - RETENTION)))
        .exec(db)
        .await?;
    let inserted = idempotency_keys::ActiveModel {
        scope: Set(scope.to_string()),
        key: Set(key.to_string()),
        request_hash: Set(request_hash.to_string()),
        status_code: Set(None),
        response_body: Set(None),
        created_ms: Set(to_ms(now)),
        org_id: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(Claim::New),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            let Some(row) = find(db, scope, key).await? else {
                // Released between our insert and our read: the caller may retry.
                return Ok(Claim::InFlight);
            };
            Ok(
                match (
                    row.request_hash == request_hash,
                    row.status_code,
                    row.response_body,
                ) {
                    (false, _, _) => Claim::Mismatch,
                    (true, Some(status), Some(body)) => Claim::Replay {
                        status: u16::try_from(status).unwrap_or(500),
                        body,
                    },
                    (true, _, _) => Claim::InFlight,
                },
            )
        }
        Err(err) => Err(err.into()),
    }
}

async fn find(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
) -> Result<Option<idempotency_keys::Model>> {
    Ok(idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::Key.eq(key))
        .one(db)
        .await?)
}

/// Records the response of a claimed key, answered for the caller's `org` (`None` for
/// an anonymous caller), so an erasure can find the responses of its organization.
pub async fn complete(
    db: &impl ConnectionTrait,
    scope: &str,
    key: &str,
    org: Option<OrgId>,
    status: u16,
    body: &str,
) -> Result<()> {
    idempotency_keys::Entity::update_many()
        .col_expr(
            idempotency_keys::Column::StatusCode,
            Expr::value(i32::from(status)),
        )
        .col_expr(idempotency_keys::Column::ResponseBody, Expr::value(body))
        .col_expr(
            idempotency_keys::Column::OrgId,
            Expr::value(org.map(|o| o.0)),
        )
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets a claimed key whose request failed on our side, so that a retry runs again.
pub async fn release(db: &impl ConnectionTrait, scope: &str, key: &str) -> Result<()> {
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::Scope.eq(scope))
        .filter(idempotency_keys::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// A stored response that mentions something an erasure looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// Row id.
    pub id: i64,
    /// The organization it was answered for; `None` for an anonymous caller.
    pub org_id: Option<OrgId>,
    /// The response body.
    pub body: String,
}

/// The stored responses answered for `org`, or for anonymous callers, that mention
/// `text` in any case. Anonymous ones may belong to any organization: the caller
/// decides from their content.
pub async fn responses_mentioning(
    db: &impl ConnectionTrait,
    org: OrgId,
    text: &str,
) -> Result<Vec<StoredResponse>> {
    Ok(idempotency_keys::Entity::find()
        .filter(
            Condition::any()
                .add(idempotency_keys::Column::OrgId.eq(org.0))
                .add(idempotency_keys::Column::OrgId.is_null()),
        )
        .filter(mentions(idempotency_keys::Column::ResponseBody, text))
        .order_by_asc(idempotency_keys::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|m| {
            Some(StoredResponse {
                id: m.id,
                org_id: m.org_id.map(OrgId),
                body: m.response_body?,
            })
        })
        .collect())
}

/// Replaces the stored response `id`; a repeat of its request gets the new body.
pub async fn set_response(db: &impl ConnectionTrait, id: i64, body: &str) -> Result<()> {
    idempotency_keys::Entity::update_many()
        .col_expr(idempotency_keys::Column::ResponseBody, Expr::value(body))
        .filter(idempotency_keys::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
