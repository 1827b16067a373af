//! Event types: what an invitee can book (REST `/v2/event-types`, same field names).

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};
use serde_json::{Value, json};

use super::error::GqlResult;
use super::page::{Page, page_request};
use super::scalars::UtcTime;
use super::{app, caller, field_id, lookup_id, to_id};
use crate::app::AppError;
use crate::app::event_types::{self, LimitsInput, WindowInput};
use crate::domain::event_type::{BookingField, EventType as DomainEventType, Location};
use crate::domain::ids::EventTypeId;
use crate::domain::recurrence::Recurrence as DomainRecurrence;
use crate::domain::rules::{BookingWindow as DomainWindow, PeriodLimits};

/// Per-period limits of one event type, counted in the schedule's zone.
#[derive(Debug, Clone, SimpleObject)]
pub struct BookingLimits {
    /// Per local day.
    pub day: Option<u32>,
    /// Per ISO week (Monday to Sunday).
    pub week: Option<u32>,
    /// Per calendar month.
    pub month: Option<u32>,
    /// Per calendar year.
    pub year: Option<u32>,
    /// True when there is no limit at all.
    pub disabled: bool,
}

impl From<PeriodLimits> for BookingLimits {
    fn from(l: PeriodLimits) -> BookingLimits {
        BookingLimits {
            day: l.day,
            week: l.week,
            month: l.month,
            year: l.year,
            disabled: l == PeriodLimits::default(),
        }
    }
}

/// How far ahead an event type can be booked, as REST writes it.
#[derive(Debug, Clone, SimpleObject)]
pub struct BookingWindow {
    /// `calendarDays`, `businessDays` or `range`; null when disabled.
    #[graphql(name = "type")]
    pub kind: Option<String>,
    /// A number of days, or `["YYYY-MM-DD", "YYYY-MM-DD"]` for a range; null when disabled.
    pub value: Option<Json<Value>>,
    /// Always false: windows count from today.
    pub rolling: Option<bool>,
    /// True when any future time can be booked.
    pub disabled: bool,
}

impl From<DomainWindow> for BookingWindow {
    fn from(w: DomainWindow) -> BookingWindow {
        let (kind, value) = match w {
            DomainWindow::Unlimited => {
                return BookingWindow {
                    kind: None,
                    value: None,
                    rolling: None,
                    disabled: true,
                };
            }
            DomainWindow::CalendarDays(days) => ("calendarDays", json!(days)),
            DomainWindow::BusinessDays(days) => ("businessDays", json!(days)),
            DomainWindow::DateRange { start, end } => {
                ("range", json!([start.to_string(), end.to_string()]))
            }
        };
        BookingWindow {
            kind: Some(kind.to_string()),
            value: Some(Json(value)),
            rolling: Some(false),
            disabled: false,
        }
    }
}

/// An event type: what an invitee books, and the rules that shape its slots.
#[derive(Debug, Clone, SimpleObject)]
pub struct EventType {
    /// The event type's id.
    pub id: ID,
    /// The host whose time it books.
    pub owner_id: ID,
    /// Title shown to invitees.
    pub title: String,
    /// URL slug, unique per host.
    pub slug: String,
    /// Free text shown on the booking page.
    pub description: String,
    /// Default length in minutes.
    pub length_in_minutes: u32,
    /// Lengths an invitee may choose (empty: only `lengthInMinutes`).
    pub length_in_minutes_options: Vec<u32>,
    /// Slot step in minutes; null means the booked length.
    pub slot_interval: Option<u32>,
    /// Minutes of notice a booking needs.
    pub minimum_booking_notice: u32,
    /// Minutes kept free before each booking.
    pub before_event_buffer: u32,
    /// Minutes kept free after each booking.
    pub after_event_buffer: u32,
    /// The schedule giving availability; null uses the host's default schedule.
    pub schedule_id: Option<ID>,
    /// Maximum bookings per period.
    pub booking_limits_count: BookingLimits,
    /// Maximum booked minutes per period.
    pub booking_limits_duration: BookingLimits,
    /// How far ahead it can be booked.
    pub booking_window: BookingWindow,
    /// Whether new bookings wait for the host's confirmation.
    pub requires_confirmation: bool,
    /// With `requiresConfirmation`: only bookings made less than this many minutes
    /// ahead wait; null: every booking does.
    pub requires_confirmation_threshold_min: Option<u32>,
    /// The IANA zone slots are always shown in, whatever zone is asked for; null: the
    /// invitee's.
    pub locked_time_zone: Option<String>,
    /// Seats per slot: invitees of one slot share one booking; null when not seated.
    pub seats_per_time_slot: Option<u32>,
    /// Whether the invitees of a seated slot see each other.
    pub seats_show_attendees: bool,
    /// How a booking repeats; null when it books one meeting.
    pub recurrence: Option<Recurrence>,
    /// Where meetings happen: Cal.com location objects (`{"type": "address", …}`).
    pub locations: Vec<Json<Location>>,
    /// Extra booking questions (`{"type", "slug", "label", "required", …}`).
    pub booking_fields: Vec<Json<BookingField>>,
    /// When it was created.
    pub created_at: UtcTime,
    /// When it last changed.
    pub updated_at: UtcTime,
}

