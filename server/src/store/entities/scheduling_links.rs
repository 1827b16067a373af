//! The `scheduling_links` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduling_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub token: String,
    pub event_type_id: i64,
    pub created_by_user_id: i64,
    pub customer_id: Option<i64>,
    pub stakeholder_id: Option<i64>,
    pub prefill_name: Option<String>,
    pub prefill_email: Option<String>,
    pub max_uses: i32,
    pub uses: i32,
    pub expires_ms: i64,
    pub created_ms: i64,
    pub first_opened_ms: Option<i64>,
    pub last_opened_ms: Option<i64>,
    pub open_count: i32,
    pub used_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
