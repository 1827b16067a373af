//! Plugin packages (the components this server knows, by content hash) and each
//! organization's installations of them, with their settings and kv.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::codec::{from_json, from_ms, to_json, to_ms};
use super::db::begin_write;
use super::entities::{plugin_installations, plugin_kv, plugin_packages};
use super::{Db, Result, StoreError};
use crate::domain::ids::{OrgId, UserId};

/// A component this server can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub id: i64,
    pub plugin_id: String,
    pub version: String,
    /// Hex SHA-256 of the component's bytes.
    pub sha256: String,
    /// The checked manifest, as JSON (the plugin host's `Manifest`).
    pub manifest: String,
    pub created_at: DateTime<Utc>,
}

/// A package row without its bytes: id, plugin, version, hash, manifest, created.
type PackageRow = (i64, String, String, String, String, i64);

fn to_package(
    (id, plugin_id, version, sha256, manifest, created_ms): PackageRow,
) -> Result<Package> {
    Ok(Package {
        id,
        plugin_id,
        version,
        sha256,
        manifest,
        created_at: from_ms(created_ms)?,
    })
}

/// Packages without their bytes, for lookups and listings.
fn package_columns(
    filter: Option<sea_orm::sea_query::SimpleExpr>,
) -> sea_orm::Selector<sea_orm::SelectGetableTuple<PackageRow>> {
    use plugin_packages::Column as C;
    let mut query = plugin_packages::Entity::find();
    if let Some(filter) = filter {
        query = query.filter(filter);
    }
    query
        .select_only()
        .columns([
            C::Id,
            C::PluginId,
            C::Version,
            C::Sha256,
            C::Manifest,
            C::CreatedMs,
        ])
        .order_by_asc(C::PluginId)
        .order_by_asc(C::Id)
        .into_tuple()
}

/// Stores a component once: a second install of the same bytes returns the first.
pub async fn put_package(
    db: &impl ConnectionTrait,
    plugin_id: &str,
    version: &str,
    sha256: &str,
    manifest: &str,
    wasm: &[u8],
    now: DateTime<Utc>,
) -> Result<Package> {
    if let Some(existing) = package_by_sha256(db, sha256).await? {
        return Ok(existing);
    }
    let row = plugin_packages::ActiveModel {
        id: NotSet,
        plugin_id: Set(plugin_id.into()),
        version: Set(version.into()),
        sha256: Set(sha256.into()),
        manifest: Set(manifest.into()),
        wasm: Set(wasm.to_vec()),
        created_ms: Set(to_ms(now)),
    }
    .insert(db)
    .await?;
    Ok(Package {
        id: row.id,
        plugin_id: row.plugin_id,
        version: row.version,
        sha256: row.sha256,
        manifest: row.manifest,
        created_at: now,
    })
}

async fn package_by_sha256(db: &impl ConnectionTrait, sha256: &str) -> Result<Option<Package>> {
    package_columns(Some(plugin_packages::Column::Sha256.eq(sha256)))
        .one(db)
        .await?
        .map(to_package)
        .transpose()
}

/// One package (without its bytes).
pub async fn package(db: &impl ConnectionTrait, id: i64) -> Result<Option<Package>> {
    package_columns(Some(plugin_packages::Column::Id.eq(id)))
        .one(db)
        .await?
        .map(to_package)
        .transpose()
}

/// Every package, by plugin and then oldest first.
pub async fn packages(db: &impl ConnectionTrait) -> Result<Vec<Package>> {
    package_columns(None)
        .all(db)
        .await?
        .into_iter()
        .map(to_package)
        .collect()
}

/// A package's component bytes.
pub async fn package_wasm(db: &impl ConnectionTrait, id: i64) -> Result<Vec<u8>> {
    plugin_packages::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|m| m.wasm)
        .ok_or(StoreError::Corrupt {
            what: "plugin package",
            detail: format!("package {id} is gone"),
        })
}

/// One organization's use of a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    pub id: i64,
    pub org_id: OrgId,
    /// The user whose account it connects, when it is one person's.
    pub owner: Option<UserId>,
    pub plugin_id: String,
    pub package_id: i64,
    pub config: BTreeMap<String, String>,
    pub enabled: bool,
    /// Where the next pull continues; `None` starts from the beginning (a full sync).
    pub pull_cursor: Option<String>,
    /// When the next pull is due; `None` when the plugin does not pull.
    pub next_pull_at: Option<DateTime<Utc>>,
    /// What went wrong in the last pull, or in the last call its plugin misbehaved in.
    pub last_error: Option<String>,
    /// Calls in a row whose plugin misbehaved (crashed, ran too long, overran a cap).
    pub misbehaviour_streak: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn to_installation(m: plugin_installations::Model) -> Result<Installation> {
    Ok(Installation {
        id: m.id,
        org_id: OrgId(m.org_id),
        owner: m.owner_user_id.map(UserId),
        config: from_json("installation config", &m.config)?,
        created_at: from_ms(m.created_ms)?,
        updated_at: from_ms(m.updated_ms)?,
        plugin_id: m.plugin_id,
        package_id: m.package_id,
        enabled: m.enabled,
        pull_cursor: m.pull_cursor,
        next_pull_at: m.next_pull_ms.map(from_ms).transpose()?,
        last_error: m.last_error,
        misbehaviour_streak: u32::try_from(m.misbehaviour_streak).unwrap_or_default(),
    })
}

