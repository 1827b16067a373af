//! Storage: sea-orm entities and one repository module per aggregate.
//!
//! Repositories take `&impl ConnectionTrait` so the use case in `app/` owns the
//! transaction, and they return domain types: entities never leave this folder.
//! Every query on tenant data takes the `OrgId` as a parameter, so none can forget it.

pub mod api_keys;
pub mod booking_hosts;
pub mod bookings;
pub mod calendars;
mod codec;
pub mod connections;
pub mod customer_health;
pub mod customers;
pub mod db;
mod entities;
pub mod event_types;
pub mod host_limits;
pub mod idempotency;
pub mod inbound;
pub mod insights;
mod keyset;
mod lease;
pub mod meeting_categories;
pub mod meeting_links;
pub mod notifications;
pub mod orgs;
pub mod out_of_office;
pub mod outbox;
pub mod pending_changes;
pub mod plugins;
pub mod round_robin_credits;
pub mod routing_forms;
pub mod schedules;
pub mod scheduling_links;
pub mod sms;
pub mod stakeholders;
pub mod teams;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;
pub mod workflows;

pub use db::{Db, connect};
pub use keyset::Keyset;

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Two live bookings of one host would overlap (the database's own guarantee).
    #[error("the host already has a booking at this time")]
    Overlap,
    /// A unique index refused the row (e.g. a second event type with the same slug).
    #[error("a row with the same unique key exists")]
    Duplicate,
    /// A value the database holds could not be read back (a bug or a manual edit).
    #[error("stored {what} is unreadable: {detail}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// Why.
        detail: String,
    },
}

/// The result of a storage call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A unique-index refusal as [`StoreError::Duplicate`], anything else as a database error.
fn duplicate_or_db(err: sea_orm::DbErr) -> StoreError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => StoreError::Duplicate,
        _ => StoreError::Db(err),
    }
}
