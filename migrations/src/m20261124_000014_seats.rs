//! Seated event types: several invitees share one booking of a slot.
//!
//! - `event_types.seats_per_time_slot` (NULL: not seated) and `seats_show_attendees`.
//! - `bookings.seats_booked`: the seats taken, raised by a conditional `UPDATE … WHERE
//!   seats_booked < capacity`, so concurrent invitees can never overfill a slot.
//! - `booking_attendees.seat_uid`: each seat's own handle, to see or cancel only it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::unique_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for (table, column) in [
            ("event_types", integer_null("seats_per_time_slot")),
            (
                "event_types",
                boolean("seats_show_attendees").default(false).to_owned(),
            ),
            ("bookings", integer("seats_booked").default(0).to_owned()),
            ("booking_attendees", string_null("seat_uid")),
        ] {
            m.alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        m.create_index(unique_index("booking_attendees", &["seat_uid"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_booking_attendees_seat_uid")
                .table("booking_attendees")
                .to_owned(),
        )
        .await?;
        for (table, column) in [
            ("booking_attendees", "seat_uid"),
            ("bookings", "seats_booked"),
            ("event_types", "seats_show_attendees"),
            ("event_types", "seats_per_time_slot"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
