//! Bad input gets a typed error naming the field; nothing panics; tenants never see
//! each other's data.

use chrono::Weekday;
use chrono_tz::Europe::Berlin;
use convene_tests::{next, on_both_databases};
use reqwest::Method;
use serde_json::json;

use super::{booking, utc};

const CODES: [&str; 8] = [
    "INVALID_REQUEST",
    "UNAUTHORIZED",
    "FORBIDDEN",
    "NOT_FOUND",
    "CONFLICT",
    "VALIDATION_ERROR",
    "RATE_LIMIT_EXCEEDED",
    "INTERNAL_ERROR",
];

on_both_databases! {
    async fn credentials_are_required_and_checked(app: TestApp) {
        let missing = app.call_anonymous(Method::GET, "/v2/me", None).await;
        assert_eq!((missing.status.as_u16(), missing.code()), (401, "UNAUTHORIZED"));
        for header in ["Bearer cnv_0000", "Bearer nope", "Basic ZGVtbzpkZW1v", "Bearer"] {
            let answer = app.send(app.request(Method::GET, "/v2/me", None).header("Authorization", header)).await;
            assert_eq!((answer.status.as_u16(), answer.code()), (401, "UNAUTHORIZED"), "{header}");
        }
        let me = app.get("/v2/me").await;
        assert_eq!(me.data()["username"], "demo");
        assert_eq!(me.data()["timeZone"], "Europe/Berlin");
        // A public route still refuses a bad key rather than silently ignoring it.
        let day = next(Weekday::Mon);
        let id = app.event_type_id("30min").await;
        let bad_key = app.send(app.request(Method::POST, "/v2/bookings", Some(booking(id, &utc(Berlin, day, "09:00"), "a@acme.com"))).header("Authorization", "Bearer cnv_wrong")).await;
        assert_eq!(bad_key.status, 401);
    }

    async fn another_organizations_resources_do_not_exist(app: TestApp) {
        let day = next(Weekday::Tue);
        let id = app.event_type_id("30min").await;
        let created = app.post("/v2/bookings", booking(id, &utc(Berlin, day, "09:00"), "a@acme.com")).await;
        let uid = created.data()["uid"].as_str().unwrap().to_string();
        let rival = app.other_org_key().await;
        let as_rival = |method: Method, path: String| app.send(app.request(method, &path, None).bearer_auth(&rival));
        for (method, path) in [
            (Method::GET, format!("/v2/event-types/{id}")),
            (Method::PATCH, format!("/v2/event-types/{id}")),
            (Method::DELETE, format!("/v2/event-types/{id}")),
            (Method::GET, "/v2/schedules/1".to_string()),
            (Method::GET, format!("/v2/bookings/{uid}")),
            (Method::POST, format!("/v2/bookings/{uid}/cancel")),
            (Method::POST, format!("/v2/bookings/{uid}/confirm")),
        ] {
            let answer = as_rival(method.clone(), path.clone()).await;
            assert_eq!((answer.status.as_u16(), answer.code()), (404, "NOT_FOUND"), "{method} {path}: {:?}", answer.body);
        }
        let theirs = app.send(app.request(Method::GET, "/v2/bookings", None).bearer_auth(&rival)).await;
        assert_eq!(theirs.data(), &json!([]));
        let still = app.get(&format!("/v2/bookings/{uid}")).await;
        assert_eq!(still.data()["status"], "accepted", "the rival's attempts changed nothing");
    }

    async fn invalid_bookings_name_every_bad_field(app: TestApp) {
        let id = app.event_type_id("30min").await;
        let answer = app.post("/v2/bookings", json!({
            "eventTypeId": id,
            "start": "tomorrow at nine",
            "attendee": {"name": "", "email": "jane-at-acme", "timeZone": "Europe/Atlantis", "language": "english"},
            "guests": ["ok@acme.com", "broken"],
            "metadata": {"k": {"nested": true}},
        })).await;
        assert_eq!(answer.status, 422, "{:?}", answer.body);
        assert_eq!(answer.code(), "VALIDATION_ERROR");
        let mut fields = answer.fields();
        fields.sort();
        assert_eq!(fields, ["attendee.email", "attendee.language", "attendee.name", "attendee.timeZone", "guests[1]", "metadata.k", "start"]);

        let wrong_type = app.post("/v2/bookings", json!({"eventTypeId": "thirty", "start": "x"})).await;
        assert_eq!((wrong_type.status.as_u16(), wrong_type.fields()), (422, vec!["eventTypeId".to_string()]));
        let malformed = app.send(app.request(Method::POST, "/v2/bookings", None).header("content-type", "application/json").body("{\"start\": ")).await;
        assert_eq!((malformed.status.as_u16(), malformed.code()), (400, "INVALID_REQUEST"));
        let unknown = app.post("/v2/bookings", booking(987654, "2030-01-07T09:00:00Z", "a@acme.com")).await;
        assert_eq!((unknown.status.as_u16(), unknown.code()), (404, "NOT_FOUND"));
    }

    async fn garbage_never_breaks_a_route(app: TestApp) {
        let day = next(Weekday::Wed);
        let id = app.event_type_id("30min").await;
        let created = app.post("/v2/bookings", booking(id, &utc(Berlin, day, "09:00"), "a@acme.com")).await;
        let uid = created.data()["uid"].as_str().unwrap().to_string();
        let routes: Vec<(Method, String)> = vec![
            (Method::GET, "/v2/me".into()),
            (Method::GET, "/v2/slots".into()),
            (Method::GET, "/v2/bookings".into()),
            (Method::POST, "/v2/bookings".into()),
            (Method::GET, format!("/v2/bookings/{uid}")),
            (Method::POST, format!("/v2/bookings/{uid}/reschedule")),
            (Method::POST, format!("/v2/bookings/{uid}/cancel")),
            (Method::POST, format!("/v2/bookings/{uid}/confirm")),
            (Method::POST, format!("/v2/bookings/{uid}/decline")),
            (Method::GET, "/v2/event-types".into()),
            (Method::POST, "/v2/event-types".into()),
            (Method::GET, format!("/v2/event-types/{id}")),
            (Method::PATCH, format!("/v2/event-types/{id}")),
            (Method::GET, "/v2/schedules".into()),
            (Method::POST, "/v2/schedules".into()),
            (Method::GET, "/v2/schedules/default".into()),
            (Method::PATCH, "/v2/schedules/1".into()),
            (Method::GET, "/v2/event-types/%00".into()),
            (Method::GET, "/v2/bookings/%27%20OR%201=1--".into()),
            (Method::GET, "/v2/nowhere".into()),
        ];
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let long = format!("{{\"title\": \"{}\"}}", "x".repeat(200_000));
        let bodies: Vec<Vec<u8>> = vec![
            b"".to_vec(), b"{".to_vec(), b"null".to_vec(), b"[]".to_vec(), b"42".to_vec(), b"\"str\"".to_vec(),
            b"{\"start\": 5, \"attendee\": []}".to_vec(), b"{\"lengthInMinutes\": -5, \"slug\": \"UPPER CASE\"}".to_vec(),
            b"{\"availability\": [{\"days\": [\"Funday\"], \"startTime\": \"25:00\", \"endTime\": \"09:00\"}]}".to_vec(),
            b"{\"bookingWindow\": {\"type\": \"range\", \"value\": [1, 2]}, \"locations\": [{\"type\": \"teleport\"}]}".to_vec(),
            vec![0xff, 0xfe, 0x00, 0x80], deep.into_bytes(), long.into_bytes(),
        ];
        let queries = ["", "?start=%ZZ&end=&eventTypeId=99999999999999999999999", "?take=-1&cursor=zzz&status=bogus", "?eventTypeId=1&start=2030-02-30&end=2030-02-31", "?afterStart=yesterday&sortStart=sideways"];
        let auths: [Option<&[u8]>; 3] = [None, Some(b"Bearer cnv_testdemokey0000000000000000000000000000"), Some(b"Bearer \xff\xfe")];
        for (method, path) in &routes {
            for body in &bodies {
                for query in queries {
                    for auth in auths {
                        let mut request = app.client.request(method.clone(), format!("{}{path}{query}", app.base)).body(body.clone());
                        if let Some(auth) = auth {
                            request = request.header("Authorization", reqwest::header::HeaderValue::from_bytes(auth).unwrap());
                        }
                        let answer = app.send(request).await;
                        let context = format!("{method} {path}{query} auth={:?} body={:?}", auth.map(String::from_utf8_lossy), String::from_utf8_lossy(&body[..body.len().min(40)]));
                        assert!(answer.status.as_u16() < 500, "{context}: {:?}", answer.body);
                        match answer.body["status"].as_str() {
                            Some("success") => {}
                            Some("error") => assert!(CODES.contains(&answer.code()), "{context}: {:?}", answer.body),
                            _ => panic!("{context}: not our JSON shape: {:?}", answer.body),
                        }
                    }
                }
            }
        }
    }
}