/// A new, enabled installation.
pub async fn insert_installation(
    db: &impl ConnectionTrait,
    org: OrgId,
    owner: Option<UserId>,
    package: &Package,
    config: &BTreeMap<String, String>,
    now: DateTime<Utc>,
) -> Result<Installation> {
    let row = plugin_installations::ActiveModel {
        id: NotSet,
        org_id: Set(org.0),
        owner_user_id: Set(owner.map(|u| u.0)),
        plugin_id: Set(package.plugin_id.clone()),
        package_id: Set(package.id),
        config: Set(to_json(config)),
        enabled: Set(true),
        pull_cursor: Set(None),
        next_pull_ms: Set(Some(to_ms(now))),
        pull_lease_ms: Set(None),
        last_error: Set(None),
        misbehaviour_streak: Set(0),
        created_ms: Set(to_ms(now)),
        updated_ms: Set(to_ms(now)),
    };
    to_installation(row.insert(db).await?)
}

/// One installation of `org` (`None` for any organization: the operator's CLI).
pub async fn installation(
    db: &impl ConnectionTrait,
    org: Option<OrgId>,
    id: i64,
) -> Result<Option<Installation>> {
    let mut query = plugin_installations::Entity::find_by_id(id);
    if let Some(org) = org {
        query = query.filter(plugin_installations::Column::OrgId.eq(org.0));
    }
    query.one(db).await?.map(to_installation).transpose()
}

/// The installations of `org` (every organization's for `None`), oldest first.
pub async fn installations(
    db: &impl ConnectionTrait,
    org: Option<OrgId>,
) -> Result<Vec<Installation>> {
    let mut query =
        plugin_installations::Entity::find().order_by_asc(plugin_installations::Column::Id);
    if let Some(org) = org {
        query = query.filter(plugin_installations::Column::OrgId.eq(org.0));
    }
    query
        .all(db)
        .await?
        .into_iter()
        .map(to_installation)
        .collect()
}

/// What an update to an installation changes.
#[derive(Debug, Clone, Default)]
pub struct InstallationChange {
    pub enabled: Option<bool>,
    pub package_id: Option<i64>,
    pub config: Option<BTreeMap<String, String>>,
}

/// Applies `change`; `false` when there is no such installation in `org`.
pub async fn update_installation(
    db: &impl ConnectionTrait,
    org: Option<OrgId>,
    id: i64,
    change: InstallationChange,
    now: DateTime<Utc>,
) -> Result<Option<Installation>> {
    let Some(found) = installation(db, org, id).await? else {
        return Ok(None);
    };
    let mut row = plugin_installations::ActiveModel {
        id: sea_orm::Unchanged(found.id),
        updated_ms: Set(to_ms(now)),
        ..Default::default()
    };
    if let Some(enabled) = change.enabled {
        row.enabled = Set(enabled);
    }
    if let Some(package_id) = change.package_id {
        row.package_id = Set(package_id);
    }
    if let Some(config) = &change.config {
        row.config = Set(to_json(config));
    }
    row.update(db).await?;
    installation(db, org, id).await
}

