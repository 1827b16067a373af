//! What a plugin call acts with: its installation's settings opened, the allowlist they
//! widen, its owner's connection as the bearer the host attaches, and the OAuth client
//! the installation brings for connecting to its provider.
//!
//! The plugin sees none of the secrets behind a bearer: the host asks [`connections`]
//! for a token per request, which refreshes it when expired or just rejected.
//!
//! Every call is watched ([`watched`]): a plugin that crashes, runs past its deadline or
//! overruns a cap [`MISBEHAVIOUR_LIMIT`] calls in a row has its installation switched
//! off and its owner told, rather than failing every job that reaches it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use url::Url;

use super::connections::{self, Refresh};
use super::{App, Result, plugins};
use crate::auth::oauth::{ClientAuth, OAuthProvider};
use crate::domain::connection::{ConnectionId, ConnectionOwner, ConnectionStatus};
use crate::domain::ids::OrgId;
use crate::plugins::manifest::{
    BASE_URL_SETTING, CLIENT_ID_SETTING, CLIENT_SECRET_SETTING, HOOK_URL_SETTING,
    OAUTH_BASE_URL_SETTING,
};
use crate::plugins::{Allowlist, CallContext, CallError, Credentials, Plugin};
use crate::store::StoreError;
use crate::store::connections as stored;
use crate::store::notifications::Notification;
use crate::store::plugins::{self as repo, Installation};

/// What one call of `installation` runs with.
pub async fn context(
    app: &App,
    installation: &Installation,
    plugin: &Plugin,
) -> Result<CallContext> {
    let mut config = plugins::opened(app, &plugin.manifest, installation)?;
    config.remove(HOOK_URL_SETTING);
    if let Some(url) = hook_url(app, installation.id) {
        config.insert(HOOK_URL_SETTING.into(), url);
    }
    let credentials = owner_connection(app, installation)
        .await?
        .map(|connection| {
            Arc::new(ConnectionBearer {
                app: app.clone(),
                org: installation.org_id,
                connection,
                last: Mutex::new(None),
            }) as Arc<dyn Credentials>
        });
    Ok(CallContext {
        installation_id: installation.id,
        plugin_id: installation.plugin_id.clone(),
        allowlist: Allowlist::new(
            plugin.manifest.allowed_hosts.clone(),
            config.get(BASE_URL_SETTING).map(String::as_str),
        ),
        kv: repo::kv(&app.db, installation.id).await?,
        config,
        credentials,
    })
}

/// Where the provider's push notifications for `installation` reach this server, when
/// the server knows its public URL.
fn hook_url(app: &App, installation: i64) -> Option<String> {
    let base = app.settings.public_url.as_deref()?;
    Some(format!(
        "{}/hooks/{installation}",
        base.trim_end_matches('/')
    ))
}

/// The active connection of the installation's owner to the plugin's provider.
async fn owner_connection(app: &App, installation: &Installation) -> Result<Option<ConnectionId>> {
    let Some(owner) = installation.owner else {
        return Ok(None);
    };
    Ok(
        stored::list_for_owner(&app.db, installation.org_id, ConnectionOwner::User(owner))
            .await?
            .into_iter()
            .find(|c| c.plugin_id == installation.plugin_id && c.status == ConnectionStatus::Active)
            .map(|c| c.id),
    )
}

/// Hands the host a connection's bearer, remembering the last one given so that a 401
/// to it asks for a refresh of exactly that token.
struct ConnectionBearer {
    app: App,
    org: OrgId,
    connection: ConnectionId,
    last: Mutex<Option<String>>,
}

impl Credentials for ConnectionBearer {
    fn bearer(&self, refresh: bool) -> Pin<Box<dyn Future<Output = Option<String>> + Send + '_>> {
        Box::pin(async move {
            let last = self
                .last
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            let when = match (&last, refresh) {
                (Some(rejected), true) => Refresh::Rejected(rejected),
                _ => Refresh::WhenExpired,
            };
            match connections::bearer(&self.app, self.org, self.connection, when).await {
                Ok(token) => {
                    *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
                    Some(token)
                }
                Err(error) => {
                    tracing::warn!(
                        org.id = %self.org, connection.id = %self.connection, %error,
                        "no bearer for a plugin request"
                    );
                    None
                }
            }
        })
    }
}

