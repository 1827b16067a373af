//! The kind of customer meeting each event type is.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set};

use super::Result;
use super::codec::word;
use super::entities::meeting_categories;
use crate::domain::customer::MeetingCategory;
use crate::domain::ids::{EventTypeId, OrgId};

/// Makes `category` the kind of event type `event_type`; `None` removes it.
pub async fn set(
    db: &impl ConnectionTrait,
    org: OrgId,
    event_type: EventTypeId,
    category: Option<MeetingCategory>,
) -> Result<()> {
    meeting_categories::Entity::delete_many()
        .filter(meeting_categories::Column::OrgId.eq(org.0))
        .filter(meeting_categories::Column::EventTypeId.eq(event_type.0))
        .exec(db)
        .await?;
    if let Some(category) = category {
        meeting_categories::Entity::insert(meeting_categories::ActiveModel {
            id: NotSet,
            org_id: Set(org.0),
            event_type_id: Set(event_type.0),
            category: Set(category.as_str().to_string()),
        })
        .exec(db)
        .await?;
    }
    Ok(())
}

/// The kind of every categorized event type of `org`.
pub async fn of_org(
    db: &impl ConnectionTrait,
    org: OrgId,
) -> Result<HashMap<EventTypeId, MeetingCategory>> {
    meeting_categories::Entity::find()
        .filter(meeting_categories::Column::OrgId.eq(org.0))
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let category = word("meeting category", &m.category, MeetingCategory::parse)?;
            Ok((EventTypeId(m.event_type_id), category))
        })
        .collect()
}
