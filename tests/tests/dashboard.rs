//! A CSM's dashboard over GraphQL, on SQLite and PostgreSQL: customers sorted and
//! filtered by health and by their last meeting, scores that follow bookings at once,
//! meetings page by page, engagement over a chosen window, and a CSM's whole book.

use convene_tests::crm::{add_stakeholder, book, create_customer, move_into_past};
use convene_tests::{DEMO_KEY, TestApp, on_both_databases};
use reqwest::Method;
use serde_json::{Value, json};

const LIST: &str =
    "query($order: CustomerOrder!, $desc: Boolean!, $band: String, $limit: Int, $cursor: String) {
    customers(orderBy: $order, descending: $desc, band: $band, limit: $limit, cursor: $cursor) {
        items { name lastMeeting health { score band } } nextCursor hasMore } }";

/// The page's customers as (name, score, band, has met).
async fn list(app: &TestApp, vars: Value) -> (Vec<(String, i64, String, bool)>, Value) {
    let data = app.graphql(LIST, vars).await;
    let page = &data["customers"];
    let rows = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["health"]["score"].as_i64().unwrap(),
                c["health"]["band"].as_str().unwrap().to_string(),
                c["lastMeeting"].is_string(),
            )
        })
        .collect();
    (rows, page["nextCursor"].clone())
}

fn names(rows: &[(String, i64, String, bool)]) -> Vec<&str> {
    rows.iter().map(|r| r.0.as_str()).collect()
}

/// Alpha met 5 days ago with its stakeholder, Beta 50 days ago, Gamma never.
async fn three_accounts(app: &TestApp) {
    let alpha = book(app, "09:00", "ann@alpha.com").await;
    let beta = book(app, "09:30", "bo@beta.com").await;
    move_into_past(app, &alpha, 5).await;
    move_into_past(app, &beta, 50).await;
    for (name, domain) in [
        ("Alpha", "alpha.com"),
        ("Beta", "beta.com"),
        ("Gamma", "gamma.com"),
    ] {
        let id = create_customer(
            app,
            json!({"name": name, "domains": [domain], "tier": "smb"}),
        )
        .await;
        if name == "Alpha" {
            add_stakeholder(app, &id, "Ann", "ann@alpha.com").await;
        }
    }
}

