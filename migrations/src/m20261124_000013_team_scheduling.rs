//! Teams (organization roles came first, in 000011).
//!
//! - `teams` and `team_memberships` (role OWNER, ADMIN or MEMBER per team).
//! - Event types may belong to a team (`team_id`, `scheduling_type`,
//!   `assign_all_team_members`) with hosts in `event_type_hosts`. A personal slug is
//!   unique per owner, a team slug per team.
//! - `booking_hosts`: every host a booking holds. Each booking's own host is copied in
//!   by a trigger (and follows the booking's status, times and host), a collective or
//!   fixed-host booking adds its other hosts, and the no-double-booking guarantee now
//!   holds over this table: an exclusion constraint on PostgreSQL, a trigger on SQLite.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// PostgreSQL: the booking's own host row is kept by one trigger function, and no
/// host may hold two live bookings at once, whichever booking names them.
const PG_HOSTS: &[&str] = &[
    "CREATE FUNCTION booking_hosts_follow() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF TG_OP = 'INSERT' THEN \
         INSERT INTO booking_hosts (org_id, booking_id, user_id, event_type_id, status, start_ms, end_ms, busy_start_ms, busy_end_ms, created_ms) \
         VALUES (NEW.org_id, NEW.id, NEW.host_user_id, NEW.event_type_id, NEW.status, NEW.start_ms, NEW.end_ms, NEW.busy_start_ms, NEW.busy_end_ms, NEW.created_ms); \
       ELSE \
         IF NEW.host_user_id <> OLD.host_user_id THEN \
           UPDATE booking_hosts SET user_id = NEW.host_user_id \
           WHERE booking_id = NEW.id AND user_id = OLD.host_user_id; \
         END IF; \
         IF NEW.status <> OLD.status OR NEW.busy_start_ms <> OLD.busy_start_ms \
            OR NEW.busy_end_ms <> OLD.busy_end_ms THEN \
           UPDATE booking_hosts SET status = NEW.status, start_ms = NEW.start_ms, end_ms = NEW.end_ms, \
             busy_start_ms = NEW.busy_start_ms, busy_end_ms = NEW.busy_end_ms WHERE booking_id = NEW.id; \
         END IF; \
       END IF; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER booking_hosts_follow AFTER INSERT OR UPDATE ON bookings \
     FOR EACH ROW EXECUTE FUNCTION booking_hosts_follow()",
    "ALTER TABLE booking_hosts ADD CONSTRAINT booking_no_overlap_hosts EXCLUDE USING gist \
     (user_id WITH =, int8range(busy_start_ms, busy_end_ms, '[)') WITH &&) \
     WHERE (status IN ('accepted', 'pending'))",
];

