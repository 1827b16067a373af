//! Outgoing webhooks, the pure half: Cal.com's trigger names, the body signature,
//! custom payload templates, the retry schedule, and the checks that keep a
//! subscriber URL from pointing the server at its own network (SSRF).
//!
//! Sending, DNS resolution and persistence live elsewhere; they call in here so
//! that every rule about *what* is sent *where* and *when* is testable without a
//! network. Resolved addresses must still go through
//! [`destination::address_allowed`](super::destination::address_allowed): a public host
//! name can resolve to a private address.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};

use super::destination::ends_in_number;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

/// What happened, in Cal.com's webhook trigger names (SCREAMING_SNAKE_CASE on the wire).
///
/// Subscriptions list the triggers they want; the name goes out as `triggerEvent`
/// in every body, so receivers written for Cal.com keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Trigger {
    /// A booking was made and confirmed (`BOOKING_CREATED`).
    BookingCreated,
    /// A booking awaits the host's confirmation (`BOOKING_REQUESTED`).
    BookingRequested,
    /// A booking moved to another time (`BOOKING_RESCHEDULED`).
    BookingRescheduled,
    /// A booking was cancelled (`BOOKING_CANCELLED`).
    BookingCancelled,
    /// The host declined a requested booking (`BOOKING_REJECTED`).
    BookingRejected,
    /// The payment for a booking went through (`BOOKING_PAID`).
    BookingPaid,
    /// An attendee's or host's no-show mark changed. Cal.com calls this
    /// `BOOKING_NO_SHOW_UPDATED`; `BOOKING_NO_SHOW` is accepted when parsing.
    #[serde(rename = "BOOKING_NO_SHOW_UPDATED", alias = "BOOKING_NO_SHOW")]
    BookingNoShow,
    /// The meeting's start time was reached (`MEETING_STARTED`).
    MeetingStarted,
    /// The meeting's end time was reached (`MEETING_ENDED`).
    MeetingEnded,
    /// A meeting recording can be downloaded (`RECORDING_READY`).
    RecordingReady,
    /// A routing form was submitted (`FORM_SUBMITTED`).
    FormSubmitted,
    /// An out-of-office entry was created (`OOO_CREATED`).
    OooCreated,
    /// A round-robin booking was handed to another host (`BOOKING_REASSIGNED`).
    BookingReassigned,
}

impl Trigger {
    /// Every trigger, in declaration order: for listings and exhaustive checks.
    pub const ALL: [Trigger; 13] = [
        Trigger::BookingCreated,
        Trigger::BookingRequested,
        Trigger::BookingRescheduled,
        Trigger::BookingCancelled,
        Trigger::BookingRejected,
        Trigger::BookingPaid,
        Trigger::BookingNoShow,
        Trigger::MeetingStarted,
        Trigger::MeetingEnded,
        Trigger::RecordingReady,
        Trigger::FormSubmitted,
        Trigger::OooCreated,
        Trigger::BookingReassigned,
    ];

