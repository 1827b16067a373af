//! Chat commands: a sentence in, an answer out — a sentence for the person, structured
//! data for the program showing it.
//!
//! The grammar and the name matching are pure (`domain::chat`). Here names are
//! resolved against the caller's organization only — its customers (by name and
//! domain), its stakeholders, and the people who booked with the caller — and the
//! command runs through the same use cases REST and GraphQL call, so a cancel from
//! chat is a cancel from the API: same checks, same outbox event, same webhook. A name
//! that fits several things is answered with the candidates and changes nothing.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::auth::Caller;
use super::bookings::{self, BookingView};
use super::customers;
use super::page::{MAX_LIMIT, PageRequest};
use super::scheduling_links::{self, SchedulingLinkInput};
use super::{App, AppError, Result};
use crate::domain::booking::Booking;
use crate::domain::chat::{self, Command, Day, EXAMPLES, Named, Provider, Resolved};
use crate::domain::crm::assessment::Assessment;
use crate::domain::crm::linking;
use crate::domain::customer::{Customer, Stakeholder};
use crate::domain::erasure::PSEUDONYM_DOMAIN;
use crate::domain::event_type::EventType;
use crate::domain::ids::CustomerId;
use crate::domain::scheduling_link::SchedulingLink;
use crate::store;

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

/// Something a name in a command can mean.
trait Nameable: Clone {
    /// Its names (matched in part and with typos) and identifiers (matched whole).
    fn named(&self) -> (Vec<String>, Vec<String>);
    /// How it is offered when a name is ambiguous.
    fn candidate(&self) -> Candidate;
}

impl Nameable for Customer {
    fn named(&self) -> (Vec<String>, Vec<String>) {
        (vec![self.name.clone()], self.domains.clone())
    }

    fn candidate(&self) -> Candidate {
        Candidate {
            kind: "customer",
            id: self.id.to_string(),
            name: self.name.clone(),
            email: None,
            domain: self.domains.first().cloned(),
            customer: None,
            start: None,
        }
    }
}

impl Nameable for Person {
    fn named(&self) -> (Vec<String>, Vec<String>) {
        let names = std::iter::once(&self.name).chain(&self.aliases).cloned();
        (names.collect(), vec![self.email.clone()])
    }

    fn candidate(&self) -> Candidate {
        let (kind, id) = match &self.stakeholder {
            Some(s) => ("stakeholder", s.id.to_string()),
            None => ("attendee", self.email.clone()),
        };
        Candidate {
            kind,
            id,
            name: self.name.clone(),
            email: Some(self.email.clone()),
            domain: None,
            customer: self.customer.as_ref().map(|c| c.name.clone()),
            start: None,
        }
    }
}

impl Nameable for EventType {
    fn named(&self) -> (Vec<String>, Vec<String>) {
        (vec![self.slug.clone(), self.title.clone()], Vec::new())
    }

    fn candidate(&self) -> Candidate {
        Candidate {
            kind: "event_type",
            id: self.id.to_string(),
            name: self.title.clone(),
            email: None,
            domain: None,
            customer: None,
            start: None,
        }
    }
}

impl Nameable for Subject {
    fn named(&self) -> (Vec<String>, Vec<String>) {
        match self {
            Subject::Customer(c) => c.named(),
            Subject::Person(p) => p.named(),
        }
    }

    fn candidate(&self) -> Candidate {
        match self {
            Subject::Customer(c) => c.candidate(),
            Subject::Person(p) => p.candidate(),
        }
    }
}

/// The customers and people of the caller's organization that names are matched against.
struct Directory {
    customers: Vec<Customer>,
    people: Vec<Person>,
}

