//! Connected calendars: a host's calendar installation (Google Calendar, Outlook, ...)
//! lists the account's calendars; the host picks which are checked for conflicts and
//! which one receives new bookings; the checked calendars' busy times remove slots.
//!
//! Busy times are cached per installation for [`BUSY_TTL`] (and marked stale when the
//! provider says something changed or the host's choices change). A provider that is
//! down or slow never fails a slots request: the last known busy times are used and
//! the answer carries a warning saying from when they are.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::join_all;

use super::auth::Caller;
use super::{App, AppError, Result, plugin_access, plugins};
use crate::domain::ids::{OrgId, UserId};
use crate::domain::span::Span;
use crate::plugins::{Capability, wit};
use crate::store::calendars::{self as repo, BusyWindow, CalendarChoice};
use crate::store::plugins::{self as installations, Installation};
use crate::store::{self, StoreError};

/// How long fetched busy times are trusted without a word from the provider.
pub const BUSY_TTL: chrono::Duration = chrono::Duration::minutes(5);
/// How long a slots request waits for a provider before using what it last knew.
const BUSY_WAIT: Duration = Duration::from_secs(3);
/// Busy times are fetched for at least this much time from the day a request starts, so
/// that paging through a booking page's weeks answers from the cache.
const FETCH_AHEAD: chrono::Duration = chrono::Duration::days(14);

/// The calendar installation `id` of `caller`'s organization, for its owner or an org
/// admin.
async fn owned(app: &App, caller: Caller, id: i64) -> Result<Installation> {
    let installation = installations::installation(&app.db, Some(caller.org_id), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("plugin installation {id}")))?;
    if installation.owner != Some(caller.user_id) {
        super::users::require_org_admin(app, caller).await?;
    }
    Ok(installation)
}

/// The calendars of installation `id`, asked of the provider and merged with the
/// host's choices: calendars seen for the first time start unchecked, except the
/// primary one when nothing was chosen yet, which is checked and receives bookings.
/// When the provider cannot be reached, the calendars last seen.
pub async fn list(app: &App, caller: Caller, id: i64) -> Result<Vec<CalendarChoice>> {
    let installation = owned(app, caller, id).await?;
    let plugin = plugins::loaded(app, installation.package_id).await?;
    if !plugin.manifest.can(Capability::Calendars) {
        return Err(AppError::invalid(
            "installationId",
            format!("plugin `{}` has no calendars", installation.plugin_id),
        ));
    }
    let known = repo::choices(&app.db, id).await?;
    let context = plugin_access::context(app, &installation, &plugin).await?;
    let call = app.plugins.host()?.calendars(&plugin, context);
    let listed = match plugin_access::watched(app, &installation, call).await? {
        Ok(listed) => listed.value,
        Err(error) if !known.is_empty() => {
            tracing::warn!(installation = id, %error, "calendar list unavailable; showing the last one");
            return Ok(known);
        }
        Err(error) => return Err(AppError::Upstream(error.to_string())),
    };
    let merged = merge(&known, listed);
    repo::replace_choices(&app.db, id, &merged, Utc::now()).await?;
    Ok(merged)
}

fn merge(known: &[CalendarChoice], listed: Vec<wit::Calendar>) -> Vec<CalendarChoice> {
    let first_time = known.is_empty();
    let mut merged: Vec<CalendarChoice> = listed
        .into_iter()
        .map(|c| {
            let before = known.iter().find(|k| k.calendar_id == c.id);
            CalendarChoice {
                checked: before.map_or(first_time && c.primary, |k| k.checked),
                destination: before
                    .map_or(first_time && c.primary && c.writable, |k| k.destination),
                calendar_id: c.id,
                name: c.name,
                primary: c.primary,
                writable: c.writable,
                time_zone: c.time_zone,
            }
        })
        .collect();
    merged.sort_by(|a, b| (!a.primary, &a.name).cmp(&(!b.primary, &b.name)));
    merged
}

