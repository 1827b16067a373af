//! Bookings: create, read, list, reschedule, cancel, confirm and decline.
//!
//! Every write runs in one transaction that re-checks the slot against the host's
//! bookings, writes the booking, and records its outbox event. The database's
//! no-overlap guarantee backs the check, so two invitees can never hold the same time.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::auth::Caller;
use super::availability::{
    Bookable, EventTypeRef, bookable, context_window, existing, length, with_calendar,
};
use super::calendars::CalendarBusy;
use super::input::{self, Issues};
use super::page::{Cursor, Page, PageRequest};
use super::{App, AppError, Result};
use crate::domain::booking::{Attendee, Booking, BookingStatus, CancelledBy};
use crate::domain::event_type::{EventType, Location, check_responses};
use crate::domain::ids::{BookingId, EventTypeId, UserId};
use crate::domain::recurrence::Recurrence;
use crate::domain::scheduling_link::SchedulingLink;
use crate::domain::seats::{Viewer, is_seated, visible_attendees};
use crate::domain::slots::{SlotError, check_slot};
use crate::domain::span::Span;
use crate::domain::team::SchedulingType;
use crate::domain::user::User;
use crate::domain::validate::{self, FieldIssue};
use crate::store::{self, StoreError, bookings::BookingQuery};

pub use crate::store::bookings::StatusFilter;

/// The invitee, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttendeeInput {
    /// Display name.
    pub name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// IANA zone.
    pub time_zone: Option<String>,
    /// ISO 639-1 language.
    pub language: Option<String>,
    /// E.164 phone number.
    pub phone_number: Option<String>,
}

/// A new booking, in Cal.com API v2's shape (`cal-api-version: 2024-08-13`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBookingInput {
    /// The slot start, an ISO instant.
    pub start: Option<String>,
    /// The event type by id…
    pub event_type_id: Option<i64>,
    /// …or by slug with `username` or `teamSlug`.
    pub event_type_slug: Option<String>,
    /// The host's username, with `eventTypeSlug`.
    pub username: Option<String>,
    /// The team's slug, with `eventTypeSlug` (a team event type).
    pub team_slug: Option<String>,
    /// One of the event type's lengths.
    pub length_in_minutes: Option<i64>,
    /// Who books.
    pub attendee: Option<AttendeeInput>,
    /// More email addresses to invite.
    pub guests: Option<Vec<String>>,
    /// A location string, or a Cal.com location object (`{"type": "attendeePhone", "phone": …}`).
    pub location: Option<Value>,
    /// Caller-defined key/values.
    pub metadata: Option<Map<String, Value>>,
    /// Answers to the booking questions.
    pub booking_fields_responses: Option<Map<String, Value>>,
    /// Cal.com's `routedTeamMemberIds`: for a round-robin type, the hosts a routing
    /// form chose; the booking goes to one of them (fixed hosts still join).
    pub routed_team_member_ids: Option<Vec<i64>>,
    /// How many occurrences of a recurring event type to book (default: its maximum).
    pub recurrence_count: Option<i64>,
    /// For a round-robin type: do not give the booking to the account owner of the
    /// customer the invitee belongs to; the rotation chooses (Cal.com's `skipContactOwner`).
    #[serde(default)]
    pub skip_contact_owner: bool,
}

/// Moving a booking to a new start.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RescheduleInput {
    /// The new start, an ISO instant.
    pub start: Option<String>,
    /// Why (shown to the other party).
    #[serde(alias = "reason")]
    pub rescheduling_reason: Option<String>,
    /// Email of whoever moved it.
    pub rescheduled_by: Option<String>,
}

/// A booking with the host and event type slug its output names.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingView {
    /// The booking.
    pub booking: Booking,
    /// The host it is held by (a round-robin booking's chosen host).
    pub host: User,
    /// Every host: `host` first, then a team booking's others (collective hosts,
    /// fixed hosts of a round robin).
    pub hosts: Vec<User>,
    /// The booked event type's slug.
    pub event_type_slug: String,
    /// The seat of whoever this view is for, on a seated booking (Cal.com's `seatUid`).
    pub seat_uid: Option<String>,
}

/// What a bookings list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListInput {
    /// Tabs, any of which a booking may match.
    pub statuses: Vec<StatusFilter>,
    /// Only with this attendee.
    pub attendee_email: Option<String>,
    /// Only of this event type.
    pub event_type_id: Option<i64>,
    /// Only starting at or after (ISO instant).
    pub after_start: Option<String>,
    /// Only ending at or before (ISO instant).
    pub before_end: Option<String>,
    /// Newest first.
    pub descending: bool,
    /// Which page.
    pub page: PageRequest,
}

impl StatusFilter {
    /// Parses Cal.com's tab names.
    pub fn parse(s: &str) -> Option<StatusFilter> {
        match s {
            "upcoming" => Some(StatusFilter::Upcoming),
            "past" => Some(StatusFilter::Past),
            "cancelled" => Some(StatusFilter::Cancelled),
            "unconfirmed" => Some(StatusFilter::Unconfirmed),
            _ => None,
        }
    }
}

