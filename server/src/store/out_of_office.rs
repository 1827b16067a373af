//! Out-of-office entries, read by user and time for every slot query and booking.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::Result;
use super::codec::{from_ms, span, to_ms, word};
use super::entities::out_of_office;
use super::keyset::{Keyset, newest_first};
use crate::domain::ids::{OrgId, OutOfOfficeId, UserId};
use crate::domain::out_of_office::{OutOfOffice, Reason};
use crate::domain::span::Span;

fn to_entry(m: out_of_office::Model) -> Result<OutOfOffice> {
    Ok(OutOfOffice {
        id: OutOfOfficeId(m.id),
        org_id: OrgId(m.org_id),
        user_id: UserId(m.user_id),
        span: span(m.start_ms, m.end_ms)?,
        reason: word("out-of-office reason", &m.reason, Reason::parse)?,
        notes: m.notes,
        redirect_to: m.to_user_id.map(UserId),
        created_at: from_ms(m.created_ms)?,
    })
}

fn to_active(e: &OutOfOffice) -> out_of_office::ActiveModel {
    out_of_office::ActiveModel {
        org_id: Set(e.org_id.0),
        user_id: Set(e.user_id.0),
        start_ms: Set(to_ms(e.span.start)),
        end_ms: Set(to_ms(e.span.end)),
        reason: Set(e.reason.as_str().to_string()),
        notes: Set(e.notes.clone()),
        to_user_id: Set(e.redirect_to.map(|u| u.0)),
        created_ms: Set(to_ms(e.created_at)),
        ..Default::default()
    }
}

/// Saves a new entry (its `id` is ignored).
pub async fn insert(db: &impl ConnectionTrait, entry: &OutOfOffice) -> Result<OutOfOffice> {
    to_entry(to_active(entry).insert(db).await?)
}

/// Writes `entry` over the stored one.
pub async fn update(db: &impl ConnectionTrait, entry: &OutOfOffice) -> Result<()> {
    let mut active = to_active(entry);
    active.id = Set(entry.id.0);
    active.update(db).await?;
    Ok(())
}

/// Entry `id` of `user` in `org`.
pub async fn find(
    db: &impl ConnectionTrait,
    org: OrgId,
    user: UserId,
    id: OutOfOfficeId,
) -> Result<Option<OutOfOffice>> {
    out_of_office::Entity::find_by_id(id.0)
        .filter(out_of_office::Column::OrgId.eq(org.0))
        .filter(out_of_office::Column::UserId.eq(user.0))
        .one(db)
        .await?
        .map(to_entry)
        .transpose()
}

/// A page of `user`'s entries, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    org: OrgId,
    user: UserId,
    keyset: Keyset<i64>,
) -> Result<Vec<OutOfOffice>> {
    let query = out_of_office::Entity::find()
        .filter(out_of_office::Column::OrgId.eq(org.0))
        .filter(out_of_office::Column::UserId.eq(user.0));
    newest_first(query, out_of_office::Column::Id, keyset)
        .all(db)
        .await?
        .into_iter()
        .map(to_entry)
        .collect()
}

/// Deletes entry `id` of `user`; whether it existed.
pub async fn delete(
    db: &impl ConnectionTrait,
    org: OrgId,
    user: UserId,
    id: OutOfOfficeId,
) -> Result<bool> {
    let deleted = out_of_office::Entity::delete_many()
        .filter(out_of_office::Column::Id.eq(id.0))
        .filter(out_of_office::Column::OrgId.eq(org.0))
        .filter(out_of_office::Column::UserId.eq(user.0))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The entries of `users` that overlap `range`, by user then start: one query for a
/// whole team's slots.
pub async fn overlapping(
    db: &impl ConnectionTrait,
    users: &[UserId],
    range: Span,
) -> Result<Vec<OutOfOffice>> {
    out_of_office::Entity::find()
        .filter(out_of_office::Column::UserId.is_in(users.iter().map(|u| u.0)))
        .filter(out_of_office::Column::EndMs.gt(to_ms(range.start)))
        .filter(out_of_office::Column::StartMs.lt(to_ms(range.end)))
        .order_by_asc(out_of_office::Column::UserId)
        .order_by_asc(out_of_office::Column::StartMs)
        .all(db)
        .await?
        .into_iter()
        .map(to_entry)
        .collect()
}