/// Sets which of installation `id`'s calendars are checked for conflicts and which one
/// receives new bookings (`None`: the account's primary calendar).
pub async fn choose(
    app: &App,
    caller: Caller,
    id: i64,
    checked: &[String],
    destination: Option<&str>,
) -> Result<Vec<CalendarChoice>> {
    let mut calendars = list(app, caller, id).await?;
    let mut issues = Vec::new();
    for (i, wanted) in checked.iter().enumerate() {
        if !calendars.iter().any(|c| &c.calendar_id == wanted) {
            issues.push(crate::domain::validate::FieldIssue::new(
                format!("checked[{i}]"),
                format!("`{wanted}` is not one of this account's calendars"),
            ));
        }
    }
    if let Some(wanted) = destination {
        match calendars.iter().find(|c| c.calendar_id == wanted) {
            None => issues.push(crate::domain::validate::FieldIssue::new(
                "destination",
                format!("`{wanted}` is not one of this account's calendars"),
            )),
            Some(c) if !c.writable => issues.push(crate::domain::validate::FieldIssue::new(
                "destination",
                format!(
                    "`{}` is read-only: bookings cannot be written to it",
                    c.name
                ),
            )),
            Some(_) => {}
        }
    }
    if !issues.is_empty() {
        return Err(AppError::Validation(issues));
    }
    for c in &mut calendars {
        c.checked = checked.contains(&c.calendar_id);
        c.destination = destination == Some(c.calendar_id.as_str());
    }
    let txn = store::db::begin_write(&app.db).await?;
    repo::replace_choices(&txn, id, &calendars, Utc::now()).await?;
    repo::mark_busy_stale(&txn, id).await?;
    txn.commit().await.map_err(StoreError::from)?;
    tracing::info!(
        installation = id,
        checked = checked.len(),
        "calendar choices changed"
    );
    Ok(calendars)
}

/// Busy times from hosts' connected calendars, with what could not be fetched fresh.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarBusy {
    /// Each host's busy spans, sorted.
    pub by_host: HashMap<UserId, Vec<Span>>,
    /// One line per calendar installation answered from an old copy (or not at all).
    pub warnings: Vec<String>,
}

impl CalendarBusy {
    /// `host`'s busy spans.
    pub fn of(&self, host: UserId) -> &[Span] {
        self.by_host.get(&host).map_or(&[], Vec::as_slice)
    }
}

/// The busy times of `hosts`' enabled calendar installations over `range`.
pub async fn busy(
    app: &App,
    org: OrgId,
    hosts: &[UserId],
    range: Span,
    now: DateTime<Utc>,
) -> Result<CalendarBusy> {
    let sources: Vec<Installation> = installations::installations(&app.db, Some(org))
        .await?
        .into_iter()
        .filter(|i| i.enabled && i.owner.is_some_and(|o| hosts.contains(&o)))
        .collect();
    let mut found = CalendarBusy::default();
    if sources.is_empty() {
        return Ok(found);
    }
    let fetched = join_all(
        sources
            .iter()
            .map(|installation| busy_of(app, installation, range, now)),
    )
    .await;
    for (installation, result) in sources.iter().zip(fetched) {
        let Some(owner) = installation.owner else {
            continue;
        };
        let (spans, warning) = result?;
        if let Some(warning) = warning {
            found.warnings.push(warning);
        }
        let mine = found.by_host.entry(owner).or_default();
        mine.extend(spans.into_iter().filter(|s| s.overlaps(&range)));
        mine.sort_by_key(|s| (s.start, s.end));
    }
    Ok(found)
}

