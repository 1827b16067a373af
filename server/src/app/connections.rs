//! Connections: Convene acting at an outside provider as a user or a team.
//!
//! OAuth connections are made in two steps, [`start`] (the provider's consent URL, with
//! PKCE and a signed state) and [`finish`] (the browser comes back with a code, which
//! is exchanged and the tokens stored sealed). API-key connections are stored in one
//! step ([`connect_api_key`]). The plugin host then asks [`bearer`] for the credential
//! to send; it refreshes OAuth tokens when they are about to expire or the provider has
//! just rejected one, one refresh at a time per connection, and marks the connection
//! broken (telling its owner) when the provider refuses the refresh token for good.
//!
//! Providers come from [`OAuthProviders`], a registry the plugin host fills from
//! installed plugins; tests register a fake.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, TransactionSession, TransactionTrait};

use super::auth::Caller;
use super::{App, AppError, Result, plugin_access, teams};
use crate::auth::oauth::{self, FlowState, OAuthError, OAuthProvider, StateError, TokenKind};
use crate::auth::secrets::OpenError;
use crate::domain::connection::{
    ConnectionId, ConnectionKind, ConnectionOwner, ConnectionStatus, needs_refresh,
};
use crate::domain::ids::{OrgId, TeamId};
use crate::store::StoreError;
use crate::store::connections::{
    self as stored, Connection, NewConnection, SealedConnection, SealedCredentials,
};
use crate::store::notifications::{self, Notification};

/// The kind of notice raised when a connection breaks.
pub const CONNECTION_BROKEN: &str = "CONNECTION_BROKEN";

/// How long the owner has to consent at the provider and come back.
const STATE_TTL: chrono::Duration = chrono::Duration::minutes(10);

/// Purpose labels of the sealed secrets (bound into the ciphertext).
const ACCESS_TOKEN: &str = "connection.access_token";
const REFRESH_TOKEN: &str = "connection.refresh_token";

/// The OAuth providers this server can connect to, by plugin id.
#[derive(Debug, Default)]
pub struct OAuthProviders {
    by_plugin: RwLock<HashMap<String, OAuthProvider>>,
}

impl OAuthProviders {
    /// Makes `provider` available under its plugin id, replacing an earlier one.
    pub fn register(&self, provider: OAuthProvider) {
        self.by_plugin
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(provider.plugin_id.clone(), provider);
    }

    /// Forgets the provider of `plugin_id` (its plugin was removed).
    pub fn remove(&self, plugin_id: &str) {
        self.by_plugin
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(plugin_id);
    }

    fn get(&self, plugin_id: &str) -> Option<OAuthProvider> {
        self.by_plugin
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(plugin_id)
            .cloned()
    }
}

/// The OAuth provider of `plugin_id` for `org`: the client its own installation brings,
/// else one configured for the whole server.
pub async fn provider(app: &App, org: OrgId, plugin_id: &str) -> Result<OAuthProvider> {
    if let Some(provider) = plugin_access::oauth_provider(app, org, plugin_id).await? {
        return Ok(provider);
    }
    app.oauth_providers.get(plugin_id).ok_or_else(|| {
        AppError::NotFound(format!(
            "plugin `{plugin_id}` is not installed with an OAuth client, or does not connect with OAuth"
        ))
    })
}

/// One turn at a time per connection for refreshing in this process, so two callers
/// never both spend a single-use refresh token. (Across processes on PostgreSQL the
/// row lock does the same; the turn keeps waiters from holding database connections.)
#[derive(Debug, Default)]
pub struct RefreshTurns {
    turns: Mutex<HashMap<ConnectionId, Weak<tokio::sync::Mutex<()>>>>,
}

impl RefreshTurns {
    async fn take(&self, id: ConnectionId) -> tokio::sync::OwnedMutexGuard<()> {
        let turn = {
            let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
            match turns.get(&id).and_then(Weak::upgrade) {
                Some(turn) => turn,
                None => {
                    turns.retain(|_, turn| turn.strong_count() > 0);
                    let turn = Arc::new(tokio::sync::Mutex::new(()));
                    turns.insert(id, Arc::downgrade(&turn));
                    turn
                }
            }
        };
        turn.lock_owned().await
    }
}

