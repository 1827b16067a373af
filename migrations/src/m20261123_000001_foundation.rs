//! Organizations, users, API keys, schedules, event types, bookings, attendees,
//! idempotency records and the outbox.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// PostgreSQL: two live bookings of one host may not overlap, buffers included.
/// `[)` lets back-to-back bookings touch; cancelled and rejected bookings free the time.
const PG_NO_OVERLAP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE bookings ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist \
     (host_user_id WITH =, int8range(busy_start_ms, busy_end_ms, '[)') WITH &&) \
     WHERE (status IN ('accepted', 'pending'))",
];

/// SQLite has one writer at a time, so a trigger that looks for an overlapping live
/// booking gives the same guarantee as the PostgreSQL exclusion constraint.
const SQLITE_NO_OVERLAP: &[&str] = &[
    "CREATE TRIGGER booking_no_overlap_insert BEFORE INSERT ON bookings \
     WHEN NEW.status IN ('accepted', 'pending') BEGIN \
       SELECT RAISE(ABORT, 'booking_no_overlap') WHERE EXISTS (SELECT 1 FROM bookings b \
         WHERE b.host_user_id = NEW.host_user_id AND b.status IN ('accepted', 'pending') \
         AND b.busy_start_ms < NEW.busy_end_ms AND NEW.busy_start_ms < b.busy_end_ms); \
     END",
    "CREATE TRIGGER booking_no_overlap_update BEFORE UPDATE OF host_user_id, busy_start_ms, busy_end_ms, status ON bookings \
     WHEN NEW.status IN ('accepted', 'pending') BEGIN \
       SELECT RAISE(ABORT, 'booking_no_overlap') WHERE EXISTS (SELECT 1 FROM bookings b \
         WHERE b.id <> NEW.id AND b.host_user_id = NEW.host_user_id AND b.status IN ('accepted', 'pending') \
         AND b.busy_start_ms < NEW.busy_end_ms AND NEW.busy_start_ms < b.busy_end_ms); \
     END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("organizations")
                .col(big_pk_auto("id"))
                .col(string("name"))
                .col(string_uniq("slug"))
                .col(big_integer("created_ms"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("users")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string_uniq("username"))
                .col(string_uniq("email"))
                .col(string("name"))
                .col(string("time_zone"))
                .col(big_integer_null("default_schedule_id"))
                .col(big_integer("created_ms"))
                .foreign_key(&mut fk("users", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("api_keys")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(string("name"))
                .col(string("prefix"))
                .col(string_uniq("key_hash"))
                .col(big_integer("created_ms"))
                .foreign_key(&mut fk("api_keys", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("schedules")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("user_id"))
                .col(string("name"))
                .col(string("time_zone"))
                .col(text("availability"))
                .col(text("overrides"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(&mut fk("schedules", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("schedules", &["user_id"])).await?;
        m.create_table(
            Table::create()
                .table("event_types")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("owner_user_id"))
                .col(string("slug"))
                .col(string("title"))
                .col(text("description"))
                .col(integer("length_min"))
                .col(text("length_options"))
                .col(integer_null("slot_interval_min"))
                .col(integer("min_notice_min"))
                .col(integer("buffer_before_min"))
                .col(integer("buffer_after_min"))
                .col(text_null("booking_window"))
                .col(text("count_limits"))
                .col(text("duration_limits"))
                .col(boolean("requires_confirmation"))
                .col(text("locations"))
                .col(text("booking_fields"))
                .col(big_integer_null("schedule_id"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .col(big_integer_null("deleted_ms"))
                .foreign_key(&mut fk("event_types", "owner_user_id", "users"))
                .to_owned(),
        )
        .await?;
        // Only live event types hold their slug, so a deleted one's slug can be reused.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_event_types_owner_slug ON event_types (owner_user_id, slug) \
                 WHERE deleted_ms IS NULL",
            )
            .await?;
        m.create_table(
            Table::create()
                .table("bookings")
                .col(big_pk_auto("id"))
                .col(string_uniq("uid"))
                .col(big_integer("org_id"))
                .col(big_integer("event_type_id"))
                .col(big_integer("host_user_id"))
                .col(string("title"))
                .col(text("description"))
                .col(string("status"))
                .col(big_integer("start_ms"))
                .col(big_integer("end_ms"))
                .col(big_integer("busy_start_ms"))
                .col(big_integer("busy_end_ms"))
                .col(text("guests"))
                .col(text_null("location"))
                .col(text("metadata"))
                .col(text("responses"))
                .col(text_null("cancellation_reason"))
                .col(text_null("rescheduling_reason"))
                .col(string_null("rescheduled_from_uid"))
                .col(string_null("rescheduled_to_uid"))
                .col(big_integer("created_ms"))
                .col(big_integer("updated_ms"))
                .foreign_key(
                    // Bookings outlive their event type: it is only ever soft-deleted.
                    &mut ForeignKey::create()
                        .from("bookings", "event_type_id")
                        .to("event_types", "id")
                        .on_delete(ForeignKeyAction::Restrict)
                        .to_owned(),
                )
                .foreign_key(&mut fk("bookings", "host_user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("bookings", &["host_user_id", "busy_start_ms"]))
            .await?;
        m.create_index(index("bookings", &["org_id", "start_ms"]))
            .await?;
        m.create_table(
            Table::create()
                .table("booking_attendees")
                .col(big_pk_auto("id"))
                .col(big_integer("booking_id"))
                .col(string("name"))
                .col(string("email"))
                .col(string("time_zone"))
                .col(string_null("language"))
                .col(string_null("phone_number"))
                .col(boolean("absent"))
                .foreign_key(&mut fk("booking_attendees", "booking_id", "bookings"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("booking_attendees", &["booking_id"]))
            .await?;
        m.create_index(index("booking_attendees", &["email"]))
            .await?;
        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(big_pk_auto("id"))
                .col(string("scope"))
                .col(string("key"))
                .col(string("request_hash"))
                .col(integer_null("status_code"))
                .col(text_null("response_body"))
                .col(big_integer("created_ms"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("idempotency_keys", &["scope", "key"]))
            .await?;
        m.create_table(
            Table::create()
                .table("outbox_events")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("kind"))
                .col(text("payload"))
                .col(big_integer("created_ms"))
                .col(big_integer_null("dispatched_ms"))
                .to_owned(),
        )
        .await?;

        let no_overlap = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => PG_NO_OVERLAP,
            _ => SQLITE_NO_OVERLAP,
        };
        for sql in no_overlap {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "outbox_events",
            "idempotency_keys",
            "booking_attendees",
            "bookings",
            "event_types",
            "schedules",
            "api_keys",
            "users",
            "organizations",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
