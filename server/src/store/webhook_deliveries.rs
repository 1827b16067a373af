//! Webhook deliveries (one per subscription and outbox event) and their attempts.
//! The rows are the truth about what was sent; the job queue only executes them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};

use super::Result;
use super::codec::{from_ms, mentions, to_ms, word};
use super::entities::{webhook_attempts, webhook_deliveries, webhooks};
use super::keyset::{self, Keyset};
use crate::domain::ids::OrgId;

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The subscriber answered 2xx.
    Delivered,
    /// Every attempt failed; kept for a manual replay.
    Dead,
}

impl DeliveryStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Option<DeliveryStatus> {
        [Self::Pending, Self::Delivered, Self::Dead]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// One event to send to one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Row id; also the delivery id header receivers de-duplicate by.
    pub id: i64,
    /// The tenant.
    pub org_id: OrgId,
    /// The subscription.
    pub webhook_id: i64,
    /// The outbox event it carries.
    pub outbox_event_id: i64,
    /// The trigger name.
    pub trigger: String,
    /// The exact bytes to POST (signed as they are).
    pub body: String,
    /// Where it is in its life.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: DateTime<Utc>,
    /// The last HTTP status received.
    pub last_status_code: Option<u16>,
    /// The last failure, readable.
    pub last_error: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it succeeded.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One attempt of a delivery, for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// 1-based.
    pub attempt: u32,
    /// The HTTP status, when an answer came.
    pub status_code: Option<u16>,
    /// How long the subscriber took.
    pub latency_ms: u32,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// When it was made.
    pub at: DateTime<Utc>,
}

fn to_delivery(m: webhook_deliveries::Model) -> Result<Delivery> {
    Ok(Delivery {
        id: m.id,
        org_id: OrgId(m.org_id),
        webhook_id: m.webhook_id,
        outbox_event_id: m.outbox_event_id,
        status: word("delivery status", &m.status, DeliveryStatus::parse)?,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        next_attempt_at: from_ms(m.next_attempt_ms)?,
        last_status_code: m.last_status_code.and_then(|c| u16::try_from(c).ok()),
        created_at: from_ms(m.created_ms)?,
        delivered_at: m.delivered_ms.map(from_ms).transpose()?,
        trigger: m.trigger,
        body: m.body,
        last_error: m.last_error,
    })
}

/// Creates the delivery of `outbox_event_id` to `webhook_id`, due now; nothing when it
/// exists already (so fanning an event out again is harmless).
pub async fn insert_once(
    db: &impl ConnectionTrait,
    org: OrgId,
    webhook_id: i64,
    outbox_event_id: i64,
    trigger: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let row = webhook_deliveries::ActiveModel {
        org_id: Set(org.0),
        webhook_id: Set(webhook_id),
        outbox_event_id: Set(outbox_event_id),
        trigger: Set(trigger.to_string()),
        body: Set(body.to_string()),
        status: Set(DeliveryStatus::Pending.as_str().to_string()),
        attempts: Set(0),
        next_attempt_ms: Set(to_ms(now)),
        leased_until_ms: Set(None),
        last_status_code: Set(None),
        last_error: Set(None),
        created_ms: Set(to_ms(now)),
        delivered_ms: Set(None),
        ..Default::default()
    };
    webhook_deliveries::Entity::insert(row)
        .on_conflict_do_nothing_on([
            webhook_deliveries::Column::WebhookId,
            webhook_deliveries::Column::OutboxEventId,
        ])
        .exec(db)
        .await?;
    Ok(())
}

/// Takes up to `limit` due pending deliveries and leases them until `lease_until`, so no
/// other process queues them meanwhile; returns `(id, attempt number to make)`. A lease
/// that runs out (the process died) makes the delivery due again.
pub async fn lease_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<(i64, u32)>> {
    let now_ms = to_ms(now);
    let skip_locked = db.get_database_backend() == DatabaseBackend::Postgres;
    let mut query = webhook_deliveries::Entity::find()
        .select_only()
        .columns([
            webhook_deliveries::Column::Id,
            webhook_deliveries::Column::Attempts,
        ])
        .filter(webhook_deliveries::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_deliveries::Column::NextAttemptMs.lte(now_ms))
        .filter(
            sea_orm::Condition::any()
                .add(webhook_deliveries::Column::LeasedUntilMs.is_null())
                .add(webhook_deliveries::Column::LeasedUntilMs.lt(now_ms)),
        )
        .order_by_asc(webhook_deliveries::Column::NextAttemptMs)
        .limit(limit);
    if skip_locked {
        query = query.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let due: Vec<(i64, i32)> = query.into_tuple().all(db).await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    webhook_deliveries::Entity::update_many()
        .col_expr(
            webhook_deliveries::Column::LeasedUntilMs,
            Expr::value(to_ms(lease_until)),
        )
        .filter(webhook_deliveries::Column::Id.is_in(due.iter().map(|(id, _)| *id)))
        .exec(db)
        .await?;
    Ok(due
        .into_iter()
        .map(|(id, attempts)| (id, u32::try_from(attempts).unwrap_or(0) + 1))
        .collect())
}

/// The delivery `id` (any organization: jobs carry only the id).
pub async fn find(db: &impl ConnectionTrait, id: i64) -> Result<Option<Delivery>> {
    webhook_deliveries::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(to_delivery)
        .transpose()
}

/// What one attempt ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Delivered: done.
    Delivered,
    /// Failed; try again at this time.
    RetryAt(DateTime<Utc>),
    /// Failed for the last time.
    Dead,
}