    /// The wire name, e.g. `BOOKING_CREATED` (the same text serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::BookingCreated => "BOOKING_CREATED",
            Trigger::BookingRequested => "BOOKING_REQUESTED",
            Trigger::BookingRescheduled => "BOOKING_RESCHEDULED",
            Trigger::BookingCancelled => "BOOKING_CANCELLED",
            Trigger::BookingRejected => "BOOKING_REJECTED",
            Trigger::BookingPaid => "BOOKING_PAID",
            Trigger::BookingNoShow => "BOOKING_NO_SHOW_UPDATED",
            Trigger::MeetingStarted => "MEETING_STARTED",
            Trigger::MeetingEnded => "MEETING_ENDED",
            Trigger::RecordingReady => "RECORDING_READY",
            Trigger::FormSubmitted => "FORM_SUBMITTED",
            Trigger::OooCreated => "OOO_CREATED",
            Trigger::BookingReassigned => "BOOKING_REASSIGNED",
        }
    }

    /// The trigger with this wire name (exact, case-sensitive, as Cal.com's API is);
    /// `None` for anything else. `BOOKING_NO_SHOW` is accepted as an alias.
    pub fn parse(s: &str) -> Option<Trigger> {
        if s == "BOOKING_NO_SHOW" {
            return Some(Trigger::BookingNoShow);
        }
        Trigger::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for Trigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What Cal.com sends in `X-Cal-Signature-256` when the subscription has no secret.
const NO_SECRET: &str = "no-secret-provided";

/// The `X-Cal-Signature-256` header value: lowercase hex HMAC-SHA256 of the raw body
/// with the secret; without a secret, Cal.com sends the literal "no-secret-provided".
///
/// An empty secret counts as no secret, as in Cal.com (an empty string is falsy there).
/// Receivers verify by recomputing this over the exact bytes sent, so `body` must be
/// the serialized body as it goes on the wire.
pub fn signature(secret: Option<&str>, body: &[u8]) -> String {
    match secret {
        Some(secret) if !secret.is_empty() => {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
                .expect("HMAC accepts keys of any length");
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        _ => NO_SECRET.to_string(),
    }
}

/// Why a custom payload template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `{{` with no `}}` after it; `position` is its byte offset in the template.
    #[error(
        "the payload template has a `{{{{` at position {position} that is never closed with `}}}}`"
    )]
    Unclosed {
        /// Byte offset of the unclosed `{{` in the template.
        position: usize,
    },
    /// The filled-in template does not parse as JSON; carries the parser's message.
    #[error("the payload template is not valid JSON once filled in: {0}")]
    InvalidJson(String),
}

/// Renders a payload template (Cal.com "custom payload"): `{{path}}` placeholders are
/// looked up in `event` (the full webhook body as JSON: `{"triggerEvent","createdAt","payload":{...}}`),
/// path syntax `payload.attendees[0].email`, `triggerEvent`, `payload.organizer.name`.
///
/// A placeholder inside a JSON string literal becomes the value's text, JSON-escaped,
/// without quotes (a string's content; numbers and booleans as text; objects and arrays
/// as compact JSON, escaped; `null` as empty text). A placeholder outside a string
/// literal becomes the value as a JSON value (a string with quotes, a number, an
/// object…). A missing path — unknown key, index out of range, or a path that is not
/// well formed — gives `null` outside a string and empty text inside, so one absent
/// field does not break a whole delivery. Spaces inside the braces are ignored.
///
/// The result must parse as JSON, else [`TemplateError::InvalidJson`]; an unclosed `{{`
/// is [`TemplateError::Unclosed`]. Whether a placeholder is inside a string is decided
/// from the template's own quotes (honouring `\"` escapes), never from inserted text,
/// which is always escaped or a complete JSON value.
pub fn render_template(template: &str, event: &Value) -> Result<String, TemplateError> {
    let bytes = template.as_bytes();
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut copied_to = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'{' && bytes.get(i + 1) == Some(&b'{') {
            out.push_str(&template[copied_to..i]);
            let start = i + 2;
            let Some(len) = template[start..].find("}}") else {
                return Err(TemplateError::Unclosed { position: i });
            };
            let value = lookup(event, template[start..start + len].trim());
            if in_string {
                push_string_content(&mut out, value);
            } else {
                out.push_str(&value.map_or_else(|| "null".to_string(), Value::to_string));
            }
            i = start + len + 2;
            copied_to = i;
            continue;
        }
        if b == b'"' {
            in_string = !in_string;
        } else if b == b'\\' && in_string {
            // Skip the escaped character, so `\"` does not end the literal.
            i += 1;
        }
        i += 1;
    }
    out.push_str(&template[copied_to..]);
    serde_json::from_str::<Value>(&out).map_err(|e| TemplateError::InvalidJson(e.to_string()))?;
    Ok(out)
}

