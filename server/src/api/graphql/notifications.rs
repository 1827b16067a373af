//! The caller's notices from Convene (REST `/v2/me/notifications`).

use async_graphql::{Context, ID, Object, SimpleObject};

use super::error::GqlResult;
use super::page::{Page, page_request};
use super::scalars::UtcTime;
use super::{app, caller, lookup_id, to_id};
use crate::app::notifications;
use crate::store::notifications::Notification as StoredNotification;

/// Something Convene told the user, such as a webhook switched off after failing.
#[derive(Debug, Clone, SimpleObject)]
pub struct Notification {
    /// The notice's id.
    pub id: ID,
    /// What happened, e.g. `WEBHOOK_DISABLED`.
    pub kind: String,
    /// What it is about, as `type:id` (`webhook:12`).
    pub subject: String,
    /// The sentence to show.
    pub message: String,
    /// When it was raised.
    pub created_at: UtcTime,
    /// When the user marked it read; null while unread.
    pub read_at: Option<UtcTime>,
}

impl From<StoredNotification> for Notification {
    fn from(n: StoredNotification) -> Notification {
        Notification {
            id: to_id(n.id),
            kind: n.kind,
            subject: n.subject,
            message: n.message,
            created_at: UtcTime(n.created_at),
            read_at: n.read_at.map(UtcTime),
        }
    }
}

/// Queries about the caller's notices.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// One page of the caller's notices, newest first. Needs a key.
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<Notification>> {
        let page =
            notifications::list(app(ctx)?, caller(ctx)?, page_request(cursor, limit)).await?;
        Ok(page.into())
    }

    /// How many of the caller's notices are unread. Needs a key.
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> GqlResult<u64> {
        Ok(notifications::unread_count(app(ctx)?, caller(ctx)?).await?)
    }
}

/// Changes to the caller's notices.
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks one of the caller's notices read; marking it again keeps the first time.
    async fn mark_notification_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The notice's id.")] id: ID,
    ) -> GqlResult<Notification> {
        let id = lookup_id("notification", &id)?;
        Ok(notifications::mark_read(app(ctx)?, caller(ctx)?, id)
            .await?
            .into())
    }
}
