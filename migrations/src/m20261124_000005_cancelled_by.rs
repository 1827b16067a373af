//! Who cancelled a booking (`host` or `attendee`): only an invitee's cancellation is a
//! risk signal for a customer's health; a host moving their own meeting is not.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("bookings")
                .add_column(string_null("cancelled_by"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("bookings")
                .drop_column("cancelled_by")
                .to_owned(),
        )
        .await
    }
}
