//! One stakeholder's personal data under the GDPR: an export of everything the caller's
//! organization holds about them, and an erasure that leaves their meetings in place,
//! anonymized rather than broken.
//!
//! What the erasure does, table by table (all in one transaction):
//! - `stakeholders`: the row is deleted.
//! - `booking_attendees`: their rows become "Erased attendee" at a pseudonymous
//!   `erased-…@erased.invalid` address, without a phone number.
//! - `bookings`: their address, name and phone number are scrubbed from title, guest
//!   list, answers, metadata, location and reasons; time, status and uid stay, so the
//!   booking can still be read, cancelled and rescheduled.
//! - `meeting_links`: links of their address move to the pseudonym, keep the customer
//!   (engagement and health still count the meetings) and lose the stakeholder; they
//!   become manual, since no address identifies the customer any more.
//! - `scheduling_links`: links made for them lose the stakeholder and the filled-in
//!   name and email, and keep the customer.
//! - `webhook_deliveries` (bodies) and `outbox_events` (payloads) of the organization:
//!   stored copies that mention their address are scrubbed the same way.
//! - `idempotency_keys`: stored responses answered for the organization, or answered
//!   anonymously about one of the bookings or links above, are scrubbed the same way.
//! - `routing_form_responses`: answers that mention their address are scrubbed the
//!   same way; the route taken stays.
//!
//! Nothing else holds their data: `webhook_attempts` keep status codes and our own
//! error texts, `notifications` speak of webhooks, `customers` and `customer_domains`
//! describe the company, not the person.

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde_json::{Value, json};

use super::auth::Caller;
use super::customers;
use super::scheduling_links::STAKEHOLDER_KEY;
use super::webhooks::utc;
use super::{App, AppError, Result};
use crate::domain::booking::{Attendee, Booking};
use crate::domain::erasure::{ERASED_NAME, Scrub, pseudonym};
use crate::domain::ids::{BookingId, StakeholderId};
use crate::domain::scheduling_link::SchedulingLink;
use crate::store::{self, StoreError};

/// What an erasure changed; the counts let the organization document it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    /// The stakeholder that was erased.
    pub stakeholder_id: StakeholderId,
    /// The address that now stands for them in bookings and meeting links.
    pub pseudonym: String,
    /// Bookings anonymized.
    pub bookings: u64,
    /// Meeting links moved to the pseudonym or stripped of the stakeholder.
    pub meeting_links: u64,
    /// Scheduling links stripped of the stakeholder and the filled-in name and email.
    pub scheduling_links: u64,
    /// Webhook delivery bodies scrubbed.
    pub webhook_deliveries: u64,
    /// Outbox event payloads scrubbed.
    pub outbox_events: u64,
    /// Stored idempotent responses scrubbed.
    pub stored_responses: u64,
    /// Routing form responses scrubbed.
    pub form_responses: u64,
}

fn attendee_json(a: &Attendee) -> Value {
    json!({
        "name": a.name,
        "email": a.email,
        "timeZone": a.time_zone.name(),
        "language": a.language,
        "phoneNumber": a.phone_number,
        "absent": a.absent,
    })
}

/// One booking as the person's export shows it: their part in it, and their answers
/// when they were the one who booked.
fn booking_json(b: &Booking, email: &str) -> Value {
    let position = b
        .attendees
        .iter()
        .position(|a| a.email.eq_ignore_ascii_case(email));
    json!({
        "uid": b.uid,
        "title": b.title,
        "status": b.status.as_str(),
        "start": utc(b.span.start),
        "end": utc(b.span.end),
        "eventTypeId": b.event_type_id.0,
        "location": b.location,
        "role": if position.is_some() { "attendee" } else { "guest" },
        "attendee": position.map(|i| attendee_json(&b.attendees[i])),
        "bookingFieldsResponses": (position == Some(0)).then_some(&b.responses),
        "cancellationReason": b.cancellation_reason,
        "reschedulingReason": b.rescheduling_reason,
        "createdAt": utc(b.created_at),
        "updatedAt": utc(b.updated_at),
    })
}

fn scheduling_link_json(l: &SchedulingLink) -> Value {
    json!({
        "id": l.id.0,
        "eventTypeId": l.event_type_id.0,
        "customerId": l.customer_id.map(|c| c.0),
        "prefillName": l.prefill_name,
        "prefillEmail": l.prefill_email,
        "maxUses": l.max_uses,
        "uses": l.uses,
        "createdAt": utc(l.created_at),
        "expiresAt": utc(l.expires_at),
        "firstOpenedAt": l.first_opened_at.map(utc),
        "lastOpenedAt": l.last_opened_at.map(utc),
        "openCount": l.open_count,
        "usedAt": l.used_at.map(utc),
        "revokedAt": l.revoked_at.map(utc),
    })
}

