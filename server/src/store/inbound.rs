//! Inbound provider webhooks, kept raw from the moment they arrive: the row is the
//! queue. Each due event is leased to one process; a process that dies only loses its
//! lease. Also the provider deliveries already applied, and the links between Convene
//! bookings and provider objects.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set,
};

use super::Result;
use super::codec::{from_json, from_ms, to_json, to_ms};
use super::entities::{applied_provider_events, external_refs, inbound_events};
use super::keyset::{self, Keyset};
use crate::domain::ids::{BookingId, OrgId};
use crate::domain::sync_rules::LinkState;

/// Where an inbound event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundStatus {
    /// Kept, waiting to be (re)processed.
    Received,
    /// Its changes are applied (or it repeated one already applied).
    Applied,
    /// Failed every attempt; kept for replay.
    Dead,
}

impl InboundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InboundStatus::Received => "received",
            InboundStatus::Applied => "applied",
            InboundStatus::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Option<InboundStatus> {
        match s {
            "received" => Some(InboundStatus::Received),
            "applied" => Some(InboundStatus::Applied),
            "dead" => Some(InboundStatus::Dead),
            _ => None,
        }
    }
}

/// One inbound webhook as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEvent {
    pub id: i64,
    pub org_id: OrgId,
    pub installation_id: i64,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received_at: DateTime<Utc>,
    pub status: InboundStatus,
    /// Attempts made so far.
    pub attempts: u32,
    pub provider_event_id: Option<String>,
    pub last_error: Option<String>,
    /// What processing did, in words (`applied 1 change`, `repeat of e1`).
    pub outcome: Option<String>,
    /// When it is tried next, while it is still received.
    pub next_attempt_at: DateTime<Utc>,
}

fn to_event(m: inbound_events::Model) -> Result<InboundEvent> {
    Ok(InboundEvent {
        id: m.id,
        org_id: OrgId(m.org_id),
        installation_id: m.installation_id,
        headers: from_json("inbound headers", &m.headers)?,
        received_at: from_ms(m.received_ms)?,
        next_attempt_at: from_ms(m.next_attempt_ms)?,
        status: super::codec::word("inbound status", &m.status, InboundStatus::parse)?,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        method: m.method,
        path: m.path,
        body: m.body,
        provider_event_id: m.provider_event_id,
        last_error: m.last_error,
        outcome: m.outcome,
    })
}

/// The raw request, before anything else is done with it.
pub struct NewInbound<'a> {
    pub org_id: OrgId,
    pub installation_id: i64,
    pub method: &'a str,
    pub path: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Keeps an inbound webhook, due at once.
pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewInbound<'_>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let row = inbound_events::ActiveModel {
        id: NotSet,
        org_id: Set(new.org_id.0),
        installation_id: Set(new.installation_id),
        method: Set(new.method.into()),
        path: Set(new.path.into()),
        headers: Set(to_json(&new.headers)),
        body: Set(new.body.to_vec()),
        received_ms: Set(to_ms(now)),
        status: Set(InboundStatus::Received.as_str().into()),
        attempts: Set(0),
        next_attempt_ms: Set(to_ms(now)),
        lease_until_ms: Set(None),
        provider_event_id: Set(None),
        last_error: Set(None),
        outcome: Set(None),
        done_ms: Set(None),
    };
    Ok(row.insert(db).await?.id)
}

/// Takes up to `limit` due events and leases them until `lease_until`.
pub async fn lease_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    let due = inbound_events::Entity::find()
        .filter(inbound_events::Column::Status.eq(InboundStatus::Received.as_str()))
        .filter(inbound_events::Column::NextAttemptMs.lte(to_ms(now)));
    super::lease::take(
        db,
        due,
        inbound_events::Column::Id,
        inbound_events::Column::LeaseUntilMs,
        (to_ms(now), to_ms(lease_until)),
        limit,
    )
    .await
}

/// One event (`org`: only that organization's).
pub async fn find(
    db: &impl ConnectionTrait,
    org: Option<OrgId>,
    id: i64,
) -> Result<Option<InboundEvent>> {
    let mut query = inbound_events::Entity::find_by_id(id);
    if let Some(org) = org {
        query = query.filter(inbound_events::Column::OrgId.eq(org.0));
    }
    query.one(db).await?.map(to_event).transpose()
}

/// One page of `org`'s events, newest first, of one installation and in one status
/// when asked, with one row past the limit.
pub async fn list(
    db: &impl ConnectionTrait,
    org: OrgId,
    installation: Option<i64>,
    status: Option<InboundStatus>,
    page: Keyset<i64>,
) -> Result<Vec<InboundEvent>> {
    let mut query = inbound_events::Entity::find().filter(inbound_events::Column::OrgId.eq(org.0));
    if let Some(installation) = installation {
        query = query.filter(inbound_events::Column::InstallationId.eq(installation));
    }
    if let Some(status) = status {
        query = query.filter(inbound_events::Column::Status.eq(status.as_str()));
    }
    keyset::newest_first(query, inbound_events::Column::Id, page)
        .all(db)
        .await?
        .into_iter()
        .map(to_event)
        .collect()
}

