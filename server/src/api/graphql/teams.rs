//! Teams (REST `/v2/teams`): create a team, add members, create team event types,
//! see who of a team is free when, and hand a round-robin booking to the next host.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::Utc;

use super::bookings::Booking;
use super::error::GqlResult;
use super::event_types::{EventType, EventTypeInput};
use super::{app, caller, field_id, lookup_id, to_id};
use crate::app::team_event_types::{self, HostInput, TeamEventTypeInput};
use crate::app::teams::{self, MembershipInput, TeamInput as AppTeamInput, TeamUpdate};
use crate::app::{availability, bookings};
use crate::domain::ids::{EventTypeId, TeamId, UserId};
use crate::domain::team::Team as DomainTeam;

/// A team of the organization.
#[derive(Debug, Clone, SimpleObject)]
pub struct Team {
    /// The team's id.
    pub id: ID,
    /// Display name.
    pub name: String,
    /// URL slug (`teamSlug` in slots and bookings).
    pub slug: String,
    /// Its organization.
    pub organization_id: ID,
    /// Whether changes made in members' connected calendars reach the team's bookings.
    pub calendar_sync_enabled: bool,
}

impl From<DomainTeam> for Team {
    fn from(t: DomainTeam) -> Team {
        Team {
            id: to_id(t.id.0),
            name: t.name,
            slug: t.slug,
            organization_id: to_id(t.org_id.0),
            calendar_sync_enabled: t.calendar_sync_enabled,
        }
    }
}

/// A user's place in a team.
#[derive(Debug, Clone, SimpleObject)]
pub struct TeamMembership {
    /// The team.
    pub team_id: ID,
    /// The member.
    pub user_id: ID,
    /// `OWNER`, `ADMIN` or `MEMBER`.
    pub role: String,
}

/// A host free at a pooled slot.
#[derive(Debug, Clone, SimpleObject)]
pub struct FreeHost {
    /// The user's id.
    pub id: ID,
    /// Display name.
    pub name: String,
    /// Unique handle.
    pub username: String,
}

/// A slot of the team with the hosts free at it.
#[derive(Debug, Clone, SimpleObject)]
pub struct PooledSlot {
    /// The start, ISO 8601 in the requested zone with its offset.
    pub start: String,
    /// The end, written like `start`.
    pub end: String,
    /// The hosts free then (fixed hosts included).
    pub free_hosts: Vec<FreeHost>,
}

/// A team to create.
#[derive(Debug, Clone, InputObject)]
pub struct TeamInput {
    /// Display name.
    pub name: String,
    /// URL slug, unique across Convene.
    pub slug: String,
    /// Whether changes made in members' connected calendars reach the team's bookings
    /// (default `true`).
    pub calendar_sync_enabled: Option<bool>,
}

/// A host of a team event type.
#[derive(Debug, Clone, InputObject)]
pub struct TeamHostInput {
    /// A member of the team.
    pub user_id: ID,
    /// A fixed host, in every booking.
    pub mandatory: Option<bool>,
    /// `lowest`, `low`, `medium` (default), `high` or `highest`.
    pub priority: Option<String>,
    /// Round-robin share, at least 1 (default 1).
    pub weight: Option<i32>,
}

/// The hosts as the use cases take them.
fn host_inputs(hosts: Vec<TeamHostInput>) -> Result<Vec<HostInput>, crate::app::AppError> {
    hosts
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            Ok(HostInput {
                user_id: Some(field_id(&format!("hosts[{i}].userId"), &h.user_id)?),
                mandatory: h.mandatory,
                priority: h.priority,
                weight: h.weight.map(i64::from),
            })
        })
        .collect()
}

/// Team queries; they need a key.
#[derive(Default)]
pub struct TeamQuery;

#[Object]
impl TeamQuery {
    /// Who of team `teamId` is free when: the slots of its event type `eventTypeId`
    /// (or 30-minute slots of every member) between `start` and `end`, each with the
    /// hosts free at it. For the team's owners and admins.
    async fn team_availability(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team's id.")] team_id: ID,
        #[graphql(desc = "An ISO 8601 instant, or a date `YYYY-MM-DD` (start of that day).")]
        start: String,
        #[graphql(desc = "An ISO 8601 instant, or a date `YYYY-MM-DD` (end of that day).")]
        end: String,
        #[graphql(desc = "One of the team's event types (default: every member, 30 minutes).")]
        event_type_id: Option<ID>,
        #[graphql(desc = "The IANA zone to write times in (default `UTC`).")] time_zone: Option<
            String,
        >,
    ) -> GqlResult<Vec<PooledSlot>> {
        let app = app(ctx)?;
        let team = TeamId(lookup_id("team", &team_id)?);
        let event_type = event_type_id
            .as_ref()
            .map(|id| field_id("eventTypeId", id).map(EventTypeId))
            .transpose()?;
        let view = availability::team_availability(
            app,
            caller(ctx)?,
            team,
            event_type,
            &start,
            &end,
            time_zone.as_deref(),
            Utc::now(),
        )
        .await?;
        let tz = view.time_zone;
        Ok(view
            .slots
            .into_iter()
            .map(|slot| PooledSlot {
                start: crate::api::format::local(slot.span.start, tz),
                end: crate::api::format::local(slot.span.end, tz),
                free_hosts: slot
                    .free
                    .iter()
                    .filter_map(|id| view.hosts.iter().find(|u| u.id == *id))
                    .map(|u| FreeHost {
                        id: to_id(u.id.0),
                        name: u.name.clone(),
                        username: u.username.clone(),
                    })
                    .collect(),
            })
            .collect())
    }
}

