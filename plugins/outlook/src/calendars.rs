//! The account's calendars (`GET /me/calendars`, paged) and the busy times in those
//! the host checks (`calendarView` of each, paged), or, before the host has chosen any,
//! the mailbox's own schedule (`getSchedule`). Free and cancelled events do not count,
//! and a calendar Graph no longer finds is logged and left out, not fatal.

use convene_plugin_sdk::http::encode_component;
use convene_plugin_sdk::{Busy, Calendar, LogLevel, PluginError, TimeRange, log};
use serde::Deserialize;

use crate::graph::{GraphTime, all_pages, base_url, call_json, date_time, instant, status_of};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphCalendar {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    is_default_calendar: bool,
    #[serde(default)]
    can_edit: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViewEvent {
    #[serde(default)]
    show_as: String,
    #[serde(default)]
    is_cancelled: bool,
    start: GraphTime,
    end: GraphTime,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Me {
    mail: Option<String>,
    user_principal_name: String,
}

#[derive(Deserialize)]
struct Schedules {
    value: Vec<Schedule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Schedule {
    #[serde(default)]
    schedule_items: Vec<ScheduleItem>,
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ScheduleItem {
    status: String,
    start: GraphTime,
    end: GraphTime,
}

/// The account's calendars; the default one is the primary.
pub fn list() -> Result<Vec<Calendar>, PluginError> {
    let calendars: Vec<GraphCalendar> = all_pages(format!(
        "{}/me/calendars?$select=id,name,isDefaultCalendar,canEdit",
        base_url()
    ))?;
    Ok(calendars
        .into_iter()
        .map(|c| Calendar {
            id: c.id,
            name: c.name,
            primary: c.is_default_calendar,
            writable: c.can_edit,
            time_zone: None,
        })
        .collect())
}

/// Busy times in `range` of `calendars` (none: the default calendar), sorted.
pub fn busy(range: &TimeRange, calendars: &[String]) -> Result<Vec<Busy>, PluginError> {
    let bounds = format!(
        "startDateTime={}&endDateTime={}&$select=showAs,isCancelled,start,end",
        encode_component(&instant(range.start_ms)?),
        encode_component(&instant(range.end_ms)?),
    );
    if calendars.is_empty() {
        return schedule(range);
    }
    let mut busy = Vec::new();
    for id in calendars {
        let url = format!(
            "{}/me/calendars/{}/calendarView?{bounds}",
            base_url(),
            encode_component(id)
        );
        let events: Vec<ViewEvent> = match all_pages(url.clone()) {
            Ok(events) => events,
            Err(e) if status_of(&e) == Some(404) => {
                log(
                    LogLevel::Warn,
                    &format!("left out of busy times: {url}: {e:?}"),
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        for event in events {
            if event.is_cancelled || event.show_as == "free" {
                continue;
            }
            busy.push(Busy {
                start_ms: event.start.millis()?,
                end_ms: event.end.millis()?,
            });
        }
    }
    busy.sort_by_key(|b| (b.start_ms, b.end_ms));
    Ok(busy)
}

/// The mailbox's busy items in `range` from `getSchedule` (its default calendar).
fn schedule(range: &TimeRange) -> Result<Vec<Busy>, PluginError> {
    let me: Me = call_json(
        "GET",
        &format!("{}/me?$select=mail,userPrincipalName", base_url()),
        None,
    )?;
    let address = me.mail.unwrap_or(me.user_principal_name);
    let query = serde_json::json!({
        "schedules": [address],
        "startTime": date_time(range.start_ms)?,
        "endTime": date_time(range.end_ms)?,
        "availabilityViewInterval": 30,
    });
    let answer: Schedules = call_json(
        "POST",
        &format!("{}/me/calendar/getSchedule", base_url()),
        Some(&query),
    )?;
    let mut busy = Vec::new();
    for schedule in answer.value {
        if let Some(error) = schedule.error {
            log(
                LogLevel::Warn,
                &format!("schedule left out of busy times: {error}"),
            );
            continue;
        }
        for item in schedule.schedule_items {
            if item.status == "free" {
                continue;
            }
            busy.push(Busy {
                start_ms: item.start.millis()?,
                end_ms: item.end.millis()?,
            });
        }
    }
    busy.sort_by_key(|b| (b.start_ms, b.end_ms));
    Ok(busy)
}
