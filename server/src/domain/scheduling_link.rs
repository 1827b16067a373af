//! Scheduling links: a CSM sends a customer a link to one event type that books a few
//! times at most (once by default) before it expires, with the invitee's name and email
//! filled in and the customer context carried into the booking; what Calendly calls a
//! single-use link.
//!
//! Whether a link can still be used at a given moment, and why not, is decided here
//! once, so the invitee's page, the booking and the CSM's list all say the same thing.

use chrono::{DateTime, Duration, Utc};

use super::ids::{CustomerId, EventTypeId, OrgId, SchedulingLinkId, StakeholderId, UserId};
use super::validate::FieldIssue;

/// Uses when the CSM names none: a link for one meeting.
pub const DEFAULT_MAX_USES: u32 = 1;
/// The most uses one link may have; more is a public booking page, not a link.
pub const MAX_USES: u32 = 1000;
/// Lifetime when the CSM names no expiry.
pub const DEFAULT_LIFETIME: Duration = Duration::days(7);
/// The longest lifetime: a forgotten link must not stay a way in for ever.
pub const MAX_LIFETIME: Duration = Duration::days(90);

/// A link to book one event type, made by a CSM, optionally for a customer's stakeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulingLink {
    /// Row id.
    pub id: SchedulingLinkId,
    /// The tenant.
    pub org_id: OrgId,
    /// The secret in the URL: holding it is what lets an invitee book.
    pub token: String,
    /// What it books.
    pub event_type_id: EventTypeId,
    /// The CSM who made it.
    pub created_by: UserId,
    /// The customer the booking will be a meeting with.
    pub customer_id: Option<CustomerId>,
    /// The stakeholder it was made for.
    pub stakeholder_id: Option<StakeholderId>,
    /// The invitee's name, filled in on the booking form.
    pub prefill_name: Option<String>,
    /// The invitee's email, filled in on the booking form.
    pub prefill_email: Option<String>,
    /// How many bookings it may make.
    pub max_uses: u32,
    /// How many it made.
    pub uses: u32,
    /// From this instant on it books nothing.
    pub expires_at: DateTime<Utc>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When the invitee first opened it.
    pub first_opened_at: Option<DateTime<Utc>>,
    /// When it was last opened.
    pub last_opened_at: Option<DateTime<Utc>>,
    /// How often it was opened.
    pub open_count: u32,
    /// When it last made a booking.
    pub used_at: Option<DateTime<Utc>>,
    /// When the CSM withdrew it.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a CSM's list shows for a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkStatus {
    /// It can still book.
    Active,
    /// Every use is spent.
    Used,
    /// Its time ran out.
    Expired,
    /// The CSM withdrew it.
    Revoked,
}

impl LinkStatus {
    /// The word used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Active => "active",
            LinkStatus::Used => "used",
            LinkStatus::Expired => "expired",
            LinkStatus::Revoked => "revoked",
        }
    }
}

/// Why a link books nothing any more, with the moment it stopped; its message is what
/// the invitee reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    /// The CSM withdrew it.
    #[error("this link was revoked on {}", when(*at))]
    Revoked {
        /// When.
        at: DateTime<Utc>,
    },
    /// Every use is spent.
    #[error("{}", used_message(*uses, *at))]
    Used {
        /// How many bookings it made.
        uses: u32,
        /// When it made the last one.
        at: Option<DateTime<Utc>>,
    },
    /// Its time ran out.
    #[error("this link expired on {}", when(*at))]
    Expired {
        /// When.
        at: DateTime<Utc>,
    },
}

/// `2026-11-30 at 14:00 UTC`.
fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d at %H:%M UTC").to_string()
}

fn used_message(uses: u32, at: Option<DateTime<Utc>>) -> String {
    match (uses, at) {
        (1, Some(at)) => format!("this link was already used on {}", when(at)),
        (_, Some(at)) => format!(
            "this link was already used {uses} times, the last on {}",
            when(at)
        ),
        (_, None) => "this link has no uses left".to_string(),
    }
}

impl SchedulingLink {
    /// Whether it can book at `now`, and if not why. A withdrawn link says so first (the
    /// CSM's decision), then a spent one (the invitee already booked), then expiry.
    pub fn usable(&self, now: DateTime<Utc>) -> Result<(), Unusable> {
        if let Some(at) = self.revoked_at {
            return Err(Unusable::Revoked { at });
        }
        if self.uses >= self.max_uses {
            return Err(Unusable::Used {
                uses: self.uses,
                at: self.used_at,
            });
        }
        if now >= self.expires_at {
            return Err(Unusable::Expired {
                at: self.expires_at,
            });
        }
        Ok(())
    }

    /// What a CSM's list shows for it at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> LinkStatus {
        match self.usable(now) {
            Ok(()) => LinkStatus::Active,
            Err(Unusable::Revoked { .. }) => LinkStatus::Revoked,
            Err(Unusable::Used { .. }) => LinkStatus::Used,
            Err(Unusable::Expired { .. }) => LinkStatus::Expired,
        }
    }

    /// Bookings it can still make.
    pub fn uses_left(&self) -> u32 {
        self.max_uses.saturating_sub(self.uses)
    }
}

