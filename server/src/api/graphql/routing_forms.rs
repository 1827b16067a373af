//! Routing forms (REST `/v2/routing-forms`): a form's questions, routes and fallback
//! travel as JSON in the REST shapes; invitees open and submit forms without a key.

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use chrono::Utc;
use serde_json::{Map, Value};

use super::error::GqlResult;
use super::page::{Page, page_request};
use super::scalars::UtcTime;
use super::slots::{SlotDay, by_date};
use super::{app, caller, field_id, lookup_id, to_id};
use crate::app::routing_forms::{self, RoutingFormInput as AppInput, SlotRange, Submission};
use crate::domain::ids::RoutingFormId;
use crate::domain::routing_form::{self as domain, Target};

/// A routing form.
#[derive(Debug, Clone, SimpleObject)]
pub struct RoutingForm {
    /// The form's id; invitees open and submit it by this.
    pub id: ID,
    /// Its title.
    pub name: String,
    /// Shown above the questions.
    pub description: Option<String>,
    /// Its owner.
    pub user_id: ID,
    /// The team whose admins manage it too.
    pub team_id: Option<ID>,
    /// The questions: `[{id, label, type, required, options}]`.
    pub fields: Json<Value>,
    /// The rules in order: `[{combinator, conditions: [{field, op, value}], action, …}]`.
    pub routes: Json<Value>,
    /// Where answers no route matches go.
    pub fallback: Json<Value>,
    /// When it was made.
    pub created_at: UtcTime,
    /// When it last changed.
    pub updated_at: UtcTime,
}

fn json_of<T: serde::Serialize>(value: &T) -> Json<Value> {
    Json(serde_json::to_value(value).unwrap_or_default())
}

impl From<domain::RoutingForm> for RoutingForm {
    fn from(f: domain::RoutingForm) -> RoutingForm {
        RoutingForm {
            id: to_id(f.id.0),
            user_id: to_id(f.owner.0),
            team_id: f.team_id.map(|t| to_id(t.0)),
            fields: json_of(&f.rules.fields),
            routes: json_of(&f.rules.routes),
            fallback: json_of(&f.rules.fallback),
            name: f.name,
            description: f.description,
            created_at: UtcTime(f.created_at),
            updated_at: UtcTime(f.updated_at),
        }
    }
}

/// A kept submission.
#[derive(Debug, Clone, SimpleObject)]
pub struct FormResponse {
    /// The response's id.
    pub id: ID,
    /// The form.
    pub form_id: ID,
    /// The answers by field id.
    pub response: Json<Value>,
    /// The index of the route taken; null for the fallback.
    pub route_index: Option<i32>,
    /// Where the invitee was sent: `{action, …}`.
    pub routed_to: Json<Value>,
    /// When it was submitted.
    pub created_at: UtcTime,
}

impl From<domain::FormResponse> for FormResponse {
    fn from(r: domain::FormResponse) -> FormResponse {
        FormResponse {
            id: to_id(r.id.0),
            form_id: to_id(r.form_id.0),
            response: json_of(&r.answers),
            route_index: r.route.and_then(|i| i32::try_from(i).ok()),
            routed_to: json_of(&r.target),
            created_at: UtcTime(r.created_at),
        }
    }
}

/// Where a submission leads.
#[derive(Debug, Clone, SimpleObject)]
pub struct FormSubmission {
    /// The kept response with the route taken.
    pub response: FormResponse,
    /// The event type to book, for an event-type route.
    pub event_type_id: Option<ID>,
    /// The hosts to book with, for a route to chosen members.
    pub team_member_ids: Option<Vec<ID>>,
    /// The page to go to, for an external route.
    pub external_redirect_url: Option<String>,
    /// The message to show, for a message route.
    pub custom_message: Option<String>,
    /// The event type's slots in the range asked, for an event-type route.
    pub slots: Option<Vec<SlotDay>>,
    /// The booker's account owner, when the route is a round-robin type they host and
    /// the slots are theirs alone.
    pub contact_owner: Option<ContactOwner>,
}

/// A customer's owner a form sent the booker to.
#[derive(Debug, Clone, SimpleObject)]
pub struct ContactOwner {
    /// The owner, a host of the routed event type.
    pub user_id: ID,
    /// The customer the booker's email belongs to.
    pub customer_id: ID,
}

impl From<Submission> for FormSubmission {
    fn from(s: Submission) -> FormSubmission {
        let target = s.response.target.clone();
        FormSubmission {
            event_type_id: target.event_type().map(|e| to_id(e.0)),
            team_member_ids: match &target {
                Target::TeamMembers { member_ids, .. } => {
                    Some(member_ids.iter().map(|u| to_id(u.0)).collect())
                }
                _ => None,
            },
            external_redirect_url: match &target {
                Target::ExternalUrl { url } => Some(url.clone()),
                _ => None,
            },
            custom_message: match &target {
                Target::Message { message } => Some(message.clone()),
                _ => None,
            },
            slots: s.slots.as_ref().map(by_date),
            contact_owner: s.contact_owner.map(|(customer, user)| ContactOwner {
                user_id: to_id(user.0),
                customer_id: to_id(customer.0),
            }),
            response: s.response.into(),
        }
    }
}

/// A form as an invitee opens it.
#[derive(Debug, Clone, SimpleObject)]
pub struct PrefilledForm {
    /// The form.
    pub id: ID,
    /// Its title.
    pub name: String,
    /// Shown above the questions.
    pub description: Option<String>,
    /// The questions.
    pub fields: Json<Value>,
    /// The answers the link's query fills in, by field id.
    pub prefill: Json<Value>,
}

