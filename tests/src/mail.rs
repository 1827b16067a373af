//! Reading the mail a test server wrote to its folder: headers unfolded and their
//! encoded words decoded, the quoted-printable body decoded, so tests assert on what a
//! recipient reads.

use base64::Engine;

/// One message as a recipient reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The `To` header, decoded: `Hans Müller <hans@acme.de>`.
    pub to: String,
    /// The subject, decoded.
    pub subject: String,
    /// The `Message-ID` header.
    pub message_id: String,
    /// The plain-text body, decoded.
    pub text: String,
}

impl Mail {
    /// Reads a raw message.
    pub fn parse(raw: &str) -> Mail {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
        let header = |name: &str| {
            unfolded
                .lines()
                .find_map(|line| line.strip_prefix(&format!("{name}: ")))
                .map(decode_words)
                .unwrap_or_default()
        };
        let quoted = header("Content-Transfer-Encoding") == "quoted-printable";
        Mail {
            to: header("To"),
            subject: header("Subject"),
            message_id: header("Message-ID"),
            text: if quoted {
                decode_quoted_printable(body)
            } else {
                body.to_string()
            },
        }
    }
}

/// Decodes RFC 2047 words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); a space between two
/// encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = false;
    for (i, token) in value.split(' ').enumerate() {
        let decoded = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
                match encoding.to_ascii_lowercase().as_str() {
                    "b" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()
                        .and_then(|bytes| String::from_utf8(bytes).ok()),
                    "q" => Some(decode_quoted_printable(&text.replace('_', " "))),
                    _ => None,
                }
            });
        if i > 0 && !(previous_encoded && decoded.is_some()) {
            out.push(' ');
        }
        previous_encoded = decoded.is_some();
        out.push_str(&decoded.unwrap_or_else(|| token.to_string()));
    }
    out
}

/// Decodes a quoted-printable text: `=` at a line's end joins lines, `=XX` is a byte.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_headers_and_bodies_read_as_sent() {
        let raw = "To: =?utf-8?b?SGFucyBNw7xsbGVy?= <hans@acme.de>\r\nSubject: Reminder: with Hans\r\n =?utf-8?b?TcO8bGxlcg==?=\r\nMessage-ID: <k@x>\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHi =C3=BC, a long line that wra=\r\nps.";
        let mail = Mail::parse(raw);
        assert_eq!(mail.to, "Hans Müller <hans@acme.de>");
        assert_eq!(mail.subject, "Reminder: with Hans Müller");
        assert_eq!(mail.message_id, "<k@x>");
        assert_eq!(mail.text, "Hi ü, a long line that wraps.");
    }
}
