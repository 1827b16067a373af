//! The `plugin_installations` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plugin_installations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub owner_user_id: Option<i64>,
    pub plugin_id: String,
    pub package_id: i64,
    pub config: String,
    pub enabled: bool,
    pub pull_cursor: Option<String>,
    pub next_pull_ms: Option<i64>,
    pub pull_lease_ms: Option<i64>,
    pub last_error: Option<String>,
    pub misbehaviour_streak: i32,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
