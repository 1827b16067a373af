//! Teams and their members. An organization's owners and admins create teams; a
//! team's owners and admins (or the organization's) manage it.

use serde::Deserialize;

use super::auth::Caller;
use super::input::Issues;
use super::{App, AppError, Result};
use crate::domain::ids::{TeamId, UserId};
use crate::domain::team::{Membership, Team};
use crate::domain::user::Role;
use crate::domain::validate::{self, FieldIssue};
use crate::store::{self, StoreError};

/// A team to create (`POST /v2/teams`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamInput {
    /// Display name.
    pub name: Option<String>,
    /// URL slug, unique across Convene.
    pub slug: Option<String>,
    /// Whether changes made in members' connected calendars reach the team's bookings
    /// (default `true`).
    pub calendar_sync_enabled: Option<bool>,
}

/// Changes to a team (`PATCH /v2/teams/{teamId}`); what is absent stays.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamUpdate {
    /// See [`TeamInput::calendar_sync_enabled`].
    pub calendar_sync_enabled: Option<bool>,
}

/// A member to add or change (`POST /v2/teams/{teamId}/memberships`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipInput {
    /// A user of the team's organization.
    pub user_id: Option<i64>,
    /// `MEMBER` (default), `ADMIN` or `OWNER`.
    pub role: Option<String>,
}

/// Creates a team in the caller's organization (its owners and admins only); the
/// caller becomes its owner.
pub async fn create(app: &App, caller: Caller, input: TeamInput) -> Result<Team> {
    super::users::require_org_admin(app, caller).await?;
    let mut issues = Issues::default();
    let name = input.name.unwrap_or_default().trim().to_string();
    issues.require(!name.is_empty(), "name", "is required");
    let slug = input.slug.unwrap_or_default();
    match validate::slug(&slug) {
        Ok(()) => {}
        Err(_) if slug.is_empty() => issues.require(false, "slug", "is required"),
        Err(message) => issues.0.push(FieldIssue::new("slug", message)),
    }
    issues.finish()?;
    let txn = store::db::begin_write(&app.db).await?;
    let sync = input.calendar_sync_enabled.unwrap_or(true);
    let team = store::teams::insert(&txn, caller.org_id, &name, &slug, sync)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate => AppError::invalid("slug", format!("`{slug}` is taken")),
            other => other.into(),
        })?;
    store::teams::put_member(&txn, &team, caller.user_id, Role::Owner).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(team.id = team.id.0, team.slug = %team.slug, "team created");
    Ok(team)
}

/// Changes team `id` (its owners and admins, or the organization's). Switching
/// calendar sync off leaves the team's bookings alone from then on: changes read from
/// calendars before the switch but applied after it are skipped too.
pub async fn update(app: &App, caller: Caller, id: TeamId, input: TeamUpdate) -> Result<Team> {
    let mut team = managed(app, caller, id).await?;
    if let Some(enabled) = input.calendar_sync_enabled {
        store::teams::set_calendar_sync(&app.db, caller.org_id, id, enabled).await?;
        team.calendar_sync_enabled = enabled;
        tracing::info!(team.id = id.0, enabled, "team calendar sync switched");
    }
    Ok(team)
}

/// The team `id` of the caller's organization, if the caller may manage it: a team
/// owner or admin, or an owner or admin of the organization. FORBIDDEN otherwise.
pub async fn managed(app: &App, caller: Caller, id: TeamId) -> Result<Team> {
    let team = store::teams::find(&app.db, caller.org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("team {id} does not exist")))?;
    let members = store::teams::members(&app.db, id).await?;
    let team_role = members
        .iter()
        .find(|m| m.user_id == caller.user_id)
        .map(|m| m.role);
    if team_role.is_some_and(Role::manages) {
        return Ok(team);
    }
    super::users::require_org_admin(app, caller)
        .await
        .map_err(|_| {
            AppError::Forbidden(format!(
                "only owners and admins of team `{}` may manage it",
                team.slug
            ))
        })?;
    Ok(team)
}

/// Adds a user of the organization to team `id`, or changes their role.
pub async fn put_member(
    app: &App,
    caller: Caller,
    id: TeamId,
    input: MembershipInput,
) -> Result<Membership> {
    let team = managed(app, caller, id).await?;
    let mut issues = Issues::default();
    let user = match input.user_id {
        Some(user) => {
            let found = store::users::find(&app.db, caller.org_id, UserId(user)).await?;
            issues.require(
                found.is_some(),
                "userId",
                format!("user {user} does not exist"),
            );
            Some(UserId(user))
        }
        None => {
            issues.require(false, "userId", "is required");
            None
        }
    };
    let role = match input.role.as_deref() {
        Some(text) => issues.take(Role::parse(text).ok_or_else(|| {
            FieldIssue::new(
                "role",
                format!("`{text}` is not one of MEMBER, ADMIN, OWNER"),
            )
        })),
        None => Some(Role::Member),
    };
    issues.finish()?;
    let (Some(user), Some(role)) = (user, role) else {
        return Err(AppError::invalid("userId", "is required"));
    };
    let membership = store::teams::put_member(&app.db, &team, user, role).await?;
    tracing::info!(
        team.id = team.id.0,
        user.id = user.0,
        role = role.as_str(),
        "team membership set"
    );
    Ok(membership)
}

/// The members of team `id` (anyone of the organization may look).
pub async fn members(app: &App, caller: Caller, id: TeamId) -> Result<(Team, Vec<Membership>)> {
    let team = store::teams::find(&app.db, caller.org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("team {id} does not exist")))?;
    let members = store::teams::members(&app.db, id).await?;
    Ok((team, members))
}

/// Removes `user` from team `id` (the team's owners and admins, or the
/// organization's). They stop hosting the team's event types at once: their host
/// rows go in the same transaction, and types that take every member no longer count
/// them. Bookings they already hold stay theirs. The team's last owner stays.
pub async fn remove_member(app: &App, caller: Caller, id: TeamId, user: UserId) -> Result<()> {
    let team = managed(app, caller, id).await?;
    let members = store::teams::members(&app.db, id).await?;
    let Some(member) = members.iter().find(|m| m.user_id == user) else {
        return Err(AppError::NotFound(format!(
            "user {user} is not a member of team `{}`",
            team.slug
        )));
    };
    let owners = members.iter().filter(|m| m.role == Role::Owner).count();
    if member.role == Role::Owner && owners == 1 {
        return Err(AppError::Conflict(format!(
            "user {user} is the last owner of team `{}`: make someone else owner first",
            team.slug
        )));
    }
    let txn = store::db::begin_write(&app.db).await?;
    let hosting = store::teams::remove_member(&txn, &team, user).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(
        team.id = team.id.0,
        user.id = user.0,
        hosting_removed = hosting,
        "team member removed"
    );
    Ok(())
}