/// Team mutations; they need a key.
#[derive(Default)]
pub struct TeamMutation;

#[Object]
impl TeamMutation {
    /// Creates a team (organization owners and admins); the caller becomes its owner.
    async fn create_team(&self, ctx: &Context<'_>, input: TeamInput) -> GqlResult<Team> {
        let app = app(ctx)?;
        let input = AppTeamInput {
            name: Some(input.name),
            slug: Some(input.slug),
            calendar_sync_enabled: input.calendar_sync_enabled,
        };
        Ok(teams::create(app, caller(ctx)?, input).await?.into())
    }

    /// Turns inbound calendar sync on or off for a team (its owners and admins): off,
    /// changes made in members' calendars no longer reach the team's bookings.
    async fn set_team_calendar_sync(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        enabled: bool,
    ) -> GqlResult<Team> {
        let app = app(ctx)?;
        let team = TeamId(lookup_id("team", &team_id)?);
        let input = TeamUpdate {
            calendar_sync_enabled: Some(enabled),
        };
        Ok(teams::update(app, caller(ctx)?, team, input).await?.into())
    }

    /// Adds a user of the organization to a team, or changes their role.
    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        user_id: ID,
        #[graphql(desc = "`MEMBER` (default), `ADMIN` or `OWNER`.")] role: Option<String>,
    ) -> GqlResult<TeamMembership> {
        let app = app(ctx)?;
        let team = TeamId(lookup_id("team", &team_id)?);
        let input = MembershipInput {
            user_id: Some(field_id("userId", &user_id)?),
            role,
        };
        let m = teams::put_member(app, caller(ctx)?, team, input).await?;
        Ok(TeamMembership {
            team_id: to_id(m.team_id.0),
            user_id: to_id(m.user_id.0),
            role: m.role.as_str().to_string(),
        })
    }

    /// Creates an event type of a team, scheduled `ROUND_ROBIN` or `COLLECTIVE`.
    async fn create_team_event_type(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        input: EventTypeInput,
        #[graphql(desc = "`ROUND_ROBIN` or `COLLECTIVE`.")] scheduling_type: String,
        hosts: Option<Vec<TeamHostInput>>,
        #[graphql(desc = "Every team member hosts, now and as the team changes.")]
        assign_all_team_members: Option<bool>,
    ) -> GqlResult<EventType> {
        let app = app(ctx)?;
        let team = TeamId(lookup_id("team", &team_id)?);
        let hosts = hosts.map(host_inputs).transpose()?;
        let input = TeamEventTypeInput {
            event_type: input.into_app()?,
            scheduling_type: Some(scheduling_type),
            hosts,
            assign_all_team_members,
        };
        let created = team_event_types::create(app, caller(ctx)?, team, input).await?;
        Ok(created.event_type.into())
    }

    /// Changes a team event type (its team's owners and admins): the fields `input`
    /// sends, and the scheduling type and hosts when given.
    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments of createTeamEventType, each optional"
    )]
    async fn update_team_event_type(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        id: ID,
        input: Option<EventTypeInput>,
        #[graphql(desc = "`ROUND_ROBIN` or `COLLECTIVE`.")] scheduling_type: Option<String>,
        hosts: Option<Vec<TeamHostInput>>,
        #[graphql(desc = "Every team member hosts, now and as the team changes.")]
        assign_all_team_members: Option<bool>,
    ) -> GqlResult<EventType> {
        let app = app(ctx)?;
        let team = TeamId(lookup_id("team", &team_id)?);
        let id = EventTypeId(lookup_id("event type", &id)?);
        let input = TeamEventTypeInput {
            event_type: input
                .map(EventTypeInput::into_app)
                .transpose()?
                .unwrap_or_default(),
            scheduling_type,
            hosts: hosts.map(host_inputs).transpose()?,
            assign_all_team_members,
        };
        let updated = team_event_types::update(app, caller(ctx)?, team, id, input).await?;
        Ok(updated.event_type.into())
    }

    /// Deletes a team event type (its team's owners and admins); answers its id.
    async fn delete_team_event_type(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        id: ID,
    ) -> GqlResult<ID> {
        let team = TeamId(lookup_id("team", &team_id)?);
        let event_type = EventTypeId(lookup_id("event type", &id)?);
        team_event_types::delete(app(ctx)?, caller(ctx)?, team, event_type).await?;
        Ok(id)
    }

    /// Removes a member from a team (its owners and admins); they stop hosting the
    /// team's event types. Answers the user's id.
    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        user_id: ID,
    ) -> GqlResult<ID> {
        let team = TeamId(lookup_id("team", &team_id)?);
        let user = UserId(lookup_id("user", &user_id)?);
        teams::remove_member(app(ctx)?, caller(ctx)?, team, user).await?;
        Ok(user_id)
    }

    /// Hands round-robin booking `uid` to the next host (the round-robin rule among
    /// the other hosts free then). For the booking's host and the team's admins.
    async fn reassign_booking(&self, ctx: &Context<'_>, uid: String) -> GqlResult<Booking> {
        let app = app(ctx)?;
        Ok(bookings::reassign(app, caller(ctx)?, &uid, Utc::now())
            .await?
            .into())
    }
}
