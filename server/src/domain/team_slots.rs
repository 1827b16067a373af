//! A team event type's slots, from each host's own slots.
//!
//! Each host's slots come from the ordinary engine ([`super::slots::compute_slots`])
//! with that host's schedule, zone, bookings and buffers, so a team slot is exactly a
//! start every host it needs would accept on their own:
//! - COLLECTIVE: every host is free;
//! - ROUND_ROBIN: every fixed host is free, and at least one other host (when the type
//!   has any besides the fixed ones).
//!
//! The same merge answers "who is free when" for a team admin ([`pooled`]).

use super::ids::UserId;
use super::span::Span;
use super::team::SchedulingType;

/// One host's slots for the event type, sorted by start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSlots {
    /// The host.
    pub host: UserId,
    /// A fixed host (every collective host counts as one).
    pub fixed: bool,
    /// The slots the engine offers for them alone.
    pub slots: Vec<Span>,
}

/// A team slot with the hosts free at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledSlot {
    /// The meeting.
    pub span: Span,
    /// The fixed hosts and the round-robin hosts free then, in host order.
    pub free: Vec<UserId>,
}

/// The team's slots, sorted.
pub fn offered(kind: SchedulingType, hosts: &[HostSlots]) -> Vec<Span> {
    merge(kind, hosts, |span, _| span)
}

/// The team's slots, each with the hosts free at it.
pub fn pooled(kind: SchedulingType, hosts: &[HostSlots]) -> Vec<PooledSlot> {
    merge(kind, hosts, |span, free: &[usize]| PooledSlot {
        span,
        free: free.iter().map(|&i| hosts[i].host).collect(),
    })
}

/// Walks every host's slots in start order once and yields `emit(span, free host
/// indices)` for each start the scheduling type accepts. Cost: a sort of all host
/// slots, no per-slot allocation beyond one reused buffer.
fn merge<T>(
    kind: SchedulingType,
    hosts: &[HostSlots],
    mut emit: impl FnMut(Span, &[usize]) -> T,
) -> Vec<T> {
    let is_fixed = |h: &HostSlots| h.fixed || kind == SchedulingType::Collective;
    let fixed_total = hosts.iter().filter(|h| is_fixed(h)).count();
    let needs_rotating = hosts.iter().any(|h| !is_fixed(h));
    let mut all: Vec<(Span, usize)> = hosts
        .iter()
        .enumerate()
        .flat_map(|(i, h)| h.slots.iter().map(move |s| (*s, i)))
        .collect();
    all.sort_unstable();
    let mut out = Vec::new();
    let mut free = Vec::with_capacity(hosts.len());
    for group in all.chunk_by(|a, b| a.0 == b.0) {
        free.clear();
        free.extend(group.iter().map(|(_, i)| *i));
        let fixed_free = free.iter().filter(|&&i| is_fixed(&hosts[i])).count();
        let rotating_free = free.len() - fixed_free;
        if fixed_free == fixed_total && (!needs_rotating || rotating_free > 0) {
            out.push(emit(group[0].0, &free));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn at(hour: u32) -> Span {
        let start = Utc.with_ymd_and_hms(2026, 12, 7, hour, 0, 0).unwrap();
        Span::new(start, start + chrono::Duration::minutes(30))
    }

    fn host(id: i64, fixed: bool, hours: &[u32]) -> HostSlots {
        HostSlots {
            host: UserId(id),
            fixed,
            slots: hours.iter().map(|h| at(*h)).collect(),
        }
    }

    fn hours(spans: Vec<Span>) -> Vec<u32> {
        use chrono::Timelike;
        spans.iter().map(|s| s.start.hour()).collect()
    }

    #[test]
    fn table() {
        use SchedulingType::{Collective, RoundRobin};
        for (name, kind, hosts, expected) in [
            (
                "collective: only common time",
                Collective,
                vec![host(1, false, &[9, 10, 11]), host(2, false, &[10, 11, 12])],
                vec![10, 11],
            ),
            (
                "collective: one host busy all day",
                Collective,
                vec![host(1, false, &[9, 10]), host(2, false, &[])],
                vec![],
            ),
            (
                "round robin: anyone free",
                RoundRobin,
                vec![host(1, false, &[9, 10]), host(2, false, &[10, 12])],
                vec![9, 10, 12],
            ),
            (
                "round robin: the fixed host must be free",
                RoundRobin,
                vec![
                    host(1, false, &[9, 10]),
                    host(2, false, &[12]),
                    host(3, true, &[10, 12, 14]),
                ],
                vec![10, 12],
            ),
            (
                "round robin: only fixed hosts",
                RoundRobin,
                vec![host(1, true, &[9, 10]), host(2, true, &[10])],
                vec![10],
            ),
            ("no hosts", RoundRobin, vec![], vec![]),
        ] {
            assert_eq!(hours(offered(kind, &hosts)), expected, "{name}");
        }
    }

    #[test]
    fn pooled_lists_who_is_free() {
        let hosts = [
            host(1, false, &[9, 10]),
            host(2, false, &[10]),
            host(3, true, &[9, 10, 11]),
        ];
        let pooled = pooled(SchedulingType::RoundRobin, &hosts);
        assert_eq!(
            pooled,
            vec![
                PooledSlot {
                    span: at(9),
                    free: vec![UserId(1), UserId(3)]
                },
                PooledSlot {
                    span: at(10),
                    free: vec![UserId(1), UserId(2), UserId(3)]
                },
            ]
        );
    }
}
