//! Round robin's absence credits: per round-robin event type and host, the share of
//! bookings the host was due at slots booked while they could not take them, in
//! millionths of a booking (`domain::round_robin::CREDIT_UNIT`). Kept apart from
//! `event_type_hosts`, whose rows are replaced whenever the hosts are edited.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("round_robin_credits")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("event_type_id"))
                .col(big_integer("user_id"))
                .col(big_integer("credit"))
                .foreign_key(&mut fk(
                    "round_robin_credits",
                    "event_type_id",
                    "event_types",
                ))
                .foreign_key(&mut fk("round_robin_credits", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "round_robin_credits",
            &["event_type_id", "user_id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("round_robin_credits").to_owned())
            .await
    }
}
