//! Meeting-type recommendations: each organization's thresholds (JSON, absent for the
//! defaults, like its health weights) and each customer's renewal date, which the
//! "renewal is near" rule needs.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("organizations")
                .add_column(text_null("recommendation_thresholds"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("customers")
                .add_column(date_null("renewal_date"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("customers")
                .drop_column("renewal_date")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("organizations")
                .drop_column("recommendation_thresholds")
                .to_owned(),
        )
        .await
    }
}
