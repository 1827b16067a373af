//! Chat commands: a sentence in, an answer out — a sentence for the person, structured
//! data for the program showing it.
//!
//! The grammar and the name matching are pure (`domain::chat`). Here names are
//! resolved against the caller's organization only — its customers (by name and
//! domain), its stakeholders, and the people who booked with the caller — and the
//! command runs through the same use cases REST and GraphQL call, so a cancel from
//! chat is a cancel from the API: same checks, same outbox event, same webhook. A name
//! that fits several things is answered with the candidates and changes nothing.

use chrono::{DateTime, NaiveDate, Utc};

use super::auth::Caller;
use super::bookings::BookingView;
use super::{App, AppError, Result};
use crate::domain::chat::{self, Command, EXAMPLES, Provider};
use crate::domain::crm::assessment::Assessment;
use crate::domain::crm::recommendation::Recommendation;
use crate::domain::customer::{Customer, Stakeholder};
use crate::domain::event_type::EventType;
use crate::domain::scheduling_link::SchedulingLink;

/// The value of a [`directory::pick`], or return its answer.
macro_rules! picked {
    ($pick:expr) => {
        match $pick {
            Ok(found) => found,
            Err(answer) => return Ok(*answer),
        }
    };
}

mod commands;
mod directory;

use commands::{cancel, health, last_scheduled, next_meeting, send_link, show_bookings};

/// The longest command accepted, in characters: a sentence, not a document.
pub const MAX_TEXT_CHARS: usize = 500;

/// The address invitees open a scheduling link at, from its token. The transport knows
/// where this server is reached; a command only hands the address out.
pub type LinkUrl<'a> = &'a (dyn Fn(&str) -> String + Sync);

/// How many bookings "show bookings" lists before saying how many more there are.
const SHOWN: usize = 10;

/// What a command answers.
#[derive(Debug, Clone)]
pub struct Answer {
    /// What to tell the person, readable on its own.
    pub reply: String,
    /// The command that ran (`show_bookings`, `cancel_meeting`, …), or why none did:
    /// `ambiguous`, `not_found`, `not_connected`, `unknown` (and `help` when asked).
    pub intent: &'static str,
    /// The structured content behind the sentence.
    pub data: Data,
    /// What an ambiguous name (or request) may have meant; empty otherwise.
    pub candidates: Vec<Candidate>,
}

/// The structured content of an answer, one shape per outcome.
#[derive(Debug, Clone)]
pub enum Data {
    /// What can be asked: [`EXAMPLES`].
    Help,
    /// A name matched nothing, or several things (see the candidates).
    Unresolved {
        /// The command that was asked for.
        command: &'static str,
        /// The name as typed.
        query: String,
    },
    /// The command needs a provider the caller has not connected.
    NotConnected {
        /// The command that was asked for.
        command: &'static str,
        /// The provider it named.
        provider: Provider,
    },
    /// The latest booking the subject made with the caller.
    LastScheduled {
        /// Who.
        subject: Subject,
        /// That booking, if any.
        booking: Option<BookingView>,
    },
    /// The subject's bookings with anyone in the organization.
    Bookings {
        /// Whose.
        subject: Subject,
        /// Not yet over, soonest first.
        upcoming: Vec<BookingView>,
        /// The rest, latest first.
        recent: Vec<BookingView>,
        /// How many were left out of the two lists.
        more: usize,
    },
    /// The caller's next meeting with the subject.
    NextMeeting {
        /// With whom.
        subject: Subject,
        /// That meeting, if any.
        booking: Option<BookingView>,
    },
    /// A customer's health.
    Health {
        /// The customer.
        customer: Customer,
        /// Score, band, trend and components.
        health: Assessment,
    },
    /// The booking a cancel command cancelled.
    Cancelled {
        /// As it is now.
        booking: BookingView,
    },
    /// The scheduling link a send command made.
    LinkSent {
        /// The link (single-use, filled in with the person).
        link: SchedulingLink,
        /// What it books.
        event_type: EventType,
        /// Why that event type, when none was named and it was recommended.
        recommendation: Option<Recommendation>,
        /// Whom it is for.
        person: Person,
    },
    /// A cancel command found no meeting to cancel.
    NothingToCancel {
        /// With whom.
        person: Person,
        /// On which local day, when one was named.
        date: Option<NaiveDate>,
    },
}

