//! Recurring series: an event type's rule (`event_types.recurrence`, JSON
//! `{frequency, interval, occurrences}`) and the series each booking belongs to
//! (`bookings.recurring_booking_uid`, indexed to cancel "this and the rest").

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            ("event_types", text_null("recurrence")),
            ("bookings", string_null("recurring_booking_uid")),
        ] {
            m.alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        m.create_index(index("bookings", &["recurring_booking_uid"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_bookings_recurring_booking_uid")
                .table("bookings")
                .to_owned(),
        )
        .await?;
        for (table, column) in [
            ("bookings", "recurring_booking_uid"),
            ("event_types", "recurrence"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
