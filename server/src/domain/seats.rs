//! Seated event types: one booking of a slot holds up to N invitees, each with their
//! own seat. The slot stays on offer until every seat is taken, and by default an
//! invitee sees only their own seat, not who else is coming.

use super::booking::Attendee;
use super::span::Span;
use super::validate::FieldIssue;

/// The most seats one slot may have.
pub const MAX_SEATS: u32 = 1000;

/// An event type's seat policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seats {
    /// How many invitees one slot holds.
    pub per_time_slot: u32,
    /// Whether invitees see each other on the booking.
    pub show_attendees: bool,
}

impl Seats {
    /// A policy of `per_time_slot` seats, which must be between 1 and [`MAX_SEATS`].
    pub fn new(per_time_slot: i64, show_attendees: bool) -> Result<Seats, String> {
        u32::try_from(per_time_slot)
            .ok()
            .filter(|n| (1..=MAX_SEATS).contains(n))
            .map(|per_time_slot| Seats {
                per_time_slot,
                show_attendees,
            })
            .ok_or_else(|| format!("must be between 1 and {MAX_SEATS}"))
    }
}

/// Event type options that do not go with seats: a seated slot is shared, so a host
/// cannot confirm it invitee by invitee, and a team type picks its host per booking.
pub fn check_options(
    seats: Option<Seats>,
    requires_confirmation: bool,
    team: bool,
) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if seats.is_none() {
        return issues;
    }
    if requires_confirmation {
        issues.push(FieldIssue::new(
            "seats",
            "a seated event type cannot require confirmation",
        ));
    }
    if team {
        issues.push(FieldIssue::new(
            "seats",
            "seats are offered on personal event types only",
        ));
    }
    issues
}

/// How full one seated slot is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatCount {
    /// Seats taken.
    pub booked: u32,
    /// Seats the slot has.
    pub total: u32,
}

impl SeatCount {
    /// Seats still free.
    pub fn remaining(&self) -> u32 {
        self.total.saturating_sub(self.booked)
    }
}

/// A live seated booking: its meeting and how many seats it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenSeats {
    /// The meeting.
    pub span: Span,
    /// Seats taken.
    pub booked: u32,
}

/// A slot as offered, with its seats when the event type is seated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferedSlot {
    /// The meeting it would be.
    pub span: Span,
    /// Seats taken and total; `None` for an unseated event type.
    pub seats: Option<SeatCount>,
}

/// The slots of a seated event type: the free slots (no seat taken yet) plus every
/// seated booking that still has a seat and whose time is still bookable
/// (`bookable`), in start order. A full booking is not offered; its time was already
/// left out of `free`, as every booking's is.
pub fn offer(
    free: Vec<Span>,
    seated: &[OpenSeats],
    total: u32,
    bookable: impl Fn(&Span) -> bool,
) -> Vec<OfferedSlot> {
    let mut offered: Vec<OfferedSlot> = free
        .into_iter()
        .map(|span| OfferedSlot {
            span,
            seats: Some(SeatCount { booked: 0, total }),
        })
        .chain(
            seated
                .iter()
                .filter(|s| s.booked < total && bookable(&s.span))
                .map(|s| OfferedSlot {
                    span: s.span,
                    seats: Some(SeatCount {
                        booked: s.booked,
                        total,
                    }),
                }),
        )
        .collect();
    offered.sort_by_key(|s| (s.span.start, s.span.end));
    offered.dedup_by_key(|s| s.span.start);
    offered
}

/// Who is looking at a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer<'a> {
    /// The host or a member of the host's organization.
    Host,
    /// The holder of one seat.
    Seat(&'a str),
    /// Someone holding only the booking's uid.
    Anonymous,
}

/// Whether `attendees` are the seats of a seated booking.
pub fn is_seated(attendees: &[Attendee]) -> bool {
    attendees.iter().any(|a| a.seat_uid.is_some())
}

