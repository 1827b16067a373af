//! `http.send`: the only way out of the sandbox. The host, not the plugin, decides where
//! a request may go (the manifest's hosts plus an installation's base URL), attaches the
//! installation's bearer token, keeps each installation under its request rate, and
//! honours a provider's `429 Retry-After` for every later call of that installation.
//! A request over the rate waits for its turn when that is near ([`MAX_QUEUED_WAIT`]),
//! as a polite client would; only a longer wait comes back to the plugin as
//! `rate-limited`, to be retried later.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Url;

use super::bindings::wit::{HttpError, HttpRequest, HttpResponse};
use super::limits::Limits;
use crate::domain::destination::host_allowed;

/// An installation's credentials, as the host sees them: a bearer token on demand.
/// Refresh tokens stay behind this trait, so no plugin ever holds one.
pub trait Credentials: Send + Sync {
    /// The current access token (`refresh`: a fresh one, as the provider refused the
    /// last); `None` when the installation has no usable connection.
    fn bearer(&self, refresh: bool) -> Pin<Box<dyn Future<Output = Option<String>> + Send + '_>>;
}

/// Where one installation's requests may go.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    /// Host names from the manifest: HTTPS only.
    hosts: Vec<String>,
    /// The installation's base URL override: its scheme, host and port exactly.
    base: Option<Url>,
}

impl Allowlist {
    pub fn new(hosts: Vec<String>, base_url: Option<&str>) -> Allowlist {
        Allowlist {
            hosts,
            base: base_url.and_then(|u| Url::parse(u).ok()),
        }
    }

    /// Whether `url` may be requested; the error names the refused host.
    fn permits(&self, url: &Url) -> Result<(), String> {
        let host = url.host_str().unwrap_or_default().to_string();
        let by_manifest = url.scheme() == "https" && self.hosts.iter().any(|h| h == &host);
        let by_base = self.base.as_ref().is_some_and(|base| {
            base.scheme() == url.scheme()
                && base.host_str() == url.host_str()
                && base.port_or_known_default() == url.port_or_known_default()
        });
        if by_manifest || by_base {
            Ok(())
        } else {
            Err(host)
        }
    }
}

/// The longest a request waits for its turn under the installation's rate before the
/// plugin is told `rate-limited` instead. Failing at once would turn a few milliseconds
/// of waiting into a whole retry (a second at least, as the error counts seconds).
pub const MAX_QUEUED_WAIT: Duration = Duration::from_secs(2);

/// Requests per second and burst allowed to one installation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit {
            per_second: 10.0,
            burst: 20.0,
        }
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
    /// A provider's `Retry-After`: no request of this installation before then.
    blocked_until: Option<Instant>,
}

/// The shared outbound side: one HTTP client and every installation's rate state.
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
    rate: RateLimit,
    buckets: Mutex<HashMap<i64, Bucket>>,
}

