//! Customers and their stakeholders: the accounts a CSM looks after, as plain values.

use chrono::{DateTime, NaiveDate, Utc};

use super::crm::health::Tier;
use super::ids::{CustomerId, OrgId, StakeholderId, UserId};

/// Where an account is in its life with us; CSMs filter and plan by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifecycleStage {
    /// Signed, not yet live.
    Onboarding,
    /// Live and using the product.
    Active,
    /// Renewal is being negotiated.
    Renewal,
    /// Has left.
    Churned,
}

impl LifecycleStage {
    /// Every stage, for error messages.
    pub const ALL: [LifecycleStage; 4] = [
        LifecycleStage::Onboarding,
        LifecycleStage::Active,
        LifecycleStage::Renewal,
        LifecycleStage::Churned,
    ];

    /// The word used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStage::Onboarding => "onboarding",
            LifecycleStage::Active => "active",
            LifecycleStage::Renewal => "renewal",
            LifecycleStage::Churned => "churned",
        }
    }

    /// The stage named `s`.
    pub fn parse(s: &str) -> Option<LifecycleStage> {
        Self::ALL.into_iter().find(|stage| stage.as_str() == s)
    }
}

/// What a stakeholder is to the account, which tells a CSM whom to keep close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StakeholderRole {
    /// Argues for us inside the account.
    Champion,
    /// Signs the renewal.
    DecisionMaker,
    /// Senior sponsor.
    Executive,
    /// Uses the product day to day.
    User,
    /// Anyone else.
    Other,
}

impl StakeholderRole {
    /// Every role, for error messages.
    pub const ALL: [StakeholderRole; 5] = [
        StakeholderRole::Champion,
        StakeholderRole::DecisionMaker,
        StakeholderRole::Executive,
        StakeholderRole::User,
        StakeholderRole::Other,
    ];

    /// The word used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            StakeholderRole::Champion => "champion",
            StakeholderRole::DecisionMaker => "decision_maker",
            StakeholderRole::Executive => "executive",
            StakeholderRole::User => "user",
            StakeholderRole::Other => "other",
        }
    }

    /// The role named `s`.
    pub fn parse(s: &str) -> Option<StakeholderRole> {
        Self::ALL.into_iter().find(|role| role.as_str() == s)
    }
}

/// The kind of a customer meeting, set per event type; engagement counts meetings by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingCategory {
    /// Quarterly business review.
    Qbr,
    /// A regular check-in.
    CheckIn,
    /// A product demo.
    Demo,
    /// Getting the customer live.
    Onboarding,
    /// Solving a problem.
    Support,
}

impl MeetingCategory {
    /// Every category, for error messages.
    pub const ALL: [MeetingCategory; 5] = [
        MeetingCategory::Qbr,
        MeetingCategory::CheckIn,
        MeetingCategory::Demo,
        MeetingCategory::Onboarding,
        MeetingCategory::Support,
    ];

    /// The word used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingCategory::Qbr => "qbr",
            MeetingCategory::CheckIn => "check-in",
            MeetingCategory::Demo => "demo",
            MeetingCategory::Onboarding => "onboarding",
            MeetingCategory::Support => "support",
        }
    }

    /// The category named `s`.
    pub fn parse(s: &str) -> Option<MeetingCategory> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A customer account.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// Row id.
    pub id: CustomerId,
    /// The tenant.
    pub org_id: OrgId,
    /// Display name.
    pub name: String,
    /// Email domains of the account's people (normalized, lower case); bookings from
    /// these domains are linked to the account.
    pub domains: Vec<String>,
    /// The CSM who owns the account.
    pub owner: Option<UserId>,
    /// Segment, which sets the expected meeting cadence.
    pub tier: Tier,
    /// Annual recurring revenue in cents (whole currency units lose nothing this way).
    pub arr_cents: i64,
    /// Where the account is in its life.
    pub lifecycle_stage: LifecycleStage,
    /// When its contract renews, if known: meetings are planned toward it.
    pub renewal_date: Option<NaiveDate>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A person at a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stakeholder {
    /// Row id.
    pub id: StakeholderId,
    /// The tenant.
    pub org_id: OrgId,
    /// Their account.
    pub customer_id: CustomerId,
    /// Full name.
    pub name: String,
    /// Email address (lower case); bookings from it are linked to this person.
    pub email: String,
    /// Job title.
    pub title: Option<String>,
    /// What they are to the account.
    pub role: StakeholderRole,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for stage in LifecycleStage::ALL {
            assert_eq!(LifecycleStage::parse(stage.as_str()), Some(stage));
        }
        for category in MeetingCategory::ALL {
            assert_eq!(MeetingCategory::parse(category.as_str()), Some(category));
        }
        for role in StakeholderRole::ALL {
            assert_eq!(StakeholderRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(StakeholderRole::parse("Champion"), None, "exact words only");
        assert_eq!(LifecycleStage::parse(""), None);
    }
}
