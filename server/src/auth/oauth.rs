//! OAuth 2.0 with providers (Google, Microsoft, Zoom, …), over the `oauth2` crate: the
//! authorization URL with PKCE (S256) and a signed state, the code exchange, refresh
//! and RFC 7009 revocation.
//!
//! Nothing here stores anything: `app::connections` decides what to keep (sealed) and
//! when to refresh. The state carries everything the callback needs (organization,
//! owner, plugin, redirect URI, the PKCE verifier sealed, an expiry) under an
//! HMAC-SHA256 signature, so the callback needs no server-side session and a browser
//! that returns with a forged or stale state is refused.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, HttpClientError, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::secrets::SecretKey;
use crate::domain::connection::ConnectionOwner;
use crate::domain::ids::{OrgId, UserId};

/// Where a provider's OAuth endpoints are and how Convene is registered there. The
/// plugin host fills one from a plugin's manifest (endpoints, scopes) and its
/// installation's config (client id and secret).
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthProvider {
    /// The plugin this provider belongs to (`google-calendar`); also the path segment of
    /// `/oauth/{plugin}/…`.
    pub plugin_id: String,
    /// Where the owner's browser is sent to consent.
    pub authorize_url: String,
    /// Where codes and refresh tokens are exchanged for access tokens.
    pub token_url: String,
    /// The RFC 7009 revocation endpoint, when the provider has one.
    pub revoke_url: Option<String>,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// Convene's client id at the provider.
    pub client_id: String,
    /// Convene's client secret; `None` for a public client (PKCE only).
    pub client_secret: Option<String>,
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
}

/// The client secret stays out of logs.
impl std::fmt::Debug for OAuthProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthProvider")
            .field("plugin_id", &self.plugin_id)
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("revoke_url", &self.revoke_url)
            .field("scopes", &self.scopes)
            .field("client_id", &self.client_id)
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

/// RFC 6749 §2.3.1: providers accept one of these, and some only one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `Authorization: Basic` with the id and secret (the RFC's preference).
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Body,
}

/// What the token endpoint granted.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The bearer for API calls.
    pub access_token: String,
    /// For getting the next access token; providers that rotate send a new one each time.
    pub refresh_token: Option<String>,
    /// How long the access token lives, when the provider says.
    pub expires_in: Option<Duration>,
    /// The scopes granted, when they differ from those asked for (or the provider says).
    pub scopes: Option<Vec<String>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Why a call to the provider failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The grant (code or refresh token) is invalid, expired, used or revoked: asking
    /// again with it cannot succeed, the owner must connect again.
    #[error("the provider refused the grant (invalid_grant): {0}")]
    InvalidGrant(String),
    /// The provider answered with another RFC 6749 error (`invalid_client`, …).
    #[error("the provider answered {code}: {description}")]
    Rejected {
        /// The RFC 6749 `error` code.
        code: String,
        /// Its `error_description`, or empty.
        description: String,
    },
    /// The provider could not be reached or answered something unreadable; trying
    /// again later may work.
    #[error("the provider could not be reached or answered unreadably: {0}")]
    Unavailable(String),
    /// The provider's endpoints are misconfigured (not URLs, plain HTTP where HTTPS is
    /// required).
    #[error("the provider is misconfigured: {0}")]
    Misconfigured(String),
}

