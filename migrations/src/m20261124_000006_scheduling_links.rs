//! Scheduling links a CSM sends a customer: one event type, a few uses, an expiry, the
//! invitee's name and email filled in and the customer context carried into the
//! booking. Also the organization an idempotency record was answered for, so erasing a
//! person's data can find the stored responses that belong to that organization.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A link outlives the customer or stakeholder it was made for: it loses the context,
/// not its use.
fn set_null(column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from("scheduling_links", column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("scheduling_links")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("token"))
                .col(big_integer("event_type_id"))
                .col(big_integer("created_by_user_id"))
                .col(big_integer_null("customer_id"))
                .col(big_integer_null("stakeholder_id"))
                .col(text_null("prefill_name"))
                .col(string_null("prefill_email"))
                .col(integer("max_uses"))
                .col(integer("uses"))
                .col(big_integer("expires_ms"))
                .col(big_integer("created_ms"))
                .col(big_integer_null("first_opened_ms"))
                .col(big_integer_null("last_opened_ms"))
                .col(integer("open_count"))
                .col(big_integer_null("used_ms"))
                .col(big_integer_null("revoked_ms"))
                .foreign_key(&mut fk("scheduling_links", "event_type_id", "event_types"))
                .foreign_key(&mut fk("scheduling_links", "created_by_user_id", "users"))
                .foreign_key(&mut set_null("customer_id", "customers"))
                .foreign_key(&mut set_null("stakeholder_id", "stakeholders"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("scheduling_links", &["token"]))
            .await?;
        m.create_index(index("scheduling_links", &["org_id", "customer_id", "id"]))
            .await?;
        m.create_index(index("scheduling_links", &["stakeholder_id"]))
            .await?;
        m.alter_table(
            Table::alter()
                .table("idempotency_keys")
                .add_column(big_integer_null("org_id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("idempotency_keys")
                .drop_column("org_id")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("scheduling_links").to_owned())
            .await
    }
}
