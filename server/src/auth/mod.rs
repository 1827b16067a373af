//! Credentials Convene holds for others: the server key that seals secrets at rest
//! (`secrets`) and OAuth 2.0 with outside providers (`oauth`).
//!
//! No storage and no use cases live here: `app::connections` decides what to keep and
//! when to refresh, `store::connections` keeps it, sealed. API keys for Convene itself
//! are in `app::auth`.

pub mod oauth;
pub mod secrets;
