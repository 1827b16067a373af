//! Meeting-type recommendations: the organization's thresholds (read by anyone with a
//! key, set by its owners and admins) and the shape of `Customer.recommendedEventType`.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::error::GqlResult;
use super::event_types::EventType;
use super::{app, caller};
use crate::app::AppError;
use crate::app::recommendations::{self, EventTypeRecommendation};
use crate::domain::crm::recommendation::Thresholds;
use crate::domain::validate::FieldIssue;

/// Which event type to offer a customer next, and why.
#[derive(Debug, Clone, SimpleObject)]
pub struct MeetingRecommendation {
    /// The caller's event type to offer; null when nothing is due, the customer has
    /// churned, or the caller has no event type of the kind that is due.
    pub event_type: Option<EventType>,
    /// The kind of meeting that is due (`qbr`, `check-in`, `onboarding`); null with
    /// no event type.
    pub category: Option<String>,
    /// Why, e.g. "last QBR was 132 days ago (every 90 days)" or "nothing is due: …".
    pub reason: String,
}

impl From<EventTypeRecommendation> for MeetingRecommendation {
    fn from(r: EventTypeRecommendation) -> MeetingRecommendation {
        let (event_type, category) = match r.offer {
            Some(o) => (
                Some(o.event_type.into()),
                Some(o.category.as_str().to_string()),
            ),
            None => (None, None),
        };
        MeetingRecommendation {
            event_type,
            category,
            reason: r.reason,
        }
    }
}

/// When each kind of meeting is recommended, in days.
#[derive(Debug, Clone, SimpleObject, InputObject)]
#[graphql(input_name = "RecommendationThresholdsInput")]
pub struct RecommendationThresholds {
    /// A QBR is due when the last one was more than this many days ago (1–730).
    pub qbr_every_days: i32,
    /// A renewal this many days away or less calls for a QBR (0–730).
    pub renewal_within_days: i32,
    /// An account younger than this is new and gets onboarding first (0–730).
    pub new_account_days: i32,
}

impl From<Thresholds> for RecommendationThresholds {
    fn from(t: Thresholds) -> RecommendationThresholds {
        let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        RecommendationThresholds {
            qbr_every_days: int(t.qbr_every_days),
            renewal_within_days: int(t.renewal_within_days),
            new_account_days: int(t.new_account_days),
        }
    }
}

impl RecommendationThresholds {
    fn into_thresholds(self) -> Result<Thresholds, AppError> {
        let mut issues = Vec::new();
        let mut days = |field: &str, value: i32| {
            u32::try_from(value).unwrap_or_else(|_| {
                issues.push(FieldIssue::new(field, "must not be negative"));
                0
            })
        };
        let thresholds = Thresholds {
            qbr_every_days: days("qbrEveryDays", self.qbr_every_days),
            renewal_within_days: days("renewalWithinDays", self.renewal_within_days),
            new_account_days: days("newAccountDays", self.new_account_days),
        };
        AppError::check(issues).map(|()| thresholds)
    }
}

/// Queries about recommendations.
#[derive(Default)]
pub struct RecommendationQuery;

#[Object]
impl RecommendationQuery {
    /// The organization's meeting-recommendation thresholds. Needs a key.
    async fn recommendation_thresholds(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<RecommendationThresholds> {
        let found = recommendations::thresholds(app(ctx)?, caller(ctx)?).await?;
        Ok(found.into())
    }
}

/// Changes to recommendations.
#[derive(Default)]
pub struct RecommendationMutation;

#[Object]
impl RecommendationMutation {
    /// Sets the organization's meeting-recommendation thresholds; every recommendation
    /// uses them from now on. Owners and admins only.
    async fn set_recommendation_thresholds(
        &self,
        ctx: &Context<'_>,
        input: RecommendationThresholds,
    ) -> GqlResult<RecommendationThresholds> {
        let thresholds = input.into_thresholds()?;
        let saved = recommendations::set_thresholds(app(ctx)?, caller(ctx)?, thresholds).await?;
        Ok(saved.into())
    }
}
