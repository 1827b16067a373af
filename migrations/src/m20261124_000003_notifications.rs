//! Notices to a user from Convene itself, such as "your webhook was switched off":
//! things the owner must learn about even when nobody is watching the logs.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("notifications")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(string("kind"))
                .col(text("subject"))
                .col(text("message"))
                .col(big_integer("created_ms"))
                .col(big_integer_null("read_ms"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("notifications", &["user_id", "id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("notifications").to_owned())
            .await
    }
}
