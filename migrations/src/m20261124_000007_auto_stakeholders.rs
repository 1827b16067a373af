//! An organization's choice to add a stakeholder for every new attendee whose email
//! domain belongs to one of its customers (`organizations.auto_stakeholders`; off by
//! default, as a CSM may not want every passing address on file).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("organizations")
                .add_column(boolean("auto_stakeholders").default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("organizations")
                .drop_column("auto_stakeholders")
                .to_owned(),
        )
        .await
    }
}
