//! Event types in Cal.com API v2's shape (`cal-api-version: 2024-06-14`).

use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;

use super::auth::Caller;
use super::input::{self, Issues};
use super::page::{Page, PageRequest};
use super::{App, AppError, Result};
use crate::domain::event_type::{BookingField, EventType, Location};
use crate::domain::ids::{EventTypeId, OrgId, ScheduleId, UserId};
use crate::domain::recurrence::Recurrence;
use crate::domain::rules::{BookingWindow, PeriodLimits};
use crate::domain::seats::Seats;
use crate::domain::user::User;
use crate::domain::validate::{self, FieldIssue};
use crate::store;

/// Per-period limits as sent: `{day, week, month, year}`, or `{disabled: true}` to remove them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitsInput {
    /// Per local day.
    pub day: Option<i64>,
    /// Per ISO week.
    pub week: Option<i64>,
    /// Per calendar month.
    pub month: Option<i64>,
    /// Per calendar year.
    pub year: Option<i64>,
    /// Remove every limit.
    pub disabled: Option<bool>,
}

/// How far ahead it can be booked: `{type: calendarDays|businessDays, value: N}`,
/// `{type: range, value: [start, end]}`, or `{disabled: true}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowInput {
    /// `calendarDays`, `businessDays` or `range`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// A day count, or two dates.
    pub value: Option<Value>,
    /// Accepted for compatibility; the window is always counted from today.
    pub rolling: Option<bool>,
    /// Remove the window.
    pub disabled: Option<bool>,
}

/// Seats per slot as sent, Cal.com's `seats` object, or `{disabled: true}` to remove them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatsInput {
    /// How many invitees one slot holds.
    pub seats_per_time_slot: Option<i64>,
    /// Whether invitees see each other (default no).
    pub show_attendee_info: Option<bool>,
    /// Accepted for compatibility: slots always report seats remaining.
    pub show_availability_count: Option<bool>,
    /// Remove seats.
    pub disabled: Option<bool>,
}

/// A recurrence rule as sent, Cal.com's `recurrence` object, or `{disabled: true}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecurrenceInput {
    /// `weekly` or `monthly`.
    pub frequency: Option<String>,
    /// Every how many weeks or months (default 1).
    pub interval: Option<i64>,
    /// The most occurrences a booking may ask for.
    #[serde(alias = "maxOccurrences")]
    pub occurrences: Option<i64>,
    /// Remove the rule.
    pub disabled: Option<bool>,
}

/// A notice threshold as Cal.com sends it: `{unit: "minutes" | "hours", count}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeThresholdInput {
    /// `minutes` or `hours`.
    pub unit: Option<String>,
    /// How many.
    pub count: Option<i64>,
}

/// Cal.com's `confirmationPolicy`: `{type: "always"}`, `{type: "time", noticeThreshold}`
/// (only bookings with less notice wait for the host), or `{disabled: true}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmationPolicyInput {
    /// `always` or `time`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// With `time`: the notice below which a booking waits.
    pub notice_threshold: Option<NoticeThresholdInput>,
    /// Accepted for compatibility: pending bookings always hold their slot.
    pub block_unconfirmed_bookings_in_booker: Option<bool>,
    /// No confirmation needed.
    pub disabled: Option<bool>,
}

