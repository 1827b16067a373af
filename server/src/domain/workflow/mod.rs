//! Workflows: what a host wants sent by itself around their bookings (a reminder the
//! day before, a thank-you after, a note to the team when a booking is cancelled).
//!
//! A workflow has one trigger and several steps; each step is one action (an email, an
//! SMS, a webhook call) with its message template. This module holds the rules with no
//! I/O: parsing the names the API speaks, when a timed step is due, whether a step
//! planned too late still goes out, and the templates (`template`).

pub mod template;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use chrono_tz::Tz;

use super::booking::{Attendee, Booking};
use super::ids::{EventTypeId, OrgId, TeamId, UserId};
use super::span::Span;
use super::user::User;

/// What starts a workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Trigger {
    /// A booking was made and confirmed (and when a requested booking is confirmed).
    BookingCreated,
    /// A booking awaits the host's confirmation.
    BookingRequested,
    /// A booking moved to another time.
    BookingRescheduled,
    /// A booking was cancelled.
    BookingCancelled,
    /// A set time before the meeting starts.
    BeforeStart {
        /// How long before the start, in minutes.
        minutes: u32,
    },
    /// A set time after the meeting ends.
    AfterEnd {
        /// How long after the end, in minutes.
        minutes: u32,
    },
    /// The host marked an attendee as a no-show.
    NoShowMarked,
    /// A routing form was submitted.
    FormSubmitted,
}

impl Trigger {
    /// The API's names for the triggers, for error messages.
    pub const NAMES: [&'static str; 8] = [
        "BOOKING_CREATED",
        "BOOKING_REQUESTED",
        "BOOKING_RESCHEDULED",
        "BOOKING_CANCELLED",
        "BEFORE_START",
        "AFTER_END",
        "NO_SHOW_MARKED",
        "FORM_SUBMITTED",
    ];

    /// The trigger named `name`, with `offset_minutes` for the timed ones.
    pub fn parse(name: &str, offset_minutes: Option<u32>) -> Result<Trigger, String> {
        let timed = |make: fn(u32) -> Trigger| match offset_minutes {
            Some(minutes) if minutes <= MAX_OFFSET_MINUTES => Ok(make(minutes)),
            Some(_) => Err(format!(
                "an offset is at most {} days",
                MAX_OFFSET_MINUTES / (24 * 60)
            )),
            None => Err(format!(
                "`{name}` needs an offset (how long before or after)"
            )),
        };
        match name {
            "BOOKING_CREATED" => Ok(Trigger::BookingCreated),
            "BOOKING_REQUESTED" => Ok(Trigger::BookingRequested),
            "BOOKING_RESCHEDULED" => Ok(Trigger::BookingRescheduled),
            "BOOKING_CANCELLED" => Ok(Trigger::BookingCancelled),
            "BEFORE_START" => timed(|minutes| Trigger::BeforeStart { minutes }),
            "AFTER_END" => timed(|minutes| Trigger::AfterEnd { minutes }),
            "NO_SHOW_MARKED" => Ok(Trigger::NoShowMarked),
            "FORM_SUBMITTED" => Ok(Trigger::FormSubmitted),
            other => Err(format!(
                "`{other}` is not a trigger; use one of {}",
                Trigger::NAMES.join(", ")
            )),
        }
    }

