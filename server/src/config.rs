//! Configuration from flags and environment, in one place.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::api::{Limit, RateLimits};
use crate::auth::secrets::{self, KeyError};

/// `convene`: one binary for the server, migrations and the demo data.
#[derive(Debug, Parser)]
#[command(
    name = "convene",
    version,
    about = "Scheduling with a customer-success layer"
)]
pub struct Config {
    /// Where the data lives: `sqlite://FILE?mode=rwc` (embedded) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://convene.db?mode=rwc",
        global = true
    )]
    pub database_url: String,
    /// Log as human-readable text or as JSON lines (for machines).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Let webhooks reach private, loopback and link-local addresses (on-premise, tests).
    #[arg(long, env = "CONVENE_ALLOW_PRIVATE_WEBHOOK_TARGETS", global = true)]
    pub allow_private_webhook_targets: bool,
    /// Let plugins reach private, loopback and link-local addresses (on-premise
    /// providers, local fakes in tests).
    #[arg(long, env = "CONVENE_ALLOW_PRIVATE_PLUGIN_HOSTS", global = true)]
    pub allow_private_plugin_hosts: bool,
    /// Plugins' directory; their compiled code is cached under `cache/` in it. Default:
    /// `plugins/dist` next to the SQLite database; none for PostgreSQL.
    #[arg(long, env = "CONVENE_PLUGINS_DIR", global = true)]
    pub plugins_dir: Option<std::path::PathBuf>,
    /// Where invitees reach this server, e.g. `https://cal.example.com`: the base of the
    /// scheduling links handed out. Without it, links use the host a request came to.
    #[arg(long, env = "CONVENE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// A file holding the 32-byte key (base64 or hex) that seals provider tokens at rest.
    /// `CONVENE_SECRET_KEY` (the key itself) wins over it. With neither, SQLite uses
    /// `convene.key` beside the database file, created on first run; PostgreSQL refuses
    /// to start, since every process must share one key.
    #[arg(long, env = "CONVENE_SECRET_KEY_FILE", global = true)]
    pub secret_key_file: Option<PathBuf>,
    /// How often installations whose plugin pulls ask their provider for changes
    /// (`30s`, `5m`, `1h`).
    #[arg(long, env = "CONVENE_PULL_INTERVAL", default_value = "5m", value_parser = parse_duration, global = true)]
    pub pull_interval: Duration,
    /// The SMTP server workflow emails and notices go through, as a URL:
    /// `smtps://user:password@smtp.example.com` (port 465), `smtp://host:587?tls=required`.
    /// Without it, mail is written to `--mail-dir` instead.
    #[arg(long, env = "CONVENE_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,
    /// The sender of Convene's mail, e.g. `Acme Scheduling <no-reply@acme.com>`.
    #[arg(
        long,
        env = "CONVENE_MAIL_FROM",
        default_value = "Convene <no-reply@convene.localhost>",
        global = true
    )]
    pub mail_from: String,
    /// Where mail is written as `.eml` files when no SMTP server is set. Default: `mail`
    /// next to the SQLite database (the system's temporary folder for PostgreSQL).
    #[arg(long, env = "CONVENE_MAIL_DIR", global = true)]
    pub mail_dir: Option<PathBuf>,
    /// The global kill switch of inbound calendar sync: `off` leaves bookings alone
    /// whatever providers report (changes read meanwhile are recorded as skipped).
    #[arg(long, env = "CONVENE_CALENDAR_SYNC", value_enum, default_value_t = Switch::On, global = true)]
    pub calendar_sync: Switch,
    /// Webhook deliveries made at once by this process.
    #[arg(
        long,
        env = "CONVENE_WORKER_CONCURRENCY",
        default_value_t = 16,
        global = true
    )]
    pub worker_concurrency: usize,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (migrates first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CONVENE_ADDR", default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Seed the demo organization and print an API key for it.
        #[arg(long)]
        demo: bool,
        /// Per-client request limits, when the defaults do not fit.
        #[command(flatten)]
        rate_limits: RateLimitFlags,
    },
    /// Run background work only (webhook dispatch and delivery); many may share one PostgreSQL.
    Worker,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Seed the demo organization and print an API key for it.
    Demo,
    /// Manage WebAssembly provider plugins.
    Plugin {
        #[command(subcommand)]
        action: PluginAction,
    },
}