/// Fields of an event type to create or change; on update, absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeInput {
    /// Title shown to invitees.
    pub title: Option<String>,
    /// URL slug, unique per host.
    pub slug: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Default length.
    pub length_in_minutes: Option<i64>,
    /// Lengths an invitee may choose.
    pub length_in_minutes_options: Option<Vec<i64>>,
    /// Slot step.
    pub slot_interval: Option<i64>,
    /// Minutes of notice required.
    pub minimum_booking_notice: Option<i64>,
    /// Minutes kept free before.
    pub before_event_buffer: Option<i64>,
    /// Minutes kept free after.
    pub after_event_buffer: Option<i64>,
    /// The schedule to use instead of the host's default.
    pub schedule_id: Option<i64>,
    /// Maximum bookings per period.
    pub booking_limits_count: Option<LimitsInput>,
    /// Maximum booked minutes per period.
    pub booking_limits_duration: Option<LimitsInput>,
    /// How far ahead it can be booked.
    pub booking_window: Option<WindowInput>,
    /// New bookings wait for the host's confirmation.
    pub requires_confirmation: Option<bool>,
    /// Only bookings made less than this many minutes ahead wait (sets
    /// `requiresConfirmation`); 0 makes every booking wait again.
    pub requires_confirmation_threshold_min: Option<i64>,
    /// Cal.com's way to say the same as the two fields above.
    pub confirmation_policy: Option<ConfirmationPolicyInput>,
    /// `false` unlocks the zone; `true` needs `lockedTimeZone` (now or already set).
    pub lock_time_zone_toggle_on_booking_page: Option<bool>,
    /// The IANA zone slots are always shown in (locks it).
    pub locked_time_zone: Option<String>,
    /// Seats per slot: several invitees share one booking of a slot.
    pub seats: Option<SeatsInput>,
    /// How a booking repeats: one request books a series.
    pub recurrence: Option<RecurrenceInput>,
    /// Where meetings happen (Cal.com location objects).
    pub locations: Option<Vec<Value>>,
    /// Extra booking questions.
    pub booking_fields: Option<Vec<Value>>,
}

const DAY_MIN: i64 = 24 * 60;

fn minutes(issues: &mut Issues, field: &str, value: i64, min: i64, max: i64) -> Option<u32> {
    issues.require(
        (min..=max).contains(&value),
        field,
        format!("must be between {min} and {max} minutes"),
    );
    u32::try_from(value)
        .ok()
        .filter(|_| (min..=max).contains(&value))
}

pub(super) fn limits(issues: &mut Issues, field: &str, input: &LimitsInput) -> PeriodLimits {
    if input.disabled == Some(true) {
        return PeriodLimits::default();
    }
    let mut one = |name: &str, v: Option<i64>| {
        v.and_then(|v| {
            let field = format!("{field}.{name}");
            issues.require(v >= 1, &field, "must be at least 1");
            u32::try_from(v).ok().filter(|v| *v >= 1)
        })
    };
    PeriodLimits {
        day: one("day", input.day),
        week: one("week", input.week),
        month: one("month", input.month),
        year: one("year", input.year),
    }
}

fn window(issues: &mut Issues, input: &WindowInput) -> BookingWindow {
    if input.disabled == Some(true) {
        return BookingWindow::Unlimited;
    }
    let days = |issues: &mut Issues| {
        let days = input
            .value
            .as_ref()
            .and_then(Value::as_u64)
            .filter(|d| (1..=3650).contains(d));
        issues.require(
            days.is_some(),
            "bookingWindow.value",
            "must be a number of days from 1 to 3650",
        );
        days.map(|d| d as u32)
    };
    match input.kind.as_deref() {
        Some("calendarDays") => {
            days(issues).map_or(BookingWindow::Unlimited, BookingWindow::CalendarDays)
        }
        Some("businessDays") => {
            days(issues).map_or(BookingWindow::Unlimited, BookingWindow::BusinessDays)
        }
        Some("range") => {
            let dates: Option<Vec<&str>> = input
                .value
                .as_ref()
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(Value::as_str).collect());
            let Some([start, end]) = dates.as_deref() else {
                issues.require(
                    false,
                    "bookingWindow.value",
                    "must be two dates [start, end]",
                );
                return BookingWindow::Unlimited;
            };
            let start = issues.take(input::date("bookingWindow.value[0]", start));
            let end = issues.take(input::date("bookingWindow.value[1]", end));
            match (start, end) {
                (Some(start), Some(end)) if start <= end => BookingWindow::DateRange { start, end },
                (Some(_), Some(_)) => {
                    issues.require(
                        false,
                        "bookingWindow.value",
                        "the start date must not be after the end date",
                    );
                    BookingWindow::Unlimited
                }
                _ => BookingWindow::Unlimited,
            }
        }
        other => {
            issues.require(
                false,
                "bookingWindow.type",
                format!(
                    "`{}` is not one of calendarDays, businessDays, range",
                    other.unwrap_or("")
                ),
            );
            BookingWindow::Unlimited
        }
    }
}

