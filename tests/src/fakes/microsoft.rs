//! Microsoft Graph calendar (Outlook) on 127.0.0.1, as its reference documents it (see
//! `shared/PROVIDERS.md` §2), for the `outlook` plugin. Tokens come from the OAuth fake
//! (`super::oauth`, which also answers at Microsoft's `/common/oauth2/v2.0/...` paths):
//!
//! - `GET /me`: the signed-in user (`mail`, `userPrincipalName`);
//! - `GET /me/calendars`: the account's calendars, paged by `@odata.nextLink`;
//! - `GET /me[/calendars/{id}]/calendarView?startDateTime=&endDateTime=`: the events
//!   overlapping the window, paged (both bounds required, else 400);
//! - `GET /me[/calendars/{id}]/calendarView/delta`: the first round lists the window's
//!   events, later rounds (from the `@odata.deltaLink`) what changed since, removals as
//!   `{"id", "@removed": {"reason": "deleted"}}`; pages end in a `@odata.deltaLink`, and
//!   a link from before [`MicrosoftGraph::forget_delta_state`] is 410 `SyncStateNotFound`;
//! - `POST /me[/calendars/{id}]/events` (201; a repeated `transactionId` gives the first
//!   event back rather than a second one; `isOnlineMeeting` with `teamsForBusiness` makes
//!   a Teams `onlineMeeting.joinUrl`; `extensions` kept apart, as Graph does),
//!   `GET`/`PATCH`/`DELETE /me/events/{id}` (404 `ErrorItemNotFound` for an unknown or
//!   deleted event), `PATCH /me/events/{id}/extensions/{name}`;
//! - `POST /me/calendar/getSchedule`: the account's busy items and availability view;
//! - `POST /subscriptions` runs the validation handshake against `notificationUrl`
//!   (`?validationToken=`, 200 `text/plain` with the token within 10 s, else 400),
//!   caps `expirationDateTime` at 10,080 minutes; `PATCH`/`DELETE /subscriptions/{id}`;
//!   every change to a subscribed calendar's events is POSTed to its `notificationUrl`
//!   with the subscription's `clientState`;
//! - errors in Graph's envelope `{"error": {code, message, innerError}}`; a bearer the
//!   authorization server did not issue, or an expired one, is 401
//!   `InvalidAuthenticationToken`.
//!
//! Knobs: refuse the next requests (429 with `Retry-After`, or 503), grant shorter
//! subscriptions, lose the delta state, set the page size, and act as the user in
//! Outlook: add an event of their own, move, retitle, rewrite or delete one.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::example::Accepted;
use super::oauth::ACCOUNT;

/// The default calendar's id.
pub const DEFAULT: &str = "AAMkCalendar";
/// A second calendar the account can write to.
pub const WORK: &str = "AAMkWorkCalendar";
/// A calendar shared with the account read-only.
pub const SHARED: &str = "AAMkSharedCalendar";
/// Graph's cap on an Outlook event subscription's life.
const MAX_SUBSCRIPTION_MINUTES: i64 = 10_080;

/// A calendar of the fake account.
#[derive(Debug, Clone)]
pub struct FakeCalendar {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub can_edit: bool,
}

/// An event, as Graph would answer it, with what the fake keeps beside it.
#[derive(Debug, Clone)]
pub struct FakeEvent {
    pub calendar: String,
    pub value: Value,
    /// Its open extensions, by name.
    pub extensions: BTreeMap<String, Value>,
    pub deleted: bool,
    /// The change-log position of its last change, for delta.
    version: u64,
}

impl FakeEvent {
    fn start(&self) -> Option<DateTime<Utc>> {
        graph_time(&self.value["start"])
    }

    fn end(&self) -> Option<DateTime<Utc>> {
        graph_time(&self.value["end"])
    }
}

/// A change-notification subscription.
#[derive(Debug, Clone)]
pub struct FakeSubscription {
    pub id: String,
    pub resource: String,
    pub notification_url: String,
    pub client_state: Option<String>,
    pub expires: DateTime<Utc>,
}

/// A failure the fake answers with for a number of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// 429 `TooManyRequests` with `Retry-After` of this many seconds.
    Throttled(u32),
    /// 503 `ServiceNotAvailable`.
    Down,
}

