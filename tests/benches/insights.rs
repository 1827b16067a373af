//! Insights benchmark: prints figures, asserts nothing.
//!
//! 500,000 bookings of one organization: 50 hosts in three teams (20, 20 and 10), each
//! team with two round-robin types, a booking every 70 minutes per host over 486 days
//! (80% accepted, 10% cancelled, 5% rescheduled, 3% pending, 2% rejected, mixed over
//! hosts; one in 37 of the accepted past ones a no-show), plus hourly booking-page
//! views, vacuumed and analyzed as autovacuum would after a bulk load. Then, over
//! loopback HTTP, the reports of one quarter for the 20-host team (about 37,000
//! bookings): booking stats by member and by event type, the busiest hours, page
//! conversion, and all four in one GraphQL request (a dashboard's team report).
//!
//! Run: `cargo bench -p convene-tests --bench insights` (PostgreSQL from
//! `TEST_DATABASE_URL`; `-- sqlite` for the embedded store).

use std::time::Instant;

use chrono::{Duration, Utc};
use convene_tests::bench::report;
use convene_tests::{Backend, TestApp};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const BOOKINGS: i64 = 500_000;
const TEAMS: [(&str, usize); 3] = [("enterprise", 20), ("midmarket", 20), ("smb", 10)];
const RUNS: usize = 60;

/// The teams, their hosts and their round-robin types; the first team's id.
async fn teams(app: &TestApp) -> (i64, Vec<(i64, i64, i64)>) {
    let mut hosts = Vec::new();
    let mut first_team = 0;
    for (slug, size) in TEAMS {
        let team = app
            .post("/v2/teams", json!({"name": slug, "slug": slug}))
            .await
            .data()["id"]
            .as_i64()
            .unwrap();
        if first_team == 0 {
            first_team = team;
        }
        let mut ids = Vec::new();
        for n in 0..size {
            let user = app.add_user(&format!("{slug}{n}"), "MEMBER").await;
            app.post(
                &format!("/v2/teams/{team}/memberships"),
                json!({"userId": user["id"]}),
            )
            .await;
            ids.push(user["id"].as_i64().unwrap());
        }
        let team_hosts: Vec<Value> = ids.iter().map(|id| json!({"userId": id})).collect();
        let mut types = Vec::new();
        for kind in ["intro", "review"] {
            let created = app
                .post(
                    &format!("/v2/teams/{team}/event-types"),
                    json!({"title": format!("{slug} {kind}"), "slug": format!("{slug}-{kind}"),
                           "lengthInMinutes": 30, "schedulingType": "ROUND_ROBIN", "hosts": team_hosts}),
                )
                .await;
            assert_eq!(created.status, 201, "{:#}", created.body);
            types.push(created.data()["id"].as_i64().unwrap());
        }
        hosts.extend(ids.into_iter().map(|id| (id, types[0], types[1])));
    }
    (first_team, hosts)
}

/// Writes the bookings, their attendees and the page views in three statements.
async fn seed(app: &TestApp, org: i64, hosts: &[(i64, i64, i64)]) {
    let db = &app.db;
    let run = |sql: String| async move { db.execute_unprepared(&sql).await.expect("seeding") };
    let n = hosts.len() as i64;
    let values: Vec<String> = hosts
        .iter()
        .enumerate()
        .map(|(k, (user, a, b))| format!("({k}, {user}, {a}, {b})"))
        .collect();
    run("CREATE TABLE bench_hosts (k BIGINT, user_id BIGINT, type_a BIGINT, type_b BIGINT)".into())
        .await;
    run(format!(
        "INSERT INTO bench_hosts VALUES {}",
        values.join(", ")
    ))
    .await;
    let now = Utc::now().timestamp_millis();
    let base = (Utc::now() - Duration::days(400)).timestamp_millis();
    let start = format!("({base} + (i / {n}) * 4200000)");
    run(format!(
        "WITH RECURSIVE seq(i) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM seq WHERE i < {last}) \
         INSERT INTO bookings (uid, org_id, event_type_id, host_user_id, title, description, status, \
           start_ms, end_ms, busy_start_ms, busy_end_ms, guests, location, metadata, responses, \
           cancellation_reason, cancelled_by, rescheduling_reason, rescheduled_from_uid, rescheduled_to_uid, \
           created_ms, updated_ms, seats_booked, recurring_booking_uid, expiry_lease_ms, assignment) \
         SELECT 'bench-' || i, {org}, CASE WHEN (i / {n}) % 2 = 0 THEN h.type_a ELSE h.type_b END, h.user_id, \
           'Bench', '', \
           CASE WHEN {roll} < 80 THEN 'accepted' WHEN {roll} < 95 THEN 'cancelled' \
                WHEN {roll} < 98 THEN 'pending' ELSE 'rejected' END, \
           {start}, {start} + 1800000, {start}, {start} + 1800000, '[]', NULL, '{{}}', '{{}}', \
           NULL, NULL, NULL, NULL, CASE WHEN {roll} >= 90 AND {roll} < 95 THEN 'bench-moved-' || i END, \
           {start} - (i * 7919) % 2592000000, {start} - (i * 7919) % 2592000000, 0, NULL, NULL, NULL \
         FROM seq JOIN bench_hosts h ON h.k = i % {n}",
        last = BOOKINGS - 1,
        roll = format!("(((i / {n}) * 31 + i) % 100)"),
    ))
    .await;
    run(format!(
        "INSERT INTO booking_attendees (booking_id, name, email, time_zone, language, phone_number, absent, seat_uid) \
         SELECT id, 'Bench', 'b' || id || '@bench.example', 'UTC', NULL, NULL, \
           CASE WHEN id % 37 = 0 AND status = 'accepted' AND end_ms < {now} THEN TRUE ELSE FALSE END, NULL \
         FROM bookings WHERE org_id = {org} AND title = 'Bench'"
    ))
    .await;
    run(format!(
        "WITH RECURSIVE hour(h) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT h + 1 FROM hour WHERE h < {hours}) \
         INSERT INTO booking_page_views (org_id, event_type_id, hour_ms, views) \
         SELECT {org}, t.id, {base} - {base} % 3600000 + h * 3600000, 1 + (h * t.id) % 5 \
         FROM hour JOIN (SELECT DISTINCT type_a AS id FROM bench_hosts UNION SELECT DISTINCT type_b FROM bench_hosts) t ON TRUE",
        hours = 486 * 24,
    ))
    .await;
    run("DROP TABLE bench_hosts".into()).await;
    // What autovacuum does after a bulk load on a live server: statistics, and the
    // visibility map that lets the absent-attendee index answer without the table.
    for table in [
        "bookings",
        "booking_hosts",
        "booking_attendees",
        "booking_page_views",
    ] {
        match app.backend {
            Backend::Postgres => run(format!("VACUUM ANALYZE {table}")).await,
            Backend::Sqlite => run(format!("ANALYZE {table}")).await,
        };
    }
}

