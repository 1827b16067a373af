//! DataLoaders: a page of customers asks for each one's health, stakeholders and
//! engagement, and these batch the asks of one request into one use-case call per kind,
//! so a dashboard page costs a fixed number of queries however many rows it shows.
//!
//! A loader is made per request for its caller: what it loads depends on the caller's
//! organization, so nothing is shared (or cached) across requests. Within a request it
//! caches, so that a list can load its whole page in one batch up front ([`Loaders`]
//! primed by `customers`) and each row's fields answer from the cache: batching by the
//! loader's short timer alone splits a large page when resolving it takes longer.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use chrono::{DateTime, Utc};

use super::error::GqlError;
use crate::app::auth::Caller;
use crate::app::{App, customers, engagement};
use crate::domain::crm::assessment::Assessment;
use crate::domain::crm::engagement::Engagement;
use crate::domain::customer::Stakeholder;
use crate::domain::ids::CustomerId;

/// The request's loader: every key is read as of one "now" and one caller.
pub struct CustomerLoader {
    app: App,
    caller: Caller,
    now: DateTime<Utc>,
}

/// The loaders of one request, caching what they loaded until the request ends.
pub type Loaders = DataLoader<CustomerLoader, HashMapCache>;

/// The loaders for one request by `caller`.
pub fn for_request(app: App, caller: Caller) -> Loaders {
    let loader = CustomerLoader {
        app,
        caller,
        now: Utc::now(),
    };
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
}

/// Key: a customer's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HealthOf(pub CustomerId);

/// Key: a customer's stakeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StakeholdersOf(pub CustomerId);

/// Key: a customer's engagement over a window of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EngagementOf(pub CustomerId, pub i64);

impl Loader<HealthOf> for CustomerLoader {
    type Value = Assessment;
    type Error = GqlError;

    async fn load(&self, keys: &[HealthOf]) -> Result<HashMap<HealthOf, Assessment>, GqlError> {
        let ids: Vec<CustomerId> = keys.iter().map(|k| k.0).collect();
        let found = customers::health_of(&self.app, self.caller, &ids, self.now).await?;
        Ok(found.into_iter().map(|(id, a)| (HealthOf(id), a)).collect())
    }
}

impl Loader<StakeholdersOf> for CustomerLoader {
    type Value = Vec<Stakeholder>;
    type Error = GqlError;

    async fn load(
        &self,
        keys: &[StakeholdersOf],
    ) -> Result<HashMap<StakeholdersOf, Vec<Stakeholder>>, GqlError> {
        let ids: Vec<CustomerId> = keys.iter().map(|k| k.0).collect();
        let found = customers::stakeholders_of(&self.app, self.caller, &ids).await?;
        Ok(found
            .into_iter()
            .map(|(id, s)| (StakeholdersOf(id), s))
            .collect())
    }
}

impl Loader<EngagementOf> for CustomerLoader {
    type Value = Engagement;
    type Error = GqlError;

    async fn load(
        &self,
        keys: &[EngagementOf],
    ) -> Result<HashMap<EngagementOf, Engagement>, GqlError> {
        let mut by_window: HashMap<i64, Vec<CustomerId>> = HashMap::new();
        for key in keys {
            by_window.entry(key.1).or_default().push(key.0);
        }
        let mut out = HashMap::new();
        for (window, ids) in by_window {
            let found =
                engagement::of_customers(&self.app, self.caller, &ids, window, self.now).await?;
            out.extend(
                found
                    .into_iter()
                    .map(|(id, e)| (EngagementOf(id, window), e)),
            );
        }
        Ok(out)
    }
}
