//! How instants are written on the wire, the same in REST and GraphQL.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// An instant in UTC as Cal.com writes it: `2026-11-20T08:00:00.000Z`.
pub fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// An instant in `tz` with its offset: `2026-11-20T09:00:00.000+01:00`.
pub fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}