struct Invitee {
    start: DateTime<Utc>,
    attendee: Attendee,
    guests: Vec<String>,
    metadata: Map<String, Value>,
    responses: Map<String, Value>,
}

/// Checks everything the invitee sent, reporting every bad field at once.
fn check_invitee(input: &CreateBookingInput, event_type: &EventType) -> Result<Invitee> {
    let mut issues = Issues::default();
    let start = match &input.start {
        Some(s) => issues.take(input::instant("start", s)),
        None => {
            issues.require(false, "start", "is required");
            None
        }
    };
    let a = input.attendee.clone().unwrap_or_default();
    let name = a.name.unwrap_or_default().trim().to_string();
    issues.require(!name.is_empty(), "attendee.name", "is required");
    let email = a.email.unwrap_or_default().trim().to_string();
    if email.is_empty() {
        issues.require(false, "attendee.email", "is required");
    } else {
        issues.take(validate::email(&email).map_err(|m| FieldIssue::new("attendee.email", m)));
    }
    let time_zone = match &a.time_zone {
        Some(tz) => issues.take(input::zone("attendee.timeZone", tz)),
        None => {
            issues.require(false, "attendee.timeZone", "is required");
            None
        }
    };
    if let Some(language) = &a.language {
        issues.require(
            language.len() == 2 && language.chars().all(|c| c.is_ascii_lowercase()),
            "attendee.language",
            format!("`{language}` is not a two-letter ISO 639-1 code"),
        );
    }
    let guests = input.guests.clone().unwrap_or_default();
    for (i, guest) in guests.iter().enumerate() {
        issues.take(validate::email(guest).map_err(|m| FieldIssue::new(format!("guests[{i}]"), m)));
    }
    let metadata = input.metadata.clone().unwrap_or_default();
    issues.0.extend(validate::metadata(&metadata));
    let responses = input.booking_fields_responses.clone().unwrap_or_default();
    issues
        .0
        .extend(check_responses(&event_type.booking_fields, &responses));
    let Some(start) = start.filter(|_| issues.0.is_empty()) else {
        return Err(AppError::Validation(issues.0));
    };
    Ok(Invitee {
        start,
        attendee: Attendee {
            name,
            email,
            time_zone: time_zone.unwrap_or(Tz::UTC),
            language: a.language,
            phone_number: a.phone_number,
            absent: false,
            seat_uid: None,
        },
        guests,
        metadata,
        responses,
    })
}

/// The booking's location: a plain string as given, or a Cal.com location object
/// resolved against the locations the event type offers.
fn location(event_type: &EventType, input: Option<&Value>) -> Result<Option<String>> {
    let Some(input) = input else {
        return Ok(event_type.default_location());
    };
    if let Some(text) = input.as_str() {
        return Ok(Some(text.to_string()));
    }
    let kind = input
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let given = |key: &str| {
        input
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                AppError::invalid(
                    format!("location.{key}"),
                    "is required for this location type",
                )
            })
    };
    let offered = |wanted: fn(&Location) -> bool| {
        event_type
            .locations
            .iter()
            .find(|l| wanted(l))
            .ok_or_else(|| {
                AppError::invalid(
                    "location.type",
                    format!("this event type does not offer `{kind}`"),
                )
            })
    };
    match kind {
        "attendeeAddress" => offered(|l| matches!(l, Location::AttendeeAddress))
            .and(given("address"))
            .map(Some),
        "attendeePhone" => offered(|l| matches!(l, Location::AttendeePhone))
            .and(given("phone"))
            .map(Some),
        "attendeeDefined" => offered(|l| matches!(l, Location::AttendeeDefined))
            .and(given("location"))
            .map(Some),
        "address" => offered(|l| matches!(l, Location::Address { .. })).map(Location::describe),
        "link" => offered(|l| matches!(l, Location::Link { .. })).map(Location::describe),
        "phone" => offered(|l| matches!(l, Location::Phone { .. })).map(Location::describe),
        "integration" => {
            offered(|l| matches!(l, Location::Integration { .. })).map(Location::describe)
        }
        other => Err(AppError::invalid(
            "location.type",
            format!("`{other}` is not a location type"),
        )),
    }
}

pub(super) fn slot_error(err: SlotError) -> AppError {
    match err {
        SlotError::Taken => AppError::Conflict(err.to_string()),
        other => AppError::invalid("start", other.to_string()),
    }
}

pub(super) fn store_error(err: StoreError) -> AppError {
    match err {
        StoreError::Overlap => slot_error(SlotError::Taken),
        other => other.into(),
    }
}

/// Cancelling a booking, or one seat of a seated booking.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelInput {
    /// Why (shown to the other party).
    pub cancellation_reason: Option<String>,
    /// Only this seat of a seated booking; required unless the host cancels all.
    pub seat_uid: Option<String>,
    /// Also cancel every later occurrence of the booking's recurring series
    /// ([`super::series::cancel_from`]).
    pub cancel_subsequent_bookings: Option<bool>,
}