/// One installation's busy spans in `range` and, when they are not fresh, why.
async fn busy_of(
    app: &App,
    installation: &Installation,
    range: Span,
    now: DateTime<Utc>,
) -> Result<(Vec<Span>, Option<String>)> {
    let plugin = plugins::loaded(app, installation.package_id).await?;
    if !plugin.manifest.can(Capability::BusyTimes) {
        return Ok((Vec::new(), None));
    }
    let cached = repo::cached_busy(&app.db, installation.id).await?;
    if let Some(window) = &cached
        && window.fresh
        && window.fetched_at + BUSY_TTL > now
        && window.covers.start <= range.start
        && window.covers.end >= range.end
    {
        return Ok((window.busy.clone(), None));
    }
    let wanted = fetch_range(range);
    let choices = repo::choices(&app.db, installation.id).await?;
    // Calendars listed but none checked: the host counts none of them. (Never listed,
    // the plugin checks the primary calendar, as the listing would have chosen.)
    if !choices.is_empty() && !choices.iter().any(|c| c.checked) {
        return Ok((Vec::new(), None));
    }
    let checked: Vec<String> = choices
        .into_iter()
        .filter(|c| c.checked)
        .map(|c| c.calendar_id)
        .collect();
    let fetched = tokio::time::timeout(BUSY_WAIT, async {
        let context = plugin_access::context(app, installation, &plugin).await?;
        let range = wit::TimeRange {
            start_ms: wanted.start.timestamp_millis(),
            end_ms: wanted.end.timestamp_millis(),
        };
        let call = app
            .plugins
            .host()?
            .busy_times(&plugin, context, range, checked);
        plugin_access::watched(app, installation, call)
            .await?
            .map_err(|e| AppError::Upstream(e.to_string()))
    })
    .await
    .unwrap_or_else(|_| {
        Err(AppError::Upstream(format!(
            "no answer within {} s",
            BUSY_WAIT.as_secs()
        )))
    });
    match fetched {
        Ok(answer) => {
            let busy: Vec<Span> = answer
                .value
                .iter()
                .filter_map(|b| {
                    let start = DateTime::from_timestamp_millis(b.start_ms)?;
                    let end = DateTime::from_timestamp_millis(b.end_ms)?;
                    (start < end).then(|| Span::new(start, end))
                })
                .collect();
            repo::put_busy(
                &app.db,
                installation.id,
                &BusyWindow {
                    covers: wanted,
                    busy: busy.clone(),
                    fetched_at: now,
                    fresh: true,
                },
            )
            .await?;
            metrics::counter!("calendar_busy_fetches_total", "outcome" => "ok").increment(1);
            Ok((busy, None))
        }
        Err(error) => {
            metrics::counter!("calendar_busy_fetches_total", "outcome" => "failed").increment(1);
            tracing::warn!(installation = installation.id, %error, "busy times unavailable; using the last known");
            let warning = match &cached {
                Some(window) => format!(
                    "{} busy times are from {} ({error})",
                    installation.plugin_id,
                    window.fetched_at.to_rfc3339()
                ),
                None => format!(
                    "{} busy times are unavailable ({error})",
                    installation.plugin_id
                ),
            };
            Ok((cached.map(|w| w.busy).unwrap_or_default(), Some(warning)))
        }
    }
}

/// What to ask a provider for when `range` is not cached: whole UTC days, at least
/// [`FETCH_AHEAD`] from the first.
fn fetch_range(range: Span) -> Span {
    let day = |t: DateTime<Utc>| {
        t.date_naive()
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
    };
    let start = day(range.start);
    let end = (day(range.end) + chrono::Duration::days(1)).max(start + FETCH_AHEAD);
    Span::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar(id: &str, primary: bool, writable: bool) -> wit::Calendar {
        wit::Calendar {
            id: id.into(),
            name: id.to_uppercase(),
            primary,
            writable,
            time_zone: None,
        }
    }

    #[test]
    fn the_primary_calendar_is_checked_and_written_to_until_the_host_chooses() {
        let merged = merge(
            &[],
            vec![calendar("team", false, true), calendar("me", true, true)],
        );
        assert_eq!(merged[0].calendar_id, "me", "primary first");
        assert!(merged[0].checked && merged[0].destination);
        assert!(!merged[1].checked && !merged[1].destination);
    }

    #[test]
    fn choices_survive_a_new_listing_and_new_calendars_start_unchecked() {
        let first = merge(
            &[],
            vec![calendar("me", true, true), calendar("team", false, true)],
        );
        let chosen: Vec<CalendarChoice> = first
            .into_iter()
            .map(|mut c| {
                c.checked = c.calendar_id == "team";
                c.destination = c.calendar_id == "team";
                c
            })
            .collect();
        let again = merge(
            &chosen,
            vec![
                calendar("me", true, true),
                calendar("team", false, true),
                calendar("holidays", false, false),
            ],
        );
        let by_id = |id: &str| again.iter().find(|c| c.calendar_id == id).unwrap();
        assert!(!by_id("me").checked && !by_id("me").destination);
        assert!(by_id("team").checked && by_id("team").destination);
        assert!(
            !by_id("holidays").checked,
            "a new calendar is not checked by itself"
        );
    }

    #[test]
    fn fetches_cover_whole_days_and_two_weeks_at_least() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let wanted = fetch_range(Span::new(
            at("2026-12-07T10:00:00Z"),
            at("2026-12-07T18:00:00Z"),
        ));
        assert_eq!(wanted.start, at("2026-12-07T00:00:00Z"));
        assert_eq!(wanted.end, at("2026-12-21T00:00:00Z"));
        let long = fetch_range(Span::new(
            at("2026-12-07T10:00:00Z"),
            at("2027-01-20T18:00:00Z"),
        ));
        assert_eq!(long.end, at("2027-01-21T00:00:00Z"));
    }
}
