//! Connections to outside providers, the pure half: who owns one, how it
//! authenticates, what state it is in, and when its access token is due for refresh.
//!
//! Tokens themselves never appear here: they are sealed in storage and only the use
//! case that hands a bearer to the plugin host opens them.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::ids::UserId;

/// A connection's row id: what an installation points at to call a provider as someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnectionId(pub i64);

impl std::fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Whose account at the provider a connection stands for: one user's, or a team's
/// shared one (a team Zoom account, a company Stripe account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionOwner {
    /// A user's own account.
    User(UserId),
    /// A team's account, by team row id.
    Team(i64),
}

impl ConnectionOwner {
    /// A stable text key (`user:5`, `team:3`) under which at most one connection per
    /// plugin exists, so reconnecting replaces the tokens instead of piling up rows.
    pub fn key(self) -> String {
        match self {
            ConnectionOwner::User(id) => format!("user:{id}"),
            ConnectionOwner::Team(id) => format!("team:{id}"),
        }
    }
}

/// How Convene authenticates to the provider on the owner's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionKind {
    /// OAuth 2.0: a short-lived access token and, usually, a refresh token.
    OAuth,
    /// A long-lived API key the owner pasted in.
    ApiKey,
}

impl ConnectionKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::OAuth => "oauth",
            ConnectionKind::ApiKey => "api_key",
        }
    }

    /// The kind a stored word names.
    pub fn parse(word: &str) -> Option<ConnectionKind> {
        match word {
            "oauth" => Some(ConnectionKind::OAuth),
            "api_key" => Some(ConnectionKind::ApiKey),
            _ => None,
        }
    }
}

/// Whether a connection can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionStatus {
    /// Usable.
    Active,
    /// The owner withdrew it; its tokens are gone.
    Revoked,
    /// The provider refused its credentials for good (a refresh answered
    /// `invalid_grant`); the owner must connect again.
    Broken,
}

impl ConnectionStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Active => "active",
            ConnectionStatus::Revoked => "revoked",
            ConnectionStatus::Broken => "broken",
        }
    }

    /// The status a stored word names.
    pub fn parse(word: &str) -> Option<ConnectionStatus> {
        match word {
            "active" => Some(ConnectionStatus::Active),
            "revoked" => Some(ConnectionStatus::Revoked),
            "broken" => Some(ConnectionStatus::Broken),
            _ => None,
        }
    }
}

/// Whether an access token expiring at `expires_at` should be refreshed before use at
/// `now`. `skew` refreshes a little early, so a token does not expire between our
/// check and the provider's. A token without an expiry is used until it is rejected.
pub fn needs_refresh(
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    skew: Duration,
) -> bool {
    expires_at.is_some_and(|at| at - skew <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_is_due_inside_the_skew_and_never_without_an_expiry() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let skew = Duration::seconds(30);
        let cases = [
            ("no expiry", None, false),
            ("an hour left", Some(now + Duration::hours(1)), false),
            ("31 s left", Some(now + Duration::seconds(31)), false),
            (
                "exactly the skew left",
                Some(now + Duration::seconds(30)),
                true,
            ),
            ("5 s left", Some(now + Duration::seconds(5)), true),
            ("expired", Some(now - Duration::seconds(1)), true),
        ];
        for (name, expires_at, due) in cases {
            assert_eq!(needs_refresh(expires_at, now, skew), due, "{name}");
        }
    }

    #[test]
    fn stored_words_read_back() {
        for kind in [ConnectionKind::OAuth, ConnectionKind::ApiKey] {
            assert_eq!(ConnectionKind::parse(kind.as_str()), Some(kind));
        }
        for status in [
            ConnectionStatus::Active,
            ConnectionStatus::Revoked,
            ConnectionStatus::Broken,
        ] {
            assert_eq!(ConnectionStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ConnectionKind::parse("password"), None);
        assert_eq!(ConnectionOwner::User(UserId(5)).key(), "user:5");
        assert_eq!(ConnectionOwner::Team(3).key(), "team:3");
    }
}
