//! Chat commands: a CSM types "cancel my meeting with Jane tomorrow" and Convene does
//! what the equivalent API call would. This is the pure half: [`grammar`] turns a
//! sentence into a [`Command`], [`names`] finds which customer, person or event type
//! a typed name means. Running a command (reading bookings, cancelling, sending a
//! link) is the application layer's job.

pub mod grammar;
pub mod names;

pub use grammar::{Command, Day, EXAMPLES, Provider, parse};
pub use names::{Named, Resolved, resolve};
