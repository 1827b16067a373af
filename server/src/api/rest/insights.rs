//! `/v2/insights/…`: the insights tables, as JSON rows or, with `format=csv` (or
//! `Accept: text/csv`), as a CSV download with the same columns. Every table takes
//! `start`, `end` and `timeZone` (default: the caller's own zone); the booking tables
//! take a scope, `teamId`, `eventTypeId` and/or `userId` (none: the organization).

use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::extract::{Auth, Params};
use super::ok;
use crate::api::{ApiError, ErrorCode, csv};
use crate::app::App;
use crate::app::insights::{self, GroupBy, Period, ReportScope};
use crate::domain::ids::{EventTypeId, TeamId, UserId};
use crate::domain::insights::heat_map::WEEKDAYS;

pub fn router() -> Router<App> {
    Router::new()
        .route("/insights/bookings", get(booking_stats))
        .route("/insights/busiest-hours", get(busiest_hours))
        .route("/insights/conversion", get(conversion))
        .route("/insights/round-robin-fairness", get(fairness))
}

const STATS_COLUMNS: [&str; 13] = [
    "groupBy",
    "groupId",
    "groupName",
    "created",
    "completed",
    "cancelled",
    "rescheduled",
    "noShows",
    "completedRate",
    "cancelledRate",
    "rescheduledRate",
    "noShowRate",
    "averageLeadTimeMinutes",
];

async fn booking_stats(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = Format::of(&params, &headers)?;
    let group_by = group_by(&params)?;
    let period = period(&params)?;
    let lines =
        insights::booking_stats(&app, caller, scope(&params)?, &period, group_by, Utc::now())
            .await?;
    let rows: Vec<Vec<Value>> = lines
        .into_iter()
        .map(|l| {
            let (s, t) = (l.stats, l.stats.tally);
            vec![
                json!(group_by_word(l.group.by)),
                json!(l.group.id),
                json!(l.group.name),
                json!(t.created),
                json!(t.completed),
                json!(t.cancelled),
                json!(t.rescheduled),
                json!(t.no_shows),
                json!(s.completed_rate),
                json!(s.cancelled_rate),
                json!(s.rescheduled_rate),
                json!(s.no_show_rate),
                json!(s.average_lead_time_minutes),
            ]
        })
        .collect();
    Ok(format.answer("booking-stats", &STATS_COLUMNS, &rows, &period))
}

async fn busiest_hours(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = Format::of(&params, &headers)?;
    let period = period(&params)?;
    let map = insights::busiest_hours(&app, caller, scope(&params)?, &period).await?;
    let mut columns = vec!["weekday".to_string()];
    columns.extend((0..24).map(|h| format!("{h:02}")));
    columns.extend(["total".to_string(), "timeZone".to_string()]);
    let rows: Vec<Vec<Value>> = WEEKDAYS
        .iter()
        .zip(map.cells)
        .map(|(weekday, hours)| {
            let mut row = vec![json!(weekday)];
            row.extend(hours.iter().map(|n| json!(n)));
            row.push(json!(hours.iter().sum::<u64>()));
            row.push(json!(map.zone.name()));
            row
        })
        .collect();
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    Ok(format.answer("busiest-hours", &columns, &rows, &period))
}

const CONVERSION_COLUMNS: [&str; 8] = [
    "eventTypeId",
    "slug",
    "title",
    "views",
    "bookings",
    "completed",
    "bookingRate",
    "completionRate",
];

async fn conversion(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = Format::of(&params, &headers)?;
    let period = period(&params)?;
    let lines = insights::conversion(&app, caller, scope(&params)?, &period, Utc::now()).await?;
    let rows: Vec<Vec<Value>> = lines
        .into_iter()
        .map(|l| {
            let c = l.conversion;
            vec![
                json!(l.event_type.id.0),
                json!(l.event_type.slug),
                json!(l.event_type.title),
                json!(c.views),
                json!(c.bookings),
                json!(c.completed),
                json!(c.booking_rate),
                json!(c.completion_rate),
            ]
        })
        .collect();
    Ok(format.answer(
        "booking-page-conversion",
        &CONVERSION_COLUMNS,
        &rows,
        &period,
    ))
}

