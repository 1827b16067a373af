//! An invitee's answers: checked against the form's fields (each problem named
//! `responses.{field}`), and prefilled from a URL's query parameters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{FieldKind, FormField};
use crate::domain::validate::{self, FieldIssue};

/// The longest text answer kept.
pub const MAX_TEXT: usize = 5000;

/// One answer, typed by its field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// A checkbox.
    Flag(bool),
    /// A number field.
    Number(f64),
    /// Text, an email, a phone number, or the option of a select or radio field.
    Text(String),
    /// The options of a multiselect field.
    Many(Vec<String>),
}

/// Answers by field id; unanswered fields are absent.
pub type Answers = BTreeMap<String, Answer>;

/// Checks `responses` (field id → JSON value) against `fields`: every required field
/// answered, each answer of its field's type, options among the field's, no unknown
/// field. Options are kept as the form spells them.
pub fn check_answers(
    fields: &[FormField],
    responses: &Map<String, Value>,
) -> Result<Answers, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    for key in responses.keys() {
        if !fields.iter().any(|f| &f.id == key) {
            issues.push(FieldIssue::new(
                format!("responses.{key}"),
                "is not a field of this form",
            ));
        }
    }
    let mut answers = Answers::new();
    for field in fields {
        let path = format!("responses.{}", field.id);
        match responses.get(&field.id).map(|v| answer(field, v)) {
            Some(Ok(Some(answer))) => {
                answers.insert(field.id.clone(), answer);
            }
            Some(Err(message)) => issues.push(FieldIssue::new(path, message)),
            None | Some(Ok(None)) if field.required => {
                issues.push(FieldIssue::new(path, "is required"));
            }
            None | Some(Ok(None)) => {}
        }
    }
    if issues.is_empty() {
        Ok(answers)
    } else {
        Err(issues)
    }
}

/// The option of `field` spelled like `s`, ignoring case and surrounding spaces.
fn option_of(field: &FormField, s: &str) -> Result<String, String> {
    field
        .options
        .iter()
        .find(|o| o.eq_ignore_ascii_case(s.trim()))
        .cloned()
        .ok_or_else(|| format!("`{s}` is not one of {}", field.options.join(", ")))
}

/// The answer `value` gives `field`; `None` for a blank one.
fn answer(field: &FormField, value: &Value) -> Result<Option<Answer>, String> {
    if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
        return Ok(None);
    }
    let text = || {
        value
            .as_str()
            .map(|s| s.trim().to_string())
            .filter(|s| s.chars().count() <= MAX_TEXT)
            .ok_or_else(|| format!("must be text of at most {MAX_TEXT} characters"))
    };
    Ok(Some(match field.kind {
        FieldKind::Text | FieldKind::Textarea => Answer::Text(text()?),
        FieldKind::Email => {
            let email = text()?;
            validate::email(&email)?;
            Answer::Text(email)
        }
        FieldKind::Phone => {
            let phone = text()?;
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let ok = (5..=20).contains(&digits)
                && phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !ok {
                return Err(format!("`{phone}` is not a phone number"));
            }
            Answer::Text(phone)
        }
        FieldKind::Number => Answer::Number(
            value
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or("must be a number")?,
        ),
        FieldKind::Checkbox => Answer::Flag(value.as_bool().ok_or("must be true or false")?),
        FieldKind::Select | FieldKind::Radio => Answer::Text(option_of(
            field,
            value.as_str().ok_or("must be one option")?,
        )?),
        FieldKind::Multiselect => {
            let items = value.as_array().ok_or("must be a list of options")?;
            let mut chosen: Vec<String> = Vec::new();
            for item in items {
                let option = option_of(field, item.as_str().ok_or("must be a list of options")?)?;
                if !chosen.contains(&option) {
                    chosen.push(option);
                }
            }
            if chosen.is_empty() {
                return Ok(None);
            }
            Answer::Many(chosen)
        }
    }))
}

