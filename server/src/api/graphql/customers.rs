//! Customers, stakeholders and the meetings linked to them: what a CSM's dashboard reads.

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject,
};
use chrono::Utc;

use super::error::{GqlError, GqlResult};
use super::loaders::{EngagementOf, HealthOf, Loaders, StakeholdersOf};
use super::page::{Page, page_complexity, page_request};
use super::recommendations::MeetingRecommendation;
use super::scalars::UtcTime;
use super::scheduling_links::{SchedulingLink, links_page};
use super::{app, caller, field_id, lookup_id, public_url, to_id};
use crate::api::ErrorCode;
use crate::app::customers::{self, CustomerQuery as AppCustomerQuery, Meeting as AppMeeting};
use crate::app::page::Page as AppPage;
use crate::app::{AppError, engagement, recommendations, scheduling_links};
use crate::domain::crm::assessment::Assessment;
use crate::domain::crm::engagement::Engagement as DomainEngagement;
use crate::domain::crm::health::{Band, Weights};
use crate::domain::crm::linking::Link;
use crate::domain::customer::{Customer as DomainCustomer, Stakeholder as DomainStakeholder};
use crate::domain::ids::{CustomerId, EventTypeId, StakeholderId, UserId};
use crate::domain::validate::FieldIssue;

/// A customer account.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Customer {
    /// The customer's id.
    pub id: ID,
    /// Display name.
    pub name: String,
    /// Email domains; bookings from them are linked to this customer.
    pub domains: Vec<String>,
    /// The owning CSM's user id.
    pub owner_id: Option<ID>,
    /// `enterprise`, `mid-market`, `smb` or `other`.
    pub tier: String,
    /// Annual recurring revenue in cents.
    pub arr_cents: i64,
    /// `onboarding`, `active`, `renewal` or `churned`.
    pub lifecycle_stage: String,
    /// When the contract renews, `YYYY-MM-DD`.
    pub renewal_date: Option<String>,
    /// When it was made.
    pub created_at: UtcTime,
    /// When it last changed.
    pub updated_at: UtcTime,
}

impl From<DomainCustomer> for Customer {
    fn from(c: DomainCustomer) -> Customer {
        Customer {
            id: to_id(c.id.0),
            name: c.name,
            domains: c.domains,
            owner_id: c.owner.map(|u| to_id(u.0)),
            tier: c.tier.as_str().to_string(),
            arr_cents: c.arr_cents,
            lifecycle_stage: c.lifecycle_stage.as_str().to_string(),
            renewal_date: c.renewal_date.map(|d| d.to_string()),
            created_at: UtcTime(c.created_at),
            updated_at: UtcTime(c.updated_at),
        }
    }
}

fn customer_id(c: &Customer) -> GqlResult<CustomerId> {
    Ok(CustomerId(lookup_id("customer", &c.id)?))
}

/// The request's loaders; only authenticated requests have them.
fn loader<'a>(ctx: &Context<'a>) -> GqlResult<&'a Loaders> {
    caller(ctx)?;
    ctx.data::<Loaders>().map_err(|_| GqlError::internal())
}

/// Loads what the selection asks of every customer on `page` in one batch per kind,
/// so each row's fields answer from the loaders' cache.
async fn prime(ctx: &Context<'_>, page: &AppPage<DomainCustomer>) -> GqlResult<()> {
    let items = ctx.look_ahead().field("items");
    let ids = || page.items.iter().map(|c| c.id);
    let loader = loader(ctx)?;
    if ["health", "lastMeeting", "nextMeeting"]
        .iter()
        .any(|f| items.field(f).exists())
    {
        loader.load_many(ids().map(HealthOf)).await?;
    }
    if items.field("stakeholders").exists() {
        loader.load_many(ids().map(StakeholdersOf)).await?;
    }
    Ok(())
}

