//! Schema migrations for Convene.
//!
//! Every migration runs unchanged on SQLite (the embedded default) and PostgreSQL
//! (production). Where the two dialects must differ (the no-double-booking
//! guarantee), the migration says so and writes each dialect's SQL side by side.
//! Times are stored as UTC unix milliseconds (`BIGINT`) so that range comparisons
//! read the same in both databases.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261123_000001_foundation;
mod m20261124_000002_webhooks;
mod m20261124_000003_notifications;
mod m20261124_000004_crm;
mod m20261124_000005_customer_health;
mod m20261124_000006_scheduling_links;
mod m20261124_000007_auto_stakeholders;
mod m20261124_000008_plugins;
mod m20261124_000010_connections;
mod m20261124_000011_teams;
mod m20261124_000012_sync_rules;
mod m20261124_000013_team_scheduling;
mod m20261124_000014_seats;
mod m20261124_000015_recurring_series;
mod m20261124_000016_confirmation_and_zone;
mod m20261124_000017_routing_forms;
mod m20261124_000018_out_of_office;
mod m20261124_000019_host_limits;
mod m20261124_000020_calendars;
mod m20261124_000021_round_robin_credits;
mod m20261124_000022_inbound_sync;
mod m20261124_000023_booking_assignment;
mod m20261124_000024_insights;
mod m20261124_000025_recommendations;
mod m20261125_000026_workflows;
mod m20261125_000027_sms;
mod m20261125_000028_notice_mail;
mod m20261125_000029_plugin_misbehaviour;

/// The ordered list of Convene's migrations; `convene serve` applies it on start.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261124_000002_webhooks::Migration),
            Box::new(m20261124_000003_notifications::Migration),
            Box::new(m20261124_000004_crm::Migration),
            Box::new(m20261124_000005_customer_health::Migration),
            Box::new(m20261124_000006_scheduling_links::Migration),
            Box::new(m20261124_000007_auto_stakeholders::Migration),
            Box::new(m20261124_000008_plugins::Migration),
            Box::new(m20261124_000010_connections::Migration),
            Box::new(m20261124_000011_teams::Migration),
            Box::new(m20261124_000012_sync_rules::Migration),
            Box::new(m20261124_000013_team_scheduling::Migration),
            Box::new(m20261124_000014_seats::Migration),
            Box::new(m20261124_000015_recurring_series::Migration),
            Box::new(m20261124_000016_confirmation_and_zone::Migration),
            Box::new(m20261124_000017_routing_forms::Migration),
            Box::new(m20261124_000018_out_of_office::Migration),
            Box::new(m20261124_000019_host_limits::Migration),
            Box::new(m20261124_000020_calendars::Migration),
            Box::new(m20261124_000021_round_robin_credits::Migration),
            Box::new(m20261124_000022_inbound_sync::Migration),
            Box::new(m20261124_000023_booking_assignment::Migration),
            Box::new(m20261124_000024_insights::Migration),
            Box::new(m20261124_000025_recommendations::Migration),
            Box::new(m20261125_000026_workflows::Migration),
            Box::new(m20261125_000027_sms::Migration),
            Box::new(m20261125_000028_notice_mail::Migration),
            Box::new(m20261125_000029_plugin_misbehaviour::Migration),
        ]
    }
}
