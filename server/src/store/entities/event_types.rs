//! The `event_types` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_types")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub owner_user_id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub length_min: i32,
    pub length_options: String,
    pub slot_interval_min: Option<i32>,
    pub min_notice_min: i32,
    pub buffer_before_min: i32,
    pub buffer_after_min: i32,
    pub booking_window: Option<String>,
    pub count_limits: String,
    pub duration_limits: String,
    pub requires_confirmation: bool,
    pub locations: String,
    pub booking_fields: String,
    pub schedule_id: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub deleted_ms: Option<i64>,
    pub team_id: Option<i64>,
    pub scheduling_type: Option<String>,
    pub assign_all_team_members: bool,
    pub seats_per_time_slot: Option<i32>,
    pub seats_show_attendees: bool,
    pub recurrence: Option<String>,
    pub confirmation_threshold_min: Option<i32>,
    pub locked_time_zone: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
