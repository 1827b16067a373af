//! A host's connected calendars: which calendars a calendar installation (Google
//! Calendar, Outlook, ...) sees, which are checked for conflicts and which one receives
//! new bookings.

use async_graphql::{Context, ID, Object, SimpleObject};

use super::error::GqlResult;
use super::{app, caller, lookup_id};
use crate::app::calendars;
use crate::store::calendars::CalendarChoice;

/// One calendar of a connected account.
#[derive(Debug, Clone, SimpleObject)]
pub struct ConnectedCalendar {
    /// The provider's id of the calendar.
    pub id: String,
    pub name: String,
    /// The account's main calendar.
    pub primary: bool,
    /// Whether bookings can be written to it.
    pub writable: bool,
    pub time_zone: Option<String>,
    /// Its busy times remove the host's slots.
    pub checked: bool,
    /// New bookings' events are written to it.
    pub destination: bool,
}

impl From<CalendarChoice> for ConnectedCalendar {
    fn from(c: CalendarChoice) -> ConnectedCalendar {
        ConnectedCalendar {
            id: c.calendar_id,
            name: c.name,
            primary: c.primary,
            writable: c.writable,
            time_zone: c.time_zone,
            checked: c.checked,
            destination: c.destination,
        }
    }
}

#[derive(Default)]
pub struct CalendarQuery;

#[Object]
impl CalendarQuery {
    /// The calendars of calendar installation `installationId`, asked of the provider
    /// (the last list seen when it cannot be reached): for its owner or an org admin.
    async fn connected_calendars(
        &self,
        ctx: &Context<'_>,
        installation_id: ID,
    ) -> GqlResult<Vec<ConnectedCalendar>> {
        let id = lookup_id("plugin installation", &installation_id)?;
        let listed = calendars::list(app(ctx)?, caller(ctx)?, id).await?;
        Ok(listed.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct CalendarMutation;

#[Object]
impl CalendarMutation {
    /// Chooses which calendars are checked for conflicts and which one receives new
    /// bookings (none: the account's primary calendar). Unknown calendars, and a
    /// read-only destination, are refused naming the field.
    async fn choose_calendars(
        &self,
        ctx: &Context<'_>,
        installation_id: ID,
        checked: Vec<String>,
        destination: Option<String>,
    ) -> GqlResult<Vec<ConnectedCalendar>> {
        let id = lookup_id("plugin installation", &installation_id)?;
        let chosen = calendars::choose(
            app(ctx)?,
            caller(ctx)?,
            id,
            &checked,
            destination.as_deref(),
        )
        .await?;
        Ok(chosen.into_iter().map(Into::into).collect())
    }
}