/// `convene plugin ...`: the operator's side of plugins.
#[derive(Debug, Subcommand)]
pub enum PluginAction {
    /// Check and store a component; with `--org`, install it there (or upgrade the
    /// organization's installation of the same plugin, keeping its settings and kv).
    Install {
        /// The component, built for wasm32-wasip2.
        file: std::path::PathBuf,
        /// The organization's slug.
        #[arg(long)]
        org: Option<String>,
        /// The user whose account the installation connects (a username).
        #[arg(long)]
        owner: Option<String>,
        /// A setting, `key=value`; repeat for several.
        #[arg(long = "config", value_parser = parse_setting)]
        config: Vec<(String, String)>,
    },
    /// List packages and installations.
    List,
    /// Switch an installation on.
    Enable { installation: i64 },
    /// Switch an installation off: its webhooks are still kept, not processed.
    Disable { installation: i64 },
    /// Remove an installation with its settings and kv.
    Remove { installation: i64 },
}

fn parse_setting(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not key=value"))
}

/// Overrides of the per-client request limits. Each takes `N` (per minute),
/// `N/DURATION` (`30s`, `5m`, `1h`) or `off`; a flag left out keeps the default.
#[derive(Debug, Clone, Default, Args)]
pub struct RateLimitFlags {
    /// Booking writes (POST, PATCH, DELETE under /v2/bookings); default 100 per minute.
    #[arg(long, env = "CONVENE_RATE_LIMIT_BOOKINGS", value_parser = parse_limit)]
    pub rate_limit_bookings: Option<LimitSetting>,
    /// GET /v2/slots; default 300 per minute.
    #[arg(long, env = "CONVENE_RATE_LIMIT_SLOTS", value_parser = parse_limit)]
    pub rate_limit_slots: Option<LimitSetting>,
    /// Other reads, GraphQL queries included; default 1000 per minute.
    #[arg(long, env = "CONVENE_RATE_LIMIT_READS", value_parser = parse_limit)]
    pub rate_limit_reads: Option<LimitSetting>,
    /// Anything under /v2/webhooks; default 10 per minute.
    #[arg(long, env = "CONVENE_RATE_LIMIT_WEBHOOKS", value_parser = parse_limit)]
    pub rate_limit_webhooks: Option<LimitSetting>,
    /// Other writes, GraphQL mutations included; default 100 per minute.
    #[arg(long, env = "CONVENE_RATE_LIMIT_WRITES", value_parser = parse_limit)]
    pub rate_limit_writes: Option<LimitSetting>,
}

impl RateLimitFlags {
    /// The default limits with these overrides applied.
    pub fn limits(&self) -> RateLimits {
        let defaults = RateLimits::default();
        let pick = |flag: &Option<LimitSetting>, default| flag.map_or(default, |s| s.0);
        RateLimits {
            bookings: pick(&self.rate_limit_bookings, defaults.bookings),
            slots: pick(&self.rate_limit_slots, defaults.slots),
            reads: pick(&self.rate_limit_reads, defaults.reads),
            webhooks: pick(&self.rate_limit_webhooks, defaults.webhooks),
            writes: pick(&self.rate_limit_writes, defaults.writes),
        }
    }
}

/// One group's limit as given on the command line; `None` is `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSetting(pub Option<Limit>);

/// Reads `off`, `N` (per minute) or `N/DURATION` with a duration of `Ns`, `Nm` or `Nh`.
fn parse_limit(text: &str) -> Result<LimitSetting, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(LimitSetting(None));
    }
    let (count, window) = text.split_once('/').unwrap_or((text, "1m"));
    let requests = count
        .trim()
        .parse()
        .map_err(|_| format!("`{count}` is not a number of requests"))?;
    let window = parse_duration(window)?;
    Ok(LimitSetting(Some(Limit { requests, window })))
}

/// Reads a duration such as `30s`, `5m` or `1h` (a bare unit is one of it); never zero.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let wrong = || format!("`{text}` is not a duration such as 30s, 5m or 1h");
    let unit_at = text.len().saturating_sub(1);
    let seconds_per_unit = match text.get(unit_at..) {
        Some("s") => 1,
        Some("m") => 60,
        Some("h") => 3600,
        _ => return Err(wrong()),
    };
    let amount: u64 = match &text[..unit_at] {
        "" => 1,
        digits => digits.parse().map_err(|_| wrong())?,
    };
    if amount == 0 {
        return Err(format!("`{text}` must be longer than zero"));
    }
    Ok(Duration::from_secs(amount * seconds_per_unit))
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// A feature turned on or off from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

