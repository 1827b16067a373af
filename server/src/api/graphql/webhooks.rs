//! Webhook subscriptions and their delivery log (REST `/v2/webhooks`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::error::GqlResult;
use super::page::{Page, page_request};
use super::scalars::UtcTime;
use super::{app, caller, field_id, lookup_id, to_id};
use crate::app::AppError;
use crate::app::webhooks::{self, DeliveryLog};
use crate::store::webhooks::Subscription;

/// A subscription: where Convene POSTs which booking events, signed with its secret.
#[derive(Debug, Clone, SimpleObject)]
pub struct Webhook {
    /// The subscription's id.
    pub id: ID,
    /// Its owner; without an event type it covers all of the owner's bookings.
    pub user_id: ID,
    /// When set, only bookings of this event type.
    pub event_type_id: Option<ID>,
    /// Where deliveries go.
    pub subscriber_url: String,
    /// Trigger names, e.g. `BOOKING_CREATED`.
    pub triggers: Vec<String>,
    /// Whether deliveries are made.
    pub active: bool,
    /// A custom body with `{{payload.…}}` placeholders.
    pub payload_template: Option<String>,
    /// Whether deliveries are signed (the secret itself is never shown).
    pub has_secret: bool,
    /// Failed deliveries in a row.
    pub consecutive_failures: i32,
    /// Why Convene switched it off, if it did.
    pub disabled_reason: Option<String>,
    /// When it was made.
    pub created_at: UtcTime,
    /// When it last changed.
    pub updated_at: UtcTime,
}

impl From<Subscription> for Webhook {
    fn from(s: Subscription) -> Webhook {
        Webhook {
            id: to_id(s.id),
            user_id: to_id(s.user_id.0),
            event_type_id: s.event_type_id.map(|e| to_id(e.0)),
            subscriber_url: s.subscriber_url,
            triggers: s.triggers,
            active: s.active,
            payload_template: s.payload_template,
            has_secret: s.secret.is_some(),
            consecutive_failures: i32::try_from(s.consecutive_failures).unwrap_or(i32::MAX),
            disabled_reason: s.disabled_reason,
            created_at: s.created_at.into(),
            updated_at: s.updated_at.into(),
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, SimpleObject)]
pub struct WebhookAttempt {
    /// 1-based.
    pub attempt: i32,
    /// The subscriber's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// How long it took.
    pub latency_ms: i32,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// When it was made.
    pub at: UtcTime,
}

/// One event sent (or to be sent) to one subscription.
#[derive(Debug, Clone, SimpleObject)]
pub struct WebhookDelivery {
    /// The delivery id receivers de-duplicate by.
    pub id: ID,
    /// The trigger name.
    pub trigger: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due.
    pub next_attempt_at: UtcTime,
    /// When it was delivered.
    pub delivered_at: Option<UtcTime>,
    /// Every attempt, in order.
    pub log: Vec<WebhookAttempt>,
}

impl From<DeliveryLog> for WebhookDelivery {
    fn from(log: DeliveryLog) -> WebhookDelivery {
        let d = log.delivery;
        WebhookDelivery {
            id: to_id(d.id),
            trigger: d.trigger,
            status: d.status.as_str().to_string(),
            attempts: i32::try_from(d.attempts).unwrap_or(i32::MAX),
            next_attempt_at: d.next_attempt_at.into(),
            delivered_at: d.delivered_at.map(Into::into),
            log: log
                .attempts
                .into_iter()
                .map(|a| WebhookAttempt {
                    attempt: i32::try_from(a.attempt).unwrap_or(i32::MAX),
                    status_code: a.status_code.map(i32::from),
                    latency_ms: i32::try_from(a.latency_ms).unwrap_or(i32::MAX),
                    error: a.error,
                    at: a.at.into(),
                })
                .collect(),
        }
    }
}

/// Fields of a subscription to set; on update, absent fields stay as they are.
#[derive(Debug, Clone, InputObject)]
pub struct WebhookInput {
    /// Where to POST.
    pub subscriber_url: Option<String>,
    /// Trigger names; all of them when absent on create.
    pub triggers: Option<Vec<String>>,
    /// Whether to deliver.
    pub active: Option<bool>,
    /// HMAC key for `X-Cal-Signature-256`.
    pub secret: Option<String>,
    /// A custom body with `{{payload.…}}` placeholders.
    pub payload_template: Option<String>,
    /// Only bookings of this (own) event type.
    pub event_type_id: Option<ID>,
}

impl WebhookInput {
    fn into_app(self) -> Result<webhooks::WebhookInput, AppError> {
        Ok(webhooks::WebhookInput {
            subscriber_url: self.subscriber_url,
            triggers: self.triggers,
            active: self.active,
            secret: self.secret,
            payload_template: self.payload_template,
            event_type_id: self
                .event_type_id
                .map(|id| field_id("eventTypeId", &id))
                .transpose()?,
        })
    }
}

/// What a ping got back.
#[derive(Debug, Clone, SimpleObject)]
pub struct WebhookPing {
    /// Whether the subscriber answered 2xx.
    pub ok: bool,
    /// Its HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// How long it took.
    pub latency_ms: i32,
}

/// Webhook queries; all need a key.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// One page of the caller's webhook subscriptions, oldest first.
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<Webhook>> {
        let page = webhooks::list(app(ctx)?, caller(ctx)?, page_request(cursor, limit)).await?;
        Ok(page.into())
    }