/// Whether `caller` may make, see and revoke `owner`'s connections: a user's own, and a
/// team's when they manage the team (its owners and admins, or the organization's).
async fn check_owner(app: &App, caller: Caller, owner: ConnectionOwner) -> Result<()> {
    match owner {
        ConnectionOwner::User(user) if user == caller.user_id => Ok(()),
        ConnectionOwner::User(_) => Err(AppError::Forbidden(
            "only the user themselves can manage their connections".into(),
        )),
        ConnectionOwner::Team(team) => teams::managed(app, caller, TeamId(team)).await.map(|_| ()),
    }
}

/// Where the owner's browser is sent to consent, and until when the answer is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The provider's authorization URL (PKCE S256 challenge and signed state included).
    pub authorize_url: String,
    /// When the state in it expires.
    pub expires_at: DateTime<Utc>,
}

/// Starts connecting `owner`'s account at `plugin_id`'s provider; the provider will send
/// the browser back to `redirect_uri` (this server's `/oauth/{plugin}/callback`).
pub async fn start(
    app: &App,
    caller: Caller,
    plugin_id: &str,
    owner: ConnectionOwner,
    redirect_uri: String,
) -> Result<Started> {
    check_owner(app, caller, owner).await?;
    let provider = provider(app, caller.org_id, plugin_id).await?;
    let state = FlowState {
        org_id: caller.org_id,
        owner,
        user_id: caller.user_id,
        plugin_id: plugin_id.to_string(),
        redirect_uri,
        pkce_verifier: oauth::new_pkce_verifier(),
        expires_at: Utc::now() + STATE_TTL,
    };
    let signed = oauth::sign_state(&app.settings.secret_key, &state);
    let authorize_url = oauth::authorize_url(
        &provider,
        &state.redirect_uri,
        &signed,
        &state.pkce_verifier,
    )
    .map_err(upstream)?;
    tracing::info!(
        org.id = %caller.org_id, user.id = %caller.user_id, plugin.id = plugin_id,
        "OAuth connection started"
    );
    Ok(Started {
        authorize_url,
        expires_at: state.expires_at,
    })
}

/// What the provider appended to the callback URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Callback {
    /// The authorization code, on consent.
    pub code: Option<String>,
    /// The state we sent.
    pub state: Option<String>,
    /// The RFC 6749 error (`access_denied`), when the owner or provider declined.
    pub error: Option<String>,
    /// Its description.
    pub error_description: Option<String>,
}

/// Finishes the flow [`start`] began: checks the state, exchanges the code and stores
/// the tokens sealed. The signed state is the only authentication: it names the
/// organization, owner and plugin, and expires after ten minutes.
pub async fn finish(app: &App, plugin_id: &str, callback: Callback) -> Result<Connection> {
    let state = callback
        .state
        .ok_or_else(|| AppError::invalid("state", "is required"))?;
    let flow = oauth::verify_state(&app.settings.secret_key, &state, Utc::now()).map_err(
        |err| match err {
            StateError::Invalid => AppError::Unauthorized(err.to_string()),
            StateError::Expired => AppError::Gone(err.to_string()),
        },
    )?;
    if flow.plugin_id != plugin_id {
        return Err(AppError::Unauthorized(format!(
            "the OAuth state was issued for plugin `{}`, not `{plugin_id}`",
            flow.plugin_id
        )));
    }
    if let Some(error) = callback.error {
        let description = callback.error_description.unwrap_or_default();
        return Err(AppError::Forbidden(format!(
            "the provider did not grant access ({error}){}",
            if description.is_empty() {
                String::new()
            } else {
                format!(": {description}")
            }
        )));
    }
    let code = callback
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::invalid("code", "is required"))?;
    let provider = provider(app, flow.org_id, plugin_id).await?;
    let tokens = oauth::exchange_code(
        &app.oauth_http,
        &provider,
        &flow.redirect_uri,
        &code,
        &flow.pkce_verifier,
    )
    .await
    .map_err(|err| match err {
        OAuthError::InvalidGrant(_) => AppError::Unauthorized(format!(
            "the provider refused the authorization code; start connecting again ({err})"
        )),
        other => upstream(other),
    })?;
    let now = Utc::now();
    let new = NewConnection {
        org_id: flow.org_id,
        plugin_id: plugin_id.to_string(),
        owner: flow.owner,
        created_by: flow.user_id,
        kind: ConnectionKind::OAuth,
        credentials: seal(app, &provider, tokens, None, now),
        account_label: None,
    };
    let connection = connected(app, &new, now).await?;
    tracing::info!(
        org.id = %connection.org_id, connection.id = %connection.id, plugin.id = plugin_id,
        "OAuth connection made"
    );
    Ok(connection)
}

