//! Resolving the names a command types against the caller's organization: its
//! customers, stakeholders and the people who booked the caller; ambiguous names become
//! candidates to choose from.

use std::collections::HashMap;

use crate::app::auth::Caller;
use crate::app::{App, Result};
use crate::domain::chat::{self, Named, Resolved};
use crate::domain::crm::linking;
use crate::domain::customer::Customer;
use crate::domain::erasure::PSEUDONYM_DOMAIN;
use crate::domain::event_type::EventType;
use crate::domain::ids::CustomerId;
use crate::store;

use super::{Answer, Candidate, Data, Person, Subject};

/// Something a name in a command can mean.
pub(super) trait Nameable: Clone {
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
pub(super) struct Directory {
    pub(super) customers: Vec<Customer>,
    pub(super) people: Vec<Person>,
}

impl Directory {
    /// The organization's customers, its stakeholders, and the people who booked the
    /// caller (each address once; a stakeholder's name is the one the CSM keeps; erased
    /// people not at all).
    pub(super) async fn load(app: &App, caller: Caller) -> Result<Directory> {
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
    pub(super) fn subjects(&self) -> Vec<Subject> {
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
pub(super) fn pick<T: Nameable>(
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
pub(super) const PEOPLE: &str = "stakeholder or person who booked with you";
/// Names matched against customers and people.
pub(super) const ANYONE: &str = "customer, stakeholder or person who booked with you";

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
pub(super) fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
