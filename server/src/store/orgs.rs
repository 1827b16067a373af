//! Organizations.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::Result;
use super::codec::to_ms;
use super::entities::organizations;
use crate::domain::ids::OrgId;

/// The organization with `slug`, if any.
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<OrgId>> {
    Ok(organizations::Entity::find()
        .filter(organizations::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(|m| OrgId(m.id)))
}

/// Creates an organization.
pub async fn insert(db: &impl ConnectionTrait, name: &str, slug: &str) -> Result<OrgId> {
    let model = organizations::ActiveModel {
        name: Set(name.to_string()),
        slug: Set(slug.to_string()),
        created_ms: Set(to_ms(Utc::now())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(OrgId(model.id))
}