/// Seals freshly granted tokens; a refresh that brings no new refresh token keeps
/// `previous_refresh` (the sealed one in use), as non-rotating providers expect.
fn seal(
    app: &App,
    provider: &OAuthProvider,
    tokens: oauth::Tokens,
    previous_refresh: Option<String>,
    now: DateTime<Utc>,
) -> SealedCredentials {
    let key = &app.settings.secret_key;
    SealedCredentials {
        access_token: key.seal(ACCESS_TOKEN, &tokens.access_token),
        refresh_token: tokens
            .refresh_token
            .map(|t| key.seal(REFRESH_TOKEN, &t))
            .or(previous_refresh),
        expires_at: tokens
            .expires_in
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| now + d),
        scopes: tokens.scopes.unwrap_or_else(|| provider.scopes.clone()),
    }
}

/// Stores an API key `owner` holds at `plugin_id`'s provider, sealed, replacing an
/// earlier connection of theirs to the same plugin.
pub async fn connect_api_key(
    app: &App,
    caller: Caller,
    plugin_id: &str,
    owner: ConnectionOwner,
    api_key: &str,
    account_label: Option<&str>,
) -> Result<Connection> {
    check_owner(app, caller, owner).await?;
    let mut issues = Vec::new();
    if !valid_plugin_id(plugin_id) {
        issues.push(crate::domain::validate::FieldIssue::new(
            "plugin",
            "is 1 to 64 lowercase letters, digits, `-` or `_`",
        ));
    }
    let api_key = api_key.trim();
    if api_key.is_empty() || api_key.len() > 4096 {
        issues.push(crate::domain::validate::FieldIssue::new(
            "apiKey",
            "must be 1 to 4096 characters",
        ));
    }
    AppError::check(issues)?;
    let now = Utc::now();
    let new = NewConnection {
        org_id: caller.org_id,
        plugin_id: plugin_id.to_string(),
        owner,
        created_by: caller.user_id,
        kind: ConnectionKind::ApiKey,
        credentials: SealedCredentials {
            access_token: app.settings.secret_key.seal(ACCESS_TOKEN, api_key),
            refresh_token: None,
            expires_at: None,
            scopes: Vec::new(),
        },
        account_label: account_label.map(str::to_string),
    };
    connected(app, &new, now).await
}

/// Stores a new connection, and has the organization's installations of its plugin
/// pull now rather than at their next interval.
async fn connected(app: &App, new: &NewConnection, now: DateTime<Utc>) -> Result<Connection> {
    let connection = stored::connect(&app.db, new, now).await?;
    crate::store::plugins::pull_now(&app.db, new.org_id, &new.plugin_id, now).await?;
    Ok(connection)
}

fn valid_plugin_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// When [`bearer`] should get a new access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh<'a> {
    /// Only when the stored token has expired or is about to.
    WhenExpired,
    /// The provider just answered 401 to this token: refresh, unless another caller
    /// already replaced it (then the replacement is answered without a refresh).
    Rejected(&'a str),
}