/// The attendees `viewer` may see on a booking. Everyone sees all of an unseated
/// booking's attendees; the host sees every seat; others see every seat when the event
/// type shows attendees (`show_attendees`), else a seat holder only their own and an
/// anonymous viewer nobody. Only the host and a seat's holder see its seat uid, the
/// handle that cancels it.
pub fn visible_attendees(
    attendees: &[Attendee],
    show_attendees: bool,
    viewer: Viewer,
) -> Vec<Attendee> {
    if !is_seated(attendees) || viewer == Viewer::Host {
        return attendees.to_vec();
    }
    let own =
        |a: &Attendee| matches!(viewer, Viewer::Seat(uid) if a.seat_uid.as_deref() == Some(uid));
    attendees
        .iter()
        .filter(|a| show_attendees || own(a))
        .map(|a| Attendee {
            seat_uid: a.seat_uid.clone().filter(|_| own(a)),
            ..a.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use chrono_tz::Tz;

    fn at(hour: u32) -> Span {
        let start = Utc.with_ymd_and_hms(2027, 3, 1, hour, 0, 0).unwrap();
        Span::new(start, start + chrono::Duration::minutes(30))
    }

    fn attendee(name: &str, seat: Option<&str>) -> Attendee {
        Attendee {
            name: name.into(),
            email: format!("{name}@x.test"),
            time_zone: Tz::UTC,
            language: None,
            phone_number: None,
            absent: false,
            seat_uid: seat.map(str::to_string),
        }
    }

    #[test]
    fn seat_counts_are_checked() {
        let cases = [
            (0, false),
            (1, true),
            (5, true),
            (i64::from(MAX_SEATS), true),
            (i64::from(MAX_SEATS) + 1, false),
            (-3, false),
        ];
        for (n, ok) in cases {
            assert_eq!(Seats::new(n, false).is_ok(), ok, "{n} seats");
        }
    }

    #[test]
    fn options_that_do_not_go_with_seats_are_named() {
        let seats = Some(Seats::new(3, false).unwrap());
        let cases = [
            ("unseated, anything", None, true, true, 0),
            ("seated, personal", seats, false, false, 0),
            ("seated, confirmation", seats, true, false, 1),
            ("seated, team", seats, false, true, 1),
            ("seated, both", seats, true, true, 2),
        ];
        for (name, seats, confirm, team, issues) in cases {
            let found = check_options(seats, confirm, team);
            assert_eq!(found.len(), issues, "{name}");
            assert!(found.iter().all(|i| i.field == "seats"), "{name}");
        }
    }

    /// Name, free slots, seated bookings, expected (start hour, seats booked).
    type Case = (&'static str, Vec<Span>, Vec<OpenSeats>, Vec<(u32, u32)>);

    #[test]
    fn seated_slots_are_offered_until_full() {
        let cases: [Case; 4] = [
            (
                "free slots only",
                vec![at(9), at(10)],
                vec![],
                vec![(9, 0), (10, 0)],
            ),
            (
                "a booking with seats left joins the free ones in order",
                vec![at(9), at(11)],
                vec![OpenSeats {
                    span: at(10),
                    booked: 2,
                }],
                vec![(9, 0), (10, 2), (11, 0)],
            ),
            (
                "a full booking is not offered",
                vec![at(9)],
                vec![OpenSeats {
                    span: at(10),
                    booked: 3,
                }],
                vec![(9, 0)],
            ),
            (
                "a booking no longer bookable (past, notice) is not offered",
                vec![at(9)],
                vec![OpenSeats {
                    span: at(8),
                    booked: 1,
                }],
                vec![(9, 0)],
            ),
        ];
        for (name, free, seated, expected) in cases {
            let offered = offer(free, &seated, 3, |s| *s != at(8));
            let got: Vec<(u32, u32)> = offered
                .iter()
                .map(|o| {
                    let seats = o.seats.unwrap();
                    assert_eq!(seats.total, 3, "{name}");
                    assert_eq!(seats.remaining(), 3 - seats.booked, "{name}");
                    (chrono::Timelike::hour(&o.span.start), seats.booked)
                })
                .collect();
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn attendees_see_only_themselves_unless_shown() {
        let seated = [attendee("ann", Some("s1")), attendee("bob", Some("s2"))];
        let unseated = [attendee("ann", None), attendee("bob", None)];
        let cases = [
            (
                "unseated: everyone",
                &unseated,
                false,
                Viewer::Anonymous,
                vec!["ann", "bob"],
            ),
            (
                "host: everyone",
                &seated,
                false,
                Viewer::Host,
                vec!["ann", "bob"],
            ),
            (
                "seat holder: only self",
                &seated,
                false,
                Viewer::Seat("s2"),
                vec!["bob"],
            ),
            (
                "anonymous: nobody",
                &seated,
                false,
                Viewer::Anonymous,
                vec![],
            ),
            (
                "unknown seat: nobody",
                &seated,
                false,
                Viewer::Seat("zz"),
                vec![],
            ),
            (
                "shown: everyone",
                &seated,
                true,
                Viewer::Seat("s1"),
                vec!["ann", "bob"],
            ),
        ];
        for (name, people, show, viewer, expected) in cases {
            let seen: Vec<String> = visible_attendees(people, show, viewer)
                .into_iter()
                .map(|a| a.name)
                .collect();
            assert_eq!(seen, expected, "{name}");
        }
        let shown = visible_attendees(&seated, true, Viewer::Seat("s1"));
        let handles: Vec<Option<&str>> = shown.iter().map(|a| a.seat_uid.as_deref()).collect();
        assert_eq!(
            handles,
            [Some("s1"), None],
            "another's seat uid stays hidden"
        );
        let hosted = visible_attendees(&seated, false, Viewer::Host);
        assert!(
            hosted.iter().all(|a| a.seat_uid.is_some()),
            "the host sees every seat uid"
        );
    }
}
