//! Webhook subscriptions, their deliveries (one per subscription and outbox event) and
//! the log of delivery attempts.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

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
        m.create_index(index("webhooks", &["org_id"])).await?;
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
                .foreign_key(&mut fk("webhook_deliveries", "webhook_id", "webhooks"))
                .to_owned(),
        )
        .await?;
        // One delivery per subscription and event: fanning an event out twice is harmless.
        m.create_index(unique_index(
            "webhook_deliveries",
            &["webhook_id", "outbox_event_id"],
        ))
        .await?;
        m.create_index(index("webhook_deliveries", &["status", "next_attempt_ms"]))
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
                .foreign_key(&mut fk(
                    "webhook_attempts",
                    "delivery_id",
                    "webhook_deliveries",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("webhook_attempts", &["delivery_id"]))
            .await?;
        m.create_index(index("outbox_events", &["dispatched_ms", "id"]))
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
