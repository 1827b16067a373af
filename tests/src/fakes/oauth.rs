//! A faithful OAuth 2.0 authorization server on 127.0.0.1, for testing connections
//! end to end over real HTTP:
//!
//! - `GET /authorize` checks the client id and registered redirect URI (refusing
//!   without redirecting, as RFC 6749 §4.1.2.1 requires), demands a PKCE S256
//!   challenge, and redirects back with a single-use code bound to that challenge.
//! - `POST /token` authenticates the client (Basic or form body, never both),
//!   exchanges a code only with the matching `code_verifier` and redirect URI, and
//!   refreshes with rotating single-use refresh tokens; errors are RFC 6749 JSON
//!   (`invalid_grant` 400, `invalid_client` 401).
//! - `POST /revoke` is RFC 7009 (revoking a refresh token ends its whole grant).
//! - `GET /me` is a protected resource: 401 for an unknown, expired or revoked token.
//!
//! Counters and knobs let a test see how many refreshes happened, shorten token
//! lifetimes, slow the token endpoint down to widen races, take it down, or revoke
//! every grant as a user would from the provider's settings page.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use convene::auth::oauth::{ClientAuth, OAuthProvider};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The client Convene is registered as.
pub const CLIENT_ID: &str = "convene-test-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "fake-client-secret";
/// The account every grant belongs to, answered by `/me`.
pub const ACCOUNT: &str = "ada@provider.example";

/// A running fake; dropping it stops the server.
pub struct FakeOAuth {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    state: Arc<Server>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

struct Server {
    redirect_uri: String,
    access_ttl_ms: AtomicU64,
    token_delay_ms: AtomicU64,
    unavailable: AtomicBool,
    refreshes: AtomicUsize,
    code_exchanges: AtomicUsize,
    token_requests: AtomicUsize,
    revocations: AtomicUsize,
    next_id: AtomicUsize,
    grants: Mutex<Grants>,
}

#[derive(Default)]
struct Grants {
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    revoked_grants: Vec<usize>,
    client_auth_seen: Vec<&'static str>,
}

struct Code {
    challenge: String,
    redirect_uri: String,
    scope: String,
    issued: Instant,
    used: bool,
}

struct Access {
    grant: usize,
    expires: Instant,
}

struct Refresh {
    grant: usize,
    scope: String,
    used: bool,
}

impl Server {
    /// Whether `token` is an access token issued here, unexpired and not revoked.
    fn accepts(&self, token: &str) -> bool {
        let grants = self.grants.lock().unwrap();
        grants.access.get(token).is_some_and(|access| {
            access.expires > Instant::now() && !grants.revoked_grants.contains(&access.grant)
        })
    }
}

impl FakeOAuth {
    /// How a resource server of this provider checks bearers: the same check as `/me`.
    pub fn token_check(&self) -> impl Fn(&str) -> bool + Send + Sync + 'static {
        let server = self.state.clone();
        move |token| server.accepts(token)
    }