const FAIRNESS_COLUMNS: [&str; 7] = [
    "userId",
    "username",
    "weight",
    "bookings",
    "share",
    "weightShare",
    "deviation",
];

async fn fairness(
    State(app): State<App>,
    Auth(caller): Auth,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = Format::of(&params, &headers)?;
    let period = period(&params)?;
    let event_type = params
        .int("eventTypeId")?
        .ok_or_else(|| ApiError::field(ErrorCode::ValidationError, "eventTypeId", "is required"))?;
    let lines =
        insights::round_robin_fairness(&app, caller, EventTypeId(event_type), &period).await?;
    let rows: Vec<Vec<Value>> = lines
        .into_iter()
        .map(|l| {
            let s = l.share;
            vec![
                json!(s.user_id.0),
                json!(l.username),
                json!(s.weight),
                json!(s.bookings),
                json!(s.share),
                json!(s.weight_share),
                json!(s.deviation),
            ]
        })
        .collect();
    Ok(format.answer("round-robin-fairness", &FAIRNESS_COLUMNS, &rows, &period))
}

/// How a table leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

impl Format {
    /// `format=json|csv`, else CSV when the client accepts it and not JSON.
    fn of(params: &Params, headers: &HeaderMap) -> Result<Format, ApiError> {
        match params.get("format").as_deref() {
            Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(other) => Err(ApiError::field(
                ErrorCode::ValidationError,
                "format",
                format!("`{other}` is not a format: use `json` or `csv`"),
            )),
            None => {
                let accept = headers
                    .get(ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if accept.contains("text/csv") && !accept.contains("application/json") {
                    Ok(Format::Csv)
                } else {
                    Ok(Format::Json)
                }
            }
        }
    }

    /// The table `name` of `rows` under `columns`, for `period` (named in a CSV
    /// download's file name).
    fn answer(
        self,
        name: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
        period: &Period,
    ) -> Response {
        match self {
            Format::Json => ok(Value::Array(
                rows.iter()
                    .map(|row| {
                        let cells = columns
                            .iter()
                            .map(|c| c.to_string())
                            .zip(row.iter().cloned());
                        Value::Object(cells.collect::<Map<_, _>>())
                    })
                    .collect(),
            )),
            Format::Csv => {
                let file = format!(
                    "{}_{}_{}.csv",
                    name,
                    file_safe(&period.start),
                    file_safe(&period.end)
                );
                (
                    StatusCode::OK,
                    [
                        (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                        (
                            CONTENT_DISPOSITION,
                            format!("attachment; filename=\"{file}\""),
                        ),
                    ],
                    csv::table(columns, rows),
                )
                    .into_response()
            }
        }
    }
}

/// `text` with only letters, digits and `-` kept, for a file name.
fn file_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn period(params: &Params) -> Result<Period, ApiError> {
    Ok(Period {
        start: params.required("start")?,
        end: params.required("end")?,
        time_zone: params.get("timeZone"),
    })
}

fn scope(params: &Params) -> Result<ReportScope, ApiError> {
    Ok(ReportScope {
        team: params.int("teamId")?.map(TeamId),
        event_type: params.int("eventTypeId")?.map(EventTypeId),
        member: params.int("userId")?.map(UserId),
    })
}

fn group_by(params: &Params) -> Result<GroupBy, ApiError> {
    match params.get("groupBy").as_deref() {
        None | Some("all") => Ok(GroupBy::All),
        Some("team") => Ok(GroupBy::Team),
        Some("eventType") => Ok(GroupBy::EventType),
        Some("member") => Ok(GroupBy::Member),
        Some(other) => Err(ApiError::field(
            ErrorCode::ValidationError,
            "groupBy",
            format!("`{other}` is not a grouping: use `all`, `team`, `eventType` or `member`"),
        )),
    }
}

fn group_by_word(g: GroupBy) -> &'static str {
    match g {
        GroupBy::All => "all",
        GroupBy::Team => "team",
        GroupBy::EventType => "eventType",
        GroupBy::Member => "member",
    }
}
