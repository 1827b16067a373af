//! Newtype ids, so that an organization id can never be passed where a user id is meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// An organization: the tenant every other row belongs to.
    OrgId,
    /// A user (host) inside an organization.
    UserId,
    /// A weekly schedule with its date overrides.
    ScheduleId,
    /// An event type (what an invitee books).
    EventTypeId,
    /// A booking's internal row id; the public handle is its uid.
    BookingId,
    /// A customer account a CSM looks after.
    CustomerId,
    /// A person at a customer (champion, decision maker, user, …).
    StakeholderId,
    /// A scheduling link a CSM sent; the public handle is its token.
    SchedulingLinkId,
    /// A team inside an organization: hosts who share event types.
    TeamId,
    /// A routing form: questions whose answers pick where an invitee books.
    RoutingFormId,
    /// An invitee's answers to a routing form.
    FormResponseId,
    /// A user's out-of-office entry.
    OutOfOfficeId,
);
