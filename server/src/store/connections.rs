//! Connections to outside providers. Tokens go in and come out sealed: this module
//! never sees a secret in the clear, and [`Connection`] (what listings return) carries
//! none at all; only [`find_sealed`] hands the sealed values to the bearer use case.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::Result;
use super::codec::{from_json, from_ms, to_json, to_ms, word};
use super::entities::connections;
use crate::domain::connection::{ConnectionId, ConnectionKind, ConnectionOwner, ConnectionStatus};
use crate::domain::ids::{OrgId, UserId};

/// A connection as anyone may see it: no tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Row id.
    pub id: ConnectionId,
    /// The tenant.
    pub org_id: OrgId,
    /// The plugin whose provider it is for.
    pub plugin_id: String,
    /// Whose account at the provider.
    pub owner: ConnectionOwner,
    /// Who connected it last (told when it breaks, for a team connection).
    pub created_by: UserId,
    /// OAuth or API key.
    pub kind: ConnectionKind,
    /// When the current access token expires, if the provider said.
    pub expires_at: Option<DateTime<Utc>>,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// Which account at the provider (`ada@example.com`), when known.
    pub account_label: Option<String>,
    /// Usable, revoked or broken.
    pub status: ConnectionStatus,
    /// When it was first made.
    pub created_at: DateTime<Utc>,
    /// When its tokens or status last changed.
    pub updated_at: DateTime<Utc>,
}

/// A connection with its secrets, still sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedConnection {
    /// The connection.
    pub connection: Connection,
    /// The sealed access token or API key; `None` once revoked or broken.
    pub access_token: Option<String>,
    /// The sealed refresh token, when the provider gave one.
    pub refresh_token: Option<String>,
}

/// Fresh credentials for a connection, sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedCredentials {
    /// The sealed access token or API key.
    pub access_token: String,
    /// The sealed refresh token, if any.
    pub refresh_token: Option<String>,
    /// When the access token expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// Scopes granted.
    pub scopes: Vec<String>,
}

/// What [`connect`] stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConnection {
    /// The tenant.
    pub org_id: OrgId,
    /// The plugin.
    pub plugin_id: String,
    /// Whose account.
    pub owner: ConnectionOwner,
    /// Who is connecting.
    pub created_by: UserId,
    /// OAuth or API key.
    pub kind: ConnectionKind,
    /// The credentials.
    pub credentials: SealedCredentials,
    /// Which account, when known.
    pub account_label: Option<String>,
}

fn to_connection(m: &connections::Model) -> Result<Connection> {
    let owner = match (m.owner_user_id, m.owner_team_id) {
        (Some(user), None) => ConnectionOwner::User(UserId(user)),
        (None, Some(team)) => ConnectionOwner::Team(team),
        _ => {
            return Err(super::StoreError::Corrupt {
                what: "connection owner",
                detail: m.owner_key.clone(),
            });
        }
    };
    Ok(Connection {
        id: ConnectionId(m.id),
        org_id: OrgId(m.org_id),
        plugin_id: m.plugin_id.clone(),
        owner,
        created_by: UserId(m.created_by_user_id),
        kind: word("connection kind", &m.kind, ConnectionKind::parse)?,
        expires_at: m.expires_ms.map(from_ms).transpose()?,
        scopes: from_json("connection scopes", &m.scopes)?,
        account_label: m.account_label.clone(),
        status: word("connection status", &m.status, ConnectionStatus::parse)?,
        created_at: from_ms(m.created_ms)?,
        updated_at: from_ms(m.updated_ms)?,
    })
}

fn to_sealed(m: connections::Model) -> Result<SealedConnection> {
    Ok(SealedConnection {
        connection: to_connection(&m)?,
        access_token: m.access_token_sealed,
        refresh_token: m.refresh_token_sealed,
    })
}

