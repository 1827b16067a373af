//! Twilio's Programmable Messaging API on 127.0.0.1, as its public docs describe it,
//! for the `twilio` plugin:
//!
//! - every request needs HTTP Basic auth of the account SID and auth token (else 401,
//!   code 20003), for the account named in the path;
//! - `POST /2010-04-01/Accounts/{sid}/Messages.json` (form `To`, `From`, `Body`,
//!   `StatusCallback`): 201 with the message resource (`sid` `SM` + 32 hex digits,
//!   `status: "queued"`, `num_segments`, `uri`, ...); a `To` that is not E.164 is 400
//!   code 21211, a recipient who replied STOP is 400 code 21610, a missing body 400
//!   code 21602; when switched on, 429 code 20429 (with a `Retry-After` when set);
//! - `GET .../Messages/{sid}.json` (404 code 20404 for an unknown one) and
//!   `GET .../Messages.json?PageSize=&Page=` (newest first, with `next_page_uri`);
//! - after a message is created, its status callbacks are POSTed to `StatusCallback`,
//!   form-encoded and signed with `X-Twilio-Signature` as Twilio signs:
//!   `queued`, `sent`, `delivered`, or `undelivered` with `ErrorCode` 30003 for a
//!   number set unreachable, or nothing after `sent` for one whose carrier has not
//!   confirmed delivery yet;
//! - a phone's text to the account's number is POSTed, signed, to the inbound URL set;
//!   STOP (and Twilio's other opt-out keywords) makes the fake refuse later messages
//!   to that phone with 21610, START (UNSTOP, YES) lifts that, as Twilio's default
//!   opt-out handling does.
//!
//! The signature is computed here independently of the plugin's, so the test checks the
//! plugin against Twilio's algorithm rather than against itself.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha1::Sha1;

/// Twilio's opt-out keywords.
const OPT_OUT: [&str; 6] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
/// Twilio's opt-in keywords.
const OPT_IN: [&str; 3] = ["START", "UNSTOP", "YES"];
/// Pause between a message's status callbacks.
const CALLBACK_STEP: Duration = Duration::from_millis(30);

/// What the fake holds and has seen.
#[derive(Debug, Default)]
pub struct TwilioState {
    pub account_sid: String,
    pub auth_token: String,
    /// The account's own number, which phones text.
    pub number: String,
    /// Messages created, oldest first, as the API answers them.
    pub messages: Vec<Value>,
    /// Requests to create a message that reached the fake, whatever the answer.
    pub create_requests: usize,
    /// Phones that replied STOP.
    pub opted_out: BTreeSet<String>,
    /// Phones whose messages end `undelivered` (30003, unreachable handset).
    pub unreachable: BTreeSet<String>,
    /// Phones whose carrier sends no delivery receipt: their messages stay `sent`.
    pub unconfirmed: BTreeSet<String>,
    /// Answer every create with 429 (code 20429) while set, with this `Retry-After`
    /// (seconds) when it is `Some`.
    pub rate_limited: Option<Option<u32>>,
    /// Where texts from phones are posted (the number's messaging webhook).
    pub inbound_url: Option<String>,
    /// Every status callback posted: the message SID, the status, and the answer's status.
    pub callbacks: Vec<(String, String, u16)>,
}

type Shared = Arc<Mutex<TwilioState>>;

/// A running fake.
#[derive(Clone)]
pub struct TwilioFake {
    /// `http://127.0.0.1:PORT`: an installation's `base_url`.
    pub base: String,
    pub state: Shared,
    client: reqwest::Client,
}

