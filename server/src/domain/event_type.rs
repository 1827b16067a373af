//! Event types: what an invitee can book, and the rules that shape its slots.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ids::{EventTypeId, OrgId, ScheduleId, TeamId, UserId};
use super::recurrence::Recurrence;
use super::rules::{BookingWindow, PeriodLimits, SlotRules};
use super::seats::Seats;
use super::validate::FieldIssue;

/// An event type owned by one host.
#[derive(Debug, Clone, PartialEq)]
pub struct EventType {
    /// Row id.
    pub id: EventTypeId,
    /// The tenant.
    pub org_id: OrgId,
    /// The host whose time it books; for a team event type, who created it.
    pub owner: UserId,
    /// The team whose hosts it books (`None`: a personal event type of `owner`).
    pub team_id: Option<TeamId>,
    /// URL slug, unique per owner (`/{username}/{slug}`).
    pub slug: String,
    /// Title shown to invitees and on calendars.
    pub title: String,
    /// Free text shown on the booking page.
    pub description: String,
    /// Default length in minutes.
    pub length_min: u32,
    /// Other lengths an invitee may pick (includes `length_min` when non-empty).
    pub length_options: Vec<u32>,
    /// Slot step; `None` means the booked length.
    pub slot_interval_min: Option<u32>,
    /// How long before a slot it may still be booked.
    pub min_notice_min: u32,
    /// Time kept free before each booking.
    pub buffer_before_min: u32,
    /// Time kept free after each booking.
    pub buffer_after_min: u32,
    /// How far ahead it may be booked.
    pub window: BookingWindow,
    /// Maximum number of bookings per period.
    pub count_limits: PeriodLimits,
    /// Maximum booked minutes per period.
    pub duration_limits: PeriodLimits,
    /// Whether new bookings start as pending until the host confirms.
    pub requires_confirmation: bool,
    /// With `requires_confirmation`: only bookings made less than this many minutes
    /// before their start wait for the host; `None`: every booking does.
    pub confirmation_threshold_min: Option<u32>,
    /// The zone its slots are always shown and checked in, whatever zone the invitee
    /// asks for (an in-person event's local time); `None`: the invitee's zone.
    pub locked_time_zone: Option<Tz>,
    /// Seats per slot, when several invitees share one booking of a slot.
    pub seats: Option<Seats>,
    /// How a booking repeats, when one request books a series.
    pub recurrence: Option<Recurrence>,
    /// Where meetings can take place; the invitee picks one or the first applies.
    pub locations: Vec<Location>,
    /// Extra questions the booking form asks.
    pub booking_fields: Vec<BookingField>,
    /// The schedule giving availability; `None` uses the owner's default schedule.
    pub schedule_id: Option<ScheduleId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl EventType {
    /// The slot rules for booking it at `length_min` minutes (one of its lengths).
    pub fn slot_rules(&self, length_min: u32) -> SlotRules {
        SlotRules {
            duration_min: length_min,
            interval_min: self.slot_interval_min.unwrap_or(length_min),
            buffer_before_min: self.buffer_before_min,
            buffer_after_min: self.buffer_after_min,
            min_notice_min: self.min_notice_min,
            window: self.window,
            count_limits: self.count_limits,
            duration_limits: self.duration_limits,
        }
    }

    /// Whether `length_min` is a length an invitee may book.
    pub fn offers_length(&self, length_min: u32) -> bool {
        length_min == self.length_min || self.length_options.contains(&length_min)
    }

    /// Whether a booking made at `now` for `start` waits for the host's confirmation:
    /// always when the type requires it without a threshold, otherwise only with less
    /// notice than the threshold.
    pub fn needs_confirmation(&self, start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.requires_confirmation
            && self.confirmation_threshold_min.is_none_or(|threshold| {
                start - now < chrono::Duration::minutes(i64::from(threshold))
            })
    }

    /// The zone an invitee asking for `requested` sees (and books) slots in.
    pub fn slot_zone(&self, requested: Tz) -> Tz {
        self.locked_time_zone.unwrap_or(requested)
    }

    /// The location a booking gets when the invitee names none: the first one offered.
    pub fn default_location(&self) -> Option<String> {
        self.locations.first().and_then(Location::describe)
    }
}

/// A place a meeting can happen, in Cal.com API v2's shape (`{"type": "address", ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Location {
    /// An in-person address.
    #[serde(rename_all = "camelCase")]
    Address {
        /// The address.
        address: String,
        /// Whether invitees see it before booking.
        #[serde(default)]
        public: bool,
    },
    /// A fixed meeting link.
    #[serde(rename_all = "camelCase")]
    Link {
        /// The URL.
        link: String,
        /// Whether invitees see it before booking.
        #[serde(default)]
        public: bool,
    },
    /// The host's phone number.
    #[serde(rename_all = "camelCase")]
    Phone {
        /// The number.
        phone: String,
        /// Whether invitees see it before booking.
        #[serde(default)]
        public: bool,
    },
    /// A video integration (e.g. `cal-video`, `zoom`, `google-meet`) that makes a link later.
    Integration {
        /// The integration's name.
        integration: String,
    },
    /// The invitee gives an address.
    AttendeeAddress,
    /// The invitee gives a phone number.
    AttendeePhone,
    /// The invitee says where.
    AttendeeDefined,
}