fn confirmation_policy(issues: &mut Issues, e: &mut EventType, input: &ConfirmationPolicyInput) {
    if input.disabled == Some(true) {
        e.requires_confirmation = false;
        e.confirmation_threshold_min = None;
        return;
    }
    match input.kind.as_deref() {
        Some("always") => {
            e.requires_confirmation = true;
            e.confirmation_threshold_min = None;
        }
        Some("time") => {
            let threshold = input.notice_threshold.clone().unwrap_or_default();
            let per_unit = match threshold.unit.as_deref() {
                Some("minutes") => Some(1),
                Some("hours") => Some(60),
                other => {
                    issues.require(
                        false,
                        "confirmationPolicy.noticeThreshold.unit",
                        format!("`{}` is not one of minutes, hours", other.unwrap_or("")),
                    );
                    None
                }
            };
            let count = threshold.count.unwrap_or(0);
            if let Some(per_unit) = per_unit {
                e.requires_confirmation = true;
                e.confirmation_threshold_min = minutes(
                    issues,
                    "confirmationPolicy.noticeThreshold.count",
                    count.saturating_mul(per_unit),
                    1,
                    366 * DAY_MIN,
                );
            }
        }
        other => issues.require(
            false,
            "confirmationPolicy.type",
            format!("`{}` is not one of always, time", other.unwrap_or("")),
        ),
    }
}

fn recurrence(issues: &mut Issues, input: &RecurrenceInput) -> Option<Recurrence> {
    if input.disabled == Some(true) {
        return None;
    }
    let (Some(frequency), Some(occurrences)) = (&input.frequency, input.occurrences) else {
        issues.require(
            input.frequency.is_some(),
            "recurrence.frequency",
            "is required",
        );
        issues.require(
            input.occurrences.is_some(),
            "recurrence.occurrences",
            "is required",
        );
        return None;
    };
    match Recurrence::new(
        "recurrence",
        frequency,
        input.interval.unwrap_or(1),
        occurrences,
    ) {
        Ok(rule) => Some(rule),
        Err(found) => {
            issues.0.extend(found);
            None
        }
    }
}

/// The seats `input` asks for; a field it leaves out keeps its `current` value.
fn seats(issues: &mut Issues, current: Option<Seats>, input: &SeatsInput) -> Option<Seats> {
    if input.disabled == Some(true) {
        return None;
    }
    let count = input
        .seats_per_time_slot
        .or(current.map(|s| i64::from(s.per_time_slot)));
    let Some(n) = count else {
        issues.require(false, "seats.seatsPerTimeSlot", "is required");
        return None;
    };
    let show = input
        .show_attendee_info
        .or(current.map(|s| s.show_attendees))
        .unwrap_or(false);
    issues.take(Seats::new(n, show).map_err(|m| FieldIssue::new("seats.seatsPerTimeSlot", m)))
}

fn parse_list<T: serde::de::DeserializeOwned>(
    issues: &mut Issues,
    field: &str,
    values: &[Value],
) -> Vec<T> {
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            issues.take(
                serde_json::from_value(v.clone())
                    .map_err(|e| FieldIssue::new(format!("{field}[{i}]"), e.to_string())),
            )
        })
        .collect()
}