/// The uses and expiry a CSM asked for, with the defaults filled in, or every problem
/// (fields `maxUses`, `expiresAt`): 1–1000 uses, an expiry after `now` and at most 90
/// days away.
pub fn check_limits(
    max_uses: Option<i64>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(u32, DateTime<Utc>), Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let uses = match max_uses {
        None => Some(DEFAULT_MAX_USES),
        Some(n) => u32::try_from(n).ok().filter(|n| (1..=MAX_USES).contains(n)),
    };
    if uses.is_none() {
        issues.push(FieldIssue::new(
            "maxUses",
            format!("must be between 1 and {MAX_USES}"),
        ));
    }
    let expires_at = expires_at.unwrap_or(now + DEFAULT_LIFETIME);
    if expires_at <= now {
        issues.push(FieldIssue::new("expiresAt", "must be in the future"));
    } else if expires_at - now > MAX_LIFETIME {
        issues.push(FieldIssue::new(
            "expiresAt",
            format!("must be at most {} days away", MAX_LIFETIME.num_days()),
        ));
    }
    match uses {
        Some(uses) if issues.is_empty() => Ok((uses, expires_at)),
        _ => Err(issues),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("an instant")
            .with_timezone(&Utc)
    }

    fn link(max_uses: u32, uses: u32, used: Option<&str>, revoked: Option<&str>) -> SchedulingLink {
        SchedulingLink {
            id: SchedulingLinkId(1),
            org_id: OrgId(1),
            token: "t".into(),
            event_type_id: EventTypeId(1),
            created_by: UserId(1),
            customer_id: None,
            stakeholder_id: None,
            prefill_name: None,
            prefill_email: None,
            max_uses,
            uses,
            expires_at: at("2026-12-01T09:00:00Z"),
            created_at: at("2026-11-24T09:00:00Z"),
            first_opened_at: None,
            last_opened_at: None,
            open_count: 0,
            used_at: used.map(at),
            revoked_at: revoked.map(at),
        }
    }

    #[test]
    fn a_link_is_usable_until_spent_expired_or_revoked_and_says_why_not() {
        let before = at("2026-11-30T14:00:00Z");
        let after = at("2026-12-02T09:00:00Z");
        let used = Some("2026-11-30T14:00:00Z");
        let revoked = Some("2026-11-29T08:30:00Z");
        let cases = [
            ("fresh", link(1, 0, None, None), before, None),
            ("one of three used", link(3, 1, used, None), before, None),
            (
                "single use spent",
                link(1, 1, used, None),
                before,
                Some("this link was already used on 2026-11-30 at 14:00 UTC"),
            ),
            (
                "all three spent",
                link(3, 3, used, None),
                before,
                Some("this link was already used 3 times, the last on 2026-11-30 at 14:00 UTC"),
            ),
            (
                "expired",
                link(1, 0, None, None),
                after,
                Some("this link expired on 2026-12-01 at 09:00 UTC"),
            ),
            (
                "expires at its instant",
                link(1, 0, None, None),
                at("2026-12-01T09:00:00Z"),
                Some("this link expired on 2026-12-01 at 09:00 UTC"),
            ),
            (
                "spent then expired: the use is the news",
                link(1, 1, used, None),
                after,
                Some("this link was already used on 2026-11-30 at 14:00 UTC"),
            ),
            (
                "revoked beats everything",
                link(1, 1, used, revoked),
                after,
                Some("this link was revoked on 2026-11-29 at 08:30 UTC"),
            ),
        ];
        for (name, link, now, expected) in cases {
            let got = link.usable(now).err().map(|why| why.to_string());
            assert_eq!(got.as_deref(), expected, "{name}");
        }
    }

    #[test]
    fn status_follows_the_reason() {
        let now = at("2026-11-30T15:00:00Z");
        let later = at("2026-12-05T00:00:00Z");
        for (link, now, status) in [
            (link(2, 1, None, None), now, LinkStatus::Active),
            (link(2, 2, None, None), now, LinkStatus::Used),
            (link(2, 1, None, None), later, LinkStatus::Expired),
            (
                link(2, 0, None, Some("2026-11-25T00:00:00Z")),
                now,
                LinkStatus::Revoked,
            ),
        ] {
            assert_eq!(link.status(now), status);
            assert_eq!(link.uses_left(), link.max_uses - link.uses);
        }
        assert_eq!(LinkStatus::Used.as_str(), "used");
    }

    #[test]
    fn limits_default_and_stay_in_range() {
        let now = at("2026-11-24T09:00:00Z");
        assert_eq!(
            check_limits(None, None, now),
            Ok((1, at("2026-12-01T09:00:00Z")))
        );
        let in_90_days = now + MAX_LIFETIME;
        assert_eq!(
            check_limits(Some(1000), Some(in_90_days), now),
            Ok((1000, in_90_days))
        );
        let fields = |uses, expires| match check_limits(uses, expires, now) {
            Ok(_) => Vec::new(),
            Err(issues) => issues.into_iter().map(|i| i.field).collect::<Vec<_>>(),
        };
        for (uses, expires, expected) in [
            (Some(0), None, vec!["maxUses"]),
            (Some(1001), None, vec!["maxUses"]),
            (Some(-1), None, vec!["maxUses"]),
            (None, Some(now), vec!["expiresAt"]),
            (None, Some(now - Duration::minutes(1)), vec!["expiresAt"]),
            (
                Some(0),
                Some(in_90_days + Duration::seconds(1)),
                vec!["maxUses", "expiresAt"],
            ),
        ] {
            assert_eq!(fields(uses, expires), expected, "{uses:?} {expires:?}");
        }
    }
}
