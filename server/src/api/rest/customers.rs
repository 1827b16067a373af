//! `/v2/customers`: the customer-success data for integrators (a CRM sync, a BI
//! export), read-only. A CSM edits through GraphQL; these answer the same use cases in
//! REST's shapes, filtered and paged like every list.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::{Router, routing::get};
use chrono::Utc;
use serde_json::{Value, json};

use super::event_types::event_type_json;
use super::extract::{Auth, Params, path_id};
use super::ok;
use super::page::{page_request, page_response};
use crate::api::format::utc;
use crate::api::{ApiError, ErrorCode};
use crate::app::customers::{self, CustomerOrder, CustomerQuery, Meeting, MeetingTime};
use crate::app::{App, recommendations};
use crate::domain::crm::assessment::Assessment;
use crate::domain::crm::engagement::Engagement;
use crate::domain::customer::{Customer, Stakeholder};
use crate::domain::ids::CustomerId;

pub fn router() -> Router<App> {
    Router::new()
        .route("/customers", get(list))
        .route("/customers/{id}", get(show))
        .route("/customers/{id}/meetings", get(meetings))
        .route(
            "/customers/{id}/recommended-event-type",
            get(recommended_event_type),
        )
}

/// A customer, with its health in brief when known.
fn customer_json(c: &Customer, health: Option<&Assessment>) -> Value {
    json!({
        "id": c.id.0,
        "name": c.name,
        "domains": c.domains,
        "ownerId": c.owner.map(|u| u.0),
        "tier": c.tier.as_str(),
        "arrCents": c.arr_cents,
        "lifecycleStage": c.lifecycle_stage.as_str(),
        "renewalDate": c.renewal_date.map(|d| d.to_string()),
        "createdAt": utc(c.created_at),
        "updatedAt": utc(c.updated_at),
        "health": health.map(|a| json!({
            "score": a.health.score,
            "band": a.health.band.as_str(),
            "trend": a.trend.map(|t| t.as_str()),
            "previousScore": a.previous_score,
        })),
        "lastMeeting": health.and_then(|a| a.engagement.last_meeting).map(utc),
        "nextMeeting": health.and_then(|a| a.engagement.next_meeting).map(utc),
    })
}

fn engagement_json(e: &Engagement) -> Value {
    json!({
        "windowDays": e.window_days,
        "meetingsInWindow": e.meetings_in_window,
        "meetings30d": e.meetings_30d,
        "meetings90d": e.meetings_90d,
        "lastMeeting": e.last_meeting.map(utc),
        "nextMeeting": e.next_meeting.map(utc),
        "avgDaysBetween": e.avg_days_between,
        "cancellationRate": e.cancellation_rate,
        "noShowRate": e.no_show_rate,
        "rescheduleRate": e.reschedule_rate,
        "stakeholderCoverage": e.stakeholder_coverage,
        "byCategory": e.by_category,
    })
}

fn stakeholder_json(s: &Stakeholder) -> Value {
    json!({
        "id": s.id.0,
        "name": s.name,
        "email": s.email,
        "title": s.title,
        "role": s.role.as_str(),
    })
}

fn meeting_json(m: &Meeting) -> Value {
    let b = &m.booking;
    json!({
        "uid": b.uid,
        "title": b.title,
        "status": b.status.as_str(),
        "start": utc(b.span.start),
        "end": utc(b.span.end),
        "attendees": b.attendees.iter().map(|a| json!({
            "name": a.name, "email": a.email, "absent": a.absent,
        })).collect::<Vec<_>>(),
        "category": m.category.map(|c| c.as_str()),
        "links": m.links.iter().map(|l| json!({
            "attendeeEmail": l.attendee_email,
            "stakeholderId": l.stakeholder_id.map(|s| s.0),
            "matchedBy": l.matched_by.as_str(),
        })).collect::<Vec<_>>(),
    })
}

