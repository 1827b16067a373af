//! Organization roles and teams.
//!
//! `users.org_role` says who may manage the organization (OWNER, ADMIN) and who is a
//! plain MEMBER. Existing organizations get their first user as OWNER, as the code
//! treated the founder before roles existed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("users")
                .add_column(string("org_role").default("MEMBER"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE users SET org_role = 'OWNER' \
                 WHERE id IN (SELECT MIN(id) FROM users GROUP BY org_id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("users")
                .drop_column("org_role")
                .to_owned(),
        )
        .await
    }
}
