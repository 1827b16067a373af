//! Scheduling links: a CSM makes a link to one of their event types for a customer or
//! one of its stakeholders (Calendly's single-use links). It books once, or up to
//! `maxUses` times, until it expires; the invitee's name and email are filled in; the
//! booking carries the customer context in its metadata and is linked to the customer.
//!
//! The token in the URL is the invitee's only credential, so opening and booking need
//! no key. Opening is tracked (first, last, how often) so the CSM sees whether the
//! customer looked. A used, expired or revoked link answers `GONE` saying which and
//! since when; an unknown token is `NOT_FOUND`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::auth::Caller;
use super::bookings::{BookingView, CreateBookingInput};
use super::input::{self, Issues};
use super::page::{Page, PageRequest};
use super::recommendations::recommend_event_type;
use super::{App, AppError, Result};
use crate::domain::crm::recommendation::Recommendation;
use crate::domain::event_type::EventType;
use crate::domain::ids::{CustomerId, EventTypeId, SchedulingLinkId, StakeholderId};
use crate::domain::scheduling_link::{SchedulingLink, Unusable, check_limits};
use crate::domain::user::User;
use crate::domain::validate::{self, FieldIssue};
use crate::store;

/// The metadata key naming the customer a link was made for.
pub const CUSTOMER_KEY: &str = "convene.customerId";
/// The metadata key naming the stakeholder a link was made for.
pub const STAKEHOLDER_KEY: &str = "convene.stakeholderId";
/// The metadata key naming the link a booking came through.
pub const LINK_KEY: &str = "convene.schedulingLinkId";

/// Random bytes in a token: 144 bits, 24 URL-safe characters.
const TOKEN_BYTES: usize = 18;

/// A link as a CSM asks for it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchedulingLinkInput {
    /// One of the caller's event types; when absent, the one recommended for the
    /// customer (see [`super::recommendations`]).
    pub event_type_id: Option<i64>,
    /// The customer the meeting is with.
    pub customer_id: Option<i64>,
    /// The stakeholder it is for: fills in name and email and implies their customer.
    pub stakeholder_id: Option<i64>,
    /// The invitee's name (default: the stakeholder's).
    pub name: Option<String>,
    /// The invitee's email (default: the stakeholder's).
    pub email: Option<String>,
    /// How many bookings it may make, 1–1000 (default 1).
    pub max_uses: Option<i64>,
    /// When it stops working, an ISO instant at most 90 days away (default in 7 days).
    pub expires_at: Option<String>,
}

/// A link just made, and why its event type was chosen when the CSM named none.
#[derive(Debug, Clone)]
pub struct CreatedLink {
    /// The link.
    pub link: SchedulingLink,
    /// The recommendation that chose its event type; `None` when one was named.
    pub recommendation: Option<Recommendation>,
}

/// What an invitee sees on opening a link.
#[derive(Debug, Clone)]
pub struct OpenedLink {
    /// The link, with this opening counted.
    pub link: SchedulingLink,
    /// What it books.
    pub event_type: EventType,
    /// Whose time it books.
    pub host: User,
}

fn gone(why: Unusable) -> AppError {
    AppError::Gone(why.to_string())
}

fn unknown_token() -> AppError {
    AppError::NotFound("this scheduling link does not exist".into())
}

fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `token` could be one of ours; anything else is refused before the database.
fn plausible_token(token: &str) -> bool {
    token.len() == TOKEN_BYTES * 4 / 3
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Makes a link to one of the caller's event types, checking every field at once.
/// Without an event type, the one recommended for the link's customer is used; with
/// none to recommend, `eventTypeId` is refused saying why.
pub async fn create(
    app: &App,
    caller: Caller,
    input: SchedulingLinkInput,
    now: DateTime<Utc>,
) -> Result<CreatedLink> {
    let mut issues = Issues::default();
    let named = match input.event_type_id {
        None => None,
        Some(id) => {
            let mine = store::event_types::find(&app.db, caller.org_id, EventTypeId(id))
                .await?
                .filter(|e| e.owner == caller.user_id);
            issues.require(
                mine.is_some(),
                "eventTypeId",
                format!("event type `{id}` is not one of yours"),
            );
            mine
        }
    };
    let stakeholder = match input.stakeholder_id {
        None => None,
        Some(id) => {
            let found =
                store::stakeholders::find(&app.db, caller.org_id, StakeholderId(id)).await?;
            issues.require(
                found.is_some(),
                "stakeholderId",
                format!("stakeholder `{id}` does not exist"),
            );
            found
        }
    };
    let known_customer;
    let customer = match input.customer_id {
        None => {
            known_customer = stakeholder.as_ref().map(|s| s.customer_id);
            known_customer
        }
        Some(id) => {
            let customer = CustomerId(id);
            let exists = store::customers::find(&app.db, caller.org_id, customer)
                .await?
                .is_some();
            issues.require(
                exists,
                "customerId",
                format!("customer `{id}` does not exist"),
            );
            known_customer = exists.then_some(customer);
            if let Some(s) = &stakeholder {
                issues.require(
                    s.customer_id == customer,
                    "stakeholderId",
                    format!("is not a stakeholder of customer `{id}`"),
                );
            }
            Some(customer)
        }
    };
    let (event_type, recommendation) = match input.event_type_id {
        Some(_) => (named, None),
        None => recommended(app, caller, known_customer, &mut issues, now).await?,
    };
    let name = match input.name.as_deref().map(str::trim) {
        Some(name) => {
            issues.require(name.len() <= 200, "name", "must be at most 200 characters");
            Some(name.to_string()).filter(|n| !n.is_empty())
        }
        None => stakeholder.as_ref().map(|s| s.name.clone()),
    };
    let email = match input.email.as_deref().map(|e| e.trim().to_lowercase()) {
        Some(email) if email.is_empty() => None,
        Some(email) => {
            issues.take(validate::email(&email).map_err(|m| FieldIssue::new("email", m)));
            Some(email)
        }
        None => stakeholder.as_ref().map(|s| s.email.clone()),
    };
    let expires_at = input
        .expires_at
        .as_deref()
        .and_then(|s| issues.take(input::instant("expiresAt", s)));
    let (max_uses, expires_at) =
        issues.finish_with(check_limits(input.max_uses, expires_at, now))?;
    let Some(event_type) = event_type else {
        return Err(AppError::invalid("eventTypeId", "is required"));
    };
    let link = SchedulingLink {
        id: SchedulingLinkId(0),
        org_id: caller.org_id,
        token: new_token(),
        event_type_id: event_type.id,
        created_by: caller.user_id,
        customer_id: customer,
        stakeholder_id: stakeholder.map(|s| s.id),
        prefill_name: name,
        prefill_email: email,
        max_uses,
        uses: 0,
        expires_at,
        created_at: now,
        first_opened_at: None,
        last_opened_at: None,
        open_count: 0,
        used_at: None,
        revoked_at: None,
    };
    let link = store::scheduling_links::insert(&app.db, &link).await?;
    tracing::info!(
        scheduling_link.id = %link.id,
        event_type.id = %link.event_type_id,
        recommended = recommendation.is_some(),
        "scheduling link created"
    );
    Ok(CreatedLink {
        link,
        recommendation,
    })
}

/// The event type recommended for `customer`, with why; without a customer, or with
/// nothing to recommend, an issue on `eventTypeId` saying so.
async fn recommended(
    app: &App,
    caller: Caller,
    customer: Option<CustomerId>,
    issues: &mut Issues,
    now: DateTime<Utc>,
) -> Result<(Option<EventType>, Option<Recommendation>)> {
    let Some(customer) = customer else {
        issues.require(
            false,
            "eventTypeId",
            "is required unless a customer or stakeholder is given to recommend one for",
        );
        return Ok((None, None));
    };
    let advice = recommend_event_type(app, caller, customer, now).await?;
    let Some(offer) = advice.offer else {
        issues.require(
            false,
            "eventTypeId",
            format!("none given, and none to recommend: {}", advice.reason),
        );
        return Ok((None, None));
    };
    let why = Recommendation {
        category: offer.category,
        reason: advice.reason,
    };
    Ok((Some(offer.event_type), Some(why)))
}

/// The link `id` of the caller's organization.
pub async fn get(app: &App, caller: Caller, id: SchedulingLinkId) -> Result<SchedulingLink> {
    store::scheduling_links::find(&app.db, caller.org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("scheduling link `{id}` does not exist")))
}

/// A page of the organization's links, newest first; only `customer`'s when given.
pub async fn list(
    app: &App,
    caller: Caller,
    customer: Option<CustomerId>,
    page: PageRequest,
) -> Result<Page<SchedulingLink>> {
    let keyset = page.keyset()?;
    let rows = store::scheduling_links::list(&app.db, caller.org_id, customer, keyset).await?;
    Ok(Page::from_rows(rows, &keyset, |l| l.id.0))
}

