//! Which of the caller's event types to offer a customer next, and why: the
//! recommendation rules of [`crate::domain::crm::recommendation`] applied to the
//! customer's stored meetings, the organization's thresholds, and the kinds of meeting
//! the caller has an event type for (set per event type with `setMeetingCategory`).
//!
//! The scheduling-link generator and chat's "send a link to Jane" use it when no event
//! type is named; GraphQL and REST show it on its own.

use std::collections::HashMap;

use super::auth::Caller;
use super::{App, AppError, Result};
use crate::domain::crm::recommendation::{
    CustomerContext, NoRecommendation, Recommendation, Thresholds, recommend,
};
use crate::domain::customer::MeetingCategory;
use crate::domain::event_type::EventType;
use crate::domain::ids::{CustomerId, EventTypeId};
use crate::store;
use crate::store::meeting_links::LinkScope;
use chrono::{DateTime, Utc};

/// The event type to offer and the kind of meeting it is.
#[derive(Debug, Clone)]
pub struct Offer {
    /// One of the caller's personal event types.
    pub event_type: EventType,
    /// The kind of meeting that is due.
    pub category: MeetingCategory,
}

/// What to offer a customer next: an event type, or nothing, and why either way.
#[derive(Debug, Clone)]
pub struct EventTypeRecommendation {
    /// The event type to offer; `None` when nothing is due, the customer has churned,
    /// or the caller has no event type of the kind that is due.
    pub offer: Option<Offer>,
    /// Why, readable on its own: "last QBR was 132 days ago (every 90 days)".
    pub reason: String,
}

/// Recommends which of the caller's event types to offer `customer` at `now`. When the
/// caller has several event types of the kind that is due, the oldest is offered.
pub async fn recommend_event_type(
    app: &App,
    caller: Caller,
    customer: CustomerId,
    now: DateTime<Utc>,
) -> Result<EventTypeRecommendation> {
    let org = caller.org_id;
    let c = store::customers::find(&app.db, org, customer)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("customer `{customer}` does not exist")))?;
    let categories = store::meeting_categories::of_org(&app.db, org).await?;
    let categorized: Vec<EventTypeId> = categories.keys().copied().collect();
    let mut by_category: HashMap<MeetingCategory, EventType> = HashMap::new();
    for e in store::event_types::personal_among(&app.db, org, caller.user_id, &categorized).await? {
        if let Some(&category) = categories.get(&e.id) {
            by_category.entry(category).or_insert(e);
        }
    }
    let scope = LinkScope {
        customers: Some(std::slice::from_ref(&customer)),
        host: None,
    };
    let linked = store::meeting_links::linked_bookings(&app.db, org, scope)
        .await?
        .remove(&customer)
        .unwrap_or_default();
    let meetings: Vec<_> = linked.iter().filter_map(|b| b.fact_at(now)).collect();
    let thresholds = store::orgs::recommendation_thresholds(&app.db, org).await?;
    let context = CustomerContext {
        stage: c.lifecycle_stage,
        tier: c.tier,
        since: c.created_at,
        renewal: c.renewal_date,
        meetings: &meetings,
    };
    let offered = by_category.keys().copied().collect();
    let answer = match recommend(&context, &thresholds, &offered, now) {
        Ok(Recommendation { category, reason }) => EventTypeRecommendation {
            offer: by_category.remove(&category).map(|event_type| Offer {
                event_type,
                category,
            }),
            reason,
        },
        Err(NoRecommendation { reason }) => EventTypeRecommendation {
            offer: None,
            reason,
        },
    };
    tracing::info!(
        customer.id = %customer,
        recommendation.category = answer.offer.as_ref().map(|o| o.category.as_str()),
        recommendation.reason = %answer.reason,
        "meeting type recommended"
    );
    Ok(answer)
}

/// The caller's organization's recommendation thresholds.
pub async fn thresholds(app: &App, caller: Caller) -> Result<Thresholds> {
    Ok(store::orgs::recommendation_thresholds(&app.db, caller.org_id).await?)
}

/// Sets the caller's organization's recommendation thresholds; only its owners and
/// admins may, since they change what every CSM is offered.
pub async fn set_thresholds(
    app: &App,
    caller: Caller,
    thresholds: Thresholds,
) -> Result<Thresholds> {
    super::users::require_org_admin(app, caller).await?;
    AppError::check(thresholds.check())?;
    store::orgs::set_recommendation_thresholds(&app.db, caller.org_id, &thresholds).await?;
    tracing::info!(org.id = %caller.org_id, "recommendation thresholds set");
    Ok(thresholds)
}