/// Who a command is about, once resolved.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A customer account.
    Customer(Customer),
    /// A person.
    Person(Person),
}

impl Subject {
    fn name(&self) -> &str {
        match self {
            Subject::Customer(c) => &c.name,
            Subject::Person(p) => &p.name,
        }
    }
}

/// A person a command can name: a stakeholder, or someone who booked with the caller.
#[derive(Debug, Clone)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// Email address (lower case).
    pub email: String,
    /// The stakeholder they are, if they are one.
    pub stakeholder: Option<Stakeholder>,
    /// Their customer: the stakeholder's, or the one owning their email's domain.
    pub customer: Option<Customer>,
    /// Every name they booked under, besides `name`.
    aliases: Vec<String>,
}

/// Something an ambiguous command may have meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// `customer`, `stakeholder`, `attendee`, `event_type` or `booking`.
    pub kind: &'static str,
    /// Its id (a booking's uid, an attendee's email).
    pub id: String,
    /// Its name (a booking's title).
    pub name: String,
    /// A person's email, or a booking's invitee's.
    pub email: Option<String>,
    /// A customer's first domain.
    pub domain: Option<String>,
    /// The customer a stakeholder belongs to, by name.
    pub customer: Option<String>,
    /// When a booking starts.
    pub start: Option<DateTime<Utc>>,
}

/// Runs the command `text` for `caller` at `now`; a link it makes is opened at
/// `link_url`. Text outside the grammar is answered with help; an empty or overlong
/// text is a validation error on `text`.
pub async fn run(
    app: &App,
    caller: Caller,
    text: &str,
    link_url: LinkUrl<'_>,
    now: DateTime<Utc>,
) -> Result<Answer> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::invalid("text", "must not be empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(AppError::invalid(
            "text",
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    let Some(command) = chat::parse(text) else {
        tracing::info!(chat.intent = "unknown", "chat command not understood");
        return Ok(help("unknown", "Sorry, I did not understand that."));
    };
    tracing::info!(chat.intent = command.intent(), "chat command");
    let tz = super::users::me(app, caller).await?.time_zone;
    let intent = command.intent();
    let answer = match command {
        Command::Help => help("help", "Here is what you can ask."),
        Command::Health { customer } => health(app, caller, &customer, now).await?,
        Command::LastScheduled { subject } => last_scheduled(app, caller, &subject, tz).await?,
        Command::NextMeeting { subject } => next_meeting(app, caller, &subject, tz, now).await?,
        Command::ShowBookings {
            provider: Some(p), ..
        }
        | Command::SendLink {
            provider: Some(p), ..
        } => not_connected(intent, p),
        Command::ShowBookings { subject, .. } => {
            show_bookings(app, caller, &subject, tz, now).await?
        }
        Command::CancelMeeting { person, day } => {
            cancel(app, caller, &person, day, tz, now).await?
        }
        Command::SendLink {
            person, event_type, ..
        } => {
            let event_type = event_type.as_deref();
            send_link(app, caller, &person, event_type, link_url, tz, now).await?
        }
    };
    Ok(answer)
}

fn help(intent: &'static str, opening: &str) -> Answer {
    let examples: Vec<String> = EXAMPLES.iter().map(|e| format!("“{e}”")).collect();
    Answer {
        reply: format!("{opening} Try: {}.", examples.join("; ")),
        intent,
        data: Data::Help,
        candidates: Vec::new(),
    }
}

fn not_connected(command: &'static str, provider: Provider) -> Answer {
    Answer {
        reply: format!(
            "{} is not connected to your account; connect it under integrations.",
            provider.name()
        ),
        intent: "not_connected",
        data: Data::NotConnected { command, provider },
        candidates: Vec::new(),
    }
}