/// Counts one more call of installation `id` in a row whose plugin misbehaved, saying
/// `why`; the streak now.
pub async fn record_misbehaviour(
    db: &impl ConnectionTrait,
    id: i64,
    why: &str,
    now: DateTime<Utc>,
) -> Result<u32> {
    plugin_installations::Entity::update_many()
        .col_expr(
            plugin_installations::Column::MisbehaviourStreak,
            Expr::col(plugin_installations::Column::MisbehaviourStreak).add(1),
        )
        .col_expr(plugin_installations::Column::LastError, Expr::value(why))
        .col_expr(
            plugin_installations::Column::UpdatedMs,
            Expr::value(to_ms(now)),
        )
        .filter(plugin_installations::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(installation(db, None, id)
        .await?
        .map_or(0, |i| i.misbehaviour_streak))
}

/// Ends installation `id`'s streak of misbehaving calls (a call went well).
pub async fn clear_misbehaviour(db: &impl ConnectionTrait, id: i64) -> Result<()> {
    plugin_installations::Entity::update_many()
        .col_expr(
            plugin_installations::Column::MisbehaviourStreak,
            Expr::value(0),
        )
        .filter(plugin_installations::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Switches installation `id` off if it is on; whether it was.
pub async fn switch_off(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool> {
    let result = plugin_installations::Entity::update_many()
        .col_expr(plugin_installations::Column::Enabled, Expr::value(false))
        .col_expr(
            plugin_installations::Column::UpdatedMs,
            Expr::value(to_ms(now)),
        )
        .filter(plugin_installations::Column::Id.eq(id))
        .filter(plugin_installations::Column::Enabled.eq(true))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Takes up to `limit` enabled installations whose pull is due, leased until `lease_until`.
pub async fn lease_due_pulls(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    let due = plugin_installations::Entity::find()
        .filter(plugin_installations::Column::Enabled.eq(true))
        .filter(plugin_installations::Column::NextPullMs.lte(to_ms(now)));
    super::lease::take(
        db,
        due,
        plugin_installations::Column::Id,
        plugin_installations::Column::PullLeaseMs,
        (to_ms(now), to_ms(lease_until)),
        limit,
    )
    .await
}

/// Keeps where a pull got to: the cursor after a page whose changes are applied.
pub async fn set_pull_cursor(
    db: &impl ConnectionTrait,
    id: i64,
    cursor: Option<&str>,
) -> Result<()> {
    plugin_installations::Entity::update_many()
        .col_expr(
            plugin_installations::Column::PullCursor,
            Expr::value(cursor.map(str::to_string)),
        )
        .filter(plugin_installations::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends a pull run: the next is due at `next` (`None`: never), `error` is kept (or
/// cleared), and the lease is given back.
pub async fn finish_pull(
    db: &impl ConnectionTrait,
    id: i64,
    next: Option<DateTime<Utc>>,
    error: Option<&str>,
) -> Result<()> {
    plugin_installations::Entity::update_many()
        .col_expr(
            plugin_installations::Column::NextPullMs,
            Expr::value(next.map(to_ms)),
        )
        .col_expr(
            plugin_installations::Column::LastError,
            Expr::value(error.map(str::to_string)),
        )
        .col_expr(
            plugin_installations::Column::PullLeaseMs,
            Expr::value(Option::<i64>::None),
        )
        .filter(plugin_installations::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Starts a full sync of installation `id` of `org`: the cursor forgotten, a pull due
/// now. `false` when there is no such installation.
pub async fn request_resync(
    db: &impl ConnectionTrait,
    org: Option<OrgId>,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut update = plugin_installations::Entity::update_many()
        .col_expr(
            plugin_installations::Column::PullCursor,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            plugin_installations::Column::NextPullMs,
            Expr::value(to_ms(now)),
        )
        .filter(plugin_installations::Column::Id.eq(id));
    if let Some(org) = org {
        update = update.filter(plugin_installations::Column::OrgId.eq(org.0));
    }
    Ok(update.exec(db).await?.rows_affected > 0)
}

/// Makes `org`'s pulling installations of `plugin_id` due now: an account was just
/// connected, and its owner expects the sync to start rather than wait for the interval.
pub async fn pull_now(
    db: &impl ConnectionTrait,
    org: OrgId,
    plugin_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    plugin_installations::Entity::update_many()
        .col_expr(
            plugin_installations::Column::NextPullMs,
            Expr::value(to_ms(now)),
        )
        .filter(plugin_installations::Column::OrgId.eq(org.0))
        .filter(plugin_installations::Column::PluginId.eq(plugin_id))
        .filter(plugin_installations::Column::NextPullMs.is_not_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Removes an installation with its kv; `false` when there was none.
pub async fn delete_installation(db: &Db, org: Option<OrgId>, id: i64) -> Result<bool> {
    if installation(db, org, id).await?.is_none() {
        return Ok(false);
    }
    let txn = begin_write(db).await?;
    plugin_kv::Entity::delete_many()
        .filter(plugin_kv::Column::InstallationId.eq(id))
        .exec(&txn)
        .await?;
    plugin_installations::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// An installation's kv.
pub async fn kv(db: &impl ConnectionTrait, installation: i64) -> Result<BTreeMap<String, Vec<u8>>> {
    Ok(plugin_kv::Entity::find()
        .filter(plugin_kv::Column::InstallationId.eq(installation))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.key, m.value))
        .collect())
}

/// Writes back the keys a successful call wrote (a new value, or `None` for deleted),
/// leaving the others as they are now.
pub async fn write_kv(
    db: &impl ConnectionTrait,
    installation: i64,
    writes: &BTreeMap<String, Option<Vec<u8>>>,
) -> Result<()> {
    let (set, deleted): (Vec<_>, Vec<_>) = writes.iter().partition(|(_, value)| value.is_some());
    if !deleted.is_empty() {
        plugin_kv::Entity::delete_many()
            .filter(plugin_kv::Column::InstallationId.eq(installation))
            .filter(plugin_kv::Column::Key.is_in(deleted.into_iter().map(|(key, _)| key.clone())))
            .exec(db)
            .await?;
    }
    if !set.is_empty() {
        let rows = set.into_iter().map(|(key, value)| plugin_kv::ActiveModel {
            installation_id: Set(installation),
            key: Set(key.clone()),
            value: Set(value.clone().unwrap_or_default()),
        });
        plugin_kv::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([plugin_kv::Column::InstallationId, plugin_kv::Column::Key])
                    .update_column(plugin_kv::Column::Value)
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}
