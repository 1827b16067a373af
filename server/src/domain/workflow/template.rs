//! Message templates: text with `{VARIABLE}` placeholders filled per recipient.
//!
//! A placeholder is a brace pair around letters, digits, spaces and underscores
//! (`{ATTENDEE_NAME}`, `{event time}`), read case-insensitively with spaces as
//! underscores; any other brace is literal text, so JSON in a webhook body stays as it
//! is. Unknown variables are refused when a workflow is saved, naming the variable,
//! rather than becoming a blank in a message someone receives.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The variables every booking message can use, with what they stand for.
pub const VARIABLES: [(&str, &str); 14] = [
    ("ATTENDEE_NAME", "the invitee's name"),
    ("ATTENDEE_FIRST_NAME", "the invitee's first name"),
    ("ATTENDEE_EMAIL", "the invitee's email"),
    ("HOST_NAME", "the host's name"),
    ("HOST_EMAIL", "the host's email"),
    ("EVENT_NAME", "the booking's title"),
    (
        "EVENT_DATE",
        "the day of the meeting, in the recipient's zone and language",
    ),
    (
        "EVENT_TIME",
        "the start time, in the recipient's zone and language",
    ),
    (
        "EVENT_END_TIME",
        "the end time, in the recipient's zone and language",
    ),
    ("TIMEZONE", "the recipient's time zone"),
    ("LOCATION", "where the meeting happens"),
    ("MEETING_URL", "the video link, if any"),
    ("CANCEL_URL", "the page that cancels the booking"),
    ("RESCHEDULE_URL", "the page that reschedules the booking"),
];

/// A variable that stands for the answer to the booking question `slug`:
/// `{ANSWER_COMPANY_SIZE}` for `company-size`.
pub fn answer_variable(slug: &str) -> String {
    format!("ANSWER_{}", normalize(slug))
}

fn normalize(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The pieces of a template: literal text and variables (normalized names).
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ' '))
            .unwrap_or(after.len());
        let is_variable =
            after[name_len..].starts_with('}') && !after[..name_len].trim().is_empty();
        if is_variable {
            out.push(Piece::Text(&rest[..open]));
            out.push(Piece::Variable(normalize(&after[..name_len])));
            rest = &after[name_len + 1..];
        } else {
            out.push(Piece::Text(&rest[..=open]));
            rest = after;
        }
    }
    out.push(Piece::Text(rest));
    out
}

enum Piece<'a> {
    Text(&'a str),
    Variable(String),
}

/// The variables of a routing form's messages, besides its answers.
pub const FORM_VARIABLES: [(&str, &str); 2] = [
    ("FORM_NAME", "the form's name"),
    (
        "FORM_RESPONSES",
        "every answer, one `label: answer` per line",
    ),
];

/// Which variables a message may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary<'a> {
    /// A booking's message: the standard variables and the answer variables of these
    /// questions; `None` accepts any answer variable (a workflow on every event type
    /// meets questions that do not exist yet).
    Booking(Option<&'a [String]>),
    /// A routing form's message: its variables and any answer variable.
    Form,
}

impl Vocabulary<'_> {
    /// Whether a message may use variable `name` (normalized).
    pub fn knows(&self, name: &str) -> bool {
        let any_answer = name.starts_with("ANSWER_");
        match self {
            Vocabulary::Booking(answers) => {
                VARIABLES.iter().any(|(v, _)| *v == name)
                    || match answers {
                        Some(answers) => answers.iter().any(|a| a == name),
                        None => any_answer,
                    }
            }
            Vocabulary::Form => any_answer || FORM_VARIABLES.iter().any(|(v, _)| *v == name),
        }
    }
}

/// The variables `template` uses, once each, in order of appearance.
pub fn variables(template: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for piece in pieces(template) {
        if let Piece::Variable(name) = piece
            && !found.contains(&name)
        {
            found.push(name);
        }
    }
    found
}

/// The variables `template` uses that `vocabulary` does not know, in order.
pub fn unknown_variables(template: &str, vocabulary: Vocabulary<'_>) -> Vec<String> {
    variables(template)
        .into_iter()
        .filter(|name| !vocabulary.knows(name))
        .collect()
}

