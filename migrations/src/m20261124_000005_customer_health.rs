//! Health snapshots: each customer's latest assessment, kept so that a dashboard can
//! filter and sort thousands of accounts by health or by their last meeting through an
//! index instead of scoring every account on every request.
//!
//! A snapshot row is deleted whenever something it was computed from changes (a linked
//! booking, the links, the stakeholders, the weights); a missing row means "recompute".

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("customer_health")
                .col(big_integer("customer_id").primary_key())
                .col(big_integer("org_id"))
                .col(integer("score"))
                .col(string("band"))
                // The last meeting's start, 0 when never met: sorts first, as the
                // longest without a meeting.
                .col(big_integer("last_met_ms"))
                // The whole assessment (engagement, components, trend) as JSON.
                .col(text("assessment"))
                .col(big_integer("computed_ms"))
                .foreign_key(
                    ForeignKey::create()
                        .from("customer_health", "customer_id")
                        .to("customers", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The last one lets the freshness check read the index alone, not the wide rows.
        for columns in [
            ["org_id", "score", "customer_id"],
            ["org_id", "last_met_ms", "customer_id"],
            ["org_id", "band", "customer_id"],
            ["org_id", "computed_ms", "customer_id"],
        ] {
            m.create_index(index("customer_health", &columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("customer_health").to_owned())
            .await
    }
}
