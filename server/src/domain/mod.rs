//! The scheduling rules of Convene, as pure functions over plain values: time spans,
//! host schedules, event-type booking rules and the slot engine built from them, plus
//! the domain types every other layer speaks (bookings, event types, users, ids), the
//! input checks that need no I/O, connections to outside providers (owner, kind, status,
//! when a token is due for refresh), the customer-success rules (`crm`: attendee
//! linking, engagement, health), single-use scheduling links, teams (`team`: hosts,
//! weights, priorities; `round_robin`: which host gets a booking; `team_slots`: a
//! team's slots from its hosts'), seated slots (`seats`: seats left, who sees whom),
//! recurring series (`recurrence`: occurrences at one local time), routing forms
//! (`routing_form`: fields, rules, where answers go, prefill), out of office
//! (`out_of_office`) and a host's own limits across their event types (`host_limits`),
//! the scrubbing of an erased person's data, where
//! outbound requests may go (`destination`), text messages (`sms`: E.164 numbers,
//! opt-out keywords, which delivery status replaces which), the chat command grammar
//! (`chat`), and workflows' triggers, steps and message templates (`workflow`).
//!
//! Nothing here does I/O, async, database access (no sea-orm entities) or logging,
//! and nothing reads a clock: "now" is always a parameter. That keeps every rule
//! deterministic and testable in isolation; the storage and HTTP layers load the
//! inputs, call in, and persist or render the results.

#![deny(missing_docs)]

pub mod booking;
pub mod chat;
pub mod connection;
pub mod crm;
pub mod customer;
pub mod destination;
pub mod erasure;
pub mod event_type;
pub mod host_limits;
pub mod ids;
pub mod insights;
pub mod out_of_office;
pub mod recurrence;
pub mod round_robin;
pub mod routing_form;
pub mod rules;
pub mod saved_schedule;
pub mod schedule;
pub mod scheduling_link;
pub mod seats;
pub mod slots;
pub mod sms;
pub mod span;
pub mod sync_rules;
pub mod team;
pub mod team_slots;
pub mod user;
pub mod validate;
pub mod webhook;
pub mod workflow;
