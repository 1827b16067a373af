//! Users (hosts).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};

use super::Result;
use super::codec::{to_ms, tz};
use super::entities::users;
use crate::domain::ids::{OrgId, ScheduleId, UserId};
use crate::domain::user::User;

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

/// The organization's first user (its founder): who hears about problems nobody else
/// owns, until organizations have admin roles.
pub async fn first_of_org(db: &impl ConnectionTrait, org: OrgId) -> Result<Option<UserId>> {
    Ok(users::Entity::find()
        .filter(users::Column::OrgId.eq(org.0))
        .order_by_asc(users::Column::Id)
        .one(db)
        .await?
        .map(|m| UserId(m.id)))
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
        created_ms: Set(to_ms(Utc::now())),
        ..Default::default()
    }
    .insert(db)
    .await?;
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
