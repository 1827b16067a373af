//! Out of office: a user away for a span of time, optionally sending their invitees
//! to a teammate. While away, their slots vanish (personal and team event types alike)
//! and a round-robin never picks them; a booking of their event type goes to the
//! teammate's event type of the same slug.

use chrono::{DateTime, Utc};

use super::ids::{OrgId, OutOfOfficeId, UserId};
use super::span::Span;
use super::validate::FieldIssue;

/// Why someone is away; Cal.com's reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No reason given.
    Unspecified,
    /// On holiday.
    Vacation,
    /// Travelling.
    Travel,
    /// Ill.
    Sick,
    /// A public holiday.
    PublicHoliday,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 5] = [
        Reason::Unspecified,
        Reason::Vacation,
        Reason::Travel,
        Reason::Sick,
        Reason::PublicHoliday,
    ];

    /// The wire and stored name (`public_holiday`).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unspecified => "unspecified",
            Reason::Vacation => "vacation",
            Reason::Travel => "travel",
            Reason::Sick => "sick",
            Reason::PublicHoliday => "public_holiday",
        }
    }

    /// The reason with this name, in any case.
    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
    }
}

/// One out-of-office entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfOffice {
    /// Row id.
    pub id: OutOfOfficeId,
    /// The tenant.
    pub org_id: OrgId,
    /// Who is away.
    pub user_id: UserId,
    /// When, half-open.
    pub span: Span,
    /// Why.
    pub reason: Reason,
    /// A note for the team.
    pub notes: Option<String>,
    /// The teammate invitees go to meanwhile.
    pub redirect_to: Option<UserId>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// Checks an entry as sent: a span that ends after it starts, and not
/// redirecting to its own user. Fields `end` and `toUserId`.
pub fn check(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    user: UserId,
    redirect_to: Option<UserId>,
) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if end <= start {
        issues.push(FieldIssue::new("end", "must be after start"));
    }
    if redirect_to == Some(user) {
        issues.push(FieldIssue::new(
            "toUserId",
            "must be someone else: invitees are sent there while you are away",
        ));
    }
    issues
}

/// `slots` without those that touch any of `away`.
pub fn without_away(slots: Vec<Span>, away: &[Span]) -> Vec<Span> {
    if away.is_empty() {
        return slots;
    }
    slots
        .into_iter()
        .filter(|slot| !away.iter().any(|a| a.overlaps(slot)))
        .collect()
}

/// The entry of `entries` that `span` falls into, if any (the first by start).
pub fn covering(entries: &[OutOfOffice], span: Span) -> Option<&OutOfOffice> {
    entries
        .iter()
        .filter(|e| e.span.overlaps(&span))
        .min_by_key(|e| e.span.start)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap()
    }

    fn span(from: (u32, u32), to: (u32, u32)) -> Span {
        Span::new(at(from.0, from.1), at(to.0, to.1))
    }

    #[test]
    fn slots_touching_an_absence_vanish() {
        let slots: Vec<Span> = (9..13).map(|h| span((h, 0), (h, 30))).collect();
        for (name, away, kept) in [
            ("none", vec![], vec![9, 10, 11, 12]),
            ("one hour", vec![span((10, 0), (11, 0))], vec![9, 11, 12]),
            (
                "ends as a slot starts",
                vec![span((8, 0), (9, 0))],
                vec![9, 10, 11, 12],
            ),
            (
                "starts inside a slot",
                vec![span((9, 15), (9, 45))],
                vec![10, 11, 12],
            ),
            (
                "two",
                vec![span((9, 0), (9, 30)), span((12, 29), (23, 0))],
                vec![10, 11],
            ),
        ] {
            let starts: Vec<u32> = without_away(slots.clone(), &away)
                .iter()
                .map(|s| chrono::Timelike::hour(&s.start))
                .collect();
            assert_eq!(starts, kept, "{name}");
        }
    }

    #[test]
    fn entries_are_checked() {
        let me = UserId(1);
        for (name, (start, end), to, expected) in [
            ("fine", (at(9, 0), at(10, 0)), Some(UserId(2)), vec![]),
            ("empty", (at(9, 0), at(9, 0)), None, vec!["end"]),
            ("inverted", (at(10, 0), at(9, 0)), None, vec!["end"]),
            (
                "to myself",
                (at(9, 0), at(10, 0)),
                Some(me),
                vec!["toUserId"],
            ),
        ] {
            let fields: Vec<String> = check(start, end, me, to)
                .into_iter()
                .map(|i| i.field)
                .collect();
            assert_eq!(fields, expected, "{name}");
        }
        assert_eq!(Reason::parse("PUBLIC_HOLIDAY"), Some(Reason::PublicHoliday));
        assert_eq!(Reason::parse("party"), None);
    }

    #[test]
    fn the_entry_a_meeting_falls_into() {
        let entry = |id, from, to| OutOfOffice {
            id: OutOfOfficeId(id),
            org_id: OrgId(1),
            user_id: UserId(1),
            span: span(from, to),
            reason: Reason::Vacation,
            notes: None,
            redirect_to: None,
            created_at: at(0, 0),
        };
        let entries = [entry(1, (12, 0), (18, 0)), entry(2, (8, 0), (10, 0))];
        assert_eq!(
            covering(&entries, span((9, 30), (10, 0))).map(|e| e.id.0),
            Some(2)
        );
        assert_eq!(
            covering(&entries, span((10, 0), (10, 30))).map(|e| e.id.0),
            None
        );
        assert_eq!(
            covering(&entries, span((9, 30), (12, 30))).map(|e| e.id.0),
            Some(2)
        );
    }
}
