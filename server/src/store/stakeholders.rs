//! Stakeholders: the people at each customer.

use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::codec::{from_ms, to_ms, word};
use super::entities::stakeholders;
use super::{Result, duplicate_or_db};
use crate::domain::crm::linking::KnownStakeholder;
use crate::domain::customer::{Stakeholder, StakeholderRole};
use crate::domain::ids::{CustomerId, OrgId, StakeholderId};

fn to_stakeholder(m: stakeholders::Model) -> Result<Stakeholder> {
    Ok(Stakeholder {
        id: StakeholderId(m.id),
        org_id: OrgId(m.org_id),
        customer_id: CustomerId(m.customer_id),
        role: word("stakeholder role", &m.role, StakeholderRole::parse)?,
        created_at: from_ms(m.created_ms)?,
        updated_at: from_ms(m.updated_ms)?,
        name: m.name,
        email: m.email,
        title: m.title,
    })
}

fn to_active(s: &Stakeholder) -> stakeholders::ActiveModel {
    stakeholders::ActiveModel {
        id: NotSet,
        org_id: Set(s.org_id.0),
        customer_id: Set(s.customer_id.0),
        name: Set(s.name.clone()),
        email: Set(s.email.clone()),
        title: Set(s.title.clone()),
        role: Set(s.role.as_str().to_string()),
        created_ms: Set(to_ms(s.created_at)),
        updated_ms: Set(to_ms(s.updated_at)),
    }
}

/// Saves a new stakeholder (its `id` is ignored); `Duplicate` when the email is taken.
pub async fn insert(db: &impl ConnectionTrait, s: &Stakeholder) -> Result<Stakeholder> {
    to_stakeholder(to_active(s).insert(db).await.map_err(duplicate_or_db)?)
}

/// Saves a new stakeholder unless its email is on file already (then nothing happens,
/// even when another transaction just added it); whether it was added.
pub async fn insert_if_new(db: &impl ConnectionTrait, s: &Stakeholder) -> Result<bool> {
    let added = stakeholders::Entity::insert(to_active(s))
        .on_conflict(
            OnConflict::columns([stakeholders::Column::OrgId, stakeholders::Column::Email])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(added == 1)
}

/// Replaces every field of a stakeholder; `Duplicate` when the new email is taken.
pub async fn update(db: &impl ConnectionTrait, s: &Stakeholder) -> Result<Stakeholder> {
    let mut active = to_active(s);
    active.id = Set(s.id.0);
    to_stakeholder(active.update(db).await.map_err(duplicate_or_db)?)
}

/// The stakeholder `id` in `org`.
pub async fn find(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: StakeholderId,
) -> Result<Option<Stakeholder>> {
    stakeholders::Entity::find_by_id(id.0)
        .filter(stakeholders::Column::OrgId.eq(org.0))
        .one(db)
        .await?
        .map(to_stakeholder)
        .transpose()
}

/// Every stakeholder of `org`'s `customers` (of all its customers for `None`), oldest
/// first, in one query: a page of customers, or every name a chat command may mean.
pub async fn many(
    db: &impl ConnectionTrait,
    org: OrgId,
    customers: Option<&[CustomerId]>,
) -> Result<Vec<Stakeholder>> {
    let mut query = stakeholders::Entity::find().filter(stakeholders::Column::OrgId.eq(org.0));
    if let Some(ids) = customers {
        query = query.filter(stakeholders::Column::CustomerId.is_in(ids.iter().map(|c| c.0)));
    }
    query
        .order_by_asc(stakeholders::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_stakeholder)
        .collect()
}

/// How many stakeholders each of `org`'s `customers` (all for `None`) has; customers
/// without any are absent.
pub async fn counts(
    db: &impl ConnectionTrait,
    org: OrgId,
    customers: Option<&[CustomerId]>,
) -> Result<HashMap<CustomerId, usize>> {
    let mut query = stakeholders::Entity::find()
        .select_only()
        .column(stakeholders::Column::CustomerId)
        .column_as(stakeholders::Column::Id.count(), "n")
        .filter(stakeholders::Column::OrgId.eq(org.0))
        .group_by(stakeholders::Column::CustomerId);
    if let Some(ids) = customers {
        query = query.filter(stakeholders::Column::CustomerId.is_in(ids.iter().map(|c| c.0)));
    }
    let rows: Vec<(i64, i64)> = query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (CustomerId(id), usize::try_from(n).unwrap_or(0)))
        .collect())
}

/// Deletes the stakeholder `id` in `org`; their meeting links stay with the customer.
pub async fn delete(db: &impl ConnectionTrait, org: OrgId, id: StakeholderId) -> Result<bool> {
    let deleted = stakeholders::Entity::delete_many()
        .filter(stakeholders::Column::Id.eq(id.0))
        .filter(stakeholders::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// The stakeholders of `org` with any of `emails` (lower case): the candidates for
/// linking attendees by address.
pub async fn with_emails(
    db: &impl ConnectionTrait,
    org: OrgId,
    emails: &[String],
) -> Result<Vec<KnownStakeholder>> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    Ok(stakeholders::Entity::find()
        .filter(stakeholders::Column::OrgId.eq(org.0))
        .filter(stakeholders::Column::Email.is_in(emails.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| KnownStakeholder {
            id: StakeholderId(m.id),
            customer_id: CustomerId(m.customer_id),
            email: m.email,
        })
        .collect())
}
