//! Confirmation only on short notice, expiry of unconfirmed bookings, and locked zones.
//!
//! - `event_types.confirmation_threshold_min`: with `requires_confirmation`, only a
//!   booking made less than this many minutes ahead waits for the host (NULL: always).
//! - `bookings.expiry_lease_ms`: the lease of the job that rejects pending bookings
//!   still unconfirmed at their start (rows are their own queue, as in `jobs/leased.rs`),
//!   found through the index on (status, start_ms).
//! - `event_types.locked_time_zone`: the IANA zone its booking page and slots are
//!   always shown in, whatever zone the invitee asks for (NULL: the invitee's).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            ("event_types", integer_null("confirmation_threshold_min")),
            ("event_types", string_null("locked_time_zone")),
            ("bookings", big_integer_null("expiry_lease_ms")),
        ] {
            m.alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        m.create_index(index("bookings", &["status", "start_ms"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_bookings_status_start_ms")
                .table("bookings")
                .to_owned(),
        )
        .await?;
        for (table, column) in [
            ("bookings", "expiry_lease_ms"),
            ("event_types", "locked_time_zone"),
            ("event_types", "confirmation_threshold_min"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
