//! The `calendar_syncs` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_syncs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub installation_id: i64,
    pub booking_id: i64,
    pub generation: i32,
    pub attempts: i32,
    pub due_ms: i64,
    pub lease_ms: Option<i64>,
    pub last_error: Option<String>,
    pub dead: bool,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