impl Location {
    /// The text a booking stores for this location, when it has a fixed value.
    pub fn describe(&self) -> Option<String> {
        match self {
            Location::Address { address, .. } => Some(address.clone()),
            Location::Link { link, .. } => Some(link.clone()),
            Location::Phone { phone, .. } => Some(phone.clone()),
            Location::Integration { integration } => Some(format!("integrations:{integration}")),
            Location::AttendeeAddress | Location::AttendeePhone | Location::AttendeeDefined => None,
        }
    }
}

/// The kind of answer a booking question expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    Textarea,
    /// A number.
    Number,
    /// An email address.
    Email,
    /// A phone number.
    Phone,
    /// A URL.
    Url,
    /// A yes/no answer.
    Boolean,
    /// One of `options`.
    Select,
    /// One of `options`, shown as radio buttons.
    Radio,
    /// Any subset of `options`.
    MultiSelect,
    /// Any subset of `options`, shown as checkboxes.
    Checkbox,
}

/// One extra question on the booking form, answered in `bookingFieldsResponses[slug]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookingField {
    /// The kind of answer.
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// The key of the answer.
    pub slug: String,
    /// The question shown.
    pub label: String,
    /// Whether an answer is required.
    #[serde(default)]
    pub required: bool,
    /// Choices, for select, radio, multi-select and checkbox questions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Hint shown in an empty input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
}

impl BookingField {
    /// Checks one answer; `None` when the question was not answered.
    pub fn check(&self, answer: Option<&serde_json::Value>) -> Result<(), String> {
        use serde_json::Value;
        let Some(answer) = answer.filter(|a| !a.is_null() && *a != &Value::String(String::new()))
        else {
            return if self.required {
                Err(format!("`{}` is required", self.label))
            } else {
                Ok(())
            };
        };
        let ok = match self.kind {
            FieldKind::Text | FieldKind::Textarea | FieldKind::Phone | FieldKind::Url => {
                answer.is_string()
            }
            FieldKind::Email => answer
                .as_str()
                .is_some_and(|s| super::validate::email(s).is_ok()),
            FieldKind::Number => answer.is_number(),
            FieldKind::Boolean => answer.is_boolean(),
            FieldKind::Select | FieldKind::Radio => answer
                .as_str()
                .is_some_and(|s| self.options.iter().any(|o| o == s)),
            FieldKind::MultiSelect | FieldKind::Checkbox => answer.as_array().is_some_and(|a| {
                a.iter().all(|v| {
                    v.as_str()
                        .is_some_and(|s| self.options.iter().any(|o| o == s))
                })
            }),
        };
        if ok {
            Ok(())
        } else {
            Err(match self.kind {
                FieldKind::Select
                | FieldKind::Radio
                | FieldKind::MultiSelect
                | FieldKind::Checkbox => {
                    format!("must be one of: {}", self.options.join(", "))
                }
                kind => format!("is not a valid {kind:?} answer").to_lowercase(),
            })
        }
    }
}

/// Checks the booking form's answers against the event type's questions.
pub fn check_responses(
    fields: &[BookingField],
    responses: &serde_json::Map<String, serde_json::Value>,
) -> Vec<FieldIssue> {
    let mut issues: Vec<FieldIssue> = fields
        .iter()
        .filter_map(|f| {
            f.check(responses.get(&f.slug))
                .err()
                .map(|message| FieldIssue {
                    field: format!("bookingFieldsResponses.{}", f.slug),
                    message,
                })
        })
        .collect();
    issues.extend(
        responses
            .keys()
            .filter(|k| !fields.iter().any(|f| &f.slug == *k) && !is_builtin_response(k))
            .map(|k| FieldIssue {
                field: format!("bookingFieldsResponses.{k}"),
                message: format!("this event type asks no question `{k}`"),
            }),
    );
    issues
}