impl Directory {
    /// The organization's customers, its stakeholders, and the people who booked the
    /// caller (each address once; a stakeholder's name is the one the CSM keeps; erased
    /// people not at all).
    async fn load(app: &App, caller: Caller) -> Result<Directory> {
        let customers = store::customers::many(&app.db, caller.org_id, None).await?;
        let by_id: HashMap<CustomerId, &Customer> = customers.iter().map(|c| (c.id, c)).collect();
        let by_domain: HashMap<&str, &Customer> = customers
            .iter()
            .flat_map(|c| c.domains.iter().map(move |d| (d.as_str(), c)))
            .collect();
        let mut people: Vec<Person> = store::stakeholders::many(&app.db, caller.org_id, None)
            .await?
            .into_iter()
            .map(|s| Person {
                name: s.name.clone(),
                email: s.email.clone(),
                customer: by_id.get(&s.customer_id).map(|c| (*c).clone()),
                stakeholder: Some(s),
                aliases: Vec::new(),
            })
            .collect();
        let mut by_email: HashMap<String, usize> = people
            .iter()
            .enumerate()
            .map(|(i, p)| (p.email.clone(), i))
            .collect();
        let attendees =
            store::bookings::attendees_of_host(&app.db, caller.org_id, caller.user_id).await?;
        // An erased person's pseudonym names no one.
        let erased = format!("@{PSEUDONYM_DOMAIN}");
        for (name, email) in attendees.into_iter().filter(|(_, e)| !e.ends_with(&erased)) {
            match by_email.get(&email).map(|i| &mut people[*i]) {
                Some(p) if p.stakeholder.is_none() && p.name != name => p.aliases.push(name),
                Some(_) => {}
                None => {
                    by_email.insert(email.clone(), people.len());
                    people.push(Person {
                        customer: owning_domain(&by_domain, &email),
                        name,
                        email,
                        stakeholder: None,
                        aliases: Vec::new(),
                    });
                }
            }
        }
        Ok(Directory { customers, people })
    }

    /// Customers and people alike, for commands about either.
    fn subjects(&self) -> Vec<Subject> {
        let customers = self.customers.iter().cloned().map(Subject::Customer);
        let people = self.people.iter().cloned().map(Subject::Person);
        customers.chain(people).collect()
    }
}

/// The customer owning the domain of `email` or a parent of it (`eu.acme.com`: `acme.com`).
fn owning_domain(by_domain: &HashMap<&str, &Customer>, email: &str) -> Option<Customer> {
    let domain = linking::domain_of(email)?;
    let mut rest = domain.as_str();
    loop {
        if let Some(c) = by_domain.get(rest) {
            return Some((*c).clone());
        }
        rest = rest.split_once('.')?.1;
    }
}

/// What `typed` names among `items` (`kinds` says what they are, for "no such"
/// sentences), or the answer saying it names nothing or several of them.
fn pick<T: Nameable>(
    items: &[T],
    kinds: &str,
    command: &'static str,
    typed: &str,
) -> Result<T, Box<Answer>> {
    let named: Vec<Named<usize>> = items
        .iter()
        .enumerate()
        .map(|(key, item)| {
            let (names, identifiers) = item.named();
            Named {
                key,
                names,
                identifiers,
            }
        })
        .collect();
    let unresolved = || Data::Unresolved {
        command,
        query: typed.to_string(),
    };
    match chat::resolve(typed, &named) {
        Resolved::One(i) => Ok(items[i].clone()),
        Resolved::NotFound => Err(Box::new(Answer {
            reply: format!("I found no {kinds} called “{typed}”."),
            intent: "not_found",
            data: unresolved(),
            candidates: Vec::new(),
        })),
        Resolved::Ambiguous(keys) => {
            let candidates: Vec<Candidate> = keys.iter().map(|i| items[*i].candidate()).collect();
            let options: Vec<String> = candidates.iter().map(describe).collect();
            Err(Box::new(Answer {
                reply: format!("Which “{typed}” do you mean: {}?", or_list(&options)),
                intent: "ambiguous",
                data: unresolved(),
                candidates,
            }))
        }
    }
}

/// Names matched against people: stakeholders and whoever booked the caller.
const PEOPLE: &str = "stakeholder or person who booked with you";
/// Names matched against customers and people.
const ANYONE: &str = "customer, stakeholder or person who booked with you";

/// "Jane Doe (jane@acme.com, Acme)".
fn describe(c: &Candidate) -> String {
    let details: Vec<&str> = [&c.email, &c.customer, &c.domain]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if details.is_empty() {
        c.name.clone()
    } else {
        format!("{} ({})", c.name, details.join(", "))
    }
}

