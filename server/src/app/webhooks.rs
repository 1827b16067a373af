//! Outbound webhooks, Cal.com-compatible: subscriptions, fan-out of outbox events into
//! deliveries, and delivering them signed, with retries, a dead letter and replay.
//!
//! The delivery rows are the truth; the job queue (in `jobs/`) only executes them, so a
//! crash at any point loses nothing: an event not yet fanned out stays in the outbox, a
//! delivery not yet sent stays due, and a delivery sent twice carries the same delivery
//! id for the receiver to de-duplicate.

use std::time::Instant;

use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::input::Issues;
use super::notifications;
use super::page::{Page, PageRequest};
use super::{App, AppError, Result, Settings};
use crate::domain::booking::Booking;
use crate::domain::destination::host_allowed;
use crate::domain::ids::{EventTypeId, UserId};
use crate::domain::user::User;
use crate::domain::validate::FieldIssue;
use crate::domain::webhook::{
    DISABLE_AFTER_FAILURES, Trigger, parse_subscriber_url, render_template, retry_delay, signature,
};
use crate::store::webhook_deliveries::{self, AttemptOutcome, Delivery};
use crate::store::webhooks::Subscription;
use crate::store::{self, StoreError};

/// The header receivers de-duplicate by: one id per delivery, the same on every retry.
pub const DELIVERY_ID_HEADER: &str = "x-convene-delivery-id";

/// A subscription as sent, in Cal.com API v2's names; on update, absent fields stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookInput {
    /// Where to POST.
    pub subscriber_url: Option<String>,
    /// Trigger names; Cal.com v1 calls them `eventTriggers`. Absent on create: all.
    #[serde(alias = "eventTriggers")]
    pub triggers: Option<Vec<String>>,
    /// Whether to deliver.
    pub active: Option<bool>,
    /// HMAC key for `X-Cal-Signature-256`.
    pub secret: Option<String>,
    /// A custom body with `{{payload.…}}` placeholders.
    pub payload_template: Option<String>,
    /// Only bookings of this (own) event type.
    pub event_type_id: Option<i64>,
}

/// An instant as Cal.com's webhooks write it: `2026-11-20T08:00:00.000Z`.
pub(super) fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The Cal.com webhook `payload` of a booking event, as it was when the change happened.
pub fn booking_payload(booking: &Booking, host: &User, event_type_slug: &str) -> Value {
    json!({
        "bookingId": booking.id.0,
        "uid": booking.uid,
        "type": event_type_slug,
        "eventTypeId": booking.event_type_id.0,
        "title": booking.title,
        "description": booking.description,
        "startTime": utc(booking.span.start),
        "endTime": utc(booking.span.end),
        "status": booking.status.as_str().to_uppercase(),
        "organizer": {
            "id": host.id.0,
            "name": host.name,
            "email": host.email,
            "username": host.username,
            "timeZone": host.time_zone.name(),
        },
        "attendees": booking.attendees.iter().map(|a| {
            let mut attendee = json!({
                "name": a.name,
                "email": a.email,
                "timeZone": a.time_zone.name(),
                "language": { "locale": a.language.clone().unwrap_or_else(|| "en".into()) },
            });
            if let Some(seat) = &a.seat_uid {
                attendee["seatUid"] = json!(seat);
            }
            attendee
        }).collect::<Vec<_>>(),
        "guests": booking.guests,
        "location": booking.location,
        "metadata": booking.metadata,
        "responses": booking.responses,
        "cancellationReason": booking.cancellation_reason,
        "rescheduleReason": booking.rescheduling_reason,
        "rescheduleUid": booking.rescheduled_from_uid,
    })
}

/// The full webhook body of an event: what is signed and sent (before any template).
fn event_body(trigger: &str, created_at: DateTime<Utc>, payload: &Value) -> Value {
    json!({
        "triggerEvent": trigger,
        "createdAt": utc(created_at),
        "payload": payload,
    })
}

