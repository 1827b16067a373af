//! The `busy_cache` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "busy_cache")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub installation_id: i64,
    pub from_ms: i64,
    pub to_ms: i64,
    pub busy: String,
    pub fetched_ms: i64,
    pub fresh: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