impl From<DomainEventType> for EventType {
    fn from(e: DomainEventType) -> EventType {
        EventType {
            id: to_id(e.id.0),
            owner_id: to_id(e.owner.0),
            title: e.title,
            slug: e.slug,
            description: e.description,
            length_in_minutes: e.length_min,
            length_in_minutes_options: e.length_options,
            slot_interval: e.slot_interval_min,
            minimum_booking_notice: e.min_notice_min,
            before_event_buffer: e.buffer_before_min,
            after_event_buffer: e.buffer_after_min,
            schedule_id: e.schedule_id.map(|s| to_id(s.0)),
            booking_limits_count: e.count_limits.into(),
            booking_limits_duration: e.duration_limits.into(),
            booking_window: e.window.into(),
            requires_confirmation: e.requires_confirmation,
            requires_confirmation_threshold_min: e.confirmation_threshold_min,
            locked_time_zone: e.locked_time_zone.map(|z| z.name().to_string()),
            seats_per_time_slot: e.seats.map(|s| s.per_time_slot),
            seats_show_attendees: e.seats.is_some_and(|s| s.show_attendees),
            recurrence: e.recurrence.map(Into::into),
            locations: e.locations.into_iter().map(Json).collect(),
            booking_fields: e.booking_fields.into_iter().map(Json).collect(),
            created_at: e.created_at.into(),
            updated_at: e.updated_at.into(),
        }
    }
}

/// Per-period limits to set: any of `day`, `week`, `month`, `year`, or `disabled: true`
/// to remove them all.
#[derive(Debug, Clone, Default, InputObject)]
pub struct BookingLimitsInput {
    /// Per local day (at least 1).
    pub day: Option<i32>,
    /// Per ISO week (at least 1).
    pub week: Option<i32>,
    /// Per calendar month (at least 1).
    pub month: Option<i32>,
    /// Per calendar year (at least 1).
    pub year: Option<i32>,
    /// Remove every limit.
    pub disabled: Option<bool>,
}

impl From<BookingLimitsInput> for LimitsInput {
    fn from(l: BookingLimitsInput) -> LimitsInput {
        LimitsInput {
            day: l.day.map(i64::from),
            week: l.week.map(i64::from),
            month: l.month.map(i64::from),
            year: l.year.map(i64::from),
            disabled: l.disabled,
        }
    }
}

/// How far ahead it can be booked: `{type: "calendarDays" | "businessDays", value: N}`,
/// `{type: "range", value: ["YYYY-MM-DD", "YYYY-MM-DD"]}`, or `{disabled: true}`.
#[derive(Debug, Clone, Default, InputObject)]
pub struct BookingWindowInput {
    /// `calendarDays`, `businessDays` or `range`.
    #[graphql(name = "type")]
    pub kind: Option<String>,
    /// A number of days (1–3650), or two dates.
    pub value: Option<Json<Value>>,
    /// Accepted for compatibility; windows always count from today.
    pub rolling: Option<bool>,
    /// Remove the window.
    pub disabled: Option<bool>,
}

impl From<BookingWindowInput> for WindowInput {
    fn from(w: BookingWindowInput) -> WindowInput {
        WindowInput {
            kind: w.kind,
            value: w.value.map(|v| v.0),
            rolling: w.rolling,
            disabled: w.disabled,
        }
    }
}

