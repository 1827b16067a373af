//! Stakeholders: the people at each customer.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    Set,
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

/// Every stakeholder of `customer`, oldest first.
pub async fn list_for_customer(
    db: &impl ConnectionTrait,
    org: OrgId,
    customer: CustomerId,
) -> Result<Vec<Stakeholder>> {
    stakeholders::Entity::find()
        .filter(stakeholders::Column::OrgId.eq(org.0))
        .filter(stakeholders::Column::CustomerId.eq(customer.0))
        .order_by_asc(stakeholders::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_stakeholder)
        .collect()
}

/// Every stakeholder of `org`, oldest first: what a name typed in a chat command is
/// matched against.
pub async fn all(db: &impl ConnectionTrait, org: OrgId) -> Result<Vec<Stakeholder>> {
    stakeholders::Entity::find()
        .filter(stakeholders::Column::OrgId.eq(org.0))
        .order_by_asc(stakeholders::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_stakeholder)
        .collect()
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
