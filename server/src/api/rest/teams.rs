//! `/v2/teams`: teams, memberships and team event types (Cal.com API v2's shapes).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{
    Router,
    routing::{delete, get, patch, post},
};
use serde_json::{Value, json};

use super::event_types::event_type_json;
use super::extract::{Auth, Body, path_id};
use super::{ok, success};
use crate::api::ApiError;
use crate::app::App;
use crate::app::team_event_types::{self, TeamEventType, TeamEventTypeInput};
use crate::app::teams::{self, MembershipInput, TeamInput, TeamUpdate};
use crate::domain::ids::{EventTypeId, TeamId, UserId};
use crate::domain::team::{Membership, Team};

pub fn router() -> Router<App> {
    Router::new()
        .route("/teams", post(create))
        .route("/teams/{team_id}", patch(update))
        .route(
            "/teams/{team_id}/memberships",
            get(list_members).post(put_member),
        )
        .route(
            "/teams/{team_id}/memberships/{user_id}",
            delete(remove_member),
        )
        .route("/teams/{team_id}/event-types", post(create_event_type))
        .route(
            "/teams/{team_id}/event-types/{id}",
            get(show_event_type)
                .patch(update_event_type)
                .delete(delete_event_type),
        )
}

fn team_json(team: &Team) -> Value {
    json!({
        "id": team.id.0,
        "name": team.name,
        "slug": team.slug,
        "organizationId": team.org_id.0,
        "calendarSyncEnabled": team.calendar_sync_enabled,
    })
}

fn membership_json(m: &Membership) -> Value {
    json!({ "teamId": m.team_id.0, "userId": m.user_id.0, "role": m.role.as_str() })
}

/// A team event type: the event type's fields plus `teamId`, `schedulingType`,
/// `assignAllTeamMembers` and `hosts` (every member, for a type that takes them all).
fn team_event_type_json(t: &TeamEventType) -> Value {
    let mut value = event_type_json(&t.event_type);
    value["teamId"] = json!(t.team.id.0);
    value["schedulingType"] = json!(t.setup.scheduling_type.as_str());
    value["assignAllTeamMembers"] = json!(t.setup.assign_all_members);
    value["hosts"] = t
        .hosts
        .iter()
        .map(|h| {
            json!({
                "userId": h.user_id.0,
                "mandatory": h.mandatory,
                "priority": h.priority.as_str(),
                "weight": h.weight,
            })
        })
        .collect();
    value
}

async fn create(
    State(app): State<App>,
    Auth(caller): Auth,
    Body(input): Body<TeamInput>,
) -> Result<Response, ApiError> {
    let team = teams::create(&app, caller, input).await?;
    Ok(success(StatusCode::CREATED, team_json(&team)))
}

async fn update(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(team_id): Path<String>,
    Body(input): Body<TeamUpdate>,
) -> Result<Response, ApiError> {
    let id = TeamId(path_id("team", &team_id)?);
    let team = teams::update(&app, caller, id, input).await?;
    Ok(ok(team_json(&team)))
}

async fn list_members(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(team_id): Path<String>,
) -> Result<Response, ApiError> {
    let id = TeamId(path_id("team", &team_id)?);
    let (_, members) = teams::members(&app, caller, id).await?;
    Ok(ok(members.iter().map(membership_json).collect()))
}

async fn put_member(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(team_id): Path<String>,
    Body(input): Body<MembershipInput>,
) -> Result<Response, ApiError> {
    let id = TeamId(path_id("team", &team_id)?);
    let membership = teams::put_member(&app, caller, id, input).await?;
    Ok(success(StatusCode::CREATED, membership_json(&membership)))
}

async fn create_event_type(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(team_id): Path<String>,
    Body(input): Body<TeamEventTypeInput>,
) -> Result<Response, ApiError> {
    let id = TeamId(path_id("team", &team_id)?);
    let created = team_event_types::create(&app, caller, id, input).await?;
    Ok(success(StatusCode::CREATED, team_event_type_json(&created)))
}

async fn show_event_type(
    State(app): State<App>,
    Auth(caller): Auth,
    Path((team_id, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let team = TeamId(path_id("team", &team_id)?);
    let id = EventTypeId(path_id("event type", &id)?);
    let found = team_event_types::get(&app, caller, id).await?;
    if found.team.id != team {
        return Err(
            crate::app::AppError::NotFound(format!("event type {id} does not exist")).into(),
        );
    }
    Ok(ok(team_event_type_json(&found)))
}

/// The ids a team event type route names.
fn team_and_type(team_id: &str, id: &str) -> Result<(TeamId, EventTypeId), ApiError> {
    Ok((
        TeamId(path_id("team", team_id)?),
        EventTypeId(path_id("event type", id)?),
    ))
}

async fn update_event_type(
    State(app): State<App>,
    Auth(caller): Auth,
    Path((team_id, id)): Path<(String, String)>,
    Body(input): Body<TeamEventTypeInput>,
) -> Result<Response, ApiError> {
    let (team, id) = team_and_type(&team_id, &id)?;
    let updated = team_event_types::update(&app, caller, team, id, input).await?;
    Ok(ok(team_event_type_json(&updated)))
}

async fn delete_event_type(
    State(app): State<App>,
    Auth(caller): Auth,
    Path((team_id, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (team, id) = team_and_type(&team_id, &id)?;
    let deleted = team_event_types::delete(&app, caller, team, id).await?;
    Ok(ok(team_event_type_json(&deleted)))
}

/// Removes a member; they stop hosting the team's event types.
async fn remove_member(
    State(app): State<App>,
    Auth(caller): Auth,
    Path((team_id, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let team = TeamId(path_id("team", &team_id)?);
    let user = UserId(path_id("user", &user_id)?);
    teams::remove_member(&app, caller, team, user).await?;
    Ok(ok(json!({"teamId": team.0, "userId": user.0})))
}
