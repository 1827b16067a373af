//! Webhook subscriptions.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use super::Db;
use super::Result;
use super::codec::{from_json, from_ms, to_json, to_ms};
use super::entities::{webhook_deliveries, webhooks};
use super::keyset::{self, Keyset};
use crate::domain::ids::{EventTypeId, OrgId, UserId};

/// A subscription: where to send which events, signed with which secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Row id.
    pub id: i64,
    /// The tenant.
    pub org_id: OrgId,
    /// The owner; a subscription without an event type covers all of the owner's bookings.
    pub user_id: UserId,
    /// When set, only bookings of this event type.
    pub event_type_id: Option<EventTypeId>,
    /// Where deliveries are POSTed.
    pub subscriber_url: String,
    /// Trigger names (`BOOKING_CREATED`, …) this subscription wants.
    pub triggers: Vec<String>,
    /// Whether deliveries are made.
    pub active: bool,
    /// HMAC key for `X-Cal-Signature-256`.
    pub secret: Option<String>,
    /// A custom body with `{{payload.…}}` placeholders.
    pub payload_template: Option<String>,
    /// Failed deliveries in a row; reset by a success.
    pub consecutive_failures: u32,
    /// Why Convene switched it off, if it did.
    pub disabled_reason: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

fn to_subscription(m: webhooks::Model) -> Result<Subscription> {
    Ok(Subscription {
        id: m.id,
        org_id: OrgId(m.org_id),
        user_id: UserId(m.user_id),
        event_type_id: m.event_type_id.map(EventTypeId),
        triggers: from_json("webhook triggers", &m.triggers)?,
        consecutive_failures: u32::try_from(m.consecutive_failures).unwrap_or(0),
        created_at: from_ms(m.created_ms)?,
        updated_at: from_ms(m.updated_ms)?,
        subscriber_url: m.subscriber_url,
        active: m.active,
        secret: m.secret,
        payload_template: m.payload_template,
        disabled_reason: m.disabled_reason,
    })
}

fn to_active(s: &Subscription) -> webhooks::ActiveModel {
    webhooks::ActiveModel {
        id: NotSet,
        org_id: Set(s.org_id.0),
        user_id: Set(s.user_id.0),
        event_type_id: Set(s.event_type_id.map(|e| e.0)),
        subscriber_url: Set(s.subscriber_url.clone()),
        triggers: Set(to_json(&s.triggers)),
        active: Set(s.active),
        secret: Set(s.secret.clone()),
        payload_template: Set(s.payload_template.clone()),
        consecutive_failures: Set(i32::try_from(s.consecutive_failures).unwrap_or(i32::MAX)),
        disabled_reason: Set(s.disabled_reason.clone()),
        created_ms: Set(to_ms(s.created_at)),
        updated_ms: Set(to_ms(s.updated_at)),
    }
}

/// Saves a new subscription (its `id` is ignored).
pub async fn insert(db: &impl ConnectionTrait, s: &Subscription) -> Result<Subscription> {
    to_subscription(to_active(s).insert(db).await?)
}

/// Replaces every field of a subscription.
pub async fn update(db: &impl ConnectionTrait, s: &Subscription) -> Result<Subscription> {
    let mut active = to_active(s);
    active.id = Set(s.id);
    to_subscription(active.update(db).await?)
}

/// The subscription `id` in `org`.
pub async fn find(db: &impl ConnectionTrait, org: OrgId, id: i64) -> Result<Option<Subscription>> {
    webhooks::Entity::find_by_id(id)
        .filter(webhooks::Column::OrgId.eq(org.0))
        .one(db)
        .await?
        .map(to_subscription)
        .transpose()
}

/// One page of the subscriptions `user` owns, oldest first, with one row past the limit.
pub async fn list_for_user(
    db: &impl ConnectionTrait,
    org: OrgId,
    user: UserId,
    page: Keyset<i64>,
) -> Result<Vec<Subscription>> {
    let query = webhooks::Entity::find()
        .filter(webhooks::Column::OrgId.eq(org.0))
        .filter(webhooks::Column::UserId.eq(user.0));
    keyset::oldest_first(query, webhooks::Column::Id, page)
        .all(db)
        .await?
        .into_iter()
        .map(to_subscription)
        .collect()
}

/// Deletes subscription `id` of `org` with its delivery log; `false` when there was none.
///
/// The deliveries go first, in the same transaction: the delivery job locks a delivery
/// and then its subscription (to count the result), so taking them in that order too
/// means a delete racing a delivery waits for it instead of deadlocking with it.
pub async fn delete(db: &Db, org: OrgId, id: i64) -> Result<bool> {
    let txn = db.begin().await?;
    let owned = Query::select()
        .column(webhooks::Column::Id)
        .from(webhooks::Entity)
        .and_where(Expr::col(webhooks::Column::Id).eq(id))
        .and_where(Expr::col(webhooks::Column::OrgId).eq(org.0))
        .to_owned();
    webhook_deliveries::Entity::delete_many()
        .filter(webhook_deliveries::Column::WebhookId.in_subquery(owned))
        .exec(&txn)
        .await?;
    let result = webhooks::Entity::delete_many()
        .filter(webhooks::Column::Id.eq(id))
        .filter(webhooks::Column::OrgId.eq(org.0))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(result.rows_affected == 1)
}

/// The active subscriptions that cover an event of `host` (and of `event_type`, for an
/// event about one); trigger filtering is the caller's, triggers being a JSON list.
pub async fn covering(
    db: &impl ConnectionTrait,
    org: OrgId,
    host: UserId,
    event_type: Option<EventTypeId>,
) -> Result<Vec<Subscription>> {
    let host_wide = Condition::all()
        .add(webhooks::Column::EventTypeId.is_null())
        .add(webhooks::Column::UserId.eq(host.0));
    let covers = match event_type {
        Some(event_type) => Condition::any()
            .add(webhooks::Column::EventTypeId.eq(event_type.0))
            .add(host_wide),
        None => host_wide,
    };
    webhooks::Entity::find()
        .filter(webhooks::Column::OrgId.eq(org.0))
        .filter(webhooks::Column::Active.eq(true))
        .filter(covers)
        .order_by_asc(webhooks::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_subscription)
        .collect()
}
