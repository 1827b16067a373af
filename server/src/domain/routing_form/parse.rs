//! A routing form as sent (JSON) into [`FormRules`], every problem named by its path
//! (`fields[1].options`, `routes[2].conditions[0].value`, `fallback.url`).

use std::collections::HashSet;

use serde_json::Value;

use super::{Combinator, Condition, FieldKind, FormField, FormRules, Op, Operand, Route, Target};
use crate::domain::ids::{EventTypeId, UserId};
use crate::domain::validate::FieldIssue;

/// The most fields a form may have.
pub const MAX_FIELDS: usize = 50;
/// The most routes a form may have.
pub const MAX_ROUTES: usize = 100;
/// The longest message a route may show.
pub const MAX_MESSAGE: usize = 2000;

/// Collects issues while reading, so one request reports every bad field.
struct Reader {
    issues: Vec<FieldIssue>,
}

impl Reader {
    fn fail<T>(&mut self, path: &str, message: impl Into<String>) -> Option<T> {
        self.issues.push(FieldIssue::new(path, message));
        None
    }

    fn text(&mut self, value: Option<&Value>, path: &str) -> Option<String> {
        match value {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::String(_)) | None | Some(Value::Null) => self.fail(path, "is required"),
            Some(_) => self.fail(path, "must be text"),
        }
    }

    fn id(&mut self, value: Option<&Value>, path: &str) -> Option<i64> {
        match value {
            Some(v) => match v.as_i64() {
                Some(id) if id > 0 => Some(id),
                _ => self.fail(path, "must be a positive whole number (an id)"),
            },
            None => self.fail(path, "is required"),
        }
    }

    fn list<'v>(&mut self, value: Option<&'v Value>, path: &str) -> Option<&'v Vec<Value>> {
        match value {
            Some(Value::Array(items)) => Some(items),
            None | Some(Value::Null) => self.fail(path, "is required"),
            Some(_) => self.fail(path, "must be a list"),
        }
    }
}

/// Reads a form's `fields`, `routes` and `fallback`. Event types and members are only
/// checked for shape here; [`check_targets`] checks they exist.
pub fn parse(
    fields: Option<&Value>,
    routes: Option<&Value>,
    fallback: Option<&Value>,
) -> Result<FormRules, Vec<FieldIssue>> {
    let mut r = Reader { issues: Vec::new() };
    let fields = r
        .list(fields, "fields")
        .map(|items| read_fields(&mut r, items))
        .unwrap_or_default();
    let routes = match routes {
        None | Some(Value::Null) => Some(Vec::new()),
        some => r.list(some, "routes").map(|items| {
            if items.len() > MAX_ROUTES {
                r.fail::<()>("routes", format!("at most {MAX_ROUTES} routes"));
            }
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| read_route(&mut r, &fields, item, &format!("routes[{i}]")))
                .collect()
        }),
    };
    let fallback = match fallback {
        Some(value @ Value::Object(_)) => read_target(&mut r, value, "fallback"),
        None | Some(Value::Null) => {
            r.fail("fallback", "is required: where answers no route matches go")
        }
        Some(_) => r.fail("fallback", "must be an object with an `action`"),
    };
    match (r.issues.is_empty(), routes, fallback) {
        (true, Some(routes), Some(fallback)) => Ok(FormRules {
            fields,
            routes,
            fallback,
        }),
        _ => Err(r.issues),
    }
}

