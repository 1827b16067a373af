//! Which round-robin host gets a booking.
//!
//! Among the hosts free at the slot, the highest priority level goes first. Within a
//! level hosts take turns in rounds: in each round a host of weight `w` gets `w`
//! bookings. A host's round is its counted bookings over its weight (whole rounds
//! done); the host in the lowest round goes; a host part-way through its round
//! finishes its turns before the others start theirs; otherwise the least recently
//! booked goes.
//!
//! Fairness is over the slots a host could take: at each booked slot, a host's due
//! share is its weight over the weight of the hosts free then. A host who could not
//! take a slot (busy, away, outside their hours) is credited the share it would have
//! been due ([`absence_credits`]) and the credit counts as bookings, so coming back
//! it takes its turn with the others rather than catching up on what it missed.
//!
//! "Bookings" counts this event type's live bookings of the host, which is where the
//! weights apply; "last booked" is the host's latest booking of any kind, so someone
//! busy with other meetings waits. Both product-brief examples follow exactly
//! (see the tests): the hosts there had been booked before, but not for this type.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};

use super::ids::UserId;
use super::team::Priority;

/// Credits are kept in millionths of a booking, so they add up exactly as integers.
pub const CREDIT_UNIT: u64 = 1_000_000;

/// A host free at the slot being booked, with what the choice depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The host.
    pub user_id: UserId,
    /// Their priority on this event type.
    pub priority: Priority,
    /// Their weight on this event type (at least 1).
    pub weight: u32,
    /// Their live bookings of this event type.
    pub bookings: u64,
    /// Their credit for slots of this type booked while they could not take them, in
    /// [`CREDIT_UNIT`]s.
    pub credit: u64,
    /// When they were last booked (any event type); `None` if never.
    pub last_booked: Option<DateTime<Utc>>,
}

impl Candidate {
    /// Orders candidates: the smallest key gets the booking.
    fn key(&self) -> (Reverse<Priority>, u64, bool, Option<DateTime<Utc>>, UserId) {
        let per_round = u64::from(self.weight.max(1)) * CREDIT_UNIT;
        let counted = self.bookings * CREDIT_UNIT + self.credit;
        let round = counted / per_round;
        // At least one whole booking into the round: a credit alone starts no turn.
        let part_way = counted % per_round >= CREDIT_UNIT;
        (
            Reverse(self.priority),
            round,
            !part_way,
            self.last_booked,
            self.user_id,
        )
    }
}

/// The host who gets the booking, or `None` when nobody is free. Ties left after the
/// rules fall to the lowest user id, so the choice is deterministic.
pub fn choose(candidates: &[Candidate]) -> Option<UserId> {
    candidates.iter().min_by_key(|c| c.key()).map(|c| c.user_id)
}

/// A round-robin host of the event type who could not take the slot being booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Absent {
    /// The host.
    pub user_id: UserId,
    /// Their priority on this event type.
    pub priority: Priority,
    /// Their weight on this event type (at least 1).
    pub weight: u32,
}