/// What the fake holds and has seen.
#[derive(Debug)]
pub struct GraphState {
    pub calendars: Vec<FakeCalendar>,
    /// Events by id (ids are the mailbox's, not a calendar's).
    pub events: BTreeMap<String, FakeEvent>,
    pub subscriptions: BTreeMap<String, FakeSubscription>,
    /// Every request: method and path.
    pub requests: Vec<String>,
    /// Notifications sent: the body and the status the receiver answered.
    pub notifications: Vec<(Value, u16)>,
    /// Requests still to be refused, and how.
    pub outage: Option<(usize, Outage)>,
    /// Items per page when the client does not ask (`Prefer: odata.maxpagesize`).
    pub page_size: usize,
    /// The longest subscription granted (Graph's cap unless a test shortens it).
    pub subscription_life: chrono::Duration,
    base: String,
    version: u64,
    /// Delta links from an older generation are no longer known.
    generation: u64,
    next_id: usize,
}

impl GraphState {
    /// The live events of calendar `calendar`.
    pub fn live_events(&self, calendar: &str) -> Vec<&FakeEvent> {
        self.events
            .values()
            .filter(|e| e.calendar == calendar && !e.deleted)
            .collect()
    }

    fn calendar(&self, id: &str) -> Option<&FakeCalendar> {
        self.calendars.iter().find(|c| c.id == id)
    }

    fn default_calendar(&self) -> String {
        self.calendars
            .iter()
            .find(|c| c.is_default)
            .map(|c| c.id.clone())
            .unwrap_or_default()
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:06}", self.next_id)
    }

    /// Marks event `id` changed now (for delta and its etag); the notifications due.
    fn touch(&mut self, id: &str, change: &str) -> Vec<(String, Value)> {
        self.version += 1;
        let version = self.version;
        let Some(event) = self.events.get_mut(id) else {
            return Vec::new();
        };
        event.version = version;
        event.value["lastModifiedDateTime"] = json!(Utc::now().to_rfc3339());
        event.value["changeKey"] = json!(format!("ck{version}"));
        event.value["@odata.etag"] = json!(format!("W/\"ck{version}\""));
        let calendar = event.calendar.clone();
        let default = self.default_calendar();
        let now = Utc::now();
        self.subscriptions
            .values()
            .filter(|s| s.expires > now)
            .filter(|s| {
                s.resource.trim_start_matches('/') == format!("me/calendars/{calendar}/events")
                    || (calendar == default && s.resource.trim_start_matches('/') == "me/events")
            })
            .map(|s| {
                (
                    s.notification_url.clone(),
                    json!({"value": [{
                        "subscriptionId": s.id,
                        "subscriptionExpirationDateTime": s.expires.to_rfc3339(),
                        "changeType": change,
                        "resource": format!("Users/{ACCOUNT}/Events/{id}"),
                        "resourceData": {
                            "@odata.type": "#Microsoft.Graph.Event",
                            "@odata.id": format!("Users/{ACCOUNT}/Events/{id}"),
                            "@odata.etag": format!("W/\"ck{version}\""),
                            "id": id,
                        },
                        "clientState": s.client_state,
                        "tenantId": "00000000-0000-0000-0000-000000000000",
                    }]}),
                )
            })
            .collect()
    }
}

/// A running fake.
#[derive(Clone)]
pub struct MicrosoftGraph {
    /// `http://127.0.0.1:PORT`: an installation's `base_url`.
    pub base: String,
    pub state: Arc<Mutex<GraphState>>,
}

type Shared = (Arc<Mutex<GraphState>>, Arc<Accepted>);

