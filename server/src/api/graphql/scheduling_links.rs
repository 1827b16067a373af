//! Scheduling links a CSM sends a customer (REST `/v2/scheduling-links`, same field
//! names). Opening and booking a link are the invitee's, over REST with the token.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::error::GqlResult;
use super::page::{Page, page_request};
use super::scalars::UtcTime;
use super::{app, caller, field_id, lookup_id, public_url, to_id};
use crate::api::public_url::PublicUrl;
use crate::app::scheduling_links::{self, SchedulingLinkInput as AppInput};
use crate::app::{AppError, page};
use crate::domain::crm::recommendation::Recommendation;
use crate::domain::ids::{CustomerId, SchedulingLinkId};
use crate::domain::scheduling_link::SchedulingLink as DomainLink;

/// A link to book one event type, for a customer or one of its stakeholders.
#[derive(Debug, Clone, SimpleObject)]
pub struct SchedulingLink {
    /// The link's id.
    pub id: ID,
    /// The page the invitee opens.
    pub url: String,
    /// The secret in the URL.
    pub token: String,
    /// What it books.
    pub event_type_id: ID,
    /// The customer the meeting is with.
    pub customer_id: Option<ID>,
    /// The stakeholder it was made for.
    pub stakeholder_id: Option<ID>,
    /// The invitee's name, filled in.
    pub prefill_name: Option<String>,
    /// The invitee's email, filled in.
    pub prefill_email: Option<String>,
    /// How many bookings it may make.
    pub max_uses: i32,
    /// How many it made.
    pub uses: i32,
    /// When it stops working.
    pub expires_at: UtcTime,
    /// When it was made.
    pub created_at: UtcTime,
    /// When the invitee first opened it.
    pub first_opened_at: Option<UtcTime>,
    /// When it was last opened.
    pub last_opened_at: Option<UtcTime>,
    /// How often it was opened.
    pub open_count: i32,
    /// When it last made a booking.
    pub used_at: Option<UtcTime>,
    /// When it was revoked.
    pub revoked_at: Option<UtcTime>,
    /// `active`, `used`, `expired` or `revoked`.
    pub status: String,
    /// Why its event type was chosen, when it was made without one for a customer:
    /// only in the answer that made it.
    pub recommendation: Option<LinkRecommendation>,
}

/// Why a link's event type was recommended.
#[derive(Debug, Clone, SimpleObject)]
pub struct LinkRecommendation {
    /// The kind of meeting that is due: `qbr`, `check-in`, `onboarding`, …
    pub category: String,
    /// Why, e.g. "last QBR was 132 days ago (every 90 days)".
    pub reason: String,
}

impl From<Recommendation> for LinkRecommendation {
    fn from(r: Recommendation) -> LinkRecommendation {
        LinkRecommendation {
            category: r.category.as_str().to_string(),
            reason: r.reason,
        }
    }
}

fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl SchedulingLink {
    /// The link as shown at `now`, its URL under `base`.
    pub fn new(l: DomainLink, base: &PublicUrl, now: DateTime<Utc>) -> SchedulingLink {
        SchedulingLink {
            id: to_id(l.id.0),
            url: base.scheduling_link(&l.token),
            status: l.status(now).as_str().to_string(),
            event_type_id: to_id(l.event_type_id.0),
            customer_id: l.customer_id.map(|c| to_id(c.0)),
            stakeholder_id: l.stakeholder_id.map(|s| to_id(s.0)),
            max_uses: int(l.max_uses),
            uses: int(l.uses),
            expires_at: UtcTime(l.expires_at),
            created_at: UtcTime(l.created_at),
            first_opened_at: l.first_opened_at.map(UtcTime),
            last_opened_at: l.last_opened_at.map(UtcTime),
            open_count: int(l.open_count),
            used_at: l.used_at.map(UtcTime),
            revoked_at: l.revoked_at.map(UtcTime),
            token: l.token,
            prefill_name: l.prefill_name,
            prefill_email: l.prefill_email,
            recommendation: None,
        }
    }
}