/// A form to create, or the parts to change.
#[derive(Debug, Clone, Default, InputObject)]
pub struct RoutingFormInput {
    /// Its title (required to create).
    pub name: Option<String>,
    /// Shown above the questions.
    pub description: Option<String>,
    /// A team whose admins manage it too.
    pub team_id: Option<ID>,
    /// The questions (required to create).
    pub fields: Option<Json<Value>>,
    /// The rules, in order.
    pub routes: Option<Json<Value>>,
    /// Where answers no route matches go (required to create).
    pub fallback: Option<Json<Value>>,
}

impl RoutingFormInput {
    fn into_app(self) -> Result<AppInput, crate::app::AppError> {
        Ok(AppInput {
            name: self.name,
            description: self.description,
            team_id: self.team_id.map(|t| field_id("teamId", &t)).transpose()?,
            fields: self.fields.map(|j| j.0),
            routes: self.routes.map(|j| j.0),
            fallback: self.fallback.map(|j| j.0),
        })
    }
}

fn form_id(id: &ID) -> GqlResult<RoutingFormId> {
    Ok(RoutingFormId(lookup_id("routing form", id)?))
}

/// Routing form queries.
#[derive(Default)]
pub struct RoutingFormQuery;

#[Object]
impl RoutingFormQuery {
    /// One page of the caller's routing forms, newest first.
    async fn routing_forms(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<RoutingForm>> {
        let page =
            routing_forms::list(app(ctx)?, caller(ctx)?, &page_request(cursor, limit)).await?;
        Ok(page.into())
    }

    /// One routing form of the organization.
    async fn routing_form(&self, ctx: &Context<'_>, id: ID) -> GqlResult<RoutingForm> {
        Ok(routing_forms::get(app(ctx)?, caller(ctx)?, form_id(&id)?)
            .await?
            .into())
    }

    /// A page of a form's responses, newest first (for those who manage the form).
    async fn routing_form_responses(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The form's id.")] id: ID,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<FormResponse>> {
        let page = routing_forms::responses(
            app(ctx)?,
            caller(ctx)?,
            form_id(&id)?,
            &page_request(cursor, limit),
        )
        .await?;
        Ok(page.into())
    }

    /// A form as an invitee opens it, prefilled from `query` (a link's query
    /// parameters, field id → value). No key needed.
    async fn prefilled_routing_form(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "Field id → value, as a link's query would give them.")] query: Option<
            Json<Map<String, Value>>,
        >,
    ) -> GqlResult<PrefilledForm> {
        let pairs: Vec<(String, String)> = query
            .map(|q| q.0)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|(k, v)| {
                let values = match v {
                    Value::Array(items) => items,
                    one => vec![one],
                };
                values.into_iter().map(move |v| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    (k.clone(), text)
                })
            })
            .collect();
        let (form, prefill) = routing_forms::open(app(ctx)?, form_id(&id)?, &pairs).await?;
        Ok(PrefilledForm {
            id: to_id(form.id.0),
            fields: json_of(&form.rules.fields),
            prefill: Json(Value::Object(prefill)),
            name: form.name,
            description: form.description,
        })
    }
}

/// Routing form changes, and submissions.
#[derive(Default)]
pub struct RoutingFormMutation;

#[Object]
impl RoutingFormMutation {
    /// Creates a routing form owned by the caller.
    async fn create_routing_form(
        &self,
        ctx: &Context<'_>,
        input: RoutingFormInput,
    ) -> GqlResult<RoutingForm> {
        let form =
            routing_forms::create(app(ctx)?, caller(ctx)?, input.into_app()?, Utc::now()).await?;
        Ok(form.into())
    }

    /// Changes the parts of a form that `input` sends.
    async fn update_routing_form(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: RoutingFormInput,
    ) -> GqlResult<RoutingForm> {
        let form = routing_forms::update(
            app(ctx)?,
            caller(ctx)?,
            form_id(&id)?,
            input.into_app()?,
            Utc::now(),
        )
        .await?;
        Ok(form.into())
    }

    /// Deletes a form with its responses; answers its id.
    async fn delete_routing_form(&self, ctx: &Context<'_>, id: ID) -> GqlResult<ID> {
        routing_forms::delete(app(ctx)?, caller(ctx)?, form_id(&id)?).await?;
        Ok(id)
    }

    /// Submits answers to a form as an invitee: where they lead, and an event-type
    /// route's slots between `start` and `end` (default: the next 7 days). No key needed.
    #[expect(
        clippy::too_many_arguments,
        reason = "GraphQL arguments: the answers, the slot range and the routing switch"
    )]
    async fn submit_routing_form(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "Field id → answer.")] responses: Json<Map<String, Value>>,
        #[graphql(desc = "An ISO 8601 instant or a date.")] start: Option<String>,
        #[graphql(desc = "An ISO 8601 instant or a date.")] end: Option<String>,
        #[graphql(desc = "The invitee's IANA zone (default `UTC`).")] time_zone: Option<String>,
        #[graphql(
            desc = "Leave a round-robin route to the rotation even when the booker's account owner hosts it.",
            default
        )]
        skip_contact_owner: bool,
    ) -> GqlResult<FormSubmission> {
        let range = SlotRange {
            start,
            end,
            time_zone,
            skip_contact_owner,
        };
        let submission =
            routing_forms::submit(app(ctx)?, form_id(&id)?, &responses.0, range, Utc::now())
                .await?;
        Ok(submission.into())
    }
}
