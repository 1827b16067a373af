//! Workflows: messages Convene sends by itself around bookings (reminders, follow-ups,
//! notes to a team inbox), and the sends they plan.
//!
//! Saving checks everything a send could trip on later (unknown template variables by
//! name, unusable addresses, actions the trigger has no recipient for), so a message
//! never goes out with a blank where a name should be.
//!
//! Planning happens with the outbox dispatcher, in the transaction that marks an event
//! dispatched: an immediate trigger plans one send per step for that event; a booking
//! confirmed or moved plans the timed steps (a set time before the start or after the
//! end) for its meeting, and a booking cancelled or moved away drops its timed steps
//! still waiting. Every send has a key (workflow, step, event or booking), so planning
//! twice makes one row. A worker leases due sends; a send is marked sent only while
//! still scheduled, and its message carries the send's key (the email's `Message-ID`,
//! the SMS reference), so a crash between sending and marking repeats the same message
//! rather than a new one, and a restart or a second worker never sends another.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::input::Issues;
use super::sms::SmsSent;
use super::{App, AppError, Result};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::destination::host_allowed;
use crate::domain::ids::{EventTypeId, OrgId, TeamId, UserId};
use crate::domain::sms::normalize_phone;
use crate::domain::user::User;
use crate::domain::validate::{FieldIssue, email};
use crate::domain::webhook::parse_subscriber_url;
use crate::domain::workflow::template::{
    FORM_VARIABLES, VARIABLES, Vocabulary, answer_variable, first_name, render, sample_values,
    time_values, unknown_variables, variables,
};
use crate::domain::workflow::{
    Action, EventTypes, Owner, Planned, Recipient, Step, Trigger, Workflow, plan as plan_step,
    recipients,
};
use crate::mail::Email;
use crate::store::notifications::Notification;
use crate::store::outbox::OutboxEvent;
use crate::store::workflows::{self as repo, Send, SendStatus, Settled};
use crate::store::{self, StoreError};

/// The kind of notice raised when a workflow message is given up on.
pub const WORKFLOW_SEND_FAILED: &str = "WORKFLOW_SEND_FAILED";

/// Attempts a send gets before it is given up on.
pub const MAX_ATTEMPTS: u32 = 5;
/// At most this many steps per workflow.
const MAX_STEPS: usize = 10;
/// The longest SMS body a template may have (Twilio's limit: ten segments).
const MAX_SMS_CHARS: usize = 1600;
/// The names of the timed triggers, as stored on their sends.
const TIMED: [&str; 2] = ["BEFORE_START", "AFTER_END"];

/// A trigger as sent: `{"type": "BEFORE_START", "offset": {"value": 24, "unit": "HOURS"}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerInput {
    /// The trigger's name.
    #[serde(rename = "type")]
    pub kind: String,
    /// For timed triggers: how long before the start or after the end.
    pub offset: Option<OffsetInput>,
}

/// A timed trigger's offset.
#[derive(Debug, Clone, Deserialize)]
pub struct OffsetInput {
    /// How many units.
    pub value: u32,
    /// `MINUTES`, `HOURS` or `DAYS`.
    pub unit: String,
}

/// One step as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepInput {
    /// `EMAIL_ATTENDEES`, `EMAIL_HOSTS`, `EMAIL_ADDRESS`, `SMS_ATTENDEES`, `SMS_NUMBER`
    /// or `WEBHOOK`.
    pub action: String,
    /// The address, number or URL of `EMAIL_ADDRESS`, `SMS_NUMBER` and `WEBHOOK`.
    pub send_to: Option<String>,
    /// The email subject template.
    pub subject: Option<String>,
    /// The message template (for a webhook: the body; empty sends the standard JSON).
    pub body: Option<String>,
    /// Send a timed step at once when its time had passed before the booking was made.
    #[serde(default)]
    pub send_if_late: bool,
}

/// A workflow as sent; on update, absent fields stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowInput {
    /// Shown in lists.
    pub name: Option<String>,
    /// Makes it the team's (create only).
    pub team_id: Option<i64>,
    /// Makes it the organization's (create only).
    #[serde(default)]
    pub organization: bool,
    /// What starts it.
    pub trigger: Option<TriggerInput>,
    /// What it sends.
    pub steps: Option<Vec<StepInput>>,
    /// The event types it watches.
    pub active_on: Option<Vec<i64>>,
    /// Watch every event type of its owner, including later ones.
    pub active_on_all: Option<bool>,
    /// Whether it plans new sends.
    pub active: Option<bool>,
}

