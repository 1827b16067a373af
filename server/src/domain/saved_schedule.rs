//! A host's named schedule as kept in Convene: the availability rules plus who owns them.

use super::ids::{OrgId, ScheduleId, UserId};
use super::schedule::Schedule;

/// A named weekly schedule with date overrides, owned by one host.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedSchedule {
    /// Row id.
    pub id: ScheduleId,
    /// The tenant.
    pub org_id: OrgId,
    /// The host it belongs to.
    pub user_id: UserId,
    /// Name shown to the host ("Working hours").
    pub name: String,
    /// The rules: zone, weekly ranges, overrides.
    pub rules: Schedule,
}
