//! Workflows and the sends they plan. A send row is one step of one workflow for one
//! booking (or one event, for immediate triggers), keyed so that planning it twice
//! makes one row; the rows are also the queue the sending job leases from.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter,
    QueryOrder, Set,
};

use super::Result;
use super::codec::{from_json, from_ms, to_json, to_ms, word};
use super::entities::{workflow_sends, workflows};
use crate::domain::ids::{BookingId, EventTypeId, OrgId, TeamId, UserId};
use crate::domain::workflow::{EventTypes, Owner, Step, Trigger, Workflow};

fn to_workflow(m: workflows::Model) -> Result<Workflow> {
    let owner = match (m.user_id, m.team_id) {
        (Some(user), _) => Owner::User(UserId(user)),
        (None, Some(team)) => Owner::Team(TeamId(team)),
        (None, None) => Owner::Organization,
    };
    let event_types = if m.all_event_types {
        EventTypes::All
    } else {
        let ids: Vec<i64> = from_json("workflow event types", &m.event_type_ids)?;
        EventTypes::Only(ids.into_iter().map(EventTypeId).collect())
    };
    Ok(Workflow {
        id: m.id,
        org_id: OrgId(m.org_id),
        owner,
        name: m.name,
        trigger: from_json::<Trigger>("workflow trigger", &m.trigger)?,
        steps: from_json::<Vec<Step>>("workflow steps", &m.steps)?,
        event_types,
        active: m.active,
        created_at: from_ms(m.created_ms)?,
        updated_at: from_ms(m.updated_ms)?,
    })
}

fn to_row(w: &Workflow) -> workflows::ActiveModel {
    let (user_id, team_id) = match w.owner {
        Owner::User(user) => (Some(user.0), None),
        Owner::Team(team) => (None, Some(team.0)),
        Owner::Organization => (None, None),
    };
    let ids: Vec<i64> = match &w.event_types {
        EventTypes::All => Vec::new(),
        EventTypes::Only(ids) => ids.iter().map(|id| id.0).collect(),
    };
    workflows::ActiveModel {
        id: if w.id == 0 { NotSet } else { Set(w.id) },
        org_id: Set(w.org_id.0),
        user_id: Set(user_id),
        team_id: Set(team_id),
        name: Set(w.name.clone()),
        trigger: Set(to_json(&w.trigger)),
        steps: Set(to_json(&w.steps)),
        all_event_types: Set(w.event_types == EventTypes::All),
        event_type_ids: Set(to_json(&ids)),
        active: Set(w.active),
        created_ms: Set(to_ms(w.created_at)),
        updated_ms: Set(to_ms(w.updated_at)),
    }
}

/// Saves a new workflow (its `id` is ignored).
pub async fn insert(db: &impl ConnectionTrait, w: &Workflow) -> Result<Workflow> {
    let mut row = to_row(w);
    row.id = NotSet;
    to_workflow(row.insert(db).await?)
}

/// Saves a changed workflow.
pub async fn update(db: &impl ConnectionTrait, w: &Workflow) -> Result<Workflow> {
    to_workflow(to_row(w).update(db).await?)
}

/// Workflow `id` of `org`.
pub async fn find(db: &impl ConnectionTrait, org: OrgId, id: i64) -> Result<Option<Workflow>> {
    workflows::Entity::find_by_id(id)
        .filter(workflows::Column::OrgId.eq(org.0))
        .one(db)
        .await?
        .map(to_workflow)
        .transpose()
}

/// Every workflow of `org`, oldest first (an organization has tens, not thousands).
pub async fn of_org(db: &impl ConnectionTrait, org: OrgId) -> Result<Vec<Workflow>> {
    workflows::Entity::find()
        .filter(workflows::Column::OrgId.eq(org.0))
        .order_by_asc(workflows::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_workflow)
        .collect()
}