on_both_databases! {
    async fn customers_sort_and_filter_by_health_and_last_meeting(app: TestApp) {
        three_accounts(&app).await;
        let (worst_first, _) = list(&app, json!({"order": "HEALTH", "desc": false})).await;
        assert_eq!(names(&worst_first), ["Gamma", "Beta", "Alpha"], "{worst_first:?}");
        assert!(worst_first.windows(2).all(|w| w[0].1 < w[1].1), "scores rise: {worst_first:?}");
        assert_eq!(worst_first[0].2, "critical", "never met, nobody known");
        assert_eq!(worst_first[2].2, "healthy", "met last week with its stakeholder");

        let (best_first, _) = list(&app, json!({"order": "HEALTH", "desc": true})).await;
        assert_eq!(names(&best_first), ["Alpha", "Beta", "Gamma"]);

        let (by_last_meeting, _) = list(&app, json!({"order": "LAST_MEETING", "desc": false})).await;
        assert_eq!(names(&by_last_meeting), ["Gamma", "Beta", "Alpha"], "never met comes first");
        assert_eq!(by_last_meeting.iter().map(|r| r.3).collect::<Vec<_>>(), [false, true, true]);

        // Each band lists exactly the customers shown in it, and together they are all.
        let mut banded = Vec::new();
        for band in ["healthy", "at_risk", "critical"] {
            let (rows, _) = list(&app, json!({"order": "CREATED", "desc": false, "band": band})).await;
            assert!(rows.iter().all(|r| r.2 == band), "{band}: {rows:?}");
            banded.extend(rows.into_iter().map(|r| r.0));
        }
        banded.sort();
        assert_eq!(banded, ["Alpha", "Beta", "Gamma"]);

        // One at a time, the walk gives the same order and ends.
        let mut walked = Vec::new();
        let mut cursor = Value::Null;
        loop {
            let (rows, next) = list(&app, json!({"order": "HEALTH", "desc": false, "limit": 1, "cursor": cursor})).await;
            walked.extend(rows.into_iter().map(|r| r.0));
            if next.is_null() {
                break;
            }
            cursor = next;
        }
        assert_eq!(walked, ["Gamma", "Beta", "Alpha"]);

        let bad = app.graphql_as(DEMO_KEY, LIST, json!({"order": "HEALTH", "desc": false, "band": "fine", "cursor": "x"})).await;
        assert_eq!(bad.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["band".to_string(), "cursor".to_string()]));
    }

    async fn health_follows_bookings_and_stakeholders_at_once(app: TestApp) {
        let acme = create_customer(&app, json!({"name": "Acme", "domains": ["acme.com"]})).await;
        const HEALTH: &str = "query($id: ID!) { customer(id: $id) { nextMeeting health { score engagement { nextMeeting stakeholderCoverage } } } }";
        let before = app.graphql(HEALTH, json!({"id": acme})).await;
        assert!(before["customer"]["nextMeeting"].is_null());
        assert!(before["customer"]["health"]["engagement"]["stakeholderCoverage"].is_null());

        let uid = book(&app, "11:00", "jane@acme.com").await;
        let booked = app.graphql(HEALTH, json!({"id": acme})).await;
        assert!(booked["customer"]["nextMeeting"].is_string(), "the new booking shows at once: {booked:#}");

        add_stakeholder(&app, &acme, "Jane", "jane@acme.com").await;
        let known = app.graphql(HEALTH, json!({"id": acme})).await;
        assert_eq!(known["customer"]["health"]["engagement"]["stakeholderCoverage"], 0.0, "known, not yet met");

        let cancel = app.call_anonymous(Method::POST, &format!("/v2/bookings/{uid}/cancel"), Some(json!({}))).await;
        assert_eq!(cancel.status, 200, "{:?}", cancel.body);
        let cancelled = app.graphql(HEALTH, json!({"id": acme})).await;
        assert!(cancelled["customer"]["nextMeeting"].is_null(), "the cancellation shows at once: {cancelled:#}");

        // New weights rescore every snapshot: coverage alone gives 0 for a customer met by nobody.
        app.graphql("mutation { setHealthWeights(input: {recency: 0, frequency: 0, cancellations: 0, noShows: 0, coverage: 1}) { coverage } }", json!({})).await;
        let (rows, _) = list(&app, json!({"order": "HEALTH", "desc": false})).await;
        assert_eq!(rows, [("Acme".to_string(), 0, "critical".to_string(), false)]);
    }

    async fn meetings_page_by_upcoming_and_past(app: TestApp) {
        let mut uids = Vec::new();
        for time in ["09:00", "09:30", "10:00", "10:30", "11:00"] {
            uids.push(book(&app, time, "jane@acme.com").await);
        }
        move_into_past(&app, &uids[0], 10).await;
        move_into_past(&app, &uids[1], 3).await;
        let acme = create_customer(&app, json!({"name": "Acme", "domains": ["acme.com"]})).await;
        const PAGE: &str = "query($id: ID!, $when: MeetingTime!, $limit: Int, $cursor: String) {
            customer(id: $id) { meetings(when: $when, limit: $limit, cursor: $cursor) { items { uid } nextCursor hasMore } } }";
        let page = |when: &'static str, limit: i64, cursor: Value| {
            let app = &app;
            let acme = acme.clone();
            async move {
                let data = app.graphql(PAGE, json!({"id": acme, "when": when, "limit": limit, "cursor": cursor})).await;
                let m = data["customer"]["meetings"].clone();
                let uids: Vec<String> = m["items"].as_array().unwrap().iter().map(|i| i["uid"].as_str().unwrap().to_string()).collect();
                (uids, m["nextCursor"].clone(), m["hasMore"].as_bool().unwrap())
            }
        };
        let (first, cursor, more) = page("UPCOMING", 2, Value::Null).await;
        assert_eq!((first.as_slice(), more), (&uids[2..4], true), "soonest first");
        let (rest, _, more) = page("UPCOMING", 2, cursor).await;
        assert_eq!((rest.as_slice(), more), (&uids[4..], false));
        let (past, _, _) = page("PAST", 10, Value::Null).await;
        assert_eq!(past, [uids[1].clone(), uids[0].clone()], "latest first");
        let (all, _, _) = page("ALL", 10, Value::Null).await;
        assert_eq!(all.len(), 5);
        assert_eq!(&all[3..], [uids[1].clone(), uids[0].clone()]);
    }

    async fn engagement_over_a_window_and_for_a_csm(app: TestApp) {
        let recent = book(&app, "09:00", "jane@acme.com").await;
        let older = book(&app, "09:30", "jane@acme.com").await;
        move_into_past(&app, &recent, 10).await;
        move_into_past(&app, &older, 50).await;
        let me = app.graphql("{ me { id } }", json!({})).await["me"]["id"].clone();
        let acme = create_customer(&app, json!({"name": "Acme", "domains": ["acme.com"], "ownerId": me})).await;
        add_stakeholder(&app, &acme, "Jane", "jane@acme.com").await;
        create_customer(&app, json!({"name": "Initech", "domains": ["initech.com"], "ownerId": me})).await;

        const WINDOWS: &str = "query($id: ID!) { customer(id: $id) {
            month: engagement(windowDays: 30) { windowDays meetingsInWindow meetings90d stakeholderCoverage }
            quarter: engagement { windowDays meetingsInWindow avgDaysBetween } } }";
        let data = app.graphql(WINDOWS, json!({"id": acme})).await;
        let (month, quarter) = (&data["customer"]["month"], &data["customer"]["quarter"]);
        assert_eq!((month["windowDays"].as_i64(), month["meetingsInWindow"].as_i64(), month["meetings90d"].as_i64()), (Some(30), Some(1), Some(2)));
        assert_eq!(month["stakeholderCoverage"], 1.0);
        assert_eq!((quarter["windowDays"].as_i64(), quarter["meetingsInWindow"].as_i64()), (Some(90), Some(2)));
        assert!((quarter["avgDaysBetween"].as_f64().unwrap() - 40.0).abs() < 0.01, "{quarter:#}");
        let bad = app.graphql_as(DEMO_KEY, "query($id: ID!) { customer(id: $id) { engagement(windowDays: 0) { windowDays } } }", json!({"id": acme})).await;
        assert_eq!(bad.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["windowDays".to_string()]));

        const CSM: &str = "query($u: ID) { csmEngagement(userId: $u, windowDays: 30) { userId accounts healthy atRisk critical averageScore engagement { meetingsInWindow meetings90d } } }";
        let csm = app.graphql(CSM, json!({"u": null})).await["csmEngagement"].clone();
        assert_eq!((csm["userId"].clone(), csm["accounts"].as_i64()), (me, Some(2)));
        let banded: i64 = ["healthy", "atRisk", "critical"].iter().map(|b| csm[b].as_i64().unwrap()).sum();
        assert_eq!(banded, 2, "every account is in one band: {csm:#}");
        assert!(csm["averageScore"].as_f64().is_some());
        assert_eq!((csm["engagement"]["meetingsInWindow"].as_i64(), csm["engagement"]["meetings90d"].as_i64()), (Some(1), Some(2)));

        let rival = app.other_org_key().await;
        let rival_id = app.graphql_as(&rival, "{ me { id } }", json!({})).await.body["data"]["me"]["id"].clone();
        let peek = app.graphql_as(DEMO_KEY, CSM, json!({"u": rival_id})).await;
        assert_eq!(peek.graphql_refusal().0, "NOT_FOUND", "another organization's CSM is nobody here");
        let theirs = app.graphql_as(&rival, CSM, json!({"u": null})).await;
        assert_eq!(theirs.body["data"]["csmEngagement"]["accounts"], 0, "{:#}", theirs.body);
    }

    async fn a_no_show_marked_by_the_host_counts_at_once(app: TestApp) {
        let held = book(&app, "09:00", "jane@acme.com").await;
        let ahead = book(&app, "10:00", "jane@acme.com").await;
        move_into_past(&app, &held, 2).await;
        let acme = create_customer(&app, json!({"name": "Acme", "domains": ["acme.com"]})).await;
        const RATES: &str = "query($id: ID!) { customer(id: $id) { lastMeeting health { engagement { meetings90d noShowRate } } } }";
        let before = app.graphql(RATES, json!({"id": acme})).await;
        assert_eq!(before["customer"]["health"]["engagement"], json!({"meetings90d": 1, "noShowRate": 0.0}));

        let marked = app.post(&format!("/v2/bookings/{held}/mark-absent"), json!({"attendees": [{"email": "JANE@acme.com", "absent": true}]})).await;
        assert_eq!(marked.status, 200, "{:?}", marked.body);
        assert_eq!(marked.data()["attendees"][0]["absent"], true);
        let after = app.graphql(RATES, json!({"id": acme})).await;
        assert_eq!(after["customer"]["health"]["engagement"], json!({"meetings90d": 0, "noShowRate": 1.0}));
        assert!(after["customer"]["lastMeeting"].is_null(), "a no-show is no meeting held");

        let back = app.graphql("mutation($uid: String!) { markAbsent(uid: $uid, attendees: [{email: \"jane@acme.com\", absent: false}]) { attendees { absent } } }", json!({"uid": held})).await;
        assert_eq!(back["markAbsent"]["attendees"][0]["absent"], false);
        assert_eq!(app.graphql(RATES, json!({"id": acme})).await["customer"]["health"]["engagement"]["noShowRate"], 0.0);

        let stranger = app.post(&format!("/v2/bookings/{held}/mark-absent"), json!({"attendees": [{"email": "bob@acme.com", "absent": true}]})).await;
        assert_eq!((stranger.status.as_u16(), stranger.fields()), (422, vec!["attendees[0].email".to_string()]));
        let early = app.post(&format!("/v2/bookings/{ahead}/mark-absent"), json!({"attendees": [{"email": "jane@acme.com", "absent": true}]})).await;
        assert_eq!(early.status, 409, "not begun yet: {:?}", early.body);
        let rival = app.other_org_key().await;
        let theirs = app.send(app.request(Method::POST, &format!("/v2/bookings/{held}/mark-absent"), Some(json!({"attendees": [{"email": "jane@acme.com", "absent": true}]}))).bearer_auth(&rival)).await;
        assert_eq!(theirs.status, 404);
    }

    async fn queries_beyond_the_depth_or_complexity_limits_are_refused(app: TestApp) {
        let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }";
        let answer = app.graphql_as(DEMO_KEY, deep, json!({})).await;
        assert_eq!(answer.graphql_refusal().0, "INVALID_REQUEST", "{:#}", answer.body);
        assert!(answer.body["errors"][0]["message"].as_str().unwrap().contains("nested too deep"), "{:#}", answer.body);

        const ROW: &str = "items { id name lastMeeting nextMeeting health { score band trend components { name score detail } } stakeholders { name email } }";
        let fits = format!("{{ customers(limit: 250) {{ {ROW} }} }}");
        assert!(app.graphql_as(DEMO_KEY, &fits, json!({})).await.body.get("errors").is_none(), "a full page of rich rows fits");
        let greedy: String = (0..3).map(|i| format!("c{i}: customers(limit: 250) {{ {ROW} }} ")).collect();
        let answer = app.graphql_as(DEMO_KEY, &format!("{{ {greedy} }}"), json!({})).await;
        assert_eq!(answer.graphql_refusal().0, "INVALID_REQUEST", "{:#}", answer.body);
        assert!(answer.body["errors"][0]["message"].as_str().unwrap().contains("too complex"), "{:#}", answer.body);
    }
}
