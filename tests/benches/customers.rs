//! Customer-success benchmark on PostgreSQL: prints figures, asserts nothing.
//!
//! Seeds 10,000 customers (50 CSMs own 200 each), 50,000 stakeholders (5 each) and
//! 500,000 bookings linked to them (10,000 per CSM, one every 40 minutes from 250 days
//! ago to a month ahead; 1 in 20 cancelled by the customer, 1 in 50 a no-show), then:
//! 1. recomputes every customer's health (the snapshot job), three times;
//! 2. over loopback HTTP, the dashboard's first page: 50 customers with their health and
//!    last meeting, least healthy first, and the same filtered to a band and in the
//!    default order; and one customer's detail page.
//!
//! Run: `cargo bench -p convene-tests --bench customers` (PostgreSQL from
//! `TEST_DATABASE_URL`).

use std::time::{Duration, Instant};

use chrono::Utc;
use convene::app::customer_health;
use convene::domain::ids::OrgId;
use convene_tests::bench::report;
use convene_tests::{Backend, TestApp};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const CUSTOMERS: i64 = 10_000;
const STAKEHOLDERS_EACH: i64 = 5;
const BOOKINGS: i64 = 500_000;
const CSMS: i64 = 50;

/// The CSMs by number (seeded as `csm0`, `csm1`, …).
const CSM: &str =
    "(SELECT id, substr(username, 4)::int AS n FROM users WHERE username LIKE 'csm%') csm";
/// The customers by number (seeded as `Customer 0`, …).
const CMAP: &str =
    "(SELECT id, substr(name, 10)::int AS g FROM customers WHERE name LIKE 'Customer %') cmap";

/// The seed, as SQL over `generate_series`: row by row through the API would take
/// hours, and what is measured here is reading, not writing.
fn seed_sql(org: i64, event_type: i64, now_ms: i64) -> Vec<String> {
    let day = 86_400_000_i64;
    let first_start = now_ms - 250 * day;
    let created = now_ms - 400 * day;
    vec![
        format!(
            "INSERT INTO users (org_id, username, email, name, time_zone, created_ms)
             SELECT {org}, 'csm' || g, 'csm' || g || '@bench.example', 'CSM ' || g, 'UTC', {created}
             FROM generate_series(0, {CSMS} - 1) g"
        ),
        format!(
            "INSERT INTO customers (org_id, name, owner_user_id, tier, arr_cents, lifecycle_stage, created_ms, updated_ms)
             SELECT {org}, 'Customer ' || g, csm.id, (ARRAY['enterprise','mid-market','smb','other'])[1 + g % 4],
                    1000 * g, 'active', {created}, {created}
             FROM generate_series(0, {CUSTOMERS} - 1) g JOIN {CSM} ON csm.n = g % {CSMS}"
        ),
        format!(
            "INSERT INTO customer_domains (org_id, customer_id, domain)
             SELECT {org}, id, 'c' || g || '.bench.example' FROM {CMAP}"
        ),
        format!(
            "INSERT INTO stakeholders (org_id, customer_id, name, email, title, role, created_ms, updated_ms)
             SELECT {org}, cmap.id, 'Person ' || s, 'p' || s || '@c' || cmap.g || '.bench.example', NULL,
                    (ARRAY['champion','decision_maker','executive','user','other'])[1 + s], {created}, {created}
             FROM {CMAP} CROSS JOIN generate_series(0, {STAKEHOLDERS_EACH} - 1) s"
        ),
        format!(
            "INSERT INTO bookings (uid, org_id, event_type_id, host_user_id, title, description, status,
                start_ms, end_ms, busy_start_ms, busy_end_ms, guests, location, metadata, responses,
                cancellation_reason, cancelled_by, rescheduling_reason, rescheduled_from_uid,
                rescheduled_to_uid, created_ms, updated_ms)
             SELECT 'bench-' || b, {org}, {event_type}, csm.id, 'Check-in', '',
                    CASE WHEN b % 20 = 0 THEN 'cancelled' ELSE 'accepted' END,
                    st, st + 1800000, st, st + 1800000, '[]', NULL, '{{}}', '{{}}', NULL,
                    CASE WHEN b % 20 = 0 THEN 'attendee' END, NULL, NULL, NULL,
                    st - 7 * {day}, st - 7 * {day}
             FROM (SELECT b, {first_start} + (b / {CSMS}) * 2400000 AS st
                   FROM generate_series(0::bigint, {BOOKINGS} - 1) b) x
             JOIN {CSM} ON csm.n = x.b % {CSMS}"
        ),
        format!(
            "INSERT INTO booking_attendees (booking_id, name, email, time_zone, language, phone_number, absent)
             SELECT id, 'Person', 'p' || (b % {STAKEHOLDERS_EACH}) || '@c' || ((b * 7919) % {CUSTOMERS}) || '.bench.example',
                    'UTC', NULL, NULL, b % 50 = 7
             FROM (SELECT id, substr(uid, 7)::bigint AS b FROM bookings WHERE uid LIKE 'bench-%') x"
        ),
        format!(
            "INSERT INTO meeting_links (org_id, booking_id, customer_id, stakeholder_id, attendee_email, matched_by, created_ms)
             SELECT {org}, a.booking_id, s.customer_id, s.id, a.email, 'email', {now_ms}
             FROM booking_attendees a JOIN stakeholders s ON s.org_id = {org} AND s.email = a.email"
        ),
        "ANALYZE".into(),
    ]
}