    /// The API's name of this trigger.
    pub fn name(self) -> &'static str {
        match self {
            Trigger::BookingCreated => "BOOKING_CREATED",
            Trigger::BookingRequested => "BOOKING_REQUESTED",
            Trigger::BookingRescheduled => "BOOKING_RESCHEDULED",
            Trigger::BookingCancelled => "BOOKING_CANCELLED",
            Trigger::BeforeStart { .. } => "BEFORE_START",
            Trigger::AfterEnd { .. } => "AFTER_END",
            Trigger::NoShowMarked => "NO_SHOW_MARKED",
            Trigger::FormSubmitted => "FORM_SUBMITTED",
        }
    }

    /// The offset of a timed trigger, in minutes.
    pub fn offset_minutes(self) -> Option<u32> {
        match self {
            Trigger::BeforeStart { minutes } | Trigger::AfterEnd { minutes } => Some(minutes),
            _ => None,
        }
    }

    /// The outbox event that fires this trigger at once; `None` for the timed ones,
    /// which are planned when a booking is confirmed or moved.
    pub fn event_kind(self) -> Option<&'static str> {
        match self {
            Trigger::BookingCreated => Some("BOOKING_CREATED"),
            Trigger::BookingRequested => Some("BOOKING_REQUESTED"),
            Trigger::BookingRescheduled => Some("BOOKING_RESCHEDULED"),
            Trigger::BookingCancelled => Some("BOOKING_CANCELLED"),
            Trigger::NoShowMarked => Some("BOOKING_NO_SHOW_UPDATED"),
            Trigger::FormSubmitted => Some("FORM_SUBMITTED"),
            Trigger::BeforeStart { .. } | Trigger::AfterEnd { .. } => None,
        }
    }

    /// When a timed step of a meeting over `meeting` is due; `None` for the others.
    pub fn due(self, meeting: Span) -> Option<DateTime<Utc>> {
        match self {
            Trigger::BeforeStart { minutes } => {
                Some(meeting.start - Duration::minutes(i64::from(minutes)))
            }
            Trigger::AfterEnd { minutes } => {
                Some(meeting.end + Duration::minutes(i64::from(minutes)))
            }
            _ => None,
        }
    }

    /// Whether the trigger concerns a booking (all but a routing form submitted).
    pub fn is_about_bookings(self) -> bool {
        self != Trigger::FormSubmitted
    }
}

/// The longest offset a timed trigger may have: 90 days.
pub const MAX_OFFSET_MINUTES: u32 = 90 * 24 * 60;

/// Who a step's message goes to, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    /// An email to every attendee and guest.
    EmailAttendees,
    /// An email to every host.
    EmailHosts,
    /// An email to one fixed address (a team inbox).
    EmailAddress {
        /// The address.
        to: String,
    },
    /// An SMS to every attendee who gave a phone number.
    SmsAttendees,
    /// An SMS to one fixed number (the host's phone).
    SmsNumber {
        /// The number, E.164.
        to: String,
    },
    /// A JSON POST to a URL.
    Webhook {
        /// Where to POST.
        url: String,
    },
}

impl Action {
    /// The API's names for the actions, for error messages.
    pub const NAMES: [&'static str; 6] = [
        "EMAIL_ATTENDEES",
        "EMAIL_HOSTS",
        "EMAIL_ADDRESS",
        "SMS_ATTENDEES",
        "SMS_NUMBER",
        "WEBHOOK",
    ];

    /// The API's name of this action.
    pub fn name(&self) -> &'static str {
        match self {
            Action::EmailAttendees => "EMAIL_ATTENDEES",
            Action::EmailHosts => "EMAIL_HOSTS",
            Action::EmailAddress { .. } => "EMAIL_ADDRESS",
            Action::SmsAttendees => "SMS_ATTENDEES",
            Action::SmsNumber { .. } => "SMS_NUMBER",
            Action::Webhook { .. } => "WEBHOOK",
        }
    }

    /// The fixed recipient (address, number or URL) of the actions that have one.
    pub fn fixed_recipient(&self) -> Option<&str> {
        match self {
            Action::EmailAddress { to } | Action::SmsNumber { to } => Some(to),
            Action::Webhook { url } => Some(url),
            _ => None,
        }
    }

    /// The action named `name`, with the fixed recipient `to` for those that need one.
    pub fn parse(name: &str, to: Option<&str>) -> Result<Action, String> {
        let fixed = |make: fn(String) -> Action| match to.map(str::trim).filter(|t| !t.is_empty()) {
            Some(to) => Ok(make(to.to_string())),
            None => Err(format!("`{name}` needs `sendTo`")),
        };
        match name {
            "EMAIL_ATTENDEES" => Ok(Action::EmailAttendees),
            "EMAIL_HOSTS" => Ok(Action::EmailHosts),
            "EMAIL_ADDRESS" => fixed(|to| Action::EmailAddress { to }),
            "SMS_ATTENDEES" => Ok(Action::SmsAttendees),
            "SMS_NUMBER" => fixed(|to| Action::SmsNumber { to }),
            "WEBHOOK" => fixed(|url| Action::Webhook { url }),
            other => Err(format!(
                "`{other}` is not an action; use one of {}",
                Action::NAMES.join(", ")
            )),
        }
    }

    /// Whether the message is a text message (no subject, kept short).
    pub fn is_sms(&self) -> bool {
        matches!(self, Action::SmsAttendees | Action::SmsNumber { .. })
    }

    /// Whether the message is an email (it has a subject).
    pub fn is_email(&self) -> bool {
        matches!(
            self,
            Action::EmailAttendees | Action::EmailHosts | Action::EmailAddress { .. }
        )
    }
}

