//! Request limits per client and route group on `/v2` and `/graphql`, announced in the
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` headers that
//! Cal.com API v2 clients already read, and enforced with 429 `RATE_LIMIT_EXCEEDED`
//! plus `Retry-After`.
//!
//! A fixed window per client and group: it opens with the client's first request and
//! lasts [`Limit::window`]. Unlike a token bucket, a fixed window makes all three headers
//! exact and easy to act on ("N left, full again in S seconds"), which is what Cal.com
//! (a fixed-window throttler) sends too. The price, at most twice the limit across one
//! window boundary, is acceptable for abuse protection.
//!
//! A client is the hash of the credential it sends, else its IP address when the server
//! is run with `ConnectInfo`, else one shared anonymous bucket per group.
//! `X-Forwarded-For` is deliberately ignored: any client can write it, so trusting it
//! without a configured proxy would let anyone pick a fresh bucket per request.
//!
//! Memory is bounded: expired windows are swept once per window, and at most
//! [`MAX_CLIENTS`] windows are kept; past that, new clients share one overflow bucket
//! per group until the next sweep.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::parser::types::OperationType;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{ApiError, ErrorCode};

/// The most client windows kept at once (about 100 bytes each), so a flood of made-up
/// keys cannot exhaust memory.
pub const MAX_CLIENTS: usize = 100_000;

const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// How many requests one client may make in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed per window; 0 refuses every request.
    pub requests: u32,
    /// How long a window lasts, from the client's first request in it.
    pub window: Duration,
}

impl Limit {
    /// `requests` per minute: the unit the API documentation states limits in.
    pub const fn per_minute(requests: u32) -> Limit {
        Limit {
            requests,
            window: Duration::from_secs(60),
        }
    }
}

/// The limit of each route group. `None` switches a group's limiting off entirely (no
/// headers either), which is what benchmarks and most tests want.
///
/// Public fields, so that `convene serve --rate-limit-*` can override single groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// POST, PATCH and DELETE under `/v2/bookings`: every one writes a transaction.
    pub bookings: Option<Limit>,
    /// GET `/v2/slots`: the most expensive read, called by every booking page.
    pub slots: Option<Limit>,
    /// Every other GET.
    pub reads: Option<Limit>,
    /// Anything under `/v2/webhooks`: subscriptions change rarely, and each one fans out.
    pub webhooks: Option<Limit>,
    /// Every other write, including GraphQL documents that hold a mutation.
    pub writes: Option<Limit>,
}

impl Default for RateLimits {
    /// The production limits: bookings 100/min, slots 300/min, reads 1000/min,
    /// webhooks 10/min, other writes 100/min.
    fn default() -> RateLimits {
        RateLimits {
            bookings: Some(Limit::per_minute(100)),
            slots: Some(Limit::per_minute(300)),
            reads: Some(Limit::per_minute(1000)),
            webhooks: Some(Limit::per_minute(10)),
            writes: Some(Limit::per_minute(100)),
        }
    }
}

impl RateLimits {
    /// No limits at all, for benchmarks and tests that send thousands of requests.
    pub const fn unlimited() -> RateLimits {
        RateLimits {
            bookings: None,
            slots: None,
            reads: None,
            webhooks: None,
            writes: None,
        }
    }

    /// Whether every group is off, so the router can skip the layer.
    pub fn is_unlimited(&self) -> bool {
        *self == RateLimits::unlimited()
    }

    /// The limit of `group`.
    pub fn get(&self, group: Group) -> Option<Limit> {
        match group {
            Group::Bookings => self.bookings,
            Group::Slots => self.slots,
            Group::Reads => self.reads,
            Group::Webhooks => self.webhooks,
            Group::Writes => self.writes,
        }
    }
}

/// The route groups limits are set for; each client has a separate window in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// POST, PATCH, DELETE under `/v2/bookings`, and bookings through a scheduling link.
    Bookings,
    /// GET under `/v2/slots`.
    Slots,
    /// Any other GET or HEAD, and GraphQL queries.
    Reads,
    /// Anything under `/v2/webhooks`.
    Webhooks,
    /// Any other method, and GraphQL mutations.
    Writes,
}

impl Group {
    /// The group of a request, or `None` for routes that are not limited (pages,
    /// `/healthz`, `/metrics`).
    pub fn of(method: &Method, path: &str) -> Option<Group> {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if !under("/v2") && !under("/graphql") {
            return None;
        }
        let read = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        Some(if under("/v2/webhooks") {
            Group::Webhooks
        } else if read && under("/v2/slots") {
            Group::Slots
        } else if read {
            Group::Reads
        } else if under("/v2/bookings") || books_through_link(path) {
            Group::Bookings
        } else {
            Group::Writes
        })
    }

    /// The name used in messages and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Bookings => "bookings",
            Group::Slots => "slots",
            Group::Reads => "reads",
            Group::Webhooks => "webhooks",
            Group::Writes => "writes",
        }
    }
}

/// `/v2/scheduling-links/{token}/bookings`: a booking like any other.
fn books_through_link(path: &str) -> bool {
    path.strip_prefix("/v2/scheduling-links/")
        .and_then(|rest| rest.strip_suffix("/bookings"))
        .is_some_and(|token| !token.is_empty() && !token.contains('/'))
}

/// Who a window belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    /// SHA-256 of the credential sent, so no secret sits in memory longer than needed.
    Key([u8; 32]),
    /// An anonymous caller seen through `ConnectInfo`.
    Ip(IpAddr),
    /// Anonymous callers when the peer address is unknown.
    Anonymous,
    /// New clients while [`MAX_CLIENTS`] windows are open.
    Overflow,
}

impl Client {
    fn of(req: &Request) -> Client {
        if let Some(value) = req.headers().get(header::AUTHORIZATION) {
            let raw = value.as_bytes();
            let key = raw.strip_prefix(b"Bearer ").unwrap_or(raw).trim_ascii();
            return Client::Key(Sha256::digest(key).into());
        }
        match req.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => Client::Ip(peer.ip()),
            None => Client::Anonymous,
        }
    }
}

struct Window {
    opened: Instant,
    used: u32,
}

struct Windows {
    open: HashMap<(Group, Client), Window>,
    next_sweep: Instant,
}

/// What one check decided, with the numbers for the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decision {
    allowed: bool,
    limit: u32,
    remaining: u32,
    /// Until the client's window closes and its full allowance is back.
    reset: Duration,
}

/// The windows of one router; built by `api::router_with`.
pub(crate) struct RateLimiter {
    limits: RateLimits,
    windows: Mutex<Windows>,
    sweep_every: Duration,
    max_clients: usize,
}

impl RateLimiter {
    /// A limiter enforcing `limits`.
    pub(crate) fn new(limits: RateLimits) -> Arc<RateLimiter> {
        let sweep_every = [
            limits.bookings,
            limits.slots,
            limits.reads,
            limits.webhooks,
            limits.writes,
        ]
        .into_iter()
        .flatten()
        .map(|l| l.window)
        .max()
        .unwrap_or(Duration::from_secs(60));
        Arc::new(RateLimiter {
            limits,
            windows: Mutex::new(Windows {
                open: HashMap::new(),
                next_sweep: Instant::now() + sweep_every,
            }),
            sweep_every,
            max_clients: MAX_CLIENTS,
        })
    }

    /// Counts one request of `client` in `group` at `now`, unless its window is used up.
    fn check(&self, group: Group, limit: Limit, client: Client, now: Instant) -> Decision {
        // The critical section never panics, but a poisoned lock must not take the API down.
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if now >= windows.next_sweep {
            let limits = self.limits;
            windows
                .open
                .retain(|(g, _), w| limits.get(*g).is_some_and(|l| now < w.opened + l.window));
            windows.next_sweep = now + self.sweep_every;
            metrics::gauge!("rate_limit_clients").set(windows.open.len() as f64);
        }
        let client = if windows.open.len() >= self.max_clients
            && !windows.open.contains_key(&(group, client))
        {
            Client::Overflow
        } else {
            client
        };
        let window = windows.open.entry((group, client)).or_insert(Window {
            opened: now,
            used: 0,
        });
        if now >= window.opened + limit.window {
            *window = Window {
                opened: now,
                used: 0,
            };
        }
        let reset = window.opened + limit.window - now;
        let allowed = window.used < limit.requests;
        if allowed {
            window.used += 1;
        }
        Decision {
            allowed,
            limit: limit.requests,
            remaining: limit.requests - window.used,
            reset,
        }
    }
}

/// Limits `/v2` and `/graphql` requests and stamps the `X-RateLimit-*` headers on
/// their answers; a refused request never reaches idempotency or a handler.
pub(crate) async fn middleware(
    State(limiter): State<Arc<RateLimiter>>,
    req: Request,
    next: Next,
) -> Response {
    // Inside a nested router the URI has lost its prefix; the original one has not.
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().path(), |uri| uri.0.path());
    let Some(group) = Group::of(req.method(), path) else {
        return next.run(req).await;
    };
    let graphql = path.starts_with("/graphql");
    let path = path.to_owned();
    let (group, req) = if graphql && group == Group::Writes {
        graphql_group(req).await
    } else {
        (group, req)
    };
    let Some(limit) = limiter.limits.get(group) else {
        return next.run(req).await;
    };
    let decision = limiter.check(group, limit, Client::of(&req), Instant::now());
    let mut response = if decision.allowed {
        next.run(req).await
    } else {
        metrics::counter!("rate_limit_exceeded_total", "group" => group.as_str()).increment(1);
        tracing::debug!(group = group.as_str(), %path, "rate limit exceeded");
        refusal(group, limit, decision, graphql)
    };
    stamp(response.headers_mut(), decision);
    response
}

/// GraphQL is sent as POST whatever it does; a document that only reads counts as a
/// read, so a dashboard's queries are not held to the much smaller write allowance.
/// The body is already in memory (`read_body` runs first), so looking is cheap.
async fn graphql_group(req: Request) -> (Group, Request) {
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let group = if graphql_mutates(&bytes) {
        Group::Writes
    } else {
        Group::Reads
    };
    (group, Request::from_parts(parts, Body::from(bytes)))
}

/// Whether a GraphQL request body (one request or a batch) may write. Anything that does
/// not parse counts as a write: it will be refused by the handler anyway, and erring
/// towards the smaller allowance is the safe side.
fn graphql_mutates(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct One {
        query: String,
        #[serde(rename = "operationName")]
        operation_name: Option<String>,
    }
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Batch {
        One(One),
        Many(Vec<One>),
    }
    let requests = match serde_json::from_slice::<Batch>(body) {
        Ok(Batch::One(one)) => vec![one],
        Ok(Batch::Many(many)) => many,
        Err(_) => return true,
    };
    requests.iter().any(|one| {
        let Ok(document) = async_graphql::parser::parse_query(&one.query) else {
            return true;
        };
        document
            .operations
            .iter()
            .filter(|(name, _)| match (&one.operation_name, name) {
                (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
                _ => true,
            })
            .any(|(_, op)| op.node.ty != OperationType::Query)
    })
}

/// The 429 answer with `Retry-After`: our REST error shape, or for GraphQL a GraphQL
/// error carrying the same code in `extensions`, as every GraphQL error does.
fn refusal(group: Group, limit: Limit, decision: Decision, graphql: bool) -> Response {
    let retry_after = whole_seconds(decision.reset);
    let message = format!(
        "too many {} requests: the limit is {} per {} seconds; retry in {retry_after} seconds",
        group.as_str(),
        limit.requests,
        limit.window.as_secs(),
    );
    let code = ErrorCode::RateLimitExceeded;
    let mut response = if graphql {
        let body = serde_json::json!({
            "data": null,
            "errors": [{ "message": message, "extensions": { "code": code.as_str() } }],
        });
        (code.status(), axum::Json(body)).into_response()
    } else {
        ApiError::new(code, message).into_response()
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

fn stamp(headers: &mut HeaderMap, decision: Decision) {
    headers.insert(LIMIT, HeaderValue::from(decision.limit));
    headers.insert(REMAINING, HeaderValue::from(decision.remaining));
    headers.insert(RESET, HeaderValue::from(whole_seconds(decision.reset)));
}

/// Rounded up, and at least 1: a client told "0 seconds" would retry too early.
fn whole_seconds(duration: Duration) -> u64 {
    let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> Client {
        Client::Key([byte; 32])
    }

    #[test]
    fn groups_follow_method_and_path() {
        let cases = [
            (Method::POST, "/v2/bookings", Some(Group::Bookings)),
            (
                Method::POST,
                "/v2/bookings/abc/cancel",
                Some(Group::Bookings),
            ),
            (Method::GET, "/v2/bookings", Some(Group::Reads)),
            (
                Method::POST,
                "/v2/scheduling-links/abc/bookings",
                Some(Group::Bookings),
            ),
            (Method::POST, "/v2/scheduling-links", Some(Group::Writes)),
            (Method::GET, "/v2/scheduling-links/abc", Some(Group::Reads)),
            (Method::GET, "/v2/slots", Some(Group::Slots)),
            (Method::POST, "/v2/slots/reservations", Some(Group::Writes)),
            (Method::GET, "/v2/webhooks", Some(Group::Webhooks)),
            (Method::DELETE, "/v2/webhooks/1", Some(Group::Webhooks)),
            (Method::PATCH, "/v2/event-types/1", Some(Group::Writes)),
            (Method::POST, "/graphql", Some(Group::Writes)),
            (Method::GET, "/graphql", Some(Group::Reads)),
            (Method::GET, "/v2", Some(Group::Reads)),
            (Method::GET, "/v2slots", None),
            (Method::GET, "/v2/slotsx", Some(Group::Reads)),
            (Method::GET, "/healthz", None),
            (Method::GET, "/metrics", None),
            (Method::POST, "/hooks/stripe", None),
        ];
        for (method, path, group) in cases {
            assert_eq!(Group::of(&method, path), group, "{method} {path}");
        }
    }

    #[test]
    fn a_window_counts_down_refuses_and_reopens() {
        let limiter = RateLimiter::new(RateLimits::default());
        let limit = Limit {
            requests: 2,
            window: Duration::from_secs(10),
        };
        let t0 = Instant::now();
        let first = limiter.check(Group::Reads, limit, key(1), t0);
        assert_eq!((first.allowed, first.remaining), (true, 1));
        assert_eq!(first.reset, Duration::from_secs(10));
        let second = limiter.check(Group::Reads, limit, key(1), t0 + Duration::from_secs(4));
        assert_eq!((second.allowed, second.remaining), (true, 0));
        assert_eq!(second.reset, Duration::from_secs(6));
        let third = limiter.check(Group::Reads, limit, key(1), t0 + Duration::from_secs(5));
        assert_eq!((third.allowed, third.remaining), (false, 0));
        assert_eq!(third.reset, Duration::from_secs(5));
        let later = limiter.check(Group::Reads, limit, key(1), t0 + Duration::from_secs(10));
        assert_eq!((later.allowed, later.remaining), (true, 1));
    }

    #[test]
    fn clients_and_groups_have_separate_windows() {
        let limiter = RateLimiter::new(RateLimits::default());
        let limit = Limit {
            requests: 1,
            window: Duration::from_secs(60),
        };
        let now = Instant::now();
        assert!(limiter.check(Group::Reads, limit, key(1), now).allowed);
        assert!(!limiter.check(Group::Reads, limit, key(1), now).allowed);
        assert!(limiter.check(Group::Reads, limit, key(2), now).allowed);
        assert!(limiter.check(Group::Slots, limit, key(1), now).allowed);
        assert!(
            limiter
                .check(Group::Reads, limit, Client::Anonymous, now)
                .allowed
        );
    }

    #[test]
    fn expired_windows_are_swept() {
        let limiter = RateLimiter::new(RateLimits::default());
        let limit = Limit::per_minute(5);
        let t0 = Instant::now();
        for byte in 0..50 {
            limiter.check(Group::Reads, limit, key(byte), t0);
        }
        assert_eq!(limiter.windows.lock().unwrap().open.len(), 50);
        limiter.check(Group::Reads, limit, key(0), t0 + Duration::from_secs(61));
        assert_eq!(limiter.windows.lock().unwrap().open.len(), 1);
    }

    #[test]
    fn clients_are_told_apart_by_key_then_peer_address() {
        let request = |auth: Option<&str>, peer: Option<&str>| {
            let mut req = Request::new(axum::body::Body::empty());
            if let Some(auth) = auth {
                req.headers_mut()
                    .insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
            }
            if let Some(peer) = peer {
                req.extensions_mut()
                    .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
            }
            Client::of(&req)
        };
        let digest = |key: &str| Client::Key(Sha256::digest(key.as_bytes()).into());
        assert_eq!(
            request(Some("Bearer cnv_a"), Some("10.0.0.1:1")),
            digest("cnv_a")
        );
        assert_eq!(request(Some("Bearer  cnv_a "), None), digest("cnv_a"));
        assert_ne!(request(Some("Bearer cnv_b"), None), digest("cnv_a"));
        assert_eq!(
            request(None, Some("10.0.0.1:1")),
            Client::Ip("10.0.0.1".parse().unwrap())
        );
        assert_eq!(
            request(None, Some("10.0.0.1:2")),
            request(None, Some("10.0.0.1:1"))
        );
        assert_eq!(request(None, None), Client::Anonymous);
    }

    #[test]
    fn past_the_cap_new_clients_share_one_overflow_window() {
        let mut limiter = RateLimiter::new(RateLimits::default());
        Arc::get_mut(&mut limiter).unwrap().max_clients = 2;
        let limit = Limit::per_minute(3);
        let now = Instant::now();
        limiter.check(Group::Reads, limit, key(1), now);
        limiter.check(Group::Reads, limit, key(2), now);
        let third = limiter.check(Group::Reads, limit, key(3), now);
        let fourth = limiter.check(Group::Reads, limit, key(4), now);
        assert_eq!((third.remaining, fourth.remaining), (2, 1), "shared");
        assert_eq!(limiter.check(Group::Reads, limit, key(1), now).remaining, 1);
        assert_eq!(limiter.windows.lock().unwrap().open.len(), 3);
    }

    #[test]
    fn graphql_counts_as_a_write_only_when_it_may_mutate() {
        let cases = [
            (r#"{"query":"{ me { username } }"}"#, false),
            (r#"{"query":"query Q { me { username } }"}"#, false),
            (
                r#"{"query":"mutation { cancelBooking(uid: \"x\") { uid } }"}"#,
                true,
            ),
            (
                r#"{"query":"query A { me { username } } mutation B { x }","operationName":"A"}"#,
                false,
            ),
            (
                r#"{"query":"query A { me { username } } mutation B { x }","operationName":"B"}"#,
                true,
            ),
            (
                r#"[{"query":"{ me { username } }"},{"query":"mutation { x }"}]"#,
                true,
            ),
            (r#"[{"query":"{ a }"},{"query":"{ b }"}]"#, false),
            (r#"{"query":"subscription { a }"}"#, true),
            (r#"{"query":"{ unclosed"}"#, true),
            ("not json", true),
        ];
        for (body, mutates) in cases {
            assert_eq!(graphql_mutates(body.as_bytes()), mutates, "{body}");
        }
    }

    #[test]
    fn headers_never_say_zero_seconds() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(59_001)), 60);
        assert_eq!(whole_seconds(Duration::from_secs(60)), 60);
    }
}