pub(super) fn apply(e: &mut EventType, input: &EventTypeInput) -> Result<()> {
    let mut issues = Issues::default();
    if let Some(title) = &input.title {
        issues.require(!title.trim().is_empty(), "title", "must not be empty");
        e.title = title.trim().to_string();
    }
    if let Some(slug) = &input.slug {
        issues.take(validate::slug(slug).map_err(|m| FieldIssue::new("slug", m)));
        e.slug = slug.clone();
    }
    if let Some(description) = &input.description {
        e.description = description.clone();
    }
    if let Some(v) = input.length_in_minutes {
        e.length_min =
            minutes(&mut issues, "lengthInMinutes", v, 1, DAY_MIN).unwrap_or(e.length_min);
    }
    if let Some(options) = &input.length_in_minutes_options {
        e.length_options = options
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                minutes(
                    &mut issues,
                    &format!("lengthInMinutesOptions[{i}]"),
                    *v,
                    1,
                    DAY_MIN,
                )
            })
            .collect();
    }
    issues.require(
        e.length_options.is_empty() || e.length_options.contains(&e.length_min),
        "lengthInMinutesOptions",
        "must include lengthInMinutes",
    );
    if let Some(v) = input.slot_interval {
        e.slot_interval_min = minutes(&mut issues, "slotInterval", v, 1, DAY_MIN);
    }
    if let Some(v) = input.minimum_booking_notice {
        e.min_notice_min =
            minutes(&mut issues, "minimumBookingNotice", v, 0, 366 * DAY_MIN).unwrap_or(0);
    }
    if let Some(v) = input.before_event_buffer {
        e.buffer_before_min = minutes(&mut issues, "beforeEventBuffer", v, 0, DAY_MIN).unwrap_or(0);
    }
    if let Some(v) = input.after_event_buffer {
        e.buffer_after_min = minutes(&mut issues, "afterEventBuffer", v, 0, DAY_MIN).unwrap_or(0);
    }
    if let Some(l) = &input.booking_limits_count {
        e.count_limits = limits(&mut issues, "bookingLimitsCount", l);
    }
    if let Some(l) = &input.booking_limits_duration {
        e.duration_limits = limits(&mut issues, "bookingLimitsDuration", l);
    }
    if let Some(w) = &input.booking_window {
        e.window = window(&mut issues, w);
    }
    if let Some(v) = input.requires_confirmation {
        e.requires_confirmation = v;
    }
    if let Some(v) = input.requires_confirmation_threshold_min {
        if v == 0 {
            e.confirmation_threshold_min = None;
        } else {
            e.requires_confirmation = true;
            e.confirmation_threshold_min = minutes(
                &mut issues,
                "requiresConfirmationThresholdMin",
                v,
                0,
                366 * DAY_MIN,
            );
        }
    }
    if let Some(policy) = &input.confirmation_policy {
        confirmation_policy(&mut issues, e, policy);
    }
    match (
        input.lock_time_zone_toggle_on_booking_page,
        &input.locked_time_zone,
    ) {
        (Some(false), _) => e.locked_time_zone = None,
        (_, Some(zone)) => e.locked_time_zone = issues.take(input::zone("lockedTimeZone", zone)),
        (Some(true), None) => issues.require(
            e.locked_time_zone.is_some(),
            "lockedTimeZone",
            "is required to lock the time zone",
        ),
        (None, None) => {}
    }
    if let Some(s) = &input.seats {
        e.seats = seats(&mut issues, e.seats, s);
    }
    if let Some(r) = &input.recurrence {
        e.recurrence = recurrence(&mut issues, r);
    }
    issues.0.extend(crate::domain::seats::check_options(
        e.seats,
        e.requires_confirmation,
        e.team_id.is_some(),
    ));
    issues.0.extend(crate::domain::recurrence::check_options(
        e.recurrence,
        e.seats.is_some(),
        e.team_id.is_some(),
    ));
    if let Some(locations) = &input.locations {
        e.locations = parse_list::<Location>(&mut issues, "locations", locations);
    }
    if let Some(fields) = &input.booking_fields {
        e.booking_fields = parse_list::<BookingField>(&mut issues, "bookingFields", fields);
        for (i, f) in e.booking_fields.iter().enumerate() {
            issues.take(
                validate::slug(&f.slug)
                    .map_err(|m| FieldIssue::new(format!("bookingFields[{i}].slug"), m)),
            );
            issues.require(
                e.booking_fields.iter().filter(|g| g.slug == f.slug).count() == 1,
                &format!("bookingFields[{i}].slug"),
                format!("`{}` is used by more than one question", f.slug),
            );
        }
    }
    issues.finish()
}

async fn check_schedule(
    app: &App,
    caller: Caller,
    e: &mut EventType,
    schedule_id: Option<i64>,
) -> Result<()> {
    if let Some(id) = schedule_id {
        let found = store::schedules::find(&app.db, caller.org_id, ScheduleId(id))
            .await?
            .filter(|s| s.user_id == e.owner);
        if found.is_none() {
            return Err(AppError::invalid(
                "scheduleId",
                format!("schedule {id} does not exist"),
            ));
        }
        e.schedule_id = Some(ScheduleId(id));
    }
    Ok(())
}

