//! A chat command's answer as JSON, written once for both transports: REST answers it
//! whole, GraphQL carries its `data` as a JSON scalar. Bookings inside it have the
//! Cal.com-v2 shape of `/v2/bookings`, and links the shape of `/v2/scheduling-links`,
//! so a client reads them with the code it has.

use serde_json::{Value, json};

use super::format::utc;
use super::public_url::PublicUrl;
use super::rest::{booking_json, link_json, recommendation_json};
use crate::app::bookings::BookingView;
use crate::app::chat::{Answer, Candidate, Data, Person, Subject};
use crate::domain::chat::EXAMPLES;

/// `{reply, intent, data, candidates}`; links are written under `base`.
pub fn answer_json(answer: &Answer, base: &PublicUrl) -> Value {
    json!({
        "reply": answer.reply,
        "intent": answer.intent,
        "data": data_json(&answer.data, base),
        "candidates": answer.candidates.iter().map(candidate_json).collect::<Vec<_>>(),
    })
}

/// The structured part of an answer, one shape per outcome; links under `base`.
pub fn data_json(data: &Data, base: &PublicUrl) -> Value {
    let booking = |b: &Option<BookingView>| b.as_ref().map_or(Value::Null, booking_json);
    let list = |bs: &[BookingView]| bs.iter().map(booking_json).collect::<Vec<_>>();
    match data {
        Data::Help => json!({ "examples": EXAMPLES }),
        Data::Unresolved { command, query } => json!({ "command": command, "query": query }),
        Data::NotConnected { command, provider } => json!({
            "command": command,
            "provider": provider.as_str(),
            "providerName": provider.name(),
        }),
        Data::LastScheduled {
            subject,
            booking: b,
        }
        | Data::NextMeeting {
            subject,
            booking: b,
        } => {
            json!({ "subject": subject_json(subject), "booking": booking(b) })
        }
        Data::Bookings {
            subject,
            upcoming,
            recent,
            more,
        } => json!({
            "subject": subject_json(subject),
            "upcoming": list(upcoming),
            "recent": list(recent),
            "more": more,
        }),
        Data::Health { customer, health } => {
            let h = &health.health;
            json!({
                "customer": { "id": customer.id.to_string(), "name": customer.name },
                "score": h.score,
                "band": h.band.as_str(),
                "trend": health.trend.map(|t| t.as_str()),
                "previousScore": health.previous_score,
                "components": h.components.iter().map(|c| json!({
                    "name": c.name,
                    "weight": c.weight,
                    "score": c.score,
                    "detail": c.detail,
                })).collect::<Vec<_>>(),
            })
        }
        Data::Cancelled { booking: b } => json!({ "booking": booking_json(b) }),
        Data::LinkSent {
            link,
            event_type,
            recommendation,
            person,
        } => json!({
            "url": base.scheduling_link(&link.token),
            "link": link_json(link, base),
            "eventType": { "id": event_type.id.0, "slug": event_type.slug, "title": event_type.title },
            "recommendation": recommendation.as_ref().map(recommendation_json),
            "person": person_json(person),
        }),
        Data::NothingToCancel { person, date } => json!({
            "command": "cancel_meeting",
            "person": person_json(person),
            "date": date.map(|d| d.format("%Y-%m-%d").to_string()),
        }),
    }
}

fn subject_json(subject: &Subject) -> Value {
    match subject {
        Subject::Customer(c) => json!({
            "kind": "customer",
            "id": c.id.to_string(),
            "name": c.name,
            "domains": c.domains,
        }),
        Subject::Person(p) => person_json(p),
    }
}

fn person_json(p: &Person) -> Value {
    json!({
        "kind": if p.stakeholder.is_some() { "stakeholder" } else { "attendee" },
        "id": p.stakeholder.as_ref().map_or_else(|| p.email.clone(), |s| s.id.to_string()),
        "name": p.name,
        "email": p.email,
        "customer": p.customer.as_ref().map(|c| json!({ "id": c.id.to_string(), "name": c.name })),
    })
}

fn candidate_json(c: &Candidate) -> Value {
    json!({
        "kind": c.kind,
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "domain": c.domain,
        "customer": c.customer,
        "start": c.start.map(utc),
    })
}
