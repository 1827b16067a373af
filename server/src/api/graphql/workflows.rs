//! Workflows (REST `/v2/workflows`): messages sent by themselves around bookings, the
//! sends they planned, and a preview of a step's message with sample data.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};

use super::error::GqlResult;
use super::scalars::UtcTime;
use super::{app, caller, field_id, lookup_id, to_id};
use crate::app::workflows::{
    self, OffsetInput, StepInput, TriggerInput, WorkflowInput as AppInput,
};
use crate::domain::workflow::{self as domain, EventTypes, Owner};
use crate::store::workflows::Send;

/// A workflow: one trigger, steps that each send one message.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Workflow {
    /// Its id.
    pub id: ID,
    /// Shown in lists.
    pub name: String,
    /// The user whose personal workflow it is.
    pub user_id: Option<ID>,
    /// The team whose workflow it is.
    pub team_id: Option<ID>,
    /// Whether it is the organization's.
    pub organization: bool,
    /// `BOOKING_CREATED`, `BOOKING_REQUESTED`, `BOOKING_RESCHEDULED`,
    /// `BOOKING_CANCELLED`, `BEFORE_START`, `AFTER_END`, `NO_SHOW_MARKED` or
    /// `FORM_SUBMITTED`.
    pub trigger: String,
    /// For `BEFORE_START` and `AFTER_END`: how long before or after, in minutes.
    pub offset_minutes: Option<i32>,
    /// What it sends, in order.
    pub steps: Vec<WorkflowStep>,
    /// Whether it watches every event type of its owner.
    pub active_on_all: bool,
    /// The event types it watches, when not all.
    pub active_on: Vec<ID>,
    /// Whether it plans new sends.
    pub active: bool,
    /// When it was made.
    pub created_at: UtcTime,
    /// When it last changed.
    pub updated_at: UtcTime,
}

/// One step.
#[derive(Debug, Clone, SimpleObject)]
pub struct WorkflowStep {
    /// `EMAIL_ATTENDEES`, `EMAIL_HOSTS`, `EMAIL_ADDRESS`, `SMS_ATTENDEES`, `SMS_NUMBER`
    /// or `WEBHOOK`.
    pub action: String,
    /// The fixed address, number or URL.
    pub send_to: Option<String>,
    /// The email subject template.
    pub subject: String,
    /// The message template.
    pub body: String,
    /// Whether a timed step goes out at once for a booking made after its time.
    pub send_if_late: bool,
}

/// A message planned by a workflow.
#[derive(Debug, Clone, SimpleObject)]
pub struct WorkflowSend {
    /// Its id.
    pub id: ID,
    /// Which step (0-based).
    pub step: i32,
    /// The booking it is about.
    pub booking_id: Option<ID>,
    /// What fired it.
    pub trigger: String,
    /// `SCHEDULED`, `SENT`, `CANCELLED`, `SKIPPED` or `FAILED`.
    pub status: String,
    /// When it goes (or went) out.
    pub due_at: UtcTime,
    /// Failed attempts.
    pub attempts: i32,
    /// Why it failed, or why it was dropped or skipped.
    pub last_error: Option<String>,
    /// When it went out.
    pub sent_at: Option<UtcTime>,
}

impl From<Send> for WorkflowSend {
    fn from(s: Send) -> WorkflowSend {
        WorkflowSend {
            id: to_id(s.id),
            step: i32::try_from(s.step).unwrap_or(i32::MAX),
            booking_id: s.booking_id.map(|b| to_id(b.0)),
            status: s.status.as_str().to_string(),
            due_at: UtcTime(s.due),
            attempts: i32::try_from(s.attempts).unwrap_or(i32::MAX),
            sent_at: s.sent_at.map(UtcTime),
            trigger: s.event_kind,
            last_error: s.last_error,
        }
    }
}

impl From<domain::Workflow> for Workflow {
    fn from(w: domain::Workflow) -> Workflow {
        let (user_id, team_id) = match w.owner {
            Owner::User(user) => (Some(to_id(user.0)), None),
            Owner::Team(team) => (None, Some(to_id(team.0))),
            Owner::Organization => (None, None),
        };
        Workflow {
            id: to_id(w.id),
            name: w.name,
            user_id,
            team_id,
            organization: w.owner == Owner::Organization,
            trigger: w.trigger.name().to_string(),
            offset_minutes: w
                .trigger
                .offset_minutes()
                .and_then(|m| i32::try_from(m).ok()),
            steps: w
                .steps
                .iter()
                .map(|s| WorkflowStep {
                    action: s.action.name().to_string(),
                    send_to: s.action.fixed_recipient().map(str::to_string),
                    subject: s.subject.clone(),
                    body: s.body.clone(),
                    send_if_late: s.send_if_late,
                })
                .collect(),
            active_on_all: w.event_types == EventTypes::All,
            active_on: match &w.event_types {
                EventTypes::All => Vec::new(),
                EventTypes::Only(ids) => ids.iter().map(|id| to_id(id.0)).collect(),
            },
            active: w.active,
            created_at: UtcTime(w.created_at),
            updated_at: UtcTime(w.updated_at),
        }
    }
}

#[ComplexObject]
impl Workflow {
    /// The latest messages it planned, newest first.
    async fn sends(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many (default 50, at most 500).")] limit: Option<i32>,
    ) -> GqlResult<Vec<WorkflowSend>> {
        let id = lookup_id("workflow", &self.id)?;
        let limit = u64::try_from(limit.unwrap_or(50)).unwrap_or(1);
        let sends = workflows::sends(app(ctx)?, caller(ctx)?, id, limit).await?;
        Ok(sends.into_iter().map(Into::into).collect())
    }
}