/// How a booking repeats.
#[derive(Debug, Clone, SimpleObject)]
pub struct Recurrence {
    /// `weekly` or `monthly`.
    pub frequency: String,
    /// Every how many weeks or months.
    pub interval: u32,
    /// The most occurrences one booking may ask for.
    pub occurrences: u32,
}

impl From<DomainRecurrence> for Recurrence {
    fn from(r: DomainRecurrence) -> Recurrence {
        Recurrence {
            frequency: r.frequency.as_str().to_string(),
            interval: r.interval,
            occurrences: r.max_occurrences,
        }
    }
}

/// A recurrence rule to set: `{frequency, interval, occurrences}`, or `{disabled: true}`.
#[derive(Debug, Clone, Default, InputObject)]
pub struct RecurrenceInput {
    /// `weekly` or `monthly`.
    pub frequency: Option<String>,
    /// Every how many weeks or months (1–52, default 1).
    pub interval: Option<i32>,
    /// The most occurrences one booking may ask for (1–730).
    pub occurrences: Option<i32>,
    /// Remove the rule.
    pub disabled: Option<bool>,
}

impl From<RecurrenceInput> for event_types::RecurrenceInput {
    fn from(r: RecurrenceInput) -> event_types::RecurrenceInput {
        event_types::RecurrenceInput {
            frequency: r.frequency,
            interval: r.interval.map(i64::from),
            occurrences: r.occurrences.map(i64::from),
            disabled: r.disabled,
        }
    }
}

/// Fields of an event type. On create `title`, `slug` and `lengthInMinutes` are
/// required; on update, absent fields stay as they are. Problems are reported as
/// `VALIDATION_ERROR` naming each field, as in REST.
#[derive(Debug, Clone, Default, InputObject)]
pub struct EventTypeInput {
    /// Title shown to invitees.
    pub title: Option<String>,
    /// URL slug, unique per host (lower-case letters, digits, `-`).
    pub slug: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Default length in minutes.
    pub length_in_minutes: Option<i32>,
    /// Lengths an invitee may choose; must include `lengthInMinutes`.
    pub length_in_minutes_options: Option<Vec<i32>>,
    /// Slot step in minutes.
    pub slot_interval: Option<i32>,
    /// Minutes of notice a booking needs.
    pub minimum_booking_notice: Option<i32>,
    /// Minutes kept free before each booking.
    pub before_event_buffer: Option<i32>,
    /// Minutes kept free after each booking.
    pub after_event_buffer: Option<i32>,
    /// One of the host's schedules, used instead of the default one.
    pub schedule_id: Option<ID>,
    /// Maximum bookings per period.
    pub booking_limits_count: Option<BookingLimitsInput>,
    /// Maximum booked minutes per period.
    pub booking_limits_duration: Option<BookingLimitsInput>,
    /// How far ahead it can be booked.
    pub booking_window: Option<BookingWindowInput>,
    /// New bookings wait for the host's confirmation.
    pub requires_confirmation: Option<bool>,
    /// Only bookings made less than this many minutes ahead wait (sets
    /// `requiresConfirmation`); 0 makes every booking wait again.
    pub requires_confirmation_threshold_min: Option<i32>,
    /// `false` unlocks the zone; `true` needs `lockedTimeZone` (now or already set).
    pub lock_time_zone: Option<bool>,
    /// The IANA zone slots are always shown in (locks it).
    pub locked_time_zone: Option<String>,
    /// Seats per slot (1–1000): invitees of one slot share one booking; 0 removes seats.
    pub seats_per_time_slot: Option<i32>,
    /// Whether the invitees of a seated slot see each other (default false).
    pub seats_show_attendees: Option<bool>,
    /// How a booking repeats: one request books a series.
    pub recurrence: Option<RecurrenceInput>,
    /// Cal.com location objects, e.g. `{"type": "link", "link": "https://…"}`.
    pub locations: Option<Vec<Json<Value>>>,
    /// Booking questions, e.g. `{"type": "text", "slug": "company", "label": "Company"}`.
    pub booking_fields: Option<Vec<Json<Value>>>,
}

