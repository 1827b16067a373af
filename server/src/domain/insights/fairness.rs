//! A round-robin type's distribution, for an admin auditing it: each rotating host's
//! share of the bookings of a period against the share their weight asks for. Raw
//! shares: a host away part of the period is owed less than their weight share (the
//! rotation credits absences, see `round_robin`), so a deviation is a question to ask,
//! not proof of unfairness.

use std::collections::HashMap;

use crate::domain::ids::UserId;

/// One host's line of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct HostShare {
    /// The host.
    pub user_id: UserId,
    /// Their weight on the event type.
    pub weight: u32,
    /// Bookings they took in the period.
    pub bookings: u64,
    /// Their part of the period's bookings, 0–1 (0 when there were none).
    pub share: f64,
    /// Their weight over the hosts' total weight, 0–1.
    pub weight_share: f64,
    /// How far `share` is from `weight_share`, relative to it: 0.1 is 10% more than
    /// due, -0.1 10% less; `None` when the period had no bookings.
    pub deviation: Option<f64>,
}

/// The table for `hosts` (each with their weight) given each one's `bookings`, in the
/// order of `hosts`; a host missing from `bookings` took none.
pub fn shares(hosts: &[(UserId, u32)], bookings: &HashMap<UserId, u64>) -> Vec<HostShare> {
    let total_weight: u64 = hosts.iter().map(|(_, w)| u64::from(*w)).sum();
    let total: u64 = hosts
        .iter()
        .map(|(h, _)| bookings.get(h).copied().unwrap_or(0))
        .sum();
    hosts
        .iter()
        .map(|&(user_id, weight)| {
            let taken = bookings.get(&user_id).copied().unwrap_or(0);
            let weight_share = ratio(u64::from(weight), total_weight);
            let share = ratio(taken, total);
            HostShare {
                user_id,
                weight,
                bookings: taken,
                share,
                weight_share,
                deviation: (total > 0 && weight_share > 0.0)
                    .then(|| (share - weight_share) / weight_share),
            }
        })
        .collect()
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line as compared: bookings, share, weight share, deviation.
    type Line = (u64, f64, f64, Option<f64>);
    /// Hosts with weights, bookings taken, the lines expected.
    type Case = (&'static [(i64, u32)], &'static [(i64, u64)], Vec<Line>);

    fn table(hosts: &[(i64, u32)], taken: &[(i64, u64)]) -> Vec<Line> {
        let hosts: Vec<(UserId, u32)> = hosts.iter().map(|&(h, w)| (UserId(h), w)).collect();
        let taken: HashMap<UserId, u64> = taken.iter().map(|&(h, n)| (UserId(h), n)).collect();
        shares(&hosts, &taken)
            .into_iter()
            .map(|s| (s.bookings, s.share, s.weight_share, s.deviation))
            .collect()
    }

    #[test]
    fn shares_are_set_against_weights() {
        let cases: [Case; 3] = [
            // Exactly as weighted: no deviation.
            (
                &[(1, 1), (2, 2), (3, 1)],
                &[(1, 25), (2, 50), (3, 25)],
                vec![
                    (25, 0.25, 0.25, Some(0.0)),
                    (50, 0.5, 0.5, Some(0.0)),
                    (25, 0.25, 0.25, Some(0.0)),
                ],
            ),
            // Equal weights, one host took 60%: 20% over, the other 20% under; a host
            // without bookings is listed with none.
            (
                &[(1, 1), (2, 1)],
                &[(1, 6), (2, 4), (9, 5)],
                vec![(6, 0.6, 0.5, Some(0.2)), (4, 0.4, 0.5, Some(-0.2))],
            ),
            // No bookings: no deviation to speak of.
            (
                &[(1, 1), (2, 3)],
                &[],
                vec![(0, 0.0, 0.25, None), (0, 0.0, 0.75, None)],
            ),
        ];
        for (hosts, taken, expected) in cases {
            let got = table(hosts, taken);
            assert_eq!(got.len(), expected.len());
            for (g, e) in got.iter().zip(&expected) {
                assert_eq!(g.0, e.0);
                assert!(
                    (g.1 - e.1).abs() < 1e-9 && (g.2 - e.2).abs() < 1e-9,
                    "{g:?} vs {e:?}"
                );
                match (g.3, e.3) {
                    (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{g:?} vs {e:?}"),
                    (a, b) => assert_eq!(a, b),
                }
            }
        }
    }
}