/// Marks an event done: applied (or a repeat), with what it did.
pub async fn mark_applied(
    db: &impl ConnectionTrait,
    id: i64,
    provider_event_id: Option<&str>,
    outcome: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    inbound_events::Entity::update_many()
        .col_expr(
            inbound_events::Column::Status,
            Expr::value(InboundStatus::Applied.as_str()),
        )
        .col_expr(
            inbound_events::Column::ProviderEventId,
            Expr::value(provider_event_id),
        )
        .col_expr(inbound_events::Column::Outcome, Expr::value(outcome))
        .col_expr(
            inbound_events::Column::Attempts,
            Expr::col(inbound_events::Column::Attempts).add(1),
        )
        .col_expr(
            inbound_events::Column::LeaseUntilMs,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(inbound_events::Column::DoneMs, Expr::value(to_ms(now)))
        .filter(inbound_events::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed attempt: due again at `retry_at`, or dead when `None`.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let status = if retry_at.is_some() {
        InboundStatus::Received
    } else {
        InboundStatus::Dead
    };
    let mut update = inbound_events::Entity::update_many()
        .col_expr(inbound_events::Column::Status, Expr::value(status.as_str()))
        .col_expr(inbound_events::Column::LastError, Expr::value(error))
        .col_expr(
            inbound_events::Column::Attempts,
            Expr::col(inbound_events::Column::Attempts).add(1),
        )
        .col_expr(
            inbound_events::Column::LeaseUntilMs,
            Expr::value(Option::<i64>::None),
        );
    update = match retry_at {
        Some(at) => update.col_expr(
            inbound_events::Column::NextAttemptMs,
            Expr::value(to_ms(at)),
        ),
        None => update.col_expr(inbound_events::Column::DoneMs, Expr::value(to_ms(now))),
    };
    update
        .filter(inbound_events::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes a dead (or applied) event due again, attempts reset: a replay.
pub async fn replay(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let result = inbound_events::Entity::update_many()
        .col_expr(
            inbound_events::Column::Status,
            Expr::value(InboundStatus::Received.as_str()),
        )
        .col_expr(inbound_events::Column::Attempts, Expr::value(0))
        .col_expr(
            inbound_events::Column::NextAttemptMs,
            Expr::value(to_ms(now)),
        )
        .col_expr(
            inbound_events::Column::DoneMs,
            Expr::value(Option::<i64>::None),
        )
        .filter(inbound_events::Column::Id.eq(id))
        .filter(inbound_events::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records that the provider delivery `event_id` was applied; `false` when it already
/// was (a repeated delivery).
pub async fn first_application(
    db: &impl ConnectionTrait,
    installation: i64,
    event_id: &str,
    inbound: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let row = applied_provider_events::ActiveModel {
        installation_id: Set(installation),
        provider_event_id: Set(event_id.into()),
        inbound_event_id: Set(inbound),
        applied_ms: Set(to_ms(now)),
    };
    // ON CONFLICT rather than catching the unique violation: on PostgreSQL a failed
    // statement would abort the transaction this runs in.
    let inserted = applied_provider_events::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                applied_provider_events::Column::InstallationId,
                applied_provider_events::Column::ProviderEventId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// The booking provider object `external_id` of `installation` is linked to, and what
/// the sync rules remember of the changes applied to it.
pub async fn linked(
    db: &impl ConnectionTrait,
    installation: i64,
    external_id: &str,
) -> Result<Option<(BookingId, LinkState)>> {
    external_refs::Entity::find()
        .filter(external_refs::Column::InstallationId.eq(installation))
        .filter(external_refs::Column::ExternalId.eq(external_id))
        .one(db)
        .await?
        .map(|m| {
            Ok((
                BookingId(m.booking_id),
                LinkState {
                    provider_updated: m.provider_updated_ms.map(from_ms).transpose()?,
                    window_start: m.window_start_ms.map(from_ms).transpose()?,
                    updates_in_window: u32::try_from(m.updates_in_window).unwrap_or(0),
                },
            ))
        })
        .transpose()
}

/// Keeps what the sync rules remember after a change to `external_id` was applied.
pub async fn record_applied(
    db: &impl ConnectionTrait,
    installation: i64,
    external_id: &str,
    state: &LinkState,
    now: DateTime<Utc>,
) -> Result<()> {
    external_refs::Entity::update_many()
        .col_expr(
            external_refs::Column::ProviderUpdatedMs,
            Expr::value(state.provider_updated.map(to_ms)),
        )
        .col_expr(
            external_refs::Column::WindowStartMs,
            Expr::value(state.window_start.map(to_ms)),
        )
        .col_expr(
            external_refs::Column::UpdatesInWindow,
            Expr::value(i32::try_from(state.updates_in_window).unwrap_or(i32::MAX)),
        )
        .col_expr(external_refs::Column::UpdatedMs, Expr::value(to_ms(now)))
        .filter(external_refs::Column::InstallationId.eq(installation))
        .filter(external_refs::Column::ExternalId.eq(external_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Links a provider object to a booking (re-pointing an existing link).
pub async fn link(
    db: &impl ConnectionTrait,
    org: OrgId,
    installation: i64,
    external_id: &str,
    booking: BookingId,
    url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let existing = external_refs::Entity::find()
        .filter(external_refs::Column::InstallationId.eq(installation))
        .filter(external_refs::Column::ExternalId.eq(external_id))
        .one(db)
        .await?;
    match existing {
        Some(found) => {
            external_refs::ActiveModel {
                id: sea_orm::Unchanged(found.id),
                booking_id: Set(booking.0),
                updated_ms: Set(to_ms(now)),
                ..Default::default()
            }
            .update(db)
            .await?;
        }
        None => {
            external_refs::ActiveModel {
                id: NotSet,
                org_id: Set(org.0),
                installation_id: Set(installation),
                external_id: Set(external_id.into()),
                booking_id: Set(booking.0),
                url: Set(url.map(String::from)),
                provider_updated_ms: Set(None),
                created_ms: Set(to_ms(now)),
                updated_ms: Set(to_ms(now)),
                window_start_ms: Set(None),
                updates_in_window: Set(0),
                calendar_id: Set(None),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}