    /// One of the caller's webhook subscriptions.
    async fn webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] id: ID,
    ) -> GqlResult<Webhook> {
        let id = lookup_id("webhook", &id)?;
        Ok(webhooks::get(app(ctx)?, caller(ctx)?, id).await?.into())
    }

    /// A subscription's deliveries with every attempt, newest first.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] id: ID,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<WebhookDelivery>> {
        let id = lookup_id("webhook", &id)?;
        let page = page_request(cursor, limit);
        Ok(webhooks::deliveries(app(ctx)?, caller(ctx)?, id, page)
            .await?
            .into())
    }
}

/// Webhook mutations; all need a key.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Subscribes the caller's bookings (or one event type's) to webhooks.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields to set.")] input: WebhookInput,
    ) -> GqlResult<Webhook> {
        let input = input.into_app()?;
        Ok(webhooks::create(app(ctx)?, caller(ctx)?, input)
            .await?
            .into())
    }

    /// Changes the fields given; re-activating clears the failure streak.
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] id: ID,
        #[graphql(desc = "The fields to set.")] input: WebhookInput,
    ) -> GqlResult<Webhook> {
        let id = lookup_id("webhook", &id)?;
        let input = input.into_app()?;
        Ok(webhooks::update(app(ctx)?, caller(ctx)?, id, input)
            .await?
            .into())
    }

    /// Deletes a subscription and its delivery log; answers its id.
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] id: ID,
    ) -> GqlResult<ID> {
        let row = lookup_id("webhook", &id)?;
        webhooks::delete(app(ctx)?, caller(ctx)?, row).await?;
        Ok(id)
    }

    /// Sends dead deliveries again (one, or all of the subscription's); answers how many.
    async fn replay_webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] id: ID,
        #[graphql(desc = "Only this dead delivery.")] delivery_id: Option<ID>,
    ) -> GqlResult<i32> {
        let id = lookup_id("webhook", &id)?;
        let delivery = delivery_id.map(|d| lookup_id("delivery", &d)).transpose()?;
        let replayed = webhooks::replay(app(ctx)?, caller(ctx)?, id, delivery).await?;
        Ok(i32::try_from(replayed).unwrap_or(i32::MAX))
    }

    /// Sends a signed `PING` now and reports the answer.
    async fn ping_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id.")] id: ID,
    ) -> GqlResult<WebhookPing> {
        let id = lookup_id("webhook", &id)?;
        let ping = webhooks::ping(app(ctx)?, caller(ctx)?, id).await?;
        Ok(WebhookPing {
            ok: ping.error.is_none(),
            status_code: ping.status_code.map(i32::from),
            error: ping.error,
            latency_ms: i32::try_from(ping.latency_ms).unwrap_or(i32::MAX),
        })
    }
}