/// "a", "a or b", "a, b or c".
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// An instant as a person reads it in their zone: "Tue 1 Dec 2026 at 09:00 CET".
fn when(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %-d %b %Y at %H:%M %Z")
        .to_string()
}

/// The subject's bookings with anyone in the organization, leaving out the ones a
/// reschedule replaced (their replacement is the meeting).
async fn bookings_of(app: &App, caller: Caller, subject: &Subject) -> Result<Vec<Booking>> {
    let all = match subject {
        Subject::Customer(c) => {
            let ids = store::meeting_links::booking_ids(&app.db, caller.org_id, c.id).await?;
            store::bookings::by_ids(&app.db, caller.org_id, &ids).await?
        }
        Subject::Person(p) => {
            let ids: Vec<_> = store::bookings::attendees_with_emails(
                &app.db,
                caller.org_id,
                std::slice::from_ref(&p.email),
            )
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
            store::bookings::by_ids(&app.db, caller.org_id, &ids).await?
        }
    };
    Ok(all
        .into_iter()
        .filter(|b| b.rescheduled_to_uid.is_none())
        .collect())
}

/// The value of a [`pick`], or return its answer.
macro_rules! picked {
    ($pick:expr) => {
        match $pick {
            Ok(found) => found,
            Err(answer) => return Ok(*answer),
        }
    };
}

/// Whom a booking is with, for sentences: its invitee's name.
fn invitee(b: &Booking) -> &str {
    b.attendees.first().map_or("", |a| a.name.as_str())
}

async fn health(app: &App, caller: Caller, typed: &str, now: DateTime<Utc>) -> Result<Answer> {
    let directory = Directory::load(app, caller).await?;
    let customer = picked!(pick(&directory.customers, "customer", "health", typed));
    let health = customers::health(app, caller, customer.id, now).await?;
    let h = &health.health;
    let trend = match (health.trend, health.previous_score) {
        (Some(trend), Some(before)) => {
            format!("trend {} (was {before} 30 days ago)", trend.as_str())
        }
        _ => "no trend yet (the account is younger than 30 days)".to_string(),
    };
    let mut weakest: Vec<_> = h
        .components
        .iter()
        .filter(|c| c.weight > 0 && c.score < 100)
        .collect();
    weakest.sort_by_key(|c| c.score);
    let weakest: Vec<String> = weakest
        .iter()
        .take(2)
        .map(|c| format!("{} {} ({})", c.name.replace('_', "-"), c.score, c.detail))
        .collect();
    let weakest = if weakest.is_empty() {
        "every component scores 100".to_string()
    } else {
        format!("weakest: {}", weakest.join("; "))
    };
    Ok(Answer {
        reply: format!(
            "{} is {}: health {}/100, {trend}; {weakest}.",
            customer.name,
            h.band.as_str().replace('_', " "),
            h.score,
        ),
        intent: "health",
        data: Data::Health { customer, health },
        candidates: Vec::new(),
    })
}

async fn last_scheduled(app: &App, caller: Caller, typed: &str, tz: Tz) -> Result<Answer> {
    let subjects = Directory::load(app, caller).await?.subjects();
    let subject = picked!(pick(&subjects, ANYONE, "last_scheduled", typed));
    let latest = bookings_of(app, caller, &subject)
        .await?
        .into_iter()
        .filter(|b| b.host == caller.user_id)
        .max_by_key(|b| (b.created_at, b.id));
    let booking = match latest {
        Some(b) => bookings::views(app, vec![b]).await?.pop(),
        None => None,
    };
    let reply = match &booking {
        None => format!("{} has not scheduled with you yet.", subject.name()),
        Some(view) => {
            let b = &view.booking;
            let status = if b.status.holds_time() {
                String::new()
            } else {
                format!(" (since {})", b.status.as_str())
            };
            format!(
                "{} last scheduled with you on {}: {} for {}{status}.",
                subject.name(),
                when(b.created_at, tz),
                b.title,
                when(b.span.start, tz),
            )
        }
    };
    Ok(Answer {
        reply,
        intent: "last_scheduled",
        data: Data::LastScheduled { subject, booking },
        candidates: Vec::new(),
    })
}