fn slug_taken(slug: &str) -> impl FnOnce(store::StoreError) -> AppError + '_ {
    move |err| match err {
        store::StoreError::Duplicate => {
            AppError::Conflict(format!("you already have an event type with slug `{slug}`"))
        }
        other => other.into(),
    }
}

/// A 30-minute event type of `owner` with every option at its default: what a new
/// event type starts from.
pub(super) fn sketch(org: OrgId, owner: UserId) -> EventType {
    let now = Utc::now();
    EventType {
        id: EventTypeId(0),
        org_id: org,
        owner,
        team_id: None,
        slug: String::new(),
        title: String::new(),
        description: String::new(),
        length_min: 30,
        length_options: Vec::new(),
        slot_interval_min: None,
        min_notice_min: 0,
        buffer_before_min: 0,
        buffer_after_min: 0,
        window: BookingWindow::Unlimited,
        count_limits: PeriodLimits::default(),
        duration_limits: PeriodLimits::default(),
        requires_confirmation: false,
        confirmation_threshold_min: None,
        locked_time_zone: None,
        seats: None,
        recurrence: None,
        locations: Vec::new(),
        booking_fields: Vec::new(),
        schedule_id: None,
        created_at: now,
        updated_at: now,
    }
}

/// A new event type of the caller from `input`, checked but not saved.
pub(super) fn draft(caller: Caller, input: &EventTypeInput) -> Result<EventType> {
    let mut issues = Issues::default();
    issues.require(input.title.is_some(), "title", "is required");
    issues.require(input.slug.is_some(), "slug", "is required");
    issues.require(
        input.length_in_minutes.is_some(),
        "lengthInMinutes",
        "is required",
    );
    issues.finish()?;
    let mut e = sketch(caller.org_id, caller.user_id);
    apply(&mut e, input)?;
    Ok(e)
}

/// Creates an event type owned by the caller.
pub async fn create(app: &App, caller: Caller, input: EventTypeInput) -> Result<EventType> {
    let mut e = draft(caller, &input)?;
    check_schedule(app, caller, &mut e, input.schedule_id).await?;
    store::event_types::insert(&app.db, &e)
        .await
        .map_err(slug_taken(&e.slug))
}

/// The caller's personal event type `id`.
pub async fn get(app: &App, caller: Caller, id: EventTypeId) -> Result<EventType> {
    store::event_types::find(&app.db, caller.org_id, id)
        .await?
        .filter(|e| e.owner == caller.user_id && e.team_id.is_none())
        .ok_or_else(|| AppError::NotFound(format!("event type {id} does not exist")))
}

/// One page of the caller's event types, oldest first.
pub async fn list(app: &App, caller: Caller, page: PageRequest) -> Result<Page<EventType>> {
    let keyset = page.keyset()?;
    let rows =
        store::event_types::list_for_owner(&app.db, caller.org_id, caller.user_id, keyset).await?;
    Ok(Page::from_rows(rows, &keyset, |e| e.id.0))
}

/// A host's public event type `username/slug` (what a booking page shows).
pub async fn find_public(app: &App, username: &str, slug: &str) -> Result<(User, EventType)> {
    let not_found = || AppError::NotFound(format!("event type `{username}/{slug}` does not exist"));
    let host = store::users::find_by_username(&app.db, username)
        .await?
        .ok_or_else(not_found)?;
    let e = store::event_types::find_by_slug(&app.db, host.id, slug)
        .await?
        .ok_or_else(not_found)?;
    Ok((host, e))
}

/// Changes the fields given in `input`.
pub async fn update(
    app: &App,
    caller: Caller,
    id: EventTypeId,
    input: EventTypeInput,
) -> Result<EventType> {
    let mut e = get(app, caller, id).await?;
    apply(&mut e, &input)?;
    check_schedule(app, caller, &mut e, input.schedule_id).await?;
    store::event_types::update(&app.db, &e)
        .await
        .map_err(slug_taken(&e.slug))
}

/// Deletes the caller's event type `id`; its bookings are kept.
pub async fn delete(app: &App, caller: Caller, id: EventTypeId) -> Result<()> {
    get(app, caller, id).await?;
    store::event_types::delete(&app.db, caller.org_id, id).await?;
    Ok(())
}