/// A message filled with sample data.
#[derive(Debug, Clone, SimpleObject)]
pub struct WorkflowPreview {
    /// The subject.
    pub subject: String,
    /// The message.
    pub body: String,
}

/// A step as written.
#[derive(Debug, Clone, InputObject)]
pub struct WorkflowStepInput {
    /// See [`WorkflowStep::action`].
    pub action: String,
    /// The address, number or URL of `EMAIL_ADDRESS`, `SMS_NUMBER` and `WEBHOOK`.
    pub send_to: Option<String>,
    /// The email subject template.
    pub subject: Option<String>,
    /// The message template; `{ATTENDEE_NAME}`, `{EVENT_DATE}`, … are filled in.
    pub body: Option<String>,
    /// Send a timed step at once for a booking made after its time.
    #[graphql(default)]
    pub send_if_late: bool,
}

/// A workflow as written; on update, absent fields stay.
#[derive(Debug, Clone, Default, InputObject)]
pub struct WorkflowInput {
    /// Shown in lists.
    pub name: Option<String>,
    /// Makes it the team's (create only).
    pub team_id: Option<ID>,
    /// Makes it the organization's (create only).
    #[graphql(default)]
    pub organization: bool,
    /// See [`Workflow::trigger`].
    pub trigger: Option<String>,
    /// For `BEFORE_START` and `AFTER_END`: how long, in minutes.
    pub offset_minutes: Option<u32>,
    /// What it sends.
    pub steps: Option<Vec<WorkflowStepInput>>,
    /// The event types it watches.
    pub active_on: Option<Vec<ID>>,
    /// Watch every event type of its owner, including later ones.
    pub active_on_all: Option<bool>,
    /// Whether it plans new sends.
    pub active: Option<bool>,
}

impl WorkflowInput {
    fn into_app(self) -> Result<AppInput, crate::app::AppError> {
        Ok(AppInput {
            name: self.name,
            team_id: self.team_id.map(|t| field_id("teamId", &t)).transpose()?,
            organization: self.organization,
            trigger: self.trigger.map(|kind| TriggerInput {
                kind,
                offset: self.offset_minutes.map(|value| OffsetInput {
                    value,
                    unit: "MINUTES".into(),
                }),
            }),
            steps: self.steps.map(|steps| {
                steps
                    .into_iter()
                    .map(|s| StepInput {
                        action: s.action,
                        send_to: s.send_to,
                        subject: s.subject,
                        body: s.body,
                        send_if_late: s.send_if_late,
                    })
                    .collect()
            }),
            active_on: self
                .active_on
                .map(|ids| {
                    ids.iter()
                        .enumerate()
                        .map(|(i, id)| field_id(&format!("activeOn[{i}]"), id))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?,
            active_on_all: self.active_on_all,
            active: self.active,
        })
    }
}

/// Reading workflows.
#[derive(Default)]
pub struct WorkflowQuery;

#[Object]
impl WorkflowQuery {
    /// The workflows the caller can see: their own, their teams', their organization's.
    async fn workflows(&self, ctx: &Context<'_>) -> GqlResult<Vec<Workflow>> {
        let all = workflows::list(app(ctx)?, caller(ctx)?).await?;
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// One workflow.
    async fn workflow(&self, ctx: &Context<'_>, id: ID) -> GqlResult<Workflow> {
        let id = lookup_id("workflow", &id)?;
        Ok(workflows::get(app(ctx)?, caller(ctx)?, id).await?.into())
    }

    /// A message template filled with sample data, as a recipient in `timeZone`
    /// (default UTC) reading `language` (default `en`) would see it. Unknown variables
    /// are refused, naming them, as on save.
    async fn workflow_preview(
        &self,
        ctx: &Context<'_>,
        subject: Option<String>,
        body: String,
        time_zone: Option<String>,
        language: Option<String>,
    ) -> GqlResult<WorkflowPreview> {
        caller(ctx)?;
        let subject = subject.unwrap_or_default();
        let shown = workflows::preview(&subject, &body, time_zone.as_deref(), language.as_deref())?;
        Ok(WorkflowPreview {
            subject: shown.subject,
            body: shown.body,
        })
    }
}

/// Changing workflows.
#[derive(Default)]
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    /// Creates a workflow: the caller's, a team's (`teamId`, team admins) or the
    /// organization's (`organization: true`, org admins).
    async fn create_workflow(
        &self,
        ctx: &Context<'_>,
        input: WorkflowInput,
    ) -> GqlResult<Workflow> {
        let input = input.into_app()?;
        Ok(workflows::create(app(ctx)?, caller(ctx)?, input)
            .await?
            .into())
    }

    /// Changes a workflow; changing its trigger, steps or event types drops the sends
    /// still waiting.
    async fn update_workflow(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: WorkflowInput,
    ) -> GqlResult<Workflow> {
        let id = lookup_id("workflow", &id)?;
        let input = input.into_app()?;
        Ok(workflows::update(app(ctx)?, caller(ctx)?, id, input)
            .await?
            .into())
    }

    /// Deletes a workflow with its sends; answers its id.
    async fn delete_workflow(&self, ctx: &Context<'_>, id: ID) -> GqlResult<ID> {
        let number = lookup_id("workflow", &id)?;
        workflows::delete(app(ctx)?, caller(ctx)?, number).await?;
        Ok(id)
    }
}