/// The calendar busy times of the hosts (every host of a team event type) over `span`
/// (the meetings being booked), read before the booking's write transaction opens: a
/// provider is never waited on while holding it.
async fn calendar_near(
    app: &App,
    b: &Bookable,
    span: Span,
    now: DateTime<Utc>,
) -> Result<CalendarBusy> {
    let hosts: Vec<UserId> = match &b.team {
        Some(team) => team.hosts.iter().map(|h| h.user.id).collect(),
        None => vec![b.host.id],
    };
    super::calendars::busy(app, b.event_type.org_id, &hosts, span, now).await
}

/// `length_min` minutes from `start`.
fn meeting(start: DateTime<Utc>, length_min: u32) -> Span {
    Span::new(
        start,
        start + chrono::Duration::minutes(i64::from(length_min)),
    )
}

/// Inside a write transaction: re-checks `start` (serialized on the host when limits apply) against the
/// host's bookings (minus `exclude`) and calendar, and returns the meeting and its buffered span.
#[expect(
    clippy::too_many_arguments,
    reason = "the slot check's inputs, all needed"
)]
pub(super) async fn place(
    txn: &DatabaseTransaction,
    b: &Bookable,
    calendar: &CalendarBusy,
    length_min: u32,
    start: DateTime<Utc>,
    booker_tz: Tz,
    exclude: Option<BookingId>,
    now: DateTime<Utc>,
) -> Result<(Span, Span)> {
    let rules = b.event_type.slot_rules(length_min);
    if rules.has_limits() {
        store::db::lock_host(txn, b.host.id).await?;
    }
    let probe = Span::new(
        start,
        start + chrono::Duration::minutes(i64::from(length_min)),
    );
    let held = store::bookings::held_times(txn, b.host.id, context_window(&rules, probe)).await?;
    let existing = with_calendar(
        existing(&held, b.event_type.id, exclude),
        calendar.of(b.host.id),
        &held,
    );
    let span =
        check_slot(&b.schedule, &rules, &existing, start, now, booker_tz).map_err(slot_error)?;
    super::host_limits::check(txn, &b.host, span, exclude).await?;
    let busy = Span::new(
        span.start - chrono::Duration::minutes(i64::from(rules.buffer_before_min)),
        span.end + chrono::Duration::minutes(i64::from(rules.buffer_after_min)),
    );
    Ok((span, busy))
}

/// Writes the event of a booking change, with the booking as it is now, into the
/// outbox of the same transaction.
pub(super) async fn record(
    txn: &DatabaseTransaction,
    trigger: &str,
    view: &BookingView,
    now: DateTime<Utc>,
) -> Result<()> {
    let payload =
        super::webhooks::booking_payload(&view.booking, &view.host, &view.event_type_slug);
    store::outbox::insert(txn, view.booking.org_id, trigger, &payload, now).await?;
    store::customer_health::forget_for_booking(txn, view.booking.org_id, view.booking.id).await?;
    Ok(())
}

/// What a booking request made.
#[derive(Debug, Clone)]
pub enum Booked {
    /// One booking (or one seat of a seated booking).
    One(Box<BookingView>),
    /// Every occurrence of a recurring series, by start.
    Series(Vec<BookingView>),
}

impl Booked {
    /// The bookings made, by start.
    pub fn into_views(self) -> Vec<BookingView> {
        match self {
            Booked::One(view) => vec![*view],
            Booked::Series(views) => views,
        }
    }
}

/// Books a slot, or for a recurring event type a whole series (`recurrenceCount`
/// occurrences, by default the type's maximum). A booking is `pending` when the event
/// type requires confirmation.
pub async fn create(app: &App, input: CreateBookingInput, now: DateTime<Utc>) -> Result<Booked> {
    book(app, input, None, true, now).await
}

/// Books one slot; a recurring event type is refused (its series needs [`create`]).
pub async fn create_one(
    app: &App,
    input: CreateBookingInput,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    only(book(app, input, None, false, now).await?)
}

/// The booking a one-booking request made (a series is refused before booking there).
fn only(booked: Booked) -> Result<BookingView> {
    booked
        .into_views()
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Conflict("nothing was booked".into()))
}

/// Books a slot through scheduling link `link`, on the same path as [`create`]. The
/// link's use is spent inside the booking's own transaction: a slot that turns out
/// taken, or a crash before the commit, spends nothing, and concurrent bookings can
/// never spend more uses than the link has. The booking is a meeting with the link's
/// customer whatever address the invitee typed.
pub(super) async fn create_through_link(
    app: &App,
    input: CreateBookingInput,
    link: &SchedulingLink,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    only(book(app, input, Some(link), false, now).await?)
}

/// The series a request asks for: the rule and how many occurrences, or `None` for
/// one booking. `series_ok` is false where only one booking can be answered.
fn series_request(
    event_type: &EventType,
    count: Option<i64>,
    series_ok: bool,
) -> Result<Option<(Recurrence, u32)>> {
    match (event_type.recurrence, count) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(AppError::invalid(
            "recurrenceCount",
            format!("event type {} is not recurring", event_type.id),
        )),
        (Some(_), _) if !series_ok => Err(AppError::invalid(
            "eventTypeId",
            format!(
                "event type {} is recurring: book it as a series (REST POST /v2/bookings, GraphQL createRecurringBooking)",
                event_type.id
            ),
        )),
        (Some(rule), count) => rule
            .check_count(count.unwrap_or(i64::from(rule.max_occurrences)))
            .map(|n| Some((rule, n)))
            .map_err(|m| AppError::invalid("recurrenceCount", m)),
    }
}