/// One step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What to send, to whom.
    pub action: Action,
    /// The email's subject template (emails only).
    #[serde(default)]
    pub subject: String,
    /// The message template.
    pub body: String,
    /// For a timed step of a booking made after the step's time had passed: send at
    /// once rather than skip it (a "24 hours before" reminder for a booking made an
    /// hour ahead is usually noise; a payment reminder is not).
    #[serde(default)]
    pub send_if_late: bool,
}

/// Whose a workflow is, which decides who may change it and which event types it may
/// watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// One user's: their own event types.
    User(UserId),
    /// A team's: the team's event types; its owners and admins manage it.
    Team(TeamId),
    /// The organization's: every event type; its owners and admins manage it.
    Organization,
}

/// Which event types a workflow watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventTypes {
    /// Every event type of its owner (every one of the organization's, for an
    /// organization workflow), including those made later.
    All,
    /// Only these.
    Only(Vec<EventTypeId>),
}

/// A saved workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    /// Row id.
    pub id: i64,
    /// The tenant.
    pub org_id: OrgId,
    /// Whose it is.
    pub owner: Owner,
    /// Shown in lists.
    pub name: String,
    /// What starts it.
    pub trigger: Trigger,
    /// What it sends, in order.
    pub steps: Vec<Step>,
    /// Which event types it watches (routing forms: its owner's forms).
    pub event_types: EventTypes,
    /// Switched off workflows plan nothing new (planned sends stay).
    pub active: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Workflow {
    /// Whether it watches bookings of `event_type`, owned by `event_type_owner` (a user,
    /// or a team for a team event type).
    pub fn watches(&self, event_type: EventTypeId, event_type_owner: Owner) -> bool {
        let owner_matches = match self.owner {
            Owner::Organization => true,
            owner => owner == event_type_owner,
        };
        owner_matches
            && match &self.event_types {
                EventTypes::All => true,
                EventTypes::Only(ids) => ids.contains(&event_type),
            }
    }
}

/// When a step planned at `now` for a booking made at `booked_at` goes out, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planned {
    /// At this time (now, for immediate triggers and late steps that say so).
    At(DateTime<Utc>),
    /// Not at all: its time had passed before the booking existed.
    TooLate,
}

/// Plans a step whose trigger falls at `due` (`None`: at once). A timed step whose
/// time came before the booking was made is skipped unless the step says to send
/// late; one whose time passed only because the planner ran late still goes out.
pub fn plan(
    due: Option<DateTime<Utc>>,
    send_if_late: bool,
    booked_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Planned {
    match due {
        None => Planned::At(now),
        Some(due) if due >= booked_at => Planned::At(due),
        Some(_) if send_if_late => Planned::At(now),
        Some(_) => Planned::TooLate,
    }
}

/// One person or place a step's message goes to, with the clock and language its
/// dates are written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// An email address, an E.164 number or a URL, by the action.
    pub address: String,
    /// Their name, when known.
    pub name: Option<String>,
    /// Their zone: an attendee's own, the host's otherwise.
    pub zone: Tz,
    /// Their language (ISO 639-1): an attendee's own, English otherwise.
    pub language: String,
    /// Which attendee they are, so `{ATTENDEE_NAME}` names them; `None` for hosts,
    /// guests and fixed recipients, who read the first attendee's name.
    pub attendee: Option<usize>,
}

