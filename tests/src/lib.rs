//! The test harness: a real Convene server on a random loopback port, a fresh database
//! per test, and every storage-touching test run on SQLite and on PostgreSQL.
//!
//! PostgreSQL comes from `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`);
//! each test gets its own schema in it, so tests run in parallel without seeing each other.

pub mod bench;
pub mod calendars;
pub mod crm;
pub mod fakes;
pub mod mail;
pub mod oauth_flow;
pub mod plugins;
pub mod seed;
pub mod sms;

use std::path::PathBuf;

use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use convene::app::{App, Settings, auth, demo};
use convene::jobs::WorkerOptions;
use convene::store::{Db, api_keys::KeyOwner, orgs, users};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;

/// The API key the demo host gets in every test.
pub const DEMO_KEY: &str = "cnv_testdemokey0000000000000000000000000000";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh schema in the PostgreSQL test database.
    Postgres,
}

/// A running server with the demo organization seeded.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The server's own pool, for assertions on stored rows.
    pub db: Db,
    /// The server's own application: for set-up an operator does outside the API
    /// (installing plugins, registering fake OAuth providers) and for use cases no
    /// route exposes yet.
    pub app: App,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// Which database.
    pub backend: Backend,
    /// Where the server writes the mail it sends, one `.eml` file per message.
    pub mail_dir: PathBuf,
    database_url: String,
    sqlite_file: Option<PathBuf>,
    /// Dropping it stops the server and its background jobs, so a finished test stops
    /// polling and gives its database connections back.
    _stop: tokio::sync::watch::Sender<()>,
}

/// An HTTP answer: status and parsed JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// `body.data`.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// `body.error.code`.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// The first GraphQL error's `extensions.code` and the fields its details name.
    pub fn graphql_refusal(&self) -> (String, Vec<String>) {
        let error = &self.body["errors"][0];
        let fields = error["extensions"]["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|x| x["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let code = error["extensions"]["code"].as_str().unwrap_or_default();
        (code.to_string(), fields)
    }

    /// The fields named in `body.error.details`.
    pub fn fields(&self) -> Vec<String> {
        self.body["error"]["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|x| x["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The PostgreSQL server tests use.
pub fn postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh, migrated database of `backend`; returns its URL and, for SQLite, its file.
pub async fn fresh_database(backend: Backend) -> anyhow::Result<(String, Option<PathBuf>)> {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    match backend {
        Backend::Sqlite => {
            let file = std::env::temp_dir().join(format!("convene-test-{unique}.db"));
            Ok((format!("sqlite://{}?mode=rwc", file.display()), Some(file)))
        }
        Backend::Postgres => {
            let base = postgres_url();
            let admin = Database::connect(&base).await?;
            let schema = format!("t_{}_{}", Utc::now().timestamp(), &unique[..12]);
            drop_stale_schemas(&admin).await?;
            shared_extensions(&admin).await?;
            admin
                .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                .await?;
            admin.close().await?;
            let sep = if base.contains('?') { '&' } else { '?' };
            Ok((
                format!("{base}{sep}options=-csearch_path%3D{schema},public"),
                None,
            ))
        }
    }
}

/// Extensions live in `public`, shared by every test schema: created from a test's own
/// search path they would land in (and be dropped with) that test's schema.
async fn shared_extensions(admin: &impl ConnectionTrait) -> anyhow::Result<()> {
    for extension in ["btree_gist"] {
        admin
            .execute_unprepared(&format!(
                "DO $$ BEGIN \
                   IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = '{extension}') THEN \
                     CREATE EXTENSION IF NOT EXISTS {extension} SCHEMA public; \
                   ELSIF (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
                          WHERE e.extname = '{extension}') <> 'public' THEN \
                     ALTER EXTENSION {extension} SET SCHEMA public; \
                   END IF; \
                 EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL; END $$"
            ))
            .await?;
    }
    Ok(())
}

/// Schemas of test runs older than an hour are leftovers of runs that were killed.
async fn drop_stale_schemas(admin: &impl ConnectionTrait) -> anyhow::Result<()> {
    let cutoff = Utc::now().timestamp() - 3600;
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'",
        ))
        .await?;
    for row in rows {
        let name: String = row.try_get("", "nspname")?;
        let stale = name
            .split('_')
            .nth(1)
            .and_then(|t| t.parse::<i64>().ok())
            .is_some_and(|t| t < cutoff);
        if stale {
            admin
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .await?;
        }
    }
    Ok(())
}

