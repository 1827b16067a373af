//! A plugin's manifest as Convene keeps it: read once from the plugin's `manifest`
//! export at install, checked, and stored with the package as JSON.

use serde::{Deserialize, Serialize};

use super::bindings::wit;

/// What a plugin can do; the host calls only the exports a plugin declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    Webhooks,
    Pull,
    BusyTimes,
    Apply,
    Calendars,
    /// Sends text messages and reports their fate (`send-sms`, `message-status`).
    Messages,
}

/// Where a provider's OAuth lives, so the host (not the plugin) runs the flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthEndpoints {
    pub authorize_url: String,
    pub token_url: String,
    pub revoke_url: Option<String>,
    pub scopes: Vec<String>,
}

/// One setting an installation supplies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigField {
    pub key: String,
    pub label: String,
    pub required: bool,
    pub secret: bool,
}

/// A checked plugin manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub id: String,
    pub name: String,
    pub version: String,
    pub capabilities: Vec<Capability>,
    pub allowed_hosts: Vec<String>,
    pub oauth: Option<OAuthEndpoints>,
    pub config: Vec<ConfigField>,
}

/// The setting through which an installation points a plugin at another API base URL
/// (a regional endpoint, or a local fake in tests); its host joins the allowlist.
pub const BASE_URL_SETTING: &str = "base_url";

/// The reserved setting through which the host tells a plugin where its provider's push
/// notifications reach Convene: `{public_url}/hooks/{installation id}`. Set only when
/// the server knows its public URL; without it a plugin has no push and relies on the
/// periodic pull. An installation's own value under this key is overridden.
pub const HOOK_URL_SETTING: &str = "hook_url";

/// The setting through which an installation points the OAuth endpoints of the
/// manifest at another origin (an on-premise identity server, a local fake in tests):
/// their paths are kept, their scheme, host and port replaced.
pub const OAUTH_BASE_URL_SETTING: &str = "oauth_base_url";

/// The settings through which an installation brings the OAuth client registered at the
/// provider; a plugin with OAuth endpoints declares them, the secret one as secret.
pub const CLIENT_ID_SETTING: &str = "client_id";
/// See [`CLIENT_ID_SETTING`].
pub const CLIENT_SECRET_SETTING: &str = "client_secret";

impl Manifest {
    /// Checks what the plugin declared, naming the first thing wrong.
    pub fn from_wit(declared: wit::PluginManifest) -> Result<Manifest, String> {
        let manifest = Manifest {
            id: declared.id,
            name: declared.name,
            version: declared.version,
            capabilities: declared
                .capabilities
                .into_iter()
                .map(|c| match c {
                    wit::Capability::Webhooks => Capability::Webhooks,
                    wit::Capability::Pull => Capability::Pull,
                    wit::Capability::BusyTimes => Capability::BusyTimes,
                    wit::Capability::Apply => Capability::Apply,
                    wit::Capability::Calendars => Capability::Calendars,
                    wit::Capability::Messages => Capability::Messages,
                })
                .collect(),
            allowed_hosts: declared.allowed_hosts,
            oauth: declared.oauth.map(|o| OAuthEndpoints {
                authorize_url: o.authorize_url,
                token_url: o.token_url,
                revoke_url: o.revoke_url,
                scopes: o.scopes,
            }),
            config: declared
                .config
                .into_iter()
                .map(|f| ConfigField {
                    key: f.key,
                    label: f.label,
                    required: f.required,
                    secret: f.secret,
                })
                .collect(),
        };
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(format!(
                "manifest id `{}` must be 1-64 lowercase letters, digits or dashes",
                self.id
            ));
        }
        if parse_version(&self.version).is_none() {
            return Err(format!(
                "manifest version `{}` is not a semver version like 1.2.3",
                self.version
            ));
        }
        if let Some(bad) = self.allowed_hosts.iter().find(|h| !is_host_name(h)) {
            return Err(format!(
                "allowed host `{bad}` must be a bare host name like api.example.com"
            ));
        }
        Ok(())
    }

    /// Whether the plugin declared `capability`.
    pub fn can(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }

    /// The settings the manifest marks required that `config` lacks.
    pub fn missing_settings<'a>(
        &'a self,
        config: &'a std::collections::BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.config
            .iter()
            .filter(|f| f.required && config.get(&f.key).is_none_or(|v| v.is_empty()))
            .map(|f| f.key.as_str())
    }
}

/// `major.minor.patch`, for ordering upgrades.
pub fn parse_version(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let parsed = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(parsed)
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(id: &str, version: &str, host: &str) -> wit::PluginManifest {
        wit::PluginManifest {
            id: id.into(),
            name: "X".into(),
            version: version.into(),
            capabilities: vec![wit::Capability::Pull],
            allowed_hosts: vec![host.into()],
            oauth: None,
            config: Vec::new(),
        }
    }

    #[test]
    fn a_sound_manifest_is_kept() {
        let manifest =
            Manifest::from_wit(declared("google-calendar", "1.2.3", "www.googleapis.com")).unwrap();
        assert!(manifest.can(Capability::Pull));
        assert!(!manifest.can(Capability::Apply));
    }

    #[test]
    fn bad_ids_versions_and_hosts_are_named() {
        let cases = [
            (declared("Google", "1.0.0", "a.com"), "manifest id `Google`"),
            (declared("g", "one", "a.com"), "manifest version `one`"),
            (
                declared("g", "1.0.0", "https://a.com/x"),
                "allowed host `https://a.com/x`",
            ),
            (declared("g", "1.0.0", "*.a.com"), "allowed host `*.a.com`"),
        ];
        for (manifest, expected) in cases {
            let error = Manifest::from_wit(manifest).unwrap_err();
            assert!(error.starts_with(expected), "{error}");
        }
    }

    #[test]
    fn versions_order_numerically() {
        assert!(parse_version("1.10.0") > parse_version("1.9.3"));
        assert_eq!(parse_version("2.0.0-beta.1"), Some((2, 0, 0)));
        assert_eq!(parse_version("2.0"), None);
    }
}
