//! Half-open UTC intervals and the set operations the slot engine is built
//! from.
//!
//! Everything the scheduler reasons about (availability, bookings, buffers,
//! slots) is a set of instants; keeping them half-open makes back-to-back
//! meetings touch without overlapping, which is the rule calendar users expect.

use chrono::{DateTime, Utc};

/// Half-open UTC interval [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First instant inside the span.
    pub start: DateTime<Utc>,
    /// First instant after the span.
    pub end: DateTime<Utc>,
}

impl Span {
    /// Builds `[start, end)`. An inverted span is a caller bug, caught in
    /// debug builds; release builds treat it as empty.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Span {
        debug_assert!(start <= end, "span start {start} is after its end {end}");
        Span { start, end }
    }

    /// Whether the two spans share at least one instant. Touching spans
    /// (`a.end == b.start`) do not overlap, and an empty span overlaps
    /// nothing, so a zero-length booking never blocks a slot.
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start.max(other.start) < self.end.min(other.end)
    }

    /// Whether `other` lies entirely within `self`.
    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Whether the span holds no instant at all.
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    /// Length in whole minutes (truncated), the unit limits are counted in.
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }

    /// The instants both spans share, or `None` when they do not overlap.
    pub fn intersection(&self, other: &Span) -> Option<Span> {
        self.overlaps(other)
            .then(|| Span::new(self.start.max(other.start), self.end.min(other.end)))
    }
}

/// Sort and merge overlapping or touching spans.
///
/// Empty spans are dropped: they hold no time, and keeping them would break
/// the "no empty spans" guarantee callers of [`subtract`] rely on.
pub fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|span| !span.is_empty());
    spans.sort_unstable();
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    merged
}

