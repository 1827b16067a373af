//! Which kind of customer meeting each event type is (QBR, check-in, demo, onboarding,
//! support), so engagement can be broken down by kind. Kept beside the event types,
//! not in them: it is the customer-success layer's view of the scheduler's data.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("meeting_categories")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("event_type_id"))
                .col(string("category"))
                .foreign_key(&mut fk(
                    "meeting_categories",
                    "event_type_id",
                    "event_types",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("meeting_categories", &["event_type_id"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("meeting_categories").to_owned())
            .await
    }
}