/// The workflows the caller can see: their own, their teams', their organization's.
pub async fn list(app: &App, caller: Caller) -> Result<Vec<Workflow>> {
    let mut visible = Vec::new();
    let mut member_of: HashMap<TeamId, bool> = HashMap::new();
    for w in repo::of_org(&app.db, caller.org_id).await? {
        let sees = match w.owner {
            Owner::User(user) => user == caller.user_id,
            Owner::Organization => true,
            Owner::Team(team) => match member_of.get(&team) {
                Some(member) => *member,
                None => {
                    let member = store::teams::members(&app.db, team)
                        .await?
                        .iter()
                        .any(|m| m.user_id == caller.user_id);
                    member_of.insert(team, member);
                    member
                }
            },
        };
        if sees {
            visible.push(w);
        }
    }
    Ok(visible)
}

/// Workflow `id`, if the caller can see it.
pub async fn get(app: &App, caller: Caller, id: i64) -> Result<Workflow> {
    list(app, caller)
        .await?
        .into_iter()
        .find(|w| w.id == id)
        .ok_or_else(|| not_found(id))
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("workflow {id} does not exist"))
}

/// Whether the caller may change workflows of `owner`: their own; a team's owners and
/// admins (and the organization's); the organization's owners and admins.
async fn require_manager(app: &App, caller: Caller, owner: Owner) -> Result<()> {
    match owner {
        Owner::User(user) if user == caller.user_id => Ok(()),
        Owner::User(_) => Err(AppError::Forbidden(
            "only its owner may change a personal workflow".into(),
        )),
        Owner::Team(team) => super::teams::managed(app, caller, team).await.map(|_| ()),
        Owner::Organization => super::users::require_org_admin(app, caller)
            .await
            .map(|_| ())
            .map_err(|_| {
                AppError::Forbidden(
                    "only owners and admins of the organization manage its workflows".into(),
                )
            }),
    }
}

/// Creates a workflow for the caller, one of their teams or their organization.
pub async fn create(app: &App, caller: Caller, input: WorkflowInput) -> Result<Workflow> {
    let owner = match (input.team_id, input.organization) {
        (Some(_), true) => {
            return Err(AppError::invalid(
                "teamId",
                "a workflow is a team's or the organization's, not both",
            ));
        }
        (Some(team), false) => Owner::Team(TeamId(team)),
        (None, true) => Owner::Organization,
        (None, false) => Owner::User(caller.user_id),
    };
    require_manager(app, caller, owner).await?;
    let mut issues = Issues::default();
    issues.require(input.trigger.is_some(), "trigger", "is required");
    issues.require(input.steps.is_some(), "steps", "is required");
    issues.finish()?;
    let now = Utc::now();
    let mut workflow = Workflow {
        id: 0,
        org_id: caller.org_id,
        owner,
        name: String::new(),
        trigger: Trigger::BookingCreated,
        steps: Vec::new(),
        event_types: EventTypes::All,
        active: true,
        created_at: now,
        updated_at: now,
    };
    apply_input(app, &mut workflow, input).await?;
    let saved = repo::insert(&app.db, &workflow).await?;
    tracing::info!(
        workflow.id = saved.id,
        trigger = saved.trigger.name(),
        "workflow created"
    );
    Ok(saved)
}

