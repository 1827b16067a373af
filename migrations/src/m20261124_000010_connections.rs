//! Connections: the credentials Convene holds to call an outside provider (Google,
//! Zoom, Stripe, …) as a user or a team. Tokens and keys are stored sealed
//! (AES-256-GCM, base64 text), never in the clear.
//!
//! The owner is a user or a team. Teams may arrive after this table, so
//! `owner_team_id` has no foreign key; `owner_key` (`user:5`, `team:3`) makes "one
//! connection per plugin and owner" a unique index on both databases (a unique index
//! over two nullable columns would let NULLs through).

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("connections")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("plugin_id"))
                .col(big_integer_null("owner_user_id"))
                .col(big_integer_null("owner_team_id"))
                .col(string("owner_key"))
                .col(big_integer("created_by_user_id"))
                .col(string("kind"))
                .col(text_null("access_token_sealed"))
                .col(text_null("refresh_token_sealed"))
                .col(big_integer_null("expires_ms"))
                .col(text("scopes"))
                .col(text_null("account_label"))
                .col(string("status"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk("connections", "org_id", "organizations"))
                .foreign_key(&mut fk("connections", "owner_user_id", "users"))
                .foreign_key(&mut fk("connections", "created_by_user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "connections",
            &["org_id", "plugin_id", "owner_key"],
        ))
        .await?;
        m.create_index(index("connections", &["org_id", "owner_key"]))
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("connections").to_owned())
            .await
    }
}
