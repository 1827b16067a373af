//! Bookings: create, read, list, reschedule, cancel, confirm and decline
//! (REST `/v2/bookings`, same field names).

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::Utc;
use serde_json::{Map, Value};

use super::error::GqlResult;
use super::page::{Page, page_request};
use super::scalars::UtcTime;
use super::{app, caller, field_id, maybe_caller, to_id};
use crate::app::bookings::{
    self, AttendeeInput as AppAttendeeInput, BookingView,
    CreateBookingInput as AppCreateBookingInput, ListInput, RescheduleInput, StatusFilter,
};
use crate::app::{AppError, series};
use crate::domain::booking::{
    Assignment, Attendee as DomainAttendee, BookingStatus as DomainStatus,
};

/// Where a booking is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum BookingStatus {
    /// Confirmed and on the calendar.
    Accepted,
    /// Waiting for the host to confirm.
    Pending,
    /// Cancelled by the host or the invitee, or replaced by a reschedule.
    Cancelled,
    /// Declined by the host while pending.
    Rejected,
}

impl From<DomainStatus> for BookingStatus {
    fn from(s: DomainStatus) -> BookingStatus {
        match s {
            DomainStatus::Accepted => BookingStatus::Accepted,
            DomainStatus::Pending => BookingStatus::Pending,
            DomainStatus::Cancelled => BookingStatus::Cancelled,
            DomainStatus::Rejected => BookingStatus::Rejected,
        }
    }
}

/// The host of a booking.
#[derive(Debug, Clone, SimpleObject)]
pub struct BookingHost {
    /// The host's user id.
    pub id: ID,
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Unique handle.
    pub username: String,
    /// IANA zone.
    pub time_zone: String,
}

/// Someone who booked.
#[derive(Debug, Clone, SimpleObject)]
pub struct Attendee {
    /// Display name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// IANA zone.
    pub time_zone: String,
    /// ISO 639-1 language.
    pub language: Option<String>,
    /// E.164 phone number.
    pub phone_number: Option<String>,
    /// Whether they did not show up.
    pub absent: bool,
    /// Their seat on a seated booking.
    pub seat_uid: Option<String>,
}

impl From<DomainAttendee> for Attendee {
    fn from(a: DomainAttendee) -> Attendee {
        Attendee {
            name: a.name,
            email: a.email,
            time_zone: a.time_zone.name().to_string(),
            language: a.language,
            phone_number: a.phone_number,
            absent: a.absent,
            seat_uid: a.seat_uid,
        }
    }
}

/// The event type a booking is of.
#[derive(Debug, Clone, SimpleObject)]
pub struct BookingEventType {
    /// The event type's id.
    pub id: ID,
    /// Its slug.
    pub slug: String,
}

/// A booking, with the fields REST answers.
#[derive(Debug, Clone, SimpleObject)]
pub struct Booking {
    /// The booking's row id.
    pub id: ID,
    /// The public handle: look it up, reschedule or cancel it with this.
    pub uid: String,
    /// `{event type} between {host} and {attendee}`.
    pub title: String,
    /// The event type's description.
    pub description: String,
    /// Every host: the one it is held by first, then a team booking's others.
    pub hosts: Vec<BookingHost>,
    /// Where it is in its lifecycle.
    pub status: BookingStatus,
    /// Why it was cancelled, declined or moved away from.
    pub cancellation_reason: Option<String>,
    /// Why it was moved here.
    pub rescheduling_reason: Option<String>,
    /// The booking this one replaced by a reschedule.
    pub rescheduled_from_uid: Option<String>,
    /// The booking that replaced this one.
    pub rescheduled_to_uid: Option<String>,
    /// The meeting's start.
    pub start: UtcTime,
    /// The meeting's end.
    pub end: UtcTime,
    /// Length in minutes.
    pub duration: i32,
    /// The event type's id.
    pub event_type_id: ID,
    /// The event type's id and slug.
    pub event_type: BookingEventType,
    /// Who booked.
    pub attendees: Vec<Attendee>,
    /// More invited email addresses.
    pub guests: Vec<String>,
    /// Where it happens.
    pub location: Option<String>,
    /// The location when it is a link.
    pub meeting_url: Option<String>,
    /// Caller-defined key/values (a JSON object).
    pub metadata: Json<Map<String, Value>>,
    /// Answers to the booking questions (a JSON object keyed by question slug).
    pub booking_fields_responses: Json<Map<String, Value>>,
    /// When it was made.
    pub created_at: UtcTime,
    /// When it last changed.
    pub updated_at: UtcTime,
    /// The seat of whoever asked, on a seated booking (looked up or booked by seat).
    pub seat_uid: Option<String>,
    /// The recurring series this booking is one occurrence of.
    pub recurring_booking_uid: Option<String>,
    /// For a round-robin booking, which rule chose its host.
    pub assignment: Option<BookingAssignment>,
}

