//! Reports for team admins and CS leaders. So far: a round-robin type's distribution
//! audit (`domain::fairness`), counted in SQL over the period asked.

use super::auth::Caller;
use super::availability::{EventTypeRef, bookable, query_range};
use super::{App, AppError, Result};
use crate::domain::fairness::{self, HostShare};
use crate::domain::ids::EventTypeId;
use crate::domain::team::SchedulingType;
use crate::store;

/// One host's line of a fairness table, with who they are.
#[derive(Debug, Clone)]
pub struct FairnessLine {
    /// The host's handle.
    pub username: String,
    /// Their numbers.
    pub share: HostShare,
}

/// Each rotating host of round-robin type `event_type`: their bookings starting between
/// `start` and `end` (instants, or dates in `time_zone`) against their weight share.
/// For the owners and admins of the type's team (and the organization's).
pub async fn round_robin_fairness(
    app: &App,
    caller: Caller,
    event_type: EventTypeId,
    start: &str,
    end: &str,
    time_zone: Option<&str>,
) -> Result<Vec<FairnessLine>> {
    let b = bookable(app, &EventTypeRef::Id(event_type)).await?;
    if b.event_type.org_id != caller.org_id {
        return Err(AppError::NotFound(format!(
            "event type {event_type} does not exist"
        )));
    }
    let (Some(team_id), Some(team)) = (b.event_type.team_id, &b.team) else {
        return Err(not_round_robin(event_type));
    };
    super::teams::managed(app, caller, team_id).await?;
    if team.scheduling_type != SchedulingType::RoundRobin {
        return Err(not_round_robin(event_type));
    }
    let (_, period) = query_range(time_zone, start, end)?;
    let rotating: Vec<_> = team
        .hosts
        .iter()
        .filter(|h| !h.host.mandatory)
        .map(|h| (h.user.id, h.host.weight))
        .collect();
    let ids: Vec<_> = rotating.iter().map(|(id, _)| *id).collect();
    let taken = store::booking_hosts::booked_within(&app.db, event_type, &ids, period).await?;
    let lines = fairness::shares(&rotating, &taken)
        .into_iter()
        .zip(team.hosts.iter().filter(|h| !h.host.mandatory))
        .map(|(share, host)| FairnessLine {
            username: host.user.username.clone(),
            share,
        })
        .collect();
    Ok(lines)
}

fn not_round_robin(id: EventTypeId) -> AppError {
    AppError::invalid(
        "eventTypeId",
        format!("event type {id} is not a round-robin team event type"),
    )
}
