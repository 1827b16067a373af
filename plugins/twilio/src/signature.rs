//! Twilio's request signature (`X-Twilio-Signature`): base64 of the HMAC-SHA1, under the
//! account's auth token, of the full URL Twilio requested followed by every POST
//! parameter's name and value, ordered by name (then value) as Unix sorts bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// Whether `signature` is Twilio's for a POST of `params` to `url`, compared in
/// constant time.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], signature: &str) -> bool {
    let Ok(signature) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    mac(auth_token, url, params)
        .verify_slice(&signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
        STANDARD.encode(mac(auth_token, url, params).finalize().into_bytes())
    }

    /// The example of Twilio's webhook security page.
    fn documented() -> (String, Vec<(String, String)>) {
        let params = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ];
        (
            "https://mycompany.com/myapp.php?foo=1&bar=2".into(),
            params
                .iter()
                .rev()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn signs_as_twilio_documents_whatever_the_parameter_order() {
        let (url, params) = documented();
        assert_eq!(sign("12345", &url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify(
            "12345",
            &url,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
    }

    #[test]
    fn another_token_url_parameter_or_garbage_does_not_verify() {
        let (url, mut params) = documented();
        let good = sign("12345", &url, &params);
        assert!(!verify("54321", &url, &params, &good));
        assert!(!verify(
            "12345",
            "https://mycompany.com/myapp.php",
            &params,
            &good
        ));
        assert!(!verify("12345", &url, &params, "not base64!"));
        assert!(!verify("12345", &url, &params, ""));
        params[0].1.push('5');
        assert!(!verify("12345", &url, &params, &good));
    }
}
