//! `/v2/schedules`.

use chrono::Weekday;
use chrono_tz::Europe::Berlin;
use convene_tests::{next, on_both_databases};
use reqwest::Method;
use serde_json::json;

use super::{assert_page_params_are_checked, ids, local, walk};

on_both_databases! {
    async fn the_demo_schedule_reads_like_cal_com(app: TestApp) {
        let answer = app.get("/v2/schedules/default").await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        assert_eq!(answer.data()["timeZone"], "Europe/Berlin");
        assert_eq!(answer.data()["isDefault"], true);
        let weekdays = json!(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]);
        assert_eq!(answer.data()["availability"], json!([
            {"days": weekdays, "startTime": "09:00", "endTime": "12:00"},
            {"days": weekdays, "startTime": "13:00", "endTime": "17:00"},
        ]));
    }

    async fn overrides_replace_a_day_or_remove_it(app: TestApp) {
        let monday = next(Weekday::Mon);
        let tuesday = monday.succ_opt().unwrap();
        let saturday = monday + chrono::Duration::days(5);
        let patched = app.call(Method::PATCH, "/v2/schedules/1", Some(json!({"overrides": [
            {"date": monday.to_string(), "startTime": "14:00", "endTime": "15:00"},
            {"date": tuesday.to_string(), "startTime": "00:00", "endTime": "00:00"},
            {"date": saturday.to_string(), "startTime": "10:00", "endTime": "11:00"},
        ]}))).await;
        assert_eq!(patched.status, 200, "{:?}", patched.body);
        assert_eq!(patched.data()["overrides"][1], json!({"date": tuesday.to_string(), "startTime": "00:00", "endTime": "00:00"}));
        let id = app.event_type_id("30min").await;
        let answer = app.get(&format!("/v2/slots?eventTypeId={id}&start={monday}&end={saturday}&timeZone=Europe/Berlin")).await;
        let days = answer.data().as_object().unwrap();
        let starts = |day: chrono::NaiveDate| days[&day.to_string()].as_array().unwrap().iter().map(|s| s["start"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(starts(monday), [local(Berlin, monday, "14:00"), local(Berlin, monday, "14:30")]);
        assert!(!days.contains_key(&tuesday.to_string()), "the removed day has no key");
        assert_eq!(starts(saturday), [local(Berlin, saturday, "10:00"), local(Berlin, saturday, "10:30")]);
        assert_eq!(days.len(), 5, "Monday, Wednesday, Thursday, Friday, Saturday");
    }

    async fn schedules_are_created_listed_and_deleted(app: TestApp) {
        let created = app.post("/v2/schedules", json!({"name": "Evenings", "timeZone": "America/New_York", "availability": [{"days": ["Saturday"], "startTime": "18:00", "endTime": "24:00"}]})).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        assert_eq!(created.data()["isDefault"], false);
        let id = created.data()["id"].as_i64().unwrap();
        let event_type = app.post("/v2/event-types", json!({"title": "Late", "slug": "late", "lengthInMinutes": 60, "scheduleId": id})).await;
        assert_eq!(event_type.data()["scheduleId"], id);
        let saturday = next(Weekday::Sat);
        let et = event_type.data()["id"].as_i64().unwrap();
        let slots = app.get(&format!("/v2/slots?eventTypeId={et}&start={saturday}&end={saturday}&timeZone=America/New_York")).await;
        assert_eq!(slots.data()[saturday.to_string()].as_array().map(Vec::len), Some(6), "18:00 to midnight");
        assert_eq!(app.get("/v2/schedules").await.data().as_array().map(Vec::len), Some(2));
        assert_eq!(app.call(Method::DELETE, &format!("/v2/schedules/{id}"), None).await.status, 200);
        assert_eq!(app.get(&format!("/v2/schedules/{id}")).await.status, 404);
        let bad = app.post("/v2/schedules", json!({"name": "Bad", "timeZone": "Nowhere/Land", "availability": [{"days": ["Funday"], "startTime": "17:00", "endTime": "09:00"}]})).await;
        let mut fields = bad.fields();
        fields.sort();
        assert_eq!(fields, ["availability[0].endTime", "timeZone"]);
    }

    async fn schedules_page_with_a_cursor(app: TestApp) {
        for name in ["Mornings", "Evenings", "Weekends"] {
            let created = app.post("/v2/schedules", json!({"name": name, "timeZone": "UTC", "availability": [{"days": ["Monday"], "startTime": "09:00", "endTime": "10:00"}]})).await;
            assert_eq!(created.status, 201, "{:?}", created.body);
        }
        let all = app.get("/v2/schedules").await;
        let expected = ids(all.data().as_array().unwrap());
        assert_eq!(expected.len(), 4, "the demo schedule and three more");
        assert!(expected.is_sorted_by(|a, b| a < b), "oldest first: {expected:?}");
        let (items, pages) = walk(&app, "/v2/schedules").await;
        assert_eq!((ids(&items), pages), (expected, 2), "a full last page ends the walk");
        assert_eq!(items[0]["isDefault"], true);
        assert_page_params_are_checked(&app, "/v2/schedules").await;
    }
}
