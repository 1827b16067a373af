//! `GET /v2/slots`.

use chrono::{Datelike, Weekday};
use chrono_tz::Europe::Berlin;
use chrono_tz::Tz;
use convene_tests::{next, on_both_databases};
use serde_json::json;

use super::{booking, local, utc};

fn starts(day: &serde_json::Value) -> Vec<String> {
    day.as_array()
        .map(|slots| {
            slots
                .iter()
                .map(|s| s["start"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

on_both_databases! {
    async fn a_weekday_has_the_schedule_minus_lunch(app: TestApp) {
        let day = next(Weekday::Mon);
        let id = app.event_type_id("30min").await;
        let answer = app
            .call_anonymous(reqwest::Method::GET, &format!("/v2/slots?eventTypeId={id}&start={day}&end={day}&timeZone=Europe/Berlin"), None)
            .await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        let times = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"];
        let expected: Vec<String> = times.iter().map(|t| local(Berlin, day, t)).collect();
        assert_eq!(starts(&answer.data()[day.to_string()]), expected);
        assert_eq!(answer.data().as_object().map(|o| o.len()), Some(1), "only the one day has a key");
    }

    async fn slots_are_keyed_and_offset_in_the_invitees_zone(app: TestApp) {
        let day = next(Weekday::Tue);
        let ny: Tz = "America/New_York".parse().unwrap();
        let answer = app
            .get(&format!("/v2/slots?username=demo&eventTypeSlug=60min&start={}&end={}&timeZone=America/New_York&format=range", utc(Berlin, day, "00:00"), utc(Berlin, day, "23:59")))
            .await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        let first = &answer.data()[day.to_string()][0];
        assert_eq!(first["start"], json!(local(ny, day, "03:00")), "09:00 Berlin is 03:00 New York");
        assert_eq!(first["end"], json!(local(ny, day, "04:00")));
    }

    async fn weekends_have_no_key(app: TestApp) {
        let saturday = next(Weekday::Sat);
        let sunday = saturday.succ_opt().unwrap();
        let id = app.event_type_id("30min").await;
        let answer = app.get(&format!("/v2/slots?eventTypeId={id}&start={saturday}&end={sunday}&timeZone=Europe/Berlin")).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.data(), &json!({}));
    }

    async fn a_booking_removes_its_slot_and_its_buffers(app: TestApp) {
        let day = next(Weekday::Wed);
        let id = app.event_type_id("30min").await;
        let patch = app.call(reqwest::Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"afterEventBuffer": 30}))).await;
        assert_eq!(patch.status, 200, "{:?}", patch.body);
        let created = app.post("/v2/bookings", booking(id, &utc(Berlin, day, "10:00"), "a@acme.com")).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let answer = app.get(&format!("/v2/slots?eventTypeId={id}&start={day}&end={day}&timeZone=Europe/Berlin")).await;
        let got = starts(&answer.data()[day.to_string()]);
        // 10:00 is booked and its 30-minute after-buffer holds 10:30; a 09:30 slot would
        // need its own after-buffer to end by 10:00, so it goes too.
        for gone in ["09:30", "10:00", "10:30"] {
            assert!(!got.contains(&local(Berlin, day, gone)), "{gone} should be gone: {got:?}");
        }
        assert!(got.contains(&local(Berlin, day, "09:00")));
        assert!(got.contains(&local(Berlin, day, "11:00")));
    }

    async fn spring_forward_keeps_local_hours(app: TestApp) {
        // Berlin springs forward on the last Sunday of March.
        let mut day = chrono::NaiveDate::from_ymd_opt(chrono::Utc::now().year() + 1, 3, 31).unwrap();
        while day.weekday() != Weekday::Sun {
            day = day.pred_opt().unwrap();
        }
        let schedule = app.post("/v2/schedules", json!({
            "name": "Every day", "timeZone": "Europe/Berlin", "isDefault": true,
            "availability": [{"days": ["Monday","Tuesday","Wednesday","Thursday","Friday","Saturday","Sunday"], "startTime": "09:00", "endTime": "17:00"}],
        })).await;
        assert_eq!(schedule.status, 201, "{:?}", schedule.body);
        let id = app.event_type_id("60min").await;
        let before = day.pred_opt().unwrap();
        let answer = app.get(&format!("/v2/slots?eventTypeId={id}&start={before}&end={day}&timeZone=Europe/Berlin")).await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        let saturday = starts(&answer.data()[before.to_string()]);
        let sunday = starts(&answer.data()[day.to_string()]);
        assert_eq!(saturday.first(), Some(&format!("{before}T09:00:00.000+01:00")));
        assert_eq!(sunday.first(), Some(&format!("{day}T09:00:00.000+02:00")));
        assert_eq!(sunday.last(), Some(&format!("{day}T16:00:00.000+02:00")));
        assert_eq!(sunday.len(), 8);
    }

    async fn a_duration_must_be_offered(app: TestApp) {
        let day = next(Weekday::Thu);
        let id = app.event_type_id("30min").await;
        let answer = app.get(&format!("/v2/slots?eventTypeId={id}&start={day}&end={day}&duration=45")).await;
        assert_eq!(answer.status, 422);
        assert_eq!(answer.fields(), ["duration"]);
        let patch = app.call(reqwest::Method::PATCH, &format!("/v2/event-types/{id}"), Some(json!({"lengthInMinutesOptions": [30, 45]}))).await;
        assert_eq!(patch.status, 200, "{:?}", patch.body);
        let answer = app.get(&format!("/v2/slots?eventTypeId={id}&start={day}&end={day}&timeZone=Europe/Berlin&duration=45&format=range")).await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        let first = &answer.data()[day.to_string()][0];
        assert_eq!(first["end"], json!(local(Berlin, day, "09:45")));
    }

    async fn bad_queries_name_their_field(app: TestApp) {
        let day = next(Weekday::Fri);
        let id = app.event_type_id("30min").await;
        for (query, field) in [
            (format!("eventTypeId={id}&start={day}&end={day}&timeZone=Mars/Olympus"), "timeZone"),
            (format!("eventTypeId={id}&start=yesterday&end={day}"), "start"),
            (format!("eventTypeId={id}&end={day}"), "start"),
            (format!("eventTypeId={id}&start={day}&end=2001-01-01"), "end"),
            (format!("eventTypeId=abc&start={day}&end={day}"), "eventTypeId"),
            (format!("start={day}&end={day}"), "eventTypeId"),
            (format!("eventTypeId={id}&start={day}&end={day}&format=grid"), "format"),
        ] {
            let answer = app.get(&format!("/v2/slots?{query}")).await;
            assert_eq!(answer.status, 422, "{query}: {:?}", answer.body);
            assert_eq!(answer.fields(), [field], "{query}");
        }
        let missing = app.get(&format!("/v2/slots?eventTypeId=999999&start={day}&end={day}")).await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.code(), "NOT_FOUND");
    }
}
