//! One plugin call: a fresh store with its limits, the imports the plugin may use, and
//! the reading of how the call ended.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::convene::plugin::{clock, config, http, kv, log};
use super::bindings::wit::{self, HttpError, HttpRequest, HttpResponse, LogLevel};
use super::limits::Limits;
use super::outbound::{Allowlist, Credentials, Outbound};

/// What a call runs with: one installation's identity, settings, kv and credentials.
#[derive(Clone)]
pub struct CallContext {
    pub installation_id: i64,
    pub plugin_id: String,
    pub config: BTreeMap<String, String>,
    pub kv: BTreeMap<String, Vec<u8>>,
    pub allowlist: Allowlist,
    pub credentials: Option<Arc<dyn Credentials>>,
}

impl CallContext {
    /// The context of the `manifest` call made at install: no installation yet, so no
    /// settings, kv, credentials or hosts.
    pub fn describing() -> CallContext {
        CallContext {
            installation_id: 0,
            plugin_id: "(being installed)".into(),
            config: BTreeMap::new(),
            kv: BTreeMap::new(),
            allowlist: Allowlist::default(),
            credentials: None,
        }
    }
}

/// How a call failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CallError {
    /// The plugin answered with an error of its own.
    #[error("{0}")]
    Plugin(PluginFailure),
    /// The whole call, waits included, took longer than the host allows.
    #[error("the plugin call took longer than {0:?} in all and was stopped")]
    WallClock(Duration),
    /// The plugin does not declare the capability the call needs.
    #[error("the plugin does not support {0}")]
    Unsupported(&'static str),
    #[error("the plugin ran past its {0:?} deadline and was stopped")]
    Deadline(Duration),
    #[error("the plugin asked for more than its {} MiB of memory and was stopped", .0 >> 20)]
    Memory(usize),
    #[error("the plugin handed back more than {} KiB at once and was stopped", .0 >> 10)]
    Output(usize),
    #[error("the plugin's kv would exceed {} KiB; the call was stopped", .0 >> 10)]
    KvQuota(usize),
    /// A trap: a panic, an abort, a bad memory access.
    #[error("the plugin crashed: {0}")]
    Trap(String),
}

impl CallError {
    /// Whether trying again may succeed (the provider was busy, the plugin has a bug
    /// that a fix may cure) rather than being bound to fail the same way.
    pub fn retryable(&self) -> bool {
        !matches!(
            self,
            CallError::Unsupported(_)
                | CallError::Plugin(
                    PluginFailure::BadSignature
                        | PluginFailure::InvalidPayload(_)
                        | PluginFailure::Unsupported
                        | PluginFailure::RecipientOptedOut
                )
        )
    }

    /// Whether the plugin itself misbehaved (crashed, ran past its deadline, overran a
    /// cap), as opposed to answering with an error or waiting on its provider.
    pub fn misbehaved(&self) -> bool {
        matches!(
            self,
            CallError::Deadline(_)
                | CallError::Memory(_)
                | CallError::Output(_)
                | CallError::KvQuota(_)
                | CallError::Trap(_)
        )
    }
}

/// A plugin's own error answer, as the host acts on it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PluginFailure {
    #[error("the webhook's signature did not verify")]
    BadSignature,
    #[error("the provider's data could not be understood: {0}")]
    InvalidPayload(String),
    #[error("the plugin does not support this")]
    Unsupported,
    #[error("the provider could not be reached: {0}")]
    Upstream(String),
    #[error("the provider answered {status}: {message}")]
    UpstreamStatus { status: u16, message: String },
    #[error("the provider asks to wait {0} s")]
    RateLimited(u32),
    /// The recipient of a message unsubscribed (replied STOP) at the provider.
    #[error("the recipient opted out of messages from this sender")]
    RecipientOptedOut,
    #[error("the sync cursor is no longer valid; a full sync is needed")]
    NeedsResync,
    #[error("the plugin failed: {0}")]
    Internal(String),
}

impl From<wit::PluginError> for PluginFailure {
    fn from(error: wit::PluginError) -> PluginFailure {
        use wit::PluginError as E;
        match error {
            E::BadSignature => PluginFailure::BadSignature,
            E::InvalidPayload(m) => PluginFailure::InvalidPayload(m),
            E::Unsupported => PluginFailure::Unsupported,
            E::Upstream(HttpError::RateLimited(s)) | E::RateLimited(s) => {
                PluginFailure::RateLimited(s)
            }
            E::Upstream(e) => PluginFailure::Upstream(describe_http_error(&e)),
            E::UpstreamStatus(s) => PluginFailure::UpstreamStatus {
                status: s.status,
                message: s.message,
            },
            E::RecipientOptedOut => PluginFailure::RecipientOptedOut,
            E::NeedsResync => PluginFailure::NeedsResync,
            E::Internal(m) => PluginFailure::Internal(m),
        }
    }
}

fn describe_http_error(error: &HttpError) -> String {
    match error {
        HttpError::Denied(host) => format!("`{host}` is not in the plugin's allowed hosts"),
        HttpError::Timeout => "the request timed out".into(),
        HttpError::TooLarge => "the answer was too large".into(),
        HttpError::RateLimited(s) => format!("rate limited for {s} s"),
        HttpError::NotConnected => "the installation has no connected account".into(),
        HttpError::Transport(m) => m.clone(),
    }
}

/// Why the host stopped a call, recorded where the trap cannot carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stopped {
    Deadline,
    Memory,
    KvQuota,
}

