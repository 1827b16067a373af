//! Settings a plugin declares in its manifest's `config`. A plugin whose provider uses
//! OAuth declares the same four (the host reads them by these keys: the API's base URL,
//! the OAuth server's, and the client Convene registered there), so they are written once.

use crate::ConfigField;

/// One setting: its `key`, the `label` an admin sees, whether it must be given, and
/// whether it is a secret (sealed at rest, shown as `********`).
pub fn field(key: &str, label: &str, required: bool, secret: bool) -> ConfigField {
    ConfigField {
        key: key.into(),
        label: label.into(),
        required,
        secret,
    }
}

/// The settings of an OAuth provider's plugin: `base_url` (labelled `api_label`),
/// `oauth_base_url`, `client_id` and `client_secret`, none required (the provider's
/// own URLs are the defaults; an installation brings its client).
pub fn oauth_provider(api_label: &str) -> Vec<ConfigField> {
    vec![
        field("base_url", api_label, false, false),
        field("oauth_base_url", "OAuth server base URL", false, false),
        field("client_id", "OAuth client id", false, false),
        field("client_secret", "OAuth client secret", false, true),
    ]
}
