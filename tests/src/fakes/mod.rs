//! Local HTTP fakes of outside providers: real servers on 127.0.0.1 that behave like
//! the provider, so tests drive the real client code over real HTTP.

pub mod oauth;
