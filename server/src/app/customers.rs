//! The customer-success layer's use cases: customers with their domains, their
//! stakeholders, and linking every booking to the accounts its attendees belong to.
//!
//! Linking runs inside the transaction that writes the booking, so no booking is ever
//! left unlinked, and again whenever what it depends on changes (a customer's domains,
//! a stakeholder's email). A CSM's manual link always wins over the automatic ones.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Deserialize;

use super::auth::Caller;
use super::bookings::StartAndId;
use super::input::{self, Issues};
use super::page::{Page, PageRequest};
use super::{App, AppError, Result};
use crate::domain::booking::Booking;
use crate::domain::crm::assessment::Assessment;
use crate::domain::crm::health::{Band, Tier, Weights};
use crate::domain::crm::linking::{self, Link, MatchedBy};
use crate::domain::customer::{
    Customer, LifecycleStage, MeetingCategory, Stakeholder, StakeholderRole,
};
use crate::domain::ids::{BookingId, CustomerId, EventTypeId, OrgId, StakeholderId, UserId};
use crate::domain::validate;
use crate::store::bookings::{BookingQuery, StatusFilter};
use crate::store::customers::CustomerFilter;
pub use crate::store::customers::CustomerOrder;
use crate::store::{self, StoreError};

/// A customer as sent; on update, absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInput {
    /// Display name (required on create).
    pub name: Option<String>,
    /// Email domains of the account's people (`acme.com`); replaces the list.
    pub domains: Option<Vec<String>>,
    /// The owning CSM's user id; `Some(None)` removes the owner.
    pub owner_id: Option<Option<i64>>,
    /// `enterprise`, `mid-market`, `smb` or `other` (default `other`).
    pub tier: Option<String>,
    /// Annual recurring revenue in cents.
    pub arr_cents: Option<i64>,
    /// `onboarding`, `active`, `renewal` or `churned` (default `active`).
    pub lifecycle_stage: Option<String>,
    /// When the contract renews, `YYYY-MM-DD`; `Some(None)` forgets it.
    pub renewal_date: Option<Option<String>>,
}

/// A stakeholder as sent; on update, absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StakeholderInput {
    /// Full name (required on create).
    pub name: Option<String>,
    /// Email address (required on create); unique within the organization.
    pub email: Option<String>,
    /// Job title; an empty string removes it.
    pub title: Option<String>,
    /// `champion`, `decision_maker`, `executive`, `user` or `other` (default `user`).
    pub role: Option<String>,
}

/// Which customers to list, and in which order.
#[derive(Debug, Clone, Default)]
pub struct CustomerQuery {
    /// Only accounts this CSM owns.
    pub owner_id: Option<i64>,
    /// Only accounts of this tier.
    pub tier: Option<String>,
    /// Name or domain contains / starts with this text.
    pub search: Option<String>,
    /// Only accounts in this health band: `healthy`, `at_risk` or `critical`.
    pub band: Option<String>,
    /// The order (default: when added).
    pub order: CustomerOrder,
    /// Largest first: healthiest, most recently met, newest.
    pub descending: bool,
}

/// A meeting with a customer: the booking and how it was linked.
#[derive(Debug, Clone)]
pub struct Meeting {
    /// The booking.
    pub booking: Booking,
    /// Its kind, from its event type.
    pub category: Option<MeetingCategory>,
    /// The links of this booking to the customer (one per matched attendee).
    pub links: Vec<Link>,
}

fn words<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|x| name(*x)).collect::<Vec<_>>().join(", ")
}

