//! The demo organization: host `demo` in Europe/Berlin, Monday–Friday 09:00–17:00 with
//! a lunch break, and event types `demo/30min` and `demo/60min`. Seeding is idempotent.

use crate::domain::schedule::WORKWEEK;
use crate::domain::user::Role;

use super::auth::{Caller, generate_key, hash_key, register_key};
use super::event_types::EventTypeInput;
use super::schedules::{ScheduleInput, WeeklyInput};
use super::{App, Result};
use crate::store::{self, api_keys::KeyOwner, users::NewUser};

/// The demo host's username.
pub const DEMO_USERNAME: &str = "demo";

/// What seeding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// The demo host.
    pub caller: Caller,
    /// A key created by this run (shown once); `None` when the wanted key already existed.
    pub new_key: Option<String>,
}

/// Seeds the demo organization if it is missing. With `api_key`, that exact key is
/// made valid for the demo host (for scripts and tests); otherwise a fresh random key
/// is made on every run, because a stored key cannot be shown again.
pub async fn seed(app: &App, api_key: Option<&str>) -> Result<Seeded> {
    let caller = match store::users::find_by_username(&app.db, DEMO_USERNAME).await? {
        Some(user) => Caller {
            org_id: user.org_id,
            user_id: user.id,
        },
        None => create_demo(app).await?,
    };
    let owner = KeyOwner {
        org_id: caller.org_id,
        user_id: caller.user_id,
    };
    let new_key = match api_key {
        Some(key)
            if store::api_keys::find_owner(&app.db, &hash_key(key))
                .await?
                .is_some() =>
        {
            None
        }
        Some(key) => {
            register_key(&app.db, owner, "demo", key).await?;
            Some(key.to_string())
        }
        None => {
            let key = generate_key();
            register_key(&app.db, owner, "demo", &key).await?;
            Some(key)
        }
    };
    Ok(Seeded { caller, new_key })
}

async fn create_demo(app: &App) -> Result<Caller> {
    let org = store::orgs::insert(&app.db, "Demo Inc.", "demo").await?;
    let user = store::users::insert(
        &app.db,
        org,
        NewUser {
            username: DEMO_USERNAME,
            email: "demo@convene.example",
            name: "Demo Host",
            time_zone: chrono_tz::Europe::Berlin,
            org_role: Role::Owner,
        },
    )
    .await?;
    let caller = Caller {
        org_id: org,
        user_id: user.id,
    };
    let weekdays: Vec<String> = WORKWEEK
        .into_iter()
        .map(|d| super::schedules::weekday_name(d).to_string())
        .collect();
    let hours = |start: &str, end: &str| WeeklyInput {
        days: weekdays.clone(),
        start_time: start.into(),
        end_time: end.into(),
    };
    super::schedules::create(
        app,
        caller,
        ScheduleInput {
            name: Some("Working hours".into()),
            time_zone: Some("Europe/Berlin".into()),
            is_default: Some(true),
            availability: Some(vec![hours("09:00", "12:00"), hours("13:00", "17:00")]),
            overrides: None,
        },
    )
    .await?;
    for (slug, title, minutes) in [
        ("30min", "30 Minute Meeting", 30),
        ("60min", "60 Minute Meeting", 60),
    ] {
        super::event_types::create(
            app,
            caller,
            EventTypeInput {
                title: Some(title.into()),
                slug: Some(slug.into()),
                length_in_minutes: Some(minutes),
                description: Some(format!("A {minutes} minute call with the demo host.")),
                locations: Some(vec![
                    serde_json::json!({"type": "integration", "integration": "cal-video"}),
                ]),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(caller)
}
