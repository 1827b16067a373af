//! WebAssembly provider plugins: the packages this server knows (the component's bytes,
//! by content hash, with the manifest read from it), each organization's installations
//! (settings, enabled, the pull cursor), an installation's kv, the inbound provider
//! webhooks (persisted raw before anything else happens, then worked through as a
//! queue), the provider deliveries already applied (so a repeat is applied once), and
//! the links between Convene bookings and the provider objects they correspond to.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("plugin_packages")
                .col(big_pk_auto("id"))
                .col(string("plugin_id"))
                .col(string("version"))
                .col(string("sha256"))
                .col(text("manifest"))
                .col(blob("wasm"))
                .col(big_integer("created_ms"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("plugin_packages", &["sha256"]))
            .await?;
        m.create_index(index("plugin_packages", &["plugin_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("plugin_installations")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer_null("owner_user_id"))
                .col(string("plugin_id"))
                .col(big_integer("package_id"))
                .col(text("config"))
                .col(boolean("enabled"))
                .col(text_null("pull_cursor"))
                .col(big_integer_null("next_pull_ms"))
                .col(big_integer_null("pull_lease_ms"))
                .col(text_null("last_error"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk("plugin_installations", "org_id", "organizations"))
                .foreign_key(&mut fk("plugin_installations", "owner_user_id", "users"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .from("plugin_installations", "package_id")
                        .to("plugin_packages", "id")
                        .on_delete(ForeignKeyAction::Restrict)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("plugin_installations", &["org_id", "plugin_id"]))
            .await?;
        m.create_index(index("plugin_installations", &["enabled", "next_pull_ms"]))
            .await?;
        m.create_table(
            Table::create()
                .table("plugin_kv")
                .col(big_integer("installation_id"))
                .col(string("key"))
                .col(blob("value"))
                .primary_key(Index::create().col("installation_id").col("key"))
                .foreign_key(&mut fk(
                    "plugin_kv",
                    "installation_id",
                    "plugin_installations",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("inbound_events")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("installation_id"))
                .col(string("method"))
                .col(text("path"))
                .col(text("headers"))
                .col(blob("body"))
                .col(big_integer("received_ms"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(big_integer("next_attempt_ms"))
                .col(big_integer_null("lease_until_ms"))
                .col(string_null("provider_event_id"))
                .col(text_null("last_error"))
                .col(text_null("outcome"))
                .col(big_integer_null("done_ms"))
                .foreign_key(&mut fk(
                    "inbound_events",
                    "installation_id",
                    "plugin_installations",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("inbound_events", &["status", "next_attempt_ms"]))
            .await?;
        m.create_index(index("inbound_events", &["installation_id", "id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("applied_provider_events")
                .col(big_integer("installation_id"))
                .col(string("provider_event_id"))
                .col(big_integer("inbound_event_id"))
                .col(big_integer("applied_ms"))
                .primary_key(
                    Index::create()
                        .col("installation_id")
                        .col("provider_event_id"),
                )
                .foreign_key(&mut fk(
                    "applied_provider_events",
                    "installation_id",
                    "plugin_installations",
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("external_refs")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("installation_id"))
                .col(string("external_id"))
                .col(big_integer("booking_id"))
                .col(string_null("url"))
                .col(big_integer_null("provider_updated_ms"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk(
                    "external_refs",
                    "installation_id",
                    "plugin_installations",
                ))
                .foreign_key(&mut fk("external_refs", "booking_id", "bookings"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "external_refs",
            &["installation_id", "external_id"],
        ))
        .await?;
        m.create_index(index("external_refs", &["booking_id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "external_refs",
            "applied_provider_events",
            "inbound_events",
            "plugin_kv",
            "plugin_installations",
            "plugin_packages",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
