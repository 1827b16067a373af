//! Erasing one person's personal data (a GDPR erasure) without breaking the records
//! their meetings are part of: a booking keeps its time, status and customer, and its
//! attendee becomes "Erased attendee" at a pseudonymous address.
//!
//! [`Scrub`] rewrites every stored text that may hold the person's address, name or
//! phone number: attendee rows, answers, guest lists, titles, and the stored copies of
//! webhook bodies and API responses.

use serde_json::Value;

/// The name an erased attendee is shown under.
pub const ERASED_NAME: &str = "Erased attendee";
/// What an erased phone number becomes inside free text.
pub const ERASED_PHONE: &str = "[erased]";
/// The domain of pseudonyms: `.invalid` is reserved (RFC 2606), so no mail is ever sent
/// to one and no customer can claim it.
pub const PSEUDONYM_DOMAIN: &str = "erased.invalid";

/// The address that replaces an erased person's, from random bytes the caller drew.
///
/// Random, not a hash of the address: a hash can be recomputed from a guessed address
/// and would tell who the erased attendee was. One erasure uses one pseudonym
/// everywhere, so the same person stays one attendee across their meetings.
pub fn pseudonym(random: [u8; 6]) -> String {
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("erased-{hex}@{PSEUDONYM_DOMAIN}")
}

/// One thing to find in stored text and what replaces it.
#[derive(Debug, Clone)]
struct Rule {
    needle: Vec<char>,
    replacement: String,
    /// Characters that continue a token: a match must not touch one on either side,
    /// so `jane@acme.com` is not found inside `mary.jane@acme.com`.
    part_of_token: fn(char) -> bool,
}