/// Changes workflow `id`. Waiting sends render their step when they go out, so an
/// edited message reaches bookings already made; changing the trigger or the event
/// types, or switching the workflow off, drops the waiting sends instead (their time
/// or their booking no longer fits), and bookings made later are planned anew.
pub async fn update(app: &App, caller: Caller, id: i64, input: WorkflowInput) -> Result<Workflow> {
    let mut workflow = get(app, caller, id).await?;
    require_manager(app, caller, workflow.owner).await?;
    if input.team_id.is_some() || input.organization {
        return Err(AppError::invalid(
            "teamId",
            "a workflow's owner cannot change; make a new one",
        ));
    }
    let reshaped =
        input.trigger.is_some() || input.active_on.is_some() || input.active_on_all.is_some();
    apply_input(app, &mut workflow, input).await?;
    let now = Utc::now();
    workflow.updated_at = now;
    let txn = store::db::begin_write(&app.db).await?;
    let saved = repo::update(&txn, &workflow).await?;
    if reshaped || !saved.active {
        repo::cancel_of_workflow(&txn, id, "the workflow changed", now).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    Ok(saved)
}

/// Deletes workflow `id` with its sends.
pub async fn delete(app: &App, caller: Caller, id: i64) -> Result<()> {
    let workflow = get(app, caller, id).await?;
    require_manager(app, caller, workflow.owner).await?;
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    repo::delete(&txn, caller.org_id, id).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The latest sends of workflow `id` (at most `limit`), newest first.
pub async fn sends(app: &App, caller: Caller, id: i64, limit: u64) -> Result<Vec<Send>> {
    get(app, caller, id).await?;
    Ok(repo::of_workflow(&app.db, caller.org_id, id, limit.clamp(1, 500)).await?)
}

/// A step's message filled with sample data, as a recipient in `zone` reading
/// `language` would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The subject (empty for SMS and webhooks).
    pub subject: String,
    /// The message.
    pub body: String,
}

/// Fills `subject` and `body` with sample data, as a recipient in `time_zone`
/// (default UTC) reading `language` (default English) would see them; unknown
/// variables are refused as on save.
pub fn preview(
    subject: &str,
    body: &str,
    time_zone: Option<&str>,
    language: Option<&str>,
) -> Result<Preview> {
    let zone = match time_zone {
        Some(name) => super::input::zone("timeZone", name)
            .map_err(|issue| AppError::Validation(vec![issue]))?,
        None => chrono_tz::UTC,
    };
    let language = language.unwrap_or("en");
    let issues: Vec<FieldIssue> = [("subject", subject), ("body", body)]
        .into_iter()
        .filter_map(|(field, text)| unknown_issue(field, text, Vocabulary::Booking(None)))
        .collect();
    AppError::check(issues)?;
    let answers: Vec<String> = variables(body)
        .into_iter()
        .chain(variables(subject))
        .filter(|v| v.starts_with("ANSWER_"))
        .collect();
    let values = sample_values(zone, language, &answers);
    Ok(Preview {
        subject: render(subject, &values),
        body: render(body, &values),
    })
}

/// The issue with `text`'s variables, if any: each unknown one named, with the ones
/// `vocabulary` offers.
fn unknown_issue(field: &str, text: &str, vocabulary: Vocabulary<'_>) -> Option<FieldIssue> {
    let unknown = unknown_variables(text, vocabulary);
    if unknown.is_empty() {
        return None;
    }
    let braced = |names: &mut dyn Iterator<Item = &str>| {
        names
            .map(|v| format!("{{{v}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let offered = match vocabulary {
        Vocabulary::Booking(_) => braced(&mut VARIABLES.iter().map(|(v, _)| *v)),
        Vocabulary::Form => braced(&mut FORM_VARIABLES.iter().map(|(v, _)| *v)),
    };
    Some(FieldIssue::new(
        field,
        format!(
            "unknown variable {}; use {offered} or {{ANSWER_<QUESTION>}} for an answer",
            braced(&mut unknown.iter().map(String::as_str))
        ),
    ))
}

async fn apply_input(app: &App, w: &mut Workflow, input: WorkflowInput) -> Result<()> {
    let mut issues = Issues::default();
    if let Some(name) = &input.name {
        issues.require(!name.trim().is_empty(), "name", "must not be empty");
        w.name = name.trim().to_string();
    } else if w.name.is_empty() {
        issues.require(false, "name", "is required");
    }
    if let Some(parsed) = input
        .trigger
        .as_ref()
        .and_then(|t| issues.take(parse_trigger(t)))
    {
        w.trigger = parsed;
    }
    if let Some(active) = input.active {
        w.active = active;
    }
    match (input.active_on_all, &input.active_on) {
        (Some(true), _) => w.event_types = EventTypes::All,
        (_, Some(ids)) => {
            w.event_types = EventTypes::Only(ids.iter().copied().map(EventTypeId).collect());
        }
        (Some(false), None) => issues.require(
            false,
            "activeOn",
            "name the event types, or set activeOnAll",
        ),
        (None, None) => {}
    }
    let answers = watched_questions(app, w, &mut issues).await?;
    if let Some(steps) = input.steps {
        issues.require(!steps.is_empty(), "steps", "name at least one step");
        issues.require(
            steps.len() <= MAX_STEPS,
            "steps",
            format!("at most {MAX_STEPS} steps"),
        );
        w.steps = steps
            .iter()
            .enumerate()
            .filter_map(|(i, step)| {
                issues.take_all(check_step(app, w.trigger, answers.as_deref(), i, step))
            })
            .collect();
    }
    issues.finish()
}

fn parse_trigger(input: &TriggerInput) -> std::result::Result<Trigger, FieldIssue> {
    let offset = match &input.offset {
        None => None,
        Some(o) => {
            let per_unit = match o.unit.as_str() {
                "MINUTES" => 1,
                "HOURS" => 60,
                "DAYS" => 24 * 60,
                other => {
                    return Err(FieldIssue::new(
                        "trigger.offset.unit",
                        format!("`{other}` is not a unit; use MINUTES, HOURS or DAYS"),
                    ));
                }
            };
            Some(o.value.saturating_mul(per_unit))
        }
    };
    Trigger::parse(&input.kind, offset).map_err(|m| FieldIssue::new("trigger", m))
}

/// The answer variables of the questions the workflow's event types ask; `None` when
/// it watches all of them (any answer variable is then accepted). Event types outside
/// the owner's reach are issues on `activeOn`.
async fn watched_questions(
    app: &App,
    w: &Workflow,
    issues: &mut Issues,
) -> Result<Option<Vec<String>>> {
    let EventTypes::Only(ids) = &w.event_types else {
        return Ok(None);
    };
    let mut answers = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let found = store::event_types::find(&app.db, w.org_id, *id).await?;
        let within = found
            .as_ref()
            .is_some_and(|et| w.watches(*id, owner_of(et)));
        issues.require(
            within,
            &format!("activeOn[{i}]"),
            format!("event type {id} does not exist or is not the workflow owner's"),
        );
        if let Some(et) = found.filter(|_| within) {
            answers.extend(et.booking_fields.iter().map(|f| answer_variable(&f.slug)));
        }
    }
    Ok(Some(answers))
}

fn owner_of(event_type: &crate::domain::event_type::EventType) -> Owner {
    match event_type.team_id {
        Some(team) => Owner::Team(team),
        None => Owner::User(event_type.owner),
    }
}

fn check_step(
    app: &App,
    trigger: Trigger,
    answers: Option<&[String]>,
    i: usize,
    input: &StepInput,
) -> std::result::Result<Step, Vec<FieldIssue>> {
    let field = |name: &str| format!("steps[{i}].{name}");
    let action = Action::parse(&input.action, input.send_to.as_deref()).map_err(|m| {
        // A known action failed for want of its recipient.
        let known = Action::NAMES.contains(&input.action.as_str());
        vec![FieldIssue::new(
            field(if known { "sendTo" } else { "action" }),
            m,
        )]
    })?;
    let mut issues = Vec::new();
    let subject = input.subject.clone().unwrap_or_default();
    let body = input.body.clone().unwrap_or_default();
    let about_attendees = matches!(action, Action::EmailAttendees | Action::SmsAttendees);
    if about_attendees && !trigger.is_about_bookings() {
        issues.push(FieldIssue::new(
            field("action"),
            "a routing form has no attendees; email the hosts or an address",
        ));
    }
    match &action {
        Action::EmailAddress { to } => {
            if let Err(m) = email(to) {
                issues.push(FieldIssue::new(field("sendTo"), m));
            }
        }
        Action::SmsNumber { to } => {
            if let Err(m) = normalize_phone(to) {
                issues.push(FieldIssue::new(field("sendTo"), m));
            }
        }
        Action::Webhook { url } => match parse_subscriber_url(url) {
            Ok(parsed)
                if !host_allowed(&parsed.host, app.settings.allow_private_webhook_targets) =>
            {
                issues.push(FieldIssue::new(
                    field("sendTo"),
                    format!(
                        "`{}` is a private, loopback or link-local host",
                        parsed.host
                    ),
                ));
            }
            Ok(_) => {}
            Err(m) => issues.push(FieldIssue::new(field("sendTo"), m)),
        },
        _ => {}
    }
    if action.is_email() && subject.trim().is_empty() {
        issues.push(FieldIssue::new(
            field("subject"),
            "an email needs a subject",
        ));
    }
    if !matches!(action, Action::Webhook { .. }) && body.trim().is_empty() {
        issues.push(FieldIssue::new(field("body"), "is required"));
    }
    if action.is_sms() && body.chars().count() > MAX_SMS_CHARS {
        issues.push(FieldIssue::new(
            field("body"),
            format!("an SMS is at most {MAX_SMS_CHARS} characters"),
        ));
    }
    let vocabulary = if trigger.is_about_bookings() {
        Vocabulary::Booking(answers)
    } else {
        Vocabulary::Form
    };
    for (name, text) in [("subject", &subject), ("body", &body)] {
        issues.extend(unknown_issue(&field(name), text, vocabulary));
    }
    if issues.is_empty() {
        Ok(Step {
            action,
            subject,
            body,
            send_if_late: input.send_if_late,
        })
    } else {
        Err(issues)
    }
}

/// Plans the sends the outbox events call for, inside the dispatcher's transaction.
pub async fn plan(
    txn: &DatabaseTransaction,
    events: &[OutboxEvent],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut by_org: HashMap<OrgId, Vec<Workflow>> = HashMap::new();
    for event in events {
        let relevant = event.kind.starts_with("BOOKING_") || event.kind == "FORM_SUBMITTED";
        if !relevant {
            continue;
        }
        let workflows = match by_org.entry(event.org_id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(first) => {
                let all = repo::of_org(txn, event.org_id).await?;
                first.insert(all.into_iter().filter(|w| w.active).collect())
            }
        };
        if event.kind == "FORM_SUBMITTED" {
            plan_form(txn, workflows, event, now).await?;
        } else {
            plan_booking(txn, workflows, event, now).await?;
        }
    }
    Ok(())
}

async fn plan_form(
    txn: &DatabaseTransaction,
    workflows: &[Workflow],
    event: &OutboxEvent,
    now: DateTime<Utc>,
) -> Result<()> {
    let owner = event.payload["organizer"]["id"].as_i64().map(UserId);
    let team = event.payload["teamId"].as_i64().map(TeamId);
    let form_owner = match (team, owner) {
        (Some(team), _) => Owner::Team(team),
        (None, Some(user)) => Owner::User(user),
        (None, None) => return Ok(()),
    };
    for w in workflows
        .iter()
        .filter(|w| w.trigger == Trigger::FormSubmitted)
    {
        if w.owner != Owner::Organization && w.owner != form_owner {
            continue;
        }
        for step in 0..w.steps.len() {
            let send = new_send(
                w,
                step,
                format!("w{}:s{step}:e{}", w.id, event.id),
                None,
                event,
                now,
            );
            repo::insert_once(txn, &send).await?;
        }
    }
    Ok(())
}

fn new_send(
    w: &Workflow,
    step: usize,
    key: String,
    booking: Option<&Booking>,
    event: &OutboxEvent,
    now: DateTime<Utc>,
) -> Send {
    Send {
        id: 0,
        org_id: w.org_id,
        workflow_id: w.id,
        step,
        key,
        booking_id: booking.map(|b| b.id),
        event_kind: event.kind.clone(),
        event_payload: event.payload.clone(),
        due: now,
        status: SendStatus::Scheduled,
        attempts: 0,
        last_error: None,
        sent_at: None,
        created_at: now,
    }
}

async fn plan_booking(
    txn: &DatabaseTransaction,
    workflows: &[Workflow],
    event: &OutboxEvent,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(uid) = event.payload["uid"].as_str() else {
        return Ok(());
    };
    let Some(booking) = store::bookings::find_by_uid(txn, Some(event.org_id), uid).await? else {
        return Ok(());
    };
    if let Some(previous) = &booking.rescheduled_from_uid
        && event.kind == "BOOKING_RESCHEDULED"
        && let Some(old) = store::bookings::find_by_uid(txn, Some(event.org_id), previous).await?
    {
        let why = format!("the booking moved to {}", booking.uid);
        repo::cancel_scheduled(txn, old.id, &TIMED, &why, now).await?;
    }
    if matches!(
        booking.status,
        BookingStatus::Cancelled | BookingStatus::Rejected
    ) {
        repo::cancel_scheduled(txn, booking.id, &TIMED, "the booking was cancelled", now).await?;
    }
    let Some(event_type) =
        store::event_types::find(txn, event.org_id, booking.event_type_id).await?
    else {
        return Ok(());
    };
    let watched_by = owner_of(&event_type);
    let plans_timed = matches!(
        event.kind.as_str(),
        "BOOKING_CREATED" | "BOOKING_RESCHEDULED"
    ) && booking.status == BookingStatus::Accepted;
    for w in workflows
        .iter()
        .filter(|w| w.watches(booking.event_type_id, watched_by))
    {
        if w.trigger.event_kind() == Some(event.kind.as_str()) {
            for step in 0..w.steps.len() {
                let key = format!("w{}:s{step}:e{}", w.id, event.id);
                repo::insert_once(txn, &new_send(w, step, key, Some(&booking), event, now)).await?;
            }
        }
        let Some(due) = w.trigger.due(booking.span).filter(|_| plans_timed) else {
            continue;
        };
        for (step, s) in w.steps.iter().enumerate() {
            let key = format!("w{}:s{step}:b{}", w.id, booking.id.0);
            let mut send = new_send(w, step, key, Some(&booking), event, now);
            send.event_kind = w.trigger.name().to_string();
            send.event_payload = Value::Null;
            match plan_step(Some(due), s.send_if_late, booking.created_at, now) {
                Planned::At(at) => send.due = at,
                Planned::TooLate => {
                    send.status = SendStatus::Skipped;
                    send.due = due;
                    send.last_error = Some("its time had passed when the booking was made".into());
                }
            }
            repo::insert_once(txn, &send).await?;
        }
    }
    Ok(())
}

/// Leases up to `limit` due sends for `lease`, by the app's clock.
pub async fn lease_due(app: &App, lease: Duration, limit: u64) -> Result<Vec<i64>> {
    let now = app.clock.now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
    let txn = store::db::begin_write(&app.db).await?;
    let due = repo::lease_due(&txn, now, until, limit).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(due)
}

/// Sends send `id` if it is due and still wanted, by the app's clock.
pub async fn deliver(app: &App, id: i64) -> Result<()> {
    let now = app.clock.now();
    let Some(send) = repo::send(&app.db, id).await? else {
        return Ok(());
    };
    if send.status != SendStatus::Scheduled {
        return Ok(());
    }
    let Some(workflow) = repo::find(&app.db, send.org_id, send.workflow_id).await? else {
        return Ok(());
    };
    let booking = match send.booking_id {
        Some(id) => store::bookings::find_by_id(&app.db, id).await?,
        None => None,
    };
    let timed = TIMED.contains(&send.event_kind.as_str());
    if timed {
        let Some(booking) = booking
            .as_ref()
            .filter(|b| b.status == BookingStatus::Accepted)
        else {
            settle(
                app,
                &send,
                SendStatus::Cancelled,
                send.due,
                Some("the booking is no longer on".into()),
                now,
            )
            .await?;
            return Ok(());
        };
        // A booking moved in place (by its provider) takes its reminder along.
        if let Some(due) = workflow.trigger.due(booking.span).filter(|due| *due > now) {
            settle(app, &send, SendStatus::Scheduled, due, None, now).await?;
            return Ok(());
        }
    }
    let Some(step) = workflow.steps.get(send.step) else {
        settle(
            app,
            &send,
            SendStatus::Cancelled,
            send.due,
            Some("the step no longer exists".into()),
            now,
        )
        .await?;
        return Ok(());
    };
    let hosts = hosts_of(app, &send, booking.as_ref()).await?;
    let mut failure: Option<(String, bool)> = None;
    for (n, recipient) in recipients(&step.action, booking.as_ref(), &hosts)
        .into_iter()
        .enumerate()
    {
        let message = Message::new(app, step, booking.as_ref(), &hosts, &recipient, &send);
        let key = format!("workflow-send-{}-{n}", send.id);
        if let Err((error, transient)) =
            dispatch(app, &step.action, &key, &recipient, &message, &send).await
        {
            tracing::warn!(workflow.id = workflow.id, send.id = send.id, %error, transient, "workflow message failed");
            failure = Some((error, transient));
            if transient {
                break;
            }
        }
    }
    let (status, due, message) = match failure {
        None => (SendStatus::Sent, send.due, None),
        Some((error, true)) if send.attempts + 1 < MAX_ATTEMPTS => (
            SendStatus::Scheduled,
            now + backoff(send.attempts + 1),
            Some(error),
        ),
        Some((error, _)) => (SendStatus::Failed, send.due, Some(error)),
    };
    let attempts = if status == SendStatus::Sent {
        send.attempts
    } else {
        send.attempts + 1
    };
    let settled = Settled {
        status,
        due,
        attempts,
        message,
    };
    let txn = store::db::begin_write(&app.db).await?;
    if repo::settle(&txn, send.id, &settled, now).await? && status == SendStatus::Failed {
        tell_owner(
            &txn,
            &workflow,
            &send,
            settled.message.as_deref().unwrap_or_default(),
            now,
        )
        .await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    metrics::counter!("workflow_sends_total", "status" => status.as_str()).increment(1);
    Ok(())
}

async fn settle(
    app: &App,
    send: &Send,
    status: SendStatus,
    due: DateTime<Utc>,
    message: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    let settled = Settled {
        status,
        due,
        attempts: send.attempts,
        message,
    };
    repo::settle(&app.db, send.id, &settled, now).await?;
    Ok(())
}

/// Tells whoever manages `workflow` that `send` was given up on, and why: its owner,
/// a team's owners and admins, or the organization's.
async fn tell_owner(
    txn: &DatabaseTransaction,
    workflow: &Workflow,
    send: &Send,
    why: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let people = match workflow.owner {
        Owner::User(user) => vec![user],
        Owner::Team(team) => store::teams::managers(txn, team).await?,
        Owner::Organization => store::users::org_admins(txn, workflow.org_id).await?,
    };
    let message = format!(
        "Step {} of workflow \"{}\" could not be sent ({why}). Fix the step's recipient or the \
         provider it goes through; later messages are tried as usual.",
        send.step + 1,
        workflow.name
    );
    for user_id in people {
        let notice = Notification::new(
            workflow.org_id,
            user_id,
            WORKFLOW_SEND_FAILED,
            format!("workflow:{}", workflow.id),
            message.clone(),
            now,
        );
        store::notifications::insert(txn, &notice).await?;
    }
    Ok(())
}

/// Backoff after the `attempts`-th failure: 1, 4, 16, 64 minutes.
fn backoff(attempts: u32) -> chrono::Duration {
    chrono::Duration::minutes(4i64.saturating_pow(attempts.saturating_sub(1)).min(24 * 60))
}

/// The hosts a message is about: the booking's (main host first), or the routing
/// form's owner.
async fn hosts_of(app: &App, send: &Send, booking: Option<&Booking>) -> Result<Vec<User>> {
    if let Some(booking) = booking {
        return super::notifications::hosts(&app.db, booking).await;
    }
    let owner = send.event_payload["organizer"]["id"].as_i64().map(UserId);
    match owner {
        Some(owner) => Ok(store::users::find(&app.db, send.org_id, owner)
            .await?
            .into_iter()
            .collect()),
        None => Ok(Vec::new()),
    }
}

/// One recipient's message.
struct Message {
    subject: String,
    body: String,
}

impl Message {
    fn new(
        app: &App,
        step: &Step,
        booking: Option<&Booking>,
        hosts: &[User],
        recipient: &Recipient,
        send: &Send,
    ) -> Message {
        let values = match booking {
            Some(b) => booking_values(app, b, hosts, recipient),
            None => form_values(&send.event_payload),
        };
        Message {
            subject: render(&step.subject, &values),
            body: render(&step.body, &values),
        }
    }
}

fn booking_values(
    app: &App,
    b: &Booking,
    hosts: &[User],
    recipient: &Recipient,
) -> BTreeMap<String, String> {
    let attendee = recipient
        .attendee
        .and_then(|i| b.attendees.get(i))
        .or_else(|| b.attendees.first());
    let host = hosts.first();
    let links = app
        .settings
        .public_url
        .as_deref()
        .map(|base| base.trim_end_matches('/'));
    let meeting_url = b
        .location
        .as_deref()
        .filter(|l| l.starts_with("https://") || l.starts_with("http://"));
    let mut values: BTreeMap<String, String> = [
        ("ATTENDEE_NAME", attendee.map(|a| a.name.clone())),
        (
            "ATTENDEE_FIRST_NAME",
            attendee.map(|a| first_name(&a.name).to_string()),
        ),
        ("ATTENDEE_EMAIL", attendee.map(|a| a.email.clone())),
        ("HOST_NAME", host.map(|h| h.name.clone())),
        ("HOST_EMAIL", host.map(|h| h.email.clone())),
        ("EVENT_NAME", Some(b.title.clone())),
        ("LOCATION", b.location.clone()),
        ("MEETING_URL", meeting_url.map(str::to_string)),
        (
            "CANCEL_URL",
            links.map(|base| format!("{base}/booking/{}?cancel=true", b.uid)),
        ),
        (
            "RESCHEDULE_URL",
            links.map(|base| format!("{base}/reschedule/{}", b.uid)),
        ),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_string(), v?)))
    .collect();
    values.extend(
        time_values(
            b.span.start,
            b.span.end,
            recipient.zone,
            &recipient.language,
        )
        .into_iter()
        .map(|(k, v)| (k.to_string(), v)),
    );
    for (slug, answer) in &b.responses {
        values.insert(answer_variable(slug), answer_text(answer));
    }
    values
}

fn form_values(payload: &Value) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let name = payload["formName"].as_str().unwrap_or_default().to_string();
    values.insert("FORM_NAME".to_string(), name);
    let mut lines = Vec::new();
    if let Some(responses) = payload["responses"].as_object() {
        for (id, answer) in responses {
            let text = answer_text(&answer["value"]);
            lines.push(format!(
                "{}: {text}",
                answer["label"].as_str().unwrap_or(id)
            ));
            values.insert(answer_variable(id), text);
        }
    }
    values.insert("FORM_RESPONSES".to_string(), lines.join("\n"));
    values
}

