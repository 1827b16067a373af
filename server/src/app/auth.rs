//! API keys: `cnv_` followed by 40 hex characters, stored only as a SHA-256 hash.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{AppError, Result};
use crate::domain::ids::{OrgId, UserId};
use crate::store::{self, Db, api_keys::KeyOwner};

/// The prefix every Convene API key starts with, so leaked keys are easy to scan for.
pub const KEY_PREFIX: &str = "cnv_";

/// An authenticated caller: a user acting inside their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The tenant every query is scoped to.
    pub org_id: OrgId,
    /// The user the key belongs to.
    pub user_id: UserId,
}

/// The hash under which a key is stored.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A fresh random key.
pub fn generate_key() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", hex::encode(bytes))
}

/// Stores `key` for `owner`; the caller shows the key once and never again.
pub async fn register_key(db: &Db, owner: KeyOwner, name: &str, key: &str) -> Result<()> {
    let prefix: String = key.chars().take(KEY_PREFIX.len() + 6).collect();
    store::api_keys::insert(db, owner, name, &prefix, &hash_key(key)).await?;
    Ok(())
}

/// The caller a bearer key stands for.
pub async fn authenticate(db: &Db, key: &str) -> Result<Caller> {
    if !key.starts_with(KEY_PREFIX) {
        return Err(AppError::Unauthorized(format!(
            "API keys start with `{KEY_PREFIX}`"
        )));
    }
    let owner = store::api_keys::find_owner(db, &hash_key(key))
        .await?
        .ok_or_else(|| AppError::Unauthorized("the API key is not valid".into()))?;
    Ok(Caller {
        org_id: owner.org_id,
        user_id: owner.user_id,
    })
}