/// Fills `template` with `values` (by normalized name); a variable without a value
/// (a question left unanswered) becomes empty text.
pub fn render(template: &str, values: &BTreeMap<String, String>) -> String {
    pieces(template)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.to_string(),
            Piece::Variable(name) => values.get(&name).cloned().unwrap_or_default(),
        })
        .collect()
}

/// The date and time variables of a meeting from `start` to `end`, on `zone`'s clock
/// in `language` (ISO 639-1, optionally with a region: `de`, `pt-BR`).
pub fn time_values(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    zone: Tz,
    language: &str,
) -> [(&'static str, String); 4] {
    let locale = locale(language);
    let (date_format, time_format) = if language_code(language) == "en" {
        ("%A, %B %-d, %Y", "%-I:%M %p")
    } else {
        ("%A %-d %B %Y", "%H:%M")
    };
    let local_start = start.with_timezone(&zone);
    let local_end = end.with_timezone(&zone);
    [
        (
            "EVENT_DATE",
            local_start
                .format_localized(date_format, locale)
                .to_string(),
        ),
        (
            "EVENT_TIME",
            local_start
                .format_localized(time_format, locale)
                .to_string(),
        ),
        (
            "EVENT_END_TIME",
            local_end.format_localized(time_format, locale).to_string(),
        ),
        ("TIMEZONE", zone.name().to_string()),
    ]
}

fn language_code(language: &str) -> String {
    language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The locale for a language tag: its own region when given (`pt-BR`), the
/// language's home otherwise, English when unknown.
fn locale(language: &str) -> chrono::Locale {
    let code = language_code(language);
    let region = language
        .split(['-', '_'])
        .nth(1)
        .map(str::to_ascii_uppercase);
    let home = match code.as_str() {
        "en" => "US",
        "ja" => "JP",
        "zh" => "CN",
        "ko" => "KR",
        "sv" => "SE",
        "da" => "DK",
        "cs" => "CZ",
        "el" => "GR",
        "uk" => "UA",
        "he" => "IL",
        "nb" => "NO",
        other => other,
    };
    let candidates = region
        .map(|r| format!("{code}_{r}"))
        .into_iter()
        .chain([format!("{code}_{}", home.to_ascii_uppercase())]);
    candidates
        .filter_map(|name| chrono::Locale::try_from(name.as_str()).ok())
        .next()
        .unwrap_or(chrono::Locale::en_US)
}

/// Values for every standard variable, for previews: a meeting tomorrow-ish with a
/// made-up invitee, on `zone`'s clock in `language`.
pub fn sample_values(zone: Tz, language: &str, answers: &[String]) -> BTreeMap<String, String> {
    let start: DateTime<Utc> = "2026-12-08T15:00:00Z".parse().expect("a fixed instant");
    let end = start + chrono::Duration::minutes(30);
    let mut values: BTreeMap<String, String> = [
        ("ATTENDEE_NAME", "Jane Doe"),
        ("ATTENDEE_FIRST_NAME", "Jane"),
        ("ATTENDEE_EMAIL", "jane@example.com"),
        ("HOST_NAME", "Alex Host"),
        ("HOST_EMAIL", "alex@example.com"),
        (
            "EVENT_NAME",
            "30 min meeting between Alex Host and Jane Doe",
        ),
        ("LOCATION", "https://meet.example.com/abc-defg-hij"),
        ("MEETING_URL", "https://meet.example.com/abc-defg-hij"),
        (
            "CANCEL_URL",
            "https://cal.example.com/booking/sample?cancel=true",
        ),
        (
            "RESCHEDULE_URL",
            "https://cal.example.com/reschedule/sample",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    values.extend(
        time_values(start, end, zone, language)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    for answer in answers {
        values.insert(answer.clone(), format!("<{}>", answer.to_ascii_lowercase()));
    }
    values
}

/// The first word of a name, for `{ATTENDEE_FIRST_NAME}`.
pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn variables_are_read_case_insensitively_and_other_braces_stay_literal() {
        let filled = render(
            r#"Hi {attendee name}, {"json": true} {} {EVENT_NAME}!"#,
            &values(&[("ATTENDEE_NAME", "Jane"), ("EVENT_NAME", "Demo")]),
        );
        assert_eq!(filled, r#"Hi Jane, {"json": true} {} Demo!"#);
    }

    #[test]
    fn unknown_variables_are_named_once_each_in_order() {
        let template = "{ATTENDEE_NAME} {ATENDEE_NAME} {FOO} {ATENDEE_NAME} {ANSWER_COMPANY}";
        let none: &[String] = &[];
        assert_eq!(
            unknown_variables(template, Vocabulary::Booking(Some(none))),
            ["ATENDEE_NAME", "FOO", "ANSWER_COMPANY"]
        );
        let company = [answer_variable("company")];
        assert_eq!(
            unknown_variables(template, Vocabulary::Booking(Some(&company))),
            ["ATENDEE_NAME", "FOO"]
        );
        assert_eq!(
            unknown_variables(template, Vocabulary::Booking(None)),
            ["ATENDEE_NAME", "FOO"],
            "any answer on a workflow over every event type"
        );
        assert!(unknown_variables("plain text, {no: variables}", Vocabulary::Form).is_empty());
    }

    #[test]
    fn a_form_message_knows_its_own_variables_and_not_a_bookings() {
        assert_eq!(
            unknown_variables(
                "{FORM_NAME} {FORM_RESPONSES} {ANSWER_SIZE} {EVENT_DATE}",
                Vocabulary::Form
            ),
            ["EVENT_DATE"]
        );
    }

    #[test]
    fn question_slugs_become_answer_variables() {
        assert_eq!(answer_variable("company-size"), "ANSWER_COMPANY_SIZE");
        assert_eq!(answer_variable("notes"), "ANSWER_NOTES");
    }

    #[test]
    fn dates_and_times_follow_the_recipients_zone_and_language() {
        let start: DateTime<Utc> = "2026-12-08T15:00:00Z".parse().unwrap();
        let end = start + chrono::Duration::minutes(45);
        let english = time_values(start, end, chrono_tz::America::New_York, "en");
        assert_eq!(english[0].1, "Tuesday, December 8, 2026");
        assert_eq!(english[1].1, "10:00 AM");
        assert_eq!(english[2].1, "10:45 AM");
        assert_eq!(english[3].1, "America/New_York");
        let german = time_values(start, end, chrono_tz::Europe::Berlin, "de");
        assert_eq!(german[0].1, "Dienstag 8 Dezember 2026");
        assert_eq!(german[1].1, "16:00");
        let brazilian = time_values(start, end, chrono_tz::America::Sao_Paulo, "pt-BR");
        assert_eq!(brazilian[0].1, "terça 8 dezembro 2026");
        assert_eq!(brazilian[1].1, "12:00");
        let unknown = time_values(start, end, chrono_tz::UTC, "xx");
        assert_eq!(
            unknown[1].1, "15:00",
            "unknown languages get 24 h, English names"
        );
    }

    #[test]
    fn times_cross_daylight_saving_changes_on_the_local_clock() {
        // Berlin leaves summer time on 2026-10-25: 09:00 UTC is 11:00 the day before
        // and 10:00 that day.
        let before: DateTime<Utc> = "2026-10-24T09:00:00Z".parse().unwrap();
        let after: DateTime<Utc> = "2026-10-25T09:00:00Z".parse().unwrap();
        let zone = chrono_tz::Europe::Berlin;
        assert_eq!(time_values(before, before, zone, "de")[1].1, "11:00");
        assert_eq!(time_values(after, after, zone, "de")[1].1, "10:00");
    }

    #[test]
    fn the_sample_fills_every_standard_variable() {
        let sample = sample_values(chrono_tz::UTC, "en", &[answer_variable("size")]);
        for (name, _) in VARIABLES {
            assert!(sample.contains_key(name), "{name} has no sample");
        }
        assert_eq!(sample["ANSWER_SIZE"], "<answer_size>");
    }
}
