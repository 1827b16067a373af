//! HTTP clients for requests sent on someone else's say-so (webhook subscribers,
//! plugins): no redirects (a redirect could lead anywhere) and a resolver that drops
//! the addresses [`address_allowed`] refuses, so a public name that resolves to a
//! private address (DNS rebinding) is refused too. IP literals never reach a resolver:
//! callers check hosts with [`host_allowed`](crate::domain::destination::host_allowed)
//! before sending.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::domain::destination::address_allowed;

/// A client builder with the guard in place; `allow_private` is the operator's setting.
pub fn guarded_client(allow_private: bool) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
}

struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| address_allowed(a.ip(), allow_private))
                .collect();
            if addrs.is_empty() {
                return Err(format!("`{host}` resolves only to refused addresses").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
