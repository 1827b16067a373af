//! Convene: scheduling (what Cal.com and Calendly do) with a customer-success layer.
//!
//! Reading order: `domain` (the pure scheduling rules), `store` (repositories over
//! SQLite and PostgreSQL), `app` (use cases), `api` (REST and GraphQL on top).
//! Dependencies point one way: `api` → `app` → `domain` + `store`.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod egress;
pub mod jobs;
pub mod mail;
pub mod plugins;
pub mod store;