    /// Starts a fake that accepts `redirect_uri` as the client's only registered one.
    pub async fn start(redirect_uri: &str) -> FakeOAuth {
        let state = Arc::new(Server {
            redirect_uri: redirect_uri.to_string(),
            access_ttl_ms: AtomicU64::new(3_600_000),
            token_delay_ms: AtomicU64::new(0),
            unavailable: AtomicBool::new(false),
            refreshes: AtomicUsize::new(0),
            code_exchanges: AtomicUsize::new(0),
            token_requests: AtomicUsize::new(0),
            revocations: AtomicUsize::new(0),
            next_id: AtomicUsize::new(1),
            grants: Mutex::default(),
        });
        let router = Router::new()
            .route("/authorize", get(authorize))
            // Google's authorization endpoint path, for plugins whose manifest names it.
            .route("/o/oauth2/v2/auth", get(authorize))
            // Microsoft identity platform's endpoint paths (tenant `common`).
            .route("/common/oauth2/v2.0/authorize", get(authorize))
            .route("/token", post(token))
            .route("/common/oauth2/v2.0/token", post(token))
            .route("/revoke", post(revoke))
            .route("/me", get(me))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("the fake serves");
        });
        FakeOAuth {
            base,
            state,
            _stop: stop,
        }
    }

    /// The provider as a plugin's manifest and installation would describe this fake.
    pub fn provider(&self, plugin_id: &str, client_auth: ClientAuth) -> OAuthProvider {
        OAuthProvider {
            plugin_id: plugin_id.to_string(),
            authorize_url: format!("{}/authorize", self.base),
            token_url: format!("{}/token", self.base),
            revoke_url: Some(format!("{}/revoke", self.base)),
            scopes: vec!["calendar.read".into(), "calendar.write".into()],
            client_id: CLIENT_ID.into(),
            client_secret: Some(CLIENT_SECRET.into()),
            client_auth,
        }
    }

    /// How long access tokens issued from now on live (`Duration::ZERO`: born expired).
    pub fn set_access_ttl(&self, ttl: Duration) {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        self.state.access_ttl_ms.store(ms, Ordering::SeqCst);
    }

    /// Makes the token endpoint take this long, so concurrent callers overlap.
    pub fn set_token_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.state.token_delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Makes the token endpoint answer 503 (or work again).
    pub fn set_unavailable(&self, down: bool) {
        self.state.unavailable.store(down, Ordering::SeqCst);
    }

    /// Revokes every grant, as a user removing the app at the provider would: every
    /// token stops working and refreshes answer `invalid_grant`.
    pub fn revoke_all_grants(&self) {
        let mut grants = self.state.grants.lock().unwrap();
        let all: Vec<usize> = grants.refresh.values().map(|r| r.grant).collect();
        grants.revoked_grants.extend(all);
    }

    /// Successful refresh-token grants so far.
    pub fn refreshes(&self) -> usize {
        self.state.refreshes.load(Ordering::SeqCst)
    }

    /// Successful code exchanges so far.
    pub fn code_exchanges(&self) -> usize {
        self.state.code_exchanges.load(Ordering::SeqCst)
    }

    /// Requests to the token endpoint so far, failed ones included.
    pub fn token_requests(&self) -> usize {
        self.state.token_requests.load(Ordering::SeqCst)
    }

    /// Successful revocation requests so far.
    pub fn revocations(&self) -> usize {
        self.state.revocations.load(Ordering::SeqCst)
    }

    /// How the client authenticated at each token or revocation request (`basic`, `body`).
    pub fn client_auth_seen(&self) -> Vec<&'static str> {
        self.state.grants.lock().unwrap().client_auth_seen.clone()
    }

    /// Every token this fake has issued (access and refresh), to look for in storage.
    pub fn issued_tokens(&self) -> Vec<String> {
        let grants = self.state.grants.lock().unwrap();
        grants
            .access
            .keys()
            .chain(grants.refresh.keys())
            .cloned()
            .collect()
    }
}

impl Server {
    fn token(&self, prefix: &str) -> String {
        let n = self.next_id.fetch_add(1, Ordering::SeqCst);
        format!("{prefix}-{n}-{}", uuid::Uuid::new_v4().simple())
    }

