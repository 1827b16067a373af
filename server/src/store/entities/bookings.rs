//! The `bookings` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub uid: String,
    pub org_id: i64,
    pub event_type_id: i64,
    pub host_user_id: i64,
    pub title: String,
    pub description: String,
    pub status: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub busy_start_ms: i64,
    pub busy_end_ms: i64,
    pub guests: String,
    pub location: Option<String>,
    pub metadata: String,
    pub responses: String,
    pub cancellation_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub rescheduling_reason: Option<String>,
    pub rescheduled_from_uid: Option<String>,
    pub rescheduled_to_uid: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub seats_booked: i32,
    pub recurring_booking_uid: Option<String>,
    pub expiry_lease_ms: Option<i64>,
    pub expiry_warned_ms: Option<i64>,
    pub assignment: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
