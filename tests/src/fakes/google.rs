//! Google Calendar API v3 on 127.0.0.1, as its reference documents it (see
//! `shared/PROVIDERS.md` §1), for the `google-calendar` plugin:
//!
//! - `GET /users/me/calendarList`: the account's calendars, paged by `pageToken`
//!   (`maxResults`, default 100 here as at Google);
//! - `POST /freeBusy {timeMin, timeMax, items:[{id}]}`: busy periods of each calendar
//!   from its confirmed, opaque events; an unknown calendar answers
//!   `errors: [{domain: "global", reason: "notFound"}]` inside a 200;
//! - `POST /calendars/{cal}/events`: an event with a client-chosen `id` (5–1024
//!   characters of base32hex, else 400 `invalidResourceId`; taken → 409 `duplicate`),
//!   `conferenceData.createRequest` honoured only with `conferenceDataVersion=1` (a Meet
//!   link in `hangoutLink`), silently dropped otherwise;
//! - `GET`/`PATCH`/`DELETE /calendars/{cal}/events/{id}`: a patch changes only the
//!   fields sent (an array replaces the whole array); a delete answers 204, then 410
//!   `deleted`; an unknown event is 404 `notFound`;
//! - `GET /calendars/{cal}/events`: full listing (`timeMin`, `showDeleted`) or
//!   incremental with `syncToken` (deletions included as `cancelled`; `timeMin` and the
//!   like refused with 400), paged by `pageToken` with `nextSyncToken` on the last page
//!   only; a token from before [`GoogleCalendar::invalidate_sync_tokens`] is 410 Gone
//!   `fullSyncRequired`;
//! - `POST /calendars/{cal}/events/watch` opens a push channel (expiring after
//!   [`GoogleState::channel_ttl`]) and `POST /channels/stop` closes one (404 unknown):
//!   a channel is POSTed an empty body with the `X-Goog-*` headers, state `sync`
//!   (message 1) when opened and `exists` on every change of its calendar, by Convene
//!   or by the "user" knobs below, until it expires or is stopped;
//! - every error in Google's envelope `{"error": {code, message, errors: [{domain,
//!   reason, message}]}}`; requests need a bearer the provider's authorization server
//!   issued (401 `authError` otherwise).
//!
//! Knobs: answer the next requests with `403 rateLimitExceeded` (Google's usual way,
//! without `Retry-After`) or `503 backendError`, delay every answer, and read what was
//! asked; and, acting as the user in Google's own UI: move an event in time, retitle or
//! redescribe it, delete it, move it to another calendar (`events.move`, same id), and
//! invalidate every sync token.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::example::Accepted;

/// A calendar of the fake account.
#[derive(Debug, Clone)]
pub struct FakeCalendar {
    pub id: String,
    pub summary: String,
    pub primary: bool,
    /// `owner`, `writer`, `reader` or `freeBusyReader`.
    pub access_role: String,
    /// Its events by id, as Google would answer them.
    pub events: BTreeMap<String, Value>,
}

/// A failure the fake answers with for a number of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// `403 rateLimitExceeded`, no `Retry-After`.
    RateLimited,
    /// `503 backendError`.
    Down,
}

/// A push channel the fake opened.
#[derive(Debug, Clone)]
pub struct FakeChannel {
    pub id: String,
    pub token: Option<String>,
    pub address: String,
    pub calendar: String,
    pub resource_id: String,
    pub expiration: DateTime<Utc>,
    /// The last message number sent.
    pub messages: u64,
    pub stopped: bool,
}

/// One notification to send.
struct Push {
    address: String,
    headers: Vec<(&'static str, String)>,
}

/// What the fake holds and has seen.
#[derive(Debug, Default)]
pub struct GoogleState {
    /// Push channels, open and closed.
    pub channels: Vec<FakeChannel>,
    /// How long a new channel lasts (Google's default: a week).
    pub channel_ttl: Option<chrono::Duration>,
    /// Bumped on every change of any event: sync tokens name a point in it.
    seq: u64,
    /// Per calendar, the `seq` of each event's last change.
    changed: BTreeMap<String, BTreeMap<String, u64>>,
    /// Sync tokens minted before this epoch are refused with 410.
    epoch: u32,
    pub calendars: Vec<FakeCalendar>,
    /// Every request: method and path with query.
    pub requests: Vec<String>,
    /// Requests still to be refused, and how.
    pub outage: Option<(usize, Outage)>,
    /// How long each answer waits.
    pub delay: Duration,
    next_id: usize,
}

impl GoogleState {
    /// Calendar `id`.
    pub fn calendar(&self, id: &str) -> Option<&FakeCalendar> {
        self.calendars.iter().find(|c| c.id == id)
    }