/// Checks `input` onto `c`, collecting every problem.
async fn apply_customer(app: &App, c: &mut Customer, input: &CustomerInput) -> Result<()> {
    let mut issues = Issues::default();
    if let Some(name) = &input.name {
        let name = name.trim();
        issues.require(!name.is_empty(), "name", "must not be empty");
        issues.require(name.len() <= 200, "name", "must be at most 200 characters");
        c.name = name.to_string();
    }
    if let Some(domains) = &input.domains {
        let mut normalized = Vec::new();
        for (i, raw) in domains.iter().enumerate() {
            match linking::normalize_domain(raw) {
                Some(d) if linking::is_free_mail(&d) => issues.require(
                    false,
                    &format!("domains[{i}]"),
                    format!("`{d}` is a free email provider: its people are not one customer"),
                ),
                Some(d) if !normalized.contains(&d) => normalized.push(d),
                Some(_) => {}
                None => issues.require(
                    false,
                    &format!("domains[{i}]"),
                    format!("`{raw}` is not a domain such as acme.com"),
                ),
            }
        }
        issues.require(normalized.len() <= 50, "domains", "at most 50 domains");
        c.domains = normalized;
    }
    if let Some(tier) = &input.tier {
        match Tier::parse(tier) {
            Some(t) => c.tier = t,
            None => issues.require(
                false,
                "tier",
                format!("`{tier}` is not one of enterprise, mid-market, smb, other"),
            ),
        }
    }
    if let Some(arr) = input.arr_cents {
        issues.require(arr >= 0, "arrCents", "must not be negative");
        c.arr_cents = arr;
    }
    if let Some(stage) = &input.lifecycle_stage {
        match LifecycleStage::parse(stage) {
            Some(s) => c.lifecycle_stage = s,
            None => issues.require(
                false,
                "lifecycleStage",
                format!(
                    "`{stage}` is not one of {}",
                    words(&LifecycleStage::ALL, LifecycleStage::as_str)
                ),
            ),
        }
    }
    if let Some(renewal) = &input.renewal_date {
        c.renewal_date = match renewal {
            Some(date) => issues.take(input::date("renewalDate", date)),
            None => None,
        };
    }
    if let Some(owner) = input.owner_id {
        c.owner = owner.map(UserId);
        if let Some(owner) = c.owner {
            let exists = store::users::find(&app.db, c.org_id, owner)
                .await?
                .is_some();
            issues.require(
                exists,
                "ownerId",
                format!("user `{owner}` is not in your organization"),
            );
        }
    }
    issues.finish()
}

