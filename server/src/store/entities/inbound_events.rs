//! The `inbound_events` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub installation_id: i64,
    pub method: String,
    pub path: String,
    pub headers: String,
    pub body: Vec<u8>,
    pub received_ms: i64,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_ms: i64,
    pub lease_until_ms: Option<i64>,
    pub provider_event_id: Option<String>,
    pub last_error: Option<String>,
    pub outcome: Option<String>,
    pub done_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