/// The OAuth client `org`'s enabled installation of `plugin_id` brings: the manifest's
/// endpoints (moved to `oauth_base_url` when set) with the installation's client id and
/// secret. `None` when no installation brings one.
pub async fn oauth_provider(
    app: &App,
    org: OrgId,
    plugin_id: &str,
) -> Result<Option<OAuthProvider>> {
    for installation in repo::installations(&app.db, Some(org)).await? {
        if installation.plugin_id != plugin_id || !installation.enabled {
            continue;
        }
        let Some(package) = repo::package(&app.db, installation.package_id).await? else {
            continue;
        };
        let manifest = plugins::manifest_of(&package)?;
        let Some(endpoints) = &manifest.oauth else {
            return Ok(None);
        };
        let config = plugins::opened(app, &manifest, &installation)?;
        let Some(client_id) = config.get(CLIENT_ID_SETTING).filter(|id| !id.is_empty()) else {
            continue;
        };
        let origin = config.get(OAUTH_BASE_URL_SETTING);
        let at = |url: &str| rebased(url, origin.map(String::as_str));
        return Ok(Some(OAuthProvider {
            plugin_id: plugin_id.to_string(),
            authorize_url: at(&endpoints.authorize_url),
            token_url: at(&endpoints.token_url),
            revoke_url: endpoints.revoke_url.as_deref().map(at),
            scopes: endpoints.scopes.clone(),
            client_id: client_id.clone(),
            client_secret: config
                .get(CLIENT_SECRET_SETTING)
                .filter(|s| !s.is_empty())
                .cloned(),
            client_auth: ClientAuth::Basic,
        }));
    }
    Ok(None)
}

/// `url` with its scheme, host and port taken from `origin` (when given and both parse).
fn rebased(url: &str, origin: Option<&str>) -> String {
    let (Some(origin), Ok(mut url)) = (origin, Url::parse(url)) else {
        return url.to_string();
    };
    let Ok(origin) = Url::parse(origin) else {
        return url.to_string();
    };
    let path = format!("{}{}", origin.path().trim_end_matches('/'), url.path());
    let _ = url.set_scheme(origin.scheme());
    let _ = url.set_host(origin.host_str());
    let _ = url.set_port(origin.port());
    url.set_path(&path);
    url.to_string()
}

/// Calls in a row a plugin may misbehave before its installation is switched off.
pub const MISBEHAVIOUR_LIMIT: u32 = 10;

/// The kind of notice raised when an installation is switched off for misbehaving.
pub const PLUGIN_DISABLED: &str = "PLUGIN_DISABLED";

/// Runs `call` of `installation`'s plugin and keeps the tally of its misbehaving: a
/// crash, a deadline or a cap overrun counts, any other outcome ends the streak. At
/// [`MISBEHAVIOUR_LIMIT`] the installation is switched off and its owner (the
/// organization's owners and admins, for an organization's installation) told. The
/// call's own outcome is handed back; the outer error is ours (storage).
pub async fn watched<T>(
    app: &App,
    installation: &Installation,
    call: impl Future<Output = std::result::Result<T, CallError>>,
) -> Result<std::result::Result<T, CallError>> {
    let outcome = call.await;
    match &outcome {
        Err(error) if error.misbehaved() => misbehaved(app, installation, error).await?,
        _ if installation.misbehaviour_streak > 0 => {
            repo::clear_misbehaviour(&app.db, installation.id).await?;
        }
        _ => {}
    }
    Ok(outcome)
}

async fn misbehaved(app: &App, installation: &Installation, error: &CallError) -> Result<()> {
    let now = Utc::now();
    let why = error.to_string();
    let txn = crate::store::db::begin_write(&app.db).await?;
    let streak = repo::record_misbehaviour(&txn, installation.id, &why, now).await?;
    tracing::warn!(installation = installation.id, plugin.id = installation.plugin_id, streak, error = %why, "plugin misbehaved");
    if streak >= MISBEHAVIOUR_LIMIT && repo::switch_off(&txn, installation.id, now).await? {
        let people = match installation.owner {
            Some(owner) => vec![owner],
            None => crate::store::users::org_admins(&txn, installation.org_id).await?,
        };
        let message = format!(
            "The plugin `{}` (installation {}) was switched off after {streak} calls in a row \
             in which it misbehaved; the last: {why}. Update or reconfigure it, then switch \
             it on again.",
            installation.plugin_id, installation.id
        );
        for user in people {
            let notice = Notification::new(
                installation.org_id,
                user,
                PLUGIN_DISABLED,
                format!("installation:{}", installation.id),
                message.clone(),
                now,
            );
            crate::store::notifications::insert(&txn, &notice).await?;
        }
        tracing::warn!(
            installation = installation.id,
            "plugin installation switched off for misbehaving"
        );
    }
    txn.commit().await.map_err(StoreError::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::rebased;

    #[test]
    fn oauth_endpoints_move_to_the_configured_origin_keeping_their_paths() {
        let cases = [
            (
                "https://auth.example.test/oauth/token",
                Some("http://127.0.0.1:4000"),
                "http://127.0.0.1:4000/oauth/token",
            ),
            (
                "https://auth.example.test/oauth/token?x=1",
                Some("https://idp.corp.test/tenant/"),
                "https://idp.corp.test/tenant/oauth/token?x=1",
            ),
            (
                "https://auth.example.test/oauth/token",
                None,
                "https://auth.example.test/oauth/token",
            ),
        ];
        for (url, origin, expected) in cases {
            assert_eq!(rebased(url, origin), expected, "{url} at {origin:?}");
        }
    }
}
