//! Seated event types: invitees of one slot share one booking until its seats are gone.

use chrono::Weekday;
use chrono_tz::Europe::Berlin;
use convene_tests::{TestApp, next, on_both_databases};
use reqwest::Method;
use serde_json::{Value, json};

use super::{booking, local, utc};

/// A 30-minute event type `group` of the demo host with `seats` seats per slot.
async fn seated_type(app: &TestApp, seats: Value) -> i64 {
    let created = app
        .post(
            "/v2/event-types",
            json!({"title": "Group", "slug": "group", "lengthInMinutes": 30, "seats": seats}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.data()["id"].as_i64().unwrap()
}

/// The slot starting at `start` (local, Berlin) on its day, if offered.
async fn slot(app: &TestApp, id: i64, day: chrono::NaiveDate, start: &str) -> Option<Value> {
    let answer = app
        .get(&format!(
            "/v2/slots?eventTypeId={id}&start={day}&end={day}&timeZone=Europe/Berlin"
        ))
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let wanted = json!(local(Berlin, day, start));
    answer.data()[day.to_string()]
        .as_array()
        .and_then(|slots| slots.iter().find(|s| s["start"] == wanted).cloned())
}

fn seats(slot: &Option<Value>) -> (i64, i64, i64) {
    let slot = slot.as_ref().expect("the slot is offered");
    let n = |k: &str| slot[k].as_i64().unwrap();
    (n("seatsBooked"), n("seatsRemaining"), n("seatsTotal"))
}

on_both_databases! {
    async fn invitees_share_a_slot_until_its_seats_are_gone(app: TestApp) {
        let day = next(Weekday::Tue);
        let id = seated_type(&app, json!({"seatsPerTimeSlot": 3})).await;
        assert_eq!(seats(&slot(&app, id, day, "10:00").await), (0, 3, 3));
        let start = utc(Berlin, day, "10:00");

        let mut seat_uids = Vec::new();
        let mut uid = Value::Null;
        for (i, email) in ["ann@acme.com", "bob@acme.com", "cat@acme.com"].iter().enumerate() {
            let made = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &start, email))).await;
            assert_eq!(made.status, 201, "{:?}", made.body);
            let b = made.data();
            if i > 0 {
                assert_eq!(b["uid"], uid, "later invitees join the same booking");
            }
            uid = b["uid"].clone();
            let emails: Vec<&Value> = b["attendees"].as_array().unwrap().iter().map(|a| &a["email"]).collect();
            assert_eq!(emails, [&json!(email)], "an invitee sees only themselves");
            seat_uids.push(b["seatUid"].as_str().expect("a seat uid").to_string());
            if i == 1 {
                assert_eq!(seats(&slot(&app, id, day, "10:00").await), (2, 1, 3));
            }
        }
        assert!(slot(&app, id, day, "10:00").await.is_none(), "a full slot is no longer offered");
        let fourth = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &start, "dan@acme.com"))).await;
        assert_eq!(fourth.status, 409, "{:?}", fourth.body);

        let uid = uid.as_str().unwrap();
        let by_host = app.get(&format!("/v2/bookings/{uid}")).await;
        assert_eq!(by_host.data()["attendees"].as_array().map(Vec::len), Some(3), "the host sees every seat");
        let anonymous = app.call_anonymous(Method::GET, &format!("/v2/bookings/{uid}"), None).await;
        assert_eq!(anonymous.data()["attendees"], json!([]), "the shared uid shows nobody");
        let by_seat = app.call_anonymous(Method::GET, &format!("/v2/bookings/{}", seat_uids[1]), None).await;
        assert_eq!(by_seat.status, 200, "{:?}", by_seat.body);
        assert_eq!(by_seat.data()["uid"], json!(uid));
        assert_eq!(by_seat.data()["seatUid"], json!(seat_uids[1]));
        assert_eq!(by_seat.data()["attendees"][0]["email"], "bob@acme.com");
        assert_eq!(by_seat.data()["attendees"].as_array().map(Vec::len), Some(1));

        let everyone = app.call_anonymous(Method::POST, &format!("/v2/bookings/{uid}/cancel"), Some(json!({}))).await;
        assert_eq!(everyone.status, 422, "{:?}", everyone.body);
        assert_eq!(everyone.fields(), ["seatUid"]);

        let one = app.call_anonymous(Method::POST, &format!("/v2/bookings/{uid}/cancel"), Some(json!({"seatUid": seat_uids[1], "cancellationReason": "ill"}))).await;
        assert_eq!(one.status, 200, "{:?}", one.body);
        assert_eq!(one.data()["status"], "cancelled");
        assert_eq!(one.data()["attendees"][0]["email"], "bob@acme.com");
        assert_eq!(seats(&slot(&app, id, day, "10:00").await), (2, 1, 3), "the seat is free again");
        let after = app.get(&format!("/v2/bookings/{uid}")).await;
        assert_eq!(after.data()["status"], "accepted", "the others keep their seats");
        assert_eq!(after.data()["attendees"].as_array().map(Vec::len), Some(2));
        let again = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &start, "dan@acme.com"))).await;
        assert_eq!(again.status, 201, "{:?}", again.body);
        assert_eq!(again.data()["uid"], json!(uid));

        let all = app.call(Method::POST, &format!("/v2/bookings/{uid}/cancel"), Some(json!({}))).await;
        assert_eq!(all.status, 200, "{:?}", all.body);
        assert_eq!(all.data()["status"], "cancelled");
        assert_eq!(seats(&slot(&app, id, day, "10:00").await), (0, 3, 3), "cancelled by the host, every seat is free");

        let kinds: Vec<String> = convene::store::outbox::pending(&app.db, convene::domain::ids::OrgId(1))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds.iter().filter(|k| *k == "BOOKING_CREATED").count(), 4, "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| *k == "BOOKING_CANCELLED").count(), 2, "{kinds:?}");
    }

    async fn racing_invitees_never_overfill_a_seated_slot(app: TestApp) {
        let day = next(Weekday::Wed);
        let id = seated_type(&app, json!({"seatsPerTimeSlot": 3})).await;
        let start = utc(Berlin, day, "14:00");
        let attempts = (0..20).map(|i| {
            app.send(app.request(Method::POST, "/v2/bookings", Some(booking(id, &start, &format!("racer{i}@acme.com")))))
        });
        let answers = futures::future::join_all(attempts).await;
        let created: Vec<&Value> = answers.iter().filter(|a| a.status == 201).map(|a| a.data()).collect();
        let conflicts = answers.iter().filter(|a| a.status == 409).count();
        assert_eq!((created.len(), conflicts), (3, 17), "{:?}", answers.iter().map(|a| (a.status, a.body.clone())).collect::<Vec<_>>());
        assert!(created.iter().all(|b| b["uid"] == created[0]["uid"]), "one booking holds every seat");
        let uid = created[0]["uid"].as_str().unwrap();
        let held = app.get(&format!("/v2/bookings/{uid}")).await;
        assert_eq!(held.data()["attendees"].as_array().map(Vec::len), Some(3));
        assert!(slot(&app, id, day, "14:00").await.is_none());
    }

    async fn seat_options_are_checked_shown_attendees_and_the_host_moves_every_seat(app: TestApp) {
        let zero = app.post("/v2/event-types", json!({"title": "G", "slug": "g0", "lengthInMinutes": 30, "seats": {"seatsPerTimeSlot": 0}})).await;
        assert_eq!(zero.status, 422);
        assert_eq!(zero.fields(), ["seats.seatsPerTimeSlot"]);
        let confirm = app.post("/v2/event-types", json!({"title": "G", "slug": "g1", "lengthInMinutes": 30, "requiresConfirmation": true, "seats": {"seatsPerTimeSlot": 2}})).await;
        assert_eq!(confirm.status, 422);
        assert_eq!(confirm.fields(), ["seats"]);

        let id = seated_type(&app, json!({"seatsPerTimeSlot": 2})).await;
        let shown = app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"seats": {"showAttendeeInfo": true}}))).await;
        assert_eq!(shown.status, 200, "{:?}", shown.body);
        assert_eq!(shown.data()["seats"], json!({"seatsPerTimeSlot": 2, "showAttendeeInfo": true, "showAvailabilityCount": true}));
        let start = utc(Berlin, next(Weekday::Thu), "09:00");
        app.post("/v2/bookings", booking(id, &start, "ann@acme.com")).await;
        let second = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &start, "bob@acme.com"))).await;
        assert_eq!(second.status, 201, "{:?}", second.body);
        let seat = second.data()["seatUid"].as_str().unwrap();
        let seen = app.call_anonymous(Method::GET, &format!("/v2/bookings/{seat}"), None).await;
        assert_eq!(seen.data()["attendees"].as_array().map(Vec::len), Some(2), "this type shows attendees to each other");

        let uid = second.data()["uid"].as_str().unwrap();
        let later = utc(Berlin, next(Weekday::Thu), "11:00");
        let by_seat = app.call_anonymous(Method::POST, &format!("/v2/bookings/{uid}/reschedule"), Some(json!({"start": later}))).await;
        assert_eq!(by_seat.status, 403, "one invitee cannot move everyone: {:?}", by_seat.body);
        let by_host = app.call(Method::POST, &format!("/v2/bookings/{uid}/reschedule"), Some(json!({"start": later}))).await;
        assert_eq!(by_host.status, 201, "{:?}", by_host.body);
        assert_eq!(by_host.data()["attendees"].as_array().map(Vec::len), Some(2), "every seat moves along");
        let moved = app.call_anonymous(Method::GET, &format!("/v2/bookings/{seat}"), None).await;
        assert_eq!(moved.data()["uid"], by_host.data()["uid"], "a seat keeps its handle when its slot moves");
        assert_eq!(moved.data()["start"], json!(later));

        let off = app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"seats": {"disabled": true}}))).await;
        assert_eq!(off.data()["seats"], json!({"disabled": true}));
    }
}
