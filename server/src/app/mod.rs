//! Use cases: what a host, an invitee or an integrator can do, independent of transport.
//!
//! REST, GraphQL, chat commands and (later) jobs all call these functions. Each
//! mutation writes its rows and its outbox event in one transaction. Inputs arrive as
//! plain data and are checked here, so every transport reports the same field errors.

pub mod auth;
pub mod availability;
pub mod bookings;
pub mod calendar_sync;
pub mod calendars;
pub mod chat;
pub mod clock;
pub mod connections;
pub mod customer_health;
pub mod customers;
pub mod demo;
pub mod engagement;
mod error;
pub mod event_types;
pub mod expiry;
pub mod host_limits;
pub mod in_flight;
pub mod inbound;
mod input;
pub mod insights;
pub mod notifications;
pub mod out_of_office;
pub mod page;
pub mod personal_data;
pub mod plugin_access;
pub mod plugins;
pub mod provider_changes;
pub mod pull_sync;
pub mod recommendations;
pub mod routing_forms;
pub mod schedules;
pub mod scheduling_links;
mod seats;
pub mod series;
pub mod sms;
mod team_bookings;
pub mod team_event_types;
pub mod teams;
pub mod users;
pub mod webhooks;
pub mod workflows;

pub use error::{AppError, Result};

use std::sync::Arc;
use std::time::Duration;

use crate::auth::secrets::SecretKey;
use crate::store::Db;

/// Everything a use case needs; cloned into every request.
#[derive(Clone)]
pub struct App {
    /// The database pool.
    pub db: Db,
    /// Operator settings.
    pub settings: Arc<Settings>,
    /// The client for outbound calls (webhooks); it refuses addresses the settings forbid.
    pub http: reqwest::Client,
    /// API requests being served by this process; background work yields to them.
    pub in_flight: Arc<in_flight::InFlight>,
    /// The plugin host and the components this process has loaded.
    pub plugins: Arc<plugins::Runtime>,
    /// The client for OAuth token, refresh and revocation calls (no redirects).
    pub oauth_http: reqwest::Client,
    /// OAuth providers configured server-wide, by plugin id (an organization's own
    /// installation bringing a client takes precedence).
    pub oauth_providers: Arc<connections::OAuthProviders>,
    /// Turns per connection for refreshing its tokens in this process.
    pub refresh_turns: Arc<connections::RefreshTurns>,
    /// Rung when an inbound webhook is kept, so this process's worker reads it at once.
    pub inbound_arrived: Arc<tokio::sync::Notify>,
    /// Sends workflow emails and notices.
    pub mailer: Arc<crate::mail::Mailer>,
    /// Now, for work due at a set time (tests pin it).
    pub clock: Arc<clock::Clock>,
}

/// Operator settings that shape behaviour rather than data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Let webhooks reach private, loopback and link-local addresses (tests, on-premise).
    pub allow_private_webhook_targets: bool,
    /// Divides the webhook retry delays (1 in production; tests shorten the schedule).
    pub webhook_retry_scale: u32,
    /// How long a subscriber may take to answer.
    pub webhook_timeout: Duration,
    /// Where invitees reach this server (`https://cal.example.com`), for the links we
    /// hand out; `None` takes the host each request came to.
    pub public_url: Option<String>,
    /// Let plugins reach private, loopback and link-local addresses (tests with local
    /// fakes of providers, on-premise providers).
    pub allow_private_plugin_hosts: bool,
    /// Where compiled plugins are cached across restarts; `None` compiles on each start.
    pub plugin_cache_dir: Option<std::path::PathBuf>,
    /// Seals provider tokens at rest and signs OAuth states. The default is a random
    /// key, which suits tests and tools that keep nothing; `convene` itself loads one
    /// (`Config::settings`).
    pub secret_key: SecretKey,
    /// How long before its expiry an access token is refreshed, so it does not expire
    /// between our check and the provider's.
    pub token_refresh_skew: Duration,
    /// How long an OAuth provider may take to answer.
    pub oauth_timeout: Duration,
    /// How often each installation whose plugin pulls asks its provider for changes.
    pub pull_interval: Duration,
    /// Whether providers' changes reach bookings at all (the global kill switch of
    /// inbound calendar sync; teams have their own switch).
    pub calendar_sync: bool,
    /// How and from whom mail is sent.
    pub mail: crate::mail::MailSettings,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            allow_private_webhook_targets: false,
            webhook_retry_scale: 1,
            webhook_timeout: Duration::from_secs(10),
            public_url: None,
            allow_private_plugin_hosts: false,
            plugin_cache_dir: None,
            secret_key: SecretKey::generate(),
            token_refresh_skew: Duration::from_secs(60),
            oauth_timeout: Duration::from_secs(10),
            pull_interval: Duration::from_secs(300),
            calendar_sync: true,
            mail: crate::mail::MailSettings::default(),
        }
    }
}

impl App {
    /// The application over `db` with `settings`.
    pub fn new(db: Db, settings: Settings) -> App {
        let http = webhooks::client(&settings);
        let plugins = Arc::new(plugins::Runtime::new(crate::plugins::HostSettings {
            allow_private_hosts: settings.allow_private_plugin_hosts,
            cache_dir: settings.plugin_cache_dir.clone(),
            ..Default::default()
        }));
        let oauth_http = crate::auth::oauth::http_client(settings.oauth_timeout);
        let mailer = Arc::new(crate::mail::Mailer::new(&settings.mail));
        App {
            db,
            settings: Arc::new(settings),
            http,
            in_flight: Arc::default(),
            plugins,
            oauth_http,
            oauth_providers: Arc::default(),
            refresh_turns: Arc::default(),
            inbound_arrived: Arc::default(),
            mailer,
            clock: Arc::default(),
        }
    }
}