/// Why a round-robin booking went to its host.
#[derive(Debug, Clone, SimpleObject)]
pub struct BookingAssignment {
    /// `round_robin` (the rotation chose) or `contact_owner` (the booker's account
    /// owner took it).
    pub reason: String,
    /// The customer the booker matched, for `contact_owner`.
    pub customer_id: Option<ID>,
}

impl From<Assignment> for BookingAssignment {
    fn from(a: Assignment) -> BookingAssignment {
        BookingAssignment {
            reason: a.reason().to_string(),
            customer_id: a.customer().map(|c| to_id(c.0)),
        }
    }
}

impl From<BookingView> for Booking {
    fn from(view: BookingView) -> Booking {
        let b = view.booking;
        let meeting_url = b
            .location
            .clone()
            .filter(|l| l.starts_with("https://") || l.starts_with("http://"));
        Booking {
            id: to_id(b.id.0),
            uid: b.uid,
            title: b.title,
            description: b.description,
            hosts: view
                .hosts
                .into_iter()
                .map(|h| BookingHost {
                    id: to_id(h.id.0),
                    name: h.name,
                    email: h.email,
                    username: h.username,
                    time_zone: h.time_zone.name().to_string(),
                })
                .collect(),
            status: b.status.into(),
            cancellation_reason: b.cancellation_reason,
            rescheduling_reason: b.rescheduling_reason,
            rescheduled_from_uid: b.rescheduled_from_uid,
            rescheduled_to_uid: b.rescheduled_to_uid,
            start: b.span.start.into(),
            end: b.span.end.into(),
            duration: i32::try_from(b.span.minutes()).unwrap_or(i32::MAX),
            event_type_id: to_id(b.event_type_id.0),
            event_type: BookingEventType {
                id: to_id(b.event_type_id.0),
                slug: view.event_type_slug,
            },
            attendees: b.attendees.into_iter().map(Into::into).collect(),
            guests: b.guests,
            location: b.location,
            meeting_url,
            metadata: Json(b.metadata),
            booking_fields_responses: Json(b.responses),
            created_at: b.created_at.into(),
            updated_at: b.updated_at.into(),
            seat_uid: view.seat_uid,
            recurring_booking_uid: b.recurring_booking_uid,
            assignment: b.assignment.map(Into::into),
        }
    }
}

/// A bookings tab; a booking is listed when it matches any of the tabs asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum BookingStatusFilter {
    /// Not yet ended, accepted or pending.
    Upcoming,
    /// Already ended, accepted or pending.
    Past,
    /// Cancelled or rejected.
    Cancelled,
    /// Not yet ended and waiting for confirmation.
    Unconfirmed,
}

impl From<BookingStatusFilter> for StatusFilter {
    fn from(f: BookingStatusFilter) -> StatusFilter {
        match f {
            BookingStatusFilter::Upcoming => StatusFilter::Upcoming,
            BookingStatusFilter::Past => StatusFilter::Past,
            BookingStatusFilter::Cancelled => StatusFilter::Cancelled,
            BookingStatusFilter::Unconfirmed => StatusFilter::Unconfirmed,
        }
    }
}

/// The order of a bookings list by start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum SortOrder {
    /// Oldest first.
    Asc,
    /// Newest first.
    Desc,
}

/// The invitee. `name`, `email` and `timeZone` are required.
#[derive(Debug, Clone, Default, InputObject)]
pub struct AttendeeInput {
    /// Display name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// IANA zone, e.g. `Europe/Berlin`.
    pub time_zone: Option<String>,
    /// ISO 639-1 language, e.g. `de`.
    pub language: Option<String>,
    /// E.164 phone number.
    pub phone_number: Option<String>,
}

/// A new booking. `start`, `attendee` and the event type (`eventTypeId`, or
/// `eventTypeSlug` with `username`) are required; problems are reported as
/// `VALIDATION_ERROR` naming each field (e.g. `attendee.email`), as in REST.
#[derive(Debug, Clone, Default, InputObject)]
pub struct CreateBookingInput {
    /// The slot start, an ISO 8601 instant (e.g. a slot's `start`).
    pub start: Option<String>,
    /// The event type by id…
    pub event_type_id: Option<ID>,
    /// …or by slug, with `username` or `teamSlug`.
    pub event_type_slug: Option<String>,
    /// The host's username, with `eventTypeSlug`.
    pub username: Option<String>,
    /// The team's slug, with `eventTypeSlug` (a team event type).
    pub team_slug: Option<String>,
    /// One of the event type's lengths (default: its length).
    pub length_in_minutes: Option<i32>,
    /// Who books.
    pub attendee: Option<AttendeeInput>,
    /// More email addresses to invite.
    pub guests: Option<Vec<String>>,
    /// A location string, or a Cal.com location object (`{"type": "attendeePhone", "phone": …}`).
    pub location: Option<Json<Value>>,
    /// Caller-defined key/values: a JSON object of at most 50 keys.
    pub metadata: Option<Json<Value>>,
    /// Answers to the booking questions: a JSON object keyed by question slug.
    pub booking_fields_responses: Option<Json<Value>>,
    /// How many occurrences of a recurring event type to book (`createRecurringBooking`;
    /// default: the type's maximum).
    pub recurrence_count: Option<i32>,
    /// For a round-robin type: the hosts a routing form chose; one of them gets it.
    pub routed_team_member_ids: Option<Vec<ID>>,
    /// For a round-robin type: let the rotation choose even when the invitee belongs
    /// to a customer whose owner hosts the type.
    #[graphql(default)]
    pub skip_contact_owner: bool,
}

