//! Team event types: an event type of a team, scheduled COLLECTIVE or ROUND_ROBIN
//! over hosts with weights and priorities (`/v2/teams/{teamId}/event-types`: create,
//! read, change, delete; changes for the team's owners and admins only).

use serde::Deserialize;

use super::auth::Caller;
use super::event_types::EventTypeInput;
use super::{App, AppError, Result};
use crate::domain::event_type::EventType;
use crate::domain::ids::{EventTypeId, TeamId, UserId};
use crate::domain::team::{
    Host, HostSpec, Membership, SchedulingType, Standing, Team, all_members_as_hosts, check_hosts,
};
use crate::store::{self, StoreError, teams::TeamSetup};

/// One host as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostInput {
    /// A member of the team.
    pub user_id: Option<i64>,
    /// A fixed host, in every booking.
    pub mandatory: Option<bool>,
    /// `lowest`, `low`, `medium` (default), `high`, `highest`.
    pub priority: Option<String>,
    /// Round-robin share, at least 1 (default 1).
    pub weight: Option<i64>,
}

/// A team event type to create: the event type's own fields plus how it uses hosts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamEventTypeInput {
    /// Title, slug, length, buffers, … as for a personal event type.
    #[serde(flatten)]
    pub event_type: EventTypeInput,
    /// `ROUND_ROBIN` or `COLLECTIVE`.
    pub scheduling_type: Option<String>,
    /// The hosts; with `assignAllTeamMembers`, settings for some members.
    pub hosts: Option<Vec<HostInput>>,
    /// Every team member hosts, now and as the team changes.
    pub assign_all_team_members: Option<bool>,
}

/// A team event type with its team and the hosts it has now.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamEventType {
    /// The event type itself.
    pub event_type: EventType,
    /// Its team.
    pub team: Team,
    /// How it schedules.
    pub setup: TeamSetup,
    /// Its hosts today (every member when it takes them all).
    pub hosts: Vec<Host>,
}

/// The hosts a team event type has with the team's current `members`.
pub(super) fn hosts_now(setup: &TeamSetup, members: &[Membership]) -> Vec<Host> {
    if setup.assign_all_members {
        let ids: Vec<UserId> = members.iter().map(|m| m.user_id).collect();
        all_members_as_hosts(&ids, &setup.hosts)
    } else {
        setup.hosts.clone()
    }
}

/// `ROUND_ROBIN` or `COLLECTIVE` as sent.
fn scheduling_type(text: &str) -> Result<SchedulingType> {
    SchedulingType::parse(text).ok_or_else(|| {
        AppError::invalid(
            "schedulingType",
            format!("`{text}` is not one of ROUND_ROBIN, COLLECTIVE"),
        )
    })
}

/// The hosts as sent, checked against the team's `members` (fields `hosts[i].…`).
async fn checked_hosts(
    app: &App,
    caller: Caller,
    members: &[Membership],
    hosts: Vec<HostInput>,
) -> Result<Vec<Host>> {
    let specs: Vec<HostSpec> = hosts
        .into_iter()
        .map(|h| HostSpec {
            user_id: h.user_id,
            mandatory: h.mandatory,
            priority: h.priority,
            weight: h.weight,
        })
        .collect();
    let named: Vec<UserId> = specs.iter().filter_map(|s| s.user_id.map(UserId)).collect();
    let in_org = store::users::in_org(&app.db, caller.org_id, &named).await?;
    check_hosts(&specs, |user| {
        if members.iter().any(|m| m.user_id == user) {
            Standing::Member
        } else if in_org.iter().any(|u| u.id == user) {
            Standing::Outsider
        } else {
            Standing::Unknown
        }
    })
    .map_err(AppError::Validation)
}

/// A team event type must name a host unless it takes every member.
fn require_hosts(setup: &TeamSetup) -> Result<()> {
    if setup.hosts.is_empty() && !setup.assign_all_members {
        return Err(AppError::invalid(
            "hosts",
            "name at least one host, or set assignAllTeamMembers",
        ));
    }
    Ok(())
}

fn slug_taken(team: &Team, slug: &str) -> impl FnOnce(StoreError) -> AppError {
    let message = format!(
        "team `{}` already has an event type with slug `{slug}`",
        team.slug
    );
    move |e| match e {
        StoreError::Duplicate => AppError::Conflict(message),
        other => other.into(),
    }
}

/// Seats and recurring series are for personal event types only.
fn personal_options_refused(event_type: &EventType) -> Result<()> {
    let mut issues = crate::domain::seats::check_options(
        event_type.seats,
        event_type.requires_confirmation,
        true,
    );
    issues.extend(crate::domain::recurrence::check_options(
        event_type.recurrence,
        event_type.seats.is_some(),
        true,
    ));
    if issues.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(issues))
    }
}

fn no_schedule(input: &EventTypeInput) -> Result<()> {
    if input.schedule_id.is_some() {
        return Err(AppError::invalid(
            "scheduleId",
            "a team event type uses each host's default schedule",
        ));
    }
    Ok(())
}