fn email_char(c: char) -> bool {
    c.is_alphanumeric() || "._%+-@".contains(c)
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// A person's address, name and phone numbers, and what they become.
#[derive(Debug, Clone)]
pub struct Scrub {
    pseudonym: String,
    rules: Vec<Rule>,
}

impl Scrub {
    /// Replaces `email` (any case) with `pseudonym`, `name` (any case, as whole words)
    /// with [`ERASED_NAME`] and each of `phones` with [`ERASED_PHONE`]. The name is also
    /// looked for as JSON writes it inside a string, so stored JSON bodies are covered.
    pub fn new(email: &str, name: &str, phones: &[String], pseudonym: String) -> Scrub {
        let mut rules = Vec::new();
        let mut add = |needle: &str, replacement: &str, part_of_token: fn(char) -> bool| {
            let needle: Vec<char> = needle.trim().chars().collect();
            let known = rules.iter().any(|r: &Rule| r.needle == needle);
            if !needle.is_empty() && !known {
                rules.push(Rule {
                    needle,
                    replacement: replacement.to_string(),
                    part_of_token,
                });
            }
        };
        add(email, &pseudonym, email_char);
        add(name, ERASED_NAME, word_char);
        let escaped = serde_json::to_string(name.trim()).unwrap_or_default();
        add(
            escaped.trim_start_matches('"').trim_end_matches('"'),
            ERASED_NAME,
            word_char,
        );
        for phone in phones {
            add(phone, ERASED_PHONE, word_char);
        }
        Scrub { pseudonym, rules }
    }

    /// The address that replaces the person's.
    pub fn pseudonym(&self) -> &str {
        &self.pseudonym
    }

    /// `text` with the person taken out; `None` when it did not mention them.
    pub fn text(&self, text: &str) -> Option<String> {
        let mut current: Option<String> = None;
        for rule in &self.rules {
            let source = current.as_deref().unwrap_or(text);
            if let Some(replaced) = replace_all(source, rule) {
                current = Some(replaced);
            }
        }
        current
    }

    /// Takes the person out of every string inside `value` (object keys are names of
    /// fields, not data, and stay); whether anything changed.
    pub fn json(&self, value: &mut Value) -> bool {
        match value {
            Value::String(s) => match self.text(s) {
                Some(replaced) => {
                    *s = replaced;
                    true
                }
                None => false,
            },
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, item| self.json(item) | changed),
            Value::Object(map) => map
                .values_mut()
                .fold(false, |changed, item| self.json(item) | changed),
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }
}

fn same_letter(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// Every case-insensitive, token-bounded occurrence of the rule's needle replaced.
fn replace_all(text: &str, rule: &Rule) -> Option<String> {
    let hay: Vec<char> = text.chars().collect();
    let n = rule.needle.len();
    let part = |i: usize| hay.get(i).is_some_and(|c| (rule.part_of_token)(*c));
    // A full stop after a match ends a sentence unless a token goes on behind it.
    let ends = |i: usize| !part(i) || (hay[i] == '.' && !part(i + 1));
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < hay.len() {
        let end = i + n;
        let found = end <= hay.len()
            && hay[i..end]
                .iter()
                .zip(&rule.needle)
                .all(|(a, b)| same_letter(*a, *b))
            && (i == 0 || !part(i - 1))
            && ends(end);
        if found {
            out.push_str(&rule.replacement);
            changed = true;
            i = end;
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn jane() -> Scrub {
        Scrub::new(
            "jane@acme.com",
            "Jane \"JD\" Doe",
            &["+4915112345678".to_string()],
            pseudonym([0xab, 0xcd, 0xef, 0x01, 0x23, 0x45]),
        )
    }

    #[test]
    fn pseudonyms_are_non_routable() {
        assert_eq!(
            pseudonym([0, 1, 2, 253, 254, 255]),
            "erased-000102fdfeff@erased.invalid"
        );
    }

    #[test]
    fn text_loses_the_address_the_name_and_the_phone() {
        let s = jane();
        for (input, expected) in [
            ("nothing here", None),
            (
                "30 min between Demo Host and Jane \"JD\" Doe",
                Some("30 min between Demo Host and Erased attendee"),
            ),
            (
                "write to JANE@Acme.com or jane@acme.com.",
                Some(
                    "write to erased-abcdef012345@erased.invalid or erased-abcdef012345@erased.invalid.",
                ),
            ),
            ("mary.jane@acme.com stays", None),
            ("jane@acme.community stays", None),
            ("call +4915112345678", Some("call [erased]")),
            ("+49151123456789 is another number", None),
        ] {
            assert_eq!(s.text(input).as_deref(), expected, "{input}");
        }
    }

    #[test]
    fn names_match_whole_words_in_any_case() {
        let s = Scrub::new("al@acme.com", "Al", &[], pseudonym([0; 6]));
        assert_eq!(
            s.text("Also ask AL."),
            Some("Also ask Erased attendee.".into())
        );
        assert_eq!(s.text("Also"), None);
    }

    #[test]
    fn json_strings_are_scrubbed_keys_kept() {
        let s = jane();
        let mut value = json!({
            "email": "jane@acme.com",
            "notes": "Jane \"JD\" Doe will join",
            "guests": ["bob@acme.com", "Jane@Acme.com"],
            "seats": 2,
        });
        assert!(s.json(&mut value));
        assert_eq!(
            value,
            json!({
                "email": "erased-abcdef012345@erased.invalid",
                "notes": "Erased attendee will join",
                "guests": ["bob@acme.com", "erased-abcdef012345@erased.invalid"],
                "seats": 2,
            })
        );
        assert!(!s.json(&mut json!({"jane@acme.com": 1})));
    }

    #[test]
    fn stored_json_text_stays_json() {
        let s = jane();
        let body = json!({"payload": {"attendees": [{"name": "Jane \"JD\" Doe", "email": "jane@acme.com"}]}})
            .to_string();
        let scrubbed = s.text(&body).expect("mentions her");
        let parsed: Value = serde_json::from_str(&scrubbed).expect("still JSON");
        assert_eq!(
            parsed["payload"]["attendees"][0],
            json!({"name": "Erased attendee", "email": "erased-abcdef012345@erased.invalid"})
        );
    }
}
