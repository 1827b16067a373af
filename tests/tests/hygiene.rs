//! API hygiene, end to end over HTTP on SQLite and PostgreSQL: rate limits and their
//! headers, request ids, `/healthz` and `/metrics`.
//!
//! Rate-limit tests start their own server with tiny limits (`router_with`), so they
//! hold whatever limits the shared harness runs with.

use std::path::PathBuf;

use convene::api::{Limit, RateLimits, router_with};
use convene::app::{App, Settings, demo};
use convene::store::Db;
use convene_tests::{Backend, DEMO_KEY, TestApp, fresh_database, on_both_databases};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A second valid key of the demo host: same user, separate rate-limit windows.
const OTHER_KEY: &str = "cnv_testotherkey000000000000000000000000000";

/// A server built with chosen rate limits, on a fresh seeded database.
struct Limited {
    base: String,
    client: reqwest::Client,
    db: Db,
    sqlite_file: Option<PathBuf>,
}

impl Limited {
    async fn spawn(backend: Backend, limits: RateLimits) -> Limited {
        let (url, sqlite_file) = fresh_database(backend).await.expect("a test database");
        let db = convene::store::connect(&url)
            .await
            .expect("connect and migrate");
        let app = App::new(db.clone(), Settings::default());
        for key in [DEMO_KEY, OTHER_KEY] {
            demo::seed(&app, Some(key))
                .await
                .expect("seed the demo host");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        tokio::spawn(async move {
            axum::serve(listener, router_with(app, limits))
                .await
                .expect("server");
        });
        Limited {
            base,
            client: reqwest::Client::new(),
            db,
            sqlite_file,
        }
    }

    /// `method path` with `key` as the bearer (none: anonymous); status, headers, JSON body.
    async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, headers, body)
    }

    async fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, HeaderMap, Value) {
        self.call(Method::GET, path, key, None).await
    }
}

impl Drop for Limited {
    fn drop(&mut self) {
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

/// Runs each body once per backend against a [`Limited`] server with the given limits.
macro_rules! limited_on_both_databases {
    ($(async fn $name:ident($server:ident: Limited = $limits:expr) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($server: Limited) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Limited::spawn(Backend::Sqlite, $limits).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Limited::spawn(Backend::Postgres, $limits).await).await
            }
        }
    )*};
}

/// Every group limited to `n` a minute.
fn tiny(n: u32) -> RateLimits {
    let limit = Some(Limit::per_minute(n));
    RateLimits {
        bookings: limit,
        slots: limit,
        reads: limit,
        webhooks: limit,
        writes: limit,
    }
}

/// A numeric header.
fn number(headers: &HeaderMap, name: &str) -> u64 {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
        .to_str()
        .expect("ASCII")
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number: {headers:?}"))
}

/// (limit, remaining, reset) from the `X-RateLimit-*` headers.
fn rate(headers: &HeaderMap) -> (u64, u64, u64) {
    (
        number(headers, "x-ratelimit-limit"),
        number(headers, "x-ratelimit-remaining"),
        number(headers, "x-ratelimit-reset"),
    )
}

fn assert_refused(status: StatusCode, headers: &HeaderMap, body: &Value) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["error"]["code"], "RATE_LIMIT_EXCEEDED", "{body}");
    let retry_after = number(headers, "retry-after");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let (limit, remaining, reset) = rate(headers);
    assert_eq!(remaining, 0);
    assert!(limit > 0 && (1..=60).contains(&reset), "{headers:?}");
}