/// What each absent host is credited once `chosen` gets the slot among `free`: its
/// weight over the weight that was free at the chosen priority level, which is the
/// share of the slot it would have been due. Only that level shares a slot (a lower
/// level would not have had it, a higher one would have had all of it), so only absent
/// hosts of that level are credited.
pub fn absence_credits(
    free: &[Candidate],
    chosen: UserId,
    absent: &[Absent],
) -> Vec<(UserId, u64)> {
    let Some(level) = free
        .iter()
        .find(|c| c.user_id == chosen)
        .map(|c| c.priority)
    else {
        return Vec::new();
    };
    let free_weight: u64 = free
        .iter()
        .filter(|c| c.priority == level)
        .map(|c| u64::from(c.weight.max(1)))
        .sum();
    absent
        .iter()
        .filter(|a| a.priority == level)
        .map(|a| {
            (
                a.user_id,
                u64::from(a.weight.max(1)) * CREDIT_UNIT / free_weight,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn host(id: i64, weight: u32, last_booked: Duration) -> Candidate {
        Candidate {
            user_id: UserId(id),
            priority: Priority::Medium,
            weight,
            bookings: 0,
            credit: 0,
            last_booked: Some(now() - last_booked),
        }
    }

    /// Books `count` times in a row with everyone free; the names chosen.
    fn run(mut hosts: Vec<Candidate>, names: &[&str], count: usize) -> Vec<String> {
        (0..count)
            .map(|i| {
                let chosen = choose(&hosts).expect("someone is free");
                let h = hosts.iter_mut().find(|h| h.user_id == chosen).unwrap();
                h.bookings += 1;
                h.last_booked = Some(now() + Duration::minutes(i as i64));
                names[chosen.0 as usize].to_string()
            })
            .collect()
    }

    const NAMES: [&str; 3] = ["Alice", "Bob", "Carol"];

    #[test]
    fn first_worked_example() {
        let hosts = vec![
            host(0, 1, Duration::hours(1)),
            host(1, 2, Duration::days(2)),
            host(2, 1, Duration::weeks(1)),
        ];
        assert_eq!(
            run(hosts, &NAMES, 6),
            ["Carol", "Bob", "Bob", "Alice", "Carol", "Bob"]
        );
    }

    #[test]
    fn second_worked_example() {
        let hosts = vec![
            host(0, 1, Duration::days(2)),
            host(1, 2, Duration::hours(5)),
            host(2, 1, Duration::weeks(1)),
        ];
        assert_eq!(run(hosts, &NAMES, 4), ["Carol", "Alice", "Bob", "Bob"]);
    }

    #[test]
    fn table() {
        let base = host(1, 1, Duration::hours(1));
        let with = |f: fn(&mut Candidate)| {
            let mut c = base;
            f(&mut c);
            c
        };
        for (name, other, winner) in [
            (
                "higher priority beats fewer bookings",
                with(|c| {
                    c.user_id = UserId(2);
                    c.priority = Priority::High;
                    c.bookings = 9
                }),
                2,
            ),
            (
                "lower priority waits",
                with(|c| {
                    c.user_id = UserId(2);
                    c.priority = Priority::Low;
                    c.last_booked = None
                }),
                1,
            ),
            (
                "an earlier round goes first",
                with(|c| {
                    c.user_id = UserId(2);
                    c.bookings = 1
                }),
                1,
            ),
            (
                "weight 2 is still in its first round",
                with(|c| {
                    c.user_id = UserId(2);
                    c.weight = 2;
                    c.bookings = 1
                }),
                2,
            ),
            (
                "never booked goes before booked",
                with(|c| {
                    c.user_id = UserId(2);
                    c.last_booked = None
                }),
                2,
            ),
            (
                "least recently booked goes",
                with(|c| {
                    c.user_id = UserId(2);
                    c.last_booked = Some(now() - Duration::days(3))
                }),
                2,
            ),
            (
                "a full tie goes to the lowest id",
                with(|c| c.user_id = UserId(2)),
                1,
            ),
        ] {
            assert_eq!(choose(&[base, other]), Some(UserId(winner)), "{name}");
        }
        assert_eq!(choose(&[]), None);
    }

    /// A small deterministic generator, so the test needs no dependency and
    /// always sees the same availability.
    struct Lcg(u64);

    impl Lcg {
        fn chance(&mut self, percent: u64) -> bool {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % 100 < percent
        }
    }

    /// Books one slot among `free` (indices into `hosts`): the chosen host's booking
    /// and the absent hosts' credits, as the booking path records them.
    fn book_one(hosts: &mut [Candidate], free: &[usize], at: DateTime<Utc>) -> Option<usize> {
        let candidates: Vec<Candidate> = free.iter().map(|&i| hosts[i]).collect();
        let chosen = choose(&candidates)?;
        let absent: Vec<Absent> = hosts
            .iter()
            .filter(|h| !candidates.iter().any(|c| c.user_id == h.user_id))
            .map(|h| Absent {
                user_id: h.user_id,
                priority: h.priority,
                weight: h.weight,
            })
            .collect();
        for (user, credit) in absence_credits(&candidates, chosen, &absent) {
            hosts[user.0 as usize].credit += credit;
        }
        let h = &mut hosts[chosen.0 as usize];
        h.bookings += 1;
        h.last_booked = Some(at);
        Some(chosen.0 as usize)
    }

    /// Over 1,000 bookings where each host is free at random (a share of the slots from
    /// 20% to 90%), every host gets within 10% of what it was due among the slots it
    /// could take: at each booked slot, its weight over the weight of the hosts free then.
    #[test]
    fn shares_follow_weights_among_the_slots_each_host_could_take() {
        let weights = [1u32, 2, 3, 1, 5, 2];
        for (seed, free_percent) in (1..=6u64).zip([20, 40, 60, 60, 80, 90]) {
            let mut rng = Lcg(seed);
            let mut hosts: Vec<Candidate> = weights
                .iter()
                .enumerate()
                .map(|(i, w)| host(i as i64, *w, Duration::hours(i as i64)))
                .collect();
            let mut due = vec![0f64; hosts.len()];
            let mut booked = 0u64;
            while booked < 1000 {
                let free: Vec<usize> = (0..hosts.len())
                    .filter(|_| rng.chance(free_percent))
                    .collect();
                let at = now() + Duration::minutes(booked as i64);
                if book_one(&mut hosts, &free, at).is_none() {
                    continue;
                }
                let free_weight: u32 = free.iter().map(|&i| weights[i]).sum();
                for &i in &free {
                    due[i] += f64::from(weights[i]) / f64::from(free_weight);
                }
                booked += 1;
            }
            for (i, h) in hosts.iter().enumerate() {
                let got = h.bookings as f64;
                assert!(
                    (got / due[i] - 1.0).abs() <= 0.10,
                    "seed {seed}, free {free_percent}%: host {i} (weight {}) got {got} bookings, due {:.1}",
                    weights[i],
                    due[i]
                );
            }
        }
    }

    /// A host away for a stretch does not come back to a run of catch-up bookings: it
    /// takes its turn with the others at once, and the one who covered gets no fewer.
    #[test]
    fn a_host_back_from_away_takes_turns_instead_of_catching_up() {
        let mut hosts = vec![
            host(0, 1, Duration::hours(1)),
            host(1, 1, Duration::hours(2)),
        ];
        for minute in 0..10 {
            book_one(&mut hosts, &[1], now() + Duration::minutes(minute));
        }
        let after: Vec<usize> = (10..16)
            .filter_map(|minute| book_one(&mut hosts, &[0, 1], now() + Duration::minutes(minute)))
            .collect();
        assert_eq!(after, [0, 1, 0, 1, 0, 1]);
    }

    #[test]
    fn absent_hosts_are_credited_their_share_of_the_free_weight_at_the_chosen_level() {
        let free = [
            host(1, 1, Duration::hours(1)),
            host(2, 3, Duration::hours(1)),
            Candidate {
                priority: Priority::Low,
                ..host(3, 4, Duration::hours(1))
            },
        ];
        let away = |id, weight, priority| Absent {
            user_id: UserId(id),
            priority,
            weight,
        };
        let credits = absence_credits(
            &free,
            UserId(2),
            &[
                away(4, 2, Priority::Medium),
                away(5, 1, Priority::Low),
                away(6, 1, Priority::High),
            ],
        );
        assert_eq!(credits, [(UserId(4), CREDIT_UNIT / 2)]);
        assert_eq!(
            absence_credits(&free, UserId(9), &[away(4, 2, Priority::Medium)]),
            []
        );
    }
}