/// The HTTP client for provider calls. Redirects are off, as the `oauth2` crate
/// requires (a token endpoint that redirects could send the code or client secret
/// anywhere), and every call has a deadline.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Convene/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a client with these options always builds")
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn client(provider: &OAuthProvider, redirect_uri: Option<&str>) -> Result<Client, OAuthError> {
    let url = |what: &str, value: &str| {
        OAuthError::Misconfigured(format!("the {what} `{value}` is not a URL"))
    };
    let mut client = BasicClient::new(ClientId::new(provider.client_id.clone()))
        .set_auth_uri(
            AuthUrl::new(provider.authorize_url.clone())
                .map_err(|_| url("authorize URL", &provider.authorize_url))?,
        )
        .set_token_uri(
            TokenUrl::new(provider.token_url.clone())
                .map_err(|_| url("token URL", &provider.token_url))?,
        )
        .set_auth_type(match provider.client_auth {
            ClientAuth::Basic => AuthType::BasicAuth,
            ClientAuth::Body => AuthType::RequestBody,
        });
    if let Some(secret) = &provider.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.clone()));
    }
    if let Some(redirect) = redirect_uri {
        client = client.set_redirect_uri(
            RedirectUrl::new(redirect.to_string()).map_err(|_| url("redirect URI", redirect))?,
        );
    }
    Ok(client)
}

/// A fresh random PKCE code verifier (43 characters of base64url).
pub fn new_pkce_verifier() -> String {
    let (_, verifier) = PkceCodeChallenge::new_random_sha256();
    verifier.secret().clone()
}

/// The URL the owner's browser opens to consent: the provider's scopes, `state`, and
/// the S256 challenge of `pkce_verifier`.
pub fn authorize_url(
    provider: &OAuthProvider,
    redirect_uri: &str,
    state: &str,
    pkce_verifier: &str,
) -> Result<String, OAuthError> {
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(pkce_verifier.into()));
    let (url, _) = client(provider, Some(redirect_uri))?
        .authorize_url(|| CsrfToken::new(state.to_string()))
        .add_scopes(provider.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .url();
    Ok(url.into())
}

/// Exchanges the authorization `code` (with the PKCE verifier and the same redirect
/// URI the authorization used) for tokens.
pub async fn exchange_code(
    http: &reqwest::Client,
    provider: &OAuthProvider,
    redirect_uri: &str,
    code: &str,
    pkce_verifier: &str,
) -> Result<Tokens, OAuthError> {
    let response = client(provider, Some(redirect_uri))?
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
        .request_async(http)
        .await
        .map_err(token_error)?;
    Ok(tokens(response))
}

/// Gets a new access token with `refresh_token`. A provider that rotates refresh
/// tokens answers a new one and the old one is spent: the caller must store it
/// before anyone refreshes again.
pub async fn refresh(
    http: &reqwest::Client,
    provider: &OAuthProvider,
    refresh_token: &str,
) -> Result<Tokens, OAuthError> {
    let response = client(provider, None)?
        .exchange_refresh_token(&RefreshToken::new(refresh_token.to_string()))
        .request_async(http)
        .await
        .map_err(token_error)?;
    Ok(tokens(response))
}

/// Which kind of token is revoked (RFC 7009 `token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token; revoking it usually ends its access tokens too.
    Refresh,
}

