//! The caller's connections to outside providers (made through `/oauth/{plugin}/start`
//! or with an API key). Tokens are never readable here: only their state is.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};

use super::error::GqlResult;
use super::scalars::UtcTime;
use super::{app, caller, lookup_id, to_id};
use crate::app::connections;
use crate::domain::connection::{self as domain, ConnectionId, ConnectionOwner};
use crate::store::connections::Connection as StoredConnection;

/// How Convene authenticates to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ConnectionKind {
    /// OAuth 2.0 tokens, refreshed by Convene.
    Oauth,
    /// An API key the owner gave.
    ApiKey,
}

/// Whether a connection can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ConnectionStatus {
    /// Usable.
    Active,
    /// Withdrawn by its owner.
    Revoked,
    /// The provider no longer accepts it; connect again.
    Broken,
}

/// An account at an outside provider that Convene may act as.
#[derive(Debug, Clone, SimpleObject)]
pub struct Connection {
    /// The connection's id.
    pub id: ID,
    /// The plugin whose provider it is for.
    pub plugin: String,
    /// OAuth or API key.
    pub kind: ConnectionKind,
    /// Usable, revoked or broken.
    pub status: ConnectionStatus,
    /// Which account at the provider, when known.
    pub account_label: Option<String>,
    /// The scopes granted.
    pub scopes: Vec<String>,
    /// When the current access token expires (Convene refreshes it); null for keys.
    pub expires_at: Option<UtcTime>,
    /// When it was first made.
    pub created_at: UtcTime,
    /// When its credentials or status last changed.
    pub updated_at: UtcTime,
}

impl From<StoredConnection> for Connection {
    fn from(c: StoredConnection) -> Connection {
        Connection {
            id: to_id(c.id.0),
            plugin: c.plugin_id,
            kind: match c.kind {
                domain::ConnectionKind::OAuth => ConnectionKind::Oauth,
                domain::ConnectionKind::ApiKey => ConnectionKind::ApiKey,
            },
            status: match c.status {
                domain::ConnectionStatus::Active => ConnectionStatus::Active,
                domain::ConnectionStatus::Revoked => ConnectionStatus::Revoked,
                domain::ConnectionStatus::Broken => ConnectionStatus::Broken,
            },
            account_label: c.account_label,
            scopes: c.scopes,
            expires_at: c.expires_at.map(UtcTime),
            created_at: UtcTime(c.created_at),
            updated_at: UtcTime(c.updated_at),
        }
    }
}

/// Queries about the caller's connections.
#[derive(Default)]
pub struct ConnectionQuery;

#[Object]
impl ConnectionQuery {
    /// The caller's own connections, oldest first. Needs a key.
    async fn connections(&self, ctx: &Context<'_>) -> GqlResult<Vec<Connection>> {
        let caller = caller(ctx)?;
        let owner = ConnectionOwner::User(caller.user_id);
        let list = connections::list(app(ctx)?, caller, owner).await?;
        Ok(list.into_iter().map(Connection::from).collect())
    }
}

/// Changes to the caller's connections.
#[derive(Default)]
pub struct ConnectionMutation;

#[Object]
impl ConnectionMutation {
    /// Stores an API key for a provider that uses keys (sealed at rest), replacing the
    /// caller's earlier connection to the same plugin.
    async fn connect_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plugin id, e.g. `stripe`.")] plugin: String,
        #[graphql(desc = "The key; never shown again.")] api_key: String,
        #[graphql(desc = "Which account it belongs to, for people to read.")] account_label: Option<
            String,
        >,
    ) -> GqlResult<Connection> {
        let caller = caller(ctx)?;
        let owner = ConnectionOwner::User(caller.user_id);
        Ok(connections::connect_api_key(
            app(ctx)?,
            caller,
            &plugin,
            owner,
            &api_key,
            account_label.as_deref(),
        )
        .await?
        .into())
    }

    /// Revokes one of the caller's connections, at the provider too when it can.
    async fn revoke_connection(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The connection's id.")] id: ID,
    ) -> GqlResult<Connection> {
        let id = ConnectionId(lookup_id("connection", &id)?);
        Ok(connections::revoke(app(ctx)?, caller(ctx)?, id)
            .await?
            .into())
    }
}
