//! Teams: members who share event types. A team event type has hosts, each with a
//! weight and a priority, and is scheduled COLLECTIVE (every host attends) or
//! ROUND_ROBIN (one host is picked per booking, plus the fixed hosts).

use std::collections::HashSet;

use super::ids::{OrgId, TeamId, UserId};
use super::user::Role;
use super::validate::FieldIssue;

/// A team of an organization; `slug` names it in public booking links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Row id.
    pub id: TeamId,
    /// The tenant.
    pub org_id: OrgId,
    /// Display name.
    pub name: String,
    /// URL slug, unique across Convene (`teamSlug` in slots and bookings).
    pub slug: String,
    /// Whether changes made in members' connected calendars reach the team's bookings.
    pub calendar_sync_enabled: bool,
}

/// A user's place in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    /// The team.
    pub team_id: TeamId,
    /// The member.
    pub user_id: UserId,
    /// Owners and admins manage the team and its event types.
    pub role: Role,
}

/// How a team event type uses its hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchedulingType {
    /// Every host attends; a slot needs all of them free.
    Collective,
    /// One host is picked per booking among those free, plus the fixed hosts.
    RoundRobin,
}

impl SchedulingType {
    /// The stored and wire spelling (Cal.com's).
    pub fn as_str(self) -> &'static str {
        match self {
            SchedulingType::Collective => "COLLECTIVE",
            SchedulingType::RoundRobin => "ROUND_ROBIN",
        }
    }

    /// Reads [`SchedulingType::as_str`]'s spelling back, in any case.
    pub fn parse(s: &str) -> Option<SchedulingType> {
        [SchedulingType::Collective, SchedulingType::RoundRobin]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

/// Which round-robin hosts are asked first: a lower priority only gets a booking when
/// no host of a higher one is free. Ordered lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Priority {
    /// Asked last.
    Lowest,
    /// Below the default.
    Low,
    /// The default.
    #[default]
    Medium,
    /// Above the default.
    High,
    /// Asked first.
    Highest,
}

impl Priority {
    const ALL: [Priority; 5] = [
        Priority::Lowest,
        Priority::Low,
        Priority::Medium,
        Priority::High,
        Priority::Highest,
    ];

    /// The stored and wire spelling (`lowest` … `highest`).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Lowest => "lowest",
            Priority::Low => "low",
            Priority::Medium => "medium",
            Priority::High => "high",
            Priority::Highest => "highest",
        }
    }

    /// Reads [`Priority::as_str`]'s spelling back, in any case.
    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }
}

/// A host of a team event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    /// The team member.
    pub user_id: UserId,
    /// A fixed host: must be free for every slot and joins every booking, in both
    /// scheduling types (every collective host is, in effect, fixed).
    pub mandatory: bool,
    /// Round-robin order between priority levels.
    pub priority: Priority,
    /// Round-robin share within a priority level: a host of weight 2 gets twice
    /// the bookings of a host of weight 1. At least 1.
    pub weight: u32,
}

impl Host {
    /// A host with the defaults: not fixed, medium priority, weight 1.
    pub fn new(user_id: UserId) -> Host {
        Host {
            user_id,
            mandatory: false,
            priority: Priority::default(),
            weight: 1,
        }
    }
}

/// A host as sent, before checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostSpec {
    /// The user to host (required).
    pub user_id: Option<i64>,
    /// Fixed host.
    pub mandatory: Option<bool>,
    /// `lowest` … `highest`.
    pub priority: Option<String>,
    /// At least 1.
    pub weight: Option<i64>,
}

/// What the organization knows of a user named as a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// A member of the team.
    Member,
    /// A user of the organization outside the team.
    Outsider,
    /// No such user in the organization.
    Unknown,
}