fn read_fields(r: &mut Reader, items: &[Value]) -> Vec<FormField> {
    if items.is_empty() {
        r.fail::<()>("fields", "a form needs at least one field");
    }
    if items.len() > MAX_FIELDS {
        r.fail::<()>("fields", format!("at most {MAX_FIELDS} fields"));
    }
    let mut seen = HashSet::new();
    let mut fields = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("fields[{i}]");
        let id = r.text(item.get("id"), &format!("{path}.id"));
        let id = id.and_then(|id| {
            let ok = id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return r.fail(
                    &format!("{path}.id"),
                    format!("`{id}` must be 1-64 letters, digits, '-' or '_' (it names a URL query parameter)"),
                );
            }
            if !seen.insert(id.clone()) {
                return r.fail(&format!("{path}.id"), format!("`{id}` names another field too"));
            }
            Some(id)
        });
        let kind = r
            .text(item.get("type"), &format!("{path}.type"))
            .and_then(|t| {
                FieldKind::parse(&t).or_else(|| {
                    let names: Vec<&str> = FieldKind::ALL.iter().map(|k| k.as_str()).collect();
                    r.fail(
                        &format!("{path}.type"),
                        format!("`{t}` is not one of {}", names.join(", ")),
                    )
                })
            });
        let required = match item.get("required") {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => r.fail(&format!("{path}.required"), "must be true or false"),
        };
        let options = kind.and_then(|kind| read_options(r, kind, item.get("options"), &path));
        let label = match item.get("label") {
            None | Some(Value::Null) => id.clone(),
            value => r.text(value, &format!("{path}.label")),
        };
        if let (Some(id), Some(label), Some(kind), Some(required), Some(options)) =
            (id, label, kind, required, options)
        {
            fields.push(FormField {
                id,
                label,
                kind,
                required,
                options,
            });
        }
    }
    fields
}

fn read_options(
    r: &mut Reader,
    kind: FieldKind,
    value: Option<&Value>,
    path: &str,
) -> Option<Vec<String>> {
    let path = format!("{path}.options");
    if !kind.has_options() {
        return match value {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(_) => r.fail(&path, format!("a {} field has no options", kind.as_str())),
        };
    }
    let items = r.list(value, &path)?;
    if items.is_empty() {
        return r.fail(&path, "name at least one option");
    }
    let mut options: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let option = r.text(Some(item), &format!("{path}[{i}]"))?;
        if options.iter().any(|o| o.eq_ignore_ascii_case(&option)) {
            return r.fail(
                &format!("{path}[{i}]"),
                format!("`{option}` is listed twice"),
            );
        }
        options.push(option);
    }
    Some(options)
}

fn read_route(r: &mut Reader, fields: &[FormField], item: &Value, path: &str) -> Option<Route> {
    if !item.is_object() {
        return r.fail(path, "must be an object with `conditions` and an `action`");
    }
    let combinator = match item.get("combinator") {
        None | Some(Value::Null) => Some(Combinator::And),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("and") => Some(Combinator::And),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("or") => Some(Combinator::Or),
        Some(_) => r.fail(&format!("{path}.combinator"), "must be `and` or `or`"),
    };
    let conditions = match item.get("conditions") {
        None | Some(Value::Null) => Some(Vec::new()),
        some => r.list(some, &format!("{path}.conditions")).map(|items| {
            items
                .iter()
                .enumerate()
                .filter_map(|(j, c)| {
                    read_condition(r, fields, c, &format!("{path}.conditions[{j}]"))
                })
                .collect::<Vec<_>>()
        }),
    };
    let target = read_target(r, item, path);
    Some(Route {
        combinator: combinator?,
        conditions: conditions?,
        target: target?,
    })
}

fn read_condition(
    r: &mut Reader,
    fields: &[FormField],
    item: &Value,
    path: &str,
) -> Option<Condition> {
    let field_path = format!("{path}.field");
    let field = r.text(item.get("field"), &field_path).and_then(|id| {
        fields
            .iter()
            .find(|f| f.id == id)
            .or_else(|| r.fail(&field_path, format!("`{id}` is not a field of this form")))
    });
    let op = r
        .text(item.get("op"), &format!("{path}.op"))
        .and_then(|name| {
            Op::ALL
                .into_iter()
                .find(|o| o.as_str().eq_ignore_ascii_case(&name))
                .or_else(|| {
                    let names: Vec<&str> = Op::ALL.iter().map(|o| o.as_str()).collect();
                    r.fail(
                        &format!("{path}.op"),
                        format!("`{name}` is not one of {}", names.join(", ")),
                    )
                })
        });
    let (field, op) = (field?, op?);
    let value = operand(field, op, item.get("value").unwrap_or(&Value::Null))
        .map_err(|message| {
            let at = if message.starts_with("cannot") {
                "op"
            } else {
                "value"
            };
            r.issues
                .push(FieldIssue::new(format!("{path}.{at}"), message));
        })
        .ok()?;
    Some(Condition {
        field: field.id.clone(),
        op,
        value,
    })
}

