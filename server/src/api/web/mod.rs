//! Pages for people, server-rendered HTML with a little JavaScript, thin over `app/`
//! like the APIs. So far: the page behind a scheduling link's URL, `/l/{token}`.
//!
//! Every value written into a page goes through [`escape`]; a page's script talks only
//! to the public REST routes, so it can do nothing the invitee could not do with curl.

mod scheduling_link;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::app::App;

/// Every page route.
pub fn router(app: App) -> Router {
    Router::new()
        .merge(scheduling_link::router())
        .with_state(app)
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
    fn escaping_covers_text_and_attributes() {
        assert_eq!(
            escape("<b>\"Tom\" & 'Jerry'</b>"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
        assert_eq!(escape("plain"), "plain");
    }
}