/// Creates an event type of team `team_id` (its owners and admins, or the
/// organization's). Every bad field is a 422 naming it, hosts included.
pub async fn create(
    app: &App,
    caller: Caller,
    team_id: TeamId,
    input: TeamEventTypeInput,
) -> Result<TeamEventType> {
    let team = super::teams::managed(app, caller, team_id).await?;
    no_schedule(&input.event_type)?;
    let scheduling_type = match input.scheduling_type.as_deref() {
        None => return Err(AppError::invalid("schedulingType", "is required")),
        Some(text) => scheduling_type(text)?,
    };
    let mut event_type = super::event_types::draft(caller, &input.event_type)?;
    event_type.team_id = Some(team.id);
    personal_options_refused(&event_type)?;
    let members = store::teams::members(&app.db, team.id).await?;
    let hosts = checked_hosts(app, caller, &members, input.hosts.unwrap_or_default()).await?;
    let setup = TeamSetup {
        scheduling_type,
        assign_all_members: input.assign_all_team_members.unwrap_or(false),
        hosts,
    };
    require_hosts(&setup)?;
    let txn = store::db::begin_write(&app.db).await?;
    let event_type = store::event_types::insert(&txn, &event_type)
        .await
        .map_err(slug_taken(&team, &event_type.slug))?;
    store::teams::save_setup(&txn, caller.org_id, event_type.id, &setup).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(
        event_type.id = event_type.id.0,
        team.id = team.id.0,
        scheduling_type = scheduling_type.as_str(),
        "team event type created"
    );
    let hosts = hosts_now(&setup, &members);
    Ok(TeamEventType {
        event_type,
        team,
        setup,
        hosts,
    })
}

/// The team event type `id` of team `team_id`, if the caller may manage the team.
async fn managed(
    app: &App,
    caller: Caller,
    team_id: TeamId,
    id: EventTypeId,
) -> Result<TeamEventType> {
    let found = get(app, caller, id).await?;
    if found.team.id != team_id {
        return Err(AppError::NotFound(format!(
            "team event type {id} does not exist"
        )));
    }
    super::teams::managed(app, caller, team_id).await?;
    Ok(found)
}

/// Changes the fields `input` sends of team event type `id` (its team's owners and
/// admins, or the organization's): the event type's own, how it schedules, its hosts.
pub async fn update(
    app: &App,
    caller: Caller,
    team_id: TeamId,
    id: EventTypeId,
    input: TeamEventTypeInput,
) -> Result<TeamEventType> {
    let TeamEventType {
        mut event_type,
        team,
        mut setup,
        ..
    } = managed(app, caller, team_id, id).await?;
    no_schedule(&input.event_type)?;
    super::event_types::apply(&mut event_type, &input.event_type)?;
    personal_options_refused(&event_type)?;
    if let Some(text) = input.scheduling_type.as_deref() {
        setup.scheduling_type = scheduling_type(text)?;
    }
    let members = store::teams::members(&app.db, team.id).await?;
    if let Some(hosts) = input.hosts {
        setup.hosts = checked_hosts(app, caller, &members, hosts).await?;
    }
    if let Some(all) = input.assign_all_team_members {
        setup.assign_all_members = all;
    }
    require_hosts(&setup)?;
    let txn = store::db::begin_write(&app.db).await?;
    let event_type = store::event_types::update(&txn, &event_type)
        .await
        .map_err(slug_taken(&team, &event_type.slug))?;
    store::teams::save_setup(&txn, caller.org_id, event_type.id, &setup).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(
        event_type.id = id.0,
        team.id = team.id.0,
        "team event type updated"
    );
    let hosts = hosts_now(&setup, &members);
    Ok(TeamEventType {
        event_type,
        team,
        setup,
        hosts,
    })
}

/// Deletes team event type `id` (its team's owners and admins, or the
/// organization's); its bookings are kept. Answers it as it was.
pub async fn delete(
    app: &App,
    caller: Caller,
    team_id: TeamId,
    id: EventTypeId,
) -> Result<TeamEventType> {
    let found = managed(app, caller, team_id, id).await?;
    store::event_types::delete(&app.db, caller.org_id, id).await?;
    tracing::info!(
        event_type.id = id.0,
        team.id = team_id.0,
        "team event type deleted"
    );
    Ok(found)
}

/// The team event type `id` of the caller's organization.
pub async fn get(app: &App, caller: Caller, id: EventTypeId) -> Result<TeamEventType> {
    let not_found = || AppError::NotFound(format!("team event type {id} does not exist"));
    let event_type = store::event_types::find(&app.db, caller.org_id, id)
        .await?
        .ok_or_else(not_found)?;
    let team_id = event_type.team_id.ok_or_else(not_found)?;
    let team = store::teams::find(&app.db, caller.org_id, team_id)
        .await?
        .ok_or_else(not_found)?;
    let setup = store::teams::setup(&app.db, id)
        .await?
        .ok_or_else(not_found)?;
    let members = store::teams::members(&app.db, team.id).await?;
    let hosts = hosts_now(&setup, &members);
    Ok(TeamEventType {
        event_type,
        team,
        setup,
        hosts,
    })
}