/// Logs attempt number `attempt` and moves the delivery on, but only if it is still
/// pending at `attempt - 1` attempts: a duplicate run of the same attempt changes nothing.
/// Returns whether this call recorded it.
#[expect(
    clippy::too_many_arguments,
    reason = "one attempt's facts, written together"
)]
pub async fn record_attempt(
    db: &impl ConnectionTrait,
    id: i64,
    attempt: u32,
    status_code: Option<u16>,
    latency_ms: u32,
    error: Option<&str>,
    outcome: &AttemptOutcome,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (status, next_ms, delivered_ms) = match outcome {
        AttemptOutcome::Delivered => (DeliveryStatus::Delivered, to_ms(now), Some(to_ms(now))),
        AttemptOutcome::RetryAt(at) => (DeliveryStatus::Pending, to_ms(*at), None),
        AttemptOutcome::Dead => (DeliveryStatus::Dead, to_ms(now), None),
    };
    let updated = webhook_deliveries::Entity::update_many()
        .col_expr(
            webhook_deliveries::Column::Status,
            Expr::value(status.as_str()),
        )
        .col_expr(
            webhook_deliveries::Column::Attempts,
            Expr::value(attempt as i32),
        )
        .col_expr(
            webhook_deliveries::Column::NextAttemptMs,
            Expr::value(next_ms),
        )
        .col_expr(
            webhook_deliveries::Column::LeasedUntilMs,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            webhook_deliveries::Column::LastStatusCode,
            Expr::value(status_code.map(i32::from)),
        )
        .col_expr(
            webhook_deliveries::Column::LastError,
            Expr::value(error.map(str::to_string)),
        )
        .col_expr(
            webhook_deliveries::Column::DeliveredMs,
            Expr::value(delivered_ms),
        )
        .filter(webhook_deliveries::Column::Id.eq(id))
        .filter(webhook_deliveries::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_deliveries::Column::Attempts.eq(attempt as i32 - 1))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    webhook_attempts::ActiveModel {
        delivery_id: Set(id),
        attempt: Set(attempt as i32),
        status_code: Set(status_code.map(i32::from)),
        latency_ms: Set(i32::try_from(latency_ms).unwrap_or(i32::MAX)),
        error: Set(error.map(str::to_string)),
        at_ms: Set(to_ms(now)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(true)
}

/// One page of the deliveries of subscription `webhook_id`, newest first (a log reads
/// from the latest), with one row past the limit.
pub async fn list_for_webhook(
    db: &impl ConnectionTrait,
    org: OrgId,
    webhook_id: i64,
    page: Keyset<i64>,
) -> Result<Vec<Delivery>> {
    let query = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::OrgId.eq(org.0))
        .filter(webhook_deliveries::Column::WebhookId.eq(webhook_id));
    keyset::newest_first(query, webhook_deliveries::Column::Id, page)
        .all(db)
        .await?
        .into_iter()
        .map(to_delivery)
        .collect()
}

/// The attempts of deliveries `ids`, in order, by delivery id: one query for a page.
pub async fn attempts_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Vec<Attempt>>> {
    let rows = webhook_attempts::Entity::find()
        .filter(webhook_attempts::Column::DeliveryId.is_in(ids))
        .order_by_asc(webhook_attempts::Column::Attempt)
        .all(db)
        .await?;
    let mut by_delivery: HashMap<i64, Vec<Attempt>> = HashMap::new();
    for a in rows {
        by_delivery.entry(a.delivery_id).or_default().push(Attempt {
            attempt: u32::try_from(a.attempt).unwrap_or(0),
            status_code: a.status_code.and_then(|c| u16::try_from(c).ok()),
            latency_ms: u32::try_from(a.latency_ms).unwrap_or(0),
            error: a.error,
            at: from_ms(a.at_ms)?,
        });
    }
    Ok(by_delivery)
}

/// Makes dead deliveries of `webhook_id` in `org` due again with a fresh attempt budget
/// (all of them, or only `only`); returns how many.
pub async fn revive(
    db: &impl ConnectionTrait,
    org: OrgId,
    webhook_id: i64,
    only: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut update = webhook_deliveries::Entity::update_many()
        .col_expr(
            webhook_deliveries::Column::Status,
            Expr::value(DeliveryStatus::Pending.as_str()),
        )
        .col_expr(webhook_deliveries::Column::Attempts, Expr::value(0))
        .col_expr(
            webhook_deliveries::Column::NextAttemptMs,
            Expr::value(to_ms(now)),
        )
        .col_expr(
            webhook_deliveries::Column::LeasedUntilMs,
            Expr::value(Option::<i64>::None),
        )
        .filter(webhook_deliveries::Column::OrgId.eq(org.0))
        .filter(webhook_deliveries::Column::WebhookId.eq(webhook_id))
        .filter(webhook_deliveries::Column::Status.eq(DeliveryStatus::Dead.as_str()));
    if let Some(id) = only {
        update = update.filter(webhook_deliveries::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Counts a delivery result against its subscription: a success resets the failure
/// streak; a failure extends it and, at `disable_after`, switches the subscription off.
/// Returns whether this call switched it off.
pub async fn count_result(
    db: &impl ConnectionTrait,
    webhook_id: i64,
    success: bool,
    disable_after: u32,
    now: DateTime<Utc>,
) -> Result<bool> {
    if success {
        webhooks::Entity::update_many()
            .col_expr(webhooks::Column::ConsecutiveFailures, Expr::value(0))
            .filter(webhooks::Column::Id.eq(webhook_id))
            .exec(db)
            .await?;
        return Ok(false);
    }
    webhooks::Entity::update_many()
        .col_expr(
            webhooks::Column::ConsecutiveFailures,
            Expr::col(webhooks::Column::ConsecutiveFailures).add(1),
        )
        .filter(webhooks::Column::Id.eq(webhook_id))
        .exec(db)
        .await?;
    let disabled = webhooks::Entity::update_many()
        .col_expr(webhooks::Column::Active, Expr::value(false))
        .col_expr(
            webhooks::Column::DisabledReason,
            Expr::value(format!(
                "switched off after {disable_after} failed deliveries in a row"
            )),
        )
        .col_expr(webhooks::Column::UpdatedMs, Expr::value(to_ms(now)))
        .filter(webhooks::Column::Id.eq(webhook_id))
        .filter(webhooks::Column::Active.eq(true))
        .filter(webhooks::Column::ConsecutiveFailures.gte(disable_after as i32))
        .exec(db)
        .await?;
    Ok(disabled.rows_affected == 1)
}

/// How many deliveries wait: `(due, scheduled, dead)` — due now (new or retry time
/// reached), waiting for a later retry, and dead letters waiting for a replay.
pub async fn backlog(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(u64, u64, u64)> {
    let pending = || {
        webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::Status.eq(DeliveryStatus::Pending.as_str()))
    };
    let due = pending()
        .filter(webhook_deliveries::Column::NextAttemptMs.lte(to_ms(now)))
        .count(db)
        .await?;
    let scheduled = pending()
        .filter(webhook_deliveries::Column::NextAttemptMs.gt(to_ms(now)))
        .count(db)
        .await?;
    let dead = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::Status.eq(DeliveryStatus::Dead.as_str()))
        .count(db)
        .await?;
    Ok((due, scheduled, dead))
}

/// The bodies of `org`'s deliveries that mention `text` in any case, by id: stored
/// copies of personal data an erasure must rewrite.
pub async fn bodies_mentioning(
    db: &impl ConnectionTrait,
    org: OrgId,
    text: &str,
) -> Result<Vec<(i64, String)>> {
    Ok(webhook_deliveries::Entity::find()
        .select_only()
        .columns([
            webhook_deliveries::Column::Id,
            webhook_deliveries::Column::Body,
        ])
        .filter(webhook_deliveries::Column::OrgId.eq(org.0))
        .filter(mentions(webhook_deliveries::Column::Body, text))
        .order_by_asc(webhook_deliveries::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// Replaces the body of delivery `id` of `org`; a retry sends the new body.
pub async fn set_body(db: &impl ConnectionTrait, org: OrgId, id: i64, body: &str) -> Result<()> {
    webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Body, Expr::value(body))
        .filter(webhook_deliveries::Column::Id.eq(id))
        .filter(webhook_deliveries::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}
