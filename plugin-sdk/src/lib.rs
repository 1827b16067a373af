//! What a Convene provider plugin depends on: the `convene:plugin` world's bindings,
//! re-exported, plus the chores every provider integration repeats (JSON over the host's
//! HTTP, webhook signature checks, header lookup, the settings OAuth providers share).
//!
//! A plugin implements [`Guest`] and names its type with [`export!`]; see the README.

/// The generated bindings of the `convene:plugin/provider` world.
pub mod bindings {
    wit_bindgen::generate!({
        world: "provider",
        path: "wit",
        pub_export_macro: true,
        default_bindings_module: "convene_plugin_sdk::bindings",
    });
}

pub mod http;
pub mod settings;
pub mod signature;

pub use bindings::convene::plugin::types::*;
pub use bindings::convene::plugin::{clock, config, kv, log};
pub use bindings::export;
pub use bindings::exports::convene::plugin::guest::Guest;

/// The `convene:plugin` world version this SDK speaks; the host checks it at install.
pub const WORLD_VERSION: &str = "0.3.0";

/// The value of header `name` (ASCII case-insensitive), as providers' headers arrive in
/// any case.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The installation's setting `key`, or an error naming the missing setting.
pub fn required_config(key: &str) -> Result<String, PluginError> {
    config::get(key).ok_or_else(|| PluginError::Internal(format!("setting `{key}` is not set")))
}

/// Writes `message` to the host's log at `level`.
pub fn log(level: LogLevel, message: &str) {
    log::log(level, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_ignores_case() {
        let headers = vec![("X-Signature".to_string(), "abc".to_string())];
        assert_eq!(header(&headers, "x-signature"), Some("abc"));
        assert_eq!(header(&headers, "x-other"), None);
    }
}
