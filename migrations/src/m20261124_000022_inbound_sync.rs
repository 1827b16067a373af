//! Inbound calendar sync: provider changes waiting to be applied to their booking
//! (coalesced because the booking already took two changes this minute, or failed and
//! due for a retry), one per provider object and aspect (its time, its title), the
//! newest replacing the older; and each team's switch for inbound sync.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("pending_provider_changes")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("installation_id"))
                .col(string("external_id"))
                .col(string("aspect"))
                .col(text("wanted"))
                .col(big_integer_null("changed_ms"))
                .col(big_integer("received_ms"))
                .col(integer("attempts"))
                .col(big_integer("due_ms"))
                .col(big_integer_null("lease_until_ms"))
                .col(text_null("last_error"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk(
                    "pending_provider_changes",
                    "installation_id",
                    "plugin_installations",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "pending_provider_changes",
            &["installation_id", "external_id", "aspect"],
        ))
        .await?;
        m.create_index(index("pending_provider_changes", &["due_ms"]))
            .await?;
        m.alter_table(
            Table::alter()
                .table("teams")
                .add_column(boolean("calendar_sync_enabled").default(true))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("teams")
                .drop_column("calendar_sync_enabled")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("pending_provider_changes").to_owned())
            .await
    }
}