    /// The channel open on calendar `calendar`, if any.
    pub fn open_channel(&self, calendar: &str) -> Option<&FakeChannel> {
        self.channels
            .iter()
            .rev()
            .find(|c| c.calendar == calendar && !c.stopped && c.expiration > Utc::now())
    }

    /// Records a change of event `id` in `calendar` and the notifications it sends.
    fn touch(&mut self, calendar: &str, id: &str) -> Vec<Push> {
        self.seq += 1;
        let seq = self.seq;
        self.changed
            .entry(calendar.to_string())
            .or_default()
            .insert(id.to_string(), seq);
        let now = Utc::now();
        self.channels
            .iter_mut()
            .filter(|c| c.calendar == calendar && !c.stopped && c.expiration > now)
            .map(|c| notification(c, "exists"))
            .collect()
    }

    /// The event `id` of `calendar` for the user to change.
    fn user_event(&mut self, calendar: &str, id: &str) -> &mut Value {
        self.calendars
            .iter_mut()
            .find(|c| c.id == calendar)
            .and_then(|c| c.events.get_mut(id))
            .expect("a known event")
    }

    /// Every event of calendar `id`.
    pub fn events(&self, id: &str) -> Vec<Value> {
        self.calendar(id)
            .map(|c| c.events.values().cloned().collect())
            .unwrap_or_default()
    }
}

/// The next notification of `channel`, in state `state`.
fn notification(channel: &mut FakeChannel, state: &str) -> Push {
    channel.messages += 1;
    let mut headers = vec![
        ("X-Goog-Channel-ID", channel.id.clone()),
        ("X-Goog-Resource-ID", channel.resource_id.clone()),
        (
            "X-Goog-Resource-URI",
            format!(
                "https://www.googleapis.com/calendar/v3/calendars/{}/events?alt=json",
                channel.calendar
            ),
        ),
        ("X-Goog-Resource-State", state.to_string()),
        ("X-Goog-Message-Number", channel.messages.to_string()),
        (
            "X-Goog-Channel-Expiration",
            channel.expiration.to_rfc2822().replace("+0000", "GMT"),
        ),
    ];
    if let Some(token) = &channel.token {
        headers.push(("X-Goog-Channel-Token", token.clone()));
    }
    Push {
        address: channel.address.clone(),
        headers,
    }
}

/// Sends `pushes` in order, as Google's push service would, without waiting on them.
fn send(pushes: Vec<Push>) {
    if pushes.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        for push in pushes {
            let mut request = client.post(&push.address);
            for (name, value) in push.headers {
                request = request.header(name, value);
            }
            let _ = request.send().await;
        }
    });
}

/// A running fake.
#[derive(Clone)]
pub struct GoogleCalendar {
    /// `http://127.0.0.1:PORT`: an installation's `base_url`.
    pub base: String,
    pub state: Arc<Mutex<GoogleState>>,
}

type Shared = (Arc<Mutex<GoogleState>>, Arc<Accepted>);

/// The primary calendar's id: the account's address, as at Google.
pub const PRIMARY: &str = "ada@provider.example";
/// A writable shared calendar of the account.
pub const TEAM: &str = "team@group.calendar.google.com";
/// A read-only calendar the account subscribes to.
pub const HOLIDAYS: &str = "en.usa#holiday@group.v.calendar.google.com";

