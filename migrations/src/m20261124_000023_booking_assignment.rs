//! Why a round-robin booking went to its host (the rotation, or the booker's account
//! owner), kept with the booking so an admin can see which rule chose.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("bookings")
                .add_column(text_null("assignment"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("bookings")
                .drop_column("assignment")
                .to_owned(),
        )
        .await
    }
}
