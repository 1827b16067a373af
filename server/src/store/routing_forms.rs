//! Routing forms and their responses. A form's fields, routes and fallback are JSON
//! text, read and written whole.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};

use super::Result;
use super::codec::{from_json, from_ms, mentions, to_json, to_ms};
use super::entities::{routing_form_responses, routing_forms};
use super::keyset::{Keyset, newest_first};
use crate::domain::ids::{FormResponseId, OrgId, RoutingFormId, TeamId, UserId};
use crate::domain::routing_form::{FormResponse, FormRules, RoutingForm};

fn to_form(m: routing_forms::Model) -> Result<RoutingForm> {
    Ok(RoutingForm {
        id: RoutingFormId(m.id),
        org_id: OrgId(m.org_id),
        owner: UserId(m.owner_user_id),
        team_id: m.team_id.map(TeamId),
        name: m.name,
        description: m.description,
        rules: FormRules {
            fields: from_json("routing form fields", &m.fields)?,
            routes: from_json("routing form routes", &m.routes)?,
            fallback: from_json("routing form fallback", &m.fallback)?,
        },
        created_at: from_ms(m.created_ms)?,
        updated_at: from_ms(m.updated_ms)?,
    })
}

/// Saves a new form (its `id` is ignored) and answers it with its id.
pub async fn insert(db: &impl ConnectionTrait, form: &RoutingForm) -> Result<RoutingForm> {
    let model = routing_forms::ActiveModel {
        org_id: Set(form.org_id.0),
        owner_user_id: Set(form.owner.0),
        team_id: Set(form.team_id.map(|t| t.0)),
        name: Set(form.name.clone()),
        description: Set(form.description.clone()),
        fields: Set(to_json(&form.rules.fields)),
        routes: Set(to_json(&form.rules.routes)),
        fallback: Set(to_json(&form.rules.fallback)),
        created_ms: Set(to_ms(form.created_at)),
        updated_ms: Set(to_ms(form.updated_at)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    to_form(model)
}

/// Writes `form` over the stored one of its org (owner and creation time stay).
pub async fn update(db: &impl ConnectionTrait, form: &RoutingForm) -> Result<()> {
    routing_forms::ActiveModel {
        id: Set(form.id.0),
        team_id: Set(form.team_id.map(|t| t.0)),
        name: Set(form.name.clone()),
        description: Set(form.description.clone()),
        fields: Set(to_json(&form.rules.fields)),
        routes: Set(to_json(&form.rules.routes)),
        fallback: Set(to_json(&form.rules.fallback)),
        updated_ms: Set(to_ms(form.updated_at)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// The form `id` of `org`.
pub async fn find(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: RoutingFormId,
) -> Result<Option<RoutingForm>> {
    routing_forms::Entity::find_by_id(id.0)
        .filter(routing_forms::Column::OrgId.eq(org.0))
        .one(db)
        .await?
        .map(to_form)
        .transpose()
}

/// The form `id` in any organization: invitees open and submit forms by id alone.
pub async fn find_public(
    db: &impl ConnectionTrait,
    id: RoutingFormId,
) -> Result<Option<RoutingForm>> {
    routing_forms::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(to_form)
        .transpose()
}

/// A page of `org`'s forms, newest first; only `owner`'s when given.
pub async fn list(
    db: &impl ConnectionTrait,
    org: OrgId,
    owner: Option<UserId>,
    keyset: Keyset<i64>,
) -> Result<Vec<RoutingForm>> {
    let mut query = routing_forms::Entity::find().filter(routing_forms::Column::OrgId.eq(org.0));
    if let Some(owner) = owner {
        query = query.filter(routing_forms::Column::OwnerUserId.eq(owner.0));
    }
    newest_first(query, routing_forms::Column::Id, keyset)
        .all(db)
        .await?
        .into_iter()
        .map(to_form)
        .collect()
}

/// Deletes form `id` of `org` with its responses; whether it existed.
pub async fn delete(db: &impl ConnectionTrait, org: OrgId, id: RoutingFormId) -> Result<bool> {
    routing_form_responses::Entity::delete_many()
        .filter(routing_form_responses::Column::FormId.eq(id.0))
        .filter(routing_form_responses::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    let deleted = routing_forms::Entity::delete_many()
        .filter(routing_forms::Column::Id.eq(id.0))
        .filter(routing_forms::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

fn to_response(m: routing_form_responses::Model) -> Result<FormResponse> {
    Ok(FormResponse {
        id: FormResponseId(m.id),
        form_id: RoutingFormId(m.form_id),
        answers: from_json("routing form answers", &m.answers)?,
        route: m.route_index.and_then(|i| usize::try_from(i).ok()),
        target: from_json("routing form target", &m.target)?,
        created_at: from_ms(m.created_ms)?,
    })
}

/// Keeps a submission of `form` (the response's `id` is ignored).
pub async fn insert_response(
    db: &impl ConnectionTrait,
    form: &RoutingForm,
    response: &FormResponse,
) -> Result<FormResponse> {
    let model = routing_form_responses::ActiveModel {
        org_id: Set(form.org_id.0),
        form_id: Set(form.id.0),
        answers: Set(to_json(&response.answers)),
        route_index: Set(response.route.and_then(|i| i32::try_from(i).ok())),
        target: Set(to_json(&response.target)),
        created_ms: Set(to_ms(response.created_at)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    to_response(model)
}

/// A page of form `id`'s responses in `org`, newest first.
pub async fn responses(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: RoutingFormId,
    keyset: Keyset<i64>,
) -> Result<Vec<FormResponse>> {
    let query = routing_form_responses::Entity::find()
        .filter(routing_form_responses::Column::OrgId.eq(org.0))
        .filter(routing_form_responses::Column::FormId.eq(id.0));
    newest_first(query, routing_form_responses::Column::Id, keyset)
        .all(db)
        .await?
        .into_iter()
        .map(to_response)
        .collect()
}

/// The responses of `org` whose answers mention `text` (an address being erased or
/// exported), oldest first.
pub async fn responses_mentioning(
    db: &impl ConnectionTrait,
    org: OrgId,
    text: &str,
) -> Result<Vec<FormResponse>> {
    routing_form_responses::Entity::find()
        .filter(routing_form_responses::Column::OrgId.eq(org.0))
        .filter(mentions(routing_form_responses::Column::Answers, text))
        .order_by_asc(routing_form_responses::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_response)
        .collect()
}

/// Replaces the answers of response `id` of `org` (JSON text, already scrubbed).
pub async fn set_answers(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: FormResponseId,
    answers: &str,
) -> Result<()> {
    routing_form_responses::Entity::update_many()
        .col_expr(
            routing_form_responses::Column::Answers,
            Expr::value(answers),
        )
        .filter(routing_form_responses::Column::Id.eq(id.0))
        .filter(routing_form_responses::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(())
}