async fn book(
    app: &App,
    input: CreateBookingInput,
    link: Option<&SchedulingLink>,
    series_ok: bool,
    now: DateTime<Utc>,
) -> Result<Booked> {
    let reference = EventTypeRef::from_fields(
        input.event_type_id,
        input.username.clone(),
        input.team_slug.clone(),
        input.event_type_slug.clone(),
    )?;
    let asked = bookable(app, &reference).await?;
    let start = check_invitee(&input, &asked.event_type)?.start;
    let length_min = length(
        &asked.event_type,
        input.length_in_minutes,
        "lengthInMinutes",
    )?;
    // A host out of office hands the booking to their teammate's event type, whose
    // own questions and lengths then apply.
    let mut b = super::out_of_office::redirect(app, asked, meeting(start, length_min)).await?;
    if let Some(ids) = &input.routed_team_member_ids {
        super::availability::route_to(&mut b, ids)?;
    }
    let mut invitee = check_invitee(&input, &b.event_type)?;
    let length_min = length(&b.event_type, input.length_in_minutes, "lengthInMinutes")?;
    if let Some(link) = link {
        let context = super::scheduling_links::context(link);
        let room = validate::MAX_METADATA_KEYS - context.len();
        if invitee.metadata.len() > room {
            return Err(AppError::invalid(
                "metadata",
                format!("at most {room} keys are allowed when booking through a scheduling link"),
            ));
        }
        invitee.metadata.extend(context);
    }
    let location = location(&b.event_type, input.location.as_ref())?;
    let series = series_request(&b.event_type, input.recurrence_count, series_ok)?;
    let series_uid = series.map(|_| new_uid());
    let status = if b.event_type.needs_confirmation(invitee.start, now) {
        BookingStatus::Pending
    } else {
        BookingStatus::Accepted
    };
    let last_start = series
        .as_ref()
        .and_then(|(rule, count)| {
            rule.occurrences(invitee.start, b.schedule.tz, *count)
                .last()
                .copied()
        })
        .unwrap_or(invitee.start);
    let booked_over = Span::new(invitee.start, meeting(last_start, length_min).end);
    let calendar = calendar_near(app, &b, booked_over, now).await?;
    let trigger = if status == BookingStatus::Pending {
        "BOOKING_REQUESTED"
    } else {
        "BOOKING_CREATED"
    };
    let seats = b.event_type.seats.filter(|_| b.team.is_none());
    if seats.is_some() {
        invitee.attendee.seat_uid = Some(new_uid());
    }

    let round_robin = b
        .team
        .as_ref()
        .is_some_and(|t| t.scheduling_type == SchedulingType::RoundRobin);
    let contact_owner = if round_robin && !input.skip_contact_owner {
        let email = &invitee.attendee.email;
        super::customers::contact_owner(&app.db, b.event_type.org_id, email).await?
    } else {
        None
    };

    let txn = store::db::begin_write(&app.db).await?;
    if let Some(link) = link {
        super::scheduling_links::spend_use(&txn, link, now).await?;
    }
    let make = |host: &User, span: Span, busy: Span| Booking {
        id: BookingId(0),
        uid: new_uid(),
        org_id: b.event_type.org_id,
        event_type_id: b.event_type.id,
        host: host.id,
        title: title(&b.event_type, host, &invitee.attendee.name),
        description: b.event_type.description.clone(),
        status,
        span,
        busy,
        attendees: vec![invitee.attendee.clone()],
        guests: invitee.guests.clone(),
        location: location.clone(),
        metadata: invitee.metadata.clone(),
        responses: invitee.responses.clone(),
        cancellation_reason: None,
        cancelled_by: None,
        rescheduling_reason: None,
        rescheduled_from_uid: None,
        rescheduled_to_uid: None,
        recurring_booking_uid: series_uid.clone(),
        assignment: None,
        created_at: now,
        updated_at: now,
    };
    // A locked zone is the grid the invitee saw the slots on.
    let booker_tz = b.event_type.slot_zone(invitee.attendee.time_zone);
    if let Some((rule, count)) = series {
        let occurrence = super::series::Occurrences {
            rule,
            count,
            first: invitee.start,
            length_min,
            booker_tz,
            calendar: calendar.clone(),
        };
        let made = occurrence
            .book(&txn, &b, |span, busy| make(&b.host, span, busy), now)
            .await?;
        let mut views = Vec::with_capacity(made.len());
        for booking in made {
            super::customers::link_booking(&txn, &booking, now).await?;
            let view = BookingView {
                booking,
                host: b.host.clone(),
                hosts: vec![b.host.clone()],
                event_type_slug: b.event_type.slug.clone(),
                seat_uid: None,
            };
            record(&txn, trigger, &view, now).await?;
            views.push(view);
        }
        txn.commit().await.map_err(StoreError::from)?;
        tracing::info!(booking.series = ?series_uid, occurrences = views.len(), "recurring series booked");
        return Ok(Booked::Series(views));
    }
    let mut seat_view: Option<Booking> = None;
    let (booking, hosts) = match (&b.team, seats) {
        (Some(team), _) => {
            super::team_bookings::book(
                &txn,
                &b,
                team,
                &calendar,
                length_min,
                invitee.start,
                booker_tz,
                contact_owner,
                now,
                make,
            )
            .await?
        }
        (None, Some(seats)) => {
            let seated = super::seats::take(
                &txn,
                &b,
                &calendar,
                seats,
                length_min,
                invitee.start,
                booker_tz,
                &invitee.attendee,
                |span, busy| make(&b.host, span, busy),
                now,
            )
            .await?;
            let mut own = seated.clone();
            own.attendees = vec![invitee.attendee.clone()];
            seat_view = Some(own);
            (seated, vec![b.host.clone()])
        }
        (None, None) => {
            let (span, busy) = place(
                &txn,
                &b,
                &calendar,
                length_min,
                invitee.start,
                booker_tz,
                None,
                now,
            )
            .await?;
            let booking = store::bookings::insert(&txn, &make(&b.host, span, busy))
                .await
                .map_err(store_error)?;
            (booking, vec![b.host.clone()])
        }
    };
    super::customers::link_booking(&txn, &booking, now).await?;
    if let Some(customer) = link.and_then(|l| l.customer_id) {
        let stakeholder = link.and_then(|l| l.stakeholder_id);
        super::customers::link_invitee(&txn, &booking, customer, stakeholder, now).await?;
    }
    let view = BookingView {
        booking: seat_view.unwrap_or(booking),
        host: hosts[0].clone(),
        hosts,
        event_type_slug: b.event_type.slug,
        seat_uid: invitee.attendee.seat_uid.clone(),
    };
    record(&txn, trigger, &view, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(booking.uid = %view.booking.uid, event_type.id = %view.booking.event_type_id, "booking created");
    Ok(Booked::One(Box::new(view)))
}

/// A booking's title: "{event type} between {host} and {invitee}".
pub(super) fn title(event_type: &EventType, host: &User, invitee: &str) -> String {
    format!("{} between {} and {}", event_type.title, host.name, invitee)
}

fn new_uid() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Finds booking `uid`: anyone holding the uid may see it; a caller only within their organization.
pub(super) async fn find(app: &App, caller: Option<Caller>, uid: &str) -> Result<Booking> {
    store::bookings::find_by_uid(&app.db, caller.map(|c| c.org_id), uid)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("booking `{uid}` does not exist")))
}