/// Whether `email` is an attendee of `b` or one of its guests (in any case).
fn involves(b: &Booking, email: &str) -> bool {
    b.attendees
        .iter()
        .any(|a| a.email.eq_ignore_ascii_case(email))
        || b.guests
            .iter()
            .any(|g| g.trim().eq_ignore_ascii_case(email))
}

/// Everything the caller's organization holds about stakeholder `id`, as one JSON
/// document: the stakeholder, their customer's name, every booking they attend or are
/// a guest of, the meeting links naming them, the scheduling links made for them and
/// the routing form answers that mention their address.
pub async fn export(
    app: &App,
    caller: Caller,
    id: StakeholderId,
    now: DateTime<Utc>,
) -> Result<Value> {
    let s = customers::stakeholder(app, caller, id).await?;
    let org = caller.org_id;
    let customer = store::customers::find(&app.db, org, s.customer_id).await?;
    let bookings: Vec<Booking> = store::bookings::involving(&app.db, org, &s.email)
        .await?
        .into_iter()
        .filter(|b| involves(b, &s.email))
        .collect();
    let links = store::meeting_links::of_person(&app.db, org, s.id, &s.email).await?;
    let linked: Vec<BookingId> = links.iter().map(|(b, _)| *b).collect();
    let uids: std::collections::HashMap<BookingId, String> =
        store::bookings::by_ids(&app.db, org, &linked)
            .await?
            .into_iter()
            .map(|b| (b.id, b.uid))
            .collect();
    let scheduling_links =
        store::scheduling_links::made_for_person(&app.db, org, s.id, &s.email).await?;
    let form_responses = store::routing_forms::responses_mentioning(&app.db, org, &s.email).await?;
    tracing::info!(stakeholder.id = %s.id, bookings = bookings.len(), "personal data exported");
    Ok(json!({
        "exportedAt": utc(now),
        "stakeholder": {
            "id": s.id.0,
            "customerId": s.customer_id.0,
            "name": s.name,
            "email": s.email,
            "title": s.title,
            "role": s.role.as_str(),
            "createdAt": utc(s.created_at),
            "updatedAt": utc(s.updated_at),
        },
        "customer": customer.map(|c| json!({ "id": c.id.0, "name": c.name })),
        "bookings": bookings.iter().map(|b| booking_json(b, &s.email)).collect::<Vec<_>>(),
        "meetingLinks": links.iter().map(|(booking, l)| json!({
            "bookingUid": uids.get(booking),
            "customerId": l.customer_id.0,
            "attendeeEmail": l.attendee_email,
            "matchedBy": l.matched_by.as_str(),
        })).collect::<Vec<_>>(),
        "schedulingLinks": scheduling_links.iter().map(scheduling_link_json).collect::<Vec<_>>(),
        "routingFormResponses": form_responses.iter().map(|r| json!({
            "formId": r.form_id.0,
            "response": r.answers,
            "createdAt": utc(r.created_at),
        })).collect::<Vec<_>>(),
    }))
}

/// `b` with the person taken out: their attendee row anonymized (returned, when they
/// attend) and every text that mentions them scrubbed.
fn anonymize(
    b: &mut Booking,
    email: &str,
    stakeholder: StakeholderId,
    scrub: &Scrub,
) -> Option<Attendee> {
    let scrub_text = |text: &mut String| {
        if let Some(replaced) = scrub.text(text) {
            *text = replaced;
        }
    };
    let attendee = b
        .attendees
        .iter_mut()
        .find(|a| a.email.eq_ignore_ascii_case(email))
        .map(|a| {
            a.name = ERASED_NAME.to_string();
            a.email = scrub.pseudonym().to_string();
            a.phone_number = None;
            a.clone()
        });
    scrub_text(&mut b.title);
    b.guests.iter_mut().for_each(scrub_text);
    for optional in [
        &mut b.location,
        &mut b.cancellation_reason,
        &mut b.rescheduling_reason,
    ] {
        optional.iter_mut().for_each(scrub_text);
    }
    for value in b.responses.values_mut().chain(b.metadata.values_mut()) {
        scrub.json(value);
    }
    if b.metadata.get(STAKEHOLDER_KEY) == Some(&Value::from(stakeholder.to_string())) {
        b.metadata.remove(STAKEHOLDER_KEY);
    }
    attendee
}

