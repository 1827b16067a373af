//! Out of office (`/v2/me/ooo`): a user's absences. Creating one records
//! `OOO_CREATED`; while one lasts the user's slots vanish and a booking of one of
//! their event types goes to the teammate it names ([`redirect`]).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::availability::{Bookable, EventTypeRef, bound};
use super::input::Issues;
use super::page::{Page, PageRequest};
use super::{App, AppError, Result};
use crate::domain::ids::{OutOfOfficeId, UserId};
use crate::domain::out_of_office::{self, OutOfOffice, Reason};
use crate::domain::span::Span;
use crate::domain::user::User;
use crate::domain::validate::FieldIssue;
use crate::store::{self, StoreError};

/// An entry to create, or the parts to change (Cal.com's `/v2/me/ooo` body).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutOfOfficeInput {
    /// An ISO instant, or a date: the start of that day in the user's zone.
    pub start: Option<String>,
    /// An ISO instant, or a date: the end of that day in the user's zone (inclusive).
    pub end: Option<String>,
    /// `unspecified` (default), `vacation`, `travel`, `sick`, `public_holiday`.
    pub reason: Option<String>,
    /// A note for the team.
    pub notes: Option<String>,
    /// A user of the organization invitees go to meanwhile.
    pub to_user_id: Option<i64>,
}

/// The entry `input` describes over `base` (the stored one, for a change).
async fn checked(
    app: &App,
    user: &User,
    input: OutOfOfficeInput,
    base: Option<&OutOfOffice>,
    now: DateTime<Utc>,
) -> Result<OutOfOffice> {
    let mut issues = Issues::default();
    let tz = user.time_zone;
    let start = match (&input.start, base) {
        (Some(s), _) => issues.take(bound("start", s, tz, false)),
        (None, Some(b)) => Some(b.span.start),
        (None, None) => issues.take(Err(FieldIssue::new("start", "is required"))),
    };
    let end = match (&input.end, base) {
        (Some(s), _) => issues.take(bound("end", s, tz, true)),
        (None, Some(b)) => Some(b.span.end),
        (None, None) => issues.take(Err(FieldIssue::new("end", "is required"))),
    };
    let reason = match (&input.reason, base) {
        (Some(r), _) => issues.take(Reason::parse(r).ok_or_else(|| {
            let names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
            FieldIssue::new(
                "reason",
                format!("`{r}` is not one of {}", names.join(", ")),
            )
        })),
        (None, Some(b)) => Some(b.reason),
        (None, None) => Some(Reason::Unspecified),
    };
    let redirect_to = match (input.to_user_id, base) {
        (Some(id), _) => {
            let found = store::users::find(&app.db, user.org_id, UserId(id)).await?;
            issues.require(
                found.is_some(),
                "toUserId",
                format!("user {id} does not exist"),
            );
            Some(UserId(id))
        }
        (None, Some(b)) => b.redirect_to,
        (None, None) => None,
    };
    let (Some(start), Some(end), Some(reason)) = (start, end, reason) else {
        return Err(AppError::Validation(issues.0));
    };
    issues
        .0
        .extend(out_of_office::check(start, end, user.id, redirect_to));
    issues.finish()?;
    Ok(OutOfOffice {
        id: base.map_or(OutOfOfficeId(0), |b| b.id),
        org_id: user.org_id,
        user_id: user.id,
        span: Span::new(start, end),
        reason,
        notes: input.notes.or_else(|| base.and_then(|b| b.notes.clone())),
        redirect_to,
        created_at: base.map_or(now, |b| b.created_at),
    })
}

