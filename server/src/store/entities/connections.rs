//! The `connections` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub plugin_id: String,
    pub owner_user_id: Option<i64>,
    pub owner_team_id: Option<i64>,
    pub owner_key: String,
    pub created_by_user_id: i64,
    pub kind: String,
    pub access_token_sealed: Option<String>,
    pub refresh_token_sealed: Option<String>,
    pub expires_ms: Option<i64>,
    pub scopes: String,
    pub account_label: Option<String>,
    pub status: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