impl EventTypeInput {
    /// The use case's input.
    pub(super) fn into_app(self) -> Result<event_types::EventTypeInput, AppError> {
        let json_list = |list: Option<Vec<Json<Value>>>| {
            list.map(|values| values.into_iter().map(|v| v.0).collect())
        };
        Ok(event_types::EventTypeInput {
            title: self.title,
            slug: self.slug,
            description: self.description,
            length_in_minutes: self.length_in_minutes.map(i64::from),
            length_in_minutes_options: self
                .length_in_minutes_options
                .map(|o| o.into_iter().map(i64::from).collect()),
            slot_interval: self.slot_interval.map(i64::from),
            minimum_booking_notice: self.minimum_booking_notice.map(i64::from),
            before_event_buffer: self.before_event_buffer.map(i64::from),
            after_event_buffer: self.after_event_buffer.map(i64::from),
            schedule_id: self
                .schedule_id
                .as_ref()
                .map(|id| field_id("scheduleId", id))
                .transpose()?,
            booking_limits_count: self.booking_limits_count.map(Into::into),
            booking_limits_duration: self.booking_limits_duration.map(Into::into),
            booking_window: self.booking_window.map(Into::into),
            requires_confirmation: self.requires_confirmation,
            requires_confirmation_threshold_min: self
                .requires_confirmation_threshold_min
                .map(i64::from),
            confirmation_policy: None,
            lock_time_zone_toggle_on_booking_page: self.lock_time_zone,
            locked_time_zone: self.locked_time_zone,
            seats: seats_input(self.seats_per_time_slot, self.seats_show_attendees),
            recurrence: self.recurrence.map(Into::into),
            locations: json_list(self.locations),
            booking_fields: json_list(self.booking_fields),
        })
    }
}

/// The seats a GraphQL input asks for: a count of 0 removes them.
fn seats_input(count: Option<i32>, show: Option<bool>) -> Option<event_types::SeatsInput> {
    if count.is_none() && show.is_none() {
        return None;
    }
    Some(event_types::SeatsInput {
        seats_per_time_slot: count.filter(|n| *n != 0).map(i64::from),
        show_attendee_info: show,
        show_availability_count: None,
        disabled: Some(count == Some(0)),
    })
}

/// Queries about event types.
#[derive(Default)]
pub struct EventTypeQuery;

#[Object]
impl EventTypeQuery {
    /// One page of the caller's event types, oldest first. Needs a key.
    async fn event_types(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<EventType>> {
        let app = app(ctx)?;
        let page = event_types::list(app, caller(ctx)?, page_request(cursor, limit)).await?;
        Ok(page.into())
    }

    /// One of the caller's event types. Needs a key.
    async fn event_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event type's id.")] id: ID,
    ) -> GqlResult<EventType> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        let id = EventTypeId(lookup_id("event type", &id)?);
        Ok(event_types::get(app, caller, id).await?.into())
    }

    /// A host's event type by username and slug, as its booking page shows it. No key needed.
    async fn public_event_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The host's username.")] username: String,
        #[graphql(desc = "The event type's slug.")] slug: String,
    ) -> GqlResult<EventType> {
        let app = app(ctx)?;
        let (_, e) = event_types::find_public(app, &username, &slug).await?;
        Ok(e.into())
    }
}

/// Mutations of event types; all need a key.
#[derive(Default)]
pub struct EventTypeMutation;

#[Object]
impl EventTypeMutation {
    /// Creates an event type owned by the caller.
    async fn create_event_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields to set.")] input: EventTypeInput,
    ) -> GqlResult<EventType> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        let input = input.into_app()?;
        Ok(event_types::create(app, caller, input).await?.into())
    }

    /// Changes the fields given in `input` of the caller's event type `id`.
    async fn update_event_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event type's id.")] id: ID,
        #[graphql(desc = "The fields to set.")] input: EventTypeInput,
    ) -> GqlResult<EventType> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        let id = EventTypeId(lookup_id("event type", &id)?);
        let input = input.into_app()?;
        Ok(event_types::update(app, caller, id, input).await?.into())
    }

    /// Deletes the caller's event type `id` (its bookings are kept); answers its id.
    async fn delete_event_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event type's id.")] id: ID,
    ) -> GqlResult<ID> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        let row = EventTypeId(lookup_id("event type", &id)?);
        event_types::delete(app, caller, row).await?;
        Ok(id)
    }
}
