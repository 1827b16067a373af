//! Out-of-office entries: a user away from `start_ms` to `end_ms`, with a reason, a
//! note and optionally the teammate invitees go to meanwhile. Looked up by user and
//! time for every slot query, hence the index.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("out_of_office")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(big_integer("start_ms"))
                .col(big_integer("end_ms"))
                .col(string("reason"))
                .col(text_null("notes"))
                .col(big_integer_null("to_user_id"))
                .col(big_integer("created_ms"))
                .foreign_key(&mut fk("out_of_office", "user_id", "users"))
                .foreign_key(
                    ForeignKey::create()
                        .from("out_of_office", "to_user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("out_of_office", &["user_id", "end_ms"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("out_of_office").to_owned())
            .await
    }
}