impl TestApp {
    /// Starts a server on a fresh database of `backend` with the demo host seeded
    /// (key [`DEMO_KEY`]), without background jobs.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::start(backend, false).await
    }

    /// The same, with the background jobs (webhook dispatch and delivery) running,
    /// webhooks allowed to reach loopback receivers, and the retry
    /// schedule shortened 500-fold (625 s becomes 1.25 s).
    pub async fn spawn_with_jobs(backend: Backend) -> TestApp {
        Self::start(backend, true).await
    }

    /// [`TestApp::spawn_with_jobs`] with the settings changed by `configure` first
    /// (an operator's flags: a kill switch, another interval).
    pub async fn spawn_configured(
        backend: Backend,
        configure: impl FnOnce(&mut Settings),
    ) -> TestApp {
        Self::start_with(backend, true, configure).await
    }

    async fn start(backend: Backend, jobs: bool) -> TestApp {
        Self::start_with(backend, jobs, |_| {}).await
    }

    async fn start_with(
        backend: Backend,
        jobs: bool,
        configure: impl FnOnce(&mut Settings),
    ) -> TestApp {
        // `RUST_LOG=convene=debug cargo test …` shows the server's logs beside a failure.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let (url, sqlite_file) = fresh_database(backend)
            .await
            .expect("a fresh test database");
        let mail_dir = std::env::temp_dir().join(format!(
            "convene-test-mail-{}",
            convene::app::auth::generate_key()
        ));
        Self::serve(backend, url, sqlite_file, mail_dir, jobs, configure).await
    }

    /// Another server on this one's database and mail folder, with the background
    /// jobs running: the process started again after this one died.
    pub async fn restart(&self) -> TestApp {
        Self::serve(
            self.backend,
            self.database_url.clone(),
            None,
            self.mail_dir.clone(),
            true,
            |_| {},
        )
        .await
    }

    async fn serve(
        backend: Backend,
        url: String,
        sqlite_file: Option<PathBuf>,
        mail_dir: PathBuf,
        jobs: bool,
        configure: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let db = convene::store::connect(&url)
            .await
            .expect("connect and migrate");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let mut settings = Settings {
            allow_private_webhook_targets: true,
            webhook_retry_scale: 500,
            webhook_timeout: std::time::Duration::from_secs(2),
            // Plugins hand this to providers as where push notifications go.
            public_url: Some(base.clone()),
            allow_private_plugin_hosts: true,
            plugin_cache_dir: Some(std::env::temp_dir().join("convene-test-plugin-cache")),
            token_refresh_skew: std::time::Duration::from_millis(500),
            mail: convene::mail::MailSettings {
                from: "Convene <no-reply@convene.test>".into(),
                transport: convene::mail::MailTransport::Folder(mail_dir.clone()),
            },
            ..Settings::default()
        };
        configure(&mut settings);
        let app = App::new(db.clone(), settings);
        let (stop, _) = tokio::sync::watch::channel(());
        let stopped = |stop: &tokio::sync::watch::Sender<()>| {
            let mut receiver = stop.subscribe();
            async move {
                let _ = receiver.changed().await;
            }
        };
        if jobs {
            let options = WorkerOptions {
                poll_interval: std::time::Duration::from_millis(20),
                ..WorkerOptions::default()
            };
            tokio::spawn(convene::jobs::run(app.clone(), options, stopped(&stop)));
        }
        demo::seed(&app, Some(DEMO_KEY))
            .await
            .expect("seed the demo organization");
        let server_stopped = stopped(&stop);
        let router_app = app.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                convene::api::router_with(router_app, convene::api::RateLimits::unlimited()),
            )
            .with_graceful_shutdown(server_stopped)
            .await
            .expect("server");
        });
        TestApp {
            base,
            db,
            app,
            client: reqwest::Client::new(),
            backend,
            mail_dir,
            database_url: url,
            sqlite_file,
            _stop: stop,
        }
    }

    /// The mail sent so far, as its recipients read it, by file name.
    pub fn sent_mail(&self) -> Vec<mail::Mail> {
        let Ok(entries) = std::fs::read_dir(&self.mail_dir) else {
            return Vec::new();
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| mail::Mail::parse(&std::fs::read_to_string(f).expect("a readable message")))
            .collect()
    }

    /// Adds a second organization ("Rival Corp") with its own host; that host's API key.
    pub async fn other_org_key(&self) -> String {
        let org = orgs::insert(&self.db, "Rival Corp", "rival")
            .await
            .expect("a second organization");
        let user = users::insert(
            &self.db,
            org,
            users::NewUser {
                username: "rival",
                email: "host@rival.example",
                name: "Rival Host",
                time_zone: chrono_tz::UTC,
                org_role: convene::domain::user::Role::Owner,
            },
        )
        .await
        .expect("its host");
        let key = auth::generate_key();
        let owner = KeyOwner {
            org_id: org,
            user_id: user.id,
        };
        auth::register_key(&self.db, owner, "test", &key)
            .await
            .expect("its key");
        key
    }

    /// Sends `method path` with an optional JSON body, authenticated as the demo host.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send(self.request(method, path, body).bearer_auth(DEMO_KEY))
            .await
    }

    /// The same without credentials (an invitee).
    pub async fn call_anonymous(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send(self.request(method, path, body)).await
    }

    /// The same authenticated with another user's `key`.
    pub async fn call_as(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        self.send(self.request(method, path, body).bearer_auth(key))
            .await
    }

    /// Adds `username` (zone Europe/Berlin, the default Monday–Friday 09:00–17:00
    /// schedule) to the demo organization as the demo host, its owner, with
    /// organization `role`; the new user with its `apiKey`.
    pub async fn add_user(&self, username: &str, role: &str) -> Value {
        let org = self.get("/v2/me").await.data()["organizationId"].clone();
        let answer = self
            .post(
                &format!("/v2/organizations/{org}/users"),
                serde_json::json!({
                    "email": format!("{username}@demo.example"),
                    "username": username,
                    "name": username.to_uppercase(),
                    "timeZone": "Europe/Berlin",
                    "organizationRole": role,
                }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
        answer.data().clone()
    }

    /// Books as Jane Doe (Berlin), anonymously, with the rest of `body` as sent.
    pub async fn book_as_jane(&self, mut body: Value) -> Answer {
        body["attendee"] = serde_json::json!(
            {"name": "Jane Doe", "email": "jane@acme.com", "timeZone": "Europe/Berlin"});
        self.call_anonymous(Method::POST, "/v2/bookings", Some(body))
            .await
    }

    /// A request builder for `method path`, for tests that set their own headers.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.base));
        match body {
            Some(body) => request.json(&body),
            None => request,
        }
    }

    /// Sends a prepared request and reads the answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        }
    }

    /// A GraphQL request authenticated with `key`.
    pub async fn graphql_as(&self, key: &str, query: &str, variables: Value) -> Answer {
        let body = serde_json::json!({ "query": query, "variables": variables });
        self.send(
            self.request(Method::POST, "/graphql", Some(body))
                .bearer_auth(key),
        )
        .await
    }

    /// A GraphQL request as the demo host; fails the test on any GraphQL error and
    /// answers `data`.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let answer = self.graphql_as(DEMO_KEY, query, variables).await;
        assert!(answer.body.get("errors").is_none(), "{:#}", answer.body);
        answer.body["data"].clone()
    }

    /// `GET` as the demo host.
    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    /// `POST` as the demo host.
    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    /// The demo host as the use cases see a caller.
    pub async fn demo_caller(&self) -> convene::app::auth::Caller {
        convene::app::auth::authenticate(&self.db, DEMO_KEY)
            .await
            .expect("the demo key authenticates")
    }

    /// The kinds of every outbox event so far, oldest first.
    pub async fn outbox_kinds(&self) -> Vec<String> {
        let rows = self
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                "SELECT kind FROM outbox_events ORDER BY id",
            ))
            .await
            .expect("read the outbox");
        rows.iter()
            .map(|r| r.try_get::<String>("", "kind").expect("a kind"))
            .collect()
    }

    /// The id of the demo host's event type `slug`.
    pub async fn event_type_id(&self, slug: &str) -> i64 {
        let answer = self
            .get(&format!("/v2/event-types?username=demo&eventSlug={slug}"))
            .await;
        answer.data()[0]["id"]
            .as_i64()
            .expect("the demo event type exists")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

/// The first `weekday` at least a week from today: far enough that notice and "not in
/// the past" never interfere, near enough for any booking window a test sets.
pub fn next(weekday: Weekday) -> NaiveDate {
    let mut day = Utc::now().date_naive() + Duration::days(7);
    while day.weekday() != weekday {
        day += Duration::days(1);
    }
    day
}

/// `hour`:00 in Berlin on `day`, as an RFC 3339 instant.
pub fn berlin(day: NaiveDate, hour: u32) -> String {
    use chrono::TimeZone;
    chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).expect("an hour of the day"))
        .single()
        .expect("an hour that exists once in Berlin")
        .with_timezone(&Utc)
        .to_rfc3339()
}

/// Polls `check` every 25 ms until it holds; fails the test after 20 s naming `what`.
pub async fn until<F: AsyncFn() -> bool>(what: &str, check: F) {
    let started = std::time::Instant::now();
    while !check().await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// Like [`on_both_databases!`], with the background jobs running
/// ([`TestApp::spawn_with_jobs`]).
#[macro_export]
macro_rules! on_both_databases_with_jobs {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: $crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::TestApp::spawn_with_jobs($crate::Backend::Sqlite).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::TestApp::spawn_with_jobs($crate::Backend::Postgres).await).await
            }
        }
    )*};
}

/// Runs each test body once on SQLite and once on PostgreSQL, as `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($app: $crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::TestApp::spawn($crate::Backend::Sqlite).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::TestApp::spawn($crate::Backend::Postgres).await).await
            }
        }
    )*};
}
