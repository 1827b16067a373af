//! `me`: who the API key belongs to (REST `GET /v2/me`).

use async_graphql::{Context, ID, Object, SimpleObject};

use super::error::GqlResult;
use super::{app, caller, to_id};
use crate::app::users;
use crate::domain::user::User as DomainUser;

/// A host: a user inside an organization.
#[derive(Debug, Clone, SimpleObject)]
pub struct User {
    /// The user's id.
    pub id: ID,
    /// Unique handle, as in booking links `/{username}/{eventTypeSlug}`.
    pub username: String,
    /// Email address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// IANA zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// The organization the user belongs to.
    pub organization_id: ID,
    /// The schedule event types without their own schedule use.
    pub default_schedule_id: Option<ID>,
}

impl From<DomainUser> for User {
    fn from(u: DomainUser) -> User {
        User {
            id: to_id(u.id.0),
            username: u.username,
            email: u.email,
            name: u.name,
            time_zone: u.time_zone.name().to_string(),
            organization_id: to_id(u.org_id.0),
            default_schedule_id: u.default_schedule_id.map(|s| to_id(s.0)),
        }
    }
}

/// Queries about the caller.
#[derive(Default)]
pub struct MeQuery;

#[Object]
impl MeQuery {
    /// The user the API key belongs to. Needs a key.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<User> {
        let app = app(ctx)?;
        Ok(users::me(app, caller(ctx)?).await?.into())
    }
}
