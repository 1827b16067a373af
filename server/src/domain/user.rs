//! Hosts: the people whose time is booked.

use chrono_tz::Tz;

use super::ids::{OrgId, ScheduleId, UserId};

/// A host inside an organization. `username` is global because public booking
/// links are `/{username}/{event}`.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Row id.
    pub id: UserId,
    /// The tenant.
    pub org_id: OrgId,
    /// Public handle, unique across Convene.
    pub username: String,
    /// Where booking notices go.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The zone the host lives in; a new schedule defaults to it.
    pub time_zone: Tz,
    /// The schedule an event type without its own `scheduleId` uses.
    pub default_schedule_id: Option<ScheduleId>,
}
