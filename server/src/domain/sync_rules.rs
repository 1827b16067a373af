//! The rules under which a provider's change reaches a Convene booking (DESIGN.md's
//! "sync rules"): a meeting that is over is history and not rewritten; a change older
//! than one already applied (deliveries arrive out of order) is stale; and at most two
//! changes a minute reach one booking, which cuts off two systems echoing each other's
//! updates. Whether the booking is Convene's at all is the link's business: unlinked
//! objects never get here.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Changes applied to one provider object per [`WINDOW`], at most.
pub const MAX_UPDATES_PER_WINDOW: u32 = 2;

/// The window [`MAX_UPDATES_PER_WINDOW`] counts in.
pub const WINDOW: Duration = Duration::minutes(1);

/// What a provider's change asks of the booking it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Wanted {
    /// Cancelled, for this reason if the provider gave one.
    Cancelled {
        /// The provider's reason.
        reason: Option<String>,
    },
    /// Live, starting at this UTC millisecond (the length is the booking's own).
    At {
        /// The new start.
        start_ms: i64,
    },
    /// Titled so.
    Titled {
        /// The new title.
        title: String,
    },
}

impl Wanted {
    /// Which side of a booking the change is about: a newer change about the same side
    /// replaces an older one still waiting, while a title change never replaces a move.
    pub fn aspect(&self) -> Aspect {
        match self {
            Wanted::Cancelled { .. } | Wanted::At { .. } => Aspect::Time,
            Wanted::Titled { .. } => Aspect::Title,
        }
    }
}

/// The side of a booking a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aspect {
    /// When it is, or whether it is at all.
    Time,
    /// What it is called.
    Title,
}

impl Aspect {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Time => "time",
            Aspect::Title => "title",
        }
    }
}

/// Attempts a change gets before the team's admins are told it could not be applied:
/// the first and three retries.
pub const MAX_ATTEMPTS: u32 = 4;

/// When a change that failed its `attempt`-th time (from 1) is tried again, or `None`
/// when it has had all its attempts.
pub fn retry_delay(attempt: u32) -> Option<std::time::Duration> {
    const AFTER: [u64; 3] = [10, 60, 300];
    (attempt < MAX_ATTEMPTS).then(|| {
        let index = (attempt as usize).saturating_sub(1).min(AFTER.len() - 1);
        std::time::Duration::from_secs(AFTER[index])
    })
}

/// When a change judged [`Verdict::TooFrequent`] may be applied: as the window ends.
pub fn window_end(link: &LinkState, now: DateTime<Utc>) -> DateTime<Utc> {
    link.window_start.map_or(now, |start| start + WINDOW)
}

/// What is remembered of the changes applied to one linked provider object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkState {
    /// The provider's own last-modified time of the newest change applied.
    pub provider_updated: Option<DateTime<Utc>>,
    /// When the current counting window began.
    pub window_start: Option<DateTime<Utc>>,
    /// Changes applied since `window_start`.
    pub updates_in_window: u32,
}

/// Whether a change may be applied, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Apply it.
    Apply,
    /// The booking has ended: history is not rewritten.
    Ended,
    /// The provider already told us of a newer state.
    Stale,
    /// Two changes already reached this booking in the last minute.
    TooFrequent,
}

impl Verdict {
    /// Why a change was skipped, in words; `None` for [`Verdict::Apply`].
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Verdict::Apply => None,
            Verdict::Ended => Some("the meeting is over"),
            Verdict::Stale => Some("a newer change was already applied"),
            Verdict::TooFrequent => Some("two changes already reached it this minute"),
        }
    }
}