/// Deletes workflow `id` of `org` with its sends; whether it existed.
pub async fn delete(db: &impl ConnectionTrait, org: OrgId, id: i64) -> Result<bool> {
    workflow_sends::Entity::delete_many()
        .filter(workflow_sends::Column::OrgId.eq(org.0))
        .filter(workflow_sends::Column::WorkflowId.eq(id))
        .exec(db)
        .await?;
    let deleted = workflows::Entity::delete_many()
        .filter(workflows::Column::OrgId.eq(org.0))
        .filter(workflows::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Where a send is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStatus {
    /// Waiting for its time (or for a retry).
    Scheduled,
    /// Gone out.
    Sent,
    /// Dropped: its booking was cancelled or moved, or its workflow changed.
    Cancelled,
    /// Never due: its time had passed before the booking was made.
    Skipped,
    /// Given up on after retries, or refused for good (an opted-out number).
    Failed,
}

impl SendStatus {
    /// The stored (and API) word.
    pub fn as_str(self) -> &'static str {
        match self {
            SendStatus::Scheduled => "SCHEDULED",
            SendStatus::Sent => "SENT",
            SendStatus::Cancelled => "CANCELLED",
            SendStatus::Skipped => "SKIPPED",
            SendStatus::Failed => "FAILED",
        }
    }

    fn parse(s: &str) -> Option<SendStatus> {
        [
            SendStatus::Scheduled,
            SendStatus::Sent,
            SendStatus::Cancelled,
            SendStatus::Skipped,
            SendStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }
}

/// One planned message (a step for a booking or an event).
#[derive(Debug, Clone, PartialEq)]
pub struct Send {
    /// Row id.
    pub id: i64,
    /// The tenant.
    pub org_id: OrgId,
    /// The workflow that planned it.
    pub workflow_id: i64,
    /// Which of its steps (0-based).
    pub step: usize,
    /// What makes it unique: planning the same step for the same thing again finds it.
    pub key: String,
    /// The booking it is about (none for a routing form submitted).
    pub booking_id: Option<BookingId>,
    /// What fired it: an outbox event kind, or the timed trigger's name.
    pub event_kind: String,
    /// The event's payload as it was (empty for timed sends, which read the booking).
    pub event_payload: serde_json::Value,
    /// When it goes out.
    pub due: DateTime<Utc>,
    /// Where it is in its life.
    pub status: SendStatus,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed, or why it was dropped or skipped.
    pub last_error: Option<String>,
    /// When it went out.
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
}

fn to_send(m: workflow_sends::Model) -> Result<Send> {
    Ok(Send {
        id: m.id,
        org_id: OrgId(m.org_id),
        workflow_id: m.workflow_id,
        step: usize::try_from(m.step).unwrap_or_default(),
        key: m.send_key,
        booking_id: m.booking_id.map(BookingId),
        event_payload: from_json("workflow send payload", &m.event_payload)?,
        event_kind: m.event_kind,
        due: from_ms(m.due_ms)?,
        status: word("workflow send status", &m.status, SendStatus::parse)?,
        attempts: u32::try_from(m.attempts).unwrap_or_default(),
        last_error: m.last_error,
        sent_at: m.sent_ms.map(from_ms).transpose()?,
        created_at: from_ms(m.created_ms)?,
    })
}

/// Plans `send` unless a send with its key exists (planned by an earlier pass over
/// the same event); whether it was new.
pub async fn insert_once(db: &impl ConnectionTrait, send: &Send) -> Result<bool> {
    let row = workflow_sends::ActiveModel {
        id: NotSet,
        org_id: Set(send.org_id.0),
        workflow_id: Set(send.workflow_id),
        step: Set(i32::try_from(send.step).unwrap_or(i32::MAX)),
        send_key: Set(send.key.clone()),
        booking_id: Set(send.booking_id.map(|b| b.0)),
        event_kind: Set(send.event_kind.clone()),
        event_payload: Set(to_json(&send.event_payload)),
        due_ms: Set(to_ms(send.due)),
        status: Set(send.status.as_str().to_string()),
        attempts: Set(0),
        lease_ms: Set(None),
        last_error: Set(send.last_error.clone()),
        sent_ms: Set(None),
        created_ms: Set(to_ms(send.created_at)),
        updated_ms: Set(to_ms(send.created_at)),
    };
    let inserted = workflow_sends::Entity::insert(row)
        .on_conflict(
            OnConflict::column(workflow_sends::Column::SendKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// Drops the scheduled sends of `booking` fired by `kinds` (the timed triggers'
/// names), saying `why`; how many.
pub async fn cancel_scheduled(
    db: &impl ConnectionTrait,
    booking: BookingId,
    kinds: &[&str],
    why: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let of_booking = Condition::all()
        .add(workflow_sends::Column::BookingId.eq(booking.0))
        .add(workflow_sends::Column::EventKind.is_in(kinds.iter().copied()));
    cancel_where(db, of_booking, why, now).await
}

/// Drops the scheduled sends of workflow `workflow`, saying `why`; how many.
pub async fn cancel_of_workflow(
    db: &impl ConnectionTrait,
    workflow: i64,
    why: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let of_workflow = Condition::all().add(workflow_sends::Column::WorkflowId.eq(workflow));
    cancel_where(db, of_workflow, why, now).await
}

async fn cancel_where(
    db: &impl ConnectionTrait,
    which: Condition,
    why: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let result = workflow_sends::Entity::update_many()
        .col_expr(
            workflow_sends::Column::Status,
            Expr::value(SendStatus::Cancelled.as_str()),
        )
        .col_expr(workflow_sends::Column::LastError, Expr::value(why))
        .col_expr(workflow_sends::Column::UpdatedMs, Expr::value(to_ms(now)))
        .filter(workflow_sends::Column::Status.eq(SendStatus::Scheduled.as_str()))
        .filter(which)
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Leases up to `limit` scheduled sends due at `now` until `until`.
pub async fn lease_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    super::lease::take(
        db,
        workflow_sends::Entity::find()
            .filter(workflow_sends::Column::Status.eq(SendStatus::Scheduled.as_str()))
            .filter(workflow_sends::Column::DueMs.lte(to_ms(now))),
        workflow_sends::Column::Id,
        workflow_sends::Column::LeaseMs,
        (to_ms(now), to_ms(until)),
        limit,
    )
    .await
}

/// Send `id`.
pub async fn send(db: &impl ConnectionTrait, id: i64) -> Result<Option<Send>> {
    workflow_sends::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(to_send)
        .transpose()
}

/// The sends of workflow `workflow` of `org`, newest first, at most `limit`.
pub async fn of_workflow(
    db: &impl ConnectionTrait,
    org: OrgId,
    workflow: i64,
    limit: u64,
) -> Result<Vec<Send>> {
    use sea_orm::QuerySelect;
    workflow_sends::Entity::find()
        .filter(workflow_sends::Column::OrgId.eq(org.0))
        .filter(workflow_sends::Column::WorkflowId.eq(workflow))
        .order_by_desc(workflow_sends::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(to_send)
        .collect()
}

/// Records what became of send `id` while it is still scheduled: its new status,
/// due time, attempts and message, releasing the lease. `false` when it was no longer
/// scheduled (dropped meanwhile).
pub async fn settle(
    db: &impl ConnectionTrait,
    id: i64,
    outcome: &Settled,
    now: DateTime<Utc>,
) -> Result<bool> {
    let result = workflow_sends::Entity::update_many()
        .col_expr(
            workflow_sends::Column::Status,
            Expr::value(outcome.status.as_str()),
        )
        .col_expr(
            workflow_sends::Column::DueMs,
            Expr::value(to_ms(outcome.due)),
        )
        .col_expr(
            workflow_sends::Column::Attempts,
            Expr::value(i32::try_from(outcome.attempts).unwrap_or(i32::MAX)),
        )
        .col_expr(
            workflow_sends::Column::LastError,
            Expr::value(outcome.message.clone()),
        )
        .col_expr(
            workflow_sends::Column::SentMs,
            Expr::value((outcome.status == SendStatus::Sent).then(|| to_ms(now))),
        )
        .col_expr(workflow_sends::Column::LeaseMs, Expr::value(None::<i64>))
        .col_expr(workflow_sends::Column::UpdatedMs, Expr::value(to_ms(now)))
        .filter(workflow_sends::Column::Id.eq(id))
        .filter(workflow_sends::Column::Status.eq(SendStatus::Scheduled.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// What an attempt made of a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The new status (`Scheduled` again for a retry or a moved time).
    pub status: SendStatus,
    /// When it is due (for a retry or a moved time; kept otherwise).
    pub due: DateTime<Utc>,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Why it failed or was dropped.
    pub message: Option<String>,
}
