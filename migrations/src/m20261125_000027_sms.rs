//! Text messages sent through a provider plugin, one per organization and reference
//! (Convene's own id of the message, so a retried send never texts twice), with the
//! provider's id its status callbacks name; and the phones that opted out of an
//! organization's messages (replied STOP).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sms_messages")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("installation_id"))
                .col(string("reference"))
                .col(string_null("provider_id"))
                .col(string("to_phone"))
                .col(string("status"))
                .col(string_null("error_code"))
                .col(big_integer_null("status_ms"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk("sms_messages", "org_id", "organizations"))
                .foreign_key(&mut fk(
                    "sms_messages",
                    "installation_id",
                    "plugin_installations",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("sms_messages", &["org_id", "reference"]))
            .await?;
        m.create_index(index("sms_messages", &["installation_id", "provider_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("sms_opt_outs")
                .col(big_integer("org_id"))
                .col(string("phone"))
                .col(big_integer("opted_out_ms"))
                .primary_key(Index::create().col("org_id").col("phone"))
                .foreign_key(&mut fk("sms_opt_outs", "org_id", "organizations"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("sms_opt_outs").to_owned())
            .await?;
        m.drop_table(Table::drop().table("sms_messages").to_owned())
            .await
    }
}