impl GoogleCalendar {
    /// Starts the fake with a primary calendar ([`PRIMARY`]), a writable team calendar
    /// ([`TEAM`]) and a read-only holiday calendar ([`HOLIDAYS`]).
    pub async fn start(tokens: Accepted) -> GoogleCalendar {
        let calendar = |id: &str, summary: &str, primary, role: &str| FakeCalendar {
            id: id.into(),
            summary: summary.into(),
            primary,
            access_role: role.into(),
            events: BTreeMap::new(),
        };
        let state = Arc::new(Mutex::new(GoogleState {
            calendars: vec![
                calendar(PRIMARY, "Ada Lovelace", true, "owner"),
                calendar(TEAM, "Team", false, "writer"),
                calendar(HOLIDAYS, "Holidays in United States", false, "reader"),
            ],
            ..GoogleState::default()
        }));
        let tokens = Arc::new(tokens);
        let app = Router::new()
            .route("/users/me/calendarList", get(calendar_list))
            .route("/freeBusy", post(free_busy))
            .route(
                "/calendars/{cal}/events",
                post(insert_event).get(list_events),
            )
            .route("/calendars/{cal}/events/watch", post(watch))
            .route("/channels/stop", post(stop_channel))
            .route(
                "/calendars/{cal}/events/{id}",
                get(get_event).patch(patch_event).delete(delete_event),
            )
            .with_state((state.clone(), tokens));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("the fake serves") });
        GoogleCalendar { base, state }
    }

    /// Puts a busy event of the host's own (not Convene's) in calendar `calendar`.
    pub fn add_busy(&self, calendar: &str, start: DateTime<Utc>, end: DateTime<Utc>) {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = format!("own{}", s.next_id);
        let event = json!({
            "kind": "calendar#event", "id": id, "status": "confirmed",
            "summary": "Busy", "start": {"dateTime": start.to_rfc3339()},
            "end": {"dateTime": end.to_rfc3339()},
        });
        s.calendars
            .iter_mut()
            .find(|c| c.id == calendar)
            .expect("a known calendar")
            .events
            .insert(id.clone(), event);
        // Listed by the next incremental sync; Google would push, which no test needs here.
        s.touch(calendar, &id);
    }

    /// Puts an event of Convene's shape (`convene_booking` set) directly in `calendar`,
    /// as a copy of it seen through a calendar shared with the host would be; no push.
    pub fn put_event(&self, calendar: &str, event: Value) {
        let mut s = self.state.lock().unwrap();
        let id = event["id"].as_str().expect("an id").to_string();
        s.touch(calendar, &id);
        s.calendars
            .iter_mut()
            .find(|c| c.id == calendar)
            .expect("a known calendar")
            .events
            .insert(id, event);
    }

    /// The user moves event `id` of `calendar` to `start`–`end` in Google's UI.
    pub fn user_moves(&self, calendar: &str, id: &str, start: DateTime<Utc>, end: DateTime<Utc>) {
        self.user_edits(calendar, id, |event| {
            event["start"] = json!({"dateTime": start.to_rfc3339()});
            event["end"] = json!({"dateTime": end.to_rfc3339()});
        });
    }

    /// The user renames event `id` of `calendar`.
    pub fn user_retitles(&self, calendar: &str, id: &str, title: &str) {
        self.user_edits(calendar, id, |event| event["summary"] = json!(title));
    }

    /// The user rewrites the description of event `id` of `calendar`.
    pub fn user_redescribes(&self, calendar: &str, id: &str, description: &str) {
        self.user_edits(calendar, id, |event| {
            event["description"] = json!(description)
        });
    }

    /// The user deletes event `id` of `calendar`.
    pub fn user_deletes(&self, calendar: &str, id: &str) {
        self.user_edits(calendar, id, |event| {
            *event = json!({"kind": "calendar#event", "id": event["id"], "status": "cancelled"});
        });
    }

    /// The user moves event `id` from calendar `from` to `to` (`events.move`: the id
    /// stays, the source calendar reports it cancelled).
    pub fn user_moves_to_calendar(&self, from: &str, id: &str, to: &str) {
        let pushes = {
            let mut s = self.state.lock().unwrap();
            let event = s.user_event(from, id).clone();
            *s.user_event(from, id) =
                json!({"kind": "calendar#event", "id": id, "status": "cancelled"});
            let mut pushes = s.touch(from, id);
            s.calendars
                .iter_mut()
                .find(|c| c.id == to)
                .expect("a known calendar")
                .events
                .insert(id.to_string(), event);
            pushes.extend(s.touch(to, id));
            pushes
        };
        send(pushes);
    }

    fn user_edits(&self, calendar: &str, id: &str, edit: impl FnOnce(&mut Value)) {
        let pushes = {
            let mut s = self.state.lock().unwrap();
            let event = s.user_event(calendar, id);
            edit(event);
            if event["status"] != "cancelled" {
                event["updated"] = json!(Utc::now().to_rfc3339());
            }
            s.touch(calendar, id)
        };
        send(pushes);
    }

    /// Google forgets every sync token handed out so far: the next incremental sync
    /// with one is 410 Gone.
    pub fn invalidate_sync_tokens(&self) {
        self.state.lock().unwrap().epoch += 1;
    }

    /// Refuses the next `requests` requests with `outage`.
    pub fn fail_next(&self, requests: usize, outage: Outage) {
        self.state.lock().unwrap().outage = Some((requests, outage));
    }

    /// How many requests reached the fake, counting those whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> usize {
        let s = self.state.lock().unwrap();
        s.requests.iter().filter(|r| r.contains(prefix)).count()
    }
}

