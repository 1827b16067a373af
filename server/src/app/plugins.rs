//! Plugins as an organization sees them: the packages this server can run, and the
//! organization's installations of them (settings, on or off, upgrades that keep
//! settings and kv). Loaded components are kept per process, keyed by package.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use chrono::Utc;

use super::auth::Caller;
use super::{App, AppError, Result, users};
use crate::domain::ids::{OrgId, UserId};
use crate::domain::validate::FieldIssue;
use crate::plugins::manifest::{BASE_URL_SETTING, OAUTH_BASE_URL_SETTING, parse_version};
use crate::plugins::{HostSettings, LoadError, Manifest, Plugin, PluginHost};
use crate::store::plugins::{self as repo, Installation, InstallationChange, Package};

/// This process's plugin host, made on first use (most requests never need it), and
/// the components it has loaded.
pub struct Runtime {
    settings: HostSettings,
    host: OnceLock<Result<PluginHost, String>>,
    loaded: Mutex<HashMap<i64, Plugin>>,
}

impl Runtime {
    pub fn new(settings: HostSettings) -> Runtime {
        Runtime {
            settings,
            host: OnceLock::new(),
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// The host; an engine that cannot start is an operator problem, reported as such.
    pub fn host(&self) -> Result<&PluginHost> {
        self.host
            .get_or_init(|| PluginHost::new(&self.settings).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| AppError::Unavailable(format!("the plugin host cannot start: {e}")))
    }
}

/// A package as listed: what it is, not its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageView {
    pub package: Package,
    pub manifest: Manifest,
}

/// An installation as listed, its secret settings hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallationView {
    pub installation: Installation,
    pub manifest: Manifest,
    pub version: String,
}

/// What a secret setting shows as.
pub const HIDDEN: &str = "********";

/// The purpose label bound into sealed secret settings.
const SECRET_SETTING: &str = "plugin.config";

/// `config` as stored: the settings `manifest` marks secret sealed with the server's key.
fn sealed(
    app: &App,
    manifest: &Manifest,
    mut config: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    for field in manifest.config.iter().filter(|f| f.secret) {
        if let Some(value) = config.get_mut(&field.key) {
            *value = app.settings.secret_key.seal(SECRET_SETTING, value);
        }
    }
    config
}

/// An installation's settings in the clear, as its plugin reads them.
pub fn opened(
    app: &App,
    manifest: &Manifest,
    installation: &Installation,
) -> Result<BTreeMap<String, String>> {
    let mut config = installation.config.clone();
    for field in manifest.config.iter().filter(|f| f.secret) {
        if let Some(value) = config.get_mut(&field.key) {
            *value = app
                .settings
                .secret_key
                .open(SECRET_SETTING, value)
                .map_err(|e| {
                    AppError::Internal(crate::store::StoreError::Corrupt {
                        what: "secret plugin setting",
                        detail: format!("{}: {e}", field.key),
                    })
                })?;
        }
    }
    Ok(config)
}

pub(super) fn manifest_of(package: &Package) -> Result<Manifest> {
    serde_json::from_str(&package.manifest).map_err(|e| {
        AppError::Internal(crate::store::StoreError::Corrupt {
            what: "plugin manifest",
            detail: e.to_string(),
        })
    })
}

fn view(installation: Installation, package: &Package) -> Result<InstallationView> {
    let manifest = manifest_of(package)?;
    let mut installation = installation;
    for field in manifest.config.iter().filter(|f| f.secret) {
        if let Some(value) = installation.config.get_mut(&field.key) {
            *value = HIDDEN.into();
        }
    }
    Ok(InstallationView {
        installation,
        version: package.version.clone(),
        manifest,
    })
}

/// The organization whose plugins `caller` manages: their own, if they are one of its
/// owners or admins (plugins act for the whole organization).
pub async fn managed_org(app: &App, caller: Caller) -> Result<OrgId> {
    users::require_org_admin(app, caller).await?;
    Ok(caller.org_id)
}

/// Checks and stores a component; the same bytes twice are one package.
pub async fn add_package(app: &App, wasm: Vec<u8>) -> Result<PackageView> {
    let host = app.plugins.host()?;
    let plugin = host.load(wasm.clone()).await.map_err(|e| match e {
        LoadError::Incompatible(m) => AppError::invalid("wasm", m),
        other => AppError::invalid("wasm", other.to_string()),
    })?;
    let manifest = plugin.manifest.clone();
    let package = repo::put_package(
        &app.db,
        &manifest.id,
        &manifest.version,
        &plugin.sha256,
        &serde_json::to_string(&manifest).expect("a manifest serializes"),
        &wasm,
        Utc::now(),
    )
    .await?;
    app.plugins
        .loaded
        .lock()
        .expect("loaded plugins lock")
        .insert(package.id, plugin);
    tracing::info!(plugin = %manifest.id, version = %manifest.version, sha256 = %package.sha256, "plugin package stored");
    Ok(PackageView { package, manifest })
}

/// Every package this server has.
pub async fn packages(app: &App) -> Result<Vec<PackageView>> {
    repo::packages(&app.db)
        .await?
        .into_iter()
        .map(|package| {
            Ok(PackageView {
                manifest: manifest_of(&package)?,
                package,
            })
        })
        .collect()
}

/// The newest package of `plugin_id` by version.
async fn newest_package(app: &App, plugin_id: &str) -> Result<Package> {
    repo::packages(&app.db)
        .await?
        .into_iter()
        .filter(|p| p.plugin_id == plugin_id)
        .max_by_key(|p| (parse_version(&p.version), p.id))
        .ok_or_else(|| AppError::NotFound(format!("no package of plugin `{plugin_id}`")))
}

