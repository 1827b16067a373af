//! The `convene` binary: a thin shim over the library so that tests and benchmarks
//! drive exactly the code that runs in production.

use anyhow::Context;
use clap::Parser;
use convene::app::plugins;
use convene::app::{App, demo};
use convene::config::{Command, Config, LogFormat, PluginAction, demo_api_key};
use convene::store::{orgs, users};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    init_logging(config.log_format);
    let settings = config.settings()?;
    settings.mail.check()?;
    let db = convene::store::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database at {}", config.database_url))?;
    let app = App::new(db, settings);
    match config.command {
        Command::Migrate => tracing::info!("database schema is up to date"),
        Command::Worker => {
            tracing::info!("convene worker is running");
            convene::jobs::run(app, config.worker_options(), shutdown_signal()).await;
        }
        Command::Demo => seed_demo(&app, None).await?,
        Command::Plugin { action } => plugin_command(&app, action).await?,
        Command::Serve {
            addr,
            demo,
            ref rate_limits,
        } => {
            if demo {
                seed_demo(&app, Some(addr)).await?;
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening on {addr}"))?;
            let (stop_jobs, jobs_stopped) = tokio::sync::oneshot::channel::<()>();
            let jobs = tokio::spawn(convene::jobs::run(
                app.clone(),
                config.worker_options(),
                async move {
                    let _ = jobs_stopped.await;
                },
            ));
            tracing::info!(%addr, "convene is serving: REST at /v2, GraphQL at /graphql");
            axum::serve(
                listener,
                convene::api::router_with(app, rate_limits.limits())
                    .into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await?;
            let _ = stop_jobs.send(());
            jobs.await?;
        }
    }
    Ok(())
}

/// Seeds the demo organization and prints its new key, with a first request to try
/// when the server's address is known.
async fn seed_demo(app: &App, addr: Option<std::net::SocketAddr>) -> anyhow::Result<()> {
    let seeded = demo::seed(app, demo_api_key().as_deref()).await?;
    if let Some(key) = seeded.new_key {
        println!(
            "Demo host `{}` is ready. API key (shown once): {key}",
            demo::DEMO_USERNAME
        );
        if let Some(addr) = addr {
            println!("Try: curl -H 'Authorization: Bearer {key}' http://{addr}/v2/me");
        }
    }
    Ok(())
}

/// `convene plugin ...`.
async fn plugin_command(app: &App, action: PluginAction) -> anyhow::Result<()> {
    let toggle = |enabled| plugins::Update {
        enabled: Some(enabled),
        ..Default::default()
    };
    match action {
        PluginAction::Install {
            file,
            org,
            owner,
            config,
        } => {
            let wasm =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let package = plugins::add_package(app, wasm).await?;
            let m = &package.manifest;
            println!(
                "package {}: {} {} ({}), sha256 {}",
                package.package.id, m.id, m.version, m.name, package.package.sha256
            );
            let Some(slug) = org else { return Ok(()) };
            let org = orgs::find_by_slug(&app.db, &slug)
                .await?
                .with_context(|| format!("no organization `{slug}`"))?;
            let owner = match owner {
                Some(name) => Some(
                    users::find_by_username(&app.db, &name)
                        .await?
                        .filter(|u| u.org_id == org)
                        .with_context(|| format!("no user `{name}` in `{slug}`"))?
                        .id,
                ),
                None => None,
            };
            let existing = plugins::installations(app, Some(org))
                .await?
                .into_iter()
                .find(|i| i.installation.plugin_id == m.id && i.installation.owner == owner);
            let settings = (!config.is_empty()).then(|| config.into_iter().collect());
            let installed = match existing {
                Some(found) => {
                    let update = plugins::Update {
                        config: settings,
                        upgrade: true,
                        ..Default::default()
                    };
                    plugins::update(app, Some(org), found.installation.id, update).await?
                }
                None => {
                    let settings = settings.unwrap_or_default();
                    plugins::install(app, org, owner, &m.id, settings).await?
                }
            };
            println!(
                "installation {} in `{slug}`: {} {}, hooks at /hooks/{}",
                installed.installation.id, m.id, installed.version, installed.installation.id
            );
        }
        PluginAction::List => {
            for p in plugins::packages(app).await? {
                println!(
                    "package {:>4}  {:<20} {:<10} {}",
                    p.package.id, p.manifest.id, p.manifest.version, p.package.sha256
                );
            }
            for i in plugins::installations(app, None).await? {
                let state = if i.installation.enabled {
                    "enabled"
                } else {
                    "disabled"
                };
                println!(
                    "installation {:>4}  {:<20} {:<10} org {:<5} {state}",
                    i.installation.id, i.installation.plugin_id, i.version, i.installation.org_id.0
                );
            }
        }
        PluginAction::Enable { installation } => {
            plugins::update(app, None, installation, toggle(true)).await?;
            println!("installation {installation} enabled");
        }
        PluginAction::Disable { installation } => {
            plugins::update(app, None, installation, toggle(false)).await?;
            println!("installation {installation} disabled");
        }
        PluginAction::Remove { installation } => {
            plugins::remove(app, None, installation).await?;
            println!("installation {installation} removed");
        }
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM, so both an operator and a process manager stop cleanly.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            term.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

fn init_logging(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
