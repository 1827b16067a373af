//! What the sync rules keep per linked provider object (`external_refs`): the start of
//! the current one-minute window and how many changes were applied in it, so that two
//! systems echoing each other's updates are cut off after two a minute.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        m.alter_table(
            Table::alter()
                .table("external_refs")
                .add_column(big_integer_null("window_start_ms"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("external_refs")
                .add_column(integer("updates_in_window").default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in ["updates_in_window", "window_start_ms"] {
            m.alter_table(
                Table::alter()
                    .table("external_refs")
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
