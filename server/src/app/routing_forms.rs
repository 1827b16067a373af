//! Routing forms: their owners (and organization admins, and for a team's form the
//! team's admins) create and change them; invitees open one (prefilled from the link's
//! query) and submit answers, which are kept with the route taken and recorded as a
//! `FORM_SUBMITTED` event; an event-type route answers its first slots too.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::auth::Caller;
use super::availability::{self, EventTypeRef, SlotsInput, SlotsView};
use super::page::{Page, PageRequest};
use super::{App, AppError, Result};
use crate::domain::customer::Customer;
use crate::domain::ids::{CustomerId, EventTypeId, FormResponseId, RoutingFormId, TeamId, UserId};
use crate::domain::routing_form::{
    self, Answer, Answers, FieldKind, FormResponse, FormRules, RoutingForm, Target, TargetKind,
};
use crate::domain::team::SchedulingType;
use crate::store::{self, StoreError};

/// The longest form name.
const MAX_NAME: usize = 200;
/// How far ahead a submission's slots look when the request names no range.
const DEFAULT_SLOT_DAYS: i64 = 7;

/// A form to create, or the parts of one to change (`PATCH` sends only those).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutingFormInput {
    /// Its title.
    pub name: Option<String>,
    /// Shown above the questions.
    pub description: Option<String>,
    /// A team whose admins manage it too.
    pub team_id: Option<i64>,
    /// The questions: `[{id, label, type, required, options}]`.
    pub fields: Option<Value>,
    /// The rules: `[{combinator, conditions: [{field, op, value}], action, …}]`.
    pub routes: Option<Value>,
    /// Where answers no route matches go: `{action, …}`.
    pub fallback: Option<Value>,
}

/// The slot range a submission asks for, like `GET /v2/slots`; the next 7 days in UTC
/// by default.
#[derive(Debug, Clone, Default)]
pub struct SlotRange {
    /// ISO instant or date.
    pub start: Option<String>,
    /// ISO instant or date.
    pub end: Option<String>,
    /// The invitee's zone.
    pub time_zone: Option<String>,
    /// Leave a round-robin route to the rotation even when the booker's account owner
    /// hosts it (Cal.com's `skipContactOwner`).
    pub skip_contact_owner: bool,
}

/// What a submission answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The kept response, with the route taken.
    pub response: FormResponse,
    /// For an event-type route, its slots in the range asked.
    pub slots: Option<SlotsView>,
    /// The booker's customer and its owner, when the route is a round-robin type the
    /// owner hosts and the slots are the owner's own.
    pub contact_owner: Option<(CustomerId, UserId)>,
}

/// Creates a form owned by the caller. Every bad field is a 422 naming it.
pub async fn create(
    app: &App,
    caller: Caller,
    input: RoutingFormInput,
    now: DateTime<Utc>,
) -> Result<RoutingForm> {
    let name = checked_name(input.name.as_deref())?;
    let team_id = team(app, caller, input.team_id).await?;
    let rules = checked_rules(
        app,
        caller,
        input.fields.as_ref(),
        input.routes.as_ref(),
        input.fallback.as_ref(),
    )
    .await?;
    let form = RoutingForm {
        id: RoutingFormId(0),
        org_id: caller.org_id,
        owner: caller.user_id,
        team_id,
        name,
        description: input.description,
        rules,
        created_at: now,
        updated_at: now,
    };
    let form = store::routing_forms::insert(&app.db, &form).await?;
    tracing::info!(routing_form.id = form.id.0, "routing form created");
    Ok(form)
}