async fn seed(app: &TestApp) -> OrgId {
    let org: i64 = one_number(app, "SELECT id FROM organizations ORDER BY id LIMIT 1").await;
    let event_type = app.event_type_id("30min").await;
    let started = Instant::now();
    for sql in seed_sql(org, event_type, Utc::now().timestamp_millis()) {
        app.db.execute_unprepared(&sql).await.expect("seed");
    }
    let counted = one_number(app, "SELECT count(*) FROM meeting_links").await;
    println!(
        "seeded {CUSTOMERS} customers, {} stakeholders, {BOOKINGS} bookings, {counted} links in {:.1}s",
        CUSTOMERS * STAKEHOLDERS_EACH,
        started.elapsed().as_secs_f64()
    );
    OrgId(org)
}

async fn one_number(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql,
        ))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a number")
}

/// `n` runs of `query` with `variables`: their latencies.
async fn time_query(app: &TestApp, n: usize, query: &str, variables: Value) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let data = app.graphql(query, variables.clone()).await;
        samples.push(started.elapsed());
        assert!(!data.is_null());
    }
    samples
}

const DASHBOARD: &str = "query($band: String, $order: CustomerOrder!) {
    customers(orderBy: $order, band: $band, limit: 50) {
        items { id name lastMeeting health { score band trend } } nextCursor } }";

const DETAIL: &str = "query($id: ID!) { customer(id: $id) {
    name health { score band trend previousScore components { name score detail } }
    month: engagement(windowDays: 30) { meetingsInWindow cancellationRate noShowRate }
    stakeholders { name email role }
    upcoming: meetings(when: UPCOMING, limit: 10) { items { uid startTime } }
    past: meetings(when: PAST, limit: 20) { items { uid startTime status } } } }";

#[tokio::main]
async fn main() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let org = seed(&app).await;

    for round in 1..=3 {
        let started = Instant::now();
        let scored = customer_health::recompute(&app.db, org, None, Utc::now())
            .await
            .expect("recompute");
        println!(
            "health recomputation, all {} customers (round {round}): {:.2}s",
            scored.len(),
            started.elapsed().as_secs_f64()
        );
    }

    // What autovacuum does after such churn: three full recomputes leave 20,000 dead
    // snapshot rows, and the freshness check reads the index alone only once the
    // visibility map is current again.
    app.db
        .execute_unprepared("VACUUM ANALYZE customer_health")
        .await
        .expect("vacuum");

    let first = app.graphql(DASHBOARD, json!({"order": "HEALTH"})).await;
    let worst = first["customers"]["items"][0].clone();
    println!("least healthy: {} {}", worst["name"], worst["health"]);
    report(
        "dashboard: first 50 customers by health, with health and last meeting",
        time_query(&app, 200, DASHBOARD, json!({"order": "HEALTH"})).await,
    );
    report(
        "dashboard: first 50 at-risk customers",
        time_query(
            &app,
            200,
            DASHBOARD,
            json!({"order": "HEALTH", "band": "at_risk"}),
        )
        .await,
    );
    report(
        "dashboard: first 50 customers in the default order",
        time_query(&app, 200, DASHBOARD, json!({"order": "CREATED"})).await,
    );
    report(
        "customer detail: health, 30-day engagement, stakeholders, 10 upcoming and 20 past meetings",
        time_query(&app, 200, DETAIL, json!({"id": worst["id"]})).await,
    );
}
