//! Webhook signature checks. Providers sign with HMAC-SHA256, hex-encoded, over the raw
//! body (Cal.com) or over `"{timestamp}.{body}"` with a `t=...,v1=...` header (Stripe,
//! Calendly), or echo a shared secret (Microsoft Graph); comparisons are constant-time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Hex HMAC-SHA256 of `message` under `secret`.
pub fn hmac_sha256_hex(secret: &[u8], message: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature_hex` is the HMAC-SHA256 of `message` under `secret`.
pub fn verify_hmac_sha256_hex(secret: &[u8], message: &[u8], signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(message);
    mac.verify_slice(&signature).is_ok()
}

/// Whether a shared secret echoed back (Microsoft Graph's `clientState`) is `expected`,
/// compared in constant time so the comparison leaks nothing of it.
pub fn same_secret(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// A fresh secret for a provider to echo back (a Graph `clientState`, a Google channel
/// token): `bytes` from the host's cryptographic random source, hex-encoded.
pub fn random_secret(bytes: usize) -> Result<String, crate::PluginError> {
    let mut secret = vec![0u8; bytes];
    getrandom::fill(&mut secret).map_err(|e| crate::PluginError::Internal(e.to_string()))?;
    Ok(hex::encode(secret))
}

/// A `t=1700000000,v1=abc...,v1=def...` header: the timestamp and every `v1` signature
/// (several during a secret rotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampedSignature {
    pub timestamp: i64,
    pub signatures: Vec<String>,
}

impl TimestampedSignature {
    /// Parses the header; `None` when the timestamp or every signature is missing.
    pub fn parse(header: &str) -> Option<TimestampedSignature> {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            match part.trim().split_once('=') {
                Some(("t", value)) => timestamp = value.parse().ok(),
                Some(("v1", value)) => signatures.push(value.to_string()),
                _ => {}
            }
        }
        let timestamp = timestamp?;
        (!signatures.is_empty()).then_some(TimestampedSignature {
            timestamp,
            signatures,
        })
    }

    /// Whether one signature is the HMAC of `"{t}.{body}"` under `secret` and the
    /// timestamp is within `tolerance_s` of `now_s` (an old, replayed delivery fails).
    pub fn verify(&self, secret: &[u8], body: &[u8], now_s: i64, tolerance_s: i64) -> bool {
        if (now_s - self.timestamp).abs() > tolerance_s {
            return false;
        }
        let mut message = format!("{}.", self.timestamp).into_bytes();
        message.extend_from_slice(body);
        self.signatures
            .iter()
            .any(|signature| verify_hmac_sha256_hex(secret, &message, signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_signature_round_trips_and_rejects_tampering() {
        let signature = hmac_sha256_hex(b"secret", b"{\"a\":1}");
        assert!(verify_hmac_sha256_hex(b"secret", b"{\"a\":1}", &signature));
        assert!(!verify_hmac_sha256_hex(b"secret", b"{\"a\":2}", &signature));
        assert!(!verify_hmac_sha256_hex(b"other", b"{\"a\":1}", &signature));
        assert!(!verify_hmac_sha256_hex(b"secret", b"{\"a\":1}", "not hex"));
    }

    #[test]
    fn random_secrets_are_hex_of_the_asked_length_and_differ() {
        let one = random_secret(16).unwrap();
        assert_eq!(one.len(), 32);
        assert!(one.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(one, random_secret(16).unwrap());
    }

    #[test]
    fn echoed_secrets_match_only_exactly() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3creT"));
        assert!(!same_secret("s3cret", "s3cre"));
        assert!(!same_secret("s3cret", ""));
    }

    #[test]
    fn timestamped_signature_checks_time_and_any_v1() {
        let body = b"{}";
        let good = hmac_sha256_hex(b"whsec", b"1000.{}");
        let header = format!("t=1000,v1=deadbeef,v1={good}");
        let parsed = TimestampedSignature::parse(&header).unwrap();
        assert_eq!(parsed.timestamp, 1000);
        assert!(parsed.verify(b"whsec", body, 1100, 300));
        assert!(!parsed.verify(b"whsec", body, 1301, 300), "stale");
        assert!(!parsed.verify(b"whsec", b"{ }", 1100, 300), "other body");
        assert_eq!(TimestampedSignature::parse("v1=abc"), None);
        assert_eq!(TimestampedSignature::parse("t=5"), None);
    }
}