/// Checks an installation's settings against the manifest: required ones present,
/// no unknown keys, a base URL that parses. A secret left as [`HIDDEN`] keeps its value.
fn check_config(
    manifest: &Manifest,
    config: &mut BTreeMap<String, String>,
    previous: Option<&BTreeMap<String, String>>,
) -> Result<()> {
    if let Some(previous) = previous {
        for (key, value) in config.iter_mut() {
            if value == HIDDEN
                && let Some(kept) = previous.get(key)
            {
                *value = kept.clone();
            }
        }
    }
    let mut issues = Vec::new();
    for key in config.keys() {
        if !manifest.config.iter().any(|f| &f.key == key) {
            issues.push(FieldIssue::new(
                format!("config.{key}"),
                format!("`{}` has no setting `{key}`", manifest.id),
            ));
        }
    }
    for key in manifest.missing_settings(config) {
        issues.push(FieldIssue::new(
            format!("config.{key}"),
            "this setting is required",
        ));
    }
    for key in [BASE_URL_SETTING, OAUTH_BASE_URL_SETTING] {
        if let Some(base) = config.get(key)
            && !(base.starts_with("https://") || base.starts_with("http://"))
        {
            issues.push(FieldIssue::new(
                format!("config.{key}"),
                "must be an http(s) URL",
            ));
        }
    }
    AppError::check(issues)
}

/// Installs the newest package of `plugin_id` in `org`.
pub async fn install(
    app: &App,
    org: OrgId,
    owner: Option<UserId>,
    plugin_id: &str,
    mut config: BTreeMap<String, String>,
) -> Result<InstallationView> {
    if let Some(owner) = owner
        && crate::store::users::find(&app.db, org, owner)
            .await?
            .is_none()
    {
        return Err(AppError::invalid(
            "ownerId",
            format!("user {} is not in this organization", owner.0),
        ));
    }
    let package = newest_package(app, plugin_id).await?;
    let manifest = manifest_of(&package)?;
    check_config(&manifest, &mut config, None)?;
    let config = sealed(app, &manifest, config);
    let installation =
        repo::insert_installation(&app.db, org, owner, &package, &config, Utc::now()).await?;
    tracing::info!(
        installation = installation.id,
        plugin = plugin_id,
        org = org.0,
        "plugin installed"
    );
    view(installation, &package)
}

/// The installations of `org` (every organization's for `None`: the operator).
pub async fn installations(app: &App, org: Option<OrgId>) -> Result<Vec<InstallationView>> {
    let packages: HashMap<i64, Package> = repo::packages(&app.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    repo::installations(&app.db, org)
        .await?
        .into_iter()
        .map(|i| {
            let package = packages.get(&i.package_id).ok_or_else(|| {
                AppError::NotFound(format!("package {} of installation {}", i.package_id, i.id))
            })?;
            view(i, package)
        })
        .collect()
}

/// One installation of `org` (any organization's for `None`).
pub async fn installation(app: &App, org: Option<OrgId>, id: i64) -> Result<InstallationView> {
    let (installation, package) = stored(app, org, id).await?;
    view(installation, &package)
}

/// Installation `id` of `org` and the package it runs.
async fn stored(app: &App, org: Option<OrgId>, id: i64) -> Result<(Installation, Package)> {
    let installation = repo::installation(&app.db, org, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("plugin installation {id}")))?;
    let package = repo::package(&app.db, installation.package_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("package {}", installation.package_id)))?;
    Ok((installation, package))
}

/// What may change on an installation.
#[derive(Debug, Clone, Default)]
pub struct Update {
    pub enabled: Option<bool>,
    pub config: Option<BTreeMap<String, String>>,
    /// Move to the newest package of the plugin, keeping settings and kv.
    pub upgrade: bool,
}

/// Changes one installation of `org` (any organization's for `None`).
pub async fn update(
    app: &App,
    org: Option<OrgId>,
    id: i64,
    update: Update,
) -> Result<InstallationView> {
    let (current, current_package) = stored(app, org, id).await?;
    let package = if update.upgrade {
        newest_package(app, &current.plugin_id).await?
    } else {
        current_package.clone()
    };
    let manifest = manifest_of(&package)?;
    let previous = opened(app, &manifest_of(&current_package)?, &current)?;
    let mut config = update.config.unwrap_or_else(|| previous.clone());
    check_config(&manifest, &mut config, Some(&previous))?;
    let change = InstallationChange {
        enabled: update.enabled,
        package_id: Some(package.id),
        config: Some(sealed(app, &manifest, config)),
    };
    let updated = repo::update_installation(&app.db, org, id, change, Utc::now())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("plugin installation {id}")))?;
    view(updated, &package)
}

/// Removes one installation of `org` with its kv.
pub async fn remove(app: &App, org: Option<OrgId>, id: i64) -> Result<()> {
    if repo::delete_installation(&app.db, org, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("plugin installation {id}")))
    }
}

/// The loaded component of `package_id`, loading it on first use in this process.
pub async fn loaded(app: &App, package_id: i64) -> Result<Plugin> {
    if let Some(plugin) = app
        .plugins
        .loaded
        .lock()
        .expect("loaded plugins lock")
        .get(&package_id)
    {
        return Ok(plugin.clone());
    }
    let wasm = repo::package_wasm(&app.db, package_id).await?;
    let plugin = app
        .plugins
        .host()?
        .load(wasm)
        .await
        .map_err(|e| AppError::Unavailable(format!("plugin package {package_id}: {e}")))?;
    app.plugins
        .loaded
        .lock()
        .expect("loaded plugins lock")
        .insert(package_id, plugin.clone());
    Ok(plugin)
}
