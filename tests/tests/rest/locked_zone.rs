//! A locked time zone: an event type's slots are shown in its zone, whatever zone the
//! invitee asks for.

use chrono::Weekday;
use chrono_tz::Europe::{Berlin, London};
use convene_tests::{next, on_both_databases};
use reqwest::Method;
use serde_json::json;

use super::{booking, local, utc};

on_both_databases! {
    async fn slots_of_a_locked_type_come_in_its_zone(app: TestApp) {
        let created = app.post("/v2/event-types", json!({
            "title": "Office visit", "slug": "visit", "lengthInMinutes": 30,
            "lockTimeZoneToggleOnBookingPage": true, "lockedTimeZone": "Europe/London",
        })).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        assert_eq!(created.data()["lockedTimeZone"], "Europe/London");
        assert_eq!(created.data()["lockTimeZoneToggleOnBookingPage"], true);
        let id = created.data()["id"].as_i64().unwrap();

        let day = next(Weekday::Tue);
        let slots = app.get(&format!("/v2/slots?eventTypeId={id}&start={day}&end={day}&timeZone=America/New_York")).await;
        assert_eq!(slots.status, 200, "{:?}", slots.body);
        assert_eq!(slots.body["timeZone"], "Europe/London", "the answer says which zone it is in");
        assert_eq!(slots.body["timeZoneLocked"], true);
        let first = &slots.data()[day.to_string()][0]["start"];
        assert_eq!(first, &json!(local(London, day, &local_hhmm(day))), "the host's 09:00 Berlin, written in London time");

        let plain = app.event_type_id("30min").await;
        let unlocked = app.get(&format!("/v2/slots?eventTypeId={plain}&start={day}&end={day}&timeZone=America/New_York")).await;
        assert_eq!(unlocked.body["timeZone"], "America/New_York");
        assert_eq!(unlocked.body["timeZoneLocked"], false);

        let booked = app.call_anonymous(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, day, "09:00"), "visitor@acme.com"))).await;
        assert_eq!(booked.status, 201, "an invitee from another zone books the locked slot: {:?}", booked.body);

        let unlock = app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"lockTimeZoneToggleOnBookingPage": false}))).await;
        assert_eq!(unlock.data()["lockedTimeZone"], json!(null));
        let missing = app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"lockTimeZoneToggleOnBookingPage": true}))).await;
        assert_eq!(missing.status, 422);
        assert_eq!(missing.fields(), ["lockedTimeZone"]);
        let bad = app.call(Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"lockedTimeZone": "Mars/Olympus"}))).await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.fields(), ["lockedTimeZone"]);
    }
}

/// 09:00 in Berlin as London's wall clock on `day` (one hour behind all year).
fn local_hhmm(day: chrono::NaiveDate) -> String {
    use chrono::TimeZone;
    let berlin = Berlin
        .from_local_datetime(&day.and_hms_opt(9, 0, 0).unwrap())
        .unwrap();
    berlin.with_timezone(&London).format("%H:%M").to_string()
}
