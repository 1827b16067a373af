//! The address invitees reach this server at, for the links we hand out: the operator's
//! `--public-url` when set, otherwise the host the request came to (fine for a single
//! server; behind a proxy, set the flag so a client cannot choose the host it sees).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::app::App;

/// The base URL of public pages, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(pub String);

impl PublicUrl {
    /// The configured base, or `http://{Host}` of the request.
    pub fn of(app: &App, headers: &HeaderMap) -> PublicUrl {
        let base = app.settings.public_url.clone().unwrap_or_else(|| {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        });
        PublicUrl(base)
    }

    /// The page an invitee opens for scheduling link `token`.
    pub fn scheduling_link(&self, token: &str) -> String {
        format!("{}/l/{token}", self.0)
    }
}

impl FromRequestParts<App> for PublicUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(PublicUrl::of(app, &parts.headers))
    }
}