/// Google's error envelope.
fn error(status: StatusCode, reason: &str, message: &str) -> Response {
    let domain = if reason.contains("RateLimit") || reason.contains("rateLimit") {
        "usageLimits"
    } else {
        "global"
    };
    (
        status,
        Json(json!({"error": {
            "code": status.as_u16(),
            "message": message,
            "errors": [{"domain": domain, "reason": reason, "message": message}],
        }})),
    )
        .into_response()
}

/// Records the request, waits the configured delay, then checks outages and the bearer.
async fn admit(shared: &Shared, headers: &HeaderMap, what: String) -> Option<Response> {
    let (state, tokens) = shared;
    let delay = {
        let mut s = state.lock().unwrap();
        s.requests.push(what);
        s.delay
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut s = state.lock().unwrap();
    if let Some((left, outage)) = s.outage {
        s.outage = (left > 1).then_some((left - 1, outage));
        return Some(match outage {
            Outage::RateLimited => error(
                StatusCode::FORBIDDEN,
                "rateLimitExceeded",
                "Rate Limit Exceeded",
            ),
            Outage::Down => error(
                StatusCode::SERVICE_UNAVAILABLE,
                "backendError",
                "Backend Error",
            ),
        });
    }
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if !tokens.accepts(auth) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "authError",
            "Invalid Credentials",
        ));
    }
    None
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    page_token: Option<String>,
    max_results: Option<usize>,
}

async fn calendar_list(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, "GET /users/me/calendarList".into()).await {
        return refused;
    }
    let s = shared.0.lock().unwrap();
    let size = q.max_results.unwrap_or(100).clamp(1, 250);
    let start = match q.page_token.as_deref().map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) if n <= s.calendars.len() => n,
        Some(_) => return error(StatusCode::BAD_REQUEST, "invalid", "Invalid page token"),
    };
    let end = (start + size).min(s.calendars.len());
    let items: Vec<Value> = s.calendars[start..end]
        .iter()
        .map(|c| {
            json!({"kind": "calendar#calendarListEntry", "id": c.id, "summary": c.summary,
                   "primary": c.primary, "accessRole": c.access_role, "timeZone": "Europe/London"})
        })
        .collect();
    let mut answer = json!({"kind": "calendar#calendarList", "items": items});
    if end < s.calendars.len() {
        answer["nextPageToken"] = json!(end.to_string());
    }
    Json(answer).into_response()
}