/// SQLite: the same with triggers; one writer at a time makes the check safe.
const SQLITE_HOSTS: &[&str] = &[
    "CREATE TRIGGER booking_hosts_insert AFTER INSERT ON bookings BEGIN \
       INSERT INTO booking_hosts (org_id, booking_id, user_id, event_type_id, status, start_ms, end_ms, busy_start_ms, busy_end_ms, created_ms) \
       VALUES (NEW.org_id, NEW.id, NEW.host_user_id, NEW.event_type_id, NEW.status, NEW.start_ms, NEW.end_ms, NEW.busy_start_ms, NEW.busy_end_ms, NEW.created_ms); \
     END",
    "CREATE TRIGGER booking_hosts_host AFTER UPDATE OF host_user_id ON bookings BEGIN \
       UPDATE booking_hosts SET user_id = NEW.host_user_id \
       WHERE booking_id = NEW.id AND user_id = OLD.host_user_id; \
     END",
    "CREATE TRIGGER booking_hosts_time AFTER UPDATE OF status, start_ms, end_ms, busy_start_ms, busy_end_ms ON bookings BEGIN \
       UPDATE booking_hosts SET status = NEW.status, start_ms = NEW.start_ms, end_ms = NEW.end_ms, \
         busy_start_ms = NEW.busy_start_ms, busy_end_ms = NEW.busy_end_ms WHERE booking_id = NEW.id; \
     END",
    "CREATE TRIGGER booking_no_overlap_hosts_insert BEFORE INSERT ON booking_hosts \
     WHEN NEW.status IN ('accepted', 'pending') BEGIN \
       SELECT RAISE(ABORT, 'booking_no_overlap') WHERE EXISTS (SELECT 1 FROM booking_hosts h \
         WHERE h.user_id = NEW.user_id AND h.status IN ('accepted', 'pending') \
         AND h.busy_start_ms < NEW.busy_end_ms AND NEW.busy_start_ms < h.busy_end_ms); \
     END",
    "CREATE TRIGGER booking_no_overlap_hosts_update BEFORE UPDATE OF user_id, status, busy_start_ms, busy_end_ms ON booking_hosts \
     WHEN NEW.status IN ('accepted', 'pending') BEGIN \
       SELECT RAISE(ABORT, 'booking_no_overlap') WHERE EXISTS (SELECT 1 FROM booking_hosts h \
         WHERE h.id <> NEW.id AND h.booking_id <> NEW.booking_id AND h.user_id = NEW.user_id \
         AND h.status IN ('accepted', 'pending') \
         AND h.busy_start_ms < NEW.busy_end_ms AND NEW.busy_start_ms < h.busy_end_ms); \
     END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        m.create_table(
            Table::create()
                .table("teams")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(string("name"))
                .col(string_uniq("slug"))
                .col(big_integer("created_ms"))
                .foreign_key(&mut fk("teams", "org_id", "organizations"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("teams", &["org_id"])).await?;
        m.create_table(
            Table::create()
                .table("team_memberships")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("team_id"))
                .col(big_integer("user_id"))
                .col(string("role"))
                .col(big_integer("created_ms"))
                .foreign_key(&mut fk("team_memberships", "team_id", "teams"))
                .foreign_key(&mut fk("team_memberships", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("team_memberships", &["team_id", "user_id"]))
            .await?;
        m.create_index(index("team_memberships", &["user_id"]))
            .await?;

        for column in [
            big_integer_null("team_id"),
            string_null("scheduling_type"),
            boolean("assign_all_team_members").default(false).to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table("event_types")
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        // A personal slug is unique per owner, a team slug per team. The new index takes a
        // new name: SQLite refused to recreate the dropped one under its old name here.
        db.execute_unprepared("DROP INDEX idx_event_types_owner_slug")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX idx_event_types_personal_slug ON event_types (owner_user_id, slug) \
             WHERE deleted_ms IS NULL AND team_id IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX idx_event_types_team_slug ON event_types (team_id, slug) \
             WHERE deleted_ms IS NULL AND team_id IS NOT NULL",
        )
        .await?;
        m.create_table(
            Table::create()
                .table("event_type_hosts")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("event_type_id"))
                .col(big_integer("user_id"))
                .col(boolean("mandatory"))
                .col(string("priority"))
                .col(integer("weight"))
                .foreign_key(&mut fk("event_type_hosts", "event_type_id", "event_types"))
                .foreign_key(&mut fk("event_type_hosts", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index(
            "event_type_hosts",
            &["event_type_id", "user_id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("booking_hosts")
                .col(big_pk_auto("id"))
                .col(big_integer("org_id"))
                .col(big_integer("booking_id"))
                .col(big_integer("user_id"))
                .col(big_integer("event_type_id"))
                .col(string("status"))
                .col(big_integer("start_ms"))
                .col(big_integer("end_ms"))
                .col(big_integer("busy_start_ms"))
                .col(big_integer("busy_end_ms"))
                .col(big_integer("created_ms"))
                .foreign_key(&mut fk("booking_hosts", "booking_id", "bookings"))
                .foreign_key(&mut fk("booking_hosts", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        m.create_index(unique_index("booking_hosts", &["booking_id", "user_id"]))
            .await?;
        m.create_index(index("booking_hosts", &["user_id", "busy_start_ms"]))
            .await?;
        db.execute_unprepared(
            "INSERT INTO booking_hosts (org_id, booking_id, user_id, event_type_id, status, start_ms, end_ms, busy_start_ms, busy_end_ms, created_ms) \
             SELECT org_id, id, host_user_id, event_type_id, status, start_ms, end_ms, busy_start_ms, busy_end_ms, created_ms FROM bookings",
        )
        .await?;
        let hosts = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => PG_HOSTS,
            _ => SQLITE_HOSTS,
        };
        for sql in hosts {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let triggers: &[&str] = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => &[
                "DROP TRIGGER booking_hosts_follow ON bookings",
                "DROP FUNCTION booking_hosts_follow()",
            ],
            _ => &[
                "DROP TRIGGER booking_hosts_insert",
                "DROP TRIGGER booking_hosts_host",
                "DROP TRIGGER booking_hosts_time",
            ],
        };
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        for table in [
            "booking_hosts",
            "event_type_hosts",
            "team_memberships",
            "teams",
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        db.execute_unprepared("DROP INDEX idx_event_types_team_slug")
            .await?;
        db.execute_unprepared("DROP INDEX idx_event_types_personal_slug")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX idx_event_types_owner_slug ON event_types (owner_user_id, slug) \
             WHERE deleted_ms IS NULL",
        )
        .await?;
        for column in ["team_id", "scheduling_type", "assign_all_team_members"] {
            m.alter_table(
                Table::alter()
                    .table("event_types")
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
