//! Workflows (a trigger, steps with message templates, the event types they watch)
//! and the sends they plan: one row per step and booking (or event), which is also the
//! queue a worker leases from, so a planned message is sent once, moved or dropped.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("workflows")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer_null("user_id"))
                .col(big_integer_null("team_id"))
                .col(text("name"))
                .col(text("trigger"))
                .col(text("steps"))
                .col(boolean("all_event_types"))
                .col(text("event_type_ids"))
                .col(boolean("active"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk("workflows", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("workflows", &["org_id"])).await?;
        m.create_table(
            Table::create()
                .table("workflow_sends")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("workflow_id"))
                .col(integer("step"))
                .col(text("send_key"))
                .col(big_integer_null("booking_id"))
                .col(text("event_kind"))
                .col(text("event_payload"))
                .col(big_integer("due_ms"))
                .col(text("status"))
                .col(integer("attempts"))
                .col(big_integer_null("lease_ms"))
                .col(text_null("last_error"))
                .col(big_integer_null("sent_ms"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk("workflow_sends", "workflow_id", "workflows"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("workflow_sends", &["send_key"]))
            .await?;
        m.create_index(index("workflow_sends", &["status", "due_ms"]))
            .await?;
        m.create_index(index("workflow_sends", &["booking_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("workflow_sends").to_owned())
            .await?;
        m.drop_table(Table::drop().table("workflows").to_owned())
            .await
    }
}