fn time_of(value: &Value) -> Option<DateTime<Utc>> {
    value["dateTime"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

async fn free_busy(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(query): Json<Value>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, "POST /freeBusy".into()).await {
        return refused;
    }
    let bound = |key: &str| {
        query[key]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (Some(from), Some(to)) = (bound("timeMin"), bound("timeMax")) else {
        return error(StatusCode::BAD_REQUEST, "badRequest", "Bad Request");
    };
    if from >= to {
        return error(
            StatusCode::BAD_REQUEST,
            "timeRangeEmpty",
            "The specified time range is empty.",
        );
    }
    let s = shared.0.lock().unwrap();
    let mut calendars = serde_json::Map::new();
    for item in query["items"].as_array().into_iter().flatten() {
        let id = item["id"].as_str().unwrap_or_default();
        let id = if id == "primary" { PRIMARY } else { id };
        let answer = match s.calendar(id) {
            None => json!({"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}),
            Some(calendar) => {
                let mut busy: Vec<(DateTime<Utc>, DateTime<Utc>)> = calendar
                    .events
                    .values()
                    .filter(|e| e["status"] != "cancelled" && e["transparency"] != "transparent")
                    .filter_map(|e| Some((time_of(&e["start"])?, time_of(&e["end"])?)))
                    .filter(|(start, end)| *start < to && *end > from)
                    .collect();
                busy.sort();
                json!({"busy": busy.iter()
                    .map(|(start, end)| json!({"start": start.to_rfc3339(), "end": end.to_rfc3339()}))
                    .collect::<Vec<_>>()})
            }
        };
        calendars.insert(item["id"].as_str().unwrap_or_default().into(), answer);
    }
    Json(
        json!({"kind": "calendar#freeBusy", "timeMin": query["timeMin"],
                "timeMax": query["timeMax"], "calendars": calendars}),
    )
    .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WriteQuery {
    conference_data_version: Option<u8>,
}

fn base32hex(id: &str) -> bool {
    (5..=1024).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b))
}

/// Applies `conferenceData.createRequest` as Google does with `conferenceDataVersion=1`
/// (a Meet link), or drops it without.
fn conference(event: &mut Value, version: Option<u8>) {
    let Some(request) = event.get("conferenceData").cloned() else {
        return;
    };
    let Some(object) = event.as_object_mut() else {
        return;
    };
    if version != Some(1) {
        object.remove("conferenceData");
        return;
    }
    if request["createRequest"]["conferenceSolutionKey"]["type"] == "hangoutsMeet" {
        let code = format!("abc-{}-xyz", &event["id"].as_str().unwrap_or("meet")[..4]);
        let link = format!("https://meet.google.com/{code}");
        event["hangoutLink"] = json!(link);
        event["conferenceData"] = json!({
            "createRequest": {"requestId": request["createRequest"]["requestId"],
                              "status": {"statusCode": "success"}},
            "entryPoints": [{"entryPointType": "video", "uri": link}],
            "conferenceId": code,
        });
    }
}

fn calendar_id(cal: &str) -> &str {
    if cal == "primary" { PRIMARY } else { cal }
}

async fn insert_event(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(cal): Path<String>,
    Query(q): Query<WriteQuery>,
    Json(mut event): Json<Value>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, format!("POST /calendars/{cal}/events")).await {
        return refused;
    }
    let mut s = shared.0.lock().unwrap();
    s.next_id += 1;
    let generated = format!("gen{:08}", s.next_id);
    let Some(calendar) = s.calendars.iter_mut().find(|c| c.id == calendar_id(&cal)) else {
        return error(StatusCode::NOT_FOUND, "notFound", "Not Found");
    };
    if !matches!(calendar.access_role.as_str(), "owner" | "writer") {
        return error(
            StatusCode::FORBIDDEN,
            "requiredAccessLevel",
            "You need to have writer access to this calendar.",
        );
    }
    let id = match event["id"].as_str() {
        Some(id) if !base32hex(id) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalidResourceId",
                "Invalid resource id value.",
            );
        }
        Some(id) => id.to_string(),
        None => generated,
    };
    if calendar
        .events
        .get(&id)
        .is_some_and(|e| e["status"] != "cancelled")
    {
        return error(
            StatusCode::CONFLICT,
            "duplicate",
            "The requested identifier already exists.",
        );
    }
    event["id"] = json!(id);
    event["kind"] = json!("calendar#event");
    event["status"] = json!("confirmed");
    event["htmlLink"] = json!(format!("https://www.google.com/calendar/event?eid={id}"));
    event["updated"] = json!(Utc::now().to_rfc3339());
    conference(&mut event, q.conference_data_version);
    calendar.events.insert(id.clone(), event.clone());
    let pushes = s.touch(calendar_id(&cal), &id);
    drop(s);
    send(pushes);
    Json(event).into_response()
}

async fn get_event(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((cal, id)): Path<(String, String)>,
) -> Response {
    if let Some(refused) = admit(
        &shared,
        &headers,
        format!("GET /calendars/{cal}/events/{id}"),
    )
    .await
    {
        return refused;
    }
    let s = shared.0.lock().unwrap();
    match s
        .calendar(calendar_id(&cal))
        .and_then(|c| c.events.get(&id))
    {
        Some(event) => Json(event.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "notFound", "Not Found"),
    }
}