/// What a customer list is ordered by; ties go by when the customer was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::app::customers::CustomerOrder")]
pub enum CustomerOrder {
    /// When the account was added.
    Created,
    /// The health score, least healthy first unless descending.
    Health,
    /// The last meeting, longest ago (or never) first unless descending.
    LastMeeting,
}

/// How a CSM's book of accounts is doing.
#[derive(Debug, Clone, SimpleObject)]
pub struct CsmEngagement {
    /// The CSM's user id.
    pub user_id: ID,
    /// Accounts they own.
    pub accounts: i32,
    /// Of those, how many are healthy.
    pub healthy: i32,
    /// Of those, how many are at risk.
    pub at_risk: i32,
    /// Of those, how many are critical.
    pub critical: i32,
    /// The mean health score of their accounts; null without accounts.
    pub average_score: Option<f64>,
    /// Their meetings with customers, hosted by them.
    pub engagement: Engagement,
}

impl From<engagement::CsmEngagement> for CsmEngagement {
    fn from(c: engagement::CsmEngagement) -> CsmEngagement {
        let band = |b: Band| count(c.bands.get(&b).copied().unwrap_or(0));
        CsmEngagement {
            user_id: to_id(c.user_id.0),
            accounts: count(c.accounts),
            healthy: band(Band::Healthy),
            at_risk: band(Band::AtRisk),
            critical: band(Band::Critical),
            average_score: c.average_score,
            engagement: c.engagement.into(),
        }
    }
}

/// Which meetings `Customer.meetings` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::app::customers::MeetingTime")]
pub enum MeetingTime {
    /// Accepted or pending and not yet over, soonest first.
    Upcoming,
    /// Over, cancellations included, latest first.
    Past,
    /// All, latest first.
    All,
}

#[ComplexObject]
impl Customer {
    /// The people at this customer.
    async fn stakeholders(&self, ctx: &Context<'_>) -> GqlResult<Vec<Stakeholder>> {
        let key = StakeholdersOf(customer_id(self)?);
        let all = loader(ctx)?.load_one(key).await?.unwrap_or_default();
        Ok(all.into_iter().map(Into::into).collect())
    }

    /// How engaged the account is and how healthy, with the components of the score.
    async fn health(&self, ctx: &Context<'_>) -> GqlResult<CustomerHealth> {
        Ok(self.assessment(ctx).await?.into())
    }

    /// Which of the caller's event types to offer this customer next, and why. Computed
    /// on request from the customer's meetings: ask for it on one customer, not a page.
    async fn recommended_event_type(&self, ctx: &Context<'_>) -> GqlResult<MeetingRecommendation> {
        let customer = customer_id(self)?;
        let found =
            recommendations::recommend_event_type(app(ctx)?, caller(ctx)?, customer, Utc::now());
        Ok(found.await?.into())
    }

    /// Scheduling links made for this customer, newest first.
    async fn scheduling_links(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<SchedulingLink>> {
        let customer = Some(customer_id(self)?);
        let request = page_request(cursor, limit);
        let page = scheduling_links::list(app(ctx)?, caller(ctx)?, customer, request).await?;
        Ok(links_page(page, &public_url(ctx)?))
    }

    /// The start of the last meeting held with this customer.
    async fn last_meeting(&self, ctx: &Context<'_>) -> GqlResult<Option<UtcTime>> {
        let a = self.assessment(ctx).await?;
        Ok(a.engagement.last_meeting.map(UtcTime))
    }

    /// The start of the next meeting booked with this customer.
    async fn next_meeting(&self, ctx: &Context<'_>) -> GqlResult<Option<UtcTime>> {
        let a = self.assessment(ctx).await?;
        Ok(a.engagement.next_meeting.map(UtcTime))
    }

    /// Meeting metrics over the last `windowDays` (default 90, the health score's).
    async fn engagement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The window in days, 1–730.", default = 90)] window_days: i32,
    ) -> GqlResult<Engagement> {
        let key = EngagementOf(customer_id(self)?, i64::from(window_days));
        let found = loader(ctx)?.load_one(key).await?;
        Ok(found.ok_or_else(|| not_found(&self.id))?.into())
    }