/// The store's data for one call.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: Limits,
    context: CallContext,
    outbound: Arc<Outbound>,
    kv_writes: KvWrites,
    started: Instant,
    /// Time spent waiting on `http.send`, which the deadline does not count.
    waited: Duration,
    stopped: Option<Stopped>,
}

impl CallState {
    fn new(context: CallContext, limits: Limits, outbound: Arc<Outbound>) -> CallState {
        CallState {
            // No preopened directories, no environment, no arguments, no sockets: a
            // plugin reaches the world only through the imports below.
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limits,
            context,
            outbound,
            kv_writes: KvWrites::default(),
            started: Instant::now(),
            waited: Duration::ZERO,
            stopped: None,
        }
    }

    fn computing(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.waited)
    }

    fn kv_size(&self) -> usize {
        self.context.kv.iter().map(|(k, v)| k.len() + v.len()).sum()
    }
}

/// The kv keys one call wrote: each one's new value, or `None` for a key it deleted.
/// Only these keys are written back, so calls of one installation that run at once (a
/// push read while a pull renews channels) never undo each other's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KvWrites(pub BTreeMap<String, Option<Vec<u8>>>);

impl KvWrites {
    /// Applies the writes to `kv`, the installation's kv the call started from.
    pub fn apply_to(&self, kv: &mut BTreeMap<String, Vec<u8>>) {
        for (key, value) in &self.0 {
            match value {
                Some(value) => kv.insert(key.clone(), value.clone()),
                None => kv.remove(key),
            };
        }
    }
}

/// What a successful call produced besides its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished<T> {
    pub value: T,
    /// What the call wrote to the installation's kv (nothing, usually).
    pub kv: KvWrites,
}

impl<T> Finished<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Finished<U> {
        Finished {
            value: f(self.value),
            kv: self.kv,
        }
    }
}

/// A store set up for one call.
pub fn store(
    engine: &wasmtime::Engine,
    context: CallContext,
    limits: Limits,
    outbound: Arc<Outbound>,
) -> Store<CallState> {
    let mut store = Store::new(engine, CallState::new(context, limits, outbound));
    store.limiter(|state| state);
    store.set_hostcall_fuel(limits.output_bytes);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|mut store| {
        let state = store.data_mut();
        if state.computing() > state.limits.deadline {
            state.stopped = Some(Stopped::Deadline);
            return Ok(UpdateDeadline::Interrupt);
        }
        // Give the executor back every tick, so a busy plugin never starves requests.
        Ok(UpdateDeadline::Yield(1))
    });
    store
}

/// Reads how a call ended: the plugin's answer, or why it was stopped.
pub fn finish<T>(
    store: Store<CallState>,
    outcome: wasmtime::Result<T>,
) -> Result<Finished<T>, CallError> {
    let state = store.into_data();
    match outcome {
        Ok(value) => Ok(Finished {
            value,
            kv: state.kv_writes,
        }),
        Err(error) => Err(match state.stopped {
            Some(Stopped::Deadline) => CallError::Deadline(state.limits.deadline),
            Some(Stopped::Memory) => CallError::Memory(state.limits.memory_bytes),
            Some(Stopped::KvQuota) => CallError::KvQuota(state.limits.kv_bytes),
            None if format!("{error:?}").contains("hostcall") => {
                CallError::Output(state.limits.output_bytes)
            }
            None => CallError::Trap(trap_message(&error)),
        }),
    }
}

fn trap_message(error: &wasmtime::Error) -> String {
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => error.to_string(),
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limits.memory_bytes {
            self.stopped = Some(Stopped::Memory);
            wasmtime::bail!("memory cap of {} bytes reached", self.limits.memory_bytes);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

impl wit::Host for CallState {}

impl http::Host for CallState {
    async fn send(
        &mut self,
        request: HttpRequest,
    ) -> wasmtime::Result<Result<HttpResponse, HttpError>> {
        let started = Instant::now();
        let answer = self
            .outbound
            .send(
                self.context.installation_id,
                &self.context.allowlist,
                self.context.credentials.as_deref(),
                request,
                self.limits.http_response_bytes,
            )
            .await;
        self.waited += started.elapsed();
        Ok(answer)
    }
}

impl kv::Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        Ok(self.context.kv.get(&key).cloned())
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<()> {
        self.context.kv.insert(key.clone(), value.clone());
        self.kv_writes.0.insert(key, Some(value));
        if self.kv_size() > self.limits.kv_bytes {
            self.stopped = Some(Stopped::KvQuota);
            wasmtime::bail!("kv quota of {} bytes exceeded", self.limits.kv_bytes);
        }
        Ok(())
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<()> {
        self.context.kv.remove(&key);
        self.kv_writes.0.insert(key, None);
        Ok(())
    }
}

impl config::Host for CallState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.context.config.get(&key).cloned())
    }
}

/// Longest log line kept from a plugin.
const LOG_LINE: usize = 2048;

impl log::Host for CallState {
    async fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        let message = truncate(&message, LOG_LINE);
        let installation = self.context.installation_id;
        let plugin = self.context.plugin_id.as_str();
        match level {
            LogLevel::Trace => tracing::trace!(installation, plugin, "{message}"),
            LogLevel::Debug => tracing::debug!(installation, plugin, "{message}"),
            LogLevel::Info => tracing::info!(installation, plugin, "{message}"),
            LogLevel::Warn => tracing::warn!(installation, plugin, "{message}"),
            LogLevel::Error => tracing::error!(installation, plugin, "{message}"),
        }
        Ok(())
    }
}

impl clock::Host for CallState {
    async fn now_ms(&mut self) -> wasmtime::Result<i64> {
        Ok(Utc::now().timestamp_millis())
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