impl MicrosoftGraph {
    /// Starts the fake with a default calendar ([`DEFAULT`]), a writable work calendar
    /// ([`WORK`]) and a read-only shared one ([`SHARED`]).
    pub async fn start(tokens: Accepted) -> MicrosoftGraph {
        let calendar = |id: &str, name: &str, is_default, can_edit| FakeCalendar {
            id: id.into(),
            name: name.into(),
            is_default,
            can_edit,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let state = Arc::new(Mutex::new(GraphState {
            calendars: vec![
                calendar(DEFAULT, "Calendar", true, true),
                calendar(WORK, "Work", false, true),
                calendar(SHARED, "Team holidays", false, false),
            ],
            events: BTreeMap::new(),
            subscriptions: BTreeMap::new(),
            requests: Vec::new(),
            notifications: Vec::new(),
            outage: None,
            page_size: 10,
            subscription_life: chrono::Duration::minutes(MAX_SUBSCRIPTION_MINUTES),
            base: base.clone(),
            version: 0,
            generation: 1,
            next_id: 0,
        }));
        let app = Router::new()
            .route("/me", get(me))
            .route("/me/calendars", get(list_calendars))
            .route("/me/calendarView", get(default_view))
            .route("/me/calendars/{cal}/calendarView", get(calendar_view))
            .route("/me/calendarView/delta", get(default_delta))
            .route(
                "/me/calendars/{cal}/calendarView/delta",
                get(calendar_delta),
            )
            .route("/me/events", post(create_default))
            .route("/me/calendars/{cal}/events", post(create_in))
            .route(
                "/me/events/{id}",
                get(get_event).patch(patch_event).delete(delete_event),
            )
            .route("/me/events/{id}/extensions/{name}", patch(patch_extension))
            .route("/me/calendar/getSchedule", post(get_schedule))
            .route("/subscriptions", post(subscribe))
            .route(
                "/subscriptions/{id}",
                patch(renew_subscription).delete(delete_subscription),
            )
            .with_state((state.clone(), Arc::new(tokens)));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("the fake serves") });
        MicrosoftGraph { base, state }
    }

    /// Refuses the next `requests` requests with `outage`.
    pub fn fail_next(&self, requests: usize, outage: Outage) {
        self.state.lock().unwrap().outage = Some((requests, outage));
    }

    /// How many requests reached the fake whose method and path contain `part`.
    pub fn requests_to(&self, part: &str) -> usize {
        let s = self.state.lock().unwrap();
        s.requests.iter().filter(|r| r.contains(part)).count()
    }

    /// Grants subscriptions at most `life` from now on (Graph may grant less than asked).
    pub fn grant_subscriptions_for(&self, life: chrono::Duration) {
        self.state.lock().unwrap().subscription_life = life;
    }

    /// Forgets every delta state: each delta link answers 410 `SyncStateNotFound`.
    pub fn forget_delta_state(&self) {
        self.state.lock().unwrap().generation += 1;
    }

    /// The user adds an event of their own to `calendar`: busy unless `free`.
    pub async fn user_adds(
        &self,
        calendar: &str,
        subject: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        free: bool,
    ) -> String {
        let sends = {
            let mut s = self.state.lock().unwrap();
            let id = s.next_id("AAMkOwn");
            let value = json!({
                "id": id, "subject": subject, "isCancelled": false,
                "showAs": if free { "free" } else { "busy" },
                "start": utc_time(start), "end": utc_time(end),
                "body": {"contentType": "text", "content": ""},
                "type": "singleInstance", "attendees": [],
            });
            s.events.insert(
                id.clone(),
                FakeEvent {
                    calendar: calendar.into(),
                    value,
                    extensions: BTreeMap::new(),
                    deleted: false,
                    version: 0,
                },
            );
            let sends = s.touch(&id, "created");
            (id, sends)
        };
        deliver(&self.state, sends.1).await;
        sends.0
    }

    /// The user drags event `id` to `start`–`end` in Outlook.
    pub async fn user_moves(&self, id: &str, start: DateTime<Utc>, end: DateTime<Utc>) {
        self.user_changes(id, |event| {
            event.value["start"] = utc_time(start);
            event.value["end"] = utc_time(end);
        })
        .await;
    }

    /// The user renames event `id` in Outlook.
    pub async fn user_retitles(&self, id: &str, subject: &str) {
        self.user_changes(id, |event| event.value["subject"] = json!(subject))
            .await;
    }

    /// The user rewrites event `id`'s description in Outlook.
    pub async fn user_rewrites_body(&self, id: &str, text: &str) {
        self.user_changes(id, |event| {
            event.value["body"] = json!({"contentType": "text", "content": text});
        })
        .await;
    }

    /// The user deletes event `id` in Outlook.
    pub async fn user_deletes(&self, id: &str) {
        let sends = {
            let mut s = self.state.lock().unwrap();
            s.events.get_mut(id).expect("a known event").deleted = true;
            s.touch(id, "deleted")
        };
        deliver(&self.state, sends).await;
    }

    async fn user_changes(&self, id: &str, change: impl FnOnce(&mut FakeEvent)) {
        let sends = {
            let mut s = self.state.lock().unwrap();
            change(s.events.get_mut(id).expect("a known event"));
            s.touch(id, "updated")
        };
        deliver(&self.state, sends).await;
    }
}

