//! Which route a set of answers takes: the first whose conditions hold, else the
//! fallback.

use super::answers::{Answer, Answers};
use super::{Combinator, Condition, FormRules, Op, Operand, Route, Target};

/// Where answers went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Routed<'a> {
    /// The index of the route taken; `None` for the fallback.
    pub route: Option<usize>,
    /// Where the invitee goes.
    pub target: &'a Target,
}

/// The first route of `rules` that `answers` match, or the fallback.
pub fn route<'a>(rules: &'a FormRules, answers: &Answers) -> Routed<'a> {
    rules
        .routes
        .iter()
        .position(|r| matches(r, answers))
        .map_or(
            Routed {
                route: None,
                target: &rules.fallback,
            },
            |i| Routed {
                route: Some(i),
                target: &rules.routes[i].target,
            },
        )
}

fn matches(route: &Route, answers: &Answers) -> bool {
    let holds = |c: &Condition| holds(c, answers.get(&c.field));
    match route.combinator {
        Combinator::And => route.conditions.iter().all(holds),
        Combinator::Or => route.conditions.is_empty() || route.conditions.iter().any(holds),
    }
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The answer's texts: one for text and options, several for a multiselect.
fn texts(answer: Option<&Answer>) -> Vec<&str> {
    match answer {
        Some(Answer::Text(t)) => vec![t.as_str()],
        Some(Answer::Many(items)) => items.iter().map(String::as_str).collect(),
        _ => Vec::new(),
    }
}

fn holds(condition: &Condition, answer: Option<&Answer>) -> bool {
    match (condition.op, &condition.value) {
        (Op::IsEmpty, _) => match answer {
            None | Some(Answer::Flag(false)) => true,
            Some(Answer::Text(t)) => t.trim().is_empty(),
            Some(Answer::Many(items)) => items.is_empty(),
            Some(_) => false,
        },
        (Op::Equals, value) => equals(answer, value),
        (Op::NotEquals, value) => !equals(answer, value),
        (Op::Contains, Operand::Text(needle)) => match answer {
            Some(Answer::Text(t)) => t.to_lowercase().contains(&needle.to_lowercase()),
            Some(Answer::Many(items)) => items.iter().any(|i| same(i, needle)),
            _ => false,
        },
        (Op::AnyOf, Operand::List(list)) => texts(answer)
            .iter()
            .any(|t| list.iter().any(|l| same(t, l))),
        (Op::AllOf, Operand::List(list)) => {
            let given = texts(answer);
            list.iter().all(|l| given.iter().any(|t| same(t, l)))
        }
        (Op::Between, Operand::Range([lo, hi])) => {
            matches!(answer, Some(Answer::Number(n)) if lo <= n && n <= hi)
        }
        _ => false,
    }
}

fn equals(answer: Option<&Answer>, value: &Operand) -> bool {
    match (answer, value) {
        (Some(Answer::Flag(a)), Operand::Flag(b)) => a == b,
        (None, Operand::Flag(b)) => !b,
        (Some(Answer::Number(a)), Operand::Number(b)) => a == b,
        (Some(Answer::Text(a)), Operand::Text(b)) => same(a, b),
        (Some(Answer::Many(items)), Operand::Text(b)) => items.len() == 1 && same(&items[0], b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::domain::ids::EventTypeId;
    use crate::domain::routing_form::{check_answers, parse};

    /// The product brief's form: interest picks the event type; big teams go to sales
    /// whatever they said; otherwise a message.
    fn brief_form() -> FormRules {
        let fields = json!([
            {"id": "interest", "type": "select", "options": ["Sales Demo", "Technical Support", "Other"], "required": true},
            {"id": "seats", "type": "number"},
            {"id": "company", "type": "text"},
            {"id": "tools", "type": "multiselect", "options": ["Slack", "Jira", "Asana"]},
            {"id": "consent", "type": "checkbox"},
        ]);
        let routes = json!([
            {"conditions": [{"field": "interest", "op": "equals", "value": "Sales Demo"}], "action": "eventType", "eventTypeId": 1},
            {"conditions": [{"field": "interest", "op": "equals", "value": "Technical Support"}], "action": "eventType", "eventTypeId": 2},
            {"combinator": "or", "conditions": [
                {"field": "seats", "op": "between", "value": [100, 100000]},
                {"field": "company", "op": "contains", "value": "corp"},
            ], "action": "externalUrl", "url": "https://example.com/enterprise"},
            {"conditions": [
                {"field": "tools", "op": "all_of", "value": ["Slack", "Jira"]},
                {"field": "consent", "op": "equals", "value": true},
            ], "action": "message", "message": "We integrate with both."},
            {"conditions": [
                {"field": "tools", "op": "any_of", "value": ["Asana"]},
                {"field": "company", "op": "not_equals", "value": "Acme"},
            ], "action": "message", "message": "Asana soon."},
            {"conditions": [{"field": "company", "op": "is_empty"}], "action": "message", "message": "Who are you?"},
        ]);
        parse(
            Some(&fields),
            Some(&routes),
            Some(&json!({"action": "message", "message": "Thanks, we'll write."})),
        )
        .expect("the brief's form")
    }

    fn taken(responses: Value) -> Option<usize> {
        let rules = brief_form();
        let answers = check_answers(&rules.fields, responses.as_object().unwrap()).unwrap();
        route(&rules, &answers).route
    }

    #[test]
    fn the_briefs_answers_route_to_their_event_types() {
        let rules = brief_form();
        for (answer, event_type) in [("Sales Demo", 1), ("Technical Support", 2)] {
            let answers = check_answers(
                &rules.fields,
                json!({"interest": answer}).as_object().unwrap(),
            )
            .unwrap();
            assert_eq!(
                route(&rules, &answers).target.event_type(),
                Some(EventTypeId(event_type)),
                "{answer}"
            );
        }
    }

    #[test]
    fn rules_are_checked_in_order_with_and_or() {
        for (name, responses, expected) in [
            (
                "first match wins",
                json!({"interest": "sales demo", "seats": 500}),
                Some(0),
            ),
            (
                "between includes its ends",
                json!({"interest": "Other", "seats": 100}),
                Some(2),
            ),
            (
                "below the range",
                json!({"interest": "Other", "seats": 99, "company": "Tiny"}),
                None,
            ),
            (
                "or: the other condition",
                json!({"interest": "Other", "company": "MegaCorp Ltd"}),
                Some(2),
            ),
            (
                "all_of and a ticked box",
                json!({"interest": "Other", "company": "X", "tools": ["Jira", "Slack", "Asana"], "consent": true}),
                Some(3),
            ),
            (
                "all_of but unticked",
                json!({"interest": "Other", "company": "X", "tools": ["Jira", "Slack"]}),
                None,
            ),
            (
                "any_of and not_equals",
                json!({"interest": "Other", "company": "Initech", "tools": ["Asana"]}),
                Some(4),
            ),
            (
                "not_equals ignores case",
                json!({"interest": "Other", "company": "acme", "tools": ["Asana"]}),
                None,
            ),
            ("is_empty", json!({"interest": "Other"}), Some(5)),
        ] {
            assert_eq!(taken(responses), expected, "{name}");
        }
    }

    #[test]
    fn no_route_falls_back() {
        let rules = brief_form();
        let answers = check_answers(
            &rules.fields,
            json!({"interest": "Other", "company": "Tiny"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let routed = route(&rules, &answers);
        assert_eq!(routed.route, None);
        assert_eq!(
            routed.target,
            &Target::Message {
                message: "Thanks, we'll write.".into()
            }
        );
    }
}