/// The credential to send to connection `id`'s provider: an OAuth access token
/// (refreshed first when `refresh` calls for it) or an API key.
///
/// Refreshes take turns per connection, and each turn reads the connection again, so
/// callers that all found the token expired cause one refresh, not one each (with
/// rotating refresh tokens the second would spend a token that is already spent). A
/// refresh the provider refuses with `invalid_grant` marks the connection broken and
/// tells its owner; other failures leave it as it is and answer `Upstream`.
pub async fn bearer(
    app: &App,
    org: OrgId,
    id: ConnectionId,
    refresh: Refresh<'_>,
) -> Result<String> {
    let current = usable(stored::find_sealed(&app.db, org, id, false).await?)?;
    if let Some(token) = fresh_token(app, &current, refresh, Utc::now())? {
        return Ok(token);
    }
    let _turn = app.refresh_turns.take(id).await;
    if app.db.get_database_backend() == DatabaseBackend::Postgres {
        let txn = app.db.begin().await.map_err(StoreError::from)?;
        let outcome = refresh_in_turn(app, &txn, org, id, refresh).await;
        // Committed whatever the outcome: a broken mark and its notice are kept too.
        let committed = txn.commit().await.map_err(StoreError::from);
        match (outcome, committed) {
            (Err(err), _) => Err(err),
            (Ok(_), Err(err)) => Err(err.into()),
            (Ok(token), Ok(())) => Ok(token),
        }
    } else {
        // SQLite: one process, so the turn is enough; a transaction held across the
        // provider call would keep every other writer waiting.
        refresh_in_turn(app, &app.db, org, id, refresh).await
    }
}

/// The refresh itself, inside this connection's turn; `db` is a transaction holding
/// the row locked on PostgreSQL.
async fn refresh_in_turn(
    app: &App,
    db: &(impl ConnectionTrait + TransactionTrait),
    org: OrgId,
    id: ConnectionId,
    refresh: Refresh<'_>,
) -> Result<String> {
    let now = Utc::now();
    let current = usable(stored::find_sealed(db, org, id, true).await?)?;
    if let Some(token) = fresh_token(app, &current, refresh, now)? {
        return Ok(token);
    }
    let connection = &current.connection;
    let Some(refresh_token) = &current.refresh_token else {
        break_connection(db, connection, "the provider gave no refresh token").await?;
        return Err(broken(connection));
    };
    let provider = provider(app, org, &connection.plugin_id).await?;
    let plain_refresh = open(app, REFRESH_TOKEN, refresh_token)?;
    match oauth::refresh(&app.oauth_http, &provider, &plain_refresh).await {
        Ok(tokens) => {
            let access = tokens.access_token.clone();
            let credentials = seal(app, &provider, tokens, Some(refresh_token.clone()), now);
            stored::set_credentials(db, org, id, &credentials, now).await?;
            tracing::info!(
                org.id = %org, connection.id = %id, plugin.id = connection.plugin_id,
                "access token refreshed"
            );
            Ok(access)
        }
        Err(OAuthError::InvalidGrant(why)) => {
            break_connection(db, connection, &why).await?;
            Err(broken(connection))
        }
        Err(other) => Err(upstream(other)),
    }
}

/// The connection, if it exists and is active.
fn usable(found: Option<SealedConnection>) -> Result<SealedConnection> {
    let sealed = found.ok_or_else(|| AppError::NotFound("the connection does not exist".into()))?;
    match sealed.connection.status {
        ConnectionStatus::Active => Ok(sealed),
        ConnectionStatus::Revoked => Err(AppError::Gone(format!(
            "connection {} to `{}` was revoked",
            sealed.connection.id, sealed.connection.plugin_id
        ))),
        ConnectionStatus::Broken => Err(broken(&sealed.connection)),
    }
}

fn broken(connection: &Connection) -> AppError {
    AppError::Conflict(format!(
        "connection {} to `{}` is broken: the provider no longer accepts it; connect again",
        connection.id, connection.plugin_id
    ))
}

/// The stored credential when it can be used as it is under `refresh`.
fn fresh_token(
    app: &App,
    current: &SealedConnection,
    refresh: Refresh<'_>,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let sealed = current
        .access_token
        .as_deref()
        .ok_or_else(|| broken(&current.connection))?;
    let token = open(app, ACCESS_TOKEN, sealed)?;
    if current.connection.kind == ConnectionKind::ApiKey {
        return Ok(Some(token));
    }
    let skew = chrono::Duration::from_std(app.settings.token_refresh_skew)
        .unwrap_or(chrono::Duration::zero());
    let fresh = match refresh {
        Refresh::WhenExpired => !needs_refresh(current.connection.expires_at, now, skew),
        Refresh::Rejected(rejected) => rejected != token,
    };
    Ok(fresh.then_some(token))
}

