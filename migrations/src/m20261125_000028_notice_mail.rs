//! Every notice is also mailed to its user: `emailed_ms` says it went, `mail_lease_ms`
//! which worker is sending it. Notices from before are counted as mailed, so an
//! upgrade mails nobody about the past. A pending booking remembers when its hosts
//! were warned that it will expire unconfirmed (`expiry_warned_ms`), so they are
//! warned once.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("notifications")
                .add_column(big_integer_null("emailed_ms"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("notifications")
                .add_column(big_integer_null("mail_lease_ms"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("UPDATE notifications SET emailed_ms = created_ms")
            .await?;
        m.create_index(index("notifications", &["emailed_ms"]))
            .await?;
        m.alter_table(
            Table::alter()
                .table("bookings")
                .add_column(big_integer_null("expiry_warned_ms"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("bookings")
                .drop_column("expiry_warned_ms")
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_notifications_emailed_ms")
                .table("notifications")
                .to_owned(),
        )
        .await?;
        for column in ["mail_lease_ms", "emailed_ms"] {
            m.alter_table(
                Table::alter()
                    .table("notifications")
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
