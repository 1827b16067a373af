//! Notices from Convene to a user, newest first.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait,
    QueryFilter, Set,
};

use super::Result;
use super::codec::{from_ms, to_ms};
use super::entities::notifications;
use super::keyset::{Keyset, newest_first};
use crate::domain::ids::{OrgId, UserId};

/// One notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Row id.
    pub id: i64,
    /// The tenant.
    pub org_id: OrgId,
    /// Who it is for.
    pub user_id: UserId,
    /// What happened, as a stable machine-readable name (`WEBHOOK_DISABLED`).
    pub kind: String,
    /// What it is about, as `type:id` (`webhook:12`), so a client can link to it.
    pub subject: String,
    /// The sentence shown to the user.
    pub message: String,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
    /// When the user marked it read.
    pub read_at: Option<DateTime<Utc>>,
}

impl Notification {
    /// A new, unread notice to `user` of `org`, raised `now` (its id is given on insert).
    pub fn new(
        org: OrgId,
        user: UserId,
        kind: &str,
        subject: String,
        message: String,
        now: DateTime<Utc>,
    ) -> Notification {
        Notification {
            id: 0,
            org_id: org,
            user_id: user,
            kind: kind.to_string(),
            subject,
            message,
            created_at: now,
            read_at: None,
        }
    }
}

fn to_notification(m: notifications::Model) -> Result<Notification> {
    Ok(Notification {
        id: m.id,
        org_id: OrgId(m.org_id),
        user_id: UserId(m.user_id),
        created_at: from_ms(m.created_ms)?,
        read_at: m.read_ms.map(from_ms).transpose()?,
        kind: m.kind,
        subject: m.subject,
        message: m.message,
    })
}

/// Saves a new notice (its `id` and `read_at` are ignored).
pub async fn insert(db: &impl ConnectionTrait, n: &Notification) -> Result<Notification> {
    let row = notifications::ActiveModel {
        id: NotSet,
        org_id: Set(n.org_id.0),
        user_id: Set(n.user_id.0),
        kind: Set(n.kind.clone()),
        subject: Set(n.subject.clone()),
        message: Set(n.message.clone()),
        created_ms: Set(to_ms(n.created_at)),
        read_ms: Set(None),
        emailed_ms: Set(None),
        mail_lease_ms: Set(None),
    };
    to_notification(row.insert(db).await?)
}

/// A page of `user`'s notices, newest first.
pub async fn list_for_user(
    db: &impl ConnectionTrait,
    org: OrgId,
    user: UserId,
    keyset: Keyset<i64>,
) -> Result<Vec<Notification>> {
    let query = notifications::Entity::find()
        .filter(notifications::Column::OrgId.eq(org.0))
        .filter(notifications::Column::UserId.eq(user.0));
    newest_first(query, notifications::Column::Id, keyset)
        .all(db)
        .await?
        .into_iter()
        .map(to_notification)
        .collect()
}

/// Marks `user`'s notice `id` read at `now` (keeping an earlier time); the notice, or
/// `None` when the user has no such notice.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    org: OrgId,
    user: UserId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Notification>> {
    let Some(row) = notifications::Entity::find_by_id(id)
        .filter(notifications::Column::OrgId.eq(org.0))
        .filter(notifications::Column::UserId.eq(user.0))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.read_ms.is_some() {
        return to_notification(row).map(Some);
    }
    let mut active: notifications::ActiveModel = row.into();
    active.read_ms = Set(Some(to_ms(now)));
    to_notification(active.update(db).await?).map(Some)
}

/// How many of `user`'s notices are unread.
pub async fn unread_count(db: &impl ConnectionTrait, org: OrgId, user: UserId) -> Result<u64> {
    Ok(notifications::Entity::find()
        .filter(notifications::Column::OrgId.eq(org.0))
        .filter(notifications::Column::UserId.eq(user.0))
        .filter(notifications::Column::ReadMs.is_null())
        .count(db)
        .await?)
}

/// Whether `user` was already told `kind` about `subject` (for notices given once).
pub async fn exists(
    db: &impl ConnectionTrait,
    user: UserId,
    kind: &str,
    subject: &str,
) -> Result<bool> {
    Ok(notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user.0))
        .filter(notifications::Column::Kind.eq(kind))
        .filter(notifications::Column::Subject.eq(subject))
        .count(db)
        .await?
        > 0)
}

/// Leases up to `limit` notices not yet mailed until `until`.
pub async fn lease_unmailed(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    super::lease::take(
        db,
        notifications::Entity::find().filter(notifications::Column::EmailedMs.is_null()),
        notifications::Column::Id,
        notifications::Column::MailLeaseMs,
        (to_ms(now), to_ms(until)),
        limit,
    )
    .await
}

/// Notice `id`, if it still waits to be mailed.
pub async fn unmailed(db: &impl ConnectionTrait, id: i64) -> Result<Option<Notification>> {
    notifications::Entity::find_by_id(id)
        .filter(notifications::Column::EmailedMs.is_null())
        .one(db)
        .await?
        .map(to_notification)
        .transpose()
}

/// Records that notice `id` was mailed.
pub async fn mark_emailed(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<()> {
    notifications::Entity::update_many()
        .col_expr(notifications::Column::EmailedMs, Expr::value(to_ms(now)))
        .col_expr(notifications::Column::MailLeaseMs, Expr::value(None::<i64>))
        .filter(notifications::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
