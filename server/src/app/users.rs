//! The calling user.

use super::auth::Caller;
use super::{App, AppError, Result};
use crate::domain::user::User;
use crate::store;

/// The user behind the caller's API key.
pub async fn me(app: &App, caller: Caller) -> Result<User> {
    store::users::find(&app.db, caller.org_id, caller.user_id)
        .await?
        .ok_or_else(|| AppError::Unauthorized("the API key's user no longer exists".into()))
}