impl Config {
    /// `--plugins-dir`, else `plugins/dist` next to an SQLite database file (DESIGN.md's
    /// default); a PostgreSQL deployment without the flag keeps nothing on local disk.
    fn plugins_dir(&self) -> Option<std::path::PathBuf> {
        if let Some(dir) = &self.plugins_dir {
            return Some(dir.clone());
        }
        Some(self.database_dir()?.join("plugins").join("dist"))
    }

    /// The folder of an SQLite database file; `None` for PostgreSQL.
    fn database_dir(&self) -> Option<PathBuf> {
        let file = self.database_url.strip_prefix("sqlite://")?;
        let file = file.split('?').next().unwrap_or(file);
        Some(std::path::Path::new(file).parent()?.to_path_buf())
    }

    /// How mail leaves this server: `--smtp-url`, else the mail folder.
    fn mail(&self) -> crate::mail::MailSettings {
        let transport = match &self.smtp_url {
            Some(url) => crate::mail::MailTransport::Smtp(url.clone()),
            None => {
                crate::mail::MailTransport::Folder(self.mail_dir.clone().unwrap_or_else(|| {
                    self.database_dir()
                        .map(|dir| dir.join("mail"))
                        .unwrap_or_else(|| std::env::temp_dir().join("convene-mail"))
                }))
            }
        };
        crate::mail::MailSettings {
            from: self.mail_from.clone(),
            transport,
        }
    }

    /// The application settings these flags choose; fails when no secret key can be
    /// had (see [`Config::secret_key_file`]).
    pub fn settings(&self) -> Result<crate::app::Settings, KeyError> {
        let inline = std::env::var("CONVENE_SECRET_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty());
        Ok(crate::app::Settings {
            allow_private_webhook_targets: self.allow_private_webhook_targets,
            allow_private_plugin_hosts: self.allow_private_plugin_hosts,
            plugin_cache_dir: self.plugins_dir().map(|dir| dir.join("cache")),
            public_url: self
                .public_url
                .as_deref()
                .map(|url| url.trim_end_matches('/').to_string()),
            secret_key: secrets::load(
                inline.as_deref(),
                self.secret_key_file.as_deref(),
                &self.database_url,
            )?,
            pull_interval: self.pull_interval,
            calendar_sync: self.calendar_sync == Switch::On,
            mail: self.mail(),
            ..Default::default()
        })
    }

    /// How this process runs background work.
    pub fn worker_options(&self) -> crate::jobs::WorkerOptions {
        crate::jobs::WorkerOptions {
            concurrency: self.worker_concurrency.max(1),
            ..Default::default()
        }
    }
}

/// `CONVENE_DEMO_API_KEY`: when set, the demo host's API key is exactly this value.
pub fn demo_api_key() -> Option<String> {
    std::env::var("CONVENE_DEMO_API_KEY")
        .ok()
        .filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(requests: u32, secs: u64) -> LimitSetting {
        LimitSetting(Some(Limit {
            requests,
            window: Duration::from_secs(secs),
        }))
    }

    #[test]
    fn rate_limit_flags_read_counts_windows_and_off() {
        assert_eq!(parse_limit("100"), Ok(limit(100, 60)));
        assert_eq!(parse_limit("5/30s"), Ok(limit(5, 30)));
        assert_eq!(parse_limit("5/s"), Ok(limit(5, 1)));
        assert_eq!(parse_limit("2000/1h"), Ok(limit(2000, 3600)));
        assert_eq!(parse_limit("OFF"), Ok(LimitSetting(None)));
        for junk in ["", "many", "5/", "5/0s", "5/10d", "-1", "5/xs"] {
            assert!(parse_limit(junk).is_err(), "{junk:?} was accepted");
        }
    }

    #[test]
    fn only_the_groups_given_change() {
        let config = Config::try_parse_from([
            "convene",
            "serve",
            "--rate-limit-slots",
            "off",
            "--rate-limit-bookings",
            "7/10s",
        ])
        .unwrap();
        let Command::Serve { rate_limits, .. } = config.command else {
            panic!("not serve");
        };
        let limits = rate_limits.limits();
        assert_eq!(limits.slots, None);
        assert_eq!(LimitSetting(limits.bookings), limit(7, 10));
        assert_eq!(limits.reads, RateLimits::default().reads);
    }
}