/// Twilio's `X-Twilio-Signature` of a POST of `params` to `url`: base64 of the
/// HMAC-SHA1 under the auth token of the URL followed by each parameter's name and
/// value, sorted by name.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_string();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key");
    mac.update(data.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// POSTs `params` form-encoded to `url` with `signature`; the answer's status.
async fn post_form(
    client: &reqwest::Client,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> u16 {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    client
        .post(url)
        .header("x-twilio-signature", signature)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

impl TwilioFake {
    /// Starts the fake for account `account_sid` with `auth_token`, whose number is `number`.
    pub async fn start(account_sid: &str, auth_token: &str, number: &str) -> TwilioFake {
        let state: Shared = Arc::new(Mutex::new(TwilioState {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            number: number.into(),
            ..TwilioState::default()
        }));
        let client = reqwest::Client::new();
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create_message).get(list_messages),
            )
            .route(
                "/2010-04-01/Accounts/{account}/Messages/{message}",
                get(fetch_message),
            )
            .with_state((state.clone(), client.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TwilioFake {
            base,
            state,
            client,
        }
    }

    /// The messages created, oldest first.
    pub fn messages(&self) -> Vec<Value> {
        self.state.lock().unwrap().messages.clone()
    }

    /// How many requests to create a message reached the fake.
    pub fn create_requests(&self) -> usize {
        self.state.lock().unwrap().create_requests
    }

    /// Answers every create with 429 from now on, naming `retry_after` seconds when
    /// given (Twilio does not always say how long to wait).
    pub fn throttle(&self, retry_after: Option<u32>) {
        self.state.lock().unwrap().rate_limited = Some(retry_after);
    }

    /// Serves creates again.
    pub fn unthrottle(&self) {
        self.state.lock().unwrap().rate_limited = None;
    }

    /// Makes messages to `phone` end undelivered, as for a phone that is off.
    pub fn set_unreachable(&self, phone: &str) {
        self.state.lock().unwrap().unreachable.insert(phone.into());
    }

    /// Makes messages to `phone` stop at `sent`, as when its carrier has not confirmed.
    pub fn set_unconfirmed(&self, phone: &str) {
        self.state.lock().unwrap().unconfirmed.insert(phone.into());
    }

    /// Where texts from phones are posted.
    pub fn set_inbound_url(&self, url: &str) {
        self.state.lock().unwrap().inbound_url = Some(url.into());
    }

    /// `phone` texts `body` to the account's number: Twilio applies its opt-out
    /// keywords, then posts the message, signed, to the inbound URL. The answer's status.
    pub async fn text_from(&self, phone: &str, body: &str) -> u16 {
        let (url, params, token) = {
            let mut s = self.state.lock().unwrap();
            let keyword = body.trim().to_ascii_uppercase();
            if OPT_OUT.contains(&keyword.as_str()) {
                s.opted_out.insert(phone.into());
            } else if OPT_IN.contains(&keyword.as_str()) {
                s.opted_out.remove(phone);
            }
            let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
            let params: Vec<(String, String)> = [
                ("ToCountry", "US"),
                ("SmsMessageSid", sid.as_str()),
                ("NumMedia", "0"),
                ("SmsSid", sid.as_str()),
                ("SmsStatus", "received"),
                ("Body", body),
                ("To", s.number.as_str()),
                ("NumSegments", "1"),
                ("MessageSid", sid.as_str()),
                ("AccountSid", s.account_sid.as_str()),
                ("From", phone),
                ("ApiVersion", "2010-04-01"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            let url = s.inbound_url.clone().expect("an inbound URL is set");
            (url, params, s.auth_token.clone())
        };
        let signed = signature(&token, &url, &params);
        post_form(&self.client, &url, &params, &signed).await
    }
}

/// A Twilio error answer.
fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

/// The refusal, if any, of a request for `account` with these headers.
fn unauthorized(state: &TwilioState, account: &str, headers: &HeaderMap) -> Option<Response> {
    let expected = STANDARD.encode(format!("{}:{}", state.account_sid, state.auth_token));
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    (given != Some(expected.as_str()) || account != state.account_sid).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            20003,
            "Authentication Error - invalid username",
        )
    })
}

/// Whether `phone` is E.164: `+`, a country code not starting with 0, at most 15 digits.
fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// `num_segments` of a GSM-7 body: 160 characters in one, 153 per part beyond.
fn segments(body: &str) -> usize {
    match body.chars().count() {
        0..=160 => 1,
        n => n.div_ceil(153),
    }
}

type AppState = (Shared, reqwest::Client);

async fn create_message(
    State((state, client)): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (to, from, text, callback) = (
        field("To"),
        field("From"),
        field("Body"),
        field("StatusCallback"),
    );
    let mut s = state.lock().unwrap();
    s.create_requests += 1;
    if let Some(refused) = unauthorized(&s, &account, &headers) {
        return refused;
    }
    if let Some(retry_after) = s.rate_limited {
        let mut refused = error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests");
        if let Some(seconds) = retry_after {
            refused
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        return refused;
    }
    if !is_e164(&to) {
        return error(
            StatusCode::BAD_REQUEST,
            21211,
            &format!("Invalid 'To' Phone Number: {to}"),
        );
    }
    if s.opted_out.contains(&to) {
        return error(
            StatusCode::BAD_REQUEST,
            21610,
            "Attempt to send to unsubscribed recipient",
        );
    }
    if text.is_empty() {
        return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    }
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let now = Utc::now().to_rfc2822();
    let uri = format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json");
    let message = json!({
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": text,
        "date_created": now,
        "date_sent": null,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": from,
        "messaging_service_sid": null,
        "num_media": "0",
        "num_segments": segments(&text).to_string(),
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": to,
        "uri": uri,
    });
    s.messages.push(message.clone());
    if !callback.is_empty() {
        let mut statuses = vec!["queued", "sent"];
        if s.unreachable.contains(&to) {
            statuses.push("undelivered");
        } else if !s.unconfirmed.contains(&to) {
            statuses.push("delivered");
        }
        tokio::spawn(report_statuses(
            state.clone(),
            client,
            callback,
            sid,
            statuses,
        ));
    }
    (StatusCode::CREATED, Json(message)).into_response()
}

/// Moves message `sid` through `statuses`, posting each, signed, to `callback`.
async fn report_statuses(
    state: Shared,
    client: reqwest::Client,
    callback: String,
    sid: String,
    statuses: Vec<&'static str>,
) {
    for status in statuses {
        tokio::time::sleep(CALLBACK_STEP).await;
        let (params, token) = {
            let mut s = state.lock().unwrap();
            let (account_sid, token) = (s.account_sid.clone(), s.auth_token.clone());
            let Some(message) = s.messages.iter_mut().find(|m| m["sid"] == sid.as_str()) else {
                return;
            };
            message["status"] = json!(status);
            let error_code = (status == "undelivered").then_some("30003");
            message["error_code"] = json!(error_code.map(|c| c.parse::<u32>().unwrap()));
            let mut params: Vec<(String, String)> = vec![
                ("AccountSid".into(), account_sid),
                ("ApiVersion".into(), "2010-04-01".into()),
                ("From".into(), message["from"].as_str().unwrap().into()),
                ("MessageSid".into(), sid.clone()),
                ("MessageStatus".into(), status.into()),
                ("SmsSid".into(), sid.clone()),
                ("SmsStatus".into(), status.into()),
                ("To".into(), message["to"].as_str().unwrap().into()),
            ];
            if let Some(code) = error_code {
                params.push(("ErrorCode".into(), code.into()));
            }
            (params, token)
        };
        let signed = signature(&token, &callback, &params);
        let answered = post_form(&client, &callback, &params, &signed).await;
        state
            .lock()
            .unwrap()
            .callbacks
            .push((sid.clone(), status.into(), answered));
    }
}

async fn fetch_message(
    State((state, _)): State<AppState>,
    Path((account, message)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let s = state.lock().unwrap();
    if let Some(refused) = unauthorized(&s, &account, &headers) {
        return refused;
    }
    let sid = message.trim_end_matches(".json");
    match s.messages.iter().find(|m| m["sid"] == sid) {
        Some(found) => Json(found.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            20404,
            &format!(
                "The requested resource /2010-04-01/Accounts/{account}/Messages/{sid}.json was not found"
            ),
        ),
    }
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(rename = "PageSize")]
    page_size: Option<usize>,
    #[serde(rename = "Page")]
    page: Option<usize>,
    #[serde(rename = "To")]
    to: Option<String>,
}

async fn list_messages(
    State((state, _)): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let s = state.lock().unwrap();
    if let Some(refused) = unauthorized(&s, &account, &headers) {
        return refused;
    }
    let size = q.page_size.unwrap_or(50).clamp(1, 1000);
    let page = q.page.unwrap_or(0);
    let matching: Vec<&Value> = s
        .messages
        .iter()
        .rev()
        .filter(|m| q.to.as_deref().is_none_or(|to| m["to"] == to))
        .collect();
    let start = page * size;
    let items: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(size)
        .map(|m| (*m).clone())
        .collect();
    let base = format!("/2010-04-01/Accounts/{account}/Messages.json");
    let page_uri = |n: usize| format!("{base}?PageSize={size}&Page={n}");
    let more = start + items.len() < matching.len();
    Json(json!({
        "messages": items,
        "start": start,
        "end": (start + items.len()).saturating_sub(1),
        "page": page,
        "page_size": size,
        "uri": page_uri(page),
        "first_page_uri": page_uri(0),
        "next_page_uri": more.then(|| page_uri(page + 1)),
        "previous_page_uri": (page > 0).then(|| page_uri(page - 1)),
    }))
    .into_response()
}
