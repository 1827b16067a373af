//! The customer-success layer: customers with their email domains, the stakeholders at
//! each customer, the links that say which bookings were meetings with whom, which kind
//! of meeting each event type is, who cancelled a booking (only an invitee's
//! cancellation is a risk signal) and each organization's health-score weights.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

/// Nullable text columns added to existing tables: `bookings.cancelled_by` (`host` or
/// `attendee`) and `organizations.health_weights` (JSON; null means the defaults).
const ADDED_COLUMNS: [(&str, &str); 2] = [
    ("bookings", "cancelled_by"),
    ("organizations", "health_weights"),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("customers")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(text("name"))
                .col(big_integer_null("owner_user_id"))
                .col(string("tier"))
                .col(big_integer("arr_cents"))
                .col(string("lifecycle_stage"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("customers", &["org_id", "owner_user_id"]))
            .await?;
        // One row per domain, so an attendee's domain is found through an index.
        m.create_table(
            Table::create()
                .table("customer_domains")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("customer_id"))
                .col(string("domain"))
                .foreign_key(&mut fk("customer_domains", "customer_id", "customers"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "customer_domains",
            &["org_id", "domain", "customer_id"],
        ))
        .await?;
        m.create_index(index("customer_domains", &["customer_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("stakeholders")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("customer_id"))
                .col(text("name"))
                .col(string("email"))
                .col(text_null("title"))
                .col(string("role"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk("stakeholders", "customer_id", "customers"))
                .to_owned(),
        )
        .await?;
        // An email is one person: at most one stakeholder per address in an organization.
        m.create_index(unique_index("stakeholders", &["org_id", "email"]))
            .await?;
        m.create_index(index("stakeholders", &["customer_id"]))
            .await?;
        m.create_table(
            Table::create()
                .table("meeting_links")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("booking_id"))
                .col(big_integer("customer_id"))
                .col(big_integer_null("stakeholder_id"))
                .col(string("attendee_email"))
                .col(string("matched_by"))
                .col(big_integer("created_ms"))
                .foreign_key(&mut fk("meeting_links", "booking_id", "bookings"))
                .foreign_key(&mut fk("meeting_links", "customer_id", "customers"))
                // Removing a stakeholder keeps the meeting with the customer on record.
                .foreign_key(
                    ForeignKey::create()
                        .from("meeting_links", "stakeholder_id")
                        .to("stakeholders", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "meeting_links",
            &["booking_id", "customer_id", "attendee_email"],
        ))
        .await?;
        m.create_index(index("meeting_links", &["customer_id", "booking_id"]))
            .await?;
        // Kept beside the event types, not in them: the CS layer's view of scheduler data.
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
            .await?;
        for (table, column) in ADDED_COLUMNS {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(text_null(column))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in ADDED_COLUMNS {
            m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        for table in [
            "meeting_categories",
            "meeting_links",
            "stakeholders",
            "customer_domains",
            "customers",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