/// POSTs each notification, recording what the receiver answered.
async fn deliver(state: &Arc<Mutex<GraphState>>, sends: Vec<(String, Value)>) {
    let client = reqwest::Client::new();
    for (url, body) in sends {
        let status = client
            .post(&url)
            .json(&body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        state.lock().unwrap().notifications.push((body, status));
    }
}

/// Graph's error envelope.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {
            "code": code,
            "message": message,
            "innerError": {"date": Utc::now().to_rfc3339(), "request-id": uuid::Uuid::new_v4().to_string()},
        }})),
    )
        .into_response()
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    )
}

/// Records the request, then checks outages and the bearer.
fn admit(shared: &Shared, headers: &HeaderMap, what: String) -> Option<Response> {
    let (state, tokens) = shared;
    let mut s = state.lock().unwrap();
    s.requests.push(what);
    if let Some((left, outage)) = s.outage {
        s.outage = (left > 1).then_some((left - 1, outage));
        return Some(match outage {
            Outage::Throttled(seconds) => {
                let mut refused = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    "Application is over its MailboxConcurrency limit.",
                );
                refused
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds.to_string().parse().unwrap());
                refused
            }
            Outage::Down => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceNotAvailable",
                "Service Unavailable",
            ),
        });
    }
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if !tokens.accepts(auth) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        ));
    }
    None
}

/// `dateTimeTimeZone` in UTC, as Graph answers without `Prefer: outlook.timezone`.
fn utc_time(at: DateTime<Utc>) -> Value {
    // Graph writes seven fractional digits (100 ns ticks).
    let ticks = at.timestamp_subsec_nanos() / 100;
    json!({"dateTime": format!("{}.{ticks:07}", at.format("%Y-%m-%dT%H:%M:%S")), "timeZone": "UTC"})
}

