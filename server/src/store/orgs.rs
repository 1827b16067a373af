//! Organizations.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Result;
use super::codec::{from_json, to_json, to_ms};
use super::entities::organizations;
use crate::domain::crm::health::Weights;
use crate::domain::crm::recommendation::Thresholds;
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
        auto_stakeholders: Set(false),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(OrgId(model.id))
}

/// The setting `org` stored as JSON in `column`, or `T`'s default when it chose none.
async fn json_setting<T: DeserializeOwned + Default>(
    db: &impl ConnectionTrait,
    org: OrgId,
    what: &'static str,
    column: fn(organizations::Model) -> Option<String>,
) -> Result<T> {
    let stored = organizations::Entity::find_by_id(org.0)
        .one(db)
        .await?
        .and_then(column);
    match stored {
        Some(json) => from_json(what, &json),
        None => Ok(T::default()),
    }
}

/// Saves `value` as `org`'s JSON setting in `column`.
async fn set_json_setting<T: Serialize>(
    db: &impl ConnectionTrait,
    org: OrgId,
    column: organizations::Column,
    value: &T,
) -> Result<()> {
    organizations::Entity::update_many()
        .col_expr(column, sea_orm::sea_query::Expr::value(to_json(value)))
        .filter(organizations::Column::Id.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// The health-score weights `org` chose, or the defaults when it chose none.
pub async fn health_weights(db: &impl ConnectionTrait, org: OrgId) -> Result<Weights> {
    json_setting(db, org, "health weights", |m| m.health_weights).await
}

/// Saves `org`'s health-score weights.
pub async fn set_health_weights(
    db: &impl ConnectionTrait,
    org: OrgId,
    weights: &Weights,
) -> Result<()> {
    set_json_setting(db, org, organizations::Column::HealthWeights, weights).await
}

/// The meeting-recommendation thresholds `org` chose, or the defaults.
pub async fn recommendation_thresholds(
    db: &impl ConnectionTrait,
    org: OrgId,
) -> Result<Thresholds> {
    json_setting(db, org, "recommendation thresholds", |m| {
        m.recommendation_thresholds
    })
    .await
}

/// Saves `org`'s meeting-recommendation thresholds.
pub async fn set_recommendation_thresholds(
    db: &impl ConnectionTrait,
    org: OrgId,
    thresholds: &Thresholds,
) -> Result<()> {
    let column = organizations::Column::RecommendationThresholds;
    set_json_setting(db, org, column, thresholds).await
}

/// Whether `org` adds a stakeholder for each new attendee at a customer's domain.
pub async fn auto_stakeholders(db: &impl ConnectionTrait, org: OrgId) -> Result<bool> {
    Ok(organizations::Entity::find_by_id(org.0)
        .one(db)
        .await?
        .is_some_and(|m| m.auto_stakeholders))
}

/// Sets whether `org` adds stakeholders for new attendees at its customers' domains.
pub async fn set_auto_stakeholders(db: &impl ConnectionTrait, org: OrgId, on: bool) -> Result<()> {
    organizations::Entity::update_many()
        .col_expr(
            organizations::Column::AutoStakeholders,
            sea_orm::sea_query::Expr::value(on),
        )
        .filter(organizations::Column::Id.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}