/// A JSON object input, or a validation error naming `field`.
fn object(field: &str, value: Option<Json<Value>>) -> Result<Option<Map<String, Value>>, AppError> {
    match value.map(|v| v.0) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(AppError::invalid(field, "must be a JSON object")),
    }
}

impl CreateBookingInput {
    /// The use case's input.
    fn into_app(self) -> Result<AppCreateBookingInput, AppError> {
        Ok(AppCreateBookingInput {
            start: self.start,
            event_type_id: self
                .event_type_id
                .as_ref()
                .map(|id| field_id("eventTypeId", id))
                .transpose()?,
            event_type_slug: self.event_type_slug,
            username: self.username,
            team_slug: self.team_slug,
            length_in_minutes: self.length_in_minutes.map(i64::from),
            attendee: self.attendee.map(|a| AppAttendeeInput {
                name: a.name,
                email: a.email,
                time_zone: a.time_zone,
                language: a.language,
                phone_number: a.phone_number,
            }),
            guests: self.guests,
            location: self.location.map(|l| l.0),
            metadata: object("metadata", self.metadata)?,
            booking_fields_responses: object(
                "bookingFieldsResponses",
                self.booking_fields_responses,
            )?,
            recurrence_count: self.recurrence_count.map(i64::from),
            routed_team_member_ids: self
                .routed_team_member_ids
                .map(|ids| {
                    ids.iter()
                        .enumerate()
                        .map(|(i, id)| field_id(&format!("routedTeamMemberIds[{i}]"), id))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?,
            skip_contact_owner: self.skip_contact_owner,
        })
    }
}

/// Moving a booking to a new start.
#[derive(Debug, Clone, Default, InputObject)]
pub struct RescheduleBookingInput {
    /// The new start, an ISO 8601 instant. Required.
    pub start: Option<String>,
    /// Why (shown to the other party).
    pub rescheduling_reason: Option<String>,
    /// Email of whoever moved it.
    pub rescheduled_by: Option<String>,
}

impl From<RescheduleBookingInput> for RescheduleInput {
    fn from(input: RescheduleBookingInput) -> RescheduleInput {
        RescheduleInput {
            start: input.start,
            rescheduling_reason: input.rescheduling_reason,
            rescheduled_by: input.rescheduled_by,
        }
    }
}

/// Queries about bookings.
#[derive(Default)]
pub struct BookingQuery;

#[Object]
impl BookingQuery {
    /// The booking `uid`. No key needed (the uid is the invitee's handle); with a key,
    /// only bookings of the caller's organization.
    async fn booking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The booking's uid.")] uid: String,
    ) -> GqlResult<Booking> {
        let app = app(ctx)?;
        Ok(bookings::get(app, maybe_caller(ctx), &uid).await?.into())
    }

    /// One page of the caller's bookings as host. Needs a key.
    #[allow(clippy::too_many_arguments)]
    async fn bookings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Tabs, any of which a booking may match (default: all).")] status: Option<
            Vec<BookingStatusFilter>,
        >,
        #[graphql(desc = "Only bookings with this attendee.")] attendee_email: Option<String>,
        #[graphql(desc = "Only bookings of this event type.")] event_type_id: Option<ID>,
        #[graphql(desc = "Only bookings starting at or after this ISO 8601 instant.")]
        after_start: Option<String>,
        #[graphql(desc = "Only bookings ending at or before this ISO 8601 instant.")]
        before_end: Option<String>,
        #[graphql(desc = "Order by start (default `ASC`).")] sort_start: Option<SortOrder>,
        #[graphql(desc = "The `nextCursor` of the previous page.")] cursor: Option<String>,
        #[graphql(desc = "Page size, 1–250 (default 50).")] limit: Option<i32>,
    ) -> GqlResult<Page<Booking>> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        let input = ListInput {
            statuses: status
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            attendee_email,
            event_type_id: event_type_id
                .as_ref()
                .map(|id| field_id("eventTypeId", id))
                .transpose()?,
            after_start,
            before_end,
            descending: sort_start == Some(SortOrder::Desc),
            page: page_request(cursor, limit),
        };
        Ok(bookings::list(app, caller, input, Utc::now()).await?.into())
    }
}