    /// Meetings linked to this customer, one page at a time.
    #[graphql(complexity = "page_complexity(limit, child_complexity)")]
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Upcoming, past or all (default).",
            default_with = "MeetingTime::All"
        )]
        when: MeetingTime,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<Meeting>> {
        let page = customers::meetings(
            app(ctx)?,
            caller(ctx)?,
            customer_id(self)?,
            when.into(),
            page_request(cursor, limit),
        );
        Ok(page.await?.into())
    }
}

impl Customer {
    async fn assessment(&self, ctx: &Context<'_>) -> GqlResult<Assessment> {
        let found = loader(ctx)?.load_one(HealthOf(customer_id(self)?)).await?;
        found.ok_or_else(|| not_found(&self.id))
    }
}

fn not_found(id: &ID) -> GqlError {
    GqlError::new(
        ErrorCode::NotFound,
        format!("customer `{}` does not exist", id.0),
    )
}

/// A customer's health: a 0–100 score from weighted components, so a CSM sees why.
#[derive(Debug, Clone, SimpleObject)]
pub struct CustomerHealth {
    /// 0–100.
    pub score: i32,
    /// `healthy` (70+), `at_risk` (40–69) or `critical`.
    pub band: String,
    /// `up`, `down` or `flat` against 30 days ago; null for a newer customer.
    pub trend: Option<String>,
    /// The score 30 days ago.
    pub previous_score: Option<i32>,
    /// What the score is made of.
    pub components: Vec<HealthComponent>,
    /// The meeting metrics behind it.
    pub engagement: Engagement,
}

/// One factor of a health score.
#[derive(Debug, Clone, SimpleObject)]
pub struct HealthComponent {
    /// `recency`, `frequency`, `cancellations`, `no_shows` or `coverage`.
    pub name: String,
    /// Its weight (0: shown, not counted).
    pub weight: i32,
    /// 0–100.
    pub score: i32,
    /// Where it came from, e.g. "last meeting 12 days ago".
    pub detail: String,
}

/// Meeting metrics of a customer (or a CSM); rates are 0–1 and null when nothing was
/// scheduled. Rates, categories, coverage and the mean gap are over `windowDays`.
#[derive(Debug, Clone, SimpleObject)]
pub struct Engagement {
    /// The window in days.
    pub window_days: i32,
    /// Meetings held in the window.
    pub meetings_in_window: i32,
    /// Meetings held in the last 30 days.
    #[graphql(name = "meetings30d")]
    pub meetings_30d: i32,
    /// Meetings held in the last 90 days.
    #[graphql(name = "meetings90d")]
    pub meetings_90d: i32,
    /// The last meeting held.
    pub last_meeting: Option<UtcTime>,
    /// The next meeting booked.
    pub next_meeting: Option<UtcTime>,
    /// Mean days between meetings held in the window.
    pub avg_days_between: Option<f64>,
    /// Cancellations by the customer ÷ meetings scheduled in the window.
    pub cancellation_rate: Option<f64>,
    /// No-shows ÷ (held + no-shows) in the window.
    pub no_show_rate: Option<f64>,
    /// Rescheduled ÷ meetings in the window.
    pub reschedule_rate: Option<f64>,
    /// Share of stakeholders met in the window.
    pub stakeholder_coverage: Option<f64>,
    /// Meetings held in the window by kind (`uncategorized` for the rest).
    pub by_category: Vec<CategoryCount>,
}

/// How many meetings of one kind.
#[derive(Debug, Clone, SimpleObject)]
pub struct CategoryCount {
    /// The kind.
    pub category: String,
    /// How many.
    pub count: i32,
}