/// Creates a customer; bookings already made from its domains are linked to it.
pub async fn create(app: &App, caller: Caller, input: CustomerInput) -> Result<Customer> {
    if input.name.is_none() {
        return Err(AppError::invalid("name", "is required"));
    }
    let now = Utc::now();
    let mut c = Customer {
        id: CustomerId(0),
        org_id: caller.org_id,
        name: String::new(),
        domains: Vec::new(),
        owner: None,
        tier: Tier::Other,
        arr_cents: 0,
        lifecycle_stage: LifecycleStage::Active,
        renewal_date: None,
        created_at: now,
        updated_at: now,
    };
    apply_customer(app, &mut c, &input).await?;
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    let c = store::customers::insert(&txn, &c).await?;
    relink_domains(&txn, c.org_id, &c.domains, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(c)
}

/// The caller's organization's customer `id`.
pub async fn get(app: &App, caller: Caller, id: CustomerId) -> Result<Customer> {
    store::customers::find(&app.db, caller.org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer `{id}` does not exist")))
}

/// Changes the fields given; changing the domains relinks the bookings they concern.
pub async fn update(
    app: &App,
    caller: Caller,
    id: CustomerId,
    input: CustomerInput,
) -> Result<Customer> {
    let mut c = get(app, caller, id).await?;
    let old_domains = c.domains.clone();
    apply_customer(app, &mut c, &input).await?;
    let now = Utc::now();
    c.updated_at = now;
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    let c = store::customers::update(&txn, &c).await?;
    store::customer_health::forget(&txn, c.org_id, &[c.id]).await?;
    if c.domains != old_domains {
        let touched: Vec<String> = old_domains.into_iter().chain(c.domains.clone()).collect();
        relink_domains(&txn, c.org_id, &touched, now).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    Ok(c)
}

/// Deletes a customer with its stakeholders and links; the bookings stay.
pub async fn delete(app: &App, caller: Caller, id: CustomerId) -> Result<Customer> {
    let c = get(app, caller, id).await?;
    store::customers::delete(&app.db, caller.org_id, id).await?;
    Ok(c)
}

/// A page of the organization's customers. Filtering or ordering by health first
/// brings every snapshot of the organization up to date, so none is left out.
pub async fn list(
    app: &App,
    caller: Caller,
    query: CustomerQuery,
    page: PageRequest,
) -> Result<Page<Customer>> {
    let mut issues = Issues::default();
    let tier = query.tier.as_deref().and_then(|t| {
        let parsed = Tier::parse(t);
        issues.require(
            parsed.is_some(),
            "tier",
            format!("`{t}` is not one of enterprise, mid-market, smb, other"),
        );
        parsed
    });
    let band = query.band.as_deref().and_then(|b| {
        let parsed = Band::parse(b);
        issues.require(
            parsed.is_some(),
            "band",
            format!("`{b}` is not one of healthy, at_risk, critical"),
        );
        parsed
    });
    let keyset = issues.finish_with(page.check())?;
    if band.is_some() || query.order != CustomerOrder::Created {
        super::customer_health::ensure_fresh(&app.db, caller.org_id, Utc::now()).await?;
    }
    let filter = CustomerFilter {
        owner: query.owner_id.map(UserId),
        tier,
        search: query.search.filter(|s| !s.trim().is_empty()),
        band,
    };
    let rows = store::customers::list(
        &app.db,
        caller.org_id,
        &filter,
        query.order,
        query.descending,
        keyset,
    )
    .await?;
    Ok(Page::from_rows(rows, &keyset, |(key, _)| *key).map(|(_, c)| c))
}

/// Checks `input` onto `s`.
fn apply_stakeholder(s: &mut Stakeholder, input: &StakeholderInput) -> Result<()> {
    let mut issues = Issues::default();
    if let Some(name) = &input.name {
        let name = name.trim();
        issues.require(!name.is_empty(), "name", "must not be empty");
        s.name = name.to_string();
    }
    if let Some(email) = &input.email {
        let email = email.trim().to_lowercase();
        if let Err(message) = validate::email(&email) {
            issues.require(false, "email", message);
        }
        s.email = email;
    }
    if let Some(title) = &input.title {
        s.title = Some(title.trim().to_string()).filter(|t| !t.is_empty());
    }
    if let Some(role) = &input.role {
        match StakeholderRole::parse(role) {
            Some(r) => s.role = r,
            None => issues.require(
                false,
                "role",
                format!(
                    "`{role}` is not one of {}",
                    words(&StakeholderRole::ALL, StakeholderRole::as_str)
                ),
            ),
        }
    }
    issues.finish()
}

fn email_taken(email: &str) -> AppError {
    AppError::invalid(
        "email",
        format!("`{email}` already belongs to another stakeholder"),
    )
}

/// Adds a stakeholder to customer `customer`; their past bookings are linked to them.
pub async fn add_stakeholder(
    app: &App,
    caller: Caller,
    customer: CustomerId,
    input: StakeholderInput,
) -> Result<Stakeholder> {
    let mut issues = Issues::default();
    issues.require(input.name.is_some(), "name", "is required");
    issues.require(input.email.is_some(), "email", "is required");
    issues.finish()?;
    get(app, caller, customer).await?;
    let now = Utc::now();
    let mut s = Stakeholder {
        id: StakeholderId(0),
        org_id: caller.org_id,
        customer_id: customer,
        name: String::new(),
        email: String::new(),
        title: None,
        role: StakeholderRole::User,
        created_at: now,
        updated_at: now,
    };
    apply_stakeholder(&mut s, &input)?;
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    let s = match store::stakeholders::insert(&txn, &s).await {
        Err(StoreError::Duplicate) => return Err(email_taken(&s.email)),
        other => other?,
    };
    store::customer_health::forget(&txn, s.org_id, &[s.customer_id]).await?;
    relink_emails(&txn, s.org_id, std::slice::from_ref(&s.email), now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(s)
}

/// The stakeholder `id` of the caller's organization.
pub async fn stakeholder(app: &App, caller: Caller, id: StakeholderId) -> Result<Stakeholder> {
    store::stakeholders::find(&app.db, caller.org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("stakeholder `{id}` does not exist")))
}

/// Changes the fields given; a new email relinks the bookings of the old and the new.
pub async fn update_stakeholder(
    app: &App,
    caller: Caller,
    id: StakeholderId,
    input: StakeholderInput,
) -> Result<Stakeholder> {
    let mut s = stakeholder(app, caller, id).await?;
    let old_email = s.email.clone();
    apply_stakeholder(&mut s, &input)?;
    let now = Utc::now();
    s.updated_at = now;
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    let s = match store::stakeholders::update(&txn, &s).await {
        Err(StoreError::Duplicate) => return Err(email_taken(&s.email)),
        other => other?,
    };
    if s.email != old_email {
        store::customer_health::forget(&txn, s.org_id, &[s.customer_id]).await?;
        relink_emails(&txn, s.org_id, &[old_email, s.email.clone()], now).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    Ok(s)
}

/// Removes a stakeholder; their meetings stay with the customer.
pub async fn remove_stakeholder(
    app: &App,
    caller: Caller,
    id: StakeholderId,
) -> Result<Stakeholder> {
    let s = stakeholder(app, caller, id).await?;
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    store::stakeholders::delete(&txn, caller.org_id, id).await?;
    store::customer_health::forget(&txn, caller.org_id, &[s.customer_id]).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(s)
}

/// Every stakeholder of customer `customer`.
pub async fn stakeholders(
    app: &App,
    caller: Caller,
    customer: CustomerId,
) -> Result<Vec<Stakeholder>> {
    Ok(store::stakeholders::many(&app.db, caller.org_id, Some(&[customer])).await?)
}

/// The stakeholders of each of `customers`, in one query (customers of another
/// organization have none).
pub async fn stakeholders_of(
    app: &App,
    caller: Caller,
    customers: &[CustomerId],
) -> Result<HashMap<CustomerId, Vec<Stakeholder>>> {
    let mut out: HashMap<CustomerId, Vec<Stakeholder>> = HashMap::new();
    for s in store::stakeholders::many(&app.db, caller.org_id, Some(customers)).await? {
        out.entry(s.customer_id).or_default().push(s);
    }
    Ok(out)
}

/// The health of each of `customers` at `now`, in a fixed number of queries (see
/// [`super::customer_health`]); customers of another organization are absent.
pub async fn health_of(
    app: &App,
    caller: Caller,
    customers: &[CustomerId],
    now: DateTime<Utc>,
) -> Result<HashMap<CustomerId, Assessment>> {
    super::customer_health::assessments(&app.db, caller.org_id, customers, now).await
}

/// Which of a customer's meetings to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MeetingTime {
    /// Accepted or pending and not yet over, soonest first.
    Upcoming,
    /// Over, whatever became of them (cancellations included), latest first.
    Past,
    /// All of them, latest first.
    #[default]
    All,
}

/// A page of the meetings linked to customer `customer`.
pub async fn meetings(
    app: &App,
    caller: Caller,
    customer: CustomerId,
    when: MeetingTime,
    page: PageRequest,
) -> Result<Page<Meeting>> {
    let keyset = page.keyset::<StartAndId>()?;
    get(app, caller, customer).await?;
    let now = Utc::now();
    let (statuses, before_end, descending) = match when {
        MeetingTime::Upcoming => (vec![StatusFilter::Upcoming], None, false),
        MeetingTime::Past => (Vec::new(), Some(now), true),
        MeetingTime::All => (Vec::new(), None, true),
    };
    let query = BookingQuery {
        host: None,
        customer: Some(customer),
        statuses,
        attendee_email: None,
        event_type_id: None,
        after_start: None,
        before_end,
        descending,
        page: keyset,
    };
    let rows = store::bookings::list(&app.db, caller.org_id, &query, now).await?;
    let page = Page::from_rows(rows, &keyset, |b| (b.span.start, b.id));
    let ids: Vec<BookingId> = page.items.iter().map(|b| b.id).collect();
    let mut links: HashMap<BookingId, Vec<Link>> = HashMap::new();
    for (booking, link) in
        store::meeting_links::for_customer(&app.db, caller.org_id, customer, &ids).await?
    {
        links.entry(booking).or_default().push(link);
    }
    let categories = store::meeting_categories::of_org(&app.db, caller.org_id).await?;
    Ok(page.map(|booking| Meeting {
        category: categories.get(&booking.event_type_id).copied(),
        links: links.remove(&booking.id).unwrap_or_default(),
        booking,
    }))
}

/// The engagement and health of customer `id` at `now`, with the trend.
pub async fn health(
    app: &App,
    caller: Caller,
    id: CustomerId,
    now: DateTime<Utc>,
) -> Result<Assessment> {
    // Another organization's customer is simply absent from the answer.
    health_of(app, caller, &[id], now)
        .await?
        .remove(&id)
        .ok_or_else(|| AppError::NotFound(format!("customer `{id}` does not exist")))
}

/// Makes `category` the kind of meeting event type `event_type` is (`None` clears it), so
/// engagement counts its bookings by kind.
pub async fn set_meeting_category(
    app: &App,
    caller: Caller,
    event_type: EventTypeId,
    category: Option<String>,
) -> Result<Option<MeetingCategory>> {
    let mut issues = Issues::default();
    let exists = store::event_types::find(&app.db, caller.org_id, event_type).await?;
    issues.require(
        exists.is_some(),
        "eventTypeId",
        format!("event type `{event_type}` does not exist"),
    );
    let category = category.as_deref().and_then(|c| {
        let parsed = MeetingCategory::parse(c);
        issues.require(
            parsed.is_some(),
            "category",
            format!(
                "`{c}` is not one of {}",
                words(&MeetingCategory::ALL, MeetingCategory::as_str)
            ),
        );
        parsed
    });
    issues.finish()?;
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    store::meeting_categories::set(&txn, caller.org_id, event_type, category).await?;
    store::customer_health::forget_org(&txn, caller.org_id).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(category)
}

/// Whether the caller's organization adds a stakeholder for each new attendee at one
/// of its customers' domains.
pub async fn auto_stakeholders(app: &App, caller: Caller) -> Result<bool> {
    Ok(store::orgs::auto_stakeholders(&app.db, caller.org_id).await?)
}

/// Switches adding stakeholders for new attendees at customers' domains on or off;
/// bookings made from then on are linked accordingly.
pub async fn set_auto_stakeholders(app: &App, caller: Caller, on: bool) -> Result<bool> {
    store::orgs::set_auto_stakeholders(&app.db, caller.org_id, on).await?;
    Ok(on)
}

/// The health-score weights of the caller's organization.
pub async fn health_weights(app: &App, caller: Caller) -> Result<Weights> {
    Ok(store::orgs::health_weights(&app.db, caller.org_id).await?)
}

/// The largest weight accepted: weights are relative, so bigger numbers add nothing.
const MAX_WEIGHT: u32 = 1000;

/// Sets the caller's organization's health-score weights; every score uses them next.
pub async fn set_health_weights(app: &App, caller: Caller, weights: Weights) -> Result<Weights> {
    let mut issues = Issues::default();
    for (field, weight) in [
        ("recency", weights.recency),
        ("frequency", weights.frequency),
        ("cancellations", weights.cancellations),
        ("noShows", weights.no_shows),
        ("coverage", weights.coverage),
    ] {
        issues.require(
            weight <= MAX_WEIGHT,
            field,
            format!("must be at most {MAX_WEIGHT}"),
        );
    }
    if let Err(message) = weights.validate() {
        issues.require(false, "weights", message);
    }
    issues.finish()?;
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    store::orgs::set_health_weights(&txn, caller.org_id, &weights).await?;
    store::customer_health::forget_org(&txn, caller.org_id).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(weights)
}

/// A CSM's decision that attendee `attendee_email` of booking `booking_uid` (default: the
/// invitee) met with `customer`, as `stakeholder` when given. It replaces whatever was
/// matched automatically for that attendee and survives every later relink. Returns
/// the booking's links afterwards.
pub async fn link_meeting(
    app: &App,
    caller: Caller,
    booking_uid: &str,
    customer: CustomerId,
    stakeholder: Option<StakeholderId>,
    attendee_email: Option<String>,
) -> Result<Vec<Link>> {
    let booking = store::bookings::find_by_uid(&app.db, Some(caller.org_id), booking_uid)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("booking `{booking_uid}` does not exist")))?;
    let mut issues = Issues::default();
    let exists = store::customers::find(&app.db, caller.org_id, customer).await?;
    issues.require(
        exists.is_some(),
        "customerId",
        format!("customer `{customer}` does not exist"),
    );
    if let Some(id) = stakeholder {
        let theirs = store::stakeholders::find(&app.db, caller.org_id, id).await?;
        issues.require(
            theirs.is_some_and(|s| s.customer_id == customer),
            "stakeholderId",
            format!("is not a stakeholder of customer `{customer}`"),
        );
    }
    let emails = attendee_emails(&booking);
    let attendee = match attendee_email {
        Some(email) => email.trim().to_lowercase(),
        None => emails.first().cloned().unwrap_or_default(),
    };
    issues.require(
        emails.contains(&attendee),
        "attendeeEmail",
        format!("`{attendee}` is not an attendee of booking `{booking_uid}`"),
    );
    issues.finish()?;
    let link = Link {
        customer_id: customer,
        stakeholder_id: stakeholder,
        attendee_email: attendee,
        matched_by: MatchedBy::Manual,
    };
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    let links = add_manual_link(&txn, caller.org_id, booking.id, &emails, link, Utc::now()).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(links)
}

/// Makes `link` the manual link of its attendee in `booking` (replacing that
/// attendee's earlier manual links) and relinks the booking's `emails`.
async fn add_manual_link(
    db: &impl ConnectionTrait,
    org: OrgId,
    booking: BookingId,
    emails: &[String],
    link: Link,
    now: DateTime<Utc>,
) -> Result<Vec<Link>> {
    let mut manual: Vec<Link> = store::meeting_links::for_booking(db, org, booking)
        .await?
        .into_iter()
        .filter(|l| l.matched_by == MatchedBy::Manual && l.attendee_email != link.attendee_email)
        .collect();
    manual.push(link);
    store::meeting_links::replace(db, org, booking, &manual, now).await?;
    link_emails(db, org, booking, emails, now).await
}

fn attendee_emails(booking: &Booking) -> Vec<String> {
    booking
        .attendees
        .iter()
        .map(|a| a.email.to_lowercase())
        .collect()
}

/// Links `booking`'s attendees to customers inside the caller's transaction `db`,
/// keeping any manual links it has. Every path that writes a booking calls this.
pub(crate) async fn link_booking(
    db: &impl ConnectionTrait,
    booking: &Booking,
    now: DateTime<Utc>,
) -> Result<Vec<Link>> {
    let org = booking.org_id;
    let emails = attendee_emails(booking);
    let links = link_emails(db, org, booking.id, &emails, now).await?;
    // The setting is read only when it could matter, not on every booking.
    let by_domain = links.iter().any(|l| l.matched_by == MatchedBy::Domain);
    if !by_domain || !store::orgs::auto_stakeholders(db, org).await? {
        return Ok(links);
    }
    let mut added = false;
    for link in links.iter().filter(|l| l.matched_by == MatchedBy::Domain) {
        let Some(attendee) = booking
            .attendees
            .iter()
            .find(|a| a.email.eq_ignore_ascii_case(&link.attendee_email))
        else {
            continue;
        };
        let name = Some(attendee.name.trim())
            .filter(|n| !n.is_empty())
            .unwrap_or(&link.attendee_email);
        let s = Stakeholder {
            id: StakeholderId(0),
            org_id: org,
            customer_id: link.customer_id,
            name: name.to_string(),
            email: link.attendee_email.clone(),
            title: None,
            role: StakeholderRole::User,
            created_at: now,
            updated_at: now,
        };
        added |= store::stakeholders::insert_if_new(db, &s).await?;
    }
    if added {
        // The new stakeholders now match by email.
        return link_emails(db, org, booking.id, &emails, now).await;
    }
    Ok(links)
}

/// Links `booking`, which replaces booking `from` (a reschedule), carrying over the
/// manual links of `from`: a CSM's decision is about the meeting, not about one
/// booking row, and must not be lost when the meeting moves.
pub(crate) async fn link_moved_booking(
    db: &impl ConnectionTrait,
    from: BookingId,
    booking: &Booking,
    now: DateTime<Utc>,
) -> Result<Vec<Link>> {
    let manual: Vec<Link> = store::meeting_links::for_booking(db, booking.org_id, from)
        .await?
        .into_iter()
        .filter(|l| l.matched_by == MatchedBy::Manual)
        .collect();
    store::meeting_links::replace(db, booking.org_id, booking.id, &manual, now).await?;
    link_booking(db, booking, now).await
}

/// Makes `booking`'s invitee a meeting with `customer` (as `stakeholder`) unless its
/// links already say so: a booking through a scheduling link a CSM made for a customer
/// is that customer's meeting, whatever address the invitee typed. It is recorded as a
/// manual link because it is the CSM's decision, and so survives every relink.
pub(crate) async fn link_invitee(
    db: &impl ConnectionTrait,
    booking: &Booking,
    customer: CustomerId,
    stakeholder: Option<StakeholderId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let emails = attendee_emails(booking);
    let Some(invitee) = emails.first().cloned() else {
        return Ok(());
    };
    let linked = store::meeting_links::for_booking(db, booking.org_id, booking.id)
        .await?
        .iter()
        .any(|l| l.customer_id == customer && l.attendee_email == invitee);
    if !linked {
        let link = Link {
            customer_id: customer,
            stakeholder_id: stakeholder,
            attendee_email: invitee,
            matched_by: MatchedBy::Manual,
        };
        add_manual_link(db, booking.org_id, booking.id, &emails, link, now).await?;
    }
    Ok(())
}

/// The customer `email` belongs to: a stakeholder's exact address, else its company
/// domain (never a free-mail one), as meetings are linked.
pub(super) async fn customer_of(
    db: &impl ConnectionTrait,
    org: OrgId,
    email: &str,
) -> Result<Option<Customer>> {
    let emails = [email.trim().to_lowercase()];
    match automatic_links(db, org, &emails).await?.into_iter().next() {
        Some(link) => Ok(store::customers::find(db, org, link.customer_id).await?),
        None => Ok(None),
    }
}

/// The customer `email` belongs to and its account owner, if it has one: the host a
/// round-robin booking by this person goes to when they are free.
pub(super) async fn contact_owner(
    db: &impl ConnectionTrait,
    org: OrgId,
    email: &str,
) -> Result<Option<(CustomerId, UserId)>> {
    let customer = customer_of(db, org, email).await?;
    Ok(customer.and_then(|c| Some((c.id, c.owner?))))
}

/// The links linking would make for `emails` by itself: stakeholders' exact addresses
/// first, then company domains.
async fn automatic_links(
    db: &impl ConnectionTrait,
    org: OrgId,
    emails: &[String],
) -> Result<Vec<Link>> {
    let candidates: Vec<String> = emails
        .iter()
        .filter_map(|e| linking::domain_of(e))
        .flat_map(|d| parent_domains(&d))
        .collect();
    let stakeholders = store::stakeholders::with_emails(db, org, emails).await?;
    let customers = store::customers::claiming(db, org, &candidates).await?;
    Ok(linking::link_attendees(emails, &stakeholders, &customers))
}

async fn link_emails(
    db: &impl ConnectionTrait,
    org: OrgId,
    booking: BookingId,
    emails: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<Link>> {
    let automatic = automatic_links(db, org, emails).await?;
    let manual: Vec<Link> = store::meeting_links::for_booking(db, org, booking)
        .await?
        .into_iter()
        .filter(|l| l.matched_by == MatchedBy::Manual)
        .collect();
    let links = linking::merge_with_manual(automatic, &manual);
    // Both the customers it leaves and the ones it joins are scored differently now.
    store::customer_health::forget_for_booking(db, org, booking).await?;
    store::meeting_links::replace(db, org, booking, &links, now).await?;
    let linked: Vec<CustomerId> = links.iter().map(|l| l.customer_id).collect();
    store::customer_health::forget(db, org, &linked).await?;
    Ok(links)
}

/// `eu.acme.com` and `acme.com` for `eu.acme.com`: every domain a customer could own
/// for an address at this one.
fn parent_domains(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain.split('.').collect();
    (0..labels.len().saturating_sub(1))
        .map(|i| labels[i..].join("."))
        .collect()
}

/// Relinks the bookings with an attendee at any of `domains` (or a subdomain).
async fn relink_domains(
    db: &impl ConnectionTrait,
    org: OrgId,
    domains: &[String],
    now: DateTime<Utc>,
) -> Result<()> {
    for (booking, emails) in store::bookings::attendees_at_domains(db, org, domains).await? {
        link_emails(db, org, booking, &emails, now).await?;
    }
    Ok(())
}

/// Relinks the bookings with an attendee at any of `emails`.
async fn relink_emails(
    db: &impl ConnectionTrait,
    org: OrgId,
    emails: &[String],
    now: DateTime<Utc>,
) -> Result<()> {
    for (booking, all_emails) in store::bookings::attendees_with_emails(db, org, emails).await? {
        link_emails(db, org, booking, &all_emails, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_can_belong_to_its_domain_or_any_parent_but_not_the_tld() {
        assert_eq!(parent_domains("eu.acme.com"), ["eu.acme.com", "acme.com"]);
        assert_eq!(parent_domains("acme.com"), ["acme.com"]);
        assert!(parent_domains("localhost").is_empty());
    }
}
