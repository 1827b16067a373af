//! `/l/{token}`: the page a scheduling link's URL opens. It shows what the link books
//! with the invitee's name and email filled in, lets them pick a day and a time (from
//! `GET /v2/slots`) and books through `POST /v2/scheduling-links/{token}/bookings`. A
//! used, expired or revoked link gets a page saying which and since when (410).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;

use super::{escape, is_robot, page};
use crate::api::ApiError;
use crate::app::insights;
use crate::app::scheduling_links::{self, OpenedLink};
use crate::app::{App, AppError};

pub fn router() -> Router<App> {
    Router::new().route("/l/{token}", get(show))
}

/// Opening the page counts as opening the link, like the REST route, and, unless a
/// robot asked, as a view of the event type's booking page (for conversion insights).
async fn show(State(app): State<App>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let now = Utc::now();
    match scheduling_links::open(&app, &token, now).await {
        Ok(opened) => {
            if !is_robot(&headers) {
                insights::record_page_view(&app, &opened.event_type, now).await;
            }
            booking_page(&token, &opened)
        }
        Err(AppError::Gone(why)) => notice(
            StatusCode::GONE,
            "This link can no longer be used",
            &format!("{}.", capitalized(&why)),
        ),
        Err(AppError::NotFound(_)) => notice(
            StatusCode::NOT_FOUND,
            "This link does not exist",
            "Check that it was copied whole.",
        ),
        Err(other) => {
            // Logs an internal error once, like every API answer.
            let status = ApiError::from(other).code.status();
            notice(status, "Something went wrong", "Please try again later.")
        }
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A page that only says something: `heading` and one line (both escaped here).
fn notice(status: StatusCode, heading: &str, line: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p class=\"muted\">Ask the person who sent you the link for a new one.</p>",
        escape(heading),
        escape(line)
    );
    page(status, heading, &body)
}

fn booking_page(token: &str, o: &OpenedLink) -> Response {
    let e = &o.event_type;
    let prefill = |v: &Option<String>| escape(v.as_deref().unwrap_or_default());
    let body = format!(
        "<h1>{title}</h1>\
         <p class=\"muted\">{length} minutes with {host}</p>\
         <p>{description}</p>\
         <form id=\"book\" data-token=\"{token}\" data-event-type=\"{event_type}\">\
         <label for=\"invitee\">Your name</label><input id=\"invitee\" value=\"{name}\" required>\
         <label for=\"mail\">Your email</label><input id=\"mail\" type=\"email\" value=\"{email}\" required>\
         <label for=\"day\">Day</label><input id=\"day\" type=\"date\" required>\
         <div id=\"slots\"></div></form><p id=\"result\"></p><script>{SCRIPT}</script>",
        title = escape(&e.title),
        length = e.length_min,
        host = escape(&o.host.name),
        description = escape(&e.description),
        token = escape(token),
        event_type = e.id,
        name = prefill(&o.link.prefill_name),
        email = prefill(&o.link.prefill_email),
    );
    page(StatusCode::OK, &e.title, &body)
}

/// Lists the chosen day's slots in the invitee's zone and books the one clicked; every
/// answer is shown with `textContent`, never parsed as HTML.
const SCRIPT: &str = r#"
const form = document.getElementById('book');
const result = document.getElementById('result');
const slots = document.getElementById('slots');
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const field = (id) => document.getElementById(id).value;
document.getElementById('day').addEventListener('change', async () => {
  const day = field('day');
  const query = new URLSearchParams({eventTypeId: form.dataset.eventType, start: day, end: day, timeZone: zone});
  const answer = await (await fetch('/v2/slots?' + query)).json();
  slots.replaceChildren();
  for (const slot of (answer.data && answer.data[day]) || []) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = new Date(slot.start).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'});
    button.addEventListener('click', () => book(slot.start));
    slots.append(button);
  }
  if (!slots.children.length) slots.textContent = 'No free times on this day.';
});
async function book(start) {
  const body = {start, attendee: {name: field('invitee'), email: field('mail'), timeZone: zone}};
  const response = await fetch('/v2/scheduling-links/' + form.dataset.token + '/bookings',
    {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  const answer = await response.json();
  if (response.ok) {
    form.remove();
    result.className = '';
    result.textContent = 'You are booked for ' + new Date(answer.data.start).toLocaleString() + '.';
  } else {
    result.className = 'error';
    const details = (answer.error.details || []).map((d) => d.field + ': ' + d.message);
    result.textContent = details.length ? details.join('; ') : answer.error.message;
  }
}
"#;
