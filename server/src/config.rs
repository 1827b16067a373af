//! Configuration from flags and environment, in one place.

use std::net::SocketAddr;

use clap::{Parser, Subcommand, ValueEnum};

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
    /// Webhook deliveries made at once by this process.
    #[arg(
        long,
        env = "CONVENE_WORKER_CONCURRENCY",
        default_value_t = 8,
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
    },
    /// Run background work only (webhook dispatch and delivery); many may share one PostgreSQL.
    Worker,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Seed the demo organization and print an API key for it.
    Demo,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// The application settings these flags choose.
    pub fn settings(&self) -> crate::app::Settings {
        crate::app::Settings {
            allow_private_webhook_targets: self.allow_private_webhook_targets,
            ..Default::default()
        }
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
