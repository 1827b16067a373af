//! Pages of every list field: one generic shape, `{items, nextCursor, hasMore}`, named
//! per item type so clients see `BookingPage`, `EventTypePage` and so on.

use async_graphql::{OutputType, SimpleObject};

use super::bookings::Booking;
use super::customers::{Customer, Meeting};
use super::event_types::EventType;
use super::notifications::Notification;
use super::out_of_office::OutOfOffice;
use super::plugins::InboundEvent;
use super::routing_forms::{FormResponse, RoutingForm};
use super::schedules::Schedule;
use super::scheduling_links::SchedulingLink;
use super::webhooks::{Webhook, WebhookDelivery};
use crate::app::page::{self, PageRequest};

/// One page of a list; pass `nextCursor` back as `cursor` for the next.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(
    concrete(name = "BookingPage", params(Booking)),
    concrete(name = "CustomerPage", params(Customer)),
    concrete(name = "EventTypePage", params(EventType)),
    concrete(name = "FormResponsePage", params(FormResponse)),
    concrete(name = "InboundEventPage", params(InboundEvent)),
    concrete(name = "MeetingPage", params(Meeting)),
    concrete(name = "NotificationPage", params(Notification)),
    concrete(name = "OutOfOfficePage", params(OutOfOffice)),
    concrete(name = "RoutingFormPage", params(RoutingForm)),
    concrete(name = "SchedulePage", params(Schedule)),
    concrete(name = "SchedulingLinkPage", params(SchedulingLink)),
    concrete(name = "WebhookPage", params(Webhook)),
    concrete(name = "WebhookDeliveryPage", params(WebhookDelivery))
)]
pub struct Page<T: OutputType> {
    /// The items on this page, in list order.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Whether another page follows.
    pub has_more: bool,
}

impl<T: OutputType, U: Into<T>> From<page::Page<U>> for Page<T> {
    fn from(page: page::Page<U>) -> Page<T> {
        Page {
            has_more: page.has_more(),
            next_cursor: page.next_cursor,
            items: page.items.into_iter().map(Into::into).collect(),
        }
    }
}

/// A list field's query complexity: what one row selects, times the rows the page may
/// hold, so that a page of 250 customers with their health costs what it really does.
pub fn page_complexity(limit: Option<i32>, child_complexity: usize) -> usize {
    let rows = limit
        .map_or(page::DEFAULT_LIMIT, i64::from)
        .clamp(1, page::MAX_LIMIT);
    usize::try_from(rows)
        .unwrap_or(1)
        .saturating_mul(child_complexity)
}

/// The page a list field's `cursor` and `limit` arguments ask for.
pub fn page_request(cursor: Option<String>, limit: Option<i32>) -> PageRequest {
    PageRequest {
        cursor,
        limit: limit.map(i64::from),
    }
}
