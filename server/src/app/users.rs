//! The calling user, organization roles, and org admins adding users.

use serde::Deserialize;

use super::auth::{Caller, generate_key, register_key};
use super::input::{self, Issues};
use super::schedules::ScheduleInput;
use super::{App, AppError, Result};
use crate::domain::ids::OrgId;
use crate::domain::user::{Role, User};
use crate::domain::validate;
use crate::store::{self, StoreError, api_keys::KeyOwner, users::NewUser};

/// The user behind the caller's API key.
pub async fn me(app: &App, caller: Caller) -> Result<User> {
    store::users::find(&app.db, caller.org_id, caller.user_id)
        .await?
        .ok_or_else(|| AppError::Unauthorized("the API key's user no longer exists".into()))
}

/// Refuses, with FORBIDDEN, a caller who is not an owner or admin of their organization.
pub async fn require_org_admin(app: &App, caller: Caller) -> Result<User> {
    let user = me(app, caller).await?;
    if user.org_role.manages() {
        Ok(user)
    } else {
        Err(AppError::Forbidden(format!(
            "only owners and admins of organization {} may do this",
            caller.org_id
        )))
    }
}

/// A user to add to an organization (`POST /v2/organizations/{orgId}/users`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgUserInput {
    /// Contact address, unique across Convene.
    pub email: Option<String>,
    /// Public handle, unique across Convene.
    pub username: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// IANA zone; UTC when absent.
    pub time_zone: Option<String>,
    /// `MEMBER` (default), `ADMIN` or `OWNER`.
    pub organization_role: Option<String>,
}

/// A user just added, with the API key made for them (shown this once).
#[derive(Debug, Clone)]
pub struct CreatedUser {
    /// The new user.
    pub user: User,
    /// Their first API key.
    pub api_key: String,
}

/// Adds a user to organization `org` (the caller's own; owners and admins only), with a
/// default Monday–Friday 09:00–17:00 schedule in their zone and an API key.
pub async fn create_in_org(
    app: &App,
    caller: Caller,
    org: OrgId,
    input: OrgUserInput,
) -> Result<CreatedUser> {
    if org != caller.org_id {
        return Err(AppError::NotFound(format!("organization {org}")));
    }
    let creator = require_org_admin(app, caller).await?;
    let mut issues = Issues::default();
    let email = required(&mut issues, "email", input.email).and_then(|e| {
        issues.take(
            validate::email(&e)
                .map(|()| e)
                .map_err(|m| issue("email", m)),
        )
    });
    let username = required(&mut issues, "username", input.username).and_then(|u| {
        issues.take(
            validate::slug(&u)
                .map(|()| u)
                .map_err(|m| issue("username", m)),
        )
    });
    let name = required(&mut issues, "name", input.name);
    let time_zone = match input.time_zone.as_deref() {
        Some(zone) => issues.take(input::zone("timeZone", zone)),
        None => Some(chrono_tz::UTC),
    };
    let role = match input.organization_role.as_deref() {
        Some(text) => issues.take(Role::parse(text).ok_or_else(|| {
            issue(
                "organizationRole",
                format!("`{text}` is not one of OWNER, ADMIN, MEMBER"),
            )
        })),
        None => Some(Role::Member),
    };
    if role == Some(Role::Owner) && creator.org_role != Role::Owner {
        issues.require(false, "organizationRole", "only an owner may add an owner");
    }
    if let Some(username) = &username {
        let taken = store::users::find_by_username(&app.db, username)
            .await?
            .is_some();
        issues.require(!taken, "username", format!("`{username}` is taken"));
    }
    if let Some(email) = &email {
        let taken = store::users::email_taken(&app.db, email).await?;
        issues.require(!taken, "email", format!("`{email}` already has an account"));
    }
    issues.finish()?;
    let (Some(email), Some(username), Some(name), Some(time_zone), Some(org_role)) =
        (email, username, name, time_zone, role)
    else {
        return Err(AppError::invalid("body", "a required field is missing"));
    };
    let user = store::users::insert(
        &app.db,
        org,
        NewUser {
            username: &username,
            email: &email,
            name: &name,
            time_zone,
            org_role,
        },
    )
    .await
    .map_err(|e| match e {
        StoreError::Duplicate => AppError::invalid("username", "the username or email is taken"),
        other => other.into(),
    })?;
    let new_caller = Caller {
        org_id: org,
        user_id: user.id,
    };
    super::schedules::create(
        app,
        new_caller,
        ScheduleInput {
            name: Some("Working hours".into()),
            time_zone: Some(time_zone.name().into()),
            is_default: Some(true),
            ..Default::default()
        },
    )
    .await?;
    let api_key = generate_key();
    let owner = KeyOwner {
        org_id: org,
        user_id: user.id,
    };
    register_key(&app.db, owner, "created by an organization admin", &api_key).await?;
    tracing::info!(
        org.id = org.0,
        user.id = user.id.0,
        created_by = caller.user_id.0,
        "user added to organization"
    );
    let user = me(app, new_caller).await?;
    Ok(CreatedUser { user, api_key })
}

fn issue(field: &str, message: String) -> validate::FieldIssue {
    validate::FieldIssue::new(field, message)
}

fn required(issues: &mut Issues, field: &str, value: Option<String>) -> Option<String> {
    let value = value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    issues.require(value.is_some(), field, "is required");
    value
}