/// Appends `value`'s text to `out`, escaped for use inside a JSON string literal.
fn push_string_content(out: &mut String, value: Option<&Value>) {
    let text = match value {
        None | Some(Value::Null) => return,
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let quoted = Value::String(text).to_string();
    out.push_str(&quoted[1..quoted.len() - 1]);
}

/// Follows a path such as `payload.attendees[0].email` into `root`; `None` when any
/// step is missing, out of range, of the wrong kind, or the path is malformed.
fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return None;
    }
    let mut current = root;
    for segment in path.split('.') {
        let (name, mut indexes) = segment.split_at(segment.find('[').unwrap_or(segment.len()));
        if name.is_empty() && indexes.is_empty() {
            return None;
        }
        if !name.is_empty() {
            current = current.as_object()?.get(name.trim())?;
        }
        while !indexes.is_empty() {
            let inner = indexes.strip_prefix('[')?;
            let close = inner.find(']')?;
            let index: usize = inner[..close].trim().parse().ok()?;
            current = current.as_array()?.get(index)?;
            indexes = &inner[close + 1..];
        }
    }
    Some(current)
}

/// Attempts a delivery gets before it goes to the dead letters.
const MAX_ATTEMPTS: u32 = 5;

/// Delivery retry schedule: the delay before attempt `attempt` (1-based): 1 → 0 s,
/// 2 → 5 s, 3 → 25 s, 4 → 125 s, 5 → 625 s; `None` after the 5th attempt (dead letter).
///
/// `scale` divides the delays (1 in production; tests shorten the schedule with a
/// larger scale), never below 0; a scale of 0 counts as 1. Attempt 0 is treated as
/// the first attempt (no delay) rather than as a dead letter, so an off-by-one in a
/// caller delays nothing and loses nothing.
pub fn retry_delay(attempt: u32, scale: u32) -> Option<Duration> {
    match attempt {
        0 | 1 => Some(Duration::ZERO),
        n if n <= MAX_ATTEMPTS => Some(Duration::from_secs(5u64.pow(n - 1)) / scale.max(1)),
        _ => None,
    }
}

/// After this many consecutive failed deliveries a subscription is switched off, so a
/// dead receiver stops costing delivery work; its owner re-enables it when fixed.
pub const DISABLE_AFTER_FAILURES: u32 = 20;

/// A subscriber URL, checked: scheme http/https only, a host, optional port; no
/// userinfo; no fragment. Only the parts that decide where a request goes are kept;
/// the path and query are sent as the user wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberUrl {
    /// `http` or `https`, lower-case.
    pub scheme: String,
    /// The host, lower-case: a DNS name, a dotted-quad IPv4 address, or an IPv6
    /// address without its URL brackets (e.g. `::1`).
    pub host: String,
    /// The port, or the scheme's default (80 for http, 443 for https).
    pub port: u16,
}

/// Longest subscriber URL accepted; browsers and proxies start failing beyond this.
const MAX_URL_LEN: usize = 2048;

/// Checks a subscriber URL and extracts where it points. The error is a message for
/// the API user that names the problem.
///
/// Besides the rules on [`SubscriberUrl`], spaces, control characters and backslashes
/// are refused, as are numeric hosts that are not a plain dotted quad (`127.1`,
/// `0x7f.0.0.1`, `2130706433`): HTTP clients read those as IP addresses, and they
/// would otherwise slip past the host checks under a disguise.
pub fn parse_subscriber_url(url: &str) -> Result<SubscriberUrl, String> {
    if url.is_empty() {
        return Err("the URL is empty".to_string());
    }
    if url.len() > MAX_URL_LEN {
        return Err(format!("the URL is longer than {MAX_URL_LEN} characters"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{url}` contains spaces or control characters; percent-encode them"
        ));
    }
    if url.contains('\\') {
        return Err(format!("`{url}` contains a backslash"));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "`{url}` is not an absolute URL; it must start with http:// or https://"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => {
            return Err(format!(
                "only http and https URLs are supported, not `{scheme}`"
            ));
        }
    };
    if rest.contains('#') {
        return Err("the URL must not contain a fragment (`#...`)".to_string());
    }
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    if authority.contains('@') {
        return Err(
            "the URL must not contain a user name or password (`user@`); use the webhook secret instead"
                .to_string(),
        );
    }
    if authority.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((inner, after)) = bracketed.split_once(']') else {
            return Err(format!(
                "`{authority}` opens `[` for an IPv6 address but never closes it"
            ));
        };
        let Ok(ip) = inner.parse::<Ipv6Addr>() else {
            return Err(format!("`[{inner}]` is not an IPv6 address"));
        };
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return Err(format!("unexpected `{after}` after the IPv6 address")),
            },
        };
        (ip.to_string(), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err(format!("`{url}` has no host"));
        }
        (check_host_name(host)?, port)
    };
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => {
                return Err(format!(
                    "`{p}` is not a port; ports are numbers from 1 to 65535"
                ));
            }
        },
    };
    Ok(SubscriberUrl { scheme, host, port })
}