impl Outbound {
    /// `allow_private` lets plugins reach loopback and private addresses (tests with
    /// local fakes); off in production, so an installation cannot probe the host's network.
    pub fn new(limits: &Limits, rate: RateLimit, allow_private: bool) -> Outbound {
        let client = crate::egress::guarded_client(allow_private)
            .timeout(limits.http_timeout)
            .build()
            .expect("building the plugin HTTP client");
        Outbound {
            client,
            allow_private,
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Makes `request` for installation `installation`, within `allowlist`.
    pub async fn send(
        &self,
        installation: i64,
        allowlist: &Allowlist,
        credentials: Option<&dyn Credentials>,
        request: HttpRequest,
        max_body: usize,
    ) -> Result<HttpResponse, HttpError> {
        let url = Url::parse(&request.url)
            .map_err(|e| HttpError::Transport(format!("bad URL `{}`: {e}", request.url)))?;
        if let Err(host) = allowlist.permits(&url) {
            tracing::warn!(
                installation,
                host,
                "plugin request denied: host not in its allowlist"
            );
            return Err(HttpError::Denied(host));
        }
        if !host_allowed(url.host_str().unwrap_or_default(), self.allow_private) {
            tracing::warn!(installation, url = %url, "plugin request denied: private address");
            return Err(HttpError::Denied(url.host_str().unwrap_or_default().into()));
        }
        let turn = self.take_token(installation)?;
        if !turn.is_zero() {
            tokio::time::sleep(turn).await;
        }
        let token = match (request.auth, credentials) {
            (false, _) => None,
            (true, None) => return Err(HttpError::NotConnected),
            (true, Some(c)) => Some(c.bearer(false).await.ok_or(HttpError::NotConnected)?),
        };
        let mut response = self
            .once(&url, &request, token.as_deref(), max_body)
            .await?;
        if response.status == 401
            && let Some(credentials) = credentials.filter(|_| request.auth)
        {
            let fresh = credentials
                .bearer(true)
                .await
                .ok_or(HttpError::NotConnected)?;
            response = self.once(&url, &request, Some(&fresh), max_body).await?;
        }
        if response.status == 429 {
            let wait = retry_after(&response).unwrap_or(60);
            self.block(installation, Duration::from_secs(wait.into()));
            tracing::info!(
                installation,
                wait_s = wait,
                "provider asked plugin to slow down"
            );
        }
        Ok(response)
    }

    async fn once(
        &self,
        url: &Url,
        request: &HttpRequest,
        token: Option<&str>,
        max_body: usize,
    ) -> Result<HttpResponse, HttpError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| HttpError::Transport(format!("bad method `{}`", request.method)))?;
        let mut builder = self.client.request(method, url.clone());
        for (name, value) in &request.headers {
            if !name.eq_ignore_ascii_case("authorization") || token.is_none() {
                builder = builder.header(name, value);
            }
        }
        if let Some(token) = token {
            builder = builder.bearer_auth(token);
        }
        let mut answer = builder
            .body(request.body.clone())
            .send()
            .await
            .map_err(transport)?;
        let status = answer.status().as_u16();
        let headers = answer
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = answer.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > max_body {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    /// Takes the installation's next request turn: how long to wait for it, or
    /// `rate-limited` when that is longer than [`MAX_QUEUED_WAIT`] or the provider asked
    /// for a pause. A turn waited for is reserved, so requests queue in order.
    fn take_token(&self, installation: i64) -> Result<Duration, HttpError> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate buckets lock");
        let bucket = buckets.entry(installation).or_insert(Bucket {
            tokens: self.rate.burst,
            updated: now,
            blocked_until: None,
        });
        if let Some(until) = bucket.blocked_until.filter(|until| *until > now) {
            return Err(HttpError::RateLimited(seconds_until(now, until)));
        }
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        bucket.updated = now;
        let wait = Duration::from_secs_f64((1.0 - bucket.tokens).max(0.0) / self.rate.per_second);
        if wait > MAX_QUEUED_WAIT {
            return Err(HttpError::RateLimited(
                wait.as_secs_f64().ceil().max(1.0) as u32
            ));
        }
        bucket.tokens -= 1.0;
        Ok(wait)
    }

    fn block(&self, installation: i64, wait: Duration) {
        let mut buckets = self.buckets.lock().expect("rate buckets lock");
        if let Some(bucket) = buckets.get_mut(&installation) {
            bucket.blocked_until = Some(Instant::now() + wait);
        }
    }
}

fn seconds_until(now: Instant, until: Instant) -> u32 {
    until.duration_since(now).as_secs_f64().ceil().max(1.0) as u32
}

fn transport(error: reqwest::Error) -> HttpError {
    if error.is_timeout() {
        HttpError::Timeout
    } else {
        HttpError::Transport(error.to_string())
    }
}

fn retry_after(response: &HttpResponse) -> Option<u32> {
    response
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .and_then(|(_, v)| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn allowlist_takes_manifest_hosts_over_https_and_the_base_url_exactly() {
        let list = Allowlist::new(
            vec!["api.calendly.com".into()],
            Some("http://127.0.0.1:4100/v2"),
        );
        assert!(
            list.permits(&url("https://api.calendly.com/users/me"))
                .is_ok()
        );
        assert_eq!(
            list.permits(&url("http://api.calendly.com/users/me")),
            Err("api.calendly.com".into()),
            "plain HTTP to a manifest host"
        );
        assert!(list.permits(&url("http://127.0.0.1:4100/other")).is_ok());
        assert!(
            list.permits(&url("http://127.0.0.1:4101/")).is_err(),
            "other port"
        );
        assert_eq!(
            list.permits(&url("https://evil.example.com/")),
            Err("evil.example.com".into())
        );
    }

    #[tokio::test]
    async fn a_private_address_is_refused_even_when_the_base_url_names_it() {
        let outbound = Outbound::new(&Limits::default(), RateLimit::default(), false);
        let list = Allowlist::new(Vec::new(), Some("http://127.0.0.1:9/"));
        for target in ["http://127.0.0.1:9/x", "http://localhost:9/x"] {
            let request = HttpRequest {
                method: "GET".into(),
                url: target.into(),
                headers: Vec::new(),
                body: Vec::new(),
                auth: false,
            };
            let refused = outbound.send(1, &list, None, request, 1024).await;
            assert!(
                matches!(refused, Err(HttpError::Denied(_))),
                "{target}: {refused:?}"
            );
        }
    }

    #[test]
    fn an_installation_over_its_rate_queues_briefly_then_is_told_to_come_back() {
        let outbound = Outbound::new(
            &Limits::default(),
            RateLimit {
                per_second: 1.0,
                burst: 2.0,
            },
            false,
        );
        let turns: Vec<Duration> = (0..4).map(|_| outbound.take_token(1).unwrap()).collect();
        assert_eq!(&turns[..2], [Duration::ZERO; 2], "the burst goes at once");
        let second = Duration::from_secs(1);
        assert!(turns[2] <= second && turns[2] > second - Duration::from_millis(100));
        assert!(
            turns[3] <= 2 * second && turns[3] > turns[2] + second / 2,
            "{turns:?}"
        );
        assert!(
            matches!(outbound.take_token(1), Err(HttpError::RateLimited(3))),
            "three seconds away: longer than a request waits"
        );
        assert!(
            matches!(outbound.take_token(2), Ok(turn) if turn.is_zero()),
            "another installation"
        );
        outbound.block(2, Duration::from_secs(30));
        assert!(matches!(outbound.take_token(2), Err(HttpError::RateLimited(s)) if s >= 29));
    }
}