/// The operand `value` must be for `op` on `field`; an error starting "cannot" is
/// about the operator, any other about the value.
fn operand(field: &FormField, op: Op, value: &Value) -> Result<Operand, String> {
    let kind = field.kind;
    let option = |s: &str| -> Result<String, String> {
        if !kind.has_options() {
            return Ok(s.to_string());
        }
        field
            .options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(s.trim()))
            .cloned()
            .ok_or_else(|| format!("`{s}` is not an option of field `{}`", field.id))
    };
    let texts = |value: &Value| -> Result<Vec<String>, String> {
        let items = value
            .as_array()
            .filter(|items| !items.is_empty())
            .ok_or("must be a non-empty list of texts")?;
        items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or("must be a non-empty list of texts".to_string())
                    .and_then(option)
            })
            .collect()
    };
    let cannot = || {
        format!(
            "cannot use `{}` on {} field `{}`",
            op.as_str(),
            kind.as_str(),
            field.id
        )
    };
    match (op, kind) {
        (Op::IsEmpty, _) => match value {
            Value::Null => Ok(Operand::None),
            _ => Err("is_empty takes no value".to_string()),
        },
        (Op::Equals | Op::NotEquals, FieldKind::Checkbox) => value
            .as_bool()
            .map(Operand::Flag)
            .ok_or_else(|| "must be true or false".to_string()),
        (Op::Equals | Op::NotEquals, FieldKind::Number) => value
            .as_f64()
            .map(Operand::Number)
            .ok_or_else(|| "must be a number".to_string()),
        (Op::Between, FieldKind::Number) => match value.as_array().map(|v| v.as_slice()) {
            Some([lo, hi]) => match (lo.as_f64(), hi.as_f64()) {
                (Some(lo), Some(hi)) if lo <= hi => Ok(Operand::Range([lo, hi])),
                (Some(_), Some(_)) => {
                    Err("the first number must not exceed the second".to_string())
                }
                _ => Err("must be two numbers, [min, max]".to_string()),
            },
            _ => Err("must be two numbers, [min, max]".to_string()),
        },
        (Op::Equals | Op::NotEquals, _) => value
            .as_str()
            .ok_or_else(|| "must be text".to_string())
            .and_then(option)
            .map(Operand::Text),
        (Op::Contains, k) if k.is_text() || k == FieldKind::Multiselect => value
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| "must be non-empty text".to_string())
            .and_then(option)
            .map(Operand::Text),
        (Op::AnyOf, k) if k.is_text() || k.has_options() => texts(value).map(Operand::List),
        (Op::AllOf, FieldKind::Multiselect) => texts(value).map(Operand::List),
        _ => Err(cannot()),
    }
}

fn read_target(r: &mut Reader, item: &Value, path: &str) -> Option<Target> {
    let action = r.text(item.get("action"), &format!("{path}.action"))?;
    match action.as_str() {
        "eventType" => {
            let id = r.id(item.get("eventTypeId"), &format!("{path}.eventTypeId"))?;
            Some(Target::EventType {
                event_type_id: EventTypeId(id),
            })
        }
        "teamMembers" => {
            let id = r.id(item.get("eventTypeId"), &format!("{path}.eventTypeId"));
            let members_path = format!("{path}.memberIds");
            let members = r
                .list(item.get("memberIds"), &members_path)
                .and_then(|items| {
                    if items.is_empty() {
                        return r.fail(&members_path, "name at least one member");
                    }
                    items
                        .iter()
                        .enumerate()
                        .map(|(k, v)| r.id(Some(v), &format!("{members_path}[{k}]")).map(UserId))
                        .collect::<Option<Vec<_>>>()
                });
            Some(Target::TeamMembers {
                event_type_id: EventTypeId(id?),
                member_ids: members?,
            })
        }
        "externalUrl" => {
            let url_path = format!("{path}.url");
            let url = r.text(item.get("url"), &url_path)?;
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= 2048
                && !url.chars().any(char::is_whitespace);
            if !ok {
                return r.fail(&url_path, format!("`{url}` is not an absolute http(s) URL"));
            }
            Some(Target::ExternalUrl { url })
        }
        "message" => {
            let message_path = format!("{path}.message");
            let message = r.text(item.get("message"), &message_path)?;
            if message.chars().count() > MAX_MESSAGE {
                return r.fail(&message_path, format!("at most {MAX_MESSAGE} characters"));
            }
            Some(Target::Message { message })
        }
        other => r.fail(
            &format!("{path}.action"),
            format!("`{other}` is not one of eventType, teamMembers, externalUrl, message"),
        ),
    }
}

