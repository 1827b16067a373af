//! Users (hosts).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func},
};

use super::Result;
use super::codec::{to_ms, tz, word};
use super::entities::users;
use crate::domain::ids::{OrgId, ScheduleId, UserId};
use crate::domain::user::{Role, User};

/// What it takes to add a user.
pub struct NewUser<'a> {
    /// Public handle.
    pub username: &'a str,
    /// Contact address.
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Home zone.
    pub time_zone: chrono_tz::Tz,
    /// What they may manage: an organization's first user is its `Owner`.
    pub org_role: Role,
}

fn to_user(m: users::Model) -> Result<User> {
    Ok(User {
        id: UserId(m.id),
        org_id: OrgId(m.org_id),
        time_zone: tz(&m.time_zone)?,
        username: m.username,
        email: m.email,
        name: m.name,
        default_schedule_id: m.default_schedule_id.map(ScheduleId),
        org_role: word("organization role", &m.org_role, Role::parse)?,
    })
}

/// The user `id` in organization `org`.
pub async fn find(db: &impl ConnectionTrait, org: OrgId, id: UserId) -> Result<Option<User>> {
    users::Entity::find_by_id(id.0)
        .filter(users::Column::OrgId.eq(org.0))
        .one(db)
        .await?
        .map(to_user)
        .transpose()
}

/// The user with public handle `username`, in any organization (public booking links).
pub async fn find_by_username(db: &impl ConnectionTrait, username: &str) -> Result<Option<User>> {
    users::Entity::find()
        .filter(users::Column::Username.eq(username))
        .one(db)
        .await?
        .map(to_user)
        .transpose()
}

/// The users `ids` of `org` that exist, in no particular order.
pub async fn in_org(db: &impl ConnectionTrait, org: OrgId, ids: &[UserId]) -> Result<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::Entity::find()
        .filter(users::Column::OrgId.eq(org.0))
        .filter(users::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?
        .into_iter()
        .map(to_user)
        .collect()
}

/// Whether some user, in any organization, already has `email` (any case).
pub async fn email_taken(db: &impl ConnectionTrait, email: &str) -> Result<bool> {
    Ok(users::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(users::Column::Email))).eq(email.to_lowercase()))
        .one(db)
        .await?
        .is_some())
}

/// The organization's owners and admins, oldest first: who hears about problems
/// nobody else owns.
pub async fn org_admins(db: &impl ConnectionTrait, org: OrgId) -> Result<Vec<UserId>> {
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::OrgId.eq(org.0))
        .filter(users::Column::OrgRole.is_in([Role::Owner.as_str(), Role::Admin.as_str()]))
        .order_by_asc(users::Column::Id)
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .map(UserId)
        .collect())
}

/// Adds a user to `org`.
pub async fn insert(db: &impl ConnectionTrait, org: OrgId, new: NewUser<'_>) -> Result<User> {
    let model = users::ActiveModel {
        org_id: Set(org.0),
        username: Set(new.username.to_string()),
        email: Set(new.email.to_string()),
        name: Set(new.name.to_string()),
        time_zone: Set(new.time_zone.name().to_string()),
        default_schedule_id: Set(None),
        org_role: Set(new.org_role.as_str().to_string()),
        created_ms: Set(to_ms(Utc::now())),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(super::duplicate_or_db)?;
    to_user(model)
}

/// Makes `schedule` the user's default (`None` clears it).
pub async fn set_default_schedule(
    db: &impl ConnectionTrait,
    org: OrgId,
    user: UserId,
    schedule: Option<ScheduleId>,
) -> Result<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::DefaultScheduleId,
            Expr::value(schedule.map(|s| s.0)),
        )
        .filter(users::Column::Id.eq(user.0))
        .filter(users::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}