/// A `dateTimeTimeZone` read in its zone (an IANA name or `UTC`).
fn graph_time(value: &Value) -> Option<DateTime<Utc>> {
    let local =
        NaiveDateTime::parse_from_str(value["dateTime"].as_str()?, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    let zone: chrono_tz::Tz = value["timeZone"].as_str().unwrap_or("UTC").parse().ok()?;
    zone.from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// An RFC 3339 query bound (`startDateTime`, ...).
fn bound(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The page size the client asked for with `Prefer: odata.maxpagesize=N`, else the fake's.
fn page_size(headers: &HeaderMap, s: &GraphState) -> usize {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix("odata.maxpagesize=")?.parse().ok())
        .unwrap_or(s.page_size)
        .max(1)
}

/// `value` percent-encoded for a query string.
fn encoded(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn me(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(refused) = admit(&shared, &headers, "GET /me".into()) {
        return refused;
    }
    Json(
        json!({"id": "6e7b768e-07e2-4810-8459-485f84f8f204", "displayName": "Ada Lovelace",
                "mail": ACCOUNT, "userPrincipalName": ACCOUNT}),
    )
    .into_response()
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(rename = "$skip")]
    skip: Option<usize>,
    #[serde(rename = "$top")]
    top: Option<usize>,
}

async fn list_calendars(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, "GET /me/calendars".into()) {
        return refused;
    }
    let s = shared.0.lock().unwrap();
    let size = q.top.unwrap_or_else(|| page_size(&headers, &s)).max(1);
    let start = q.skip.unwrap_or(0).min(s.calendars.len());
    let end = (start + size).min(s.calendars.len());
    let value: Vec<Value> = s.calendars[start..end]
        .iter()
        .map(|c| {
            json!({"id": c.id, "name": c.name, "isDefaultCalendar": c.is_default,
                   "canEdit": c.can_edit, "canShare": c.can_edit, "color": "auto",
                   "owner": {"name": "Ada Lovelace", "address": ACCOUNT}})
        })
        .collect();
    let mut answer = json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#me/calendars", "value": value});
    if end < s.calendars.len() {
        answer["@odata.nextLink"] =
            json!(format!("{}/me/calendars?$top={size}&$skip={end}", s.base));
    }
    Json(answer).into_response()
}

#[derive(Deserialize)]
struct ViewQuery {
    #[serde(rename = "startDateTime")]
    start: Option<String>,
    #[serde(rename = "endDateTime")]
    end: Option<String>,
    #[serde(rename = "$skip")]
    skip: Option<usize>,
}

async fn default_view(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<ViewQuery>,
) -> Response {
    let cal = shared.0.lock().unwrap().default_calendar();
    view(shared, headers, cal, "/me/calendarView".into(), q)
}

async fn calendar_view(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(cal): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Response {
    let path = format!("/me/calendars/{cal}/calendarView");
    view(shared, headers, cal, path, q)
}

fn view(shared: Shared, headers: HeaderMap, cal: String, path: String, q: ViewQuery) -> Response {
    if let Some(refused) = admit(&shared, &headers, format!("GET {path}")) {
        return refused;
    }
    let (Some(from), Some(to)) = (bound(q.start.as_deref()), bound(q.end.as_deref())) else {
        return error(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.",
        );
    };
    let s = shared.0.lock().unwrap();
    if s.calendar(&cal).is_none() {
        return not_found();
    }
    let mut events: Vec<&FakeEvent> = s
        .live_events(&cal)
        .into_iter()
        .filter(|e| e.start().is_some_and(|t| t < to) && e.end().is_some_and(|t| t > from))
        .collect();
    events.sort_by_key(|e| e.start());
    let size = page_size(&headers, &s);
    let start = q.skip.unwrap_or(0).min(events.len());
    let end = (start + size).min(events.len());
    let value: Vec<Value> = events[start..end].iter().map(|e| e.value.clone()).collect();
    let mut answer = json!({"value": value});
    if end < events.len() {
        answer["@odata.nextLink"] = json!(format!(
            "{}{path}?startDateTime={}&endDateTime={}&$skip={end}",
            s.base,
            encoded(&from.to_rfc3339()),
            encoded(&to.to_rfc3339()),
        ));
    }
    Json(answer).into_response()
}

#[derive(Deserialize)]
struct DeltaQuery {
    #[serde(rename = "startDateTime")]
    start: Option<String>,
    #[serde(rename = "endDateTime")]
    end: Option<String>,
    #[serde(rename = "$skiptoken")]
    skip_token: Option<String>,
    #[serde(rename = "$deltatoken")]
    delta_token: Option<String>,
}

/// Where a delta round is: its generation, the change-log span it reports
/// (`since`, `until`], its window and how far into the list it got. Opaque to clients.
#[derive(Debug, Clone, Copy)]
struct DeltaState {
    generation: u64,
    since: u64,
    until: u64,
    from_ms: i64,
    to_ms: i64,
    offset: usize,
}

impl DeltaState {
    fn token(&self) -> String {
        format!(
            "{}.{}.{}.{}.{}.{}",
            self.generation, self.since, self.until, self.from_ms, self.to_ms, self.offset
        )
    }

    fn parse(token: &str) -> Option<DeltaState> {
        let parts: Vec<&str> = token.split('.').collect();
        let [generation, since, until, from_ms, to_ms, offset] = parts[..] else {
            return None;
        };
        Some(DeltaState {
            generation: generation.parse().ok()?,
            since: since.parse().ok()?,
            until: until.parse().ok()?,
            from_ms: from_ms.parse().ok()?,
            to_ms: to_ms.parse().ok()?,
            offset: offset.parse().ok()?,
        })
    }
}

async fn default_delta(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<DeltaQuery>,
) -> Response {
    let cal = shared.0.lock().unwrap().default_calendar();
    delta(shared, headers, cal, "/me/calendarView/delta".into(), q)
}

async fn calendar_delta(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(cal): Path<String>,
    Query(q): Query<DeltaQuery>,
) -> Response {
    let path = format!("/me/calendars/{cal}/calendarView/delta");
    delta(shared, headers, cal, path, q)
}

fn delta(shared: Shared, headers: HeaderMap, cal: String, path: String, q: DeltaQuery) -> Response {
    if let Some(refused) = admit(&shared, &headers, format!("GET {path}")) {
        return refused;
    }
    let s = shared.0.lock().unwrap();
    if s.calendar(&cal).is_none() {
        return not_found();
    }
    let round = match (q.skip_token.or(q.delta_token.clone()), q.start, q.end) {
        (Some(token), _, _) => match DeltaState::parse(&token) {
            Some(round) if round.generation == s.generation => match q.delta_token {
                // A delta link: everything since the round it ended.
                Some(_) => DeltaState {
                    since: round.until,
                    until: s.version,
                    offset: 0,
                    ..round
                },
                None => round,
            },
            _ => {
                return error(
                    StatusCode::GONE,
                    "SyncStateNotFound",
                    "The sync state generation is not found.",
                );
            }
        },
        (None, Some(start), Some(end)) => {
            let (Some(from), Some(to)) = (bound(Some(&start)), bound(Some(&end))) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "ErrorInvalidParameter",
                    "Invalid window.",
                );
            };
            DeltaState {
                generation: s.generation,
                since: 0,
                until: s.version,
                from_ms: from.timestamp_millis(),
                to_ms: to.timestamp_millis(),
                offset: 0,
            }
        }
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "ErrorInvalidParameter",
                "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.",
            );
        }
    };
    let in_window = |e: &FakeEvent| {
        e.start()
            .is_some_and(|t| t.timestamp_millis() < round.to_ms)
            && e.end()
                .is_some_and(|t| t.timestamp_millis() > round.from_ms)
    };
    let mut changed: Vec<&FakeEvent> = s
        .events
        .values()
        .filter(|e| e.calendar == cal && e.version > round.since && e.version <= round.until)
        // A first round lists what is there; later ones report removals too.
        .filter(|e| round.since > 0 || (!e.deleted && in_window(e)))
        .collect();
    changed.sort_by_key(|e| e.version);
    let size = page_size(&headers, &s);
    let end = (round.offset + size).min(changed.len());
    let value: Vec<Value> = changed[round.offset.min(end)..end]
        .iter()
        .map(|e| {
            if e.deleted || !in_window(e) {
                json!({"@odata.type": "#microsoft.graph.event", "id": e.value["id"],
                       "@removed": {"reason": "deleted"}})
            } else {
                e.value.clone()
            }
        })
        .collect();
    let mut answer = json!({"value": value});
    if end < changed.len() {
        let next = DeltaState {
            offset: end,
            ..round
        };
        answer["@odata.nextLink"] = json!(format!("{}{path}?$skiptoken={}", s.base, next.token()));
    } else {
        answer["@odata.deltaLink"] =
            json!(format!("{}{path}?$deltatoken={}", s.base, round.token()));
    }
    Json(answer).into_response()
}

