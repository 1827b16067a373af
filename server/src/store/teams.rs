//! Teams, memberships, and the team side of event types: scheduling type and hosts.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, OnConflict, Query},
};

use super::codec::{to_ms, word};
use super::entities::{event_type_hosts, event_types, team_memberships, teams};
use super::{Result, duplicate_or_db};
use crate::domain::ids::{EventTypeId, OrgId, TeamId, UserId};
use crate::domain::team::{Host, Membership, Priority, SchedulingType, Team};
use crate::domain::user::Role;

fn to_team(m: teams::Model) -> Team {
    Team {
        id: TeamId(m.id),
        org_id: OrgId(m.org_id),
        name: m.name,
        slug: m.slug,
        calendar_sync_enabled: m.calendar_sync_enabled,
    }
}

/// Creates a team; [`super::StoreError::Duplicate`] when the slug is taken.
pub async fn insert(
    db: &impl ConnectionTrait,
    org: OrgId,
    name: &str,
    slug: &str,
    calendar_sync_enabled: bool,
) -> Result<Team> {
    let model = teams::ActiveModel {
        org_id: Set(org.0),
        name: Set(name.to_string()),
        slug: Set(slug.to_string()),
        calendar_sync_enabled: Set(calendar_sync_enabled),
        created_ms: Set(to_ms(Utc::now())),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(duplicate_or_db)?;
    Ok(to_team(model))
}

/// The team `id` of `org`.
pub async fn find(db: &impl ConnectionTrait, org: OrgId, id: TeamId) -> Result<Option<Team>> {
    Ok(teams::Entity::find_by_id(id.0)
        .filter(teams::Column::OrgId.eq(org.0))
        .one(db)
        .await?
        .map(to_team))
}

/// Turns inbound calendar sync on or off for team `id` of `org`.
pub async fn set_calendar_sync(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: TeamId,
    enabled: bool,
) -> Result<()> {
    teams::Entity::update_many()
        .col_expr(teams::Column::CalendarSyncEnabled, Expr::value(enabled))
        .filter(teams::Column::Id.eq(id.0))
        .filter(teams::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}

/// The team with `slug`, in any organization (public booking links).
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<Team>> {
    Ok(teams::Entity::find()
        .filter(teams::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(to_team))
}

/// Adds `user` to `team` with `role`, or changes their role if they are a member.
pub async fn put_member(
    db: &impl ConnectionTrait,
    team: &Team,
    user: UserId,
    role: Role,
) -> Result<Membership> {
    team_memberships::Entity::insert(team_memberships::ActiveModel {
        org_id: Set(team.org_id.0),
        team_id: Set(team.id.0),
        user_id: Set(user.0),
        role: Set(role.as_str().to_string()),
        created_ms: Set(to_ms(Utc::now())),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            team_memberships::Column::TeamId,
            team_memberships::Column::UserId,
        ])
        .update_column(team_memberships::Column::Role)
        .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(Membership {
        team_id: team.id,
        user_id: user,
        role,
    })
}

/// Removes `user` from `team` and from the hosts of the team's event types; answers
/// how many event types they stopped hosting.
pub async fn remove_member(db: &impl ConnectionTrait, team: &Team, user: UserId) -> Result<u64> {
    team_memberships::Entity::delete_many()
        .filter(team_memberships::Column::TeamId.eq(team.id.0))
        .filter(team_memberships::Column::UserId.eq(user.0))
        .exec(db)
        .await?;
    let team_types = Query::select()
        .column(event_types::Column::Id)
        .from(event_types::Entity)
        .and_where(event_types::Column::TeamId.eq(team.id.0))
        .to_owned();
    let hosting = event_type_hosts::Entity::delete_many()
        .filter(event_type_hosts::Column::UserId.eq(user.0))
        .filter(event_type_hosts::Column::EventTypeId.in_subquery(team_types))
        .exec(db)
        .await?;
    Ok(hosting.rows_affected)
}

/// The owners and admins of team `team`: who is told when something of the team's
/// needs a person.
pub async fn managers(db: &impl ConnectionTrait, team: TeamId) -> Result<Vec<UserId>> {
    Ok(members(db, team)
        .await?
        .into_iter()
        .filter(|m| m.role.manages())
        .map(|m| m.user_id)
        .collect())
}

/// The members of `team`, in the order they joined.
pub async fn members(db: &impl ConnectionTrait, team: TeamId) -> Result<Vec<Membership>> {
    team_memberships::Entity::find()
        .filter(team_memberships::Column::TeamId.eq(team.0))
        .order_by_asc(team_memberships::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            Ok(Membership {
                team_id: TeamId(m.team_id),
                user_id: UserId(m.user_id),
                role: word("team role", &m.role, Role::parse)?,
            })
        })
        .collect()
}

/// How a team event type schedules and whom it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSetup {
    /// Collective or round robin.
    pub scheduling_type: SchedulingType,
    /// Every team member is a host (with the settings `hosts` gives some of them).
    pub assign_all_members: bool,
    /// The hosts named explicitly.
    pub hosts: Vec<Host>,
}

/// Saves the team side of event type `id` of `org`, replacing its hosts.
pub async fn save_setup(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: EventTypeId,
    setup: &TeamSetup,
) -> Result<()> {
    event_types::Entity::update_many()
        .col_expr(
            event_types::Column::SchedulingType,
            Expr::value(setup.scheduling_type.as_str()),
        )
        .col_expr(
            event_types::Column::AssignAllTeamMembers,
            Expr::value(setup.assign_all_members),
        )
        .filter(event_types::Column::Id.eq(id.0))
        .filter(event_types::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    event_type_hosts::Entity::delete_many()
        .filter(event_type_hosts::Column::EventTypeId.eq(id.0))
        .exec(db)
        .await?;
    if !setup.hosts.is_empty() {
        event_type_hosts::Entity::insert_many(setup.hosts.iter().map(|h| {
            event_type_hosts::ActiveModel {
                org_id: Set(org.0),
                event_type_id: Set(id.0),
                user_id: Set(h.user_id.0),
                mandatory: Set(h.mandatory),
                priority: Set(h.priority.as_str().to_string()),
                weight: Set(i32::try_from(h.weight).unwrap_or(i32::MAX)),
                ..Default::default()
            }
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

/// The team side of event type `id`, `None` for a personal event type.
pub async fn setup(db: &impl ConnectionTrait, id: EventTypeId) -> Result<Option<TeamSetup>> {
    let Some(row) = event_types::Entity::find_by_id(id.0).one(db).await? else {
        return Ok(None);
    };
    let (Some(_), Some(kind)) = (row.team_id, row.scheduling_type) else {
        return Ok(None);
    };
    let hosts = event_type_hosts::Entity::find()
        .filter(event_type_hosts::Column::EventTypeId.eq(id.0))
        .order_by_asc(event_type_hosts::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|h| {
            Ok(Host {
                user_id: UserId(h.user_id),
                mandatory: h.mandatory,
                priority: word("host priority", &h.priority, Priority::parse)?,
                weight: u32::try_from(h.weight).unwrap_or(1).max(1),
            })
        })
        .collect::<Result<Vec<Host>>>()?;
    Ok(Some(TeamSetup {
        scheduling_type: word("scheduling type", &kind, SchedulingType::parse)?,
        assign_all_members: row.assign_all_team_members,
        hosts,
    }))
}
