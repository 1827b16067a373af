//! The `pending_provider_changes` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pending_provider_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub installation_id: i64,
    pub external_id: String,
    pub aspect: String,
    pub wanted: String,
    pub changed_ms: Option<i64>,
    pub received_ms: i64,
    pub attempts: i32,
    pub due_ms: i64,
    pub lease_until_ms: Option<i64>,
    pub last_error: Option<String>,
    pub updated_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