limited_on_both_databases! {
    async fn headers_count_down_then_429_with_retry_after(server: Limited = tiny(3)) {
        let mut seen = Vec::new();
        for _ in 0..3 {
            let (status, headers, body) = server.get("/v2/me", Some(DEMO_KEY)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let (limit, remaining, reset) = rate(&headers);
            assert_eq!(limit, 3);
            assert!((1..=60).contains(&reset), "reset {reset}");
            seen.push(remaining);
        }
        assert_eq!(seen, [2, 1, 0]);
        let (status, headers, body) = server.get("/v2/me", Some(DEMO_KEY)).await;
        assert_refused(status, &headers, &body);
    }

    async fn each_api_key_and_anonymous_callers_have_their_own_window(server: Limited = tiny(2)) {
        for _ in 0..2 {
            assert_eq!(server.get("/v2/me", Some(DEMO_KEY)).await.0, StatusCode::OK);
        }
        let (status, headers, body) = server.get("/v2/me", Some(DEMO_KEY)).await;
        assert_refused(status, &headers, &body);

        let (status, headers, body) = server.get("/v2/me", Some(OTHER_KEY)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(rate(&headers).1, 1, "the other key starts with a full window");

        let (status, headers, _) = server.get("/v2/event-types?username=demo&eventSlug=30min", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(rate(&headers).1, 1, "anonymous callers start with a full window");

        let (_, headers, _) = server.get("/v2/me", Some(DEMO_KEY)).await;
        assert_eq!(rate(&headers).1, 0, "the first key is still used up");
    }

    async fn route_groups_are_limited_separately(server: Limited = RateLimits {
        bookings: Some(Limit::per_minute(1)),
        webhooks: Some(Limit::per_minute(2)),
        ..RateLimits::default()
    }) {
        let event_type = server.get("/v2/event-types?username=demo&eventSlug=30min", None).await.2["data"][0]["id"].as_i64().expect("the demo event type");
        let booking = json!({"eventTypeId": event_type, "start": "2000-01-03T09:00:00Z", "attendee": {"name": "A", "email": "a@acme.com", "timeZone": "UTC"}});
        let (status, headers, body) = server.call(Method::POST, "/v2/bookings", Some(DEMO_KEY), Some(booking.clone())).await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(rate(&headers).0, 1, "bookings limit");
        let (status, headers, body) = server.call(Method::POST, "/v2/bookings", Some(DEMO_KEY), Some(booking)).await;
        assert_refused(status, &headers, &body);

        // Reads, slots and other writes are still open.
        let (status, headers, _) = server.get("/v2/bookings", Some(DEMO_KEY)).await;
        assert_eq!((status, rate(&headers).0), (StatusCode::OK, 1000));
        let (_, headers, _) = server.get(&format!("/v2/slots?eventTypeId={event_type}&start=2030-01-07&end=2030-01-07"), Some(DEMO_KEY)).await;
        assert_eq!(rate(&headers).0, 300);
        let (_, headers, _) = server.call(Method::POST, "/v2/schedules", Some(DEMO_KEY), Some(json!({}))).await;
        assert_eq!(rate(&headers).0, 100);

        // Webhooks are matched by prefix, whatever routes exist under it.
        for _ in 0..2 {
            let (status, headers, _) = server.get("/v2/webhooks", Some(DEMO_KEY)).await;
            assert_ne!(status, StatusCode::TOO_MANY_REQUESTS);
            assert_eq!(rate(&headers).0, 2);
        }
        let (status, headers, body) = server.call(Method::DELETE, "/v2/webhooks/1", Some(DEMO_KEY), None).await;
        assert_refused(status, &headers, &body);
    }

    async fn production_defaults_and_unlimited_routes(server: Limited = RateLimits::default()) {
        let (_, headers, _) = server.get("/v2/me", Some(DEMO_KEY)).await;
        assert_eq!(rate(&headers).0, 1000);
        assert_eq!(rate(&headers).1, 999);
        let (_, headers, _) = server.get("/v2/nowhere", Some(DEMO_KEY)).await;
        assert_eq!(rate(&headers).0, 1000, "unknown /v2 routes are counted too");
        for path in ["/healthz", "/metrics"] {
            let (status, headers, _) = server.get(path, Some(DEMO_KEY)).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(headers.get("x-ratelimit-limit").is_none(), "{path} is not limited");
        }
    }

    async fn graphql_is_limited_with_a_graphql_shaped_429(server: Limited = tiny(1)) {
        let query = json!({"query": "{ me { id } }"});
        let (status, headers, body) = server.call(Method::POST, "/graphql", Some(DEMO_KEY), Some(query.clone())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(rate(&headers), (1, 0, rate(&headers).2));
        let (status, headers, body) = server.call(Method::POST, "/graphql", Some(DEMO_KEY), Some(query)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMIT_EXCEEDED", "{body}");
        assert!(number(&headers, "retry-after") >= 1);
    }

    async fn graphql_queries_use_the_read_allowance_and_mutations_the_write_one(server: Limited = RateLimits {
        reads: Some(Limit::per_minute(50)),
        writes: Some(Limit::per_minute(1)),
        ..RateLimits::default()
    }) {
        let query = json!({"query": "query Who { me { id } }"});
        for _ in 0..3 {
            let (status, headers, body) = server.call(Method::POST, "/graphql", Some(DEMO_KEY), Some(query.clone())).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(rate(&headers).0, 50, "a query is a read");
        }
        let mutation = json!({"query": "mutation { cancelBooking(uid: \"none\") { uid } }"});
        let (status, headers, body) = server.call(Method::POST, "/graphql", Some(DEMO_KEY), Some(mutation.clone())).await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(rate(&headers), (1, 0, rate(&headers).2), "a mutation is a write");
        let (status, _, body) = server.call(Method::POST, "/graphql", Some(DEMO_KEY), Some(mutation)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        let (status, headers, body) = server.call(Method::POST, "/graphql", Some(DEMO_KEY), Some(query)).await;
        assert_eq!(status, StatusCode::OK, "reads stay open after the writes ran out: {body}");
        assert_eq!(rate(&headers).1, 46);
    }

    async fn unlimited_sends_no_rate_headers(server: Limited = RateLimits::unlimited()) {
        for _ in 0..5 {
            let (status, headers, _) = server.get("/v2/me", Some(DEMO_KEY)).await;
            assert_eq!(status, StatusCode::OK);
            assert!(headers.get("x-ratelimit-limit").is_none(), "{headers:?}");
        }
    }

    async fn healthz_answers_503_when_the_database_is_gone(server: Limited = RateLimits::unlimited()) {
        server.db.close_by_ref().await.expect("close the pool");
        let (status, headers, body) = server.get("/healthz", None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body, json!({"status": "error", "database": "error", "queue": "error"}));
        assert_eq!(headers["cache-control"], "no-store");
    }
}

/// The current value of the `http_requests_total` series for `method path status`.
fn requests_total(page: &str, method: &str, path: &str, status: u16) -> f64 {
    page.lines()
        .filter(|line| line.starts_with("http_requests_total{"))
        .filter(|line| {
            line.contains(&format!("method=\"{method}\""))
                && line.contains(&format!("path=\"{path}\""))
                && line.contains(&format!("status=\"{status}\""))
        })
        .map(|line| {
            line.rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .expect("a sample value")
        })
        .sum()
}

async fn metrics_page(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    response.text().await.expect("text")
}

on_both_databases! {
    async fn request_ids_are_echoed_when_sane_and_generated_otherwise(app: TestApp) {
        let sent = app.send(app.request(Method::GET, "/v2/me", None).bearer_auth(DEMO_KEY).header("x-request-id", "client-42.abc")).await;
        assert_eq!(sent.status, StatusCode::OK);
        assert_eq!(sent.headers["x-request-id"], "client-42.abc");

        let mut generated = Vec::new();
        for request in [
            app.request(Method::GET, "/v2/me", None).bearer_auth(DEMO_KEY),
            app.request(Method::GET, "/v2/nowhere", None),
            app.request(Method::GET, "/healthz", None).header("x-request-id", "x".repeat(129)),
            app.request(Method::GET, "/healthz", None).header("x-request-id", "has spaces"),
        ] {
            let answer = app.send(request).await;
            let id = answer.headers["x-request-id"].to_str().unwrap().to_string();
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "generated id {id:?}");
            generated.push(id);
        }
        generated.sort();
        generated.dedup();
        assert_eq!(generated.len(), 4, "every request gets its own id");

        let longest = "y".repeat(128);
        let kept = app.send(app.request(Method::GET, "/healthz", None).header("x-request-id", &longest)).await;
        assert_eq!(kept.headers["x-request-id"], longest.as_str());
    }

    async fn healthz_reports_the_database(app: TestApp) {
        let answer = app.call_anonymous(Method::GET, "/healthz", None).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, json!({"status": "ok", "database": "ok", "queue": "ok"}));
    }

    async fn healthz_reports_a_stuck_queue(app: TestApp) {
        // This server runs no dispatcher, so an event written two minutes ago is still waiting.
        let two_minutes_ago = chrono::Utc::now() - chrono::Duration::minutes(2);
        let payload = json!({"uid": "stuck"});
        convene::store::outbox::insert(&app.db, convene::domain::ids::OrgId(1), "BOOKING_CREATED", &payload, two_minutes_ago)
            .await
            .unwrap();
        let answer = app.call_anonymous(Method::GET, "/healthz", None).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.body, json!({"status": "error", "database": "ok", "queue": "error"}));
    }

    async fn metrics_report_the_queue_depth(app: TestApp) {
        // No dispatcher runs here, so three events stay in the outbox.
        for uid in ["a", "b", "c"] {
            convene::store::outbox::insert(&app.db, convene::domain::ids::OrgId(1), "BOOKING_CREATED", &json!({"uid": uid}), chrono::Utc::now())
                .await
                .unwrap();
        }
        // The gauge is shared with servers of other tests scraping at the same time, so a
        // scrape may show theirs; this server's figures must show up within a few tries.
        let mut seen = Vec::new();
        for _ in 0..20 {
            let page = metrics_page(&app).await;
            let depth = |queue: &str| {
                page.lines()
                    .find(|l| l.starts_with(&format!("queue_depth{{queue=\"{queue}\"}}")))
                    .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            };
            let figures = (depth("outbox"), depth("due"), depth("scheduled"), depth("dead"));
            if figures == (Some(3.0), Some(0.0), Some(0.0), Some(0.0)) {
                assert!(page.contains("# TYPE queue_depth gauge"));
                return;
            }
            seen.push(figures);
        }
        panic!("queue_depth never showed this server's outbox: {seen:?}");
    }

    async fn metrics_count_requests_by_route_pattern(app: TestApp) {
        // The recorder is shared by every server in this process, so compare deltas.
        let before = metrics_page(&app).await;
        let path = "/v2/event-types/{id}";
        let id = app.event_type_id("30min").await;
        for _ in 0..3 {
            assert_eq!(app.get(&format!("/v2/event-types/{id}")).await.status, StatusCode::OK);
        }
        let junk = uuid::Uuid::new_v4().simple().to_string();
        assert_eq!(app.get(&format!("/v2/{junk}")).await.status, StatusCode::NOT_FOUND);
        let after = metrics_page(&app).await;

        let counted = requests_total(&after, "GET", path, 200) - requests_total(&before, "GET", path, 200);
        assert!(counted >= 3.0, "{counted} new requests counted for {path}");
        assert!(requests_total(&after, "GET", "unmatched", 404) >= 1.0);
        assert!(!after.contains(&junk), "raw paths never become labels");
        assert!(
            after.lines().any(|l| l.starts_with("http_request_duration_seconds_bucket{") && l.contains(&format!("path=\"{path}\""))),
            "a latency histogram for {path}"
        );
        assert!(after.contains("# TYPE http_requests_total counter"));
        assert!(after.contains("# TYPE http_request_duration_seconds histogram"));
    }
}

/// The id is settled before the limiter runs, so even a refused client can quote it.
#[tokio::test]
async fn a_request_id_survives_a_429() {
    let server = Limited::spawn(Backend::Sqlite, tiny(0)).await;
    let response = server
        .client
        .get(format!("{}/v2/me", server.base))
        .header("x-request-id", "trace-me")
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["x-request-id"], "trace-me");
}
