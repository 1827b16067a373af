//! Health snapshots: each customer's latest [`Assessment`], with its score, band and
//! last meeting in indexed columns so a dashboard filters and sorts by them.
//!
//! Whatever changes an input of the assessment deletes the snapshot ("forgets" it) in
//! the same transaction, so a snapshot that exists is never older than its inputs; it
//! only ages with the clock, which the refresher handles.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::Result;
use super::codec::{from_json, from_ms, to_json, to_ms};
use super::entities::{customer_health, customers, meeting_links};
use crate::domain::crm::assessment::Assessment;
use crate::domain::ids::{BookingId, CustomerId, OrgId};

/// A stored assessment and when it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The assessment.
    pub assessment: Assessment,
    /// When it was computed: its "now".
    pub computed_at: DateTime<Utc>,
}

/// Rows per insert statement: far below both databases' bound-parameter limits.
const BATCH: usize = 1000;

/// Saves the assessments of `org`'s customers computed at `now`, replacing older ones.
pub async fn put_many(
    db: &impl ConnectionTrait,
    org: OrgId,
    assessments: &[(CustomerId, Assessment)],
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in assessments.chunks(BATCH) {
        let rows = chunk.iter().map(|(id, a)| customer_health::ActiveModel {
            customer_id: Set(id.0),
            org_id: Set(org.0),
            score: Set(i32::from(a.health.score)),
            band: Set(a.health.band.as_str().to_string()),
            last_met_ms: Set(a.engagement.last_meeting.map_or(0, to_ms)),
            assessment: Set(to_json(a)),
            computed_ms: Set(to_ms(now)),
        });
        customer_health::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(customer_health::Column::CustomerId)
                    .update_columns([
                        customer_health::Column::Score,
                        customer_health::Column::Band,
                        customer_health::Column::LastMetMs,
                        customer_health::Column::Assessment,
                        customer_health::Column::ComputedMs,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The snapshots of `customers` in `org` that exist.
pub async fn of_customers(
    db: &impl ConnectionTrait,
    org: OrgId,
    customers: &[CustomerId],
) -> Result<HashMap<CustomerId, Snapshot>> {
    let mut out = HashMap::new();
    for chunk in customers.chunks(BATCH) {
        let rows = customer_health::Entity::find()
            .filter(customer_health::Column::OrgId.eq(org.0))
            .filter(customer_health::Column::CustomerId.is_in(chunk.iter().map(|c| c.0)))
            .all(db)
            .await?;
        for row in rows {
            let snapshot = Snapshot {
                assessment: from_json("health assessment", &row.assessment)?,
                computed_at: from_ms(row.computed_ms)?,
            };
            out.insert(CustomerId(row.customer_id), snapshot);
        }
    }
    Ok(out)
}

/// The customers of `org` (of every organization for `None`) whose snapshot is missing
/// or was computed before `fresh_since`, at most `limit`.
pub async fn needing_refresh(
    db: &impl ConnectionTrait,
    org: Option<OrgId>,
    fresh_since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(OrgId, CustomerId)>> {
    let mut fresh = Query::select()
        .column(customer_health::Column::CustomerId)
        .from(customer_health::Entity)
        .and_where(customer_health::Column::ComputedMs.gte(to_ms(fresh_since)))
        .to_owned();
    let mut query = customers::Entity::find()
        .select_only()
        .column(customers::Column::OrgId)
        .column(customers::Column::Id);
    if let Some(org) = org {
        fresh.and_where(customer_health::Column::OrgId.eq(org.0));
        query = query.filter(customers::Column::OrgId.eq(org.0));
    }
    let rows: Vec<(i64, i64)> = query
        .filter(customers::Column::Id.not_in_subquery(fresh))
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(org, id)| (OrgId(org), CustomerId(id)))
        .collect())
}

/// Forgets the snapshots of `customers`: one of their inputs changed.
pub async fn forget(db: &impl ConnectionTrait, org: OrgId, customers: &[CustomerId]) -> Result<()> {
    if customers.is_empty() {
        return Ok(());
    }
    customer_health::Entity::delete_many()
        .filter(customer_health::Column::OrgId.eq(org.0))
        .filter(customer_health::Column::CustomerId.is_in(customers.iter().map(|c| c.0)))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the snapshots of the customers `booking` is linked to: it changed.
pub async fn forget_for_booking(
    db: &impl ConnectionTrait,
    org: OrgId,
    booking: BookingId,
) -> Result<()> {
    let linked = Query::select()
        .column(meeting_links::Column::CustomerId)
        .from(meeting_links::Entity)
        .and_where(meeting_links::Column::BookingId.eq(booking.0))
        .to_owned();
    customer_health::Entity::delete_many()
        .filter(customer_health::Column::OrgId.eq(org.0))
        .filter(customer_health::Column::CustomerId.in_subquery(linked))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets every snapshot of `org`: something all its scores depend on changed.
pub async fn forget_org(db: &impl ConnectionTrait, org: OrgId) -> Result<()> {
    customer_health::Entity::delete_many()
        .filter(customer_health::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}