/// Changes the parts of form `id` that `input` sends; the rest stays. The result is
/// checked whole, so a route can name a field added in the same request.
pub async fn update(
    app: &App,
    caller: Caller,
    id: RoutingFormId,
    input: RoutingFormInput,
    now: DateTime<Utc>,
) -> Result<RoutingForm> {
    let mut form = managed(app, caller, id).await?;
    if input.name.is_some() {
        form.name = checked_name(input.name.as_deref())?;
    }
    if input.description.is_some() {
        form.description = input.description;
    }
    if input.team_id.is_some() {
        form.team_id = team(app, caller, input.team_id).await?;
    }
    let stored = serde_json::to_value(&form.rules).unwrap_or_default();
    let fields = input.fields.as_ref().or(stored.get("fields"));
    let routes = input.routes.as_ref().or(stored.get("routes"));
    let fallback = input.fallback.as_ref().or(stored.get("fallback"));
    form.rules = checked_rules(app, caller, fields, routes, fallback).await?;
    form.updated_at = now;
    store::routing_forms::update(&app.db, &form).await?;
    tracing::info!(routing_form.id = form.id.0, "routing form updated");
    Ok(form)
}

/// Deletes form `id` with its responses.
pub async fn delete(app: &App, caller: Caller, id: RoutingFormId) -> Result<()> {
    managed(app, caller, id).await?;
    store::routing_forms::delete(&app.db, caller.org_id, id).await?;
    tracing::info!(routing_form.id = id.0, "routing form deleted");
    Ok(())
}

/// Form `id` of the caller's organization.
pub async fn get(app: &App, caller: Caller, id: RoutingFormId) -> Result<RoutingForm> {
    store::routing_forms::find(&app.db, caller.org_id, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// A page of the caller's own forms, newest first.
pub async fn list(app: &App, caller: Caller, page: &PageRequest) -> Result<Page<RoutingForm>> {
    let keyset = page.keyset()?;
    let rows =
        store::routing_forms::list(&app.db, caller.org_id, Some(caller.user_id), keyset).await?;
    Ok(Page::from_rows(rows, &keyset, |f| f.id.0))
}

/// A page of form `id`'s responses, newest first, for those who manage the form.
pub async fn responses(
    app: &App,
    caller: Caller,
    id: RoutingFormId,
    page: &PageRequest,
) -> Result<Page<FormResponse>> {
    let keyset = page.keyset()?;
    managed(app, caller, id).await?;
    let rows = store::routing_forms::responses(&app.db, caller.org_id, id, keyset).await?;
    Ok(Page::from_rows(rows, &keyset, |r| r.id.0))
}

/// The form `id` as an invitee opens it, with the answers the link's `query` fills in.
pub async fn open(
    app: &App,
    id: RoutingFormId,
    query: &[(String, String)],
) -> Result<(RoutingForm, Map<String, Value>)> {
    let form = public(app, id).await?;
    let prefill = routing_form::prefill(&form.rules.fields, query);
    Ok((form, prefill))
}

/// Submits `responses` to form `id` as an invitee: checks them, picks the route, and
/// for an event-type route finds its slots in `range`; then keeps the response and
/// records `FORM_SUBMITTED` in one transaction. A booker whose email belongs to a
/// customer is shown its owner's slots when the route is a round-robin type the owner
/// hosts and the owner is free in the range; otherwise every host's.
pub async fn submit(
    app: &App,
    id: RoutingFormId,
    responses: &Map<String, Value>,
    range: SlotRange,
    now: DateTime<Utc>,
) -> Result<Submission> {
    let form = public(app, id).await?;
    let answers =
        routing_form::check_answers(&form.rules.fields, responses).map_err(AppError::Validation)?;
    let routed = routing_form::route(&form.rules, &answers);
    let customer = match booker_email(&form.rules, &answers) {
        Some(email) => super::customers::customer_of(&app.db, form.org_id, email).await?,
        None => None,
    };
    let owner = customer
        .as_ref()
        .and_then(|c| Some((c.id, c.owner?)))
        .filter(|_| !range.skip_contact_owner);
    let (slots, contact_owner) = match routed.target {
        Target::EventType { event_type_id } => {
            routed_slots(app, *event_type_id, &[], owner, range, now).await?
        }
        Target::TeamMembers {
            event_type_id,
            member_ids,
        } => routed_slots(app, *event_type_id, member_ids, owner, range, now).await?,
        Target::ExternalUrl { .. } | Target::Message { .. } => (None, None),
    };
    let response = FormResponse {
        id: FormResponseId(0),
        form_id: form.id,
        answers,
        route: routed.route,
        target: routed.target.clone(),
        created_at: now,
    };
    let txn = store::db::begin_write(&app.db).await?;
    let response = store::routing_forms::insert_response(&txn, &form, &response).await?;
    let payload = submitted_payload(&form, &response, customer.as_ref(), contact_owner);
    store::outbox::insert(&txn, form.org_id, "FORM_SUBMITTED", &payload, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(
        routing_form.id = form.id.0,
        routing_form.response_id = response.id.0,
        route = ?response.route,
        "routing form submitted"
    );
    Ok(Submission {
        response,
        slots,
        contact_owner,
    })
}

/// The answer to the form's first email question: who is booking.
fn booker_email<'a>(rules: &FormRules, answers: &'a Answers) -> Option<&'a str> {
    rules
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Email)
        .find_map(|f| match answers.get(&f.id) {
            Some(Answer::Text(email)) => Some(email.as_str()),
            _ => None,
        })
}

