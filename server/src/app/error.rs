//! The error every use case returns; the API layer maps it once to HTTP and GraphQL.

use crate::domain::validate::FieldIssue;
use crate::store::StoreError;

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is well-formed but breaks a rule; every problem names its field.
    #[error("{}", summary(.0))]
    Validation(Vec<FieldIssue>),
    /// No such thing, or it belongs to another organization (we do not say which).
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with the current state (slot taken, already cancelled).
    #[error("{0}")]
    Conflict(String),
    /// The thing existed but is used up, expired or withdrawn for good (a scheduling
    /// link); the message says which and since when.
    #[error("{0}")]
    Gone(String),
    /// No valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Valid credentials that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A plugin, or the plugin host itself, could not run; the message says which.
    #[error("{0}")]
    Unavailable(String),
    /// An outside provider failed or refused us (unreachable, unreadable answer, our
    /// client credentials refused); trying again later, or fixing the installation's
    /// configuration, may help. The message names the provider's answer.
    #[error("{0}")]
    Upstream(String),
    /// Our fault: storage failed or held something unreadable.
    #[error(transparent)]
    Internal(#[from] StoreError),
}

fn summary(issues: &[FieldIssue]) -> String {
    match issues {
        [one] => format!("{}: {}", one.field, one.message),
        _ => format!("{} fields are invalid", issues.len()),
    }
}

impl AppError {
    /// One invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Validation(vec![FieldIssue::new(field, message)])
    }

    /// Fails with all collected issues, if any.
    pub fn check(issues: Vec<FieldIssue>) -> Result<()> {
        if issues.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(issues))
        }
    }
}

/// The result of a use case.
pub type Result<T, E = AppError> = std::result::Result<T, E>;