/// Erases stakeholder `id` from the caller's organization in one transaction (see the
/// module documentation for what happens to each table). Afterwards the stakeholder
/// does not exist: exporting or erasing them again is `NOT_FOUND`.
pub async fn erase(
    app: &App,
    caller: Caller,
    id: StakeholderId,
    now: DateTime<Utc>,
) -> Result<Erasure> {
    let s = customers::stakeholder(app, caller, id).await?;
    let org = caller.org_id;
    let mut random = [0u8; 6];
    rand::rng().fill_bytes(&mut random);
    let txn = store::db::begin_write(&app.db).await?;
    let bookings: Vec<Booking> = store::bookings::involving(&txn, org, &s.email)
        .await?
        .into_iter()
        .filter(|b| involves(b, &s.email))
        .collect();
    let phones: Vec<String> = bookings
        .iter()
        .flat_map(|b| &b.attendees)
        .filter(|a| a.email.eq_ignore_ascii_case(&s.email))
        .filter_map(|a| a.phone_number.clone())
        .collect();
    let scrub = Scrub::new(&s.email, &s.name, &phones, pseudonym(random));
    let mut erasure = Erasure {
        stakeholder_id: s.id,
        pseudonym: scrub.pseudonym().to_string(),
        bookings: 0,
        meeting_links: 0,
        scheduling_links: 0,
        webhook_deliveries: 0,
        outbox_events: 0,
        stored_responses: 0,
        form_responses: 0,
    };
    for booking in &bookings {
        let mut anonymized = booking.clone();
        let attendee = anonymize(&mut anonymized, &s.email, s.id, &scrub);
        anonymized.updated_at = now;
        store::bookings::rewrite_personal_data(&txn, &anonymized, &s.email, attendee.as_ref())
            .await?;
        erasure.bookings += 1;
    }
    erasure.meeting_links =
        store::meeting_links::pseudonymize(&txn, org, s.id, &s.email, scrub.pseudonym()).await?;
    let links = store::scheduling_links::made_for_person(&txn, org, s.id, &s.email).await?;
    erasure.scheduling_links =
        store::scheduling_links::forget_person(&txn, org, s.id, &s.email).await?;
    // Events first: rewriting one waits for a dispatcher fanning it out right now, so
    // the deliveries it made are committed, and found, by the time they are searched.
    for (event, payload) in store::outbox::payloads_mentioning(&txn, org, &s.email).await? {
        if let Some(scrubbed) = scrub.text(&payload) {
            store::outbox::set_payload(&txn, org, event, &scrubbed).await?;
            erasure.outbox_events += 1;
        }
    }
    for (delivery, body) in
        store::webhook_deliveries::bodies_mentioning(&txn, org, &s.email).await?
    {
        if let Some(scrubbed) = scrub.text(&body) {
            store::webhook_deliveries::set_body(&txn, org, delivery, &scrubbed).await?;
            erasure.webhook_deliveries += 1;
        }
    }
    // An anonymous caller's response belongs to us when it is about one of our
    // bookings or links; those handles are unguessable and unique across tenants.
    let handles: Vec<&str> = bookings
        .iter()
        .map(|b| b.uid.as_str())
        .chain(links.iter().map(|l| l.token.as_str()))
        .collect();
    for stored in store::idempotency::responses_mentioning(&txn, org, &s.email).await? {
        let ours = stored.org_id == Some(org) || handles.iter().any(|h| stored.body.contains(h));
        if let Some(scrubbed) = scrub.text(&stored.body).filter(|_| ours) {
            store::idempotency::set_response(&txn, stored.id, &scrubbed).await?;
            erasure.stored_responses += 1;
        }
    }
    for response in store::routing_forms::responses_mentioning(&txn, org, &s.email).await? {
        let answers = serde_json::to_string(&response.answers).unwrap_or_default();
        if let Some(scrubbed) = scrub.text(&answers) {
            store::routing_forms::set_answers(&txn, org, response.id, &scrubbed).await?;
            erasure.form_responses += 1;
        }
    }
    if !store::stakeholders::delete(&txn, org, s.id).await? {
        return Err(AppError::NotFound(format!(
            "stakeholder `{id}` does not exist"
        )));
    }
    // One stakeholder fewer changes the customer's coverage.
    store::customer_health::forget(&txn, org, &[s.customer_id]).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(
        stakeholder.id = %s.id,
        bookings = erasure.bookings,
        meeting_links = erasure.meeting_links,
        scheduling_links = erasure.scheduling_links,
        webhook_deliveries = erasure.webhook_deliveries,
        outbox_events = erasure.outbox_events,
        stored_responses = erasure.stored_responses,
        form_responses = erasure.form_responses,
        "stakeholder erased"
    );
    Ok(erasure)
}
