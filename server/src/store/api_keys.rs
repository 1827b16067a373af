//! API keys. Only a SHA-256 hash is stored; the key itself is shown once.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::Result;
use super::codec::to_ms;
use super::entities::api_keys;
use crate::domain::ids::{OrgId, UserId};

/// Who a key acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyOwner {
    /// The tenant.
    pub org_id: OrgId,
    /// The user.
    pub user_id: UserId,
}

/// The owner of the key whose hash is `key_hash`.
pub async fn find_owner(db: &impl ConnectionTrait, key_hash: &str) -> Result<Option<KeyOwner>> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(key_hash))
        .one(db)
        .await?
        .map(|m| KeyOwner {
            org_id: OrgId(m.org_id),
            user_id: UserId(m.user_id),
        }))
}

/// Stores a key's hash; `prefix` is the first characters of the key, kept to tell keys apart.
pub async fn insert(
    db: &impl ConnectionTrait,
    owner: KeyOwner,
    name: &str,
    prefix: &str,
    key_hash: &str,
) -> Result<()> {
    api_keys::ActiveModel {
        org_id: Set(owner.org_id.0),
        user_id: Set(owner.user_id.0),
        name: Set(name.to_string()),
        prefix: Set(prefix.to_string()),
        key_hash: Set(key_hash.to_string()),
        created_ms: Set(to_ms(Utc::now())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
