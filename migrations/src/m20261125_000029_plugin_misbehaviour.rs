//! How many calls in a row an installation's plugin misbehaved (crashed, ran past its
//! deadline, overran a cap): at a limit the installation is switched off and its
//! owner told, rather than failing every job that reaches it forever.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("plugin_installations")
                .add_column(integer("misbehaviour_streak").default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("plugin_installations")
                .drop_column("misbehaviour_streak")
                .to_owned(),
        )
        .await
    }
}
