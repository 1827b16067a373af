//! Checks on user input that need no I/O: emails, slugs, metadata.
//! They return the message a user sees; the caller names the field.

use serde_json::{Map, Value};

/// One problem with one input field, e.g. `attendee.email`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// The JSON path of the field, dotted (`attendee.timeZone`).
    pub field: String,
    /// What is wrong, readable on its own.
    pub message: String,
}

impl FieldIssue {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldIssue {
        FieldIssue {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A pragmatic email check: one `@`, a non-empty local part, a dotted domain of
/// letters, digits and hyphens, no spaces. It refuses typos, not exotic valid addresses.
pub fn email(s: &str) -> Result<(), String> {
    let invalid = || Err(format!("`{s}` is not a valid email address"));
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid();
    }
    let Some((local, domain)) = s.split_once('@') else {
        return invalid();
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return invalid();
    }
    Ok(())
}

/// A URL slug or username: 1–64 lower-case letters, digits, `-` and `_`, starting with a letter or digit.
pub fn slug(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` must be 1-64 lower-case letters, digits, '-' or '_'"
        ))
    }
}

/// The most metadata keys a booking may carry (Cal.com's limit).
pub const MAX_METADATA_KEYS: usize = 50;

/// Metadata keys starting with this are Convene's own (a scheduling link's customer
/// context), so a client cannot pass off its own values as ours.
pub const RESERVED_METADATA_PREFIX: &str = "convene.";

/// Cal.com's metadata limits: at most 50 keys, keys up to 40 characters, string values
/// up to 500; keys under [`RESERVED_METADATA_PREFIX`] are refused.
pub fn metadata(map: &Map<String, Value>) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if map.len() > MAX_METADATA_KEYS {
        issues.push(FieldIssue::new(
            "metadata",
            format!("at most {MAX_METADATA_KEYS} keys are allowed"),
        ));
    }
    for (key, value) in map {
        let field = format!("metadata.{key}");
        if key.chars().count() > 40 {
            issues.push(FieldIssue::new(&field, "keys are at most 40 characters"));
        }
        if key.starts_with(RESERVED_METADATA_PREFIX) {
            issues.push(FieldIssue::new(
                &field,
                format!("keys starting with `{RESERVED_METADATA_PREFIX}` are reserved for Convene"),
            ));
        }
        match value {
            Value::String(s) if s.chars().count() > 500 => {
                issues.push(FieldIssue::new(&field, "values are at most 500 characters"))
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
            _ => issues.push(FieldIssue::new(
                &field,
                "values must be strings, numbers or booleans",
            )),
        }
    }
    issues
}

/// Parses an IANA zone name such as `Europe/Berlin`.
pub fn time_zone(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not an IANA time zone (e.g. Europe/Berlin)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        let cases = [
            ("jane@acme.com", true),
            ("jane.doe+tag@mail.acme.co.uk", true),
            ("jane", false),
            ("jane@", false),
            ("@acme.com", false),
            ("jane@acme", false),
            ("jane@@acme.com", false),
            ("ja ne@acme.com", false),
            ("jane@-acme.com", false),
            ("jane@acme..com", false),
        ];
        for (input, ok) in cases {
            assert_eq!(email(input).is_ok(), ok, "{input}");
        }
    }

    #[test]
    fn slugs() {
        for (input, ok) in [
            ("30min", true),
            ("demo_user", true),
            ("", false),
            ("-x", false),
            ("Upper", false),
            ("a b", false),
        ] {
            assert_eq!(slug(input).is_ok(), ok, "{input:?}");
        }
    }

    #[test]
    fn metadata_limits() {
        let long_key = "k".repeat(41);
        let map: Map<String, Value> = [
            (long_key.clone(), Value::from("v")),
            ("big".to_string(), Value::from("x".repeat(501))),
            ("nested".to_string(), serde_json::json!({"a": 1})),
            ("ok".to_string(), Value::from(3)),
            ("convene.customerId".to_string(), Value::from("7")),
        ]
        .into_iter()
        .collect();
        let fields: Vec<String> = metadata(&map).into_iter().map(|i| i.field).collect();
        assert_eq!(fields.len(), 4);
        assert!(fields.contains(&"metadata.convene.customerId".to_string()));
        assert!(fields.contains(&format!("metadata.{long_key}")));
        assert!(fields.contains(&"metadata.big".to_string()));
        assert!(fields.contains(&"metadata.nested".to_string()));
    }

    #[test]
    fn zones() {
        assert!(time_zone("Europe/Berlin").is_ok());
        assert!(time_zone("Mars/Olympus").is_err());
    }
}
