//! Insights: booking-page views counted per event type and hour (no third-party
//! tracking, no visitor data), and the indexes the reports aggregate through: a team's
//! or an event type's bookings by start, and the few attendees marked absent.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("booking_page_views")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("event_type_id"))
                .col(big_integer("hour_ms"))
                .col(big_integer("views"))
                .foreign_key(&mut fk(
                    "booking_page_views",
                    "event_type_id",
                    "event_types",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "booking_page_views",
            &["event_type_id", "hour_ms"],
        ))
        .await?;
        m.create_index(index("bookings", &["event_type_id", "start_ms"]))
            .await?;
        m.create_index(index("booking_attendees", &["absent", "booking_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, name) in [
            (
                "booking_attendees",
                "idx_booking_attendees_absent_booking_id",
            ),
            ("bookings", "idx_bookings_event_type_id_start_ms"),
        ] {
            m.drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table("booking_page_views").to_owned())
            .await
    }
}