async fn create_default(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(event): Json<Value>,
) -> Response {
    let cal = shared.0.lock().unwrap().default_calendar();
    create(shared, headers, cal, event).await
}

async fn create_in(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(cal): Path<String>,
    Json(event): Json<Value>,
) -> Response {
    create(shared, headers, cal, event).await
}

/// Teams' join link for an online meeting asked of `teamsForBusiness`.
fn online_meeting(event: &mut Value) {
    if event["isOnlineMeeting"] == true
        && event["onlineMeetingProvider"] == "teamsForBusiness"
        && event["onlineMeeting"].is_null()
    {
        let id = event["id"].as_str().unwrap_or_default().to_string();
        event["onlineMeeting"] = json!({
            "joinUrl": format!("https://teams.microsoft.com/l/meetup-join/19%3ameeting_{id}%40thread.v2/0"),
        });
    }
}

async fn create(shared: Shared, headers: HeaderMap, cal: String, mut event: Value) -> Response {
    if let Some(refused) = admit(
        &shared,
        &headers,
        format!("POST /me/calendars/{cal}/events"),
    ) {
        return refused;
    }
    let (answer, sends) = {
        let mut s = shared.0.lock().unwrap();
        let Some(calendar) = s.calendar(&cal) else {
            return not_found();
        };
        if !calendar.can_edit {
            return error(
                StatusCode::FORBIDDEN,
                "ErrorAccessDenied",
                "Access is denied. Check credentials and try again.",
            );
        }
        if graph_time(&event["start"]).is_none() || graph_time(&event["end"]).is_none() {
            return error(
                StatusCode::BAD_REQUEST,
                "ErrorInvalidRequest",
                "start and end are required.",
            );
        }
        let transaction = event["transactionId"].as_str().map(str::to_string);
        if let Some(existing) = transaction.as_deref().and_then(|t| {
            s.events
                .values()
                .find(|e| !e.deleted && e.value["transactionId"] == t)
        }) {
            return (StatusCode::CREATED, Json(existing.value.clone())).into_response();
        }
        let id = s.next_id("AAMkEvent");
        let mut extensions = BTreeMap::new();
        if let Some(list) = event.as_object_mut().and_then(|o| o.remove("extensions")) {
            for extension in list.as_array().into_iter().flatten() {
                let name = extension["extensionName"].as_str().unwrap_or_default();
                extensions.insert(name.to_string(), extension.clone());
            }
        }
        event["id"] = json!(id);
        event["isCancelled"] = json!(false);
        event["showAs"] = event.get("showAs").cloned().unwrap_or(json!("busy"));
        event["type"] = json!("singleInstance");
        event["webLink"] = json!(format!("https://outlook.office365.com/owa/?itemid={id}"));
        for key in ["start", "end"] {
            event[key] = utc_time(graph_time(&event[key]).expect("checked above"));
        }
        online_meeting(&mut event);
        s.events.insert(
            id.clone(),
            FakeEvent {
                calendar: cal,
                value: event,
                extensions,
                deleted: false,
                version: 0,
            },
        );
        let sends = s.touch(&id, "created");
        (s.events[&id].value.clone(), sends)
    };
    tokio::spawn(async move { deliver(&shared.0, sends).await });
    (StatusCode::CREATED, Json(answer)).into_response()
}

