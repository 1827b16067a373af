//! Customers' health, assessed from their linked bookings and kept as snapshots.
//!
//! Reading health never scores more than it must: a snapshot younger than
//! [`MAX_AGE`] is used as it is, and missing or older ones are recomputed in one batch
//! (a fixed number of queries however many customers). Writes that change an input
//! forget the affected snapshots in their own transaction, so a snapshot is never
//! staler than the clock; the background refresher ([`refresh_stale`]) keeps them
//! younger than [`MAX_AGE`] so that dashboards sorted by health rarely wait for it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use super::Result;
use crate::domain::crm::assessment::{Account, Assessment, assess};
use crate::domain::ids::{CustomerId, OrgId};
use crate::store;
use crate::store::meeting_links::LinkScope;

/// How old a snapshot may be before it is recomputed: recency is counted in days, so
/// an hour moves no score by more than a rounding.
pub const MAX_AGE: Duration = Duration::hours(1);

/// Customers recomputed per batch: bounds a batch's memory and its `IN` lists.
const BATCH: usize = 1000;

/// The assessments of `org`'s `customers` at `now`, from fresh snapshots where they
/// exist and recomputed (and saved) where not. Customers of another organization are
/// simply absent.
pub async fn assessments(
    db: &impl ConnectionTrait,
    org: OrgId,
    customers: &[CustomerId],
    now: DateTime<Utc>,
) -> Result<HashMap<CustomerId, Assessment>> {
    let mut out: HashMap<CustomerId, Assessment> = HashMap::new();
    let mut stale = Vec::new();
    let mut snapshots = store::customer_health::of_customers(db, org, customers).await?;
    for id in customers {
        match snapshots.remove(id) {
            Some(s) if now - s.computed_at < MAX_AGE => {
                out.insert(*id, s.assessment);
            }
            _ => stale.push(*id),
        }
    }
    for chunk in stale.chunks(BATCH) {
        out.extend(recompute(db, org, Some(chunk), now).await?);
    }
    Ok(out)
}

/// Recomputes and saves the snapshots of `org`'s `customers` (all of them for `None`)
/// at `now`; answers what it computed.
pub async fn recompute(
    db: &impl ConnectionTrait,
    org: OrgId,
    customers: Option<&[CustomerId]>,
    now: DateTime<Utc>,
) -> Result<HashMap<CustomerId, Assessment>> {
    let accounts = store::customers::many(db, org, customers).await?;
    if accounts.is_empty() {
        return Ok(HashMap::new());
    }
    let mut stakeholders = store::stakeholders::counts(db, org, customers).await?;
    let scope = LinkScope {
        customers,
        host: None,
    };
    let mut bookings = store::meeting_links::linked_bookings(db, org, scope).await?;
    let weights = store::orgs::health_weights(db, org).await?;
    let assessed: Vec<(CustomerId, Assessment)> = accounts
        .into_iter()
        .map(|c| {
            let linked = bookings.remove(&c.id).unwrap_or_default();
            let account = Account {
                bookings: &linked,
                stakeholders: stakeholders.remove(&c.id).unwrap_or(0),
                tier: c.tier,
                since: c.created_at,
            };
            (c.id, assess(account, &weights, now))
        })
        .collect();
    store::customer_health::put_many(db, org, &assessed, now).await?;
    Ok(assessed.into_iter().collect())
}

/// Makes sure every customer of `org` has a snapshot younger than [`MAX_AGE`], so a
/// list filtered or sorted by health sees them all.
pub async fn ensure_fresh(db: &impl ConnectionTrait, org: OrgId, now: DateTime<Utc>) -> Result<()> {
    loop {
        let stale =
            store::customer_health::needing_refresh(db, Some(org), now - MAX_AGE, BATCH as u64)
                .await?;
        let ids: Vec<CustomerId> = stale.into_iter().map(|(_, id)| id).collect();
        if ids.is_empty() {
            return Ok(());
        }
        recompute(db, org, Some(&ids), now).await?;
    }
}

/// Refreshes up to `limit` snapshots that are missing or due for renewal, across every
/// organization, a little before they reach [`MAX_AGE`] so readers find them fresh;
/// answers how many it refreshed. The job runner calls this in the background.
pub async fn refresh_stale(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<usize> {
    let renew_after = MAX_AGE * 3 / 4;
    let stale = store::customer_health::needing_refresh(db, None, now - renew_after, limit).await?;
    let mut by_org: HashMap<OrgId, Vec<CustomerId>> = HashMap::new();
    for (org, id) in &stale {
        by_org.entry(*org).or_default().push(*id);
    }
    for (org, ids) in by_org {
        recompute(db, org, Some(&ids), now).await?;
    }
    Ok(stale.len())
}
