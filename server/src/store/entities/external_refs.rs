//! The `external_refs` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "external_refs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub installation_id: i64,
    pub external_id: String,
    pub booking_id: i64,
    pub url: Option<String>,
    pub provider_updated_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub window_start_ms: Option<i64>,
    pub updates_in_window: i32,
    pub calendar_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
