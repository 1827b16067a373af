//! Plugins for organization admins: the packages this server can run, the
//! organization's installations of them (install, configure, switch on and off,
//! upgrade keeping settings and kv, uninstall, resync), and the inbound provider
//! webhooks they received, with replay of dead ones.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};

use super::error::GqlResult;
use super::page::{Page, page_request};
use super::scalars::UtcTime;
use super::{app, caller, lookup_id, to_id};
use crate::app::plugins::{self, InstallationView, PackageView, Update};
use crate::app::{inbound, pull_sync};
use crate::domain::ids::UserId;
use crate::store::inbound::{InboundEvent as StoredEvent, InboundStatus as StoredStatus};

/// A component this server can run, as its manifest describes it.
#[derive(Debug, Clone, SimpleObject)]
pub struct PluginPackage {
    /// The package's id.
    pub id: ID,
    /// The plugin id, e.g. `google-calendar`.
    pub plugin: String,
    /// Its name for people.
    pub name: String,
    /// Its semver version.
    pub version: String,
    /// SHA-256 of the component's bytes.
    pub sha256: String,
    /// What it can do: `webhooks`, `pull`, `busy_times`, `apply`.
    pub capabilities: Vec<String>,
    /// The only hosts it may call.
    pub allowed_hosts: Vec<String>,
    /// Whether it connects accounts with OAuth (run by Convene, not the plugin).
    pub oauth: bool,
    /// The settings an installation supplies.
    pub settings: Vec<PluginSettingField>,
    /// When this server got it.
    pub created_at: UtcTime,
}

/// One setting a plugin asks for.
#[derive(Debug, Clone, SimpleObject)]
pub struct PluginSettingField {
    pub key: String,
    pub label: String,
    pub required: bool,
    /// Stored sealed and shown back as `********`.
    pub secret: bool,
}

impl From<PackageView> for PluginPackage {
    fn from(p: PackageView) -> PluginPackage {
        PluginPackage {
            id: to_id(p.package.id),
            plugin: p.package.plugin_id,
            name: p.manifest.name,
            version: p.package.version,
            sha256: p.package.sha256,
            capabilities: p
                .manifest
                .capabilities
                .iter()
                .map(|c| {
                    serde_json::to_value(c)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                })
                .collect(),
            allowed_hosts: p.manifest.allowed_hosts,
            oauth: p.manifest.oauth.is_some(),
            settings: p
                .manifest
                .config
                .into_iter()
                .map(|f| PluginSettingField {
                    key: f.key,
                    label: f.label,
                    required: f.required,
                    secret: f.secret,
                })
                .collect(),
            created_at: p.package.created_at.into(),
        }
    }
}

/// A setting's value.
#[derive(Debug, Clone, SimpleObject, InputObject)]
#[graphql(input_name = "PluginSettingInput")]
pub struct PluginSetting {
    pub key: String,
    /// Secret values read `********`; sending that back keeps the stored value.
    pub value: String,
}

/// The organization's use of a plugin.
#[derive(Debug, Clone, SimpleObject)]
pub struct PluginInstallation {
    /// The installation's id; providers send webhooks to `/hooks/{id}`.
    pub id: ID,
    /// The plugin id.
    pub plugin: String,
    /// The plugin's name.
    pub name: String,
    /// The version installed.
    pub version: String,
    /// The user whose connected account it acts as, if any.
    pub owner_id: Option<ID>,
    /// Whether it runs (webhooks received while off wait for it).
    pub enabled: bool,
    /// Its settings, secrets hidden.
    pub settings: Vec<PluginSetting>,
    /// When its next pull is due; null when it does not pull.
    pub next_pull_at: Option<UtcTime>,
    /// What went wrong in its last pull.
    pub last_error: Option<String>,
    /// When it was installed.
    pub created_at: UtcTime,
    /// When it last changed.
    pub updated_at: UtcTime,
}

