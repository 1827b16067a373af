//! Routing forms: a form an invitee fills in, and rules that send them where they
//! belong (an event type, chosen members of a round-robin type, an outside page, or a
//! message), checked in order with a fallback when none matches.
//!
//! - [`parse`] turns a form as sent into [`FormRules`], naming every bad field
//!   (`routes[2].conditions[0].value`); targets are checked against the organization's
//!   event types by [`check_targets`], which asks a lookup the caller fills in.
//! - [`answers`] checks an invitee's answers against the fields and reads prefill
//!   values from a URL's query.
//! - [`evaluate`] picks the route the answers take.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{EventTypeId, FormResponseId, OrgId, RoutingFormId, TeamId, UserId};

pub mod answers;
pub mod evaluate;
pub mod parse;

pub use answers::{Answer, Answers, check_answers, prefill};
pub use evaluate::{Routed, route};
pub use parse::{TargetKind, check_targets, parse};

/// What kind of input a field is; the wire names are Cal.com's routing-form types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// One line of text (`text`).
    Text,
    /// Several lines of text (`textarea`).
    Textarea,
    /// A number (`number`).
    Number,
    /// An email address (`email`).
    Email,
    /// A phone number (`phone`).
    Phone,
    /// One of the options, from a list (`select`).
    Select,
    /// Any of the options (`multiselect`).
    Multiselect,
    /// One of the options, shown as buttons (`radio`).
    Radio,
    /// A box ticked or not (`checkbox`).
    Checkbox,
}

impl FieldKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [FieldKind; 9] = [
        FieldKind::Text,
        FieldKind::Textarea,
        FieldKind::Number,
        FieldKind::Email,
        FieldKind::Phone,
        FieldKind::Select,
        FieldKind::Multiselect,
        FieldKind::Radio,
        FieldKind::Checkbox,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Textarea => "textarea",
            FieldKind::Number => "number",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
            FieldKind::Select => "select",
            FieldKind::Multiselect => "multiselect",
            FieldKind::Radio => "radio",
            FieldKind::Checkbox => "checkbox",
        }
    }

    /// The kind with this wire name, in any case.
    pub fn parse(s: &str) -> Option<FieldKind> {
        FieldKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether answers are picked from `options`.
    pub fn has_options(self) -> bool {
        matches!(
            self,
            FieldKind::Select | FieldKind::Multiselect | FieldKind::Radio
        )
    }

    /// Whether the answer is free text.
    fn is_text(self) -> bool {
        matches!(
            self,
            FieldKind::Text | FieldKind::Textarea | FieldKind::Email | FieldKind::Phone
        )
    }
}

/// One question of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormField {
    /// The name answers and query parameters use (`interest`).
    pub id: String,
    /// The question as shown.
    pub label: String,
    /// What kind of input it is.
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// Whether an answer is needed.
    pub required: bool,
    /// The choices of a select, multiselect or radio field; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// How a route's conditions combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combinator {
    /// Every condition holds.
    And,
    /// At least one condition holds.
    Or,
}

/// What a condition asks of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// The answer is the value (text ignoring case and surrounding spaces).
    Equals,
    /// The answer is not the value (an empty answer is not equal).
    NotEquals,
    /// Text contains the value, or a multiselect answer includes it.
    Contains,
    /// The answer is one of the values (a multiselect answer includes one of them).
    AnyOf,
    /// A multiselect answer includes every one of the values.
    AllOf,
    /// A number between the two values, both included.
    Between,
    /// No answer (or an unticked checkbox).
    IsEmpty,
}

impl Op {
    /// Every operator.
    pub const ALL: [Op; 7] = [
        Op::Equals,
        Op::NotEquals,
        Op::Contains,
        Op::AnyOf,
        Op::AllOf,
        Op::Between,
        Op::IsEmpty,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Equals => "equals",
            Op::NotEquals => "not_equals",
            Op::Contains => "contains",
            Op::AnyOf => "any_of",
            Op::AllOf => "all_of",
            Op::Between => "between",
            Op::IsEmpty => "is_empty",
        }
    }
}

/// The value a condition compares with, typed by the field and operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Operand {
    /// `is_empty` takes none.
    None,
    /// A tick or not, for a checkbox.
    Flag(bool),
    /// A number, for a number field.
    Number(f64),
    /// `[min, max]` for `between`.
    Range([f64; 2]),
    /// Text or one option.
    Text(String),
    /// Several texts or options, for `any_of` and `all_of`.
    List(Vec<String>),
}

/// One test of one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// The field's id.
    pub field: String,
    /// What is asked.
    pub op: Op,
    /// What the answer is compared with.
    pub value: Operand,
}

/// Where a route sends the invitee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum Target {
    /// Book this event type.
    #[serde(rename_all = "camelCase")]
    EventType {
        /// The event type.
        event_type_id: EventTypeId,
    },
    /// Book this round-robin team event type with one of these hosts.
    #[serde(rename_all = "camelCase")]
    TeamMembers {
        /// The round-robin event type.
        event_type_id: EventTypeId,
        /// The hosts it may be booked with.
        member_ids: Vec<UserId>,
    },
    /// Go to a page elsewhere.
    ExternalUrl {
        /// An absolute http(s) URL.
        url: String,
    },
    /// Read a message.
    Message {
        /// The message.
        message: String,
    },
}

impl Target {
    /// The event type this target books, if it books one.
    pub fn event_type(&self) -> Option<EventTypeId> {
        match self {
            Target::EventType { event_type_id } | Target::TeamMembers { event_type_id, .. } => {
                Some(*event_type_id)
            }
            Target::ExternalUrl { .. } | Target::Message { .. } => None,
        }
    }
}

/// A rule: when its conditions hold, the invitee goes to its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// How the conditions combine.
    pub combinator: Combinator,
    /// The tests; a route without any always matches.
    pub conditions: Vec<Condition>,
    /// Where it sends the invitee.
    #[serde(flatten)]
    pub target: Target,
}

/// A form's questions and where each set of answers goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormRules {
    /// The questions, in the order shown.
    pub fields: Vec<FormField>,
    /// The rules, checked in order; the first that matches wins.
    pub routes: Vec<Route>,
    /// Where answers no route matches go.
    pub fallback: Target,
}

impl FormRules {
    /// The field with `id`.
    pub fn field(&self, id: &str) -> Option<&FormField> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// Every target with the path naming it in errors (`routes[2]`, `fallback`).
    pub fn targets(&self) -> impl Iterator<Item = (String, &Target)> {
        self.routes
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("routes[{i}]"), &r.target))
            .chain(std::iter::once(("fallback".to_string(), &self.fallback)))
    }
}

/// A saved routing form.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingForm {
    /// Row id; also the public handle invitees use.
    pub id: RoutingFormId,
    /// The tenant.
    pub org_id: OrgId,
    /// Who made it; they (and organization admins) manage it and get its webhooks.
    pub owner: UserId,
    /// The team it belongs to, if any; the team's admins manage it too.
    pub team_id: Option<TeamId>,
    /// Its title.
    pub name: String,
    /// Shown above the questions.
    pub description: Option<String>,
    /// Questions, routes and fallback.
    pub rules: FormRules,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// One submission of a form, kept with where it went.
#[derive(Debug, Clone, PartialEq)]
pub struct FormResponse {
    /// Row id.
    pub id: FormResponseId,
    /// The form.
    pub form_id: RoutingFormId,
    /// The answers as checked.
    pub answers: Answers,
    /// The index of the route taken; `None` for the fallback.
    pub route: Option<usize>,
    /// Where the invitee was sent.
    pub target: Target,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
}