/// The slots of a route to `event_type` (its rotating hosts narrowed to `members`
/// when given): the account owner's alone when `owner` is one of them on a
/// round-robin type and has a slot in `range`, then with the owner named; else every
/// host's.
async fn routed_slots(
    app: &App,
    event_type: EventTypeId,
    members: &[UserId],
    owner: Option<(CustomerId, UserId)>,
    range: SlotRange,
    now: DateTime<Utc>,
) -> Result<(Option<SlotsView>, Option<(CustomerId, UserId)>)> {
    if let Some((customer, user)) = owner
        && (members.is_empty() || members.contains(&user))
        && rotates(app, event_type, user).await?
    {
        let theirs = target_slots(app, event_type, &[user], range.clone(), now).await?;
        if !theirs.slots.is_empty() {
            return Ok((Some(theirs), Some((customer, user))));
        }
    }
    let all = target_slots(app, event_type, members, range, now).await?;
    Ok((Some(all), None))
}

/// Whether `user` is a rotating host of round-robin type `event_type`.
async fn rotates(app: &App, event_type: EventTypeId, user: UserId) -> Result<bool> {
    let b = match availability::bookable(app, &EventTypeRef::Id(event_type)).await {
        Ok(b) => b,
        Err(AppError::NotFound(_)) => return Ok(false),
        Err(other) => return Err(other),
    };
    Ok(b.team.is_some_and(|team| {
        team.scheduling_type == SchedulingType::RoundRobin
            && team
                .hosts
                .iter()
                .any(|h| h.user.id == user && !h.host.mandatory)
    }))
}

/// The `FORM_SUBMITTED` body: Cal.com's `formId`, `formName`, `teamId` and
/// `responses` (each answer with its question), plus the route taken and the
/// `customer` the booker's email matched (id, name, owner) and the `contactOwner`
/// whose slots were shown, if the route went to them. `organizer` and `eventTypeId`
/// say whose webhooks it reaches.
fn submitted_payload(
    form: &RoutingForm,
    response: &FormResponse,
    customer: Option<&Customer>,
    contact_owner: Option<(CustomerId, UserId)>,
) -> Value {
    let answers: Map<String, Value> = form
        .rules
        .fields
        .iter()
        .filter_map(|f| {
            let answer = response.answers.get(&f.id)?;
            Some((f.id.clone(), json!({"label": f.label, "value": answer})))
        })
        .collect();
    json!({
        "formId": form.id.0,
        "formName": form.name,
        "teamId": form.team_id.map(|t| t.0),
        "responseId": response.id.0,
        "responses": answers,
        "routeIndex": response.route,
        "routedTo": response.target,
        "eventTypeId": response.target.event_type().map(|e| e.0),
        "organizer": {"id": form.owner.0},
        "customer": customer.map(|c| json!({
            "id": c.id.0,
            "name": c.name,
            "ownerId": c.owner.map(|o| o.0),
        })),
        "contactOwner": contact_owner.map(|(customer, user)| json!({
            "userId": user.0,
            "customerId": customer.0,
        })),
    })
}