/// Checks a host name written without brackets and returns it lower-cased.
fn check_host_name(host: &str) -> Result<String, String> {
    if !host.is_ascii() {
        return Err(format!(
            "`{host}` is not an ASCII host name; write internationalised names in their xn-- form"
        ));
    }
    let host = host.to_ascii_lowercase();
    if ends_in_number(&host) {
        return match host.parse::<Ipv4Addr>() {
            Ok(_) => Ok(host),
            Err(_) => Err(format!(
                "`{host}` is not a valid IPv4 address; write all four parts in decimal (e.g. 203.0.113.7)"
            )),
        };
    }
    let labels_ok = host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if labels_ok {
        Ok(host)
    } else {
        Err(format!("`{host}` is not a valid host name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn triggers_round_trip() {
        for trigger in Trigger::ALL {
            assert_eq!(
                Trigger::parse(trigger.as_str()),
                Some(trigger),
                "{trigger:?}"
            );
            assert_eq!(trigger.to_string(), trigger.as_str());
            let wire = serde_json::to_value(trigger).unwrap();
            assert_eq!(wire, json!(trigger.as_str()), "{trigger:?}");
            assert_eq!(serde_json::from_value::<Trigger>(wire).unwrap(), trigger);
        }
        let distinct: std::collections::HashSet<&str> =
            Trigger::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(distinct.len(), Trigger::ALL.len());
    }

    #[test]
    fn trigger_names() {
        let cases = [
            ("BOOKING_CREATED", Some(Trigger::BookingCreated)),
            ("OOO_CREATED", Some(Trigger::OooCreated)),
            ("BOOKING_NO_SHOW_UPDATED", Some(Trigger::BookingNoShow)),
            ("BOOKING_NO_SHOW", Some(Trigger::BookingNoShow)),
            ("booking_created", None),
            ("BOOKING_CREATED ", None),
            ("PING", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(Trigger::parse(input), expected, "{input:?}");
        }
    }

    #[test]
    fn signatures() {
        let cases = [
            (
                "known vector",
                Some("secret"),
                &br#"{"a":1}"#[..],
                "aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494",
            ),
            ("no secret", None, &br#"{"a":1}"#[..], "no-secret-provided"),
            ("empty secret", Some(""), &b"x"[..], "no-secret-provided"),
        ];
        for (name, secret, body, expected) in cases {
            assert_eq!(signature(secret, body), expected, "{name}");
        }
    }

    /// What a template test expects.
    enum Want {
        Json(Value),
        Unclosed(usize),
        InvalidJson,
    }

    #[test]
    fn templates() {
        let event = json!({
            "triggerEvent": "BOOKING_CREATED",
            "createdAt": "2024-05-01T09:00:00Z",
            "payload": {
                "title": "Intro",
                "price": 25,
                "paid": true,
                "location": null,
                "organizer": {"name": "Olga"},
                "attendees": [
                    {"name": "Ann \"The\" O\\Brien", "email": "ann@example.com"},
                    {"name": "Bob"}
                ],
                "grid": [["a", "b"], ["c"]]
            }
        });
        let attendees = event["payload"]["attendees"].clone();
        use Want::*;
        let cases = [
            (
                "name in string",
                r#"{"t":"Hi {{payload.attendees[0].name}}"}"#,
                Json(json!({"t": "Hi Ann \"The\" O\\Brien"})),
            ),
            (
                "array as value",
                r#"{"n": {{payload.attendees}}}"#,
                Json(json!({"n": attendees})),
            ),
            (
                "string as value",
                r#"{"t": {{triggerEvent}}}"#,
                Json(json!({"t": "BOOKING_CREATED"})),
            ),
            (
                "number as value",
                r#"{"p": {{payload.price}}}"#,
                Json(json!({"p": 25})),
            ),
            (
                "number in string",
                r#"{"p": "{{payload.price}} USD"}"#,
                Json(json!({"p": "25 USD"})),
            ),
            (
                "bool in string",
                r#"{"p": "{{payload.paid}}"}"#,
                Json(json!({"p": "true"})),
            ),
            (
                "object in string",
                r#"{"o": "{{payload.organizer}}"}"#,
                Json(json!({"o": "{\"name\":\"Olga\"}"})),
            ),
            (
                "nested path",
                r#"{"o": "{{payload.organizer.name}}"}"#,
                Json(json!({"o": "Olga"})),
            ),
            (
                "spaces in braces",
                r#"{"t": "{{ payload.title }}"}"#,
                Json(json!({"t": "Intro"})),
            ),
            (
                "as object key",
                r#"{"{{payload.title}}": 1}"#,
                Json(json!({"Intro": 1})),
            ),
            (
                "after escaped quote",
                r#"{"t": "say \"{{payload.title}}\""}"#,
                Json(json!({"t": "say \"Intro\""})),
            ),
            (
                "missing outside",
                r#"{"x": {{payload.nope}}}"#,
                Json(json!({"x": null})),
            ),
            (
                "missing inside",
                r#"{"x": "a{{payload.nope}}b"}"#,
                Json(json!({"x": "ab"})),
            ),
            (
                "null inside",
                r#"{"x": "a{{payload.location}}b"}"#,
                Json(json!({"x": "ab"})),
            ),
            (
                "null outside",
                r#"{"x": {{payload.location}}}"#,
                Json(json!({"x": null})),
            ),
            (
                "nested arrays",
                r#"{"x": {{payload.grid[0][1]}}}"#,
                Json(json!({"x": "b"})),
            ),
            (
                "index out of range",
                r#"{"x": {{payload.attendees[5].name}}}"#,
                Json(json!({"x": null})),
            ),
            (
                "inner index out of range",
                r#"{"x": "{{payload.grid[1][3]}}"}"#,
                Json(json!({"x": ""})),
            ),
            (
                "index into object",
                r#"{"x": {{payload.organizer[0]}}}"#,
                Json(json!({"x": null})),
            ),
            (
                "key into array",
                r#"{"x": {{payload.attendees.name}}}"#,
                Json(json!({"x": null})),
            ),
            (
                "malformed path",
                r#"{"x": {{payload..title}}}"#,
                Json(json!({"x": null})),
            ),
            ("empty path", r#"{"x": {{}}}"#, Json(json!({"x": null}))),
            (
                "no placeholders",
                r#"{"a": [1, "}}"]}"#,
                Json(json!({"a": [1, "}}"]})),
            ),
            ("unclosed", r#"{"x": "{{payload.title"}"#, Unclosed(7)),
            ("unclosed at start", "{{", Unclosed(0)),
            ("not json", "Hi {{payload.title}}", InvalidJson),
            (
                "two values",
                r#"{"x": {{payload.title}} {{payload.title}}}"#,
                InvalidJson,
            ),
            ("empty template", "", InvalidJson),
        ];
        for (name, template, want) in cases {
            let got = render_template(template, &event);
            match want {
                Json(expected) => {
                    let text = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                    let value: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(value, expected, "{name}: {text}");
                }
                Unclosed(position) => {
                    assert_eq!(got, Err(TemplateError::Unclosed { position }), "{name}")
                }
                InvalidJson => {
                    assert!(
                        matches!(got, Err(TemplateError::InvalidJson(_))),
                        "{name}: {got:?}"
                    )
                }
            }
        }
    }

    #[test]
    fn template_error_messages() {
        let unclosed = TemplateError::Unclosed { position: 3 }.to_string();
        assert_eq!(
            unclosed,
            "the payload template has a `{{` at position 3 that is never closed with `}}`"
        );
        let invalid = render_template("nope", &json!({})).unwrap_err().to_string();
        assert!(
            invalid.starts_with("the payload template is not valid JSON once filled in: "),
            "{invalid}"
        );
    }

    #[test]
    fn retry_schedule() {
        let s = Duration::from_secs;
        let cases = [
            (1, 1, Some(s(0))),
            (2, 1, Some(s(5))),
            (3, 1, Some(s(25))),
            (4, 1, Some(s(125))),
            (5, 1, Some(s(625))),
            (6, 1, None),
            (1, 5, Some(s(0))),
            (2, 5, Some(s(1))),
            (3, 5, Some(s(5))),
            (4, 5, Some(s(25))),
            (5, 5, Some(s(125))),
            (6, 5, None),
            (u32::MAX, 1, None),
            (2, 1000, Some(Duration::from_millis(5))),
            (5, u32::MAX, Some(Duration::from_nanos(145))),
            (3, 0, Some(s(25))),
            (0, 1, Some(s(0))),
        ];
        for (attempt, scale, expected) in cases {
            assert_eq!(
                retry_delay(attempt, scale),
                expected,
                "attempt {attempt}, scale {scale}"
            );
        }
    }

    #[test]
    fn subscriber_urls() {
        let ok = |scheme: &str, host: &str, port: u16| {
            Ok(SubscriberUrl {
                scheme: scheme.into(),
                host: host.into(),
                port,
            })
        };
        let cases: [(&str, &str, Result<SubscriberUrl, &str>); 24] = [
            ("http", "http://example.com", ok("http", "example.com", 80)),
            (
                "https",
                "https://hooks.example.com/cal/in",
                ok("https", "hooks.example.com", 443),
            ),
            (
                "https with port",
                "https://example.com:8443/x?y=1",
                ok("https", "example.com", 8443),
            ),
            (
                "http with port",
                "http://127.0.0.1:3000/hook",
                ok("http", "127.0.0.1", 3000),
            ),
            (
                "query right after host",
                "http://example.com?x=1",
                ok("http", "example.com", 80),
            ),
            (
                "upper case",
                "HTTPS://Hooks.Example.COM/Path",
                ok("https", "hooks.example.com", 443),
            ),
            ("ipv6", "http://[::1]:8080/", ok("http", "::1", 8080)),
            (
                "ipv6 default port",
                "https://[2606:4700::1111]",
                ok("https", "2606:4700::1111", 443),
            ),
            ("ftp", "ftp://example.com/file", Err("only http and https")),
            (
                "javascript",
                "javascript:alert(1)",
                Err("not an absolute URL"),
            ),
            ("no host", "http://", Err("has no host")),
            ("no host before path", "http:///path", Err("has no host")),
            ("port without host", "http://:80/", Err("has no host")),
            (
                "userinfo",
                "https://user:pass@example.com/",
                Err("user name or password"),
            ),
            (
                "user only",
                "https://user@example.com/",
                Err("user name or password"),
            ),
            ("fragment", "https://example.com/#top", Err("fragment")),
            ("garbage", "not a url", Err("spaces")),
            ("no scheme", "example.com/hook", Err("not an absolute URL")),
            (
                "port too big",
                "http://example.com:99999",
                Err("not a port"),
            ),
            ("port zero", "http://example.com:0", Err("not a port")),
            ("empty port", "http://example.com:/", Err("not a port")),
            (
                "short ipv4",
                "http://127.1/",
                Err("not a valid IPv4 address"),
            ),
            (
                "bad host",
                "http://exa_mple-.com/",
                Err("not a valid host name"),
            ),
            (
                "backslash",
                "http://example.com\\@127.0.0.1/",
                Err("backslash"),
            ),
        ];
        for (name, input, expected) in cases {
            match (parse_subscriber_url(input), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{name}"),
                (Err(message), Err(fragment)) => {
                    assert!(message.contains(fragment), "{name}: {message}")
                }
                (got, want) => panic!("{name}: got {got:?}, expected {want:?}"),
            }
        }
    }
}
