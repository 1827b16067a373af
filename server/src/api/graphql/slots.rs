//! Slots an invitee can choose from (REST `GET /v2/slots`), grouped by day in the
//! invitee's zone with times written in that zone.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;

use super::error::GqlResult;
use super::{app, field_id};
use crate::app::availability::{self, EventTypeRef, SlotsInput, SlotsView};

/// One bookable slot.
#[derive(Debug, Clone, SimpleObject)]
pub struct Slot {
    /// The start, ISO 8601 in the requested zone with its offset: `2026-11-20T09:00:00.000+01:00`.
    pub start: String,
    /// The end, written like `start`.
    pub end: String,
    /// Seats taken, on a seated event type.
    pub seats_booked: Option<u32>,
    /// Seats still free, on a seated event type.
    pub seats_remaining: Option<u32>,
    /// Seats the slot has, on a seated event type.
    pub seats_total: Option<u32>,
}

/// The slots of one day in the requested zone; days without slots are left out.
#[derive(Debug, Clone, SimpleObject)]
pub struct SlotDay {
    /// `YYYY-MM-DD` in `timeZone`.
    pub date: String,
    /// The zone the date and times are in: the one asked for, or the event type's
    /// locked zone.
    pub time_zone: String,
    /// Whether `timeZone` is the event type's locked zone rather than the one asked for.
    pub time_zone_locked: bool,
    /// The day's slots, in order.
    pub slots: Vec<Slot>,
}

/// The slots grouped by their date in the view's zone.
pub(super) fn by_date(view: &SlotsView) -> Vec<SlotDay> {
    let mut days: Vec<SlotDay> = Vec::new();
    for offered in &view.slots {
        let span = offered.span;
        let date = span
            .start
            .with_timezone(&view.time_zone)
            .date_naive()
            .to_string();
        let slot = Slot {
            start: crate::api::format::local(span.start, view.time_zone),
            end: crate::api::format::local(span.end, view.time_zone),
            seats_booked: offered.seats.map(|s| s.booked),
            seats_remaining: offered.seats.map(|s| s.remaining()),
            seats_total: offered.seats.map(|s| s.total),
        };
        match days.last_mut() {
            Some(day) if day.date == date => day.slots.push(slot),
            _ => days.push(SlotDay {
                date,
                time_zone: view.time_zone.name().to_string(),
                time_zone_locked: view.time_zone_locked,
                slots: vec![slot],
            }),
        }
    }
    days
}

/// The slots query; no key needed.
#[derive(Default)]
pub struct SlotQuery;

#[Object]
impl SlotQuery {
    /// The free slots of an event type, named by `eventTypeId` or by `username` with
    /// `eventTypeSlug`, between `start` and `end`. No key needed.
    #[allow(clippy::too_many_arguments)]
    async fn slots(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event type's id.")] event_type_id: Option<ID>,
        #[graphql(desc = "The host's username, with `eventTypeSlug`.")] username: Option<String>,
        #[graphql(desc = "The event type's slug, with `username` or `teamSlug`.")]
        event_type_slug: Option<String>,
        #[graphql(desc = "The team's slug, with `eventTypeSlug` (a team event type).")]
        team_slug: Option<String>,
        #[graphql(
            desc = "An ISO 8601 instant, or a date `YYYY-MM-DD` meaning the start of that day in `timeZone`."
        )]
        start: String,
        #[graphql(
            desc = "An ISO 8601 instant, or a date `YYYY-MM-DD` meaning the end of that day in `timeZone`."
        )]
        end: String,
        #[graphql(desc = "The invitee's IANA zone (default `UTC`): dates and times are in it.")]
        time_zone: Option<String>,
        #[graphql(desc = "One of the event type's lengths in minutes (default: its length).")]
        duration: Option<i32>,
        #[graphql(desc = "The uid of a booking being rescheduled: its own time counts as free.")]
        booking_uid_to_reschedule: Option<String>,
    ) -> GqlResult<Vec<SlotDay>> {
        let app = app(ctx)?;
        let id = event_type_id
            .as_ref()
            .map(|id| field_id("eventTypeId", id))
            .transpose()?;
        let input = SlotsInput {
            event_type: EventTypeRef::from_fields(id, username, team_slug, event_type_slug)?,
            start,
            end,
            time_zone,
            duration: duration.map(i64::from),
            booking_uid_to_reschedule,
        };
        let view = availability::slots(app, input, Utc::now()).await?;
        Ok(by_date(&view))
    }
}