/// A query parameter that must be one of `allowed` (as sent, case-sensitive).
fn one_of<T: Copy>(
    params: &Params,
    name: &str,
    allowed: &[(&str, T)],
    default: T,
) -> Result<T, ApiError> {
    let Some(sent) = params.get(name) else {
        return Ok(default);
    };
    allowed
        .iter()
        .find(|(word, _)| *word == sent)
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let words: Vec<&str> = allowed.iter().map(|(w, _)| *w).collect();
            ApiError::field(
                ErrorCode::ValidationError,
                name,
                format!("`{sent}` is not one of {}", words.join(", ")),
            )
        })
}

/// Both values, or one error naming every bad parameter.
fn both<A, B>(a: Result<A, ApiError>, b: Result<B, ApiError>) -> Result<(A, B), ApiError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(mut a), Err(b)) => {
            a.details.extend(b.details);
            Err(a)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// `GET /v2/customers?ownerId&tier&search&band&orderBy=created|health|lastMeeting&descending=true`.
async fn list(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
) -> Result<Response, ApiError> {
    let order = one_of(
        &params,
        "orderBy",
        &[
            ("created", CustomerOrder::Created),
            ("health", CustomerOrder::Health),
            ("lastMeeting", CustomerOrder::LastMeeting),
        ],
        CustomerOrder::Created,
    );
    let descending = one_of(
        &params,
        "descending",
        &[("true", true), ("false", false)],
        false,
    );
    let (order, descending) = both(order, descending)?;
    let query = CustomerQuery {
        owner_id: params.int("ownerId")?,
        tier: params.get("tier"),
        search: params.get("search"),
        band: params.get("band"),
        order,
        descending,
    };
    let page = customers::list(&app, caller, query, page_request(&params)?).await?;
    let ids: Vec<CustomerId> = page.items.iter().map(|c| c.id).collect();
    let health = customers::health_of(&app, caller, &ids, Utc::now()).await?;
    Ok(page_response(&page, |c| {
        customer_json(c, health.get(&c.id))
    }))
}

/// `GET /v2/customers/{id}`: the customer with its health explained and its people.
async fn show(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = CustomerId(path_id("customer", &id)?);
    let customer = customers::get(&app, caller, id).await?;
    let health = customers::health(&app, caller, id, Utc::now()).await?;
    let people = customers::stakeholders(&app, caller, id).await?;
    let mut body = customer_json(&customer, Some(&health));
    body["health"]["components"] = health
        .health
        .components
        .iter()
        .map(|c| json!({"name": c.name, "weight": c.weight, "score": c.score, "detail": c.detail}))
        .collect();
    body["engagement"] = engagement_json(&health.engagement);
    body["stakeholders"] = people.iter().map(stakeholder_json).collect();
    Ok(ok(body))
}

/// `GET /v2/customers/{id}/recommended-event-type`: which of the caller's event types
/// to offer next, `{eventType, category, reason}` (the first two null when nothing is
/// recommended, the reason saying why).
async fn recommended_event_type(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = CustomerId(path_id("customer", &id)?);
    let advice = recommendations::recommend_event_type(&app, caller, id, Utc::now()).await?;
    let offer = advice.offer.as_ref();
    Ok(ok(json!({
        "eventType": offer.map(|o| event_type_json(&o.event_type)),
        "category": offer.map(|o| o.category.as_str()),
        "reason": advice.reason,
    })))
}

/// `GET /v2/customers/{id}/meetings?when=upcoming|past|all`.
async fn meetings(
    State(app): State<App>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let id = CustomerId(path_id("customer", &id)?);
    let when = one_of(
        &params,
        "when",
        &[
            ("upcoming", MeetingTime::Upcoming),
            ("past", MeetingTime::Past),
            ("all", MeetingTime::All),
        ],
        MeetingTime::All,
    )?;
    let page = customers::meetings(&app, caller, id, when, page_request(&params)?).await?;
    Ok(page_response(&page, meeting_json))
}