/// Mutations of bookings.
#[derive(Default)]
pub struct BookingMutation;

#[Object]
impl BookingMutation {
    /// Books a slot. No key needed. The booking is `PENDING` when the event type
    /// requires confirmation; a slot that is no longer free is `CONFLICT`.
    async fn create_booking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The slot, the event type and the invitee.")] input: CreateBookingInput,
    ) -> GqlResult<Booking> {
        let app = app(ctx)?;
        let input = input.into_app()?;
        Ok(bookings::create_one(app, input, Utc::now()).await?.into())
    }

    /// Books every occurrence of a recurring event type's series (all or nothing: a
    /// date that cannot be booked fails the request naming it). No key needed.
    async fn create_recurring_booking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first slot, the event type, the invitee and `recurrenceCount`.")]
        input: CreateBookingInput,
    ) -> GqlResult<Vec<Booking>> {
        let app = app(ctx)?;
        let input = input.into_app()?;
        let booked = bookings::create(app, input, Utc::now()).await?;
        Ok(booked.into_views().into_iter().map(Into::into).collect())
    }

    /// Cancels occurrence `uid` of a recurring series and every later one ("this and
    /// the rest"). No key needed.
    async fn cancel_recurring_bookings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first occurrence to cancel.")] uid: String,
        #[graphql(desc = "Why (shown to the other party).")] cancellation_reason: Option<String>,
    ) -> GqlResult<Vec<Booking>> {
        let app = app(ctx)?;
        let views = series::cancel_from(
            app,
            maybe_caller(ctx),
            &uid,
            cancellation_reason,
            Utc::now(),
        )
        .await?;
        Ok(views.into_iter().map(Into::into).collect())
    }

    /// Moves booking `uid` to a new start: answers the NEW booking (with
    /// `rescheduledFromUid`); the old one becomes cancelled. No key needed.
    async fn reschedule_booking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The booking's uid.")] uid: String,
        #[graphql(desc = "The new start and why.")] input: RescheduleBookingInput,
    ) -> GqlResult<Booking> {
        let app = app(ctx)?;
        let view =
            bookings::reschedule(app, maybe_caller(ctx), &uid, input.into(), Utc::now()).await?;
        Ok(view.into())
    }

    /// Cancels booking `uid`, freeing its time, or with `seatUid` (or a seat's uid as
    /// `uid`) only that seat of a seated booking. No key needed, except the host's to
    /// cancel every seat at once.
    async fn cancel_booking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The booking's uid, or a seat's.")] uid: String,
        #[graphql(desc = "Why (shown to the other party).")] cancellation_reason: Option<String>,
        #[graphql(desc = "Only this seat of a seated booking.")] seat_uid: Option<String>,
    ) -> GqlResult<Booking> {
        let app = app(ctx)?;
        let input = bookings::CancelInput {
            cancellation_reason,
            seat_uid,
            cancel_subsequent_bookings: None,
        };
        let view = bookings::cancel_with(app, maybe_caller(ctx), &uid, input, Utc::now()).await?;
        Ok(view.into())
    }

    /// The host accepts pending booking `uid`. Needs the host's key.
    async fn confirm_booking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The booking's uid.")] uid: String,
    ) -> GqlResult<Booking> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        Ok(bookings::confirm(app, caller, &uid, Utc::now())
            .await?
            .into())
    }

    /// The host declines pending booking `uid`, freeing its time. Needs the host's key.
    async fn decline_booking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The booking's uid.")] uid: String,
        #[graphql(desc = "Why (shown to the invitee).")] reason: Option<String>,
    ) -> GqlResult<Booking> {
        let app = app(ctx)?;
        let caller = caller(ctx)?;
        Ok(bookings::decline(app, caller, &uid, reason, Utc::now())
            .await?
            .into())
    }

    /// The host marks attendees of booking `uid` absent (a no-show) or present, once it
    /// has begun. Needs the host's key.
    async fn mark_absent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The booking's uid.")] uid: String,
        #[graphql(desc = "Who came and who did not.")] attendees: Vec<PresenceInput>,
    ) -> GqlResult<Booking> {
        let attendees = attendees
            .into_iter()
            .map(|p| bookings::Presence {
                email: p.email,
                absent: p.absent,
            })
            .collect();
        let marked = bookings::mark_absent(app(ctx)?, caller(ctx)?, &uid, attendees, Utc::now());
        Ok(marked.await?.into())
    }
}

/// Whether one attendee came.
#[derive(Debug, Clone, InputObject)]
pub struct PresenceInput {
    /// The attendee's email.
    pub email: String,
    /// `true`: a no-show.
    pub absent: bool,
}