/// `query` with `variables` `RUNS` times; prints its percentiles under `name`.
async fn measure(app: &TestApp, name: &str, query: &str, variables: Value) {
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let answer = app.graphql(query, variables.clone()).await;
        samples.push(started.elapsed());
        assert!(answer.is_object());
    }
    report(name, samples);
}

#[tokio::main]
async fn main() {
    let backend = if std::env::args().any(|a| a == "sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    let app = TestApp::spawn(backend).await;
    let name = format!("{backend:?}").to_lowercase();
    let org = app.get("/v2/me").await.data()["organizationId"]
        .as_i64()
        .unwrap();
    let started = Instant::now();
    let (team, hosts) = teams(&app).await;
    seed(&app, org, &hosts).await;
    println!(
        "{name}: seeded {BOOKINGS} bookings of {} hosts in {:.1}s",
        hosts.len(),
        started.elapsed().as_secs_f64()
    );
    let today = Utc::now().date_naive();
    let quarter = json!({"scope": {"teamId": team}, "start": (today - Duration::days(90)).to_string(),
                         "end": today.to_string()});
    let stats = |group: &str| {
        format!("query($scope: InsightsScope, $start: String!, $end: String!) {{
            bookingStats(scope: $scope, start: $start, end: $end, timeZone: \"Europe/Berlin\", groupBy: {group}) {{
                groupName created completed cancelled rescheduled noShows completedRate averageLeadTimeMinutes }} }}")
    };
    let created = app.graphql(&stats("ALL"), quarter.clone()).await;
    println!(
        "{name}: the team's quarter holds {} bookings",
        created["bookingStats"][0]["created"]
    );
    measure(
        &app,
        &format!("{name}: bookingStats team quarter by member"),
        &stats("MEMBER"),
        quarter.clone(),
    )
    .await;
    measure(
        &app,
        &format!("{name}: bookingStats team quarter by event type"),
        &stats("EVENT_TYPE"),
        quarter.clone(),
    )
    .await;
    let hours = "query($scope: InsightsScope, $start: String!, $end: String!) {
        busiestHours(scope: $scope, start: $start, end: $end, timeZone: \"Europe/Berlin\") { days { hours } } }";
    measure(
        &app,
        &format!("{name}: busiestHours team quarter"),
        hours,
        quarter.clone(),
    )
    .await;
    let conversion = "query($scope: InsightsScope, $start: String!, $end: String!) {
        bookingPageConversion(scope: $scope, start: $start, end: $end, timeZone: \"Europe/Berlin\") { slug views bookings bookingRate } }";
    measure(
        &app,
        &format!("{name}: bookingPageConversion team quarter"),
        conversion,
        quarter.clone(),
    )
    .await;
    let report_query = "query($scope: InsightsScope, $start: String!, $end: String!) {
        byMember: bookingStats(scope: $scope, start: $start, end: $end, timeZone: \"Europe/Berlin\", groupBy: MEMBER) { groupName created completedRate }
        byType: bookingStats(scope: $scope, start: $start, end: $end, timeZone: \"Europe/Berlin\", groupBy: EVENT_TYPE) { groupName created completedRate }
        busiestHours(scope: $scope, start: $start, end: $end, timeZone: \"Europe/Berlin\") { days { hours } }
        bookingPageConversion(scope: $scope, start: $start, end: $end, timeZone: \"Europe/Berlin\") { slug views bookings } }";
    measure(
        &app,
        &format!("{name}: team report (all four, one request)"),
        report_query,
        quarter.clone(),
    )
    .await;
    let org_quarter =
        json!({"start": (today - Duration::days(90)).to_string(), "end": today.to_string()});
    measure(
        &app,
        &format!("{name}: bookingStats organization quarter by team"),
        &stats("TEAM"),
        org_quarter,
    )
    .await;
}
