//! The `workflow_sends` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_sends")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub workflow_id: i64,
    pub step: i32,
    pub send_key: String,
    pub booking_id: Option<i64>,
    pub event_kind: String,
    pub event_payload: String,
    pub due_ms: i64,
    pub status: String,
    pub attempts: i32,
    pub lease_ms: Option<i64>,
    pub last_error: Option<String>,
    pub sent_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