/// Answers Cal.com's booking form always carries, accepted without a matching question.
fn is_builtin_response(key: &str) -> bool {
    matches!(
        key,
        "name" | "email" | "notes" | "guests" | "location" | "rescheduleReason"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(kind: FieldKind, required: bool) -> BookingField {
        BookingField {
            kind,
            slug: "q".into(),
            label: "Question".into(),
            required,
            options: vec!["a".into(), "b".into()],
            placeholder: None,
        }
    }

    #[test]
    fn answers_are_checked_against_their_question() {
        let cases = [
            ("required and missing", FieldKind::Text, true, None, false),
            (
                "required and empty string",
                FieldKind::Text,
                true,
                Some(json!("")),
                false,
            ),
            ("optional and missing", FieldKind::Text, false, None, true),
            ("text", FieldKind::Text, true, Some(json!("hi")), true),
            (
                "number as text",
                FieldKind::Number,
                true,
                Some(json!("3")),
                false,
            ),
            ("number", FieldKind::Number, true, Some(json!(3)), true),
            (
                "boolean",
                FieldKind::Boolean,
                true,
                Some(json!(false)),
                true,
            ),
            (
                "email bad",
                FieldKind::Email,
                true,
                Some(json!("nope")),
                false,
            ),
            (
                "email ok",
                FieldKind::Email,
                true,
                Some(json!("a@b.co")),
                true,
            ),
            (
                "select in options",
                FieldKind::Select,
                true,
                Some(json!("a")),
                true,
            ),
            (
                "select not in options",
                FieldKind::Select,
                true,
                Some(json!("z")),
                false,
            ),
            (
                "multiselect subset",
                FieldKind::MultiSelect,
                true,
                Some(json!(["a", "b"])),
                true,
            ),
            (
                "multiselect outsider",
                FieldKind::MultiSelect,
                true,
                Some(json!(["a", "z"])),
                false,
            ),
        ];
        for (name, kind, required, answer, ok) in cases {
            assert_eq!(
                field(kind, required).check(answer.as_ref()).is_ok(),
                ok,
                "{name}"
            );
        }
    }

    #[test]
    fn unknown_answers_are_named() {
        let fields = [field(FieldKind::Text, false)];
        let responses = json!({"q": "x", "notes": "n", "other": 1});
        let issues = check_responses(&fields, responses.as_object().unwrap());
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].field, "bookingFieldsResponses.other");
    }

    fn event_type(requires: bool, threshold: Option<u32>, locked: Option<Tz>) -> EventType {
        use chrono::TimeZone;
        let epoch = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        EventType {
            id: EventTypeId(1),
            org_id: OrgId(1),
            owner: UserId(1),
            team_id: None,
            slug: "x".into(),
            title: "X".into(),
            description: String::new(),
            length_min: 30,
            length_options: Vec::new(),
            slot_interval_min: None,
            min_notice_min: 0,
            buffer_before_min: 0,
            buffer_after_min: 0,
            window: BookingWindow::Unlimited,
            count_limits: PeriodLimits::default(),
            duration_limits: PeriodLimits::default(),
            requires_confirmation: requires,
            confirmation_threshold_min: threshold,
            locked_time_zone: locked,
            seats: None,
            recurrence: None,
            locations: Vec::new(),
            booking_fields: Vec::new(),
            schedule_id: None,
            created_at: epoch,
            updated_at: epoch,
        }
    }

    #[test]
    fn confirmation_is_needed_only_on_short_notice_when_a_threshold_is_set() {
        use chrono::TimeZone;
        let now = Utc.with_ymd_and_hms(2027, 5, 3, 9, 0, 0).unwrap();
        let hours = |h: i64| now + chrono::Duration::hours(h);
        let cases = [
            ("not required", false, None, hours(1), false),
            ("always required", true, None, hours(1000), true),
            (
                "threshold 24 h, booked 2 h ahead",
                true,
                Some(24 * 60),
                hours(2),
                true,
            ),
            (
                "threshold 24 h, booked 23 h ahead",
                true,
                Some(24 * 60),
                hours(23),
                true,
            ),
            (
                "threshold 24 h, booked exactly 24 h ahead",
                true,
                Some(24 * 60),
                hours(24),
                false,
            ),
            (
                "threshold 24 h, booked 3 days ahead",
                true,
                Some(24 * 60),
                hours(72),
                false,
            ),
            (
                "threshold without the flag",
                false,
                Some(24 * 60),
                hours(2),
                false,
            ),
        ];
        for (name, requires, threshold, start, expected) in cases {
            assert_eq!(
                event_type(requires, threshold, None).needs_confirmation(start, now),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn a_locked_zone_wins_over_the_invitees() {
        use chrono_tz::{America::New_York, Europe::London};
        let cases = [
            ("unlocked: the invitee's zone", None, New_York, New_York),
            ("locked: the type's zone", Some(London), New_York, London),
        ];
        for (name, locked, requested, expected) in cases {
            assert_eq!(
                event_type(false, None, locked).slot_zone(requested),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn location_reads_cal_com_shapes() {
        let loc: Location =
            serde_json::from_value(json!({"type": "link", "link": "https://x.test"})).unwrap();
        assert_eq!(loc.describe().as_deref(), Some("https://x.test"));
        let loc: Location =
            serde_json::from_value(json!({"type": "integration", "integration": "zoom"})).unwrap();
        assert_eq!(loc.describe().as_deref(), Some("integrations:zoom"));
        assert!(serde_json::from_value::<Location>(json!({"type": "teleport"})).is_err());
    }
}