/// What the organization knows of an event type a route names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// A personal or collective event type.
    Plain,
    /// A round-robin team event type with these hosts.
    RoundRobin(Vec<UserId>),
}

/// Checks that every event type the routes name exists (`lookup` answers `None` for
/// a missing or deleted one) and that members are hosts of their round-robin type.
pub fn check_targets(
    rules: &FormRules,
    lookup: impl Fn(EventTypeId) -> Option<TargetKind>,
) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    for (path, target) in rules.targets() {
        let Some(id) = target.event_type() else {
            continue;
        };
        let Some(kind) = lookup(id) else {
            issues.push(FieldIssue::new(
                format!("{path}.eventTypeId"),
                format!("event type {id} does not exist"),
            ));
            continue;
        };
        if let Target::TeamMembers { member_ids, .. } = target {
            let TargetKind::RoundRobin(hosts) = kind else {
                issues.push(FieldIssue::new(
                    format!("{path}.eventTypeId"),
                    format!("event type {id} is not a round-robin team event type"),
                ));
                continue;
            };
            for (k, member) in member_ids.iter().enumerate() {
                if !hosts.contains(member) {
                    issues.push(FieldIssue::new(
                        format!("{path}.memberIds[{k}]"),
                        format!("user {member} is not a host of event type {id}"),
                    ));
                }
            }
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn form(routes: Value) -> Result<FormRules, Vec<FieldIssue>> {
        let fields = json!([
            {"id": "interest", "type": "select", "options": ["Sales Demo", "Technical Support"], "required": true},
            {"id": "seats", "type": "number"},
            {"id": "notes", "type": "textarea"},
            {"id": "tools", "type": "multiselect", "options": ["Slack", "Jira"]},
            {"id": "consent", "type": "checkbox"},
        ]);
        parse(
            Some(&fields),
            Some(&routes),
            Some(&json!({"action": "message", "message": "Thanks!"})),
        )
    }

    fn fields_of(result: Result<FormRules, Vec<FieldIssue>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|i| i.field)
            .collect()
    }

    #[test]
    fn bad_routes_name_their_field() {
        let target = json!({"action": "eventType", "eventTypeId": 1});
        let with = |condition: Value| {
            let mut route = target.clone();
            route["conditions"] = json!([condition]);
            json!([target.clone(), target.clone(), route])
        };
        for (name, routes, expected) in [
            (
                "unknown field",
                with(json!({"field": "budget", "op": "equals", "value": "x"})),
                "routes[2].conditions[0].field",
            ),
            (
                "unknown op",
                with(json!({"field": "notes", "op": "like", "value": "x"})),
                "routes[2].conditions[0].op",
            ),
            (
                "text for a number",
                with(json!({"field": "seats", "op": "equals", "value": "ten"})),
                "routes[2].conditions[0].value",
            ),
            (
                "not an option",
                with(json!({"field": "interest", "op": "equals", "value": "Pricing"})),
                "routes[2].conditions[0].value",
            ),
            (
                "between on text",
                with(json!({"field": "notes", "op": "between", "value": [1, 2]})),
                "routes[2].conditions[0].op",
            ),
            (
                "inverted range",
                with(json!({"field": "seats", "op": "between", "value": [9, 2]})),
                "routes[2].conditions[0].value",
            ),
            (
                "all_of on select",
                with(json!({"field": "interest", "op": "all_of", "value": ["Sales Demo"]})),
                "routes[2].conditions[0].op",
            ),
            (
                "is_empty with value",
                with(json!({"field": "notes", "op": "is_empty", "value": "x"})),
                "routes[2].conditions[0].value",
            ),
            (
                "number for checkbox",
                with(json!({"field": "consent", "op": "equals", "value": 1})),
                "routes[2].conditions[0].value",
            ),
            (
                "no event type",
                json!([{"action": "eventType"}]),
                "routes[0].eventTypeId",
            ),
            (
                "text event type",
                json!([{"action": "eventType", "eventTypeId": "a"}]),
                "routes[0].eventTypeId",
            ),
            (
                "no members",
                json!([{"action": "teamMembers", "eventTypeId": 1, "memberIds": []}]),
                "routes[0].memberIds",
            ),
            (
                "relative url",
                json!([{"action": "externalUrl", "url": "/pricing"}]),
                "routes[0].url",
            ),
            (
                "unknown action",
                json!([{"action": "teleport"}]),
                "routes[0].action",
            ),
            (
                "bad combinator",
                json!([{"action": "message", "message": "m", "combinator": "xor"}]),
                "routes[0].combinator",
            ),
        ] {
            assert_eq!(fields_of(form(routes)), [expected], "{name}");
        }
    }

    #[test]
    fn good_routes_are_typed() {
        let rules = form(json!([
            {"combinator": "or", "conditions": [
                {"field": "interest", "op": "equals", "value": "sales demo"},
                {"field": "seats", "op": "between", "value": [10, 50]},
                {"field": "tools", "op": "all_of", "value": ["Slack", "jira"]},
                {"field": "notes", "op": "is_empty"},
            ], "action": "externalUrl", "url": "https://example.com/enterprise"},
        ]))
        .expect("a good form");
        let c = &rules.routes[0].conditions;
        assert_eq!(
            c[0].value,
            Operand::Text("Sales Demo".into()),
            "options are spelled as listed"
        );
        assert_eq!(c[1].value, Operand::Range([10.0, 50.0]));
        assert_eq!(
            c[2].value,
            Operand::List(vec!["Slack".into(), "Jira".into()])
        );
        assert_eq!(c[3].value, Operand::None);
        assert_eq!(rules.routes[0].combinator, Combinator::Or);
    }

    #[test]
    fn bad_fields_name_their_field() {
        let fallback = json!({"action": "message", "message": "m"});
        for (name, fields, expected) in [
            ("none", json!([]), "fields"),
            ("no id", json!([{"type": "text"}]), "fields[0].id"),
            (
                "id with space",
                json!([{"id": "a b", "type": "text"}]),
                "fields[0].id",
            ),
            (
                "twice",
                json!([{"id": "a", "type": "text"}, {"id": "a", "type": "email"}]),
                "fields[1].id",
            ),
            (
                "unknown type",
                json!([{"id": "a", "type": "date"}]),
                "fields[0].type",
            ),
            (
                "select without options",
                json!([{"id": "a", "type": "radio"}]),
                "fields[0].options",
            ),
            (
                "options on text",
                json!([{"id": "a", "type": "text", "options": ["x"]}]),
                "fields[0].options",
            ),
            (
                "option twice",
                json!([{"id": "a", "type": "select", "options": ["x", "X"]}]),
                "fields[0].options[1]",
            ),
        ] {
            assert_eq!(
                fields_of(parse(Some(&fields), None, Some(&fallback))),
                [expected],
                "{name}"
            );
        }
        let fields = json!([{"id": "a", "type": "text"}]);
        assert_eq!(fields_of(parse(Some(&fields), None, None)), ["fallback"]);
    }

    #[test]
    fn targets_must_exist_and_members_must_host() {
        let rules = form(json!([
            {"action": "eventType", "eventTypeId": 1},
            {"action": "eventType", "eventTypeId": 2},
            {"action": "teamMembers", "eventTypeId": 3, "memberIds": [7, 8]},
            {"action": "teamMembers", "eventTypeId": 1, "memberIds": [7]},
        ]))
        .expect("well formed");
        let lookup = |id: EventTypeId| match id.0 {
            1 => Some(TargetKind::Plain),
            3 => Some(TargetKind::RoundRobin(vec![UserId(7)])),
            _ => None,
        };
        let fields: Vec<String> = check_targets(&rules, lookup)
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(
            fields,
            [
                "routes[1].eventTypeId",
                "routes[2].memberIds[1]",
                "routes[3].eventTypeId"
            ]
        );
    }
}