/// A refusal in Google's terms: status, reason, message.
type Refusal = (StatusCode, &'static str, &'static str);

/// Event `id` of calendar `cal` for a change: 404 when unknown, 410 once deleted.
fn live_event<'a>(s: &'a mut GoogleState, cal: &str, id: &str) -> Result<&'a mut Value, Refusal> {
    let event = s
        .calendars
        .iter_mut()
        .find(|c| c.id == calendar_id(cal))
        .and_then(|c| c.events.get_mut(id))
        .ok_or((StatusCode::NOT_FOUND, "notFound", "Not Found"))?;
    if event["status"] == "cancelled" {
        return Err((StatusCode::GONE, "deleted", "Resource has been deleted"));
    }
    Ok(event)
}

async fn patch_event(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((cal, id)): Path<(String, String)>,
    Query(q): Query<WriteQuery>,
    Json(changes): Json<Value>,
) -> Response {
    if let Some(refused) = admit(
        &shared,
        &headers,
        format!("PATCH /calendars/{cal}/events/{id}"),
    )
    .await
    {
        return refused;
    }
    let mut s = shared.0.lock().unwrap();
    let event = match live_event(&mut s, &cal, &id) {
        Ok(event) => event,
        Err((status, reason, message)) => return error(status, reason, message),
    };
    if let (Some(target), Some(changes)) = (event.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            target.insert(key.clone(), value.clone());
        }
    }
    event["updated"] = json!(Utc::now().to_rfc3339());
    conference(event, q.conference_data_version);
    let event = event.clone();
    let pushes = s.touch(calendar_id(&cal), &id);
    drop(s);
    send(pushes);
    Json(event).into_response()
}

async fn delete_event(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((cal, id)): Path<(String, String)>,
) -> Response {
    if let Some(refused) = admit(
        &shared,
        &headers,
        format!("DELETE /calendars/{cal}/events/{id}"),
    )
    .await
    {
        return refused;
    }
    let mut s = shared.0.lock().unwrap();
    let event = match live_event(&mut s, &cal, &id) {
        Ok(event) => event,
        Err((status, reason, message)) => return error(status, reason, message),
    };
    // Google keeps a deleted event as `cancelled` (incremental sync reports it so).
    *event = json!({"kind": "calendar#event", "id": id, "status": "cancelled"});
    let pushes = s.touch(calendar_id(&cal), &id);
    drop(s);
    send(pushes);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventsQuery {
    sync_token: Option<String>,
    page_token: Option<String>,
    max_results: Option<usize>,
    time_min: Option<String>,
    time_max: Option<String>,
    show_deleted: Option<bool>,
    updated_min: Option<String>,
    q: Option<String>,
    order_by: Option<String>,
    private_extended_property: Option<String>,
}

/// A sync token: the epoch it was minted in and the change it follows.
fn sync_token(epoch: u32, seq: u64) -> String {
    format!("{epoch}.{seq}")
}

async fn list_events(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(cal): Path<String>,
    Query(q): Query<EventsQuery>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, format!("GET /calendars/{cal}/events")).await {
        return refused;
    }
    let s = shared.0.lock().unwrap();
    let cal = calendar_id(&cal);
    let Some(calendar) = s.calendar(cal) else {
        return error(StatusCode::NOT_FOUND, "notFound", "Not Found");
    };
    // A page token carries the listing's snapshot (`seq`) and where the page starts.
    let (snapshot, offset) = match q.page_token.as_deref() {
        None => (s.seq, 0),
        Some(token) => match token
            .split_once(':')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        {
            Some(parsed) => parsed,
            None => return error(StatusCode::BAD_REQUEST, "invalid", "Invalid page token"),
        },
    };
    let changed = s.changed.get(cal);
    let mut items: Vec<&Value> = match q.sync_token.as_deref() {
        Some(token) => {
            let forbidden = q.time_min.is_some()
                || q.time_max.is_some()
                || q.updated_min.is_some()
                || q.q.is_some()
                || q.order_by.is_some()
                || q.private_extended_property.is_some()
                || q.show_deleted == Some(false);
            if forbidden {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid",
                    "Sync token cannot be used with other filters",
                );
            }
            let Some((epoch, since)) = token
                .split_once('.')
                .and_then(|(e, n)| Some((e.parse::<u32>().ok()?, n.parse::<u64>().ok()?)))
            else {
                return error(StatusCode::BAD_REQUEST, "invalid", "Invalid sync token");
            };
            if epoch != s.epoch {
                return error(
                    StatusCode::GONE,
                    "fullSyncRequired",
                    "Sync token is no longer valid, a full sync is required.",
                );
            }
            calendar
                .events
                .iter()
                .filter(|(id, _)| {
                    changed
                        .and_then(|c| c.get(*id))
                        .is_some_and(|n| *n > since && *n <= snapshot)
                })
                .map(|(_, e)| e)
                .collect()
        }
        None => {
            let from = q
                .time_min
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc));
            calendar
                .events
                .values()
                .filter(|e| q.show_deleted == Some(true) || e["status"] != "cancelled")
                .filter(|e| match (from, time_of(&e["end"])) {
                    (Some(from), Some(end)) => end > from,
                    _ => true,
                })
                .collect()
        }
    };
    let size = q.max_results.unwrap_or(250).clamp(1, 2500);
    let end = (offset + size).min(items.len());
    let more = end < items.len();
    items = items
        .get(offset.min(items.len())..end)
        .map(<[_]>::to_vec)
        .unwrap_or_default();
    let mut answer = json!({"kind": "calendar#events", "summary": calendar.summary,
        "items": items});
    if more {
        answer["nextPageToken"] = json!(format!("{snapshot}:{end}"));
    } else {
        answer["nextSyncToken"] = json!(sync_token(s.epoch, snapshot));
    }
    Json(answer).into_response()
}

