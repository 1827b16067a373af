//! The customer-success rules: which customer a booking's attendees belong to
//! ([`linking`]), how engaged a customer is judged by their meetings
//! ([`engagement`]), and the 0–100 health score a CSM reads from that
//! ([`health`]), and both at once with the trend, as a CSM reads them
//! ([`assessment`]), and which kind of meeting to offer next ([`recommendation`]).
//!
//! Like the rest of `domain`, nothing here does I/O or reads a clock: the
//! storage layer loads customers, stakeholders and meeting facts, passes "now",
//! and persists links and snapshots. Keeping the scoring pure is what lets a
//! daily snapshot be recomputed, compared and explained line by line.

pub mod assessment;
pub mod engagement;
pub mod health;
pub mod linking;
pub mod recommendation;
