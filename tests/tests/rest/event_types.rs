//! `/v2/event-types`.

use chrono::Weekday;
use chrono_tz::Europe::Berlin;
use convene_tests::{next, on_both_databases};
use reqwest::Method;
use serde_json::json;

use super::{assert_page_params_are_checked, booking, ids, local, utc, walk};

on_both_databases! {
    async fn a_host_creates_reads_updates_and_deletes_an_event_type(app: TestApp) {
        let created = app.post("/v2/event-types", json!({
            "title": "Discovery call", "slug": "discovery", "lengthInMinutes": 45,
            "description": "Let's talk", "slotInterval": 15, "minimumBookingNotice": 120,
            "beforeEventBuffer": 5, "afterEventBuffer": 10,
            "bookingLimitsCount": {"day": 3, "week": 10}, "bookingLimitsDuration": {"month": 600},
            "bookingWindow": {"type": "businessDays", "value": 20, "rolling": true},
            "requiresConfirmation": true,
            "locations": [{"type": "address", "address": "1 Main St", "public": true}, {"type": "attendeePhone"}],
            "bookingFields": [{"type": "select", "slug": "topic", "label": "Topic", "required": true, "options": ["Pricing", "Support"]}],
        })).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let e = created.data();
        let id = e["id"].as_i64().unwrap();
        assert_eq!(e["lengthInMinutes"], 45);
        assert_eq!(e["slotInterval"], 15);
        assert_eq!(e["bookingLimitsCount"], json!({"day": 3, "week": 10, "month": null, "year": null}));
        assert_eq!(e["bookingWindow"], json!({"type": "businessDays", "value": 20, "rolling": false}));
        assert_eq!(e["locations"][1], json!({"type": "attendeePhone"}));
        assert_eq!(e["bookingFields"][0]["options"], json!(["Pricing", "Support"]));

        let fetched = app.get(&format!("/v2/event-types/{id}")).await;
        assert_eq!(fetched.data(), e);
        let listed = app.get("/v2/event-types").await;
        assert_eq!(listed.data().as_array().map(Vec::len), Some(3), "the two demo types and the new one");

        let patched = app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"title": "Intro call", "bookingWindow": {"disabled": true}}))).await;
        assert_eq!(patched.status, 200, "{:?}", patched.body);
        assert_eq!(patched.data()["title"], "Intro call");
        assert_eq!(patched.data()["slug"], "discovery", "absent fields stay");
        assert_eq!(patched.data()["bookingWindow"], json!({"disabled": true}));

        let deleted = app.call(Method::DELETE, &format!("/v2/event-types/{id}"), None).await;
        assert_eq!(deleted.status, 200);
        assert_eq!(app.get(&format!("/v2/event-types/{id}")).await.status, 404);
        let reused = app.post("/v2/event-types", json!({"title": "Again", "slug": "discovery", "lengthInMinutes": 30})).await;
        assert_eq!(reused.status, 201, "a deleted event type's slug is free: {:?}", reused.body);
    }

    async fn own_event_types_page_with_a_cursor(app: TestApp) {
        for i in 0..3 {
            let created = app.post("/v2/event-types", json!({"title": "Extra", "slug": format!("extra-{i}"), "lengthInMinutes": 30})).await;
            assert_eq!(created.status, 201, "{:?}", created.body);
        }
        let all = app.get("/v2/event-types").await;
        assert_eq!(all.body["pagination"], json!({"returnedItems": 5, "hasMore": false, "hasNextPage": false, "nextCursor": null}));
        let expected = ids(all.data().as_array().unwrap());
        assert!(expected.is_sorted_by(|a, b| a < b), "oldest first: {expected:?}");
        let (items, pages) = walk(&app, "/v2/event-types").await;
        assert_eq!((ids(&items), pages), (expected, 3));
        assert_page_params_are_checked(&app, "/v2/event-types").await;
    }

    async fn event_type_input_is_checked_field_by_field(app: TestApp) {
        let answer = app.post("/v2/event-types", json!({
            "title": " ", "slug": "Bad Slug", "lengthInMinutes": 0, "slotInterval": 2000,
            "minimumBookingNotice": -1, "bookingLimitsCount": {"day": 0},
            "bookingWindow": {"type": "range", "value": ["2030-05-01", "2030-04-01"]},
            "locations": [{"type": "teleport"}],
            "bookingFields": [{"type": "text", "slug": "q", "label": "Q"}, {"type": "text", "slug": "q", "label": "Q2"}],
        })).await;
        assert_eq!(answer.status, 422, "{:?}", answer.body);
        let mut fields = answer.fields();
        fields.sort();
        assert_eq!(fields, [
            "bookingFields[0].slug", "bookingFields[1].slug", "bookingLimitsCount.day", "bookingWindow.value",
            "lengthInMinutes", "locations[0]", "minimumBookingNotice", "slotInterval", "slug", "title",
        ]);
        let missing = app.post("/v2/event-types", json!({})).await;
        let mut fields = missing.fields();
        fields.sort();
        assert_eq!(fields, ["lengthInMinutes", "slug", "title"]);
        let duplicate = app.post("/v2/event-types", json!({"title": "Dup", "slug": "30min", "lengthInMinutes": 30})).await;
        assert_eq!((duplicate.status.as_u16(), duplicate.code()), (409, "CONFLICT"));
        let unknown_schedule = app.post("/v2/event-types", json!({"title": "S", "slug": "s", "lengthInMinutes": 30, "scheduleId": 4242})).await;
        assert_eq!(unknown_schedule.fields(), ["scheduleId"]);
    }

    async fn booking_questions_and_locations_shape_bookings(app: TestApp) {
        let created = app.post("/v2/event-types", json!({
            "title": "Support", "slug": "support", "lengthInMinutes": 30,
            "locations": [{"type": "link", "link": "https://meet.example/demo"}, {"type": "attendeePhone"}],
            "bookingFields": [{"type": "select", "slug": "topic", "label": "Topic", "required": true, "options": ["Pricing", "Support"]}],
        })).await;
        let id = created.data()["id"].as_i64().unwrap();
        let day = next(Weekday::Thu);
        let mut request = booking(id, &utc(Berlin, day, "09:00"), "q@acme.com");
        let unanswered = app.post("/v2/bookings", request.clone()).await;
        assert_eq!(unanswered.fields(), ["bookingFieldsResponses.topic"]);
        request["bookingFieldsResponses"] = json!({"topic": "Pricing"});
        let linked = app.post("/v2/bookings", request.clone()).await;
        assert_eq!(linked.status, 201, "{:?}", linked.body);
        assert_eq!(linked.data()["location"], "https://meet.example/demo");
        assert_eq!(linked.data()["meetingUrl"], "https://meet.example/demo");
        assert_eq!(linked.data()["bookingFieldsResponses"], json!({"topic": "Pricing"}));
        request["start"] = json!(utc(Berlin, day, "10:00"));
        request["location"] = json!({"type": "attendeePhone", "phone": "+4930123456"});
        let phoned = app.post("/v2/bookings", request.clone()).await;
        assert_eq!(phoned.data()["location"], "+4930123456");
        request["start"] = json!(utc(Berlin, day, "11:00"));
        request["location"] = json!({"type": "address"});
        let refused = app.post("/v2/bookings", request).await;
        assert_eq!(refused.fields(), ["location.type"]);
    }

    async fn public_lookup_and_minimum_notice(app: TestApp) {
        let public = app.call_anonymous(Method::GET, "/v2/event-types?username=demo&eventSlug=60min", None).await;
        assert_eq!(public.status, 200);
        assert_eq!(public.data()[0]["lengthInMinutes"], 60);
        let own = app.call_anonymous(Method::GET, "/v2/event-types", None).await;
        assert_eq!(own.status, 401);
        let id = app.event_type_id("60min").await;
        // A notice of 8 days pushes the first bookable slot past next week's Monday morning.
        app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"minimumBookingNotice": 8 * 24 * 60}))).await;
        let day = next(Weekday::Mon);
        let far = day + chrono::Duration::days(7);
        let answer = app.get(&format!("/v2/slots?eventTypeId={id}&start={far}&end={far}&timeZone=Europe/Berlin")).await;
        assert_eq!(answer.data()[far.to_string()][0]["start"], json!(local(Berlin, far, "09:00")));
        let too_soon = app.post("/v2/bookings", booking(id, &utc(Berlin, chrono::Utc::now().date_naive() + chrono::Duration::days(1), "09:00"), "a@acme.com")).await;
        assert_eq!(too_soon.status, 422);
    }
}
