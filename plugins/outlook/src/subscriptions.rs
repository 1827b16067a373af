//! Graph change-notification subscriptions, one per writable calendar, kept in kv
//! (`subscriptions`): created when missing (Graph first checks the notification URL,
//! the host's `hook_url`, with a validation handshake the host answers), renewed
//! before they expire, dropped for calendars no longer there. Every subscription
//! carries the installation's `clientState` secret, which each notification must echo.

use std::collections::BTreeMap;

use convene_plugin_sdk::http::encode_component;
use convene_plugin_sdk::signature::random_secret;
use convene_plugin_sdk::{PluginError, clock, kv};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::graph::{base_url, call, call_json, instant, millis, status_of};

const KEY: &str = "subscriptions";
const SECRET_KEY: &str = "client_state";
/// How long a subscription is asked for: three days, within Graph's 10,080-minute cap
/// for events.
const LIFETIME_MS: i64 = 3 * 24 * 3_600_000;
/// A subscription expiring sooner than this is renewed.
const RENEW_MARGIN_MS: i64 = 24 * 3_600_000;

/// One calendar's subscription.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub expires_ms: i64,
}

/// The subscriptions by calendar id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Subscriptions(BTreeMap<String, Subscription>);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    id: String,
    expiration_date_time: String,
}

/// The secret Graph echoes in every notification (`clientState`), made once.
pub fn client_state() -> Result<String, PluginError> {
    if let Some(secret) = kv::get(SECRET_KEY).and_then(|b| String::from_utf8(b).ok()) {
        return Ok(secret);
    }
    let secret = random_secret(32)?;
    kv::set(SECRET_KEY, secret.as_bytes());
    Ok(secret)
}

/// The secret, if one was ever made.
pub fn known_client_state() -> Option<String> {
    kv::get(SECRET_KEY).and_then(|b| String::from_utf8(b).ok())
}

impl Subscriptions {
    pub fn load() -> Subscriptions {
        kv::get(KEY)
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    fn save(&self) {
        if let Ok(bytes) = serde_json::to_vec(self) {
            kv::set(KEY, &bytes);
        }
    }

    /// The calendar subscription `id` is for.
    pub fn calendar_of(&self, id: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, s)| s.id == id)
            .map(|(calendar, _)| calendar.as_str())
    }

    /// Makes `calendars` exactly the subscribed ones, none within the renewal margin,
    /// their notifications sent to `hook`.
    pub fn ensure(&mut self, calendars: &[String], hook: &str) -> Result<(), PluginError> {
        let now = clock::now_ms();
        let gone: Vec<String> = self
            .0
            .keys()
            .filter(|c| !calendars.contains(c))
            .cloned()
            .collect();
        for calendar in gone {
            if let Some(old) = self.0.remove(&calendar) {
                match call("DELETE", &url_of(&old.id), None) {
                    Err(e) if status_of(&e) != Some(404) => return Err(e),
                    _ => {}
                }
            }
        }
        for calendar in calendars {
            let current = self.0.get(calendar).cloned();
            let fresh = match current {
                Some(s) if s.expires_ms - now > RENEW_MARGIN_MS => continue,
                Some(s) => match renew(&s.id, now) {
                    Err(e) if status_of(&e) == Some(404) => create(calendar, hook, now)?,
                    other => other?,
                },
                None => create(calendar, hook, now)?,
            };
            self.0.insert(calendar.clone(), fresh);
        }
        self.save();
        Ok(())
    }
}

fn url_of(id: &str) -> String {
    format!("{}/subscriptions/{}", base_url(), encode_component(id))
}

fn create(calendar: &str, hook: &str, now: i64) -> Result<Subscription, PluginError> {
    let body = json!({
        "changeType": "created,updated,deleted",
        "notificationUrl": hook,
        "resource": format!("me/calendars/{calendar}/events"),
        "expirationDateTime": instant(now + LIFETIME_MS)?,
        "clientState": client_state()?,
    });
    let created: Created = call_json(
        "POST",
        &format!("{}/subscriptions", base_url()),
        Some(&body),
    )?;
    Ok(Subscription {
        expires_ms: millis(&created.expiration_date_time)?,
        id: created.id,
    })
}

fn renew(id: &str, now: i64) -> Result<Subscription, PluginError> {
    let body = json!({"expirationDateTime": instant(now + LIFETIME_MS)?});
    let renewed: Created = call_json("PATCH", &url_of(id), Some(&body))?;
    Ok(Subscription {
        expires_ms: millis(&renewed.expiration_date_time)?,
        id: renewed.id,
    })
}
