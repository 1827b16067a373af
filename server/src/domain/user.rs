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
    /// What the user may manage in their organization.
    pub org_role: Role,
}

/// A role in an organization or a team: owners and admins manage it, members take part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Created it or was handed it; manages everything, including other owners.
    Owner,
    /// Manages members, teams and settings.
    Admin,
    /// Takes part (hosts, books) without managing.
    Member,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Member];

    /// The stored and wire spelling (`OWNER`, `ADMIN`, `MEMBER`), as Cal.com spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "OWNER",
            Role::Admin => "ADMIN",
            Role::Member => "MEMBER",
        }
    }

    /// Reads [`Role::as_str`]'s spelling back, in any case.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether this role may manage what it belongs to (owners and admins).
    pub fn manages(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_and_only_owners_and_admins_manage() {
        for (text, role, manages) in [
            ("OWNER", Some(Role::Owner), true),
            ("admin", Some(Role::Admin), true),
            ("Member", Some(Role::Member), false),
            ("guest", None, false),
        ] {
            assert_eq!(Role::parse(text), role, "{text}");
            assert_eq!(role.is_some_and(Role::manages), manages, "{text}");
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