    fn grant_id(&self) -> usize {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Issues an access and a refresh token in `grant`, answered as RFC 6749 §5.1.
    fn issue(&self, grants: &mut Grants, grant: usize, scope: &str) -> Response {
        let ttl = Duration::from_millis(self.access_ttl_ms.load(Ordering::SeqCst));
        let access = self.token("at");
        let refresh = self.token("rt");
        grants.access.insert(
            access.clone(),
            Access {
                grant,
                expires: Instant::now() + ttl,
            },
        );
        grants.refresh.insert(
            refresh.clone(),
            Refresh {
                grant,
                scope: scope.to_string(),
                used: false,
            },
        );
        (
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": ttl.as_secs(),
                "refresh_token": refresh,
                "scope": scope,
            })),
        )
            .into_response()
    }
}

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": code, "error_description": description })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// The user "consents" at once; the browser is sent back with a code.
async fn authorize(
    State(server): State<Arc<Server>>,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    if p.client_id.as_deref() != Some(CLIENT_ID) {
        return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
    }
    let Some(redirect_uri) = p.redirect_uri.filter(|r| *r == server.redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not registered").into_response();
    };
    let mut back = reqwest::Url::parse(&redirect_uri).expect("a registered URL parses");
    if let Some(state) = &p.state {
        back.query_pairs_mut().append_pair("state", state);
    }
    let refusal = if p.response_type.as_deref() != Some("code") {
        Some("unsupported_response_type")
    } else if p.code_challenge_method.as_deref() != Some("S256") || p.code_challenge.is_none() {
        Some("invalid_request")
    } else {
        None
    };
    match refusal {
        Some(error) => {
            back.query_pairs_mut().append_pair("error", error);
        }
        None => {
            let code = server.token("code");
            server.grants.lock().unwrap().codes.insert(
                code.clone(),
                Code {
                    challenge: p.code_challenge.unwrap_or_default(),
                    redirect_uri,
                    scope: p.scope.unwrap_or_default(),
                    issued: Instant::now(),
                    used: false,
                },
            );
            back.query_pairs_mut().append_pair("code", &code);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response()
}

/// Authenticates the client by Basic or by form body (RFC 6749 §2.3.1); the refusal
/// to answer when that fails.
fn client_refusal(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    grants: &mut Grants,
) -> Option<Response> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|b64| {
            let decoded = STANDARD.decode(b64).unwrap_or_default();
            let text = String::from_utf8(decoded).unwrap_or_default();
            let (id, secret) = text.split_once(':').unwrap_or((&text, ""));
            (form_decode(id), form_decode(secret))
        });
    let body = form.get("client_secret").map(|secret| {
        (
            form.get("client_id").cloned().unwrap_or_default(),
            secret.clone(),
        )
    });
    let (method, (id, secret), status) = match (basic, body) {
        (Some(_), Some(_)) => {
            return Some(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "more than one client authentication method",
            ));
        }
        (Some(credentials), None) => ("basic", credentials, StatusCode::UNAUTHORIZED),
        (None, Some(credentials)) => ("body", credentials, StatusCode::BAD_REQUEST),
        (None, None) => {
            return Some(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication is required",
            ));
        }
    };
    if id != CLIENT_ID || secret != CLIENT_SECRET {
        return Some(oauth_error(
            status,
            "invalid_client",
            "client authentication failed",
        ));
    }
    grants.client_auth_seen.push(method);
    None
}

/// `application/x-www-form-urlencoded` decoding of one value.
fn form_decode(s: &str) -> String {
    form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn token(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    server.token_requests.fetch_add(1, Ordering::SeqCst);
    let delay = server.token_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if server.unavailable.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
    }
    let mut grants = server.grants.lock().unwrap();
    if let Some(refusal) = client_refusal(&headers, &form, &mut grants) {
        return refusal;
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let Some(code) = grants.codes.get_mut(&field("code")) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown code");
            };
            if code.used || code.issued.elapsed() > Duration::from_secs(60) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the code was used or has expired",
                );
            }
            code.used = true;
            if code.redirect_uri != field("redirect_uri") {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri differs from the authorization request",
                );
            }
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier")));
            if challenge != code.challenge {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "code_verifier does not match the code_challenge",
                );
            }
            let scope = code.scope.clone();
            server.code_exchanges.fetch_add(1, Ordering::SeqCst);
            let grant = server.grant_id();
            server.issue(&mut grants, grant, &scope)
        }
        Some("refresh_token") => {
            let revoked = grants.revoked_grants.clone();
            let Some(refresh) = grants.refresh.get_mut(&field("refresh_token")) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown refresh token",
                );
            };
            if refresh.used || revoked.contains(&refresh.grant) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "the refresh token was already used or has been revoked",
                );
            }
            refresh.used = true;
            let (grant, scope) = (refresh.grant, refresh.scope.clone());
            server.refreshes.fetch_add(1, Ordering::SeqCst);
            server.issue(&mut grants, grant, &scope)
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "this server knows authorization_code and refresh_token",
        ),
    }
}

/// RFC 7009: 200 whether or not the token was known; revoking a refresh token ends
/// its grant, access tokens included.
async fn revoke(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut grants = server.grants.lock().unwrap();
    if let Some(refusal) = client_refusal(&headers, &form, &mut grants) {
        return refusal;
    }
    let token = form.get("token").cloned().unwrap_or_default();
    let grant = grants
        .refresh
        .get(&token)
        .map(|r| r.grant)
        .or_else(|| grants.access.get(&token).map(|a| a.grant));
    if let Some(grant) = grant {
        if grants.refresh.contains_key(&token) {
            grants.revoked_grants.push(grant);
        } else {
            grants.access.remove(&token);
        }
    }
    server.revocations.fetch_add(1, Ordering::SeqCst);
    StatusCode::OK.into_response()
}

/// The protected resource: who the bearer belongs to.
async fn me(State(server): State<Arc<Server>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !server.accepts(token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
            Json(json!({ "error": "invalid_token" })),
        )
            .into_response();
    }
    Json(json!({ "email": ACCOUNT })).into_response()
}