/// Judges a change to a booking ending at `booking_end`, made at the provider at
/// `changed_at` (when the provider says), given what `link` remembers.
pub fn judge(
    link: &LinkState,
    booking_end: DateTime<Utc>,
    changed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Verdict {
    if booking_end <= now {
        return Verdict::Ended;
    }
    if let (Some(changed), Some(newest)) = (changed_at, link.provider_updated)
        && changed < newest
    {
        return Verdict::Stale;
    }
    let window_open = link.window_start.is_some_and(|start| now - start < WINDOW);
    if window_open && link.updates_in_window >= MAX_UPDATES_PER_WINDOW {
        return Verdict::TooFrequent;
    }
    Verdict::Apply
}

/// What `link` remembers once a change made at `changed_at` has been applied at `now`.
pub fn applied(
    link: &LinkState,
    changed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> LinkState {
    let window_open = link.window_start.is_some_and(|start| now - start < WINDOW);
    LinkState {
        provider_updated: link.provider_updated.max(changed_at),
        window_start: if window_open {
            link.window_start
        } else {
            Some(now)
        },
        updates_in_window: if window_open {
            link.updates_in_window + 1
        } else {
            1
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64, second: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
            + Duration::minutes(minute)
            + Duration::seconds(second)
    }

    #[test]
    fn changes_are_judged_by_the_rules_in_order() {
        let fresh = LinkState::default();
        let busy = LinkState {
            provider_updated: Some(at(0, 10)),
            window_start: Some(at(0, 0)),
            updates_in_window: 2,
        };
        let later = at(60, 0);
        let cases = [
            (
                "a fresh link, a future meeting",
                fresh,
                later,
                None,
                at(0, 30),
                Verdict::Apply,
            ),
            (
                "the meeting ended",
                fresh,
                at(0, 0),
                None,
                at(0, 30),
                Verdict::Ended,
            ),
            (
                "the meeting ends right now",
                fresh,
                at(0, 30),
                None,
                at(0, 30),
                Verdict::Ended,
            ),
            (
                "older than what was applied",
                busy,
                later,
                Some(at(0, 5)),
                at(5, 0),
                Verdict::Stale,
            ),
            (
                "as new as what was applied",
                busy,
                later,
                Some(at(0, 10)),
                at(5, 0),
                Verdict::Apply,
            ),
            (
                "a third change in the minute",
                busy,
                later,
                Some(at(0, 20)),
                at(0, 59),
                Verdict::TooFrequent,
            ),
            (
                "the minute has passed",
                busy,
                later,
                Some(at(0, 20)),
                at(1, 0),
                Verdict::Apply,
            ),
            (
                "no provider time: not stale",
                busy,
                later,
                None,
                at(2, 0),
                Verdict::Apply,
            ),
        ];
        for (name, link, end, changed, now, expected) in cases {
            assert_eq!(judge(&link, end, changed, now), expected, "{name}");
        }
    }

    #[test]
    fn a_failed_change_is_retried_three_times_with_growing_waits() {
        let waits: Vec<_> = (1..=5).map(retry_delay).collect();
        assert_eq!(
            waits,
            vec![
                Some(std::time::Duration::from_secs(10)),
                Some(std::time::Duration::from_secs(60)),
                Some(std::time::Duration::from_secs(300)),
                None,
                None,
            ]
        );
    }

    #[test]
    fn a_coalesced_change_waits_for_the_window_to_end() {
        let busy = LinkState {
            provider_updated: None,
            window_start: Some(at(0, 10)),
            updates_in_window: 2,
        };
        assert_eq!(window_end(&busy, at(0, 30)), at(1, 10));
        assert_eq!(window_end(&LinkState::default(), at(0, 30)), at(0, 30));
    }

    #[test]
    fn moves_and_cancellations_are_one_aspect_titles_another() {
        let aspects = [
            Wanted::Cancelled { reason: None }.aspect(),
            Wanted::At { start_ms: 0 }.aspect(),
            Wanted::Titled { title: "x".into() }.aspect(),
        ];
        assert_eq!(aspects, [Aspect::Time, Aspect::Time, Aspect::Title]);
    }

    #[test]
    fn applying_counts_within_the_window_and_restarts_it_after() {
        let first = applied(&LinkState::default(), Some(at(0, 1)), at(0, 2));
        assert_eq!(
            first,
            LinkState {
                provider_updated: Some(at(0, 1)),
                window_start: Some(at(0, 2)),
                updates_in_window: 1,
            }
        );
        let second = applied(&first, None, at(0, 40));
        assert_eq!(second.updates_in_window, 2);
        assert_eq!(
            second.provider_updated,
            Some(at(0, 1)),
            "kept when the change has no time"
        );
        assert_eq!(
            judge(&second, at(90, 0), None, at(0, 50)),
            Verdict::TooFrequent
        );
        let third = applied(&second, Some(at(1, 5)), at(1, 10));
        assert_eq!(third.window_start, Some(at(1, 10)));
        assert_eq!(third.updates_in_window, 1);
    }
}
