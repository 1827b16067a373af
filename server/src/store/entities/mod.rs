//! sea-orm entities, one module per table. They never leave `store/`: repositories
//! turn them into domain types.

pub mod api_keys;
pub mod applied_provider_events;
pub mod booking_attendees;
pub mod booking_hosts;
pub mod bookings;
pub mod connections;
pub mod customer_domains;
pub mod customer_health;
pub mod customers;
pub mod event_type_hosts;
pub mod event_types;
pub mod external_refs;
pub mod host_limits;
pub mod idempotency_keys;
pub mod inbound_events;
pub mod meeting_categories;
pub mod meeting_links;
pub mod notifications;
pub mod organizations;
pub mod out_of_office;
pub mod outbox_events;
pub mod plugin_installations;
pub mod plugin_kv;
pub mod plugin_packages;
pub mod routing_form_responses;
pub mod routing_forms;
pub mod schedules;
pub mod scheduling_links;
pub mod stakeholders;
pub mod team_memberships;
pub mod teams;
pub mod users;
pub mod webhook_attempts;
pub mod webhook_deliveries;
pub mod webhooks;
