//! Routing forms and the answers invitees gave them.
//!
//! - `routing_forms`: a user's form (optionally a team's), its fields, routes and
//!   fallback kept as JSON text: always read whole with the form, never queried.
//! - `routing_form_responses`: each submission with the answers and the route taken,
//!   listed newest first per form; deleted with their form.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("routing_forms")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("owner_user_id"))
                .col(big_integer_null("team_id"))
                .col(string("name"))
                .col(text_null("description"))
                .col(text("fields"))
                .col(text("routes"))
                .col(text("fallback"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk("routing_forms", "org_id", "organizations"))
                .foreign_key(&mut fk("routing_forms", "owner_user_id", "users"))
                .foreign_key(&mut fk("routing_forms", "team_id", "teams"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("routing_forms", &["org_id", "owner_user_id", "id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("routing_form_responses")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("form_id"))
                .col(text("answers"))
                .col(integer_null("route_index"))
                .col(text("target"))
                .col(big_integer("created_ms"))
                .foreign_key(&mut fk(
                    "routing_form_responses",
                    "form_id",
                    "routing_forms",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("routing_form_responses", &["form_id", "id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["routing_form_responses", "routing_forms"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