fn check(app: &App, s: &mut Subscription, input: &WebhookInput) -> Result<()> {
    let mut issues = Issues::default();
    if let Some(url) = &input.subscriber_url {
        match parse_subscriber_url(url) {
            Ok(parsed) => issues.require(
                host_allowed(&parsed.host, app.settings.allow_private_webhook_targets),
                "subscriberUrl",
                format!("`{}` is a private, loopback or link-local host; webhooks go to public addresses", parsed.host),
            ),
            Err(message) => issues.0.push(FieldIssue::new("subscriberUrl", message)),
        }
        s.subscriber_url = url.clone();
    }
    if let Some(triggers) = &input.triggers {
        issues.require(
            !triggers.is_empty(),
            "triggers",
            "name at least one trigger",
        );
        for (i, t) in triggers.iter().enumerate() {
            issues.require(
                Trigger::parse(t).is_some(),
                &format!("triggers[{i}]"),
                format!(
                    "`{t}` is not a trigger; use one of {}",
                    Trigger::ALL.map(Trigger::as_str).join(", ")
                ),
            );
        }
        s.triggers = triggers.clone();
    }
    if let Some(active) = input.active {
        s.active = active;
        if active {
            s.disabled_reason = None;
            s.consecutive_failures = 0;
        }
    }
    if let Some(secret) = &input.secret {
        s.secret = Some(secret.clone()).filter(|s| !s.is_empty());
    }
    if let Some(template) = &input.payload_template {
        let sample = event_body(
            "BOOKING_CREATED",
            Utc::now(),
            &json!({"attendees": [{}], "organizer": {}}),
        );
        if let Err(e) = render_template(template, &sample) {
            issues
                .0
                .push(FieldIssue::new("payloadTemplate", e.to_string()));
        }
        s.payload_template = Some(template.clone()).filter(|t| !t.is_empty());
    }
    if let Some(id) = input.event_type_id {
        s.event_type_id = Some(EventTypeId(id));
    }
    issues.finish()
}

async fn check_event_type(app: &App, caller: Caller, s: &Subscription) -> Result<()> {
    if let Some(id) = s.event_type_id {
        super::event_types::get(app, caller, id)
            .await
            .map_err(|_| {
                AppError::invalid("eventTypeId", format!("event type {id} does not exist"))
            })?;
    }
    Ok(())
}

/// Subscribes the caller's bookings (or one of their event types) to webhooks.
pub async fn create(app: &App, caller: Caller, input: WebhookInput) -> Result<Subscription> {
    if input.subscriber_url.is_none() {
        return Err(AppError::invalid("subscriberUrl", "is required"));
    }
    let now = Utc::now();
    let mut s = Subscription {
        id: 0,
        org_id: caller.org_id,
        user_id: caller.user_id,
        event_type_id: None,
        subscriber_url: String::new(),
        triggers: Trigger::ALL.map(|t| t.as_str().to_string()).to_vec(),
        active: true,
        secret: None,
        payload_template: None,
        consecutive_failures: 0,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
    };
    check(app, &mut s, &input)?;
    check_event_type(app, caller, &s).await?;
    Ok(store::webhooks::insert(&app.db, &s).await?)
}

/// The caller's subscription `id`.
pub async fn get(app: &App, caller: Caller, id: i64) -> Result<Subscription> {
    store::webhooks::find(&app.db, caller.org_id, id)
        .await?
        .filter(|s| s.user_id == caller.user_id)
        .ok_or_else(|| AppError::NotFound(format!("webhook {id} does not exist")))
}

/// One page of the caller's subscriptions, oldest first.
pub async fn list(app: &App, caller: Caller, page: PageRequest) -> Result<Page<Subscription>> {
    let keyset = page.keyset()?;
    let rows =
        store::webhooks::list_for_user(&app.db, caller.org_id, caller.user_id, keyset).await?;
    Ok(Page::from_rows(rows, &keyset, |s| s.id))
}

/// Changes the fields given; re-activating clears the failure streak.
pub async fn update(
    app: &App,
    caller: Caller,
    id: i64,
    input: WebhookInput,
) -> Result<Subscription> {
    let mut s = get(app, caller, id).await?;
    check(app, &mut s, &input)?;
    check_event_type(app, caller, &s).await?;
    s.updated_at = Utc::now();
    Ok(store::webhooks::update(&app.db, &s).await?)
}

/// Deletes the caller's subscription `id` and its delivery log.
pub async fn delete(app: &App, caller: Caller, id: i64) -> Result<Subscription> {
    let s = get(app, caller, id).await?;
    store::webhooks::delete(&app.db, caller.org_id, id).await?;
    Ok(s)
}

/// A delivery with its attempts, for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryLog {
    /// The delivery.
    pub delivery: Delivery,
    /// Its attempts, in order.
    pub attempts: Vec<webhook_deliveries::Attempt>,
}

/// One page of a subscription's deliveries, newest first, with their attempts.
pub async fn deliveries(
    app: &App,
    caller: Caller,
    id: i64,
    page: PageRequest,
) -> Result<Page<DeliveryLog>> {
    get(app, caller, id).await?;
    let keyset = page.keyset()?;
    let rows = webhook_deliveries::list_for_webhook(&app.db, caller.org_id, id, keyset).await?;
    let page = Page::from_rows(rows, &keyset, |d| d.id);
    let mut attempts =
        webhook_deliveries::attempts_of(&app.db, page.items.iter().map(|d| d.id)).await?;
    Ok(page.map(|delivery| DeliveryLog {
        attempts: attempts.remove(&delivery.id).unwrap_or_default(),
        delivery,
    }))
}