impl From<InstallationView> for PluginInstallation {
    fn from(v: InstallationView) -> PluginInstallation {
        let i = v.installation;
        PluginInstallation {
            id: to_id(i.id),
            plugin: i.plugin_id,
            name: v.manifest.name,
            version: v.version,
            owner_id: i.owner.map(|u| to_id(u.0)),
            enabled: i.enabled,
            settings: i
                .config
                .into_iter()
                .map(|(key, value)| PluginSetting { key, value })
                .collect(),
            next_pull_at: i.next_pull_at.map(UtcTime),
            last_error: i.last_error,
            created_at: i.created_at.into(),
            updated_at: i.updated_at.into(),
        }
    }
}

/// Where an inbound webhook stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum InboundStatus {
    /// Kept, waiting to be read (new, retried, or replayed).
    Received,
    /// Its changes are applied.
    Applied,
    /// Failed every attempt; can be replayed.
    Dead,
}

impl From<StoredStatus> for InboundStatus {
    fn from(s: StoredStatus) -> InboundStatus {
        match s {
            StoredStatus::Received => InboundStatus::Received,
            StoredStatus::Applied => InboundStatus::Applied,
            StoredStatus::Dead => InboundStatus::Dead,
        }
    }
}

impl From<InboundStatus> for StoredStatus {
    fn from(s: InboundStatus) -> StoredStatus {
        match s {
            InboundStatus::Received => StoredStatus::Received,
            InboundStatus::Applied => StoredStatus::Applied,
            InboundStatus::Dead => StoredStatus::Dead,
        }
    }
}

/// A webhook a provider sent to an installation.
#[derive(Debug, Clone, SimpleObject)]
pub struct InboundEvent {
    pub id: ID,
    pub installation_id: ID,
    pub received_at: UtcTime,
    pub status: InboundStatus,
    /// Attempts made so far.
    pub attempts: i32,
    /// The provider's own id of the delivery, once read.
    pub provider_event_id: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// What applying it did, in words.
    pub outcome: Option<String>,
    /// When it is tried next; null once applied or dead.
    pub next_attempt_at: Option<UtcTime>,
}

impl From<StoredEvent> for InboundEvent {
    fn from(e: StoredEvent) -> InboundEvent {
        InboundEvent {
            id: to_id(e.id),
            installation_id: to_id(e.installation_id),
            received_at: e.received_at.into(),
            next_attempt_at: (e.status == StoredStatus::Received).then(|| e.next_attempt_at.into()),
            status: e.status.into(),
            attempts: i32::try_from(e.attempts).unwrap_or(i32::MAX),
            provider_event_id: e.provider_event_id,
            last_error: e.last_error,
            outcome: e.outcome,
        }
    }
}

fn settings(list: Vec<PluginSetting>) -> BTreeMap<String, String> {
    list.into_iter().map(|s| (s.key, s.value)).collect()
}

/// Plugin queries, for organization owners and admins.
#[derive(Default)]
pub struct PluginQuery;