impl From<Assessment> for CustomerHealth {
    fn from(a: Assessment) -> CustomerHealth {
        CustomerHealth {
            score: i32::from(a.health.score),
            band: a.health.band.as_str().to_string(),
            trend: a.trend.map(|t| t.as_str().to_string()),
            previous_score: a.previous_score.map(i32::from),
            components: a
                .health
                .components
                .into_iter()
                .map(|c| HealthComponent {
                    name: c.name,
                    weight: count(c.weight),
                    score: i32::from(c.score),
                    detail: c.detail,
                })
                .collect(),
            engagement: a.engagement.into(),
        }
    }
}

/// A count as GraphQL's 32-bit `Int`, saturating.
fn count(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

impl From<DomainEngagement> for Engagement {
    fn from(e: DomainEngagement) -> Engagement {
        Engagement {
            window_days: count(e.window_days),
            meetings_in_window: count(e.meetings_in_window),
            meetings_30d: count(e.meetings_30d),
            meetings_90d: count(e.meetings_90d),
            last_meeting: e.last_meeting.map(UtcTime),
            next_meeting: e.next_meeting.map(UtcTime),
            avg_days_between: e.avg_days_between,
            cancellation_rate: e.cancellation_rate,
            no_show_rate: e.no_show_rate,
            reschedule_rate: e.reschedule_rate,
            stakeholder_coverage: e.stakeholder_coverage,
            by_category: e
                .by_category
                .into_iter()
                .map(|(category, n)| CategoryCount {
                    category,
                    count: count(n),
                })
                .collect(),
        }
    }
}

/// How much each health component counts; relative (any positive total works), 0 shows
/// a component without counting it.
#[derive(Debug, Clone, SimpleObject, InputObject)]
#[graphql(input_name = "HealthWeightsInput")]
pub struct HealthWeights {
    /// Days since the last meeting.
    pub recency: i32,
    /// Meetings against the tier's target cadence.
    pub frequency: i32,
    /// Cancellations by the customer.
    pub cancellations: i32,
    /// No-shows.
    pub no_shows: i32,
    /// Share of stakeholders met.
    pub coverage: i32,
}

impl From<Weights> for HealthWeights {
    fn from(w: Weights) -> HealthWeights {
        let int = |w: u32| i32::try_from(w).unwrap_or(i32::MAX);
        HealthWeights {
            recency: int(w.recency),
            frequency: int(w.frequency),
            cancellations: int(w.cancellations),
            no_shows: int(w.no_shows),
            coverage: int(w.coverage),
        }
    }
}

impl HealthWeights {
    fn into_weights(self) -> Result<Weights, AppError> {
        let mut issues = Vec::new();
        let mut weight = |field: &str, value: i32| {
            u32::try_from(value).unwrap_or_else(|_| {
                issues.push(FieldIssue::new(field, "must not be negative"));
                0
            })
        };
        let weights = Weights {
            recency: weight("recency", self.recency),
            frequency: weight("frequency", self.frequency),
            cancellations: weight("cancellations", self.cancellations),
            no_shows: weight("noShows", self.no_shows),
            coverage: weight("coverage", self.coverage),
        };
        AppError::check(issues).map(|()| weights)
    }
}

/// A person at a customer.
#[derive(Debug, Clone, SimpleObject)]
pub struct Stakeholder {
    /// The stakeholder's id.
    pub id: ID,
    /// Their customer.
    pub customer_id: ID,
    /// Full name.
    pub name: String,
    /// Email address; bookings from it are linked to this person.
    pub email: String,
    /// Job title.
    pub title: Option<String>,
    /// `champion`, `decision_maker`, `executive`, `user` or `other`.
    pub role: String,
}

impl From<DomainStakeholder> for Stakeholder {
    fn from(s: DomainStakeholder) -> Stakeholder {
        Stakeholder {
            id: to_id(s.id.0),
            customer_id: to_id(s.customer_id.0),
            name: s.name,
            email: s.email,
            title: s.title,
            role: s.role.as_str().to_string(),
        }
    }
}

/// Why a meeting counts as one with the customer.
#[derive(Debug, Clone, SimpleObject)]
pub struct MeetingLink {
    /// The attendee that matched.
    pub attendee_email: String,
    /// The stakeholder they are, when matched by email.
    pub stakeholder_id: Option<ID>,
    /// `email`, `domain` or `manual`.
    pub matched_by: String,
}

impl From<Link> for MeetingLink {
    fn from(l: Link) -> MeetingLink {
        MeetingLink {
            attendee_email: l.attendee_email,
            stakeholder_id: l.stakeholder_id.map(|s| to_id(s.0)),
            matched_by: l.matched_by.as_str().to_string(),
        }
    }
}

/// A booking linked to a customer.
#[derive(Debug, Clone, SimpleObject)]
pub struct Meeting {
    /// The booking's uid.
    pub uid: String,
    /// Its title.
    pub title: String,
    /// `accepted`, `pending`, `cancelled` or `rejected`.
    pub status: String,
    /// When it starts.
    pub start_time: UtcTime,
    /// When it ends.
    pub end_time: UtcTime,
    /// The attendees' emails.
    pub attendee_emails: Vec<String>,
    /// `qbr`, `check-in`, `demo`, `onboarding` or `support`, from its event type.
    pub category: Option<String>,
    /// How it was linked to the customer.
    pub links: Vec<MeetingLink>,
}

impl From<AppMeeting> for Meeting {
    fn from(m: AppMeeting) -> Meeting {
        Meeting {
            uid: m.booking.uid,
            title: m.booking.title,
            status: m.booking.status.as_str().to_string(),
            start_time: UtcTime(m.booking.span.start),
            end_time: UtcTime(m.booking.span.end),
            attendee_emails: m.booking.attendees.into_iter().map(|a| a.email).collect(),
            category: m.category.map(|c| c.as_str().to_string()),
            links: m.links.into_iter().map(Into::into).collect(),
        }
    }
}

/// Queries about customers.
#[derive(Default)]
pub struct CustomerQuery;

#[Object]
impl CustomerQuery {
    /// One page of the organization's customers. Needs a key.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(limit, child_complexity)")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only accounts this CSM owns.")] owner_id: Option<ID>,
        #[graphql(desc = "Only this tier.")] tier: Option<String>,
        #[graphql(desc = "Name contains, or a domain starts with, this text.")] search: Option<
            String,
        >,
        #[graphql(desc = "Only this health band: `healthy`, `at_risk` or `critical`.")]
        band: Option<String>,
        #[graphql(
            desc = "The order (default: when added).",
            default_with = "CustomerOrder::Created"
        )]
        order_by: CustomerOrder,
        #[graphql(
            desc = "Largest first: healthiest, most recently met, newest.",
            default
        )]
        descending: bool,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<Customer>> {
        let query = AppCustomerQuery {
            owner_id: owner_id.map(|id| field_id("ownerId", &id)).transpose()?,
            tier,
            search,
            band,
            order: order_by.into(),
            descending,
        };
        let page = customers::list(app(ctx)?, caller(ctx)?, query, page_request(cursor, limit));
        let page = page.await?;
        prime(ctx, &page).await?;
        Ok(page.into())
    }

    /// The customers the caller owns, as a CSM's "my accounts", least healthy first.
    /// Needs a key.
    #[graphql(complexity = "page_complexity(limit, child_complexity)")]
    async fn my_accounts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this health band: `healthy`, `at_risk` or `critical`.")]
        band: Option<String>,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<Customer>> {
        let caller = caller(ctx)?;
        let query = AppCustomerQuery {
            owner_id: Some(caller.user_id.0),
            band,
            order: customers::CustomerOrder::Health,
            ..AppCustomerQuery::default()
        };
        let page = customers::list(app(ctx)?, caller, query, page_request(cursor, limit));
        let page = page.await?;
        prime(ctx, &page).await?;
        Ok(page.into())
    }

    /// How a CSM's accounts and meetings are doing (the caller's by default). Needs a key.
    async fn csm_engagement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The CSM's user id; the caller when absent.")] user_id: Option<ID>,
        #[graphql(desc = "The window in days, 1–730.", default = 90)] window_days: i32,
    ) -> GqlResult<CsmEngagement> {
        let user = user_id
            .map(|id| field_id("userId", &id).map(UserId))
            .transpose()?;
        let found = engagement::of_csm(
            app(ctx)?,
            caller(ctx)?,
            user,
            i64::from(window_days),
            Utc::now(),
        );
        Ok(found.await?.into())
    }

    /// Whether a booking by a new attendee at a customer's domain adds them as a
    /// stakeholder (off unless switched on). Needs a key.
    async fn auto_create_stakeholders(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(customers::auto_stakeholders(app(ctx)?, caller(ctx)?).await?)
    }

    /// The health-score weights of the caller's organization. Needs a key.
    async fn health_weights(&self, ctx: &Context<'_>) -> GqlResult<HealthWeights> {
        Ok(customers::health_weights(app(ctx)?, caller(ctx)?)
            .await?
            .into())
    }

    /// One customer of the caller's organization. Needs a key.
    async fn customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's id.")] id: ID,
    ) -> GqlResult<Customer> {
        let id = CustomerId(lookup_id("customer", &id)?);
        Ok(customers::get(app(ctx)?, caller(ctx)?, id).await?.into())
    }
}

