//! The `calendar_choices` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_choices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub installation_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub calendar_id: String,
    pub name: String,
    pub is_primary: bool,
    pub writable: bool,
    pub time_zone: Option<String>,
    pub checked: bool,
    pub destination: bool,
    pub updated_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
