//! Bookings: the thing every other feature hangs on.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ids::{BookingId, CustomerId, EventTypeId, OrgId, UserId};
use super::span::Span;

/// Where a booking is in its life. Only `Accepted` and `Pending` hold the host's time,
/// so a pending booking blocks its slot until it is confirmed or declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookingStatus {
    /// Confirmed and on the calendar.
    Accepted,
    /// Waiting for the host to confirm (event types that require confirmation).
    Pending,
    /// Cancelled by the host or the invitee, or replaced by a reschedule.
    Cancelled,
    /// Declined by the host while pending.
    Rejected,
}

impl BookingStatus {
    /// The lower-case word used in storage and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Accepted => "accepted",
            BookingStatus::Pending => "pending",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Rejected => "rejected",
        }
    }

    /// Parses the stored word; `None` for anything else.
    pub fn parse(s: &str) -> Option<BookingStatus> {
        [
            Self::Accepted,
            Self::Pending,
            Self::Cancelled,
            Self::Rejected,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }

    /// Whether the booking occupies the host's time.
    pub fn holds_time(self) -> bool {
        matches!(self, BookingStatus::Accepted | BookingStatus::Pending)
    }
}

/// Who cancelled a booking. A host moving their own meeting says nothing about the
/// customer, an invitee cancelling does: engagement metrics need to tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CancelledBy {
    /// The host (a caller with the host's key).
    Host,
    /// The invitee (holding the booking's uid) or anyone else.
    Attendee,
}

impl CancelledBy {
    /// The word used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelledBy::Host => "host",
            CancelledBy::Attendee => "attendee",
        }
    }

    /// The party named `s`.
    pub fn parse(s: &str) -> Option<CancelledBy> {
        [CancelledBy::Host, CancelledBy::Attendee]
            .into_iter()
            .find(|party| party.as_str() == s)
    }
}

/// Why a round-robin booking went to its host: the rotation, or the account owner of
/// the customer the booker belongs to (Cal.com's `assignmentReason`), so an admin
/// auditing the distribution can tell a rotation's choice from a CRM rule's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Assignment {
    /// The rotation chose: priority, weight, then least recently booked.
    RoundRobin,
    /// The booker matched `customer`, whose owner hosts the type and was free.
    ContactOwner {
        /// The customer the booker matched.
        #[serde(rename = "customerId")]
        customer: CustomerId,
    },
}

impl Assignment {
    /// The rule's name in the API: `round_robin` or `contact_owner`.
    pub fn reason(self) -> &'static str {
        match self {
            Assignment::RoundRobin => "round_robin",
            Assignment::ContactOwner { .. } => "contact_owner",
        }
    }

    /// The customer whose owner took the booking, for a contact-owner assignment.
    pub fn customer(self) -> Option<CustomerId> {
        match self {
            Assignment::RoundRobin => None,
            Assignment::ContactOwner { customer } => Some(customer),
        }
    }
}

/// A person attending a booking.
#[derive(Debug, Clone, PartialEq)]
pub struct Attendee {
    /// Display name.
    pub name: String,
    /// Contact address; matched case-insensitively.
    pub email: String,
    /// The attendee's zone, used for their notices and the slot grid they saw.
    pub time_zone: Tz,
    /// Preferred language (ISO 639-1), if given.
    pub language: Option<String>,
    /// Phone number in E.164, if given.
    pub phone_number: Option<String>,
    /// Marked as a no-show by the host.
    pub absent: bool,
    /// This attendee's own seat on a seated booking: the handle that shows or cancels
    /// only their seat (the booking's uid is shared by every seat).
    pub seat_uid: Option<String>,
}

/// A booking of one host's time.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    /// Row id.
    pub id: BookingId,
    /// Public, unguessable handle: holding it is what lets an invitee cancel or reschedule.
    pub uid: String,
    /// The tenant.
    pub org_id: OrgId,
    /// What was booked.
    pub event_type_id: EventTypeId,
    /// Whose time is booked.
    pub host: UserId,
    /// Title shown on calendars.
    pub title: String,
    /// Free-text description from the event type.
    pub description: String,
    /// Where it is in its life.
    pub status: BookingStatus,
    /// The meeting itself.
    pub span: Span,
    /// The time held on the host's calendar: the meeting plus the event type's buffers.
    pub busy: Span,
    /// The invitee first, then any seated attendees.
    pub attendees: Vec<Attendee>,
    /// Extra email addresses invited by the invitee.
    pub guests: Vec<String>,
    /// Where the meeting happens (address, link, phone, integration name).
    pub location: Option<String>,
    /// Caller-defined key/values (at most 50 keys).
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// Answers to the event type's booking questions.
    pub responses: serde_json::Map<String, serde_json::Value>,
    /// Why it was cancelled or declined.
    pub cancellation_reason: Option<String>,
    /// Who cancelled it, when it was cancelled.
    pub cancelled_by: Option<CancelledBy>,
    /// Why it was rescheduled (set on the new booking).
    pub rescheduling_reason: Option<String>,
    /// The booking this one replaced.
    pub rescheduled_from_uid: Option<String>,
    /// The booking that replaced this one.
    pub rescheduled_to_uid: Option<String>,
    /// The series this booking is one occurrence of (Cal.com's `recurringBookingUid`).
    pub recurring_booking_uid: Option<String>,
    /// For a round-robin booking, which rule chose its host.
    pub assignment: Option<Assignment>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Booking {
    /// The invitee's zone (the first attendee), falling back to UTC for a booking without one.
    pub fn invitee_time_zone(&self) -> Tz {
        self.attendees.first().map_or(Tz::UTC, |a| a.time_zone)
    }
}