/// Whether a booking still holds time that is not over yet.
fn upcoming(b: &Booking, now: DateTime<Utc>) -> bool {
    b.status.holds_time() && b.span.end > now
}

async fn next_meeting(
    app: &App,
    caller: Caller,
    typed: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Answer> {
    let subjects = Directory::load(app, caller).await?.subjects();
    let subject = picked!(pick(&subjects, ANYONE, "next_meeting", typed));
    let next = bookings_of(app, caller, &subject)
        .await?
        .into_iter()
        .filter(|b| b.host == caller.user_id && upcoming(b, now))
        .min_by_key(|b| (b.span.start, b.id));
    let booking = match next {
        Some(b) => bookings::views(app, vec![b]).await?.pop(),
        None => None,
    };
    let reply = match &booking {
        None => format!("You have no upcoming meeting with {}.", subject.name()),
        Some(view) => {
            let b = &view.booking;
            let pending = if b.status == crate::domain::booking::BookingStatus::Pending {
                ", waiting for your confirmation"
            } else {
                ""
            };
            format!(
                "Your next meeting with {} is {} on {} with {}{pending}.",
                subject.name(),
                b.title,
                when(b.span.start, tz),
                invitee(b),
            )
        }
    };
    Ok(Answer {
        reply,
        intent: "next_meeting",
        data: Data::NextMeeting { subject, booking },
        candidates: Vec::new(),
    })
}

async fn show_bookings(
    app: &App,
    caller: Caller,
    typed: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Answer> {
    let subjects = Directory::load(app, caller).await?.subjects();
    let subject = picked!(pick(&subjects, ANYONE, "show_bookings", typed));
    let (mut upcoming, mut recent): (Vec<Booking>, Vec<Booking>) =
        bookings_of(app, caller, &subject)
            .await?
            .into_iter()
            .partition(|b| upcoming(b, now));
    upcoming.sort_by_key(|b| (b.span.start, b.id));
    recent.sort_by_key(|b| std::cmp::Reverse((b.span.start, b.id)));
    let (total_upcoming, total_recent) = (upcoming.len(), recent.len());
    upcoming.truncate(SHOWN);
    recent.truncate(SHOWN - upcoming.len());
    let more = total_upcoming + total_recent - upcoming.len() - recent.len();
    let next = upcoming
        .first()
        .map(|b| {
            format!(
                ", the next on {} with {}",
                when(b.span.start, tz),
                invitee(b)
            )
        })
        .unwrap_or_default();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut reply = format!(
        "{} has {total_upcoming} upcoming booking{}{next}, and {total_recent} earlier or cancelled one{}",
        subject.name(),
        plural(total_upcoming),
        plural(total_recent),
    );
    if more > 0 {
        reply.push_str(&format!("; showing {}, {more} more not shown", SHOWN));
    }
    reply.push('.');
    Ok(Answer {
        reply,
        intent: "show_bookings",
        data: Data::Bookings {
            subject,
            upcoming: bookings::views(app, upcoming).await?,
            recent: bookings::views(app, recent).await?,
            more,
        },
        candidates: Vec::new(),
    })
}

async fn cancel(
    app: &App,
    caller: Caller,
    typed: &str,
    day: Day,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Answer> {
    let directory = Directory::load(app, caller).await?;
    let person = picked!(pick(&directory.people, PEOPLE, "cancel_meeting", typed));
    let date = day.date(now.with_timezone(&tz).date_naive());
    let mut meetings: Vec<Booking> = bookings_of(app, caller, &Subject::Person(person.clone()))
        .await?
        .into_iter()
        .filter(|b| b.host == caller.user_id && upcoming(b, now))
        .filter(|b| date.is_none_or(|d| b.span.start.with_timezone(&tz).date_naive() == d))
        .collect();
    meetings.sort_by_key(|b| (b.span.start, b.id));
    let on_day = match date {
        Some(d) => format!(" on {}", d.format("%a %-d %b %Y")),
        None => String::new(),
    };
    match meetings.as_slice() {
        [] => Ok(Answer {
            reply: format!(
                "You have no upcoming meeting with {}{on_day} to cancel.",
                person.name
            ),
            intent: "not_found",
            data: Data::NothingToCancel { person, date },
            candidates: Vec::new(),
        }),
        [one] => {
            let booking = bookings::cancel(app, Some(caller), &one.uid, None, now).await?;
            Ok(Answer {
                reply: format!(
                    "Cancelled {} on {}.",
                    booking.booking.title,
                    when(booking.booking.span.start, tz),
                ),
                intent: "cancel_meeting",
                data: Data::Cancelled { booking },
                candidates: Vec::new(),
            })
        }
        several => {
            let candidates: Vec<Candidate> = several
                .iter()
                .map(|b| Candidate {
                    kind: "booking",
                    id: b.uid.clone(),
                    name: b.title.clone(),
                    email: b.attendees.first().map(|a| a.email.clone()),
                    domain: None,
                    customer: None,
                    start: Some(b.span.start),
                })
                .collect();
            let times: Vec<String> = several.iter().map(|b| when(b.span.start, tz)).collect();
            Ok(Answer {
                reply: format!(
                    "You have {} meetings with {}{on_day} ({}); I cancelled none. Say which day, or cancel one of them by its uid.",
                    several.len(),
                    person.name,
                    or_list(&times).replacen(" or ", " and ", 1),
                ),
                intent: "ambiguous",
                data: Data::Unresolved {
                    command: "cancel_meeting",
                    query: typed.to_string(),
                },
                candidates,
            })
        }
    }
}

/// The caller's event type `typed` names; with none named, their only one.
async fn link_event_type(
    app: &App,
    caller: Caller,
    typed: Option<&str>,
) -> Result<Result<EventType, Box<Answer>>> {
    let page = PageRequest {
        cursor: None,
        limit: Some(MAX_LIMIT),
    };
    let mine = super::event_types::list(app, caller, page).await?.items;
    if let Some(typed) = typed {
        return Ok(pick(&mine, "event type of yours", "send_link", typed));
    }
    let unresolved = Data::Unresolved {
        command: "send_link",
        query: String::new(),
    };
    Ok(match mine.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(Box::new(Answer {
            reply: "You have no event types yet: create one, then send its link.".into(),
            intent: "not_found",
            data: unresolved,
            candidates: Vec::new(),
        })),
        several => {
            let candidates: Vec<Candidate> = several.iter().map(Nameable::candidate).collect();
            let options: Vec<String> = several
                .iter()
                .map(|e| format!("{} ({})", e.slug, e.title))
                .collect();
            Err(Box::new(Answer {
                reply: format!("Which link do you mean: {}?", or_list(&options)),
                intent: "ambiguous",
                data: unresolved,
                candidates,
            }))
        }
    })
}

/// Makes a single-use link to one of the caller's event types, filled in with the
/// person and their customer, through the use case behind `createSchedulingLink`.
async fn send_link(
    app: &App,
    caller: Caller,
    typed: &str,
    event_type: Option<&str>,
    link_url: LinkUrl<'_>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Answer> {
    let directory = Directory::load(app, caller).await?;
    let person = picked!(pick(&directory.people, PEOPLE, "send_link", typed));
    let event_type = picked!(link_event_type(app, caller, event_type).await?);
    let (name, email) = match &person.stakeholder {
        Some(_) => (None, None),
        None => (Some(person.name.clone()), Some(person.email.clone())),
    };
    let input = SchedulingLinkInput {
        event_type_id: Some(event_type.id.0),
        customer_id: person.customer.as_ref().map(|c| c.id.0),
        stakeholder_id: person.stakeholder.as_ref().map(|s| s.id.0),
        name,
        email,
        max_uses: Some(1),
        expires_at: None,
    };
    let link = scheduling_links::create(app, caller, input, now).await?;
    Ok(Answer {
        reply: format!(
            "Here is a single-use link to your {} for {} ({}), valid until {}: {}",
            event_type.title,
            person.name,
            person.email,
            when(link.expires_at, tz),
            link_url(&link.token),
        ),
        intent: "send_link",
        data: Data::LinkSent {
            link,
            event_type,
            person,
        },
        candidates: Vec::new(),
    })
}