/// A customer as sent; on update, absent fields stay.
#[derive(Debug, Clone, InputObject)]
pub struct CustomerInput {
    /// Display name (required on create).
    pub name: Option<String>,
    /// Email domains, e.g. `acme.com`; replaces the list.
    pub domains: Option<Vec<String>>,
    /// The owning CSM's user id; null removes the owner.
    pub owner_id: MaybeUndefined<ID>,
    /// `enterprise`, `mid-market`, `smb` or `other`.
    pub tier: Option<String>,
    /// Annual recurring revenue in cents.
    pub arr_cents: Option<i64>,
    /// `onboarding`, `active`, `renewal` or `churned`.
    pub lifecycle_stage: Option<String>,
    /// When the contract renews, `YYYY-MM-DD`; null forgets it.
    pub renewal_date: MaybeUndefined<String>,
}

impl CustomerInput {
    fn into_app(self) -> Result<customers::CustomerInput, AppError> {
        let owner_id = match self.owner_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(field_id("ownerId", &id)?)),
        };
        Ok(customers::CustomerInput {
            name: self.name,
            domains: self.domains,
            owner_id,
            tier: self.tier,
            arr_cents: self.arr_cents,
            lifecycle_stage: self.lifecycle_stage,
            renewal_date: self.renewal_date.into(),
        })
    }
}