#[derive(Deserialize)]
struct ExpandQuery {
    #[serde(rename = "$expand")]
    expand: Option<String>,
}

async fn get_event(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ExpandQuery>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, format!("GET /me/events/{id}")) {
        return refused;
    }
    let s = shared.0.lock().unwrap();
    let Some(event) = s.events.get(&id).filter(|e| !e.deleted) else {
        return not_found();
    };
    let mut answer = event.value.clone();
    if q.expand.as_deref() == Some("extensions") {
        answer["extensions"] = json!(event.extensions.values().collect::<Vec<_>>());
    }
    Json(answer).into_response()
}

async fn patch_event(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(changes): Json<Value>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, format!("PATCH /me/events/{id}")) {
        return refused;
    }
    let (answer, sends) = {
        let mut s = shared.0.lock().unwrap();
        let Some(event) = s.events.get_mut(&id).filter(|e| !e.deleted) else {
            return not_found();
        };
        for (key, value) in changes.as_object().into_iter().flatten() {
            let value = match key.as_str() {
                "start" | "end" => match graph_time(value) {
                    Some(at) => utc_time(at),
                    None => {
                        return error(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", "Bad time.");
                    }
                },
                _ => value.clone(),
            };
            event.value[key] = value;
        }
        online_meeting(&mut event.value);
        let sends = s.touch(&id, "updated");
        (s.events[&id].value.clone(), sends)
    };
    tokio::spawn(async move { deliver(&shared.0, sends).await });
    Json(answer).into_response()
}

async fn patch_extension(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
    Json(changes): Json<Value>,
) -> Response {
    if let Some(refused) = admit(
        &shared,
        &headers,
        format!("PATCH /me/events/{id}/extensions/{name}"),
    ) {
        return refused;
    }
    let mut s = shared.0.lock().unwrap();
    let Some(extension) = s
        .events
        .get_mut(&id)
        .filter(|e| !e.deleted)
        .and_then(|e| e.extensions.get_mut(&name))
    else {
        return not_found();
    };
    for (key, value) in changes.as_object().into_iter().flatten() {
        extension[key] = value.clone();
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn delete_event(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, format!("DELETE /me/events/{id}")) {
        return refused;
    }
    let sends = {
        let mut s = shared.0.lock().unwrap();
        let Some(event) = s.events.get_mut(&id).filter(|e| !e.deleted) else {
            return not_found();
        };
        event.deleted = true;
        s.touch(&id, "deleted")
    };
    tokio::spawn(async move { deliver(&shared.0, sends).await });
    StatusCode::NO_CONTENT.into_response()
}

async fn get_schedule(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(query): Json<Value>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, "POST /me/calendar/getSchedule".into()) {
        return refused;
    }
    let (Some(from), Some(to)) = (
        graph_time(&query["startTime"]),
        graph_time(&query["endTime"]),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidParameter",
            "startTime and endTime are required.",
        );
    };
    let interval = query["availabilityViewInterval"]
        .as_i64()
        .unwrap_or(30)
        .clamp(5, 1440);
    let s = shared.0.lock().unwrap();
    let default = s.default_calendar();
    let value: Vec<Value> = query["schedules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|address| {
            if !address.eq_ignore_ascii_case(ACCOUNT) {
                return json!({"scheduleId": address, "availabilityView": "", "scheduleItems": [],
                    "error": {"message": "The user is not found.", "responseCode": "ErrorMailRecipientNotFound"}});
            }
            let mut items: Vec<(DateTime<Utc>, DateTime<Utc>, String)> = s
                .live_events(&default)
                .into_iter()
                .filter_map(|e| Some((e.start()?, e.end()?, e.value["showAs"].as_str().unwrap_or("busy").to_string())))
                .filter(|(start, end, show_as)| *start < to && *end > from && show_as != "free")
                .collect();
            items.sort();
            let mut view = String::new();
            let mut slot = from;
            while slot < to {
                let next = slot + chrono::Duration::minutes(interval);
                let digit = items
                    .iter()
                    .filter(|(start, end, _)| *start < next && *end > slot)
                    .map(|(_, _, show_as)| match show_as.as_str() {
                        "tentative" => '1',
                        "oof" => '3',
                        "workingElsewhere" => '4',
                        _ => '2',
                    })
                    .max()
                    .unwrap_or('0');
                view.push(digit);
                slot = next;
            }
            json!({"scheduleId": address, "availabilityView": view,
                "scheduleItems": items.iter().map(|(start, end, show_as)| json!({
                    "status": show_as, "start": utc_time(*start), "end": utc_time(*end)}))
                    .collect::<Vec<_>>()})
        })
        .collect();
    Json(json!({"value": value})).into_response()
}