/// A page of links as shown now.
pub fn links_page(page: page::Page<DomainLink>, base: &PublicUrl) -> Page<SchedulingLink> {
    let now = Utc::now();
    page.map(|l| SchedulingLink::new(l, base, now)).into()
}

/// A new link. Problems are `VALIDATION_ERROR`s naming each field.
#[derive(Debug, Clone, InputObject)]
pub struct SchedulingLinkInput {
    /// One of the caller's event types; when absent, the one recommended for the
    /// customer (or the stakeholder's), and `recommendation` says why.
    pub event_type_id: Option<ID>,
    /// The customer the meeting is with (default: the stakeholder's).
    pub customer_id: Option<ID>,
    /// The stakeholder it is for: fills in name and email and implies their customer.
    pub stakeholder_id: Option<ID>,
    /// The invitee's name (default: the stakeholder's).
    pub name: Option<String>,
    /// The invitee's email (default: the stakeholder's).
    pub email: Option<String>,
    /// How many bookings it may make, 1–1000 (default 1).
    pub max_uses: Option<i32>,
    /// When it stops working, an ISO 8601 instant at most 90 days away (default: in 7 days).
    pub expires_at: Option<String>,
}

impl SchedulingLinkInput {
    fn into_app(self) -> Result<AppInput, AppError> {
        let id = |field: &str, id: Option<ID>| id.map(|id| field_id(field, &id)).transpose();
        Ok(AppInput {
            event_type_id: id("eventTypeId", self.event_type_id)?,
            customer_id: id("customerId", self.customer_id)?,
            stakeholder_id: id("stakeholderId", self.stakeholder_id)?,
            name: self.name,
            email: self.email,
            max_uses: self.max_uses.map(i64::from),
            expires_at: self.expires_at,
        })
    }
}

/// Queries about scheduling links.
#[derive(Default)]
pub struct SchedulingLinkQuery;

#[Object]
impl SchedulingLinkQuery {
    /// One page of the organization's scheduling links, newest first. Needs a key.
    async fn scheduling_links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only links for this customer.")] customer_id: Option<ID>,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<SchedulingLink>> {
        let customer = customer_id
            .map(|id| field_id("customerId", &id).map(CustomerId))
            .transpose()?;
        let page = scheduling_links::list(
            app(ctx)?,
            caller(ctx)?,
            customer,
            page_request(cursor, limit),
        )
        .await?;
        Ok(links_page(page, &public_url(ctx)?))
    }
}

/// Changes to scheduling links.
#[derive(Default)]
pub struct SchedulingLinkMutation;

#[Object]
impl SchedulingLinkMutation {
    /// Makes a link to one of the caller's event types, for a customer or a stakeholder;
    /// without an event type, the recommended one (a `VALIDATION_ERROR` on
    /// `eventTypeId` saying why when there is none).
    async fn create_scheduling_link(
        &self,
        ctx: &Context<'_>,
        input: SchedulingLinkInput,
    ) -> GqlResult<SchedulingLink> {
        let input = input.into_app()?;
        let created = scheduling_links::create(app(ctx)?, caller(ctx)?, input, Utc::now()).await?;
        let mut link = SchedulingLink::new(created.link, &public_url(ctx)?, Utc::now());
        link.recommendation = created.recommendation.map(Into::into);
        Ok(link)
    }

    /// Withdraws a link: from now on it answers `GONE`.
    async fn revoke_scheduling_link(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The link's id.")] id: ID,
    ) -> GqlResult<SchedulingLink> {
        let id = SchedulingLinkId(lookup_id("scheduling link", &id)?);
        let link = scheduling_links::revoke(app(ctx)?, caller(ctx)?, id, Utc::now()).await?;
        Ok(SchedulingLink::new(link, &public_url(ctx)?, Utc::now()))
    }
}