/// Stores `new` active as of `now`, replacing the credentials of the owner's existing
/// connection to the same plugin (a reconnect keeps the id installations point at).
pub async fn connect(
    db: &impl ConnectionTrait,
    new: &NewConnection,
    now: DateTime<Utc>,
) -> Result<Connection> {
    let (owner_user_id, owner_team_id) = match new.owner {
        ConnectionOwner::User(user) => (Some(user.0), None),
        ConnectionOwner::Team(team) => (None, Some(team)),
    };
    let row = connections::ActiveModel {
        id: NotSet,
        org_id: Set(new.org_id.0),
        plugin_id: Set(new.plugin_id.clone()),
        owner_user_id: Set(owner_user_id),
        owner_team_id: Set(owner_team_id),
        owner_key: Set(new.owner.key()),
        created_by_user_id: Set(new.created_by.0),
        kind: Set(new.kind.as_str().to_string()),
        access_token_sealed: Set(Some(new.credentials.access_token.clone())),
        refresh_token_sealed: Set(new.credentials.refresh_token.clone()),
        expires_ms: Set(new.credentials.expires_at.map(to_ms)),
        scopes: Set(to_json(&new.credentials.scopes)),
        account_label: Set(new.account_label.clone()),
        status: Set(ConnectionStatus::Active.as_str().to_string()),
        created_ms: Set(to_ms(now)),
        updated_ms: Set(to_ms(now)),
    };
    use connections::Column as C;
    connections::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([C::OrgId, C::PluginId, C::OwnerKey])
                .update_columns([
                    C::CreatedByUserId,
                    C::Kind,
                    C::AccessTokenSealed,
                    C::RefreshTokenSealed,
                    C::ExpiresMs,
                    C::Scopes,
                    C::AccountLabel,
                    C::Status,
                    C::UpdatedMs,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let row = connections::Entity::find()
        .filter(C::OrgId.eq(new.org_id.0))
        .filter(C::PluginId.eq(new.plugin_id.as_str()))
        .filter(C::OwnerKey.eq(new.owner.key()))
        .one(db)
        .await?
        .ok_or_else(|| super::StoreError::Corrupt {
            what: "connection",
            detail: "missing right after it was written".into(),
        })?;
    to_connection(&row)
}

/// Connection `id` of `org` with its sealed secrets. With `lock`, inside a
/// transaction on PostgreSQL, the row stays locked until that transaction ends, so
/// refreshes of one connection from several processes take turns. (SQLite has one
/// process and no row locks; the caller serializes in memory.)
pub async fn find_sealed(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: ConnectionId,
    lock: bool,
) -> Result<Option<SealedConnection>> {
    let mut query =
        connections::Entity::find_by_id(id.0).filter(connections::Column::OrgId.eq(org.0));
    if lock && db.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(db).await?.map(to_sealed).transpose()
}

/// Connection `id` of `org`, without secrets.
pub async fn find(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: ConnectionId,
) -> Result<Option<Connection>> {
    Ok(find_sealed(db, org, id, false)
        .await?
        .map(|sealed| sealed.connection))
}

/// `owner`'s connections in `org`, oldest first, without secrets.
pub async fn list_for_owner(
    db: &impl ConnectionTrait,
    org: OrgId,
    owner: ConnectionOwner,
) -> Result<Vec<Connection>> {
    connections::Entity::find()
        .filter(connections::Column::OrgId.eq(org.0))
        .filter(connections::Column::OwnerKey.eq(owner.key()))
        .order_by_asc(connections::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(to_connection)
        .collect()
}

/// Replaces connection `id`'s credentials after a refresh.
pub async fn set_credentials(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: ConnectionId,
    credentials: &SealedCredentials,
    now: DateTime<Utc>,
) -> Result<()> {
    update(db, org, id, |row| {
        row.access_token_sealed = Set(Some(credentials.access_token.clone()));
        row.refresh_token_sealed = Set(credentials.refresh_token.clone());
        row.expires_ms = Set(credentials.expires_at.map(to_ms));
        row.scopes = Set(to_json(&credentials.scopes));
        row.updated_ms = Set(to_ms(now));
    })
    .await?;
    Ok(())
}

/// Ends connection `id` as `status` (revoked or broken) and forgets its secrets: a
/// token that can no longer be used has no business lingering in the database.
/// `false` when it had already ended so (two refreshes failing at once end it once).
pub async fn end(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: ConnectionId,
    status: ConnectionStatus,
    now: DateTime<Utc>,
) -> Result<bool> {
    let row = connections::ActiveModel {
        status: Set(status.as_str().to_string()),
        access_token_sealed: Set(None),
        refresh_token_sealed: Set(None),
        expires_ms: Set(None),
        updated_ms: Set(to_ms(now)),
        ..Default::default()
    };
    let ended = connections::Entity::update_many()
        .set(row)
        .filter(connections::Column::Id.eq(id.0))
        .filter(connections::Column::OrgId.eq(org.0))
        .filter(connections::Column::Status.ne(status.as_str()))
        .exec(db)
        .await?;
    Ok(ended.rows_affected > 0)
}

/// Names the provider account connection `id` stands for; `false` when `org` has no
/// such connection.
pub async fn set_account_label(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: ConnectionId,
    label: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let updated = update(db, org, id, |row| {
        row.account_label = Set(Some(label.to_string()));
        row.updated_ms = Set(to_ms(now));
    })
    .await?;
    Ok(updated > 0)
}

async fn update(
    db: &impl ConnectionTrait,
    org: OrgId,
    id: ConnectionId,
    change: impl FnOnce(&mut connections::ActiveModel),
) -> Result<u64> {
    let mut row = connections::ActiveModel {
        id: sea_orm::Unchanged(id.0),
        ..Default::default()
    };
    change(&mut row);
    let updated = connections::Entity::update_many()
        .set(row)
        .filter(connections::Column::Id.eq(id.0))
        .filter(connections::Column::OrgId.eq(org.0))
        .exec(db)
        .await?;
    Ok(updated.rows_affected)
}