fn subscription_json(sub: &FakeSubscription) -> Value {
    json!({
        "id": sub.id, "resource": sub.resource, "changeType": "created,updated,deleted",
        "notificationUrl": sub.notification_url, "clientState": sub.client_state,
        "expirationDateTime": sub.expires.to_rfc3339(),
        "applicationId": super::oauth::CLIENT_ID,
    })
}

/// An `expirationDateTime` Graph takes: in the future and within its cap (the granted
/// one shortened to the fake's `subscription_life`); else why not.
fn expiry(s: &GraphState, asked: Option<&str>) -> Result<DateTime<Utc>, &'static str> {
    let now = Utc::now();
    let asked = bound(asked)
        .filter(|t| *t > now)
        .ok_or("expirationDateTime is required and must be in the future.")?;
    if asked > now + chrono::Duration::minutes(MAX_SUBSCRIPTION_MINUTES) {
        return Err("Subscription expiration can only be 10080 minutes in the future.");
    }
    Ok(asked.min(now + s.subscription_life))
}

async fn subscribe(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, "POST /subscriptions".into()) {
        return refused;
    }
    let notification_url = body["notificationUrl"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let resource = body["resource"].as_str().unwrap_or_default().to_string();
    let client_state = body["clientState"].as_str().map(str::to_string);
    let expires = {
        let s = shared.0.lock().unwrap();
        let known = resource.trim_start_matches('/') == "me/events"
            || s.calendars.iter().any(|c| {
                resource.trim_start_matches('/') == format!("me/calendars/{}/events", c.id)
            });
        if !known || body["changeType"].as_str().is_none() {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                "Resource or changeType is not valid.",
            );
        }
        if client_state.as_ref().is_some_and(|c| c.len() > 128) {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                "clientState is longer than 128 characters.",
            );
        }
        match expiry(&s, body["expirationDateTime"].as_str()) {
            Ok(expires) => expires,
            Err(why) => return error(StatusCode::BAD_REQUEST, "InvalidRequest", why),
        }
    };
    let token = format!(
        "Validation: Testing client application reachability for subscription Request-Id: {}",
        uuid::Uuid::new_v4()
    );
    let validated = reqwest::Client::new()
        .post(format!(
            "{notification_url}?validationToken={}",
            encoded(&token)
        ))
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    let echoed = match validated {
        Ok(answer) if answer.status() == StatusCode::OK => answer.text().await.ok(),
        _ => None,
    };
    if echoed.as_deref() != Some(token.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Subscription validation request failed. Response must exactly match validationToken query parameter.",
        );
    }
    let mut s = shared.0.lock().unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    let sub = FakeSubscription {
        id: id.clone(),
        resource,
        notification_url,
        client_state,
        expires,
    };
    let answer = subscription_json(&sub);
    s.subscriptions.insert(id, sub);
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn renew_subscription(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, format!("PATCH /subscriptions/{id}")) {
        return refused;
    }
    let mut s = shared.0.lock().unwrap();
    let expires = match expiry(&s, body["expirationDateTime"].as_str()) {
        Ok(expires) => expires,
        Err(why) => return error(StatusCode::BAD_REQUEST, "InvalidRequest", why),
    };
    let Some(sub) = s
        .subscriptions
        .get_mut(&id)
        .filter(|sub| sub.expires > Utc::now())
    else {
        return error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The object was not found.",
        );
    };
    sub.expires = expires;
    Json(subscription_json(sub)).into_response()
}

async fn delete_subscription(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, format!("DELETE /subscriptions/{id}")) {
        return refused;
    }
    match shared.0.lock().unwrap().subscriptions.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The object was not found.",
        ),
    }
}