#[derive(Deserialize)]
struct WatchRequest {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    address: String,
    token: Option<String>,
}

async fn watch(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(cal): Path<String>,
    Json(request): Json<WatchRequest>,
) -> Response {
    if let Some(refused) = admit(
        &shared,
        &headers,
        format!("POST /calendars/{cal}/events/watch"),
    )
    .await
    {
        return refused;
    }
    if !matches!(request.kind.as_str(), "web_hook" | "webhook")
        || !request.address.starts_with("http")
    {
        return error(StatusCode::BAD_REQUEST, "invalid", "Invalid channel");
    }
    let mut s = shared.0.lock().unwrap();
    let cal = calendar_id(&cal).to_string();
    if s.calendar(&cal).is_none() {
        return error(StatusCode::NOT_FOUND, "notFound", "Not Found");
    }
    if s.channels.iter().any(|c| c.id == request.id) {
        return error(
            StatusCode::BAD_REQUEST,
            "channelIdNotUnique",
            "Channel id not unique",
        );
    }
    s.next_id += 1;
    let ttl = s.channel_ttl.unwrap_or(chrono::Duration::days(7));
    let mut channel = FakeChannel {
        id: request.id,
        token: request.token,
        address: request.address,
        resource_id: format!("res{:06}", s.next_id),
        expiration: Utc::now() + ttl,
        calendar: cal.clone(),
        messages: 0,
        stopped: false,
    };
    let hello = notification(&mut channel, "sync");
    let answer = json!({"kind": "api#channel", "id": channel.id, "resourceId": channel.resource_id,
        "resourceUri": format!("https://www.googleapis.com/calendar/v3/calendars/{cal}/events?alt=json"),
        "token": channel.token, "expiration": channel.expiration.timestamp_millis().to_string()});
    s.channels.push(channel);
    drop(s);
    send(vec![hello]);
    Json(answer).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StopRequest {
    id: String,
    resource_id: String,
}

async fn stop_channel(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(request): Json<StopRequest>,
) -> Response {
    if let Some(refused) = admit(&shared, &headers, "POST /channels/stop".into()).await {
        return refused;
    }
    let mut s = shared.0.lock().unwrap();
    match s
        .channels
        .iter_mut()
        .find(|c| c.id == request.id && c.resource_id == request.resource_id && !c.stopped)
    {
        Some(channel) => {
            channel.stopped = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => error(StatusCode::NOT_FOUND, "notFound", "Channel not found"),
    }
}
