//! The WebAssembly plugin host. Provider integrations are components written against
//! the `convene:plugin/provider` world (`plugin-sdk/wit`); this module loads them,
//! checks their world version and manifest, and calls them under limits: a deadline on
//! computing, a memory cap, a cap on data handed back, and no filesystem, sockets,
//! environment or clock beyond what the world's imports give.
//!
//! It knows nothing of the database: a caller hands each call the installation's
//! settings, kv and credentials, and stores the kv the call leaves behind.

mod bindings;
mod call;
mod engine;
mod limits;
pub mod manifest;
mod outbound;
mod version;

use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};

pub use bindings::wit;
pub use call::{CallContext, CallError, Finished, KvWrites, PluginFailure};
pub use limits::Limits;
pub use manifest::{Capability, Manifest};
pub use outbound::{Allowlist, Credentials, RateLimit};

use bindings::{Provider, ProviderPre};
use call::CallState;
use outbound::Outbound;

/// How this process runs plugins.
#[derive(Debug, Clone, Default)]
pub struct HostSettings {
    pub limits: Limits,
    pub rate: RateLimit,
    /// Where compiled plugins are kept between runs; `None` compiles on every start.
    pub cache_dir: Option<PathBuf>,
    /// Lets plugins reach loopback and private addresses: for tests against local fakes.
    pub allow_private_hosts: bool,
}

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    /// Built against another world version, or not a Convene plugin at all.
    #[error("{0}")]
    Incompatible(String),
    #[error("the plugin needs something Convene does not provide: {0}")]
    Imports(String),
    #[error("the plugin's manifest is not valid: {0}")]
    Manifest(String),
    #[error("the plugin failed while describing itself: {0}")]
    Describe(CallError),
}

/// A loaded plugin, ready to be called many times.
#[derive(Clone)]
pub struct Plugin {
    pre: ProviderPre<CallState>,
    pub manifest: Manifest,
    /// Hex SHA-256 of the component's bytes: what an installation records and what
    /// the compiled-code cache is keyed by.
    pub sha256: String,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("manifest", &self.manifest)
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// The plugin host of this process.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<CallState>,
    limits: Limits,
    outbound: Arc<Outbound>,
    _ticker: engine::EpochTicker,
}

/// Hex SHA-256 of a component.
pub fn sha256_hex(wasm: &[u8]) -> String {
    hex::encode(Sha256::digest(wasm))
}

impl PluginHost {
    pub fn new(settings: &HostSettings) -> wasmtime::Result<PluginHost> {
        let engine = engine::build(&settings.limits, settings.cache_dir.as_deref())?;
        let mut linker = Linker::new(&engine);
        // WASI is linked with no authority at all (see `CallState::new`): a Rust guest
        // needs its streams and exit to link, and gets nothing through them.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        Provider::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)?;
        Ok(PluginHost {
            _ticker: engine::EpochTicker::start(&engine),
            engine,
            linker,
            limits: settings.limits,
            outbound: Arc::new(Outbound::new(
                &settings.limits,
                settings.rate,
                settings.allow_private_hosts,
            )),
        })
    }