/// Checks hosts as sent (field `hosts[i].…`), reporting every problem: a missing or
/// unknown user, a user outside the team, a host named twice, an unknown priority, a
/// weight below 1.
pub fn check_hosts(
    specs: &[HostSpec],
    standing: impl Fn(UserId) -> Standing,
) -> Result<Vec<Host>, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let mut seen = HashSet::new();
    let mut hosts = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let field = |name: &str| format!("hosts[{i}].{name}");
        let mut host = Host::new(UserId(0));
        match spec.user_id.map(UserId) {
            None => issues.push(FieldIssue::new(field("userId"), "is required")),
            Some(user) if !seen.insert(user) => issues.push(FieldIssue::new(
                field("userId"),
                format!("user {user} is named more than once"),
            )),
            Some(user) => match standing(user) {
                Standing::Member => host.user_id = user,
                Standing::Outsider => issues.push(FieldIssue::new(
                    field("userId"),
                    format!("user {user} is not a member of the team"),
                )),
                Standing::Unknown => issues.push(FieldIssue::new(
                    field("userId"),
                    format!("user {user} does not exist"),
                )),
            },
        }
        if let Some(text) = &spec.priority {
            match Priority::parse(text) {
                Some(priority) => host.priority = priority,
                None => issues.push(FieldIssue::new(
                    field("priority"),
                    format!("`{text}` is not one of lowest, low, medium, high, highest"),
                )),
            }
        }
        if let Some(weight) = spec.weight {
            match u32::try_from(weight)
                .ok()
                .filter(|w| (1..=1000).contains(w))
            {
                Some(weight) => host.weight = weight,
                None => issues.push(FieldIssue::new(
                    field("weight"),
                    "must be a whole number from 1 to 1000",
                )),
            }
        }
        host.mandatory = spec.mandatory.unwrap_or(false);
        hosts.push(host);
    }
    if issues.is_empty() {
        Ok(hosts)
    } else {
        Err(issues)
    }
}

/// The hosts of an event type that takes every team member: each member, with the
/// settings an explicit host entry gives them, in member order.
pub fn all_members_as_hosts(members: &[UserId], explicit: &[Host]) -> Vec<Host> {
    members
        .iter()
        .map(|m| {
            explicit
                .iter()
                .find(|h| h.user_id == *m)
                .copied()
                .unwrap_or_else(|| Host::new(*m))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(user: i64) -> HostSpec {
        HostSpec {
            user_id: Some(user),
            ..HostSpec::default()
        }
    }

    fn standing(user: UserId) -> Standing {
        match user.0 {
            1..=3 => Standing::Member,
            9 => Standing::Outsider,
            _ => Standing::Unknown,
        }
    }

    #[test]
    fn hosts_get_defaults_and_keep_what_was_given() {
        let hosts = check_hosts(
            &[
                spec(1),
                HostSpec {
                    user_id: Some(2),
                    mandatory: Some(true),
                    priority: Some("Highest".into()),
                    weight: Some(3),
                },
            ],
            standing,
        )
        .expect("valid hosts");
        assert_eq!(hosts[0], Host::new(UserId(1)));
        assert_eq!(
            hosts[1],
            Host {
                user_id: UserId(2),
                mandatory: true,
                priority: Priority::Highest,
                weight: 3
            }
        );
    }

    #[test]
    fn bad_hosts_name_their_field() {
        let with = |f: fn(&mut HostSpec)| {
            let mut s = spec(1);
            f(&mut s);
            s
        };
        for (name, specs, field) in [
            (
                "zero weight",
                vec![with(|s| s.weight = Some(0))],
                "hosts[0].weight",
            ),
            (
                "negative weight",
                vec![with(|s| s.weight = Some(-2))],
                "hosts[0].weight",
            ),
            (
                "unknown priority",
                vec![with(|s| s.priority = Some("urgent".into()))],
                "hosts[0].priority",
            ),
            ("unknown user", vec![spec(1), spec(42)], "hosts[1].userId"),
            ("outside the team", vec![spec(9)], "hosts[0].userId"),
            (
                "named twice",
                vec![spec(2), spec(3), spec(2)],
                "hosts[2].userId",
            ),
            ("no user", vec![HostSpec::default()], "hosts[0].userId"),
        ] {
            let issues = check_hosts(&specs, standing).expect_err(name);
            let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
            assert_eq!(fields, vec![field], "{name}");
        }
    }

    #[test]
    fn words_read_back() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        assert!(Priority::Highest > Priority::Medium && Priority::Low > Priority::Lowest);
        for t in [SchedulingType::Collective, SchedulingType::RoundRobin] {
            assert_eq!(SchedulingType::parse(t.as_str()), Some(t));
        }
        assert_eq!(
            SchedulingType::parse("round_robin"),
            Some(SchedulingType::RoundRobin)
        );
        assert_eq!(SchedulingType::parse("MANAGED"), None);
    }

    #[test]
    fn all_members_take_explicit_settings() {
        let explicit = [Host {
            weight: 4,
            ..Host::new(UserId(2))
        }];
        let hosts = all_members_as_hosts(&[UserId(1), UserId(2)], &explicit);
        assert_eq!(hosts, vec![Host::new(UserId(1)), explicit[0]]);
    }
}