/// Sends dead deliveries of subscription `id` again (one, or all of them); returns how many.
pub async fn replay(app: &App, caller: Caller, id: i64, delivery: Option<i64>) -> Result<u64> {
    get(app, caller, id).await?;
    let revived =
        webhook_deliveries::revive(&app.db, caller.org_id, id, delivery, Utc::now()).await?;
    if delivery.is_some() && revived == 0 {
        return Err(AppError::Conflict(
            "only a dead delivery of this webhook can be replayed".into(),
        ));
    }
    Ok(revived)
}

/// What a ping got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingResult {
    /// The subscriber's HTTP status, when it answered.
    pub status_code: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// How long it took.
    pub latency_ms: u32,
}

/// Sends a signed `PING` to the subscription now, without queueing or logging it.
pub async fn ping(app: &App, caller: Caller, id: i64) -> Result<PingResult> {
    let s = get(app, caller, id).await?;
    let body = event_body("PING", Utc::now(), &json!({"webhookId": s.id})).to_string();
    let started = Instant::now();
    let (status_code, error) = post(app, &s, 0, 0, &body).await;
    Ok(PingResult {
        status_code,
        error,
        latency_ms: elapsed_ms(started),
    })
}

/// How long the oldest undispatched outbox event has waited: a growing figure means no
/// dispatcher is keeping up (none running, or one failing).
pub async fn dispatch_lag(app: &App, now: DateTime<Utc>) -> Result<std::time::Duration> {
    let oldest = store::outbox::oldest_undispatched(&app.db).await?;
    Ok(oldest
        .and_then(|t| (now - t).to_std().ok())
        .unwrap_or_default())
}

/// What waits in the queue, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// Outbox events not yet turned into deliveries.
    pub outbox: u64,
    /// Deliveries due now.
    pub due: u64,
    /// Deliveries waiting for a later retry.
    pub scheduled: u64,
    /// Dead letters waiting for a replay.
    pub dead: u64,
}

/// Counts what waits in the queue.
pub async fn backlog(app: &App, now: DateTime<Utc>) -> Result<Backlog> {
    let outbox = store::outbox::undispatched(&app.db).await?;
    let (due, scheduled, dead) = webhook_deliveries::backlog(&app.db, now).await?;
    Ok(Backlog {
        outbox,
        due,
        scheduled,
        dead,
    })
}

/// Turns up to `limit` outbox events into deliveries for the subscriptions that want
/// them, calendar syncs for their bookings, the workflow messages they call for and
/// notices to hosts who must act, in one transaction that also marks the events
/// dispatched; returns how many events.
pub async fn fan_out(app: &App, limit: u64, now: DateTime<Utc>) -> Result<usize> {
    let txn = store::db::begin_write(&app.db).await?;
    let events = store::outbox::claim_undispatched(&txn, limit).await?;
    for event in &events {
        let host = event.payload["organizer"]["id"].as_i64().map(UserId);
        let event_type = event.payload["eventTypeId"].as_i64().map(EventTypeId);
        // Events about no event type (an out-of-office entry, a form submitted to a
        // message) reach the subscriptions of the user they concern.
        let Some(host) = host else {
            continue;
        };
        let body = event_body(&event.kind, event.created_at, &event.payload);
        for s in store::webhooks::covering(&txn, event.org_id, host, event_type).await? {
            if !s.triggers.iter().any(|t| t == &event.kind) {
                continue;
            }
            let text = match &s.payload_template {
                Some(template) => render_template(template, &body).unwrap_or_else(|e| {
                    tracing::warn!(webhook.id = s.id, error = %e, "payload template failed; sending the standard body");
                    body.to_string()
                }),
                None => body.to_string(),
            };
            webhook_deliveries::insert_once(
                &txn,
                event.org_id,
                s.id,
                event.id,
                &event.kind,
                &text,
                now,
            )
            .await?;
        }
    }
    super::calendar_sync::plan(&txn, &events, now).await?;
    super::workflows::plan(&txn, &events, now).await?;
    super::notifications::plan(&txn, &events, now).await?;
    store::outbox::mark_dispatched(&txn, events.iter().map(|e| e.id), now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(events.len())
}

/// Due deliveries leased to this process until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    /// `(delivery id, attempt number)` to queue.
    pub deliveries: Vec<(i64, u32)>,
    /// When the lease runs out and the deliveries count as lost if still pending.
    pub until: DateTime<Utc>,
}

/// Leases up to `limit` due deliveries for `lease` so this process can queue them.
pub async fn lease_due(
    app: &App,
    lease: std::time::Duration,
    limit: u64,
    now: DateTime<Utc>,
) -> Result<Leased> {
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
    let txn = store::db::begin_write(&app.db).await?;
    let deliveries = webhook_deliveries::lease_due(&txn, now, until, limit).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(Leased { deliveries, until })
}

