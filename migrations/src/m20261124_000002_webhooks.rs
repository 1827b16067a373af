//! Webhook subscriptions, their deliveries (one per subscription and outbox event) and
//! the log of delivery attempts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhooks")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(big_integer_null("event_type_id"))
                .col(text("subscriber_url"))
                .col(text("triggers"))
                .col(boolean("active"))
                .col(text_null("secret"))
                .col(text_null("payload_template"))
                .col(integer("consecutive_failures"))
                .col(text_null("disabled_reason"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhooks_org_id")
                .table("webhooks")
                .col("org_id")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("webhook_id"))
                .col(big_integer("outbox_event_id"))
                .col(string("trigger"))
                .col(text("body"))
                .col(string("status"))
                .col(integer("attempts"))
                .col(big_integer("next_attempt_ms"))
                .col(big_integer_null("leased_until_ms"))
                .col(integer_null("last_status_code"))
                .col(text_null("last_error"))
                .col(big_integer("created_ms"))
                .col(big_integer_null("delivered_ms"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .from("webhook_deliveries", "webhook_id")
                        .to("webhooks", "id")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        // One delivery per subscription and event: fanning an event out twice is harmless.
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_once")
                .table("webhook_deliveries")
                .col("webhook_id")
                .col("outbox_event_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_due")
                .table("webhook_deliveries")
                .col("status")
                .col("next_attempt_ms")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("webhook_attempts")
                .col(big_pk_auto("id"))
                .col(big_integer("delivery_id"))
                .col(integer("attempt"))
                .col(integer_null("status_code"))
                .col(integer("latency_ms"))
                .col(text_null("error"))
                .col(big_integer("at_ms"))
                .foreign_key(
                    &mut ForeignKey::create()
                        .from("webhook_attempts", "delivery_id")
                        .to("webhook_deliveries", "id")
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_attempts_delivery")
                .table("webhook_attempts")
                .col("delivery_id")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_events_undispatched")
                .table("outbox_events")
                .col("dispatched_ms")
                .col("id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["webhook_attempts", "webhook_deliveries", "webhooks"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