/// Who `action` reaches for `booking` hosted by `hosts` (the main host first). With no
/// booking (a routing form), attendees are nobody and `hosts` holds the form's owner.
pub fn recipients(action: &Action, booking: Option<&Booking>, hosts: &[User]) -> Vec<Recipient> {
    let host_zone = hosts.first().map_or(Tz::UTC, |h| h.time_zone);
    let fixed = |address: &str| Recipient {
        address: address.to_string(),
        name: None,
        zone: host_zone,
        language: "en".into(),
        attendee: None,
    };
    let attendees = booking.map(|b| b.attendees.as_slice()).unwrap_or_default();
    let attendee = |(i, a): (usize, &Attendee), address: &str| Recipient {
        address: address.to_string(),
        name: Some(a.name.clone()),
        zone: a.time_zone,
        language: a.language.clone().unwrap_or_else(|| "en".into()),
        attendee: Some(i),
    };
    match action {
        Action::EmailAttendees => {
            let mut to: Vec<Recipient> = attendees
                .iter()
                .enumerate()
                .map(|(i, a)| attendee((i, a), &a.email))
                .collect();
            if let (Some(booking), Some(booker)) = (booking, attendees.first()) {
                to.extend(booking.guests.iter().map(|guest| Recipient {
                    attendee: None,
                    name: None,
                    ..attendee((0, booker), guest)
                }));
            }
            to
        }
        Action::SmsAttendees => attendees
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some(attendee((i, a), a.phone_number.as_deref()?)))
            .collect(),
        Action::EmailHosts => hosts
            .iter()
            .map(|h| Recipient {
                address: h.email.clone(),
                name: Some(h.name.clone()),
                zone: h.time_zone,
                ..fixed("")
            })
            .collect(),
        Action::EmailAddress { to } | Action::SmsNumber { to } => vec![fixed(to)],
        Action::Webhook { url } => vec![fixed(url)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn meeting() -> Span {
        Span::new(at("2026-12-08T09:00:00Z"), at("2026-12-08T09:30:00Z"))
    }

    #[test]
    fn timed_triggers_fall_before_the_start_or_after_the_end() {
        let day_before = Trigger::BeforeStart { minutes: 24 * 60 };
        assert_eq!(day_before.due(meeting()), Some(at("2026-12-07T09:00:00Z")));
        let after = Trigger::AfterEnd { minutes: 60 };
        assert_eq!(after.due(meeting()), Some(at("2026-12-08T10:30:00Z")));
        assert_eq!(Trigger::BookingCreated.due(meeting()), None);
    }

    #[test]
    fn triggers_parse_from_their_names_and_timed_ones_need_an_offset() {
        assert_eq!(
            Trigger::parse("BEFORE_START", Some(1440)),
            Ok(Trigger::BeforeStart { minutes: 1440 })
        );
        assert!(
            Trigger::parse("BEFORE_START", None)
                .unwrap_err()
                .contains("offset")
        );
        assert!(Trigger::parse("AFTER_END", Some(MAX_OFFSET_MINUTES + 1)).is_err());
        let unknown = Trigger::parse("WHENEVER", None).unwrap_err();
        assert!(unknown.contains("BOOKING_CREATED"), "{unknown}");
        for name in Trigger::NAMES {
            let parsed = Trigger::parse(name, Some(5)).unwrap();
            assert_eq!(parsed.name(), name);
        }
    }

    #[test]
    fn fixed_recipients_are_required_where_the_action_has_one() {
        assert_eq!(
            Action::parse("EMAIL_ADDRESS", Some("team@acme.com")),
            Ok(Action::EmailAddress {
                to: "team@acme.com".into()
            })
        );
        assert!(Action::parse("SMS_NUMBER", Some("  ")).is_err());
        assert_eq!(Action::parse("EMAIL_HOSTS", None), Ok(Action::EmailHosts));
        assert!(
            Action::parse("FAX", None)
                .unwrap_err()
                .contains("EMAIL_ATTENDEES")
        );
    }

    #[test]
    fn a_step_due_before_the_booking_existed_is_skipped_unless_it_says_send_late() {
        let booked = at("2026-12-07T20:00:00Z");
        let now = at("2026-12-07T20:00:01Z");
        let due = Some(at("2026-12-07T09:00:00Z"));
        assert_eq!(plan(due, false, booked, now), Planned::TooLate);
        assert_eq!(plan(due, true, booked, now), Planned::At(now));
    }

    #[test]
    fn a_step_whose_time_passed_only_while_planning_still_goes_out() {
        let booked = at("2026-12-07T08:59:59Z");
        let now = at("2026-12-07T09:00:02Z");
        let due = Some(at("2026-12-07T09:00:00Z"));
        assert_eq!(
            plan(due, false, booked, now),
            Planned::At(at("2026-12-07T09:00:00Z"))
        );
        assert_eq!(plan(None, false, booked, now), Planned::At(now));
    }
}
