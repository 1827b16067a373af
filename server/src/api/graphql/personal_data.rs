//! A stakeholder's personal data under the GDPR (REST `/v2/stakeholders/{id}/export`
//! and `/erase`): one JSON document, or an erasure that anonymizes their meetings.

use async_graphql::{Context, ID, Json, Object, SimpleObject};
use chrono::Utc;
use serde_json::Value;

use super::error::GqlResult;
use super::{app, caller, lookup_id, to_id};
use crate::app::personal_data::{self, Erasure};
use crate::domain::ids::StakeholderId;

/// What erasing a stakeholder changed.
#[derive(Debug, Clone, SimpleObject)]
pub struct StakeholderErasure {
    /// The stakeholder that was erased (no longer found).
    pub stakeholder_id: ID,
    /// The address that now stands for them in bookings and meeting links.
    pub pseudonym: String,
    /// Bookings anonymized.
    pub bookings: i32,
    /// Meeting links moved to the pseudonym or stripped of the stakeholder.
    pub meeting_links: i32,
    /// Scheduling links stripped of the stakeholder and the filled-in name and email.
    pub scheduling_links: i32,
    /// Webhook delivery bodies scrubbed.
    pub webhook_deliveries: i32,
    /// Outbox event payloads scrubbed.
    pub outbox_events: i32,
    /// Stored idempotent responses scrubbed.
    pub stored_responses: i32,
    /// Routing form responses scrubbed.
    pub form_responses: i32,
}

impl From<Erasure> for StakeholderErasure {
    fn from(e: Erasure) -> StakeholderErasure {
        let int = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
        StakeholderErasure {
            stakeholder_id: to_id(e.stakeholder_id.0),
            pseudonym: e.pseudonym,
            bookings: int(e.bookings),
            meeting_links: int(e.meeting_links),
            scheduling_links: int(e.scheduling_links),
            webhook_deliveries: int(e.webhook_deliveries),
            outbox_events: int(e.outbox_events),
            stored_responses: int(e.stored_responses),
            form_responses: int(e.form_responses),
        }
    }
}

/// Reading a stakeholder's personal data.
#[derive(Default)]
pub struct PersonalDataQuery;

#[Object]
impl PersonalDataQuery {
    /// Everything the organization holds about a stakeholder, as one JSON document
    /// (the same as REST's export). Needs a key.
    async fn export_stakeholder_data(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stakeholder's id.")] id: ID,
    ) -> GqlResult<Json<Value>> {
        let id = StakeholderId(lookup_id("stakeholder", &id)?);
        let document = personal_data::export(app(ctx)?, caller(ctx)?, id, Utc::now()).await?;
        Ok(Json(document))
    }
}

/// Erasing a stakeholder's personal data.
#[derive(Default)]
pub struct PersonalDataMutation;

#[Object]
impl PersonalDataMutation {
    /// Erases a stakeholder: the record goes, their bookings stay with an anonymized
    /// attendee, their meetings still count for the customer. Needs a key.
    async fn erase_stakeholder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stakeholder's id.")] id: ID,
    ) -> GqlResult<StakeholderErasure> {
        let id = StakeholderId(lookup_id("stakeholder", &id)?);
        let erasure = personal_data::erase(app(ctx)?, caller(ctx)?, id, Utc::now()).await?;
        Ok(erasure.into())
    }
}
