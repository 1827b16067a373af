//! The `booking_hosts` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "booking_hosts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub booking_id: i64,
    pub user_id: i64,
    pub event_type_id: i64,
    pub status: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub busy_start_ms: i64,
    pub busy_end_ms: i64,
    pub created_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