#[Object]
impl PluginQuery {
    /// The plugin packages this server can run.
    async fn plugin_packages(&self, ctx: &Context<'_>) -> GqlResult<Vec<PluginPackage>> {
        let app = app(ctx)?;
        plugins::managed_org(app, caller(ctx)?).await?;
        Ok(plugins::packages(app)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The organization's plugin installations, oldest first.
    async fn plugin_installations(&self, ctx: &Context<'_>) -> GqlResult<Vec<PluginInstallation>> {
        let app = app(ctx)?;
        let org = plugins::managed_org(app, caller(ctx)?).await?;
        Ok(plugins::installations(app, Some(org))
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Webhooks providers sent to the organization's installations, newest first.
    #[graphql(complexity = "super::page::page_complexity(limit, child_complexity)")]
    async fn inbound_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this installation's.")] installation_id: Option<ID>,
        #[graphql(desc = "Only those in this state.")] status: Option<InboundStatus>,
        cursor: Option<String>,
        limit: Option<i32>,
    ) -> GqlResult<Page<InboundEvent>> {
        let installation = installation_id
            .map(|id| lookup_id("plugin installation", &id))
            .transpose()?;
        let page = inbound::list(
            app(ctx)?,
            caller(ctx)?,
            installation,
            status.map(Into::into),
            page_request(cursor, limit),
        )
        .await?;
        Ok(page.into())
    }
}

/// Plugin changes, for organization owners and admins.
#[derive(Default)]
pub struct PluginMutation;

#[Object]
impl PluginMutation {
    /// Installs the newest package of `plugin` in the organization.
    async fn install_plugin(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plugin id, e.g. `google-calendar`.")] plugin: String,
        #[graphql(desc = "Its settings.", default)] settings: Vec<PluginSetting>,
        #[graphql(desc = "The user whose connected account it acts as; the caller when omitted.")]
        owner_id: Option<ID>,
    ) -> GqlResult<PluginInstallation> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        let org = plugins::managed_org(app, caller).await?;
        let owner = match owner_id {
            Some(id) => UserId(lookup_id("user", &id)?),
            None => caller.user_id,
        };
        Ok(
            plugins::install(app, org, Some(owner), &plugin, self::settings(settings))
                .await?
                .into(),
        )
    }

    /// Replaces an installation's settings (secrets sent as `********` are kept).
    async fn configure_plugin(
        &self,
        ctx: &Context<'_>,
        id: ID,
        settings: Vec<PluginSetting>,
    ) -> GqlResult<PluginInstallation> {
        let update = Update {
            config: Some(self::settings(settings)),
            ..Update::default()
        };
        change(ctx, &id, update).await
    }

    /// Switches an installation on or off.
    async fn set_plugin_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
    ) -> GqlResult<PluginInstallation> {
        let update = Update {
            enabled: Some(enabled),
            ..Update::default()
        };
        change(ctx, &id, update).await
    }

    /// Moves an installation to the newest package of its plugin, keeping its settings
    /// and kv.
    async fn upgrade_plugin(&self, ctx: &Context<'_>, id: ID) -> GqlResult<PluginInstallation> {
        let update = Update {
            upgrade: true,
            ..Update::default()
        };
        change(ctx, &id, update).await
    }

    /// Removes an installation with its kv; its id.
    async fn uninstall_plugin(&self, ctx: &Context<'_>, id: ID) -> GqlResult<ID> {
        let app = app(ctx)?;
        let org = plugins::managed_org(app, caller(ctx)?).await?;
        plugins::remove(app, Some(org), lookup_id("plugin installation", &id)?).await?;
        Ok(id)
    }

    /// Starts a full sync: the installation's cursor is forgotten and it pulls now.
    async fn resync_plugin(&self, ctx: &Context<'_>, id: ID) -> GqlResult<PluginInstallation> {
        let app = app(ctx)?;
        let org = plugins::managed_org(app, caller(ctx)?).await?;
        let installation = lookup_id("plugin installation", &id)?;
        pull_sync::resync(app, Some(org), installation).await?;
        Ok(plugins::installation(app, Some(org), installation)
            .await?
            .into())
    }

    /// Makes a dead (or any) inbound webhook due again.
    async fn replay_inbound_event(&self, ctx: &Context<'_>, id: ID) -> GqlResult<InboundEvent> {
        let id = lookup_id("inbound event", &id)?;
        Ok(inbound::replay(app(ctx)?, caller(ctx)?, id).await?.into())
    }
}

async fn change(ctx: &Context<'_>, id: &ID, update: Update) -> GqlResult<PluginInstallation> {
    let app = app(ctx)?;
    let org = plugins::managed_org(app, caller(ctx)?).await?;
    let installation = lookup_id("plugin installation", id)?;
    Ok(plugins::update(app, Some(org), installation, update)
        .await?
        .into())
}