async fn view(app: &App, booking: Booking) -> Result<BookingView> {
    view_in(&app.db, booking).await
}

/// [`view`] read through `db` (a transaction that wrote the booking).
pub(super) async fn view_in(db: &impl ConnectionTrait, booking: Booking) -> Result<BookingView> {
    let uid = booking.uid.clone();
    views_in(db, vec![booking])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("booking `{uid}` does not exist")))
}

/// `bookings` with their hosts and event type slugs, in the same order; a booking
/// whose host no longer exists is left out.
pub(super) async fn views(app: &App, bookings: Vec<Booking>) -> Result<Vec<BookingView>> {
    views_in(&app.db, bookings).await
}

async fn views_in(db: &impl ConnectionTrait, bookings: Vec<Booking>) -> Result<Vec<BookingView>> {
    let Some(org) = bookings.first().map(|b| b.org_id) else {
        return Ok(Vec::new());
    };
    let refs: Vec<&Booking> = bookings.iter().collect();
    let host_ids = store::booking_hosts::of_bookings(db, &refs).await?;
    let mut all: Vec<UserId> = host_ids.values().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    let users: HashMap<UserId, User> = store::users::in_org(db, org, &all)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let slugs = store::event_types::slugs(db, bookings.iter().map(|b| b.event_type_id)).await?;
    Ok(bookings
        .into_iter()
        .filter_map(|booking| {
            let hosts: Vec<User> = host_ids
                .get(&booking.id)
                .into_iter()
                .flatten()
                .filter_map(|id| users.get(id).cloned())
                .collect();
            Some(BookingView {
                host: users.get(&booking.host)?.clone(),
                hosts,
                event_type_slug: slugs
                    .get(&booking.event_type_id)
                    .cloned()
                    .unwrap_or_default(),
                booking,
                seat_uid: None,
            })
        })
        .collect())
}

/// The booking `uid`.
/// `uid` may be a booking's uid or one seat's: a seat holder sees only their seat of a
/// seated booking (unless its event type shows attendees); a caller of the booking's
/// organization sees every seat.
pub async fn get(app: &App, caller: Option<Caller>, uid: &str) -> Result<BookingView> {
    let (booking, seat) = find_with_seat(app, caller, uid).await?;
    let mut view = view(app, booking).await?;
    show_to(app, &mut view, caller, seat).await?;
    Ok(view)
}

