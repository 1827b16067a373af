//! Meeting metrics over a window a CSM chooses: per customer (a month, a year rather
//! than the health score's quarter) and per CSM across the accounts they own.
//!
//! Unlike health these are computed on request, not kept: the window is the reader's,
//! and the inputs are one customer's (or one CSM's) bookings, read in two queries.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::auth::Caller;
use super::input::Issues;
use super::{App, AppError, Result};
use crate::domain::crm::assessment::{LinkedBooking, engagement_at};
use crate::domain::crm::engagement::Engagement;
use crate::domain::crm::health::Band;
use crate::domain::ids::{CustomerId, UserId};
use crate::store;
use crate::store::customers::CustomerFilter;
use crate::store::meeting_links::LinkScope;

/// The longest window accepted: two years of meetings.
pub const MAX_WINDOW_DAYS: u32 = 730;

fn check_window(window_days: i64) -> Result<u32> {
    let mut issues = Issues::default();
    let window = u32::try_from(window_days)
        .ok()
        .filter(|w| (1..=MAX_WINDOW_DAYS).contains(w));
    issues.require(
        window.is_some(),
        "windowDays",
        format!("must be between 1 and {MAX_WINDOW_DAYS}"),
    );
    issues.finish().map(|()| window.unwrap_or(1))
}

/// The engagement of each of `customers` over the last `window_days` at `now`, in a
/// fixed number of queries; customers of another organization are absent.
pub async fn of_customers(
    app: &App,
    caller: Caller,
    customers: &[CustomerId],
    window_days: i64,
    now: DateTime<Utc>,
) -> Result<HashMap<CustomerId, Engagement>> {
    let window = check_window(window_days)?;
    let org = caller.org_id;
    let known = store::customers::many(&app.db, org, Some(customers)).await?;
    let mut stakeholders = store::stakeholders::counts(&app.db, org, Some(customers)).await?;
    let scope = LinkScope {
        customers: Some(customers),
        host: None,
    };
    let mut bookings = store::meeting_links::linked_bookings(&app.db, org, scope).await?;
    Ok(known
        .into_iter()
        .map(|c| {
            let linked = bookings.remove(&c.id).unwrap_or_default();
            let people = stakeholders.remove(&c.id).unwrap_or(0);
            (c.id, engagement_at(&linked, people, now, window))
        })
        .collect())
}

/// How a CSM's book of accounts is doing.
#[derive(Debug, Clone, PartialEq)]
pub struct CsmEngagement {
    /// The CSM.
    pub user_id: UserId,
    /// How many accounts they own.
    pub accounts: usize,
    /// How many of those are in each band.
    pub bands: HashMap<Band, usize>,
    /// The mean health score of their accounts; `None` without accounts.
    pub average_score: Option<f64>,
    /// Their meetings with any customer, hosted by them; coverage counts the
    /// stakeholders of the accounts they own.
    pub engagement: Engagement,
}

/// The engagement of CSM `user` (the caller for `None`) over the last `window_days`.
pub async fn of_csm(
    app: &App,
    caller: Caller,
    user: Option<UserId>,
    window_days: i64,
    now: DateTime<Utc>,
) -> Result<CsmEngagement> {
    let window = check_window(window_days)?;
    let org = caller.org_id;
    let user = user.unwrap_or(caller.user_id);
    if store::users::find(&app.db, org, user).await?.is_none() {
        return Err(AppError::NotFound(format!("user `{user}` does not exist")));
    }
    let owned: Vec<CustomerId> = store::customers::ids(
        &app.db,
        org,
        &CustomerFilter {
            owner: Some(user),
            ..CustomerFilter::default()
        },
    )
    .await?;
    let health = super::customer_health::assessments(&app.db, org, &owned, now).await?;
    let mut bands: HashMap<Band, usize> = HashMap::new();
    for a in health.values() {
        *bands.entry(a.health.band).or_default() += 1;
    }
    let average_score = (!health.is_empty()).then(|| {
        let total: f64 = health.values().map(|a| f64::from(a.health.score)).sum();
        total / health.len() as f64
    });
    let people: usize = store::stakeholders::counts(&app.db, org, Some(&owned))
        .await?
        .values()
        .sum();
    let scope = LinkScope {
        customers: None,
        host: Some(user),
    };
    let mut meetings: HashMap<_, LinkedBooking> = HashMap::new();
    for linked in store::meeting_links::linked_bookings(&app.db, org, scope)
        .await?
        .into_values()
        .flatten()
    {
        // A meeting with two customers is still one meeting of the CSM's.
        match meetings.get_mut(&linked.booking_id) {
            Some(seen) => {
                seen.stakeholder_ids.extend(linked.stakeholder_ids);
                seen.no_show |= linked.no_show;
            }
            None => {
                meetings.insert(linked.booking_id, linked);
            }
        }
    }
    let meetings: Vec<LinkedBooking> = meetings.into_values().collect();
    Ok(CsmEngagement {
        user_id: user,
        accounts: owned.len(),
        bands,
        average_score,
        engagement: engagement_at(&meetings, people, now, window),
    })
}
