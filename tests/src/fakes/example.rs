//! "Example Calendar", the fictional provider of `plugins/example`: bookings paged by
//! cursor (410 for a cursor it no longer knows), busy times, events created, changed
//! and deleted, all behind a bearer token. Tests can make it expire the token (401
//! until the host refreshes) or answer `429 Retry-After`, and read what it was asked.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde_json::{Value, json};

/// What the fake holds and has seen.
#[derive(Debug, Default)]
pub struct ExampleState {
    /// Bookings served by `GET /bookings`, in order.
    pub bookings: Vec<Value>,
    /// The bearer tokens accepted.
    pub tokens: Accepted,
    /// Requests answered with 429 before serving again, and the `Retry-After` sent.
    pub throttle: Option<(u32, u32)>,
    /// Every request: method, path and query, and its `Authorization` header.
    pub requests: Vec<(String, Option<String>)>,
    /// Events created through `POST /events`, by id.
    pub events: Vec<(String, Value)>,
}

/// Which bearer tokens the fake accepts.
#[derive(Clone)]
pub enum Accepted {
    /// Exactly this one (a test can change it to make the current one stale).
    Only(String),
    /// Whatever the provider's authorization server vouches for.
    IssuedBy(Arc<dyn Fn(&str) -> bool + Send + Sync>),
}

impl Default for Accepted {
    fn default() -> Accepted {
        Accepted::Only(String::new())
    }
}

impl std::fmt::Debug for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Accepted::Only(token) => f.debug_tuple("Only").field(token).finish(),
            Accepted::IssuedBy(_) => f.write_str("IssuedBy(..)"),
        }
    }
}

impl Accepted {
    /// Whether the `Authorization` header value carries an accepted bearer.
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some(token) = authorization.and_then(|a| a.strip_prefix("Bearer ")) else {
            return false;
        };
        match self {
            Accepted::Only(only) => token == only,
            Accepted::IssuedBy(check) => check(token),
        }
    }
}

/// A running fake.
#[derive(Clone)]
pub struct ExampleProvider {
    /// `http://127.0.0.1:PORT`: an installation's `base_url`.
    pub base: String,
    pub state: Arc<Mutex<ExampleState>>,
}

type Shared = Arc<Mutex<ExampleState>>;

/// Bookings per page of `GET /bookings`.
const PAGE: usize = 2;

impl ExampleProvider {
    /// Starts the fake on a random loopback port, accepting bearer `token`.
    pub async fn start(token: &str) -> ExampleProvider {
        ExampleProvider::start_accepting(Accepted::Only(token.into())).await
    }

    /// Starts the fake on a random loopback port, accepting `tokens`.
    pub async fn start_accepting(tokens: Accepted) -> ExampleProvider {
        let state: Shared = Arc::new(Mutex::new(ExampleState {
            tokens,
            ..ExampleState::default()
        }));
        let app = Router::new()
            .route("/bookings", get(bookings))
            .route("/busy", get(busy))
            .route("/events", post(create_event))
            .route("/events/{id}", patch(update_event).delete(delete_event))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        ExampleProvider { base, state }
    }

    /// How many requests reached the fake.
    pub fn request_count(&self) -> usize {
        self.state.lock().unwrap().requests.len()
    }
}

/// Records the request, then checks throttling and the bearer token: the refusal, if any.
fn refusal(state: &Shared, headers: &HeaderMap, what: String) -> Option<Response> {
    let mut s = state.lock().unwrap();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    s.requests.push((what, auth.clone()));
    if let Some((left, retry_after)) = s.throttle {
        s.throttle = (left > 1).then_some((left - 1, retry_after));
        return Some(
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", retry_after.to_string())],
                Json(json!({"error": "rate_limited"})),
            )
                .into_response(),
        );
    }
    if !s.tokens.accepts(auth.as_deref()) {
        return Some(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "invalid_token"})),
            )
                .into_response(),
        );
    }
    None
}

#[derive(serde::Deserialize)]
struct PageQuery {
    cursor: Option<String>,
}

async fn bookings(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    let what = format!("GET /bookings?cursor={}", q.cursor.as_deref().unwrap_or(""));
    if let Some(refused) = refusal(&state, &headers, what) {
        return refused;
    }
    let s = state.lock().unwrap();
    let start = match q.cursor.as_deref().map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) if n <= s.bookings.len() => n,
        Some(_) => {
            return (StatusCode::GONE, Json(json!({"error": "cursor_expired"}))).into_response();
        }
    };
    let end = (start + PAGE).min(s.bookings.len());
    Json(json!({
        "data": s.bookings[start..end],
        "next_cursor": end.to_string(),
        "has_more": end < s.bookings.len(),
    }))
    .into_response()
}

#[derive(serde::Deserialize)]
struct Range {
    start: i64,
    end: i64,
}

async fn busy(State(state): State<Shared>, headers: HeaderMap, Query(r): Query<Range>) -> Response {
    if let Some(refused) = refusal(
        &state,
        &headers,
        format!("GET /busy?start={}&end={}", r.start, r.end),
    ) {
        return refused;
    }
    Json(json!([{"start": r.start + 3_600_000, "end": r.start + 7_200_000}])).into_response()
}

async fn create_event(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refused) = refusal(&state, &headers, "POST /events".into()) {
        return refused;
    }
    let mut s = state.lock().unwrap();
    let id = format!("evt_{}", s.events.len() + 1);
    s.events.push((id.clone(), body));
    (
        StatusCode::CREATED,
        Json(json!({"id": id, "url": format!("https://example.test/e/{id}")})),
    )
        .into_response()
}

async fn update_event(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(refused) = refusal(&state, &headers, format!("PATCH /events/{id}")) {
        return refused;
    }
    let mut s = state.lock().unwrap();
    match s.events.iter_mut().find(|(e, _)| *e == id) {
        Some(event) => {
            event.1 = body;
            Json(json!({"id": id})).into_response()
        }
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "not_found"}))).into_response(),
    }
}

async fn delete_event(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = refusal(&state, &headers, format!("DELETE /events/{id}")) {
        return refused;
    }
    let mut s = state.lock().unwrap();
    let before = s.events.len();
    s.events.retain(|(e, _)| *e != id);
    if s.events.len() == before {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "not_found"}))).into_response();
    }
    StatusCode::NO_CONTENT.into_response()
}
