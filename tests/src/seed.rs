//! Bookings written straight to storage, for data an API could not make: thousands
//! of them for a benchmark, or one made in the past.

use chrono::{DateTime, Utc};
use convene::domain::booking::{Attendee, Booking, BookingStatus};
use convene::domain::ids::{BookingId, EventTypeId, OrgId, UserId};
use convene::domain::span::Span;

/// An accepted booking of `event_type` hosted by `host` over `span`, with one
/// attendee, made at `created`.
pub fn booking(
    org: OrgId,
    event_type: EventTypeId,
    host: UserId,
    span: Span,
    created: DateTime<Utc>,
) -> Booking {
    Booking {
        id: BookingId(0),
        uid: uuid::Uuid::new_v4().simple().to_string(),
        org_id: org,
        event_type_id: event_type,
        host,
        title: "Seeded".into(),
        description: String::new(),
        status: BookingStatus::Accepted,
        span,
        busy: span,
        attendees: vec![Attendee {
            name: "Seeded Invitee".into(),
            email: "seeded@example.com".into(),
            time_zone: chrono_tz::UTC,
            language: None,
            phone_number: None,
            absent: false,
            seat_uid: None,
        }],
        guests: Vec::new(),
        location: None,
        metadata: Default::default(),
        responses: Default::default(),
        cancellation_reason: None,
        cancelled_by: None,
        rescheduling_reason: None,
        rescheduled_from_uid: None,
        rescheduled_to_uid: None,
        recurring_booking_uid: None,
        assignment: None,
        created_at: created,
        updated_at: created,
    }
}