/// Finds booking `uid`, or the booking holding seat `uid` (then also the seat's uid).
async fn find_with_seat(
    app: &App,
    caller: Option<Caller>,
    uid: &str,
) -> Result<(Booking, Option<String>)> {
    let org = caller.map(|c| c.org_id);
    if let Some(booking) = store::bookings::find_by_uid(&app.db, org, uid).await? {
        return Ok((booking, None));
    }
    store::bookings::find_by_seat_uid(&app.db, org, uid)
        .await?
        .map(|booking| (booking, Some(uid.to_string())))
        .ok_or_else(|| AppError::NotFound(format!("booking `{uid}` does not exist")))
}

/// Narrows a seated booking's attendees to what the viewer may see.
async fn show_to(
    app: &App,
    view: &mut BookingView,
    caller: Option<Caller>,
    seat: Option<String>,
) -> Result<()> {
    if !is_seated(&view.booking.attendees) {
        return Ok(());
    }
    let show = store::event_types::find(&app.db, view.booking.org_id, view.booking.event_type_id)
        .await?
        .and_then(|e| e.seats)
        .is_some_and(|s| s.show_attendees);
    let viewer = match (caller, seat.as_deref()) {
        (Some(_), _) => Viewer::Host,
        (None, Some(seat)) => Viewer::Seat(seat),
        (None, None) => Viewer::Anonymous,
    };
    view.booking.attendees = visible_attendees(&view.booking.attendees, show, viewer);
    view.seat_uid = seat;
    Ok(())
}

/// One page of the caller's bookings as host.
pub async fn list(
    app: &App,
    caller: Caller,
    input: ListInput,
    now: DateTime<Utc>,
) -> Result<Page<BookingView>> {
    let mut issues = Issues::default();
    let after_start = input
        .after_start
        .as_deref()
        .and_then(|s| issues.take(input::instant("afterStart", s)));
    let before_end = input
        .before_end
        .as_deref()
        .and_then(|s| issues.take(input::instant("beforeEnd", s)));
    if let Some(email) = &input.attendee_email {
        issues.take(validate::email(email).map_err(|m| FieldIssue::new("attendeeEmail", m)));
    }
    let page = issues.finish_with(input.page.check::<StartAndId>())?;
    let query = BookingQuery {
        host: Some(caller.user_id),
        customer: None,
        statuses: input.statuses,
        attendee_email: input.attendee_email,
        event_type_id: input.event_type_id.map(EventTypeId),
        after_start,
        before_end,
        descending: input.descending,
        page,
    };
    let rows = store::bookings::list(&app.db, caller.org_id, &query, now).await?;
    let page = Page::from_rows(rows, &query.page, |b| (b.span.start, b.id));
    Ok(Page {
        items: views(app, page.items).await?,
        next_cursor: page.next_cursor,
    })
}

/// A bookings page ends at a start instant and, among bookings starting then, an id.
pub(super) type StartAndId = (DateTime<Utc>, BookingId);

/// Written `{start ms}_{id}`.
impl Cursor for StartAndId {
    fn encode(&self) -> String {
        format!("{}_{}", self.0.timestamp_millis(), self.1.0)
    }

    fn decode(cursor: &str) -> Option<StartAndId> {
        let (ms, id) = cursor.split_once('_')?;
        let start = DateTime::from_timestamp_millis(ms.parse().ok()?)?;
        Some((start, BookingId(id.parse().ok()?)))
    }
}

pub(super) fn changed_meanwhile(uid: &str) -> AppError {
    AppError::Conflict(format!(
        "booking `{uid}` was changed by another request; reload it and retry"
    ))
}

pub(super) fn ensure_live(booking: &Booking, action: &str) -> Result<()> {
    if booking.status.holds_time() {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "booking `{}` is {} and cannot be {action}",
            booking.uid,
            booking.status.as_str()
        )))
    }
}

/// Moves a booking: a new booking is made at `start` and the old one is cancelled,
/// both in one transaction. The old booking's own time counts as free.
pub async fn reschedule(
    app: &App,
    caller: Option<Caller>,
    uid: &str,
    input: RescheduleInput,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    reschedule_checking(app, caller, uid, input, true, now).await
}