/// Records the caller's absence and `OOO_CREATED`, in one transaction.
pub async fn create(
    app: &App,
    caller: Caller,
    input: OutOfOfficeInput,
    now: DateTime<Utc>,
) -> Result<OutOfOffice> {
    let user = super::users::me(app, caller).await?;
    let entry = checked(app, &user, input, None, now).await?;
    let txn = store::db::begin_write(&app.db).await?;
    let entry = store::out_of_office::insert(&txn, &entry).await?;
    let to = match entry.redirect_to {
        Some(id) => store::users::find(&txn, user.org_id, id).await?,
        None => None,
    };
    let payload = created_payload(&entry, &user, to.as_ref());
    store::outbox::insert(&txn, user.org_id, "OOO_CREATED", &payload, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(
        ooo.id = entry.id.0,
        user.id = user.id.0,
        "out of office recorded"
    );
    Ok(entry)
}

fn user_json(u: &User) -> Value {
    json!({"id": u.id.0, "name": u.name, "username": u.username, "email": u.email, "timeZone": u.time_zone.name()})
}

/// The `OOO_CREATED` body, after Cal.com's: `oooEntry` with its user and the teammate;
/// `organizer` says whose webhooks it reaches.
fn created_payload(entry: &OutOfOffice, user: &User, to: Option<&User>) -> Value {
    json!({
        "oooEntry": {
            "id": entry.id.0,
            "start": entry.span.start,
            "end": entry.span.end,
            "createdAt": entry.created_at,
            "notes": entry.notes,
            "reason": entry.reason.as_str(),
            "user": user_json(user),
            "toUser": to.map(user_json),
        },
        "organizer": {"id": user.id.0},
    })
}

/// Changes the parts of the caller's entry `id` that `input` sends.
pub async fn update(
    app: &App,
    caller: Caller,
    id: OutOfOfficeId,
    input: OutOfOfficeInput,
    now: DateTime<Utc>,
) -> Result<OutOfOffice> {
    let user = super::users::me(app, caller).await?;
    let stored = get(app, caller, id).await?;
    let entry = checked(app, &user, input, Some(&stored), now).await?;
    store::out_of_office::update(&app.db, &entry).await?;
    Ok(entry)
}

/// The caller's entry `id`.
pub async fn get(app: &App, caller: Caller, id: OutOfOfficeId) -> Result<OutOfOffice> {
    store::out_of_office::find(&app.db, caller.org_id, caller.user_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("out-of-office entry {id} does not exist")))
}

/// Deletes the caller's entry `id`; answers it.
pub async fn delete(app: &App, caller: Caller, id: OutOfOfficeId) -> Result<OutOfOffice> {
    let entry = get(app, caller, id).await?;
    store::out_of_office::delete(&app.db, caller.org_id, caller.user_id, id).await?;
    Ok(entry)
}

/// A page of the caller's entries, newest first.
pub async fn list(app: &App, caller: Caller, page: &PageRequest) -> Result<Page<OutOfOffice>> {
    let keyset = page.keyset()?;
    let rows = store::out_of_office::list(&app.db, caller.org_id, caller.user_id, keyset).await?;
    Ok(Page::from_rows(rows, &keyset, |e| e.id.0))
}

/// The spans `users` are away within `range`, by user.
pub(super) async fn away(app: &App, users: &[UserId], range: Span) -> Result<Vec<(UserId, Span)>> {
    Ok(store::out_of_office::overlapping(&app.db, users, range)
        .await?
        .into_iter()
        .map(|e| (e.user_id, e.span))
        .collect())
}

/// A personal event type `b` booked for `meeting`: itself when its host is in, else
/// the event type of the same slug of the teammate the absence names (who must be in
/// too). CONFLICT, saying why, when there is none.
pub(super) async fn redirect(app: &App, b: Bookable, meeting: Span) -> Result<Bookable> {
    if b.team.is_some() {
        return Ok(b);
    }
    let entries = store::out_of_office::overlapping(&app.db, &[b.host.id], meeting).await?;
    let Some(entry) = out_of_office::covering(&entries, meeting) else {
        return Ok(b);
    };
    let away = format!(
        "`{}` is out of office from {} to {}",
        b.host.username,
        entry.span.start.format("%Y-%m-%d %H:%M UTC"),
        entry.span.end.format("%Y-%m-%d %H:%M UTC")
    );
    let Some(to) = entry.redirect_to else {
        return Err(AppError::Conflict(away));
    };
    let teammate = store::users::find(&app.db, b.host.org_id, to)
        .await?
        .ok_or_else(|| AppError::Conflict(away.clone()))?;
    let slug = b.event_type.slug.clone();
    let reference = EventTypeRef::Slug {
        username: teammate.username.clone(),
        slug: slug.clone(),
    };
    let redirected = match super::availability::bookable(app, &reference).await {
        Ok(found) => found,
        Err(AppError::NotFound(_)) => {
            return Err(AppError::Conflict(format!(
                "{away} and sends invitees to `{}`, who has no event type `{slug}`",
                teammate.username
            )));
        }
        Err(other) => return Err(other),
    };
    let theirs = store::out_of_office::overlapping(&app.db, &[teammate.id], meeting).await?;
    if out_of_office::covering(&theirs, meeting).is_some() {
        return Err(AppError::Conflict(format!(
            "{away}, and `{}`, who takes their invitees, is out of office too",
            teammate.username
        )));
    }
    tracing::info!(
        user.id = b.host.id.0,
        to_user.id = teammate.id.0,
        event_type.id = redirected.event_type.id.0,
        "booking redirected: host out of office"
    );
    Ok(redirected)
}