/// The answers a link's query parameters fill in: `?interest=Sales%20Demo&seats=12`.
/// Parameters that name no field, or do not fit theirs, are left out rather than
/// refused: a prefill only saves typing. A multiselect takes repeated parameters or
/// commas.
pub fn prefill(fields: &[FormField], query: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for field in fields {
        let values: Vec<&str> = query
            .iter()
            .filter(|(k, _)| k == &field.id)
            .map(|(_, v)| v.as_str())
            .collect();
        let Some(first) = values.first() else {
            continue;
        };
        let value = match field.kind {
            FieldKind::Number => first
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Value::from),
            FieldKind::Checkbox => match first.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "on" | "yes" => Some(Value::Bool(true)),
                "false" | "0" | "off" | "no" => Some(Value::Bool(false)),
                _ => None,
            },
            FieldKind::Multiselect => {
                let chosen: Vec<Value> = values
                    .iter()
                    .flat_map(|v| v.split(','))
                    .filter_map(|v| option_of(field, v).ok())
                    .map(Value::from)
                    .collect();
                (!chosen.is_empty()).then_some(Value::Array(chosen))
            }
            _ => answer(field, &Value::from(*first))
                .ok()
                .flatten()
                .and_then(|a| serde_json::to_value(a).ok()),
        };
        if let Some(value) = value {
            out.insert(field.id.clone(), value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields() -> Vec<FormField> {
        let field = |id: &str, kind, required, options: &[&str]| FormField {
            id: id.into(),
            label: id.into(),
            kind,
            required,
            options: options.iter().map(|o| o.to_string()).collect(),
        };
        vec![
            field(
                "interest",
                FieldKind::Select,
                true,
                &["Sales Demo", "Technical Support"],
            ),
            field("seats", FieldKind::Number, false, &[]),
            field("email", FieldKind::Email, false, &[]),
            field("phone", FieldKind::Phone, false, &[]),
            field("tools", FieldKind::Multiselect, false, &["Slack", "Jira"]),
            field("consent", FieldKind::Checkbox, false, &[]),
        ]
    }

    fn issues(responses: Value) -> Vec<String> {
        let map = responses.as_object().cloned().unwrap_or_default();
        check_answers(&fields(), &map)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.field)
            .collect()
    }

    #[test]
    fn wrong_answers_name_their_field() {
        let ok = json!({"interest": "Sales Demo"});
        for (name, extra, expected) in [
            (
                "missing required",
                json!({"interest": null}),
                "responses.interest",
            ),
            (
                "not an option",
                json!({"interest": "Pricing"}),
                "responses.interest",
            ),
            (
                "text for number",
                json!({"seats": "ten"}),
                "responses.seats",
            ),
            ("bad email", json!({"email": "nope"}), "responses.email"),
            ("bad phone", json!({"phone": "call me"}), "responses.phone"),
            (
                "unknown option",
                json!({"tools": ["Slack", "Asana"]}),
                "responses.tools",
            ),
            (
                "number for checkbox",
                json!({"consent": 1}),
                "responses.consent",
            ),
            ("unknown field", json!({"budget": 5}), "responses.budget"),
        ] {
            let mut responses = ok.clone();
            for (k, v) in extra.as_object().unwrap() {
                responses[k] = v.clone();
            }
            assert_eq!(issues(responses), [expected], "{name}");
        }
        assert!(issues(ok).is_empty());
    }

    #[test]
    fn answers_take_the_forms_spelling() {
        let map = json!({"interest": " sales demo ", "tools": ["jira", "JIRA"], "seats": 12, "email": ""})
            .as_object()
            .cloned()
            .unwrap();
        let answers = check_answers(&fields(), &map).unwrap();
        assert_eq!(answers["interest"], Answer::Text("Sales Demo".into()));
        assert_eq!(answers["tools"], Answer::Many(vec!["Jira".into()]));
        assert_eq!(answers["seats"], Answer::Number(12.0));
        assert!(
            !answers.contains_key("email"),
            "a blank answer is no answer"
        );
    }

    #[test]
    fn prefill_reads_fitting_query_parameters() {
        let query: Vec<(String, String)> = [
            ("interest", "technical support"),
            ("seats", "25"),
            ("tools", "Slack,Asana"),
            ("tools", "jira"),
            ("consent", "yes"),
            ("email", "not-an-email"),
            ("unknown", "x"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            Value::Object(prefill(&fields(), &query)),
            json!({"interest": "Technical Support", "seats": 25.0, "tools": ["Slack", "Jira"], "consent": true})
        );
    }
}
