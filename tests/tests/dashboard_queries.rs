//! A dashboard page costs a fixed number of SQL queries, however many customers it
//! shows: the DataLoaders batch each customer's health, last meeting and stakeholders.
//!
//! Queries are counted through `db_queries_total` on `/metrics`. The counter belongs to
//! the process, so this file holds a single test (each test file is its own process)
//! that runs SQLite and then PostgreSQL, one server at a time.

use convene_tests::crm::{add_stakeholder, book, create_customer};
use convene_tests::{Backend, TestApp};
use serde_json::json;

const DASHBOARD: &str = "query($limit: Int) { customers(orderBy: HEALTH, limit: $limit) {
    items { id name lastMeeting nextMeeting health { score band trend components { name score } }
            stakeholders { name email } }
    nextCursor } }";

/// Queries run so far in this process, as `/metrics` reports them.
async fn queries_so_far(app: &TestApp) -> u64 {
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    let text = metrics.text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("db_queries_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// What the dashboard query for a page of `limit` costs in queries; returns how many
/// customers it showed as well.
async fn cost(app: &TestApp, limit: i64, scrape: u64) -> (u64, usize) {
    let before = queries_so_far(app).await;
    let data = app.graphql(DASHBOARD, json!({"limit": limit})).await;
    let after = queries_so_far(app).await;
    let shown = data["customers"]["items"].as_array().unwrap().len();
    (after - before - scrape, shown)
}

async fn fixed_cost(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 0..60 {
        let id = create_customer(
            &app,
            json!({"name": format!("Customer {i:02}"), "domains": [format!("c{i}.example.com")]}),
        )
        .await;
        add_stakeholder(&app, &id, "Pat", &format!("pat@c{i}.example.com")).await;
        add_stakeholder(&app, &id, "Sam", &format!("sam@c{i}.example.com")).await;
    }
    for (i, time) in ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
        .iter()
        .enumerate()
    {
        book(&app, time, &format!("pat@c{i}.example.com")).await;
    }
    // A scrape's own queries (the queue depth), measured between two scrapes.
    let first = queries_so_far(&app).await;
    let scrape = queries_so_far(&app).await - first;

    let (cold_small, shown) = cost(&app, 5, scrape).await;
    assert_eq!(shown, 5);
    let (warm_small, _) = cost(&app, 5, scrape).await;
    let (warm_large, shown) = cost(&app, 50, scrape).await;
    assert_eq!(shown, 50);
    // New weights forget every snapshot: the next page recomputes all 60 in one batch.
    app.graphql("mutation { setHealthWeights(input: {recency: 1, frequency: 1, cancellations: 1, noShows: 1, coverage: 1}) { recency } }", json!({})).await;
    let (cold_large, _) = cost(&app, 50, scrape).await;
    println!(
        "{backend:?}: dashboard queries: 5 rows {warm_small} (cold {cold_small}), 50 rows {warm_large} (cold {cold_large})"
    );
    assert_eq!(
        warm_small, warm_large,
        "a page of 50 costs what a page of 5 does"
    );
    assert_eq!(
        cold_small, cold_large,
        "so does one that recomputes every score"
    );
    assert!(warm_large <= 12, "{warm_large} queries for one page");
    assert!(
        cold_large <= 20,
        "{cold_large} queries for one page with a recompute"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_page_costs_a_fixed_number_of_queries() {
    fixed_cost(Backend::Sqlite).await;
    fixed_cost(Backend::Postgres).await;
}
