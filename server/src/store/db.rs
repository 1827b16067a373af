//! Connecting, migrating, and opening write transactions the same way on both databases.

use std::time::Duration;

use convene_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, Statement, TransactionOptions, TransactionTrait,
};

use super::Result;
use crate::domain::ids::UserId;

/// The connection pool; cheap to clone.
pub type Db = DatabaseConnection;

/// Connects to `url` (`sqlite://…` or `postgres://…`) and brings the schema up to date.
///
/// SQLite runs in WAL mode with a busy timeout so that readers never block and
/// writers queue instead of failing; foreign keys are switched on.
pub async fn connect(url: &str) -> Result<Db> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(16)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(count_query);
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Counts every statement in `db_queries_total{outcome}`: the figure that shows an
/// N+1 (a page that costs a query per row) on a dashboard, and what tests count.
fn count_query(info: &sea_orm::metric::Info<'_>) {
    let outcome = if info.failed { "error" } else { "ok" };
    metrics::counter!("db_queries_total", "outcome" => outcome).increment(1);
}

/// Begins a transaction that may write bookings.
///
/// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken up front, so the
/// overlap check and the insert see the same data and concurrent writers queue on
/// the busy timeout instead of failing when a read lock upgrades.
pub async fn begin_write(db: &Db) -> Result<DatabaseTransaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// Serializes booking writes for one host until the transaction ends.
///
/// Overlaps need no lock: the exclusion constraint refuses them on PostgreSQL, so
/// bookings of one host at different times go in concurrently. Per-period limits do:
/// two transactions could each count nine of ten and both insert. Callers take the
/// lock only then. SQLite needs nothing: `BEGIN IMMEDIATE` admits one writer at a time.
pub async fn lock_host(txn: &DatabaseTransaction, host: UserId) -> Result<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended('booking-host:' || $1, 0))",
            [host.0.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Whether `err` is the database refusing an overlapping booking
/// (the PostgreSQL exclusion constraint or the SQLite trigger, both named `booking_no_overlap`).
pub fn is_overlap(err: &DbErr) -> bool {
    err.to_string().contains("booking_no_overlap")
}
