//! Pull sync: each installation whose plugin pulls is asked, every `pull_interval`, for
//! what changed at the provider since its stored cursor, page by page, and the changes
//! are applied as a webhook's would be. The cursor is kept after each page whose
//! changes are applied, so a crash repeats at most one page (applying is idempotent).
//! A plugin whose cursor the provider no longer honours asks for a full resync, which
//! starts again from no cursor; an org admin can ask for one too.

use std::time::Duration;

use chrono::Utc;

use super::{App, AppError, Result, plugin_access, plugins, provider_changes};
use crate::domain::ids::OrgId;
use crate::plugins::{CallError, Capability, PluginFailure};
use crate::store::{self, plugins as repo};

/// Pages pulled in one run; a provider with more changes is pulled again at once.
const MAX_PAGES_PER_RUN: usize = 20;

/// What one pull run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullRun {
    /// Pages read.
    pub pages: usize,
    /// What each change led to, in words.
    pub applied: Vec<String>,
    /// Changes that could not be applied, with why.
    pub failed: Vec<String>,
    /// Whether the run started over from no cursor.
    pub resynced: bool,
    /// Why the run stopped early, when it did.
    pub error: Option<String>,
}

/// Leases up to `limit` installations due a pull for this process.
pub async fn lease_due(app: &App, lease: Duration, limit: u64) -> Result<Vec<i64>> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
    let txn = store::db::begin_write(&app.db).await?;
    let due = repo::lease_due_pulls(&txn, now, until, limit).await?;
    txn.commit().await.map_err(store::StoreError::from)?;
    Ok(due)
}

/// Pulls installation `id` now: pages until the provider has no more (or the run's
/// page budget is spent), then schedules the next run and gives back the lease.
pub async fn pull(app: &App, id: i64) -> Result<PullRun> {
    let installation = repo::installation(&app.db, None, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("plugin installation {id}")))?;
    let plugin = plugins::loaded(app, installation.package_id).await?;
    if !installation.enabled || !plugin.manifest.can(Capability::Pull) {
        repo::finish_pull(&app.db, id, None, None).await?;
        return Ok(PullRun::default());
    }
    let mut context = plugin_access::context(app, &installation, &plugin).await?;
    let host = app.plugins.host()?;
    let mut run = PullRun::default();
    let mut cursor = installation.pull_cursor.clone();
    let mut more = true;
    while more && run.pages < MAX_PAGES_PER_RUN {
        let call = host.pull(&plugin, context.clone(), cursor.clone());
        let read = match plugin_access::watched(app, &installation, call).await? {
            Ok(read) => read,
            Err(CallError::Plugin(PluginFailure::NeedsResync)) if !run.resynced => {
                tracing::info!(
                    installation = id,
                    "provider dropped the cursor; full resync"
                );
                run.resynced = true;
                cursor = None;
                continue;
            }
            Err(error) => {
                let next = Utc::now() + retry_after(app, &error);
                run.error = Some(error.to_string());
                repo::finish_pull(&app.db, id, Some(next), run.error.as_deref()).await?;
                tracing::warn!(installation = id, %error, "pull failed");
                return Ok(run);
            }
        };
        let page = read.value;
        run.pages += 1;
        let now = Utc::now();
        for change in &page.changes {
            match provider_changes::apply(app, installation.org_id, id, change, now, now).await {
                Ok(done) => run.applied.push(done),
                Err(error) => run.failed.push(error.to_string()),
            }
        }
        let txn = store::db::begin_write(&app.db).await?;
        repo::set_pull_cursor(&txn, id, page.next_cursor.as_deref()).await?;
        repo::write_kv(&txn, id, &read.kv.0).await?;
        read.kv.apply_to(&mut context.kv);
        txn.commit().await.map_err(store::StoreError::from)?;
        cursor = page.next_cursor;
        more = page.has_more;
    }
    let next = if more {
        Utc::now()
    } else {
        Utc::now() + interval(app.settings.pull_interval)
    };
    let error = (!run.failed.is_empty()).then(|| {
        format!(
            "{} changes not applied: {}",
            run.failed.len(),
            run.failed.join("; ")
        )
    });
    repo::finish_pull(&app.db, id, Some(next), error.as_deref()).await?;
    tracing::info!(
        installation = id,
        pages = run.pages,
        applied = run.applied.len(),
        failed = run.failed.len(),
        resynced = run.resynced,
        "pulled"
    );
    Ok(run)
}

/// Starts a full sync of installation `id` of `org`: its cursor forgotten, a pull due now.
pub async fn resync(app: &App, org: Option<OrgId>, id: i64) -> Result<()> {
    if repo::request_resync(&app.db, org, id, Utc::now()).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("plugin installation {id}")))
    }
}

fn interval(every: Duration) -> chrono::Duration {
    chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX)
}

/// When to try again after `error`: the provider's asked-for wait if longer than the
/// usual interval, else the usual interval.
fn retry_after(app: &App, error: &CallError) -> chrono::Duration {
    let asked = match error {
        CallError::Plugin(PluginFailure::RateLimited(seconds)) => {
            Duration::from_secs((*seconds).into())
        }
        _ => Duration::ZERO,
    };
    interval(app.settings.pull_interval.max(asked))
}