/// A stakeholder as sent; on update, absent fields stay.
#[derive(Debug, Clone, InputObject)]
pub struct StakeholderInput {
    /// Full name (required on create).
    pub name: Option<String>,
    /// Email address (required on create).
    pub email: Option<String>,
    /// Job title; an empty string removes it.
    pub title: Option<String>,
    /// `champion`, `decision_maker`, `executive`, `user` or `other`.
    pub role: Option<String>,
}

impl From<StakeholderInput> for customers::StakeholderInput {
    fn from(s: StakeholderInput) -> customers::StakeholderInput {
        customers::StakeholderInput {
            name: s.name,
            email: s.email,
            title: s.title,
            role: s.role,
        }
    }
}

/// Changes to customers and stakeholders.
#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Creates a customer; bookings already made from its domains are linked to it.
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        input: CustomerInput,
    ) -> GqlResult<Customer> {
        let input = input.into_app()?;
        Ok(customers::create(app(ctx)?, caller(ctx)?, input)
            .await?
            .into())
    }

    /// Changes a customer; new domains relink the bookings they concern.
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's id.")] id: ID,
        input: CustomerInput,
    ) -> GqlResult<Customer> {
        let id = CustomerId(lookup_id("customer", &id)?);
        let input = input.into_app()?;
        Ok(customers::update(app(ctx)?, caller(ctx)?, id, input)
            .await?
            .into())
    }

    /// Deletes a customer with its stakeholders; the bookings stay. Returns its id.
    async fn delete_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's id.")] id: ID,
    ) -> GqlResult<ID> {
        let customer = CustomerId(lookup_id("customer", &id)?);
        customers::delete(app(ctx)?, caller(ctx)?, customer).await?;
        Ok(id)
    }

    /// Adds a stakeholder; their bookings are linked to them.
    async fn add_stakeholder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Their customer's id.")] customer_id: ID,
        input: StakeholderInput,
    ) -> GqlResult<Stakeholder> {
        let customer = CustomerId(lookup_id("customer", &customer_id)?);
        let added = customers::add_stakeholder(app(ctx)?, caller(ctx)?, customer, input.into());
        Ok(added.await?.into())
    }

    /// Changes a stakeholder.
    async fn update_stakeholder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stakeholder's id.")] id: ID,
        input: StakeholderInput,
    ) -> GqlResult<Stakeholder> {
        let id = StakeholderId(lookup_id("stakeholder", &id)?);
        let updated = customers::update_stakeholder(app(ctx)?, caller(ctx)?, id, input.into());
        Ok(updated.await?.into())
    }

    /// Links a booking's attendee to a customer by hand (a CSM's decision wins over the
    /// automatic match and survives every relink); returns the booking's links.
    async fn link_meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The booking's uid.")] booking_uid: String,
        #[graphql(desc = "The customer it was a meeting with.")] customer_id: ID,
        #[graphql(desc = "The stakeholder the attendee is, if known.")] stakeholder_id: Option<ID>,
        #[graphql(desc = "Which attendee; the invitee when absent.")] attendee_email: Option<
            String,
        >,
    ) -> GqlResult<Vec<MeetingLink>> {
        let customer = CustomerId(field_id("customerId", &customer_id)?);
        let stakeholder = stakeholder_id
            .map(|id| field_id("stakeholderId", &id).map(StakeholderId))
            .transpose()?;
        let links = customers::link_meeting(
            app(ctx)?,
            caller(ctx)?,
            &booking_uid,
            customer,
            stakeholder,
            attendee_email,
        )
        .await?;
        Ok(links.into_iter().map(Into::into).collect())
    }

    /// Sets which kind of customer meeting an event type is (null clears it); returns it.
    async fn set_meeting_category(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event type's id.")] event_type_id: ID,
        #[graphql(desc = "`qbr`, `check-in`, `demo`, `onboarding` or `support`.")] category: Option<
            String,
        >,
    ) -> GqlResult<Option<String>> {
        let event_type = EventTypeId(field_id("eventTypeId", &event_type_id)?);
        let set = customers::set_meeting_category(app(ctx)?, caller(ctx)?, event_type, category);
        Ok(set.await?.map(|c| c.as_str().to_string()))
    }

    /// Switches adding stakeholders for new attendees at customers' domains on or off,
    /// for bookings made from now on; returns the setting.
    async fn set_auto_create_stakeholders(&self, ctx: &Context<'_>, on: bool) -> GqlResult<bool> {
        Ok(customers::set_auto_stakeholders(app(ctx)?, caller(ctx)?, on).await?)
    }

    /// Sets the organization's health-score weights; every score uses them from now on.
    async fn set_health_weights(
        &self,
        ctx: &Context<'_>,
        input: HealthWeights,
    ) -> GqlResult<HealthWeights> {
        let weights = input.into_weights()?;
        let saved = customers::set_health_weights(app(ctx)?, caller(ctx)?, weights).await?;
        Ok(saved.into())
    }

    /// Removes a stakeholder; their meetings stay with the customer. Returns their id.
    async fn remove_stakeholder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stakeholder's id.")] id: ID,
    ) -> GqlResult<ID> {
        let stakeholder = StakeholderId(lookup_id("stakeholder", &id)?);
        customers::remove_stakeholder(app(ctx)?, caller(ctx)?, stakeholder).await?;
        Ok(id)
    }
}