/// Withdraws a link: from now on it answers `GONE`. Revoking twice keeps the first date.
pub async fn revoke(
    app: &App,
    caller: Caller,
    id: SchedulingLinkId,
    now: DateTime<Utc>,
) -> Result<SchedulingLink> {
    get(app, caller, id).await?;
    store::scheduling_links::revoke(&app.db, caller.org_id, id, now).await?;
    tracing::info!(scheduling_link.id = %id, "scheduling link revoked");
    get(app, caller, id).await
}

/// Opens the link `token` for an invitee: counts the opening (also of a link that no
/// longer books, so the CSM sees a late visit) and answers what it books.
pub async fn open(app: &App, token: &str, now: DateTime<Utc>) -> Result<OpenedLink> {
    let link = by_token(app, token).await?;
    store::scheduling_links::record_open(&app.db, link.id, now).await?;
    // Opening changes only the counters the CSM reads; what the invitee sees stands.
    link.usable(now).map_err(gone)?;
    let event_type = store::event_types::find(&app.db, link.org_id, link.event_type_id)
        .await?
        .ok_or_else(|| AppError::Gone("this link's event type was deleted".into()))?;
    let host = store::users::find(&app.db, link.org_id, event_type.owner)
        .await?
        .ok_or_else(|| AppError::Gone("this link's host no longer exists".into()))?;
    Ok(OpenedLink {
        link,
        event_type,
        host,
    })
}

/// Books through the link `token` on the same path as `POST /v2/bookings`: the event
/// type is the link's (any sent is ignored), the attendee's name and email default to
/// the link's, and the booking's metadata carries the customer context.
pub async fn book(
    app: &App,
    token: &str,
    mut input: CreateBookingInput,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    let link = by_token(app, token).await?;
    link.usable(now).map_err(gone)?;
    input.event_type_id = Some(link.event_type_id.0);
    input.username = None;
    input.event_type_slug = None;
    let mut attendee = input.attendee.take().unwrap_or_default();
    attendee.name = attendee.name.or_else(|| link.prefill_name.clone());
    attendee.email = attendee.email.or_else(|| link.prefill_email.clone());
    input.attendee = Some(attendee);
    let view = super::bookings::create_through_link(app, input, &link, now).await?;
    tracing::info!(scheduling_link.id = %link.id, booking.uid = %view.booking.uid, "scheduling link used");
    Ok(view)
}

async fn by_token(app: &App, token: &str) -> Result<SchedulingLink> {
    if !plausible_token(token) {
        return Err(unknown_token());
    }
    store::scheduling_links::find_by_token(&app.db, token)
        .await?
        .ok_or_else(unknown_token)
}

/// The customer context a booking through `link` carries in its metadata, as strings
/// (Cal.com's metadata limits).
pub(super) fn context(link: &SchedulingLink) -> Map<String, Value> {
    let mut context = Map::new();
    context.insert(LINK_KEY.into(), Value::from(link.id.to_string()));
    if let Some(customer) = link.customer_id {
        context.insert(CUSTOMER_KEY.into(), Value::from(customer.to_string()));
    }
    if let Some(stakeholder) = link.stakeholder_id {
        context.insert(STAKEHOLDER_KEY.into(), Value::from(stakeholder.to_string()));
    }
    context
}

/// Spends one use of `link` inside the booking's transaction `db`; `GONE`, saying why,
/// when another booking spent the last use (or the link changed) since it was read.
pub(super) async fn spend_use(
    db: &impl ConnectionTrait,
    link: &SchedulingLink,
    now: DateTime<Utc>,
) -> Result<()> {
    if store::scheduling_links::claim_use(db, link.org_id, link.id, now).await? {
        return Ok(());
    }
    let current = store::scheduling_links::find(db, link.org_id, link.id)
        .await?
        .ok_or_else(unknown_token)?;
    match current.usable(now) {
        Err(why) => Err(gone(why)),
        Ok(()) => Err(AppError::Conflict(
            "the scheduling link changed meanwhile; retry".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_url_safe_and_recognised() {
        let token = new_token();
        assert_eq!(token.len(), 24);
        assert!(plausible_token(&token), "{token}");
        assert_ne!(token, new_token());
        for junk in ["", "short", "has/slash/has/slash/abcd", &"x".repeat(25)] {
            assert!(!plausible_token(junk), "{junk}");
        }
    }
}
