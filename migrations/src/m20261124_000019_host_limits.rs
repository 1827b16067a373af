//! A host's own booking limits, across all their event types: one row per user
//! with the per-period counts and minutes as JSON text (read whole, never queried).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("host_limits")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(text("count_limits"))
                .col(text("duration_limits"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk("host_limits", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("host_limits", &["user_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("host_limits").to_owned())
            .await
    }
}