/// Revokes `token` at the provider's RFC 7009 endpoint; `Ok(false)` when the provider
/// has none (the token then simply expires).
///
/// Written here rather than with the `oauth2` crate, whose revocation insists on HTTPS
/// even for loopback; the RFC's rule is kept for every other host.
pub async fn revoke(
    http: &reqwest::Client,
    provider: &OAuthProvider,
    token: &str,
    kind: TokenKind,
) -> Result<bool, OAuthError> {
    let Some(revoke_url) = &provider.revoke_url else {
        return Ok(false);
    };
    let url = reqwest::Url::parse(revoke_url).map_err(|_| {
        OAuthError::Misconfigured(format!("the revocation URL `{revoke_url}` is not a URL"))
    })?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if url.scheme() != "https" && !loopback {
        return Err(OAuthError::Misconfigured(format!(
            "the revocation URL `{revoke_url}` must use HTTPS (RFC 7009)"
        )));
    }
    let hint = match kind {
        TokenKind::Access => "access_token",
        TokenKind::Refresh => "refresh_token",
    };
    let mut form = vec![("token", token), ("token_type_hint", hint)];
    let mut request = http.post(url);
    match (provider.client_auth, &provider.client_secret) {
        (ClientAuth::Basic, Some(secret)) => {
            // RFC 6749 §2.3.1: both parts form-encoded before the Basic encoding.
            let encode =
                |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            request = request.basic_auth(encode(&provider.client_id), Some(encode(secret)));
        }
        (_, secret) => {
            form.push(("client_id", &provider.client_id));
            if let Some(secret) = secret {
                form.push(("client_secret", secret));
            }
        }
    }
    let response = request
        .form(&form)
        .send()
        .await
        .map_err(|e| OAuthError::Unavailable(e.to_string()))?;
    if response.status().is_success() {
        return Ok(true);
    }
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    Err(match body["error"].as_str() {
        Some(code) => OAuthError::Rejected {
            code: code.to_string(),
            description: body["error_description"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        },
        None => OAuthError::Unavailable(format!("the revocation endpoint answered {status}")),
    })
}

fn tokens(response: BasicTokenResponse) -> Tokens {
    Tokens {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        expires_in: response.expires_in(),
        scopes: response
            .scopes()
            .map(|scopes| scopes.iter().map(|s| s.to_string()).collect()),
    }
}

fn token_error(
    err: RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>,
) -> OAuthError {
    match err {
        RequestTokenError::ServerResponse(response) => {
            let description = response.error_description().cloned().unwrap_or_default();
            match response.error() {
                BasicErrorResponseType::InvalidGrant => OAuthError::InvalidGrant(description),
                other => OAuthError::Rejected {
                    code: other.to_string(),
                    description,
                },
            }
        }
        RequestTokenError::Request(e) => OAuthError::Unavailable(error_chain(&e)),
        RequestTokenError::Parse(e, _) => {
            OAuthError::Unavailable(format!("unreadable token response: {e}"))
        }
        RequestTokenError::Other(message) => OAuthError::Unavailable(message),
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What the authorization round trip must remember, carried by the provider through
/// the owner's browser as the `state` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowState {
    /// The tenant.
    pub org_id: OrgId,
    /// Whose connection this becomes.
    pub owner: ConnectionOwner,
    /// Who started it (and is told if it breaks later).
    pub user_id: UserId,
    /// Which plugin's provider.
    pub plugin_id: String,
    /// The redirect URI sent with the authorization; the exchange must repeat it.
    pub redirect_uri: String,
    /// The PKCE verifier (sealed in the state, never sent in the clear).
    pub pkce_verifier: String,
    /// After this the state is refused.
    pub expires_at: DateTime<Utc>,
}

/// Why a returned state was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not a state this server wrote, or altered on the way.
    #[error("the OAuth state is not one this server issued or was altered")]
    Invalid,
    /// Issued by us, but too long ago.
    #[error("the OAuth state has expired; start connecting again")]
    Expired,
}

/// The purpose label of the state's signing key and of its sealed verifier.
const STATE_PURPOSE: &str = "oauth.state";

#[derive(Serialize, Deserialize)]
struct SignedState {
    org: i64,
    owner: ConnectionOwner,
    user: i64,
    plugin: String,
    redirect: String,
    verifier: String,
    exp: i64,
}

/// `state` as `base64url(JSON).base64url(HMAC-SHA256)`, the verifier sealed inside.
pub fn sign_state(key: &SecretKey, state: &FlowState) -> String {
    let payload = serde_json::to_vec(&SignedState {
        org: state.org_id.0,
        owner: state.owner,
        user: state.user_id.0,
        plugin: state.plugin_id.clone(),
        redirect: state.redirect_uri.clone(),
        verifier: key.seal(STATE_PURPOSE, &state.pkce_verifier),
        exp: state.expires_at.timestamp_millis(),
    })
    .expect("plain data serializes");
    let payload = URL_SAFE_NO_PAD.encode(payload);
    let signature = URL_SAFE_NO_PAD.encode(state_mac(key, &payload).finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// The state `token` carries, if this server signed it and it has not expired at `now`.
pub fn verify_state(
    key: &SecretKey,
    token: &str,
    now: DateTime<Utc>,
) -> Result<FlowState, StateError> {
    let (payload, signature) = token.split_once('.').ok_or(StateError::Invalid)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| StateError::Invalid)?;
    state_mac(key, payload)
        .verify_slice(&signature)
        .map_err(|_| StateError::Invalid)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| StateError::Invalid)?;
    let signed: SignedState = serde_json::from_slice(&bytes).map_err(|_| StateError::Invalid)?;
    let expires_at = DateTime::from_timestamp_millis(signed.exp).ok_or(StateError::Invalid)?;
    if expires_at <= now {
        return Err(StateError::Expired);
    }
    Ok(FlowState {
        org_id: OrgId(signed.org),
        owner: signed.owner,
        user_id: UserId(signed.user),
        plugin_id: signed.plugin,
        redirect_uri: signed.redirect,
        pkce_verifier: key
            .open(STATE_PURPOSE, &signed.verifier)
            .map_err(|_| StateError::Invalid)?,
        expires_at,
    })
}

fn state_mac(key: &SecretKey, payload: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key.derive(STATE_PURPOSE))
        .expect("HMAC takes a key of any length");
    mac.update(payload.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(expires_at: DateTime<Utc>) -> FlowState {
        FlowState {
            org_id: OrgId(1),
            owner: ConnectionOwner::Team(7),
            user_id: UserId(3),
            plugin_id: "google-calendar".into(),
            redirect_uri: "https://cal.example.com/oauth/google-calendar/callback".into(),
            pkce_verifier: new_pkce_verifier(),
            expires_at,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_signed_state_reads_back_until_it_expires() {
        let key = SecretKey::generate();
        let original = state(now() + chrono::Duration::minutes(10));
        let token = sign_state(&key, &original);
        assert!(!token.contains(&original.pkce_verifier), "verifier sealed");
        assert_eq!(verify_state(&key, &token, now()), Ok(original.clone()));
        let later = now() + chrono::Duration::minutes(10);
        assert_eq!(verify_state(&key, &token, later), Err(StateError::Expired));
    }

    #[test]
    fn an_altered_or_foreign_state_is_refused() {
        let key = SecretKey::generate();
        let token = sign_state(&key, &state(now() + chrono::Duration::minutes(10)));
        let (payload, signature) = token.split_once('.').unwrap();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["org"] = 2.into();
        let forged = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
        );
        let other_key = sign_state(
            &SecretKey::generate(),
            &state(now() + chrono::Duration::minutes(10)),
        );
        for bad in [
            forged.as_str(),
            other_key.as_str(),
            payload,
            "",
            "x.y",
            &token[..token.len() - 2],
        ] {
            assert_eq!(
                verify_state(&key, bad, now()),
                Err(StateError::Invalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_authorize_url_carries_pkce_s256_state_and_scopes() {
        let provider = OAuthProvider {
            plugin_id: "p".into(),
            authorize_url: "https://idp.example/authorize?prompt=consent".into(),
            token_url: "https://idp.example/token".into(),
            revoke_url: None,
            scopes: vec!["calendar.read".into(), "calendar.write".into()],
            client_id: "convene".into(),
            client_secret: Some("s3cret".into()),
            client_auth: ClientAuth::Basic,
        };
        let verifier = new_pkce_verifier();
        let url = authorize_url(&provider, "https://c.example/cb", "st.ate", &verifier).unwrap();
        let url = reqwest::Url::parse(&url).unwrap();
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        let challenge =
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier));
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], "convene");
        assert_eq!(query["redirect_uri"], "https://c.example/cb");
        assert_eq!(query["state"], "st.ate");
        assert_eq!(query["scope"], "calendar.read calendar.write");
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(&query["code_challenge"], challenge.as_str());
        assert_eq!(
            query["prompt"], "consent",
            "the provider's own parameters kept"
        );
        assert!(!format!("{provider:?}").contains("s3cret"));
    }
}
