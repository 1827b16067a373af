//! `/v2/bookings`: create, read, list, reschedule, cancel, confirm, decline.

use chrono::Weekday;
use chrono_tz::Europe::Berlin;
use convene::domain::ids::OrgId;
use convene_tests::{next, on_both_databases};
use reqwest::Method;
use serde_json::{Value, json};

use super::{assert_page_params_are_checked, booking, utc, walk};

on_both_databases! {
    async fn an_invitee_books_a_slot(app: TestApp) {
        let day = next(Weekday::Mon);
        let id = app.event_type_id("30min").await;
        let start = utc(Berlin, day, "13:30");
        let mut request = booking(id, &start, "jane@acme.com");
        request["guests"] = json!(["cfo@acme.com"]);
        request["metadata"] = json!({"crmId": "0061"});
        let created = app.call_anonymous(Method::POST, "/v2/bookings", Some(request)).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let b = created.data();
        assert_eq!(b["status"], "accepted");
        assert_eq!(b["start"], json!(start));
        assert_eq!(b["end"], json!(utc(Berlin, day, "14:00")));
        assert_eq!(b["duration"], 30);
        assert_eq!(b["hosts"][0]["username"], "demo");
        assert_eq!(b["attendees"][0]["email"], "jane@acme.com");
        assert_eq!(b["attendees"][0]["timeZone"], "America/New_York");
        assert_eq!(b["guests"], json!(["cfo@acme.com"]));
        assert_eq!(b["metadata"], json!({"crmId": "0061"}));
        assert_eq!(b["location"], "integrations:cal-video");
        assert_eq!(b["eventType"], json!({"id": id, "slug": "30min"}));

        let uid = b["uid"].as_str().unwrap();
        let fetched = app.call_anonymous(Method::GET, &format!("/v2/bookings/{uid}"), None).await;
        assert_eq!(fetched.status, 200);
        assert_eq!(fetched.data(), b);

        let events = convene::store::outbox::pending(&app.db, OrgId(1)).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "BOOKING_CREATED");
        assert_eq!(events[0].payload["uid"], json!(uid));
    }

    async fn fifty_invitees_race_for_one_slot_and_one_wins(app: TestApp) {
        let day = next(Weekday::Tue);
        let id = app.event_type_id("30min").await;
        let start = utc(Berlin, day, "10:00");
        let attempts = (0..50).map(|i| {
            let request = app.request(Method::POST, "/v2/bookings", Some(booking(id, &start, &format!("racer{i}@acme.com"))));
            app.send(request)
        });
        let answers = futures::future::join_all(attempts).await;
        let created = answers.iter().filter(|a| a.status == 201).count();
        let conflicts = answers.iter().filter(|a| a.status == 409 && a.code() == "CONFLICT").count();
        assert_eq!((created, conflicts), (1, 49), "{:?}", answers.iter().map(|a| (a.status, a.body.clone())).collect::<Vec<_>>());
        let listed = app.get("/v2/bookings?status=upcoming").await;
        assert_eq!(listed.data().as_array().map(Vec::len), Some(1));
    }

    async fn a_daily_limit_holds_under_concurrency(app: TestApp) {
        let day = next(Weekday::Thu);
        let id = app.event_type_id("30min").await;
        let patch = app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"bookingLimitsCount": {"day": 2}}))).await;
        assert_eq!(patch.status, 200, "{:?}", patch.body);
        let times = ["09:00", "09:30", "10:00", "10:30", "11:00", "13:00", "13:30", "14:00", "14:30", "15:00"];
        let attempts = times.iter().enumerate().map(|(i, time)| {
            app.send(app.request(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, day, time), &format!("limit{i}@acme.com")))))
        });
        let answers = futures::future::join_all(attempts).await;
        let created = answers.iter().filter(|a| a.status == 201).count();
        let refused = answers.iter().filter(|a| a.status == 422 && a.fields() == ["start"]).count();
        assert_eq!((created, refused), (2, 8), "{:?}", answers.iter().map(|a| (a.status, a.body.clone())).collect::<Vec<_>>());
    }

    async fn overlapping_lengths_conflict_too(app: TestApp) {
        let day = next(Weekday::Wed);
        let short = app.event_type_id("30min").await;
        let long = app.event_type_id("60min").await;
        let first = app.post("/v2/bookings", booking(long, &utc(Berlin, day, "14:00"), "a@acme.com")).await;
        assert_eq!(first.status, 201, "{:?}", first.body);
        let inside = app.post("/v2/bookings", booking(short, &utc(Berlin, day, "14:30"), "b@acme.com")).await;
        assert_eq!(inside.status, 409, "{:?}", inside.body);
        let after = app.post("/v2/bookings", booking(short, &utc(Berlin, day, "15:00"), "c@acme.com")).await;
        assert_eq!(after.status, 201, "back-to-back bookings touch without overlapping: {:?}", after.body);
    }

    async fn an_idempotency_key_makes_a_retry_harmless(app: TestApp) {
        let day = next(Weekday::Thu);
        let id = app.event_type_id("30min").await;
        let body = booking(id, &utc(Berlin, day, "09:00"), "retry@acme.com");
        let send = |body: serde_json::Value, key: &'static str| app.send(app.request(Method::POST, "/v2/bookings", Some(body)).header("Idempotency-Key", key));
        let first = send(body.clone(), "order-1").await;
        let second = send(body.clone(), "order-1").await;
        assert_eq!(first.status, 201, "{:?}", first.body);
        assert_eq!(second.status, 201, "the replay answers the original status: {:?}", second.body);
        assert_eq!(second.data()["uid"], first.data()["uid"]);
        assert_eq!(second.headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));

        let mut other = body.clone();
        other["start"] = json!(utc(Berlin, day, "09:30"));
        let reused = send(other, "order-1").await;
        assert_eq!(reused.status, 422);
        assert_eq!(reused.fields(), ["Idempotency-Key"]);

        let listed = app.get("/v2/bookings?attendeeEmail=retry@acme.com").await;
        assert_eq!(listed.data().as_array().map(Vec::len), Some(1), "the retry created nothing");
    }

    async fn rescheduling_moves_the_booking_and_frees_the_old_time(app: TestApp) {
        let day = next(Weekday::Fri);
        let id = app.event_type_id("30min").await;
        let created = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, day, "09:00"), "move@acme.com"))).await;
        let old_uid = created.data()["uid"].as_str().unwrap().to_string();
        // Moving by 15 minutes overlaps the booking's own old time, which must count as free.
        let moved = app
            .call_anonymous(Method::POST, &format!("/v2/bookings/{old_uid}/reschedule"), Some(json!({"start": utc(Berlin, day, "09:30"), "reschedulingReason": "conflict"})))
            .await;
        assert_eq!(moved.status, 201, "{:?}", moved.body);
        assert_eq!(moved.data()["rescheduledFromUid"], json!(old_uid));
        assert_eq!(moved.data()["reschedulingReason"], "conflict");
        assert_eq!(moved.data()["attendees"][0]["email"], "move@acme.com");
        let old = app.get(&format!("/v2/bookings/{old_uid}")).await;
        assert_eq!(old.data()["status"], "cancelled");
        assert_eq!(old.data()["rescheduledToUid"], moved.data()["uid"]);
        let again = app.post("/v2/bookings", booking(id, &utc(Berlin, day, "09:00"), "next@acme.com")).await;
        assert_eq!(again.status, 201, "the old time is free again: {:?}", again.body);
        let twice = app.call_anonymous(Method::POST, &format!("/v2/bookings/{old_uid}/reschedule"), Some(json!({"start": utc(Berlin, day, "11:00")}))).await;
        assert_eq!(twice.status, 409, "a cancelled booking cannot be moved");
    }

    async fn cancelling_frees_the_slot_once(app: TestApp) {
        let day = next(Weekday::Mon);
        let id = app.event_type_id("60min").await;
        let start = utc(Berlin, day, "15:00");
        let created = app.post("/v2/bookings", booking(id, &start, "cancel@acme.com")).await;
        let uid = created.data()["uid"].as_str().unwrap().to_string();
        let cancelled = app.call_anonymous(Method::POST, &format!("/v2/bookings/{uid}/cancel"), Some(json!({"cancellationReason": "no longer needed"}))).await;
        assert_eq!(cancelled.status, 200, "{:?}", cancelled.body);
        assert_eq!(cancelled.data()["status"], "cancelled");
        assert_eq!(cancelled.data()["cancellationReason"], "no longer needed");
        let again = app.call_anonymous(Method::POST, &format!("/v2/bookings/{uid}/cancel"), None).await;
        assert_eq!(again.status, 409);
        let rebooked = app.post("/v2/bookings", booking(id, &start, "other@acme.com")).await;
        assert_eq!(rebooked.status, 201, "{:?}", rebooked.body);
        let kinds: Vec<String> = convene::store::outbox::pending(&app.db, OrgId(1)).await.unwrap().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["BOOKING_CREATED", "BOOKING_CANCELLED", "BOOKING_CREATED"]);
    }

    async fn confirmation_flow_for_pending_bookings(app: TestApp) {
        let day = next(Weekday::Tue);
        let id = app.event_type_id("30min").await;
        app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"requiresConfirmation": true}))).await;
        let first = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, day, "11:00"), "p1@acme.com"))).await;
        assert_eq!(first.data()["status"], "pending");
        let blocked = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, day, "11:00"), "p2@acme.com"))).await;
        assert_eq!(blocked.status, 409, "a pending booking holds its slot");
        let uid = first.data()["uid"].as_str().unwrap();
        let anonymous = app.call_anonymous(Method::POST, &format!("/v2/bookings/{uid}/confirm"), None).await;
        assert_eq!(anonymous.status, 401);
        let unconfirmed = app.get("/v2/bookings?status=unconfirmed").await;
        assert_eq!(unconfirmed.data().as_array().map(Vec::len), Some(1));
        let confirmed = app.post(&format!("/v2/bookings/{uid}/confirm"), json!({})).await;
        assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
        assert_eq!(confirmed.data()["status"], "accepted");
        let twice = app.post(&format!("/v2/bookings/{uid}/confirm"), json!({})).await;
        assert_eq!(twice.status, 409);

        let second = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, day, "11:30"), "p3@acme.com"))).await;
        let uid = second.data()["uid"].as_str().unwrap();
        let declined = app.post(&format!("/v2/bookings/{uid}/decline"), json!({"reason": "fully booked"})).await;
        assert_eq!(declined.data()["status"], "rejected");
        let freed = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, day, "11:30"), "p4@acme.com"))).await;
        assert_eq!(freed.status, 201, "a declined booking frees its slot: {:?}", freed.body);
    }

    async fn lists_filter_and_page(app: TestApp) {
        let day = next(Weekday::Wed);
        let id = app.event_type_id("30min").await;
        let mut uids = Vec::new();
        for (time, email) in [("09:00", "a@acme.com"), ("09:30", "b@acme.com"), ("10:00", "a@acme.com")] {
            let created = app.post("/v2/bookings", booking(id, &utc(Berlin, day, time), email)).await;
            uids.push(created.data()["uid"].as_str().unwrap().to_string());
        }
        app.call_anonymous(Method::POST, &format!("/v2/bookings/{}/cancel", uids[1]), None).await;

        let page1 = app.get("/v2/bookings?take=2").await;
        let first: Vec<&str> = page1.data().as_array().unwrap().iter().map(|b| b["uid"].as_str().unwrap()).collect();
        assert_eq!(first, [uids[0].as_str(), uids[1].as_str()]);
        let slugs: Vec<&Value> = page1.data().as_array().unwrap().iter().map(|b| &b["eventType"]["slug"]).collect();
        assert_eq!(slugs, [&json!("30min"), &json!("30min")], "every booking of a page names its event type");
        assert_eq!(page1.body["pagination"]["hasNextPage"], true, "`take` is Cal.com's name for `limit`");
        assert_eq!(page1.body["pagination"]["hasMore"], true);
        let cursor = page1.body["pagination"]["nextCursor"].as_str().unwrap();
        let page2 = app.get(&format!("/v2/bookings?take=2&cursor={cursor}")).await;
        let second: Vec<&str> = page2.data().as_array().unwrap().iter().map(|b| b["uid"].as_str().unwrap()).collect();
        assert_eq!(second, [uids[2].as_str()]);
        assert_eq!(page2.body["pagination"]["hasNextPage"], false);

        let app = &app;
        let count = |query: &str| {
            let query = query.to_string();
            async move { app.get(&format!("/v2/bookings?{query}")).await.data().as_array().map_or(0, Vec::len) }
        };
        assert_eq!(count("status=upcoming").await, 2);
        assert_eq!(count("status=cancelled").await, 1);
        assert_eq!(count("status=past").await, 0);
        assert_eq!(count("status=upcoming,cancelled").await, 3);
        assert_eq!(count("attendeeEmail=A@acme.com").await, 2);
        assert_eq!(count(&format!("eventTypeId={id}&afterStart={}", utc(Berlin, day, "09:30"))).await, 2);
        assert_eq!(count(&format!("beforeEnd={}", utc(Berlin, day, "10:00"))).await, 2);
        let newest = app.get("/v2/bookings?sortStart=desc&take=1").await;
        assert_eq!(newest.data()[0]["uid"], json!(uids[2]));

        let anonymous = app.call_anonymous(Method::GET, "/v2/bookings", None).await;
        assert_eq!(anonymous.status, 401);
    }

    async fn bookings_page_with_a_cursor_either_way(app: TestApp) {
        let day = next(Weekday::Tue);
        let id = app.event_type_id("30min").await;
        let mut uids = Vec::new();
        for time in ["09:00", "09:30", "10:00", "10:30", "11:00"] {
            let created = app.post("/v2/bookings", booking(id, &utc(Berlin, day, time), "pager@acme.com")).await;
            assert_eq!(created.status, 201, "{:?}", created.body);
            uids.push(created.data()["uid"].clone());
        }
        let (items, pages) = walk(&app, "/v2/bookings").await;
        let walked: Vec<_> = items.iter().map(|b| b["uid"].clone()).collect();
        assert_eq!((walked, pages), (uids.clone(), 3), "by start, each once");
        let (items, _) = walk(&app, "/v2/bookings?sortStart=desc").await;
        let walked: Vec<_> = items.iter().map(|b| b["uid"].clone()).collect();
        uids.reverse();
        assert_eq!(walked, uids, "newest first, each once");
        assert_page_params_are_checked(&app, "/v2/bookings").await;
        assert_page_params_are_checked(&app, "/v2/bookings?sortStart=desc").await;
    }

    async fn booking_rules_are_enforced_at_booking_time(app: TestApp) {
        let day = next(Weekday::Thu);
        let id = app.event_type_id("30min").await;
        let patch = app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({
            "bookingLimitsCount": {"day": 1},
            "bookingWindow": {"type": "calendarDays", "value": 30},
        }))).await;
        assert_eq!(patch.status, 200, "{:?}", patch.body);
        let first = app.post("/v2/bookings", booking(id, &utc(Berlin, day, "09:00"), "a@acme.com")).await;
        assert_eq!(first.status, 201);
        let second = app.post("/v2/bookings", booking(id, &utc(Berlin, day, "10:00"), "b@acme.com")).await;
        assert_eq!(second.status, 422, "{:?}", second.body);
        assert_eq!(second.fields(), ["start"]);
        let far = next(Weekday::Thu) + chrono::Duration::days(35);
        let outside = app.post("/v2/bookings", booking(id, &utc(Berlin, far, "09:00"), "c@acme.com")).await;
        assert_eq!(outside.status, 422, "{:?}", outside.body);
        let past = app.post("/v2/bookings", booking(id, "2020-01-06T08:00:00Z", "d@acme.com")).await;
        assert_eq!(past.status, 422);
        let off_grid = app.post("/v2/bookings", booking(id, &utc(Berlin, day.succ_opt().unwrap(), "09:10"), "e@acme.com")).await;
        assert_eq!(off_grid.status, 422);
        let lunch = app.post("/v2/bookings", booking(id, &utc(Berlin, day.succ_opt().unwrap(), "12:00"), "f@acme.com")).await;
        assert_eq!(lunch.status, 422);
    }
}