/// Makes attempt `attempt` of delivery `id`. A duplicate run (the delivery moved on, or
/// this attempt was already recorded) does nothing, so a job may safely run twice.
pub async fn deliver(app: &App, id: i64, attempt: u32) -> Result<()> {
    let Some(delivery) = webhook_deliveries::find(&app.db, id).await? else {
        return Ok(());
    };
    if delivery.status != webhook_deliveries::DeliveryStatus::Pending
        || delivery.attempts + 1 != attempt
    {
        return Ok(());
    }
    let Some(subscription) =
        store::webhooks::find(&app.db, delivery.org_id, delivery.webhook_id).await?
    else {
        return Ok(());
    };
    let started = Instant::now();
    let (status_code, error) = if subscription.active {
        post(app, &subscription, delivery.id, attempt, &delivery.body).await
    } else {
        (None, Some("the subscription is switched off".to_string()))
    };
    let latency_ms = elapsed_ms(started);
    let success = error.is_none();
    let now = Utc::now();
    let outcome = match (success, subscription.active) {
        (true, _) => AttemptOutcome::Delivered,
        (false, false) => AttemptOutcome::Dead,
        (false, true) => match retry_delay(attempt + 1, app.settings.webhook_retry_scale) {
            Some(delay) => {
                AttemptOutcome::RetryAt(now + chrono::Duration::from_std(delay).unwrap_or_default())
            }
            None => AttemptOutcome::Dead,
        },
    };
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    let recorded = webhook_deliveries::record_attempt(
        &txn,
        id,
        attempt,
        status_code,
        latency_ms,
        error.as_deref(),
        &outcome,
        now,
    )
    .await?;
    // A success only has a failure streak to reset when there is one.
    let streak_changes = !success || subscription.consecutive_failures > 0;
    let disabled = recorded
        && subscription.active
        && streak_changes
        && webhook_deliveries::count_result(
            &txn,
            subscription.id,
            success,
            DISABLE_AFTER_FAILURES,
            now,
        )
        .await?;
    if disabled {
        notifications::webhook_disabled(&txn, &subscription, DISABLE_AFTER_FAILURES, now).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(
        webhook.id = subscription.id,
        delivery.id = id,
        delivery.attempt = attempt,
        http.status = status_code,
        latency_ms,
        outcome = ?outcome,
        "webhook delivery attempt"
    );
    if recorded {
        let outcome = match outcome {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::RetryAt(_) => "retry",
            AttemptOutcome::Dead => "dead",
        };
        metrics::counter!("webhook_delivery_attempts_total", "outcome" => outcome).increment(1);
        metrics::histogram!("webhook_delivery_duration_seconds")
            .record(f64::from(latency_ms) / 1000.0);
    }
    if disabled {
        tracing::warn!(
            webhook.id = subscription.id,
            user.id = %subscription.user_id,
            "webhook switched off after {DISABLE_AFTER_FAILURES} failed deliveries in a row"
        );
    }
    Ok(())
}

/// POSTs `body` signed; `(status, None)` on 2xx, else the status (if any) and why.
async fn post(
    app: &App,
    s: &Subscription,
    delivery: i64,
    attempt: u32,
    body: &str,
) -> (Option<u16>, Option<String>) {
    let host_ok = parse_subscriber_url(&s.subscriber_url)
        .is_ok_and(|u| host_allowed(&u.host, app.settings.allow_private_webhook_targets));
    if !host_ok {
        return (
            None,
            Some("the subscriber URL points at a refused address".into()),
        );
    }
    let response = app
        .http
        .post(&s.subscriber_url)
        .header("content-type", "application/json")
        .header(
            "x-cal-signature-256",
            signature(s.secret.as_deref(), body.as_bytes()),
        )
        .header("x-cal-webhook-version", "2021-10-20")
        .header(DELIVERY_ID_HEADER, delivery.to_string())
        .header("x-convene-attempt", attempt.to_string())
        .body(body.to_string())
        .send()
        .await;
    match response {
        Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
        Ok(r) => (
            Some(r.status().as_u16()),
            Some(format!("the subscriber answered {}", r.status())),
        ),
        Err(e) if e.is_timeout() => (None, Some("the subscriber did not answer in time".into())),
        Err(e) => (None, Some(format!("could not reach the subscriber: {e}"))),
    }
}

fn elapsed_ms(started: Instant) -> u32 {
    u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX)
}

/// The HTTP client for webhooks: a timeout, and the egress guard (no redirects, no
/// private addresses unless the operator allows them).
pub fn client(settings: &Settings) -> reqwest::Client {
    crate::egress::guarded_client(settings.allow_private_webhook_targets)
        .timeout(settings.webhook_timeout)
        .user_agent(concat!("Convene-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with these options always builds")
}