/// [`reschedule`], checking the host's connected calendars only with
/// `check_calendars`: a move made in the host's own calendar finds the booking's event
/// already at the new time, busy with the booking itself.
pub(super) async fn reschedule_checking(
    app: &App,
    caller: Option<Caller>,
    uid: &str,
    input: RescheduleInput,
    check_calendars: bool,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    let start = input
        .start
        .as_deref()
        .ok_or_else(|| AppError::invalid("start", "is required"))
        .and_then(|s| input::instant("start", s).map_err(|i| AppError::Validation(vec![i])))?;
    if let Some(by) = &input.rescheduled_by {
        validate::email(by).map_err(|m| AppError::invalid("rescheduledBy", m))?;
    }
    let old = find(app, caller, uid).await?;
    ensure_live(&old, "rescheduled")?;
    let by_host = caller.is_some_and(|c| c.user_id == old.host);
    let seated = is_seated(&old.attendees);
    if seated && !by_host {
        return Err(AppError::Forbidden(format!(
            "only the host can move seated booking `{uid}`; cancel your seat and book another time"
        )));
    }
    let b = bookable(app, &EventTypeRef::Id(old.event_type_id)).await?;
    let length_min = u32::try_from(old.span.minutes()).unwrap_or(b.event_type.length_min);
    let old_id = old.id;

    let old_hosts = store::booking_hosts::of_bookings(&app.db, &[&old])
        .await?
        .remove(&old.id)
        .unwrap_or_else(|| vec![old.host]);
    let calendar = if check_calendars {
        calendar_near(app, &b, meeting(start, length_min), now).await?
    } else {
        CalendarBusy::default()
    };
    let txn = store::db::begin_write(&app.db).await?;
    let booker_tz = b.event_type.slot_zone(old.invitee_time_zone());
    let (span, busy) = match &b.team {
        Some(team) => {
            super::team_bookings::check_all(
                &txn, &b, team, &calendar, &old_hosts, length_min, start, booker_tz, old.id, now,
            )
            .await?
        }
        None => {
            place(
                &txn,
                &b,
                &calendar,
                length_min,
                start,
                booker_tz,
                Some(old.id),
                now,
            )
            .await?
        }
    };
    let new_uid = new_uid();
    let mut cancelled = old.clone();
    cancelled.status = BookingStatus::Cancelled;
    cancelled.rescheduled_to_uid = Some(new_uid.clone());
    cancelled.cancellation_reason = input.rescheduling_reason.clone();
    cancelled.updated_at = now;
    cancelled.cancelled_by = Some(if by_host {
        CancelledBy::Host
    } else {
        CancelledBy::Attendee
    });
    if !store::bookings::update_lifecycle(&txn, &cancelled, old.status)
        .await
        .map_err(store_error)?
    {
        return Err(changed_meanwhile(uid));
    }
    if seated {
        store::bookings::release_seat_uids(&txn, old.id).await?;
    }
    let status = if b.event_type.needs_confirmation(start, now) && !by_host {
        BookingStatus::Pending
    } else {
        BookingStatus::Accepted
    };
    let moved = Booking {
        id: BookingId(0),
        uid: new_uid,
        status,
        span,
        busy,
        rescheduling_reason: input.rescheduling_reason,
        rescheduled_from_uid: Some(old.uid.clone()),
        rescheduled_to_uid: None,
        cancellation_reason: None,
        cancelled_by: None,
        created_at: now,
        updated_at: now,
        ..old
    };
    let moved = store::bookings::insert(&txn, &moved)
        .await
        .map_err(store_error)?;
    store::booking_hosts::add(&txn, &moved, &old_hosts[1..])
        .await
        .map_err(store_error)?;
    super::customers::link_moved_booking(&txn, old_id, &moved, now).await?;
    let moved = view_in(&txn, moved).await?;
    record(&txn, "BOOKING_RESCHEDULED", &moved, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(booking.uid = %moved.booking.uid, booking.rescheduled_from = %uid, "booking rescheduled");
    Ok(moved)
}

/// Changes a live booking's status in one transaction with its outbox event.
pub(super) async fn transition(
    app: &App,
    mut booking: Booking,
    status: BookingStatus,
    reason: Option<String>,
    trigger: &str,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    let was = booking.status;
    booking.status = status;
    booking.cancellation_reason = reason;
    booking.updated_at = now;
    let view = view(app, booking).await?;
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    if !store::bookings::update_lifecycle(&txn, &view.booking, was)
        .await
        .map_err(store_error)?
    {
        return Err(changed_meanwhile(&view.booking.uid));
    }
    record(&txn, trigger, &view, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(booking.uid = %view.booking.uid, booking.status = status.as_str(), "booking status changed");
    Ok(view)
}

/// Cancels a booking, freeing its time.
pub async fn cancel(
    app: &App,
    caller: Option<Caller>,
    uid: &str,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    let input = CancelInput {
        cancellation_reason: reason,
        ..CancelInput::default()
    };
    cancel_with(app, caller, uid, input, now).await
}

/// Cancels a booking, or one seat of a seated booking: `uid` may be a seat's uid, or
/// `seatUid` names the seat. Only the host cancels a seated booking as a whole.
pub async fn cancel_with(
    app: &App,
    caller: Option<Caller>,
    uid: &str,
    input: CancelInput,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    let (mut booking, found_seat) = find_with_seat(app, caller, uid).await?;
    ensure_live(&booking, "cancelled")?;
    let by = match caller {
        Some(c) if c.user_id == booking.host => CancelledBy::Host,
        _ => CancelledBy::Attendee,
    };
    if let Some(seat) = input.seat_uid.or(found_seat) {
        return super::seats::cancel(app, booking, &seat, input.cancellation_reason, by, now).await;
    }
    if is_seated(&booking.attendees) && by != CancelledBy::Host {
        return Err(AppError::invalid(
            "seatUid",
            "is required: only the host cancels every seat of a seated booking",
        ));
    }
    booking.cancelled_by = Some(by);
    transition(
        app,
        booking,
        BookingStatus::Cancelled,
        input.cancellation_reason,
        "BOOKING_CANCELLED",
        now,
    )
    .await
}

/// Whether one attendee came, as the host marks it.
#[derive(Debug, Clone, Deserialize)]
pub struct Presence {
    /// The attendee's email (any case).
    pub email: String,
    /// `true`: a no-show.
    pub absent: bool,
}

/// The host marks attendees absent (a no-show) or present again, once the meeting has
/// begun; engagement counts a customer's absent attendee as a no-show. Fires
/// `BOOKING_NO_SHOW_UPDATED`.
pub async fn mark_absent(
    app: &App,
    caller: Caller,
    uid: &str,
    attendees: Vec<Presence>,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    let mut booking = find(app, Some(caller), uid).await?;
    if booking.host != caller.user_id {
        return Err(AppError::Forbidden(format!(
            "only the host can mark who attended booking `{uid}`"
        )));
    }
    let mut issues = Issues::default();
    issues.require(
        !attendees.is_empty(),
        "attendees",
        "name at least one attendee",
    );
    for (i, presence) in attendees.iter().enumerate() {
        let known = booking
            .attendees
            .iter()
            .any(|a| a.email.eq_ignore_ascii_case(presence.email.trim()));
        issues.require(
            known,
            &format!("attendees[{i}].email"),
            format!("`{}` is not an attendee of booking `{uid}`", presence.email),
        );
    }
    issues.finish()?;
    ensure_live(&booking, "marked")?;
    if booking.span.start > now {
        return Err(AppError::Conflict(format!(
            "booking `{uid}` has not begun; attendance can be marked from its start"
        )));
    }
    for presence in &attendees {
        for a in &mut booking.attendees {
            if a.email.eq_ignore_ascii_case(presence.email.trim()) {
                a.absent = presence.absent;
            }
        }
    }
    booking.updated_at = now;
    let view = view(app, booking).await?;
    let txn = app.db.begin().await.map_err(StoreError::from)?;
    for presence in &attendees {
        store::bookings::set_absent(
            &txn,
            view.booking.id,
            presence.email.trim(),
            presence.absent,
        )
        .await?;
    }
    record(&txn, "BOOKING_NO_SHOW_UPDATED", &view, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(view)
}

async fn pending_of_host(app: &App, caller: Caller, uid: &str, action: &str) -> Result<Booking> {
    let booking = find(app, Some(caller), uid).await?;
    if booking.host != caller.user_id {
        return Err(AppError::Forbidden(format!(
            "only the host can {action} booking `{uid}`"
        )));
    }
    if booking.status != BookingStatus::Pending {
        return Err(AppError::Conflict(format!(
            "booking `{uid}` is {}; only pending bookings can be confirmed or declined",
            booking.status.as_str()
        )));
    }
    Ok(booking)
}

/// The host accepts a pending booking.
pub async fn confirm(
    app: &App,
    caller: Caller,
    uid: &str,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    let booking = pending_of_host(app, caller, uid, "confirm").await?;
    transition(
        app,
        booking,
        BookingStatus::Accepted,
        None,
        "BOOKING_CREATED",
        now,
    )
    .await
}

/// The host declines a pending booking, freeing its time.
pub async fn decline(
    app: &App,
    caller: Caller,
    uid: &str,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    let booking = pending_of_host(app, caller, uid, "decline").await?;
    transition(
        app,
        booking,
        BookingStatus::Rejected,
        reason,
        "BOOKING_REJECTED",
        now,
    )
    .await
}

/// Hands round-robin booking `uid` to the next host: the one the round-robin rule picks
/// among the event type's other hosts free at that time, the current one left out.
/// For the booking's host and the team's owners and admins (or the organization's).
/// Fires `BOOKING_REASSIGNED`.
pub async fn reassign(
    app: &App,
    caller: Caller,
    uid: &str,
    now: DateTime<Utc>,
) -> Result<BookingView> {
    let booking = find(app, Some(caller), uid).await?;
    ensure_live(&booking, "reassigned")?;
    if booking.span.start <= now {
        return Err(AppError::Conflict(format!(
            "booking `{uid}` has begun; only future bookings can be reassigned"
        )));
    }
    let b = bookable(app, &EventTypeRef::Id(booking.event_type_id)).await?;
    let (Some(team), Some(team_id)) = (&b.team, b.event_type.team_id) else {
        return Err(AppError::Conflict(format!(
            "booking `{uid}` is not a team booking: there is no other host"
        )));
    };
    if booking.host != caller.user_id {
        super::teams::managed(app, caller, team_id).await?;
    }
    let calendar = calendar_near(app, &b, booking.span, now).await?;
    let txn = store::db::begin_write(&app.db).await?;
    let host = super::team_bookings::reassign(&txn, &b, team, &calendar, &booking, now).await?;
    let from = booking.host;
    let invitee = booking
        .attendees
        .first()
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let reassigned = Booking {
        host: host.id,
        title: title(&b.event_type, &host, &invitee),
        updated_at: now,
        ..booking
    };
    let view = view_in(&txn, reassigned).await?;
    record(&txn, "BOOKING_REASSIGNED", &view, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(booking.uid = %uid, from = from.0, to = host.id.0, "booking reassigned");
    Ok(view)
}