    /// Compiles (or takes from the cache) and checks a component, and reads its manifest.
    pub async fn load(&self, wasm: Vec<u8>) -> Result<Plugin, LoadError> {
        let sha256 = sha256_hex(&wasm);
        let engine = self.engine.clone();
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, &wasm))
            .await
            .map_err(|e| LoadError::NotAComponent(e.to_string()))?
            .map_err(|e| LoadError::NotAComponent(format!("{e:#}")))?;
        let ty = component.component_type();
        version::check(
            ty.imports(&self.engine).map(|(name, _)| name),
            ty.exports(&self.engine).map(|(name, _)| name),
        )
        .map_err(LoadError::Incompatible)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .and_then(ProviderPre::new)
            .map_err(|e| LoadError::Imports(format!("{e:#}")))?;
        let described = self
            .call(&pre, CallContext::describing(), Request::Manifest)
            .await
            .map_err(LoadError::Describe)?;
        let Answer::Manifest(declared) = described.value else {
            unreachable!("a manifest call answers a manifest")
        };
        Ok(Plugin {
            pre,
            manifest: Manifest::from_wit(declared).map_err(LoadError::Manifest)?,
            sha256,
        })
    }

    /// Asks a loaded plugin for its manifest again: the cheapest call there is, so it
    /// measures what every call costs the host (a fresh instance, one export call).
    pub async fn manifest(&self, plugin: &Plugin) -> Result<wit::PluginManifest, CallError> {
        let finished = self
            .call(&plugin.pre, CallContext::describing(), Request::Manifest)
            .await?;
        match finished.value {
            Answer::Manifest(manifest) => Ok(manifest),
            _ => unreachable!("a manifest call answers a manifest"),
        }
    }

    /// Has the plugin verify and read an inbound webhook.
    pub async fn handle_webhook(
        &self,
        plugin: &Plugin,
        context: CallContext,
        request: wit::WebhookRequest,
    ) -> Result<Finished<wit::Delivery>, CallError> {
        self.require(plugin, Capability::Webhooks, "webhooks")?;
        let finished = self
            .call(&plugin.pre, context, Request::Webhook(request))
            .await?;
        Ok(finished.map(|answer| match answer {
            Answer::Delivery(delivery) => delivery,
            _ => unreachable!("a webhook call answers a delivery"),
        }))
    }

    /// Asks the plugin for the next page of changes after `cursor`.
    pub async fn pull(
        &self,
        plugin: &Plugin,
        context: CallContext,
        cursor: Option<String>,
    ) -> Result<Finished<wit::Page>, CallError> {
        self.require(plugin, Capability::Pull, "pull")?;
        let finished = self
            .call(&plugin.pre, context, Request::Pull(cursor))
            .await?;
        Ok(finished.map(|answer| match answer {
            Answer::Page(page) => page,
            _ => unreachable!("a pull answers a page"),
        }))
    }

    /// Asks the plugin for the busy times in `range` of the account's `calendars`.
    pub async fn busy_times(
        &self,
        plugin: &Plugin,
        context: CallContext,
        range: wit::TimeRange,
        calendars: Vec<String>,
    ) -> Result<Finished<Vec<wit::Busy>>, CallError> {
        self.require(plugin, Capability::BusyTimes, "busy times")?;
        let finished = self
            .call(&plugin.pre, context, Request::BusyTimes(range, calendars))
            .await?;
        Ok(finished.map(|answer| match answer {
            Answer::Busy(busy) => busy,
            _ => unreachable!("a busy-times call answers busy times"),
        }))
    }

    /// Asks the plugin for the connected account's calendars.
    pub async fn calendars(
        &self,
        plugin: &Plugin,
        context: CallContext,
    ) -> Result<Finished<Vec<wit::Calendar>>, CallError> {
        self.require(plugin, Capability::Calendars, "calendars")?;
        let finished = self.call(&plugin.pre, context, Request::Calendars).await?;
        Ok(finished.map(|answer| match answer {
            Answer::Calendars(calendars) => calendars,
            _ => unreachable!("a calendars call answers calendars"),
        }))
    }

    /// Has the plugin carry out `effect` at the provider.
    pub async fn apply(
        &self,
        plugin: &Plugin,
        context: CallContext,
        effect: wit::Effect,
    ) -> Result<Finished<wit::Outcome>, CallError> {
        self.require(plugin, Capability::Apply, "effects")?;
        let finished = self
            .call(&plugin.pre, context, Request::Apply(Box::new(effect)))
            .await?;
        Ok(finished.map(|answer| match answer {
            Answer::Outcome(outcome) => outcome,
            _ => unreachable!("an apply call answers an outcome"),
        }))
    }

    fn require(
        &self,
        plugin: &Plugin,
        capability: Capability,
        name: &'static str,
    ) -> Result<(), CallError> {
        if plugin.manifest.can(capability) {
            Ok(())
        } else {
            Err(CallError::Unsupported(name))
        }
    }

    /// Instantiates the plugin in a fresh store and makes one call in it.
    async fn call(
        &self,
        pre: &ProviderPre<CallState>,
        context: CallContext,
        request: Request,
    ) -> Result<Finished<Answer>, CallError> {
        let mut store = call::store(&self.engine, context, self.limits, self.outbound.clone());
        let made = tokio::time::timeout(self.limits.wall_clock, async {
            let instance = pre.instantiate_async(&mut store).await?;
            let guest = instance.convene_plugin_guest();
            let answer = match request {
                Request::Manifest => Ok(Answer::Manifest(guest.call_manifest(&mut store).await?)),
                Request::Webhook(r) => guest
                    .call_handle_webhook(&mut store, &r)
                    .await?
                    .map(Answer::Delivery),
                Request::Pull(cursor) => guest
                    .call_pull(&mut store, cursor.as_deref())
                    .await?
                    .map(Answer::Page),
                Request::BusyTimes(range, calendars) => guest
                    .call_busy_times(&mut store, range, &calendars)
                    .await?
                    .map(Answer::Busy),
                Request::Calendars => guest
                    .call_calendars(&mut store)
                    .await?
                    .map(Answer::Calendars),
                Request::Apply(effect) => guest
                    .call_apply(&mut store, &effect)
                    .await?
                    .map(Answer::Outcome),
            };
            wasmtime::Result::Ok(answer)
        })
        .await;
        let made = match made {
            Ok(made) => made,
            Err(_) => return Err(CallError::WallClock(self.limits.wall_clock)),
        };
        let finished = call::finish(store, made)?;
        match finished.value {
            Ok(answer) => Ok(Finished {
                value: answer,
                kv: finished.kv,
            }),
            Err(error) => Err(CallError::Plugin(error.into())),
        }
    }
}

/// One export call.
enum Request {
    Manifest,
    Webhook(wit::WebhookRequest),
    Pull(Option<String>),
    BusyTimes(wit::TimeRange, Vec<String>),
    Calendars,
    /// Boxed: an effect carries a whole booking, many times the other requests' size.
    Apply(Box<wit::Effect>),
}

/// What an export call answered.
enum Answer {
    Manifest(wit::PluginManifest),
    Delivery(wit::Delivery),
    Page(wit::Page),
    Busy(Vec<wit::Busy>),
    Calendars(Vec<wit::Calendar>),
    Outcome(wit::Outcome),
}
