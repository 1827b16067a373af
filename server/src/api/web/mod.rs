//! Pages for people, server-rendered HTML with a little JavaScript, thin over `app/`
//! like the APIs. So far: the page behind a scheduling link's URL, `/l/{token}`.
//!
//! Every value written into a page goes through [`escape`]; a page's script talks only
//! to the public REST routes, so it can do nothing the invitee could not do with curl.

mod scheduling_link;

use axum::Router;
use axum::http::header::USER_AGENT;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::app::App;

/// Every page route.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(scheduling_link::router())
        .with_state(app)
}

/// Whether a request comes from a robot rather than a person: a crawler, or a chat
/// app unfurling a pasted link. Such fetches are not views of a page.
pub(super) fn is_robot(headers: &HeaderMap) -> bool {
    const ROBOTS: [&str; 9] = [
        "bot",
        "crawl",
        "spider",
        "slurp",
        "preview",
        "facebookexternalhit",
        "embedly",
        "curl",
        "headless",
    ];
    let Some(agent) = headers.get(USER_AGENT).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let agent = agent.to_ascii_lowercase();
    ROBOTS.iter().any(|r| agent.contains(r))
}

/// `text` made safe inside HTML text and quoted attributes.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A whole page: `title` (escaped here) and a `body` of ready HTML.
pub(super) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let title = escape(title);
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>"
    );
    (status, Html(html)).into_response()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f5f5f7;color:#1d1d1f;margin:0}\
main{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;\
box-shadow:0 1px 4px rgba(0,0,0,.1)}h1{font-size:1.4rem;margin-top:0}label{display:block;\
margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}\
button{margin:.3rem .3rem 0 0;padding:.5rem .8rem;cursor:pointer}.muted{color:#6e6e73}\
.error{color:#b00020}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_not_robots() {
        let agent = |ua: &str| {
            let mut h = HeaderMap::new();
            h.insert(USER_AGENT, ua.parse().unwrap());
            h
        };
        let person = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
        assert!(!is_robot(&agent(person)));
        assert!(is_robot(&agent(
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
        )));
        assert!(is_robot(&agent("Mozilla/5.0 (compatible; Googlebot/2.1)")));
        assert!(is_robot(&agent("curl/8.5.0")));
        assert!(is_robot(&HeaderMap::new()), "no user agent at all");
    }

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(
            escape("<b>\"Tom\" & 'Jerry'</b>"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
        assert_eq!(escape("plain"), "plain");
    }
}
