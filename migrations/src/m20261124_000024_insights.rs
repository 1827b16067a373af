//! Insights: booking-page views counted per event type and hour (no third-party
//! tracking, no visitor data), and the indexes the reports aggregate through.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

/// What the reports read by: bookings of some event types by start (outcomes) and by
/// creation (conversion), host rows likewise (a line per member), and absences.
const INDEXES: [(&str, &[&str]); 5] = [
    ("bookings", &["event_type_id", "start_ms"]),
    ("bookings", &["event_type_id", "created_ms"]),
    ("booking_hosts", &["event_type_id", "start_ms"]),
    ("booking_hosts", &["org_id", "start_ms"]),
    ("booking_attendees", &["absent", "booking_id"]),
];

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
        for (table, columns) in INDEXES {
            m.create_index(index(table, columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in INDEXES {
            let name = format!("idx_{table}_{}", columns.join("_"));
            m.drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table("booking_page_views").to_owned())
            .await
    }
}
