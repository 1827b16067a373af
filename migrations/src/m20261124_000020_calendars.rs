//! Connected calendars: the calendars of each calendar installation with the host's
//! choices (checked for conflicts, the one new bookings go to), the busy times last
//! fetched from them (kept to fall back on while the provider is down), and the queue
//! of bookings whose calendar event must be brought in line with the booking. A
//! booking's event records which calendar it was written to.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("calendar_choices")
                .col(big_integer("installation_id"))
                .col(string("calendar_id"))
                .col(string("name"))
                .col(boolean("is_primary"))
                .col(boolean("writable"))
                .col(string_null("time_zone"))
                .col(boolean("checked"))
                .col(boolean("destination"))
                .col(big_integer("updated_ms"))
                .primary_key(Index::create().col("installation_id").col("calendar_id"))
                .foreign_key(&mut fk(
                    "calendar_choices",
                    "installation_id",
                    "plugin_installations",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("busy_cache")
                .col(big_integer("installation_id").primary_key())
                .col(big_integer("from_ms"))
                .col(big_integer("to_ms"))
                .col(text("busy"))
                .col(big_integer("fetched_ms"))
                .col(boolean("fresh"))
                .foreign_key(&mut fk(
                    "busy_cache",
                    "installation_id",
                    "plugin_installations",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("calendar_syncs")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("installation_id"))
                .col(big_integer("booking_id"))
                .col(integer("generation"))
                .col(integer("attempts"))
                .col(big_integer("due_ms"))
                .col(big_integer_null("lease_ms"))
                .col(text_null("last_error"))
                .col(boolean("dead"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk(
                    "calendar_syncs",
                    "installation_id",
                    "plugin_installations",
                ))
                .foreign_key(&mut fk("calendar_syncs", "booking_id", "bookings"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "calendar_syncs",
            &["installation_id", "booking_id"],
        ))
        .await?;
        m.create_index(index("calendar_syncs", &["due_ms"])).await?;
        m.alter_table(
            Table::alter()
                .table("external_refs")
                .add_column(string_null("calendar_id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("external_refs")
                .drop_column("calendar_id")
                .to_owned(),
        )
        .await?;
        for table in ["calendar_syncs", "busy_cache", "calendar_choices"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
