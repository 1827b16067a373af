//! Use cases: what a host, an invitee or an integrator can do, independent of transport.
//!
//! REST, GraphQL and (later) jobs and chat commands all call these functions. Each
//! mutation writes its rows and its outbox event in one transaction. Inputs arrive as
//! plain data and are checked here, so every transport reports the same field errors.

pub mod auth;
pub mod availability;
pub mod bookings;
pub mod demo;
mod error;
pub mod event_types;
mod input;
pub mod schedules;
pub mod users;

pub use error::{AppError, Result};

use crate::store::Db;

/// Everything a use case needs; cloned into every request.
#[derive(Clone)]
pub struct App {
    /// The database pool.
    pub db: Db,
}