/// Marks `connection` broken, forgets its tokens and tells its owner, in one
/// transaction (nested in `db`'s when it is one, which holds the row locked), so the
/// notice exists exactly when the connection is broken.
async fn break_connection(
    db: &impl TransactionTrait,
    connection: &Connection,
    why: &str,
) -> Result<()> {
    let now = Utc::now();
    let txn = db.begin().await.map_err(StoreError::from)?;
    let ended = stored::end(
        &txn,
        connection.org_id,
        connection.id,
        ConnectionStatus::Broken,
        now,
    )
    .await?;
    if !ended {
        return Ok(());
    }
    // A team's connection is the team's admins' to mend, whoever made it.
    let mut told = match connection.owner {
        ConnectionOwner::User(user) => vec![user],
        ConnectionOwner::Team(team) => crate::store::teams::managers(&txn, TeamId(team)).await?,
    };
    if told.is_empty() {
        told.push(connection.created_by);
    }
    let message = format!(
        "The connection to {} stopped working: the provider refused to renew its access \
         ({why}). Connect again to resume syncing.",
        connection.plugin_id
    );
    for user_id in told {
        let notice = Notification::new(
            connection.org_id,
            user_id,
            CONNECTION_BROKEN,
            format!("connection:{}", connection.id),
            message.clone(),
            now,
        );
        notifications::insert(&txn, &notice).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    tracing::warn!(
        org.id = %connection.org_id, connection.id = %connection.id,
        plugin.id = connection.plugin_id, reason = why, "connection broken"
    );
    Ok(())
}

/// Revokes connection `id`: at the provider when it has a revocation endpoint (a
/// failure there is logged, the local revocation happens regardless: the owner asked
/// for it), then here, forgetting the tokens.
pub async fn revoke(app: &App, caller: Caller, id: ConnectionId) -> Result<Connection> {
    let _turn = app.refresh_turns.take(id).await;
    let sealed = stored::find_sealed(&app.db, caller.org_id, id, false)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("connection `{id}` does not exist")))?;
    check_owner(app, caller, sealed.connection.owner).await?;
    let connection = &sealed.connection;
    if connection.kind == ConnectionKind::OAuth
        && let Ok(provider) = provider(app, caller.org_id, &connection.plugin_id).await
    {
        let tokens = [
            (
                sealed.refresh_token.as_deref(),
                REFRESH_TOKEN,
                TokenKind::Refresh,
            ),
            (
                sealed.access_token.as_deref(),
                ACCESS_TOKEN,
                TokenKind::Access,
            ),
        ];
        for (token, purpose, kind) in tokens {
            let Some(token) = token else { continue };
            let token = open(app, purpose, token)?;
            if let Err(err) = oauth::revoke(&app.oauth_http, &provider, &token, kind).await {
                tracing::warn!(
                    connection.id = %id, plugin.id = connection.plugin_id, error = %err,
                    "the provider did not confirm the revocation"
                );
            }
        }
    }
    stored::end(
        &app.db,
        caller.org_id,
        id,
        ConnectionStatus::Revoked,
        Utc::now(),
    )
    .await?;
    stored::find(&app.db, caller.org_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("connection `{id}` does not exist")))
}

/// `owner`'s connections, without their secrets.
pub async fn list(app: &App, caller: Caller, owner: ConnectionOwner) -> Result<Vec<Connection>> {
    check_owner(app, caller, owner).await?;
    Ok(stored::list_for_owner(&app.db, caller.org_id, owner).await?)
}

/// Names the provider account connection `id` stands for (`ada@example.com`), as the
/// plugin host learns it from the provider after connecting.
pub async fn set_account_label(app: &App, org: OrgId, id: ConnectionId, label: &str) -> Result<()> {
    if stored::set_account_label(&app.db, org, id, label, Utc::now()).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!(
            "connection `{id}` does not exist"
        )))
    }
}

fn open(app: &App, purpose: &'static str, sealed: &str) -> Result<String> {
    app.settings
        .secret_key
        .open(purpose, sealed)
        .map_err(|err: OpenError| {
            AppError::Internal(StoreError::Corrupt {
                what: purpose,
                detail: err.to_string(),
            })
        })
}

fn upstream(err: OAuthError) -> AppError {
    AppError::Upstream(err.to_string())
}