async fn target_slots(
    app: &App,
    event_type: EventTypeId,
    members: &[UserId],
    range: SlotRange,
    now: DateTime<Utc>,
) -> Result<SlotsView> {
    let start = range.start.unwrap_or_else(|| now.to_rfc3339());
    let end = range
        .end
        .unwrap_or_else(|| (now + Duration::days(DEFAULT_SLOT_DAYS)).to_rfc3339());
    let query = SlotsInput {
        event_type: EventTypeRef::Id(event_type),
        start,
        end,
        time_zone: range.time_zone,
        duration: None,
        booking_uid_to_reschedule: None,
    };
    availability::slots_among(app, query, members, now)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::Conflict(format!(
                "this form routes to event type {event_type}, which no longer exists"
            )),
            other => other,
        })
}

fn not_found(id: RoutingFormId) -> AppError {
    AppError::NotFound(format!("routing form {id} does not exist"))
}

async fn public(app: &App, id: RoutingFormId) -> Result<RoutingForm> {
    store::routing_forms::find_public(&app.db, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// Form `id`, if the caller may change it: its owner, an organization owner or admin,
/// or for a team's form the team's owners and admins. FORBIDDEN otherwise.
async fn managed(app: &App, caller: Caller, id: RoutingFormId) -> Result<RoutingForm> {
    let form = get(app, caller, id).await?;
    if form.owner == caller.user_id {
        return Ok(form);
    }
    let allowed = match form.team_id {
        Some(team) => super::teams::managed(app, caller, team).await.is_ok(),
        None => super::users::require_org_admin(app, caller).await.is_ok(),
    };
    if allowed {
        Ok(form)
    } else {
        Err(AppError::Forbidden(format!(
            "only the owner of routing form {id} and admins may change it"
        )))
    }
}

fn checked_name(name: Option<&str>) -> Result<String> {
    let name = name.unwrap_or_default().trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "is required"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(AppError::invalid(
            "name",
            format!("at most {MAX_NAME} characters"),
        ));
    }
    Ok(name.to_string())
}

/// The team a form is given to, checked: one the caller manages.
async fn team(app: &App, caller: Caller, team: Option<i64>) -> Result<Option<TeamId>> {
    let Some(team) = team else {
        return Ok(None);
    };
    match super::teams::managed(app, caller, TeamId(team)).await {
        Ok(team) => Ok(Some(team.id)),
        Err(AppError::NotFound(message)) => Err(AppError::invalid("teamId", message)),
        Err(other) => Err(other),
    }
}

/// The rules as sent, checked for shape and against the organization's event types.
async fn checked_rules(
    app: &App,
    caller: Caller,
    fields: Option<&Value>,
    routes: Option<&Value>,
    fallback: Option<&Value>,
) -> Result<FormRules> {
    let rules = routing_form::parse(fields, routes, fallback).map_err(AppError::Validation)?;
    let mut known = Vec::new();
    for id in rules.targets().filter_map(|(_, t)| t.event_type()) {
        if known.iter().any(|(k, _)| *k == id) {
            continue;
        }
        known.push((id, target_kind(app, caller, id).await?));
    }
    let issues = routing_form::check_targets(&rules, |id| {
        known
            .iter()
            .find(|(k, _)| *k == id)
            .and_then(|(_, kind)| kind.clone())
    });
    AppError::check(issues)?;
    Ok(rules)
}

/// What the organization knows of event type `id`; `None` when missing or deleted.
async fn target_kind(app: &App, caller: Caller, id: EventTypeId) -> Result<Option<TargetKind>> {
    let Some(event_type) = store::event_types::find(&app.db, caller.org_id, id).await? else {
        return Ok(None);
    };
    let setup = store::teams::setup(&app.db, id).await?;
    Ok(Some(match (event_type.team_id, setup) {
        (Some(team), Some(setup)) if setup.scheduling_type == SchedulingType::RoundRobin => {
            let members = store::teams::members(&app.db, team).await?;
            let hosts = super::team_event_types::hosts_now(&setup, &members);
            TargetKind::RoundRobin(hosts.iter().map(|h| h.user_id).collect())
        }
        _ => TargetKind::Plain,
    }))
}
