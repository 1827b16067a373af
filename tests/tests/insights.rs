//! Insights end to end on SQLite and PostgreSQL: a week of the demo host's bookings
//! with every outcome, reported by GraphQL and downloaded as CSV; the busiest hours on
//! the viewer's clock; booking-page views turned into bookings; and who may see what.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::{America::New_York, Europe::Berlin};
use convene_tests::crm::{book, tuesday};
use convene_tests::{DEMO_KEY, TestApp, on_both_databases};
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const A_PERSON: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

/// The Monday of the week three weeks ago.
fn past_monday() -> NaiveDate {
    let day = Utc::now().date_naive() - Duration::days(21);
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// `day` at Berlin `hour`:`minute`.
fn at(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Berlin
        .from_local_datetime(&day.and_hms_opt(hour, minute, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Moves booking `uid` to `start` (lasting `minutes`), as if booked two days before,
/// straight in the database: the API, rightly, books only the future.
async fn place(app: &TestApp, uid: &str, start: DateTime<Utc>, minutes: i64) {
    let start_ms = start.timestamp_millis();
    let end_ms = start_ms + minutes * 60_000;
    let created_ms = start_ms - 2 * 86_400_000;
    app.db
        .execute_unprepared(&format!(
            "UPDATE bookings SET start_ms = {start_ms}, end_ms = {end_ms}, busy_start_ms = {start_ms}, \
             busy_end_ms = {end_ms}, created_ms = {created_ms} WHERE uid = '{uid}'"
        ))
        .await
        .unwrap();
    // The database keeps a booking's host rows' times in step, but not when it was made,
    // which never changes outside a test.
    app.db
        .execute_unprepared(&format!(
            "UPDATE booking_hosts SET created_ms = {created_ms} WHERE booking_id = (SELECT id FROM bookings WHERE uid = '{uid}')"
        ))
        .await
        .unwrap();
}

async fn book_60(app: &TestApp, hhmm: &str) -> String {
    let event_type = app.event_type_id("60min").await;
    let created = app
        .post(
            "/v2/bookings",
            json!({"eventTypeId": event_type, "start": tuesday(hhmm),
                   "attendee": {"name": "Long", "email": "long@example.com", "timeZone": "Europe/Berlin"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    created.data()["uid"].as_str().unwrap().to_string()
}

/// A week with every outcome: on the past Monday, two meetings held (09:00, 09:30),
/// one cancelled (10:00), one rescheduled away (11:00); on the Tuesday a no-show
/// (14:00) and an hour-long meeting held (16:00). Each was booked two days ahead.
async fn a_week_of_outcomes(app: &TestApp) -> NaiveDate {
    let monday = past_monday();
    let next_day = monday + Duration::days(1);
    let held = book(app, "09:00", "ann@example.com").await;
    let also_held = book(app, "14:00", "ben@example.com").await;
    let cancelled = book(app, "10:00", "cat@example.com").await;
    let moved = book(app, "11:00", "dan@example.com").await;
    let no_show = book(app, "15:00", "eve@example.com").await;
    let long = book_60(app, "16:00").await;
    let answer = app
        .post(&format!("/v2/bookings/{cancelled}/cancel"), json!({}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    let answer = app
        .post(
            &format!("/v2/bookings/{moved}/reschedule"),
            json!({"start": tuesday("13:30")}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
    place(app, &held, at(monday, 9, 0), 30).await;
    place(app, &also_held, at(monday, 9, 30), 30).await;
    place(app, &cancelled, at(monday, 10, 0), 30).await;
    place(app, &moved, at(monday, 11, 0), 30).await;
    place(app, &no_show, at(next_day, 14, 0), 30).await;
    place(app, &long, at(next_day, 16, 0), 60).await;
    let answer = app
        .post(
            &format!("/v2/bookings/{no_show}/mark-absent"),
            json!({"attendees": [{"email": "eve@example.com", "absent": true}]}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    monday
}

const STATS: &str = "query($scope: InsightsScope, $start: String!, $end: String!, $groupBy: InsightsGroupBy!) {
    bookingStats(scope: $scope, start: $start, end: $end, timeZone: \"Europe/Berlin\", groupBy: $groupBy) {
        groupBy groupId groupName created completed cancelled rescheduled noShows
        completedRate cancelledRate rescheduledRate noShowRate averageLeadTimeMinutes } }";

/// `GET path` as the demo host; the status, content type and body text.
async fn download(app: &TestApp, path: &str) -> (StatusCode, String, String, String) {
    let response = app
        .request(Method::GET, path, None)
        .bearer_auth(DEMO_KEY)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (kind, disposition) = (header("content-type"), header("content-disposition"));
    (
        response.status(),
        kind,
        disposition,
        response.text().await.unwrap(),
    )
}

on_both_databases! {
    async fn a_week_reports_every_outcome_with_rates_and_lead_time(app: TestApp) {
        let monday = a_week_of_outcomes(&app).await;
        let (start, end) = (monday.to_string(), (monday + Duration::days(6)).to_string());
        let week = json!({"start": start, "end": end, "groupBy": "ALL"});
        let all = app.graphql(STATS, week.clone()).await;
        let sixth = 1.0 / 6.0;
        assert_eq!(all["bookingStats"], json!([{
            "groupBy": "ALL", "groupId": null, "groupName": "All bookings",
            "created": 6, "completed": 3, "cancelled": 1, "rescheduled": 1, "noShows": 1,
            "completedRate": 0.5, "cancelledRate": sixth, "rescheduledRate": sixth,
            "noShowRate": sixth, "averageLeadTimeMinutes": 2880.0,
        }]));

        let mut by_type = week.clone();
        by_type["groupBy"] = json!("EVENT_TYPE");
        let lines = app.graphql(STATS, by_type).await["bookingStats"].clone();
        let summary: Vec<(Value, Value, Value)> = lines.as_array().unwrap().iter()
            .map(|l| (l["groupName"].clone(), l["created"].clone(), l["completed"].clone()))
            .collect();
        assert_eq!(summary, [
            (json!("30 Minute Meeting"), json!(5), json!(2)),
            (json!("60 Minute Meeting"), json!(1), json!(1)),
        ], "most bookings first");

        let mut by_member = week.clone();
        by_member["groupBy"] = json!("MEMBER");
        let lines = app.graphql(STATS, by_member).await["bookingStats"].clone();
        assert_eq!(lines.as_array().unwrap().len(), 1);
        let mut mine = lines[0].clone();
        assert_eq!((mine["groupBy"].take(), mine["groupName"].take()), (json!("MEMBER"), json!("demo")));
        let mut everything = all["bookingStats"][0].clone();
        for field in ["groupBy", "groupId", "groupName"] {
            mine[field] = Value::Null;
            everything[field] = Value::Null;
        }
        assert_eq!(mine, everything, "the demo host hosts all of them, counted from their host rows");

        let next_week = json!({"start": (monday + Duration::days(7)).to_string(),
                               "end": (monday + Duration::days(13)).to_string(), "groupBy": "ALL"});
        let quiet = app.graphql(STATS, next_week).await["bookingStats"][0].clone();
        assert_eq!(quiet["created"], 0);
        assert_eq!(quiet["completedRate"], Value::Null, "no rate of nothing");

        let path = format!("/v2/insights/bookings?start={start}&end={end}&timeZone=Europe/Berlin&groupBy=eventType&format=csv");
        let (status, kind, disposition, csv) = download(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{csv}");
        assert_eq!(kind, "text/csv; charset=utf-8");
        assert!(disposition.starts_with("attachment; filename=\"booking-stats_"), "{disposition}");
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(rows[0], "groupBy,groupId,groupName,created,completed,cancelled,rescheduled,noShows,\
                             completedRate,cancelledRate,rescheduledRate,noShowRate,averageLeadTimeMinutes");
        let thirty = app.event_type_id("30min").await;
        assert_eq!(rows[1], format!("eventType,{thirty},30 Minute Meeting,5,2,1,1,1,0.4,0.2,0.2,0.2,2880.0"));
        assert_eq!(rows.len(), 4, "two lines and the final line break");

        let json_rows = app.get(&format!("/v2/insights/bookings?start={start}&end={end}&timeZone=Europe/Berlin")).await;
        assert_eq!(json_rows.data()[0]["created"], 6, "JSON has the same table");
        let bad = app.get(&format!("/v2/insights/bookings?start={start}&end={end}&groupBy=week")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["error"]["details"][0]["field"], "groupBy");
    }

    async fn busiest_hours_are_on_the_viewers_clock(app: TestApp) {
        let monday = a_week_of_outcomes(&app).await;
        let query = "query($start: String!, $end: String!, $zone: String) {
            busiestHours(start: $start, end: $end, timeZone: $zone) { timeZone days { weekday hours total } } }";
        let week = |zone: &str| json!({"start": monday.to_string(), "end": (monday + Duration::days(6)).to_string(), "zone": zone});
        let map = app.graphql(query, week("Europe/Berlin")).await["busiestHours"].clone();
        assert_eq!(map["timeZone"], "Europe/Berlin");
        assert_eq!(map["days"][0]["weekday"], "Monday");
        assert_eq!(map["days"][0]["hours"][9], 2, "09:00 and 09:30 held; the cancelled and moved ones are not busy");
        assert_eq!(map["days"][0]["total"], 2);
        assert_eq!(map["days"][1]["hours"][14], 1, "a no-show still took the hour");
        assert_eq!(map["days"][1]["hours"][16], 1);
        let week_total: i64 = map["days"].as_array().unwrap().iter().map(|d| d["total"].as_i64().unwrap()).sum();
        assert_eq!(week_total, 4);

        let new_york = app.graphql(query, week("America/New_York")).await["busiestHours"].clone();
        let nine = at(monday, 9, 0).with_timezone(&New_York);
        let day = nine.weekday().num_days_from_monday() as usize;
        assert_eq!(new_york["days"][day]["hours"][nine.hour() as usize], 2, "Berlin's 09:00 is {nine} in New York");

        let path = format!("/v2/insights/busiest-hours?start={monday}&end={}&timeZone=Europe/Berlin&format=csv",
                           monday + Duration::days(6));
        let (status, _, _, csv) = download(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{csv}");
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert!(rows[0].starts_with("weekday,00,01,"), "{}", rows[0]);
        assert!(rows[0].ends_with(",23,total,timeZone"));
        assert_eq!(rows[1], "Monday,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,Europe/Berlin");
    }

    async fn booking_page_views_turn_into_bookings(app: TestApp) {
        let event_type = app.event_type_id("30min").await;
        let link = app.graphql(
            "mutation($input: SchedulingLinkInput!) { createSchedulingLink(input: $input) { token } }",
            json!({"input": {"eventTypeId": event_type, "name": "Jane", "email": "jane@example.com"}}),
        ).await["createSchedulingLink"]["token"].as_str().unwrap().to_string();
        for agent in [A_PERSON, A_PERSON, "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"] {
            let page = app.request(Method::GET, &format!("/l/{link}"), None)
                .header("user-agent", agent).send().await.unwrap();
            assert_eq!(page.status(), StatusCode::OK);
        }
        let booked = app.call_anonymous(Method::POST, &format!("/v2/scheduling-links/{link}/bookings"),
            Some(json!({"start": tuesday("09:00"), "attendee": {"timeZone": "Europe/Berlin"}}))).await;
        assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);

        let today = Utc::now().date_naive().to_string();
        let query = "query($day: String!) { bookingPageConversion(start: $day, end: $day, timeZone: \"UTC\") {
            eventTypeId slug views bookings completed bookingRate completionRate } }";
        let pages = app.graphql(query, json!({"day": today})).await["bookingPageConversion"].clone();
        assert_eq!(pages[0], json!({"eventTypeId": event_type.to_string(), "slug": "30min", "views": 2,
            "bookings": 1, "completed": 0, "bookingRate": 0.5, "completionRate": 0.0}), "the link preview was no view");
        assert_eq!(pages[1]["slug"], "60min");
        assert_eq!(pages[1]["views"], 0);
        assert_eq!(pages[1]["bookingRate"], Value::Null);

        let (status, _, _, csv) = download(&app, &format!("/v2/insights/conversion?start={today}&end={today}&timeZone=UTC&format=csv")).await;
        assert_eq!(status, StatusCode::OK, "{csv}");
        assert_eq!(csv.split("\r\n").nth(1).unwrap(), format!("{event_type},30min,30 Minute Meeting,2,1,0,0.5,0.0"));
    }

    async fn members_see_their_own_and_admins_their_teams(app: TestApp) {
        let alice = app.add_user("alice", "MEMBER").await;
        let bob = app.add_user("bob", "MEMBER").await;
        let key = |u: &Value| u["apiKey"].as_str().unwrap().to_string();
        let team = app.post("/v2/teams", json!({"name": "CS", "slug": "cs"})).await.data()["id"].clone();
        for (user, role) in [(&alice, "ADMIN"), (&bob, "MEMBER")] {
            let added = app.post(&format!("/v2/teams/{team}/memberships"), json!({"userId": user["id"], "role": role})).await;
            assert_eq!(added.status, StatusCode::CREATED, "{:#}", added.body);
        }
        let me = app.get("/v2/me").await.data()["id"].clone();
        let thirty = app.event_type_id("30min").await;
        let ask = |scope: Value| json!({"scope": scope, "start": "2027-01-01", "end": "2027-03-31", "groupBy": "ALL"});
        let cases = [
            (key(&alice), json!(null), Some("FORBIDDEN"), "the whole organization is for its admins"),
            (key(&alice), json!({"userId": alice["id"]}), None, "her own bookings"),
            (key(&alice), json!({"userId": me}), Some("FORBIDDEN"), "someone else's"),
            (key(&alice), json!({"teamId": team}), None, "a team she manages"),
            (key(&bob), json!({"teamId": team}), Some("FORBIDDEN"), "a team he only belongs to"),
            (key(&alice), json!({"eventTypeId": thirty}), Some("FORBIDDEN"), "someone else's event type"),
            (DEMO_KEY.to_string(), json!(null), None, "the owner sees everything"),
            (DEMO_KEY.to_string(), json!({"eventTypeId": "999999"}), Some("VALIDATION_ERROR"), "no such event type"),
        ];
        for (key, scope, error, why) in cases {
            let answer = app.graphql_as(&key, STATS, ask(scope)).await;
            let code = answer.body["errors"][0]["extensions"]["code"].as_str();
            assert_eq!(code, error, "{why}: {:#}", answer.body);
        }
        let zone = app.graphql_as(DEMO_KEY, STATS.replace("Europe/Berlin", "Mars/Olympus").as_str(), ask(json!(null))).await;
        assert_eq!(zone.body["errors"][0]["extensions"]["details"][0]["field"], "timeZone", "{:#}", zone.body);
    }
}