fn answer_text(answer: &Value) -> String {
    match answer {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(answer_text).collect::<Vec<_>>().join(", "),
        Value::Null => String::new(),
        // Forms keep numbers as floats; 40 seats read "40", not "40.0".
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Sends one message; on failure, the reason and whether trying again may help.
async fn dispatch(
    app: &App,
    action: &Action,
    key: &str,
    recipient: &Recipient,
    message: &Message,
    send: &Send,
) -> std::result::Result<(), (String, bool)> {
    match action {
        Action::EmailAttendees | Action::EmailHosts | Action::EmailAddress { .. } => {
            let email = Email {
                key: key.to_string(),
                to_name: recipient.name.clone(),
                to: recipient.address.clone(),
                subject: message.subject.clone(),
                text: message.body.clone(),
            };
            app.mailer
                .send(&email)
                .await
                .map_err(|e| (e.to_string(), e.is_transient()))
        }
        Action::SmsAttendees | Action::SmsNumber { .. } => {
            let sent =
                super::sms::send(app, send.org_id, &recipient.address, &message.body, key).await;
            match sent {
                Ok(SmsSent::OptedOut) => {
                    // Their choice, not a fault to fix: the others still get theirs.
                    tracing::info!(send.id = send.id, "recipient opted out of text messages");
                    Ok(())
                }
                Ok(_) => Ok(()),
                // No SMS provider installed, or a number no provider takes: retrying
                // cannot help until someone fixes it.
                Err(e @ (AppError::Validation(_) | AppError::NotFound(_))) => {
                    Err((e.to_string(), false))
                }
                Err(e) => Err((e.to_string(), true)),
            }
        }
        Action::Webhook { url } => post_webhook(app, url, key, message, send).await,
    }
}

async fn post_webhook(
    app: &App,
    url: &str,
    key: &str,
    message: &Message,
    send: &Send,
) -> std::result::Result<(), (String, bool)> {
    let body = if message.body.trim().is_empty() {
        json!({
            "triggerEvent": send.event_kind,
            "workflowId": send.workflow_id,
            "step": send.step,
            "bookingId": send.booking_id.map(|b| b.0),
            "payload": send.event_payload,
        })
        .to_string()
    } else {
        message.body.clone()
    };
    let content_type = if serde_json::from_str::<Value>(&body).is_ok() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    let answer = app
        .http
        .post(url)
        .header("content-type", content_type)
        .header(super::webhooks::DELIVERY_ID_HEADER, key)
        .body(body)
        .send()
        .await
        .map_err(|e| (format!("the webhook could not be reached: {e}"), true))?;
    let status = answer.status();
    if status.is_success() {
        Ok(())
    } else {
        let transient =
            status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408;
        Err((format!("the webhook answered {status}"), transient))
    }
}
