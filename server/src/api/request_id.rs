//! `X-Request-Id`: one id per request, on the response and on every log line written
//! while serving it, so a client's bug report and our logs point at the same request.
//!
//! A caller's id (say, from a proxy or the client's own tracing) is kept when it is
//! sane, 1 to 128 visible ASCII characters; anything else is replaced by a fresh UUID
//! rather than refused, because a bad id must never fail a request.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Span;

/// The header the id travels in, both ways.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest caller-sent id kept.
pub const MAX_LEN: usize = 128;

/// The id of the request being served, in the request's extensions for handlers that
/// want to pass it on (to a job, a webhook delivery, an error report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub HeaderValue);

/// Settles the id before anything else runs, so the trace span and every inner layer
/// see the same one, and echoes it on the response.
pub(crate) async fn middleware(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(HEADER)
        .filter(|value| is_sane(value))
        .cloned()
        .unwrap_or_else(generate);
    req.headers_mut().insert(HEADER, id.clone());
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(req).await;
    response.headers_mut().insert(HEADER, id);
    response
}

/// The span every request is served in (tower-http's `TraceLayer`), carrying the id as
/// `request.id` so each log line inside it names its request.
pub(crate) fn make_span(req: &Request) -> Span {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %req.method(),
        uri = %req.uri(),
        version = ?req.version(),
        request.id = %id,
    )
}

fn is_sane(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty() && bytes.len() <= MAX_LEN && bytes.iter().all(u8::is_ascii_graphic)
}

fn generate() -> HeaderValue {
    let id = uuid::Uuid::new_v4().hyphenated().to_string();
    HeaderValue::try_from(id).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_visible_ascii_ids_are_kept() {
        assert!(is_sane(&HeaderValue::from_static("abc-123_XYZ.:/")));
        assert!(is_sane(
            &HeaderValue::from_str(&"a".repeat(MAX_LEN)).unwrap()
        ));
        assert!(!is_sane(
            &HeaderValue::from_str(&"a".repeat(MAX_LEN + 1)).unwrap()
        ));
        assert!(!is_sane(&HeaderValue::from_static("")));
        assert!(!is_sane(&HeaderValue::from_static("has space")));
        assert!(!is_sane(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()));
    }

    /// The whole stack, as `router_with` wires it: a log line written while serving a
    /// request (here tower-http's own "finished processing request") names its id.
    #[test]
    fn log_lines_inside_a_request_carry_its_id() {
        use std::sync::{Arc, Mutex};

        use axum::body::Body;
        use tower::ServiceExt;

        #[derive(Clone, Default)]
        struct Captured(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }

        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let app = crate::app::App::new(Default::default(), Default::default());
        let router = crate::api::router_with(app, crate::api::RateLimits::unlimited());
        let request = Request::get("/v2/nowhere")
            .header(HEADER, "log-me-123")
            .body(Body::empty())
            .unwrap();
        let response = tracing::subscriber::with_default(subscriber, || {
            runtime.block_on(router.oneshot(request)).unwrap()
        });
        assert_eq!(response.headers()[HEADER], "log-me-123");
        let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let line = logs
            .lines()
            .find(|line| line.contains("finished processing request"))
            .unwrap_or_else(|| panic!("no response log line in {logs:?}"));
        assert!(line.contains("request.id=log-me-123"), "{line}");
    }

    #[test]
    fn generated_ids_are_uuids() {
        let id = generate();
        assert!(is_sane(&id));
        assert!(uuid::Uuid::parse_str(id.to_str().unwrap()).is_ok());
    }
}
