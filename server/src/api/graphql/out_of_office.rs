//! Out of office (REST `/v2/me/ooo`): the caller's absences.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::Utc;

use super::error::GqlResult;
use super::page::{Page, page_request};
use super::scalars::UtcTime;
use super::{app, caller, field_id, lookup_id, to_id};
use crate::app::out_of_office::{self, OutOfOfficeInput as AppInput};
use crate::domain::ids::OutOfOfficeId;
use crate::domain::out_of_office::OutOfOffice as DomainEntry;

/// A time the user is away.
#[derive(Debug, Clone, SimpleObject)]
pub struct OutOfOffice {
    /// The entry's id.
    pub id: ID,
    /// Who is away.
    pub user_id: ID,
    /// The teammate invitees go to meanwhile.
    pub to_user_id: Option<ID>,
    /// First instant away.
    pub start: UtcTime,
    /// First instant back.
    pub end: UtcTime,
    /// A note for the team.
    pub notes: Option<String>,
    /// `unspecified`, `vacation`, `travel`, `sick` or `public_holiday`.
    pub reason: String,
}

impl From<DomainEntry> for OutOfOffice {
    fn from(e: DomainEntry) -> OutOfOffice {
        OutOfOffice {
            id: to_id(e.id.0),
            user_id: to_id(e.user_id.0),
            to_user_id: e.redirect_to.map(|u| to_id(u.0)),
            start: UtcTime(e.span.start),
            end: UtcTime(e.span.end),
            notes: e.notes,
            reason: e.reason.as_str().to_string(),
        }
    }
}

/// An absence to record, or the parts to change.
#[derive(Debug, Clone, InputObject)]
pub struct OutOfOfficeInput {
    /// An ISO 8601 instant, or a date: the start of that day in the user's zone.
    pub start: Option<String>,
    /// An ISO 8601 instant, or a date: the end of that day in the user's zone.
    pub end: Option<String>,
    /// `unspecified` (default), `vacation`, `travel`, `sick` or `public_holiday`.
    pub reason: Option<String>,
    /// A note for the team.
    pub notes: Option<String>,
    /// A user of the organization invitees go to meanwhile.
    pub to_user_id: Option<ID>,
}

impl OutOfOfficeInput {
    fn into_app(self) -> Result<AppInput, crate::app::AppError> {
        Ok(AppInput {
            start: self.start,
            end: self.end,
            reason: self.reason,
            notes: self.notes,
            to_user_id: self
                .to_user_id
                .map(|id| field_id("toUserId", &id))
                .transpose()?,
        })
    }
}

fn entry_id(id: &ID) -> GqlResult<OutOfOfficeId> {
    Ok(OutOfOfficeId(lookup_id("out-of-office entry", id)?))
}

/// Out-of-office queries.
#[derive(Default)]
pub struct OutOfOfficeQuery;

#[Object]
impl OutOfOfficeQuery {
    /// One page of the caller's out-of-office entries, newest first.
    async fn out_of_office(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<OutOfOffice>> {
        let page =
            out_of_office::list(app(ctx)?, caller(ctx)?, &page_request(cursor, limit)).await?;
        Ok(page.into())
    }
}

/// Out-of-office changes.
#[derive(Default)]
pub struct OutOfOfficeMutation;

#[Object]
impl OutOfOfficeMutation {
    /// Records an absence of the caller (and an `OOO_CREATED` event).
    async fn create_out_of_office(
        &self,
        ctx: &Context<'_>,
        input: OutOfOfficeInput,
    ) -> GqlResult<OutOfOffice> {
        let entry =
            out_of_office::create(app(ctx)?, caller(ctx)?, input.into_app()?, Utc::now()).await?;
        Ok(entry.into())
    }

    /// Changes the parts of an absence that `input` sends.
    async fn update_out_of_office(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: OutOfOfficeInput,
    ) -> GqlResult<OutOfOffice> {
        let entry = out_of_office::update(
            app(ctx)?,
            caller(ctx)?,
            entry_id(&id)?,
            input.into_app()?,
            Utc::now(),
        )
        .await?;
        Ok(entry.into())
    }

    /// Deletes an absence; answers its id.
    async fn delete_out_of_office(&self, ctx: &Context<'_>, id: ID) -> GqlResult<ID> {
        out_of_office::delete(app(ctx)?, caller(ctx)?, entry_id(&id)?).await?;
        Ok(id)
    }
}
