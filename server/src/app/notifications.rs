//! Notices from Convene to a user: things the owner must learn about without watching
//! logs, such as a webhook switched off after failing again and again. They are written
//! in the same transaction as the change they report, so none is lost or invented.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::auth::Caller;
use super::page::{Page, PageRequest};
use super::{App, AppError, Result};
use crate::store::notifications::{self, Notification};
use crate::store::webhooks::Subscription;

/// The kind of notice raised when a subscription is switched off.
pub const WEBHOOK_DISABLED: &str = "WEBHOOK_DISABLED";

/// Tells `subscription`'s owner it was switched off, and why, inside the caller's
/// transaction `db`.
pub(crate) async fn webhook_disabled(
    db: &impl ConnectionTrait,
    subscription: &Subscription,
    failures: u32,
    now: DateTime<Utc>,
) -> Result<Notification> {
    let notice = Notification {
        id: 0,
        org_id: subscription.org_id,
        user_id: subscription.user_id,
        kind: WEBHOOK_DISABLED.to_string(),
        subject: format!("webhook:{}", subscription.id),
        message: format!(
            "Your webhook to {} was switched off after {failures} failed deliveries in a row. \
             Fix the receiver, then set it active again; dead deliveries can be replayed.",
            subscription.subscriber_url
        ),
        created_at: now,
        read_at: None,
    };
    Ok(notifications::insert(db, &notice).await?)
}

/// A page of the caller's notices, newest first.
pub async fn list(app: &App, caller: Caller, page: PageRequest) -> Result<Page<Notification>> {
    let keyset = page.keyset()?;
    let rows = notifications::list_for_user(&app.db, caller.org_id, caller.user_id, keyset).await?;
    Ok(Page::from_rows(rows, &keyset, |n| n.id))
}

/// Marks the caller's notice `id` read.
pub async fn mark_read(app: &App, caller: Caller, id: i64) -> Result<Notification> {
    notifications::mark_read(&app.db, caller.org_id, caller.user_id, id, Utc::now())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("notification `{id}` does not exist")))
}