/// `base` (sorted, disjoint) minus `holes` (any order); result sorted,
/// disjoint, no empty spans.
///
/// Runs as a single sweep after sorting the holes, so subtracting hundreds of
/// bookings from weeks of availability stays linear.
pub fn subtract(base: &[Span], holes: &[Span]) -> Vec<Span> {
    let holes = merge(holes.to_vec());
    let mut result = Vec::with_capacity(base.len());
    let mut first_relevant = 0;
    for span in base {
        // Holes ending before this span cannot touch any later span either.
        while holes
            .get(first_relevant)
            .is_some_and(|hole| hole.end <= span.start)
        {
            first_relevant += 1;
        }
        let mut cursor = span.start;
        for hole in holes[first_relevant..]
            .iter()
            .take_while(|hole| hole.start < span.end)
        {
            if cursor < hole.start {
                result.push(Span::new(cursor, hole.start));
            }
            cursor = cursor.max(hole.end);
        }
        if cursor < span.end {
            result.push(Span::new(cursor, span.end));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Minutes after 2026-01-05 00:00Z: compact, readable table rows.
    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap() + chrono::TimeDelta::minutes(minute)
    }

    fn s(start: i64, end: i64) -> Span {
        Span::new(at(start), at(end))
    }

    #[test]
    fn overlaps_is_half_open() {
        #[rustfmt::skip]
        let cases = [
            ("disjoint", s(0, 10), s(20, 30), false),
            ("touching does not overlap", s(0, 10), s(10, 20), false),
            ("touching the other way", s(10, 20), s(0, 10), false),
            ("partial overlap", s(0, 10), s(5, 15), true),
            ("nested", s(0, 30), s(10, 20), true),
            ("identical", s(0, 10), s(0, 10), true),
            ("empty inside other overlaps nothing", s(0, 30), s(10, 10), false),
            ("empty against empty", s(10, 10), s(10, 10), false),
        ];
        for (name, a, b, expected) in cases {
            assert_eq!(a.overlaps(&b), expected, "{name}");
            assert_eq!(b.overlaps(&a), expected, "{name} (swapped)");
        }
    }

    #[test]
    fn contains_includes_edges() {
        #[rustfmt::skip]
        let cases = [
            ("same span", s(0, 10), s(0, 10), true),
            ("strictly inside", s(0, 10), s(2, 8), true),
            ("sticks out at the end", s(0, 10), s(5, 11), false),
            ("sticks out at the start", s(5, 10), s(4, 8), false),
            ("empty at the end edge", s(0, 10), s(10, 10), true),
            ("disjoint", s(0, 10), s(20, 30), false),
        ];
        for (name, outer, inner, expected) in cases {
            assert_eq!(outer.contains(&inner), expected, "{name}");
        }
    }

    #[test]
    fn length_and_emptiness() {
        #[rustfmt::skip]
        let cases = [
            ("empty", s(5, 5), true, 0),
            ("half hour", s(0, 30), false, 30),
            ("a day", s(0, 1440), false, 1440),
        ];
        for (name, span, empty, minutes) in cases {
            assert_eq!(span.is_empty(), empty, "{name}");
            assert_eq!(span.minutes(), minutes, "{name}");
        }
    }

    #[test]
    fn intersection_clips_or_is_none() {
        #[rustfmt::skip]
        let cases = [
            ("partial", s(0, 10), s(5, 15), Some(s(5, 10))),
            ("nested", s(0, 30), s(10, 20), Some(s(10, 20))),
            ("touching", s(0, 10), s(10, 20), None),
            ("disjoint", s(0, 10), s(20, 30), None),
        ];
        for (name, a, b, expected) in cases {
            assert_eq!(a.intersection(&b), expected, "{name}");
        }
    }

    #[test]
    fn merge_sorts_and_joins() {
        #[rustfmt::skip]
        let cases = [
            ("nothing", vec![], vec![]),
            ("unsorted disjoint", vec![s(20, 30), s(0, 10)], vec![s(0, 10), s(20, 30)]),
            ("touching join", vec![s(10, 20), s(0, 10)], vec![s(0, 20)]),
            ("overlapping join", vec![s(0, 15), s(10, 20)], vec![s(0, 20)]),
            ("nested swallowed", vec![s(0, 30), s(5, 10)], vec![s(0, 30)]),
            ("chain", vec![s(0, 5), s(20, 25), s(4, 21)], vec![s(0, 25)]),
            ("empty dropped", vec![s(5, 5), s(10, 20)], vec![s(10, 20)]),
            ("duplicates", vec![s(0, 10), s(0, 10)], vec![s(0, 10)]),
        ];
        for (name, input, expected) in cases {
            assert_eq!(merge(input), expected, "{name}");
        }
    }

    #[test]
    fn subtract_cuts_holes() {
        #[rustfmt::skip]
        let cases = [
            ("no holes", vec![s(0, 60)], vec![], vec![s(0, 60)]),
            ("hole in the middle", vec![s(0, 60)], vec![s(20, 30)], vec![s(0, 20), s(30, 60)]),
            ("hole covers start", vec![s(10, 60)], vec![s(0, 20)], vec![s(20, 60)]),
            ("hole covers end", vec![s(0, 60)], vec![s(50, 70)], vec![s(0, 50)]),
            ("hole covers all", vec![s(10, 20)], vec![s(0, 30)], vec![]),
            ("touching holes do nothing", vec![s(10, 20)], vec![s(0, 10), s(20, 30)], vec![s(10, 20)]),
            ("unsorted holes", vec![s(0, 60)], vec![s(40, 50), s(10, 20)], vec![s(0, 10), s(20, 40), s(50, 60)]),
            ("one hole spans two bases", vec![s(0, 10), s(20, 30)], vec![s(5, 25)], vec![s(0, 5), s(25, 30)]),
            ("overlapping holes", vec![s(0, 60)], vec![s(10, 30), s(20, 40)], vec![s(0, 10), s(40, 60)]),
            ("empty hole ignored", vec![s(0, 60)], vec![s(30, 30)], vec![s(0, 60)]),
            ("empty base dropped", vec![s(5, 5)], vec![], vec![]),
            ("holes before and after", vec![s(20, 30)], vec![s(0, 5), s(40, 50)], vec![s(20, 30)]),
        ];
        for (name, base, holes, expected) in cases {
            assert_eq!(subtract(&base, &holes), expected, "{name}");
        }
    }
}
