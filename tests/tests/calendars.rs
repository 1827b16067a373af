//! Google Calendar connected end to end: the `google-calendar` plugin installed over
//! GraphQL with the OAuth client it brings, the host connected through the real
//! `/oauth` routes, then against the Google Calendar fake: the account's calendars and
//! the host's choice among them, busy times removing slots (and the last known ones
//! kept, with a warning, while Google is down), and every booking becoming an event in
//! the chosen calendar that follows the booking when it moves or is cancelled.

use std::collections::BTreeMap;

use chrono::Utc;
use convene::app::calendar_sync;
use convene::store::plugins as installations;
use convene_tests::calendars::{
    CHOOSE, ConnectedGoogle as Google, at, book_video_call, choose, connect_google as connect,
    pull_now, sync_calendars, tuesday_slots,
};
use convene_tests::crm::{book, tuesday};
use convene_tests::fakes::google::{HOLIDAYS, Outage, PRIMARY, TEAM as TEAM_CALENDAR};
use convene_tests::{on_both_databases, on_both_databases_with_jobs, until};
use serde_json::{Value, json};

const CALENDARS: &str = "query($id: ID!) { connectedCalendars(installationId: $id) {
    id name primary writable checked destination } }";

/// The events in the fake's calendar `calendar` that are not cancelled.
fn live_events(google: &Google, calendar: &str) -> Vec<Value> {
    google
        .api
        .state
        .lock()
        .unwrap()
        .events(calendar)
        .into_iter()
        .filter(|e| e["status"] != "cancelled")
        .collect()
}

on_both_databases! {
    async fn what_is_kept_of_events_long_over_is_forgotten(app: TestApp) {
        let google = connect(&app).await;
        book(&app, "09:00", "jane@acme.com").await;
        assert_eq!(sync_calendars(&app).await, vec![calendar_sync::Synced::Created]);
        pull_now(&app, &google).await;
        let known = async || -> BTreeMap<String, Value> {
            let kv = installations::kv(&app.db, google.id()).await.unwrap();
            serde_json::from_slice(&kv["sync.events"]).unwrap()
        };
        let mut events = known().await;
        let coming: Vec<String> = events.keys().cloned().collect();
        assert_eq!(coming.len(), 1, "the booking's event is known: {events:?}");
        // What a booking three days ago left behind.
        let ended = (Utc::now() - chrono::Duration::days(3)).timestamp_millis();
        events.insert("cnvold".into(), json!({"calendar": PRIMARY, "end_ms": ended}));
        installations::write_kv(&app.db, google.id(), &BTreeMap::from([
            ("sync.events".to_string(), Some(serde_json::to_vec(&events).unwrap())),
        ])).await.unwrap();

        pull_now(&app, &google).await;
        assert_eq!(known().await.keys().cloned().collect::<Vec<_>>(), coming);
    }

    async fn a_host_sees_their_calendars_and_chooses_which_count(app: TestApp) {
        let google = connect(&app).await;
        let listed = app.graphql(CALENDARS, json!({"id": google.installation})).await;
        let calendars = listed["connectedCalendars"].as_array().unwrap().clone();
        assert_eq!(calendars.len(), 3, "{calendars:#?}");
        assert_eq!(calendars[0]["id"], PRIMARY, "the primary calendar first");
        assert_eq!(calendars[0]["checked"], true);
        assert_eq!(calendars[0]["destination"], true);
        let holidays = calendars.iter().find(|c| c["id"] == HOLIDAYS).unwrap();
        assert_eq!((holidays["writable"].clone(), holidays["checked"].clone()), (json!(false), json!(false)));

        choose(&app, &google, &[PRIMARY, TEAM_CALENDAR], Some(TEAM_CALENDAR)).await;
        let again = app.graphql(CALENDARS, json!({"id": google.installation})).await;
        let team = again["connectedCalendars"].as_array().unwrap().iter()
            .find(|c| c["id"] == TEAM_CALENDAR).unwrap().clone();
        assert_eq!((team["checked"].clone(), team["destination"].clone()), (json!(true), json!(true)),
            "choices survive the next listing");

        let refused = app.graphql_as(convene_tests::DEMO_KEY, CHOOSE, json!({
            "id": google.installation, "checked": [PRIMARY, "nope@example.com"], "destination": HOLIDAYS,
        })).await;
        let (code, fields) = refused.graphql_refusal();
        assert_eq!(code, "VALIDATION_ERROR");
        assert_eq!(fields, vec!["checked[1]".to_string(), "destination".to_string()]);

        let other = app.other_org_key().await;
        let stranger = app.graphql_as(&other, CALENDARS, json!({"id": google.installation})).await;
        assert_eq!(stranger.graphql_refusal().0, "NOT_FOUND", "another organization's calendars stay hidden");
    }

    async fn busy_times_in_checked_calendars_remove_slots(app: TestApp) {
        let google = connect(&app).await;
        google.api.add_busy(PRIMARY, at(&tuesday("10:00")), at(&tuesday("11:00")));
        google.api.add_busy(TEAM_CALENDAR, at(&tuesday("14:00")), at(&tuesday("15:00")));
        google.api.add_busy(HOLIDAYS, at(&tuesday("15:00")), at(&tuesday("16:00")));

        let (slots, body) = tuesday_slots(&app).await;
        assert!(body["warnings"].is_null(), "{body:#}");
        assert!(slots.contains(&at(&tuesday("09:30"))));
        assert!(!slots.contains(&at(&tuesday("10:00"))) && !slots.contains(&at(&tuesday("10:30"))),
            "busy in the primary calendar: {slots:?}");
        assert!(slots.contains(&at(&tuesday("14:00"))), "the team calendar is not checked yet");
        assert!(slots.contains(&at(&tuesday("15:00"))), "holidays are not checked");

        let fetches = google.api.requests_to("/freeBusy");
        let _ = tuesday_slots(&app).await;
        assert_eq!(google.api.requests_to("/freeBusy"), fetches, "the second look is answered from the cache");

        choose(&app, &google, &[PRIMARY, TEAM_CALENDAR], None).await;
        let (slots, _) = tuesday_slots(&app).await;
        assert!(!slots.contains(&at(&tuesday("14:00"))), "checking a calendar counts it at once");

        choose(&app, &google, &[], None).await;
        let (slots, _) = tuesday_slots(&app).await;
        assert!(slots.contains(&at(&tuesday("10:00"))) && slots.contains(&at(&tuesday("14:00"))),
            "with no calendar checked, none counts: {slots:?}");
        choose(&app, &google, &[PRIMARY, TEAM_CALENDAR], None).await;

        let event_type = app.event_type_id("30min").await;
        let taken = app.post("/v2/bookings", json!({"eventTypeId": event_type, "start": tuesday("10:00"),
            "attendee": {"name": "Jane", "email": "jane@acme.com", "timeZone": "Europe/Berlin"}})).await;
        assert_eq!(taken.status, 409, "booking into the host's busy time is refused: {:#}", taken.body);
    }

    async fn team_bookings_are_checked_against_every_hosts_calendar(app: TestApp) {
        let google = connect(&app).await;
        google.api.add_busy(PRIMARY, at(&tuesday("10:00")), at(&tuesday("11:00")));
        let demo = app.get("/v2/me").await.data()["id"].clone();
        let alice = app.add_user("alice", "MEMBER").await;
        let team = app.post("/v2/teams", json!({"name": "Sales", "slug": "sales"})).await;
        let team = team.data()["id"].as_i64().unwrap();
        let joined = app.post(&format!("/v2/teams/{team}/memberships"), json!({"userId": alice["id"]})).await;
        assert_eq!(joined.status, 201, "{:#}", joined.body);
        let hosts = json!([{"userId": demo}, {"userId": alice["id"]}]);
        for (slug, kind) in [("pair", "COLLECTIVE"), ("demo", "ROUND_ROBIN")] {
            let created = app.post(&format!("/v2/teams/{team}/event-types"), json!({
                "title": slug, "slug": slug, "lengthInMinutes": 30, "schedulingType": kind, "hosts": hosts,
            })).await;
            assert_eq!(created.status, 201, "{:#}", created.body);
        }
        let book_team = async |slug: &str| {
            app.call_anonymous(reqwest::Method::POST, "/v2/bookings", Some(json!({
                "teamSlug": "sales", "eventTypeSlug": slug, "start": tuesday("10:00"),
                "attendee": {"name": "Jane", "email": "jane@acme.com", "timeZone": "Europe/Berlin"},
            }))).await
        };
        let together = book_team("pair").await;
        assert_eq!(together.status, 409, "the demo host is busy in Google: {:#}", together.body);
        let rotated = book_team("demo").await;
        assert_eq!(rotated.status, 201, "{:#}", rotated.body);
        assert_eq!(rotated.data()["hosts"][0]["username"], "alice", "the host free in their calendar gets it");
        let again = book_team("demo").await;
        assert_eq!(again.status, 409, "alice is taken now and the demo host still busy: {:#}", again.body);
    }

    async fn while_google_is_down_the_last_busy_times_hold_with_a_warning(app: TestApp) {
        let google = connect(&app).await;
        google.api.add_busy(PRIMARY, at(&tuesday("10:00")), at(&tuesday("11:00")));
        let (before, _) = tuesday_slots(&app).await;
        assert!(!before.contains(&at(&tuesday("10:00"))));

        // Something changed (here: the choices), and Google answers 503 from now on.
        choose(&app, &google, &[PRIMARY], None).await;
        google.api.fail_next(100, Outage::Down);
        let (during, body) = tuesday_slots(&app).await;
        assert_eq!(during, before, "the last known busy times still apply");
        let warning = body["warnings"][0].as_str().unwrap_or_default();
        assert!(warning.starts_with("google-calendar busy times are from "), "{body:#}");

        google.api.state.lock().unwrap().outage = None;
        let (after, body) = tuesday_slots(&app).await;
        assert!(body["warnings"].is_null(), "fresh again: {body:#}");
        assert_eq!(after, before);
    }

    async fn a_booking_becomes_an_event_that_follows_it(app: TestApp) {
        let google = connect(&app).await;
        choose(&app, &google, &[PRIMARY], Some(TEAM_CALENDAR)).await;
        let uid = book(&app, "09:00", "jane@acme.com").await;
        assert_eq!(sync_calendars(&app).await, vec![calendar_sync::Synced::Created]);
        let events = live_events(&google, TEAM_CALENDAR);
        assert_eq!(events.len(), 1, "{events:#?}");
        let event = &events[0];
        assert_eq!(event["extendedProperties"]["private"]["convene_booking"], uid.as_str());
        assert_eq!(event["attendees"][0]["email"], "jane@acme.com");
        assert_eq!(at(event["start"]["dateTime"].as_str().unwrap()), at(&tuesday("09:00")));
        let event_id = event["id"].as_str().unwrap().to_string();
        assert!(live_events(&google, PRIMARY).is_empty(), "only the chosen calendar gets it");

        let moved = app.post(&format!("/v2/bookings/{uid}/reschedule"),
            json!({"start": tuesday("13:00")})).await;
        assert_eq!(moved.status, 201, "{:#}", moved.body);
        let new_uid = moved.data()["uid"].as_str().unwrap().to_string();
        assert_eq!(sync_calendars(&app).await, vec![calendar_sync::Synced::Updated]);
        let events = live_events(&google, TEAM_CALENDAR);
        assert_eq!(events.len(), 1, "moved, not duplicated: {events:#?}");
        assert_eq!(events[0]["id"], event_id.as_str());
        assert_eq!(at(events[0]["start"]["dateTime"].as_str().unwrap()), at(&tuesday("13:00")));
        assert_eq!(events[0]["extendedProperties"]["private"]["convene_booking"], new_uid.as_str());

        let cancelled = app.post(&format!("/v2/bookings/{new_uid}/cancel"),
            json!({"cancellationReason": "no longer needed"})).await;
        assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
        assert_eq!(sync_calendars(&app).await, vec![calendar_sync::Synced::Deleted]);
        assert!(live_events(&google, TEAM_CALENDAR).is_empty());
        assert!(sync_calendars(&app).await.is_empty(), "nothing left to do");
    }

    async fn a_refused_write_is_retried_and_never_makes_two_events(app: TestApp) {
        let google = connect(&app).await;
        let uid = book(&app, "09:00", "jane@acme.com").await;
        google.api.fail_next(1, Outage::RateLimited);
        assert_eq!(sync_calendars(&app).await, vec![calendar_sync::Synced::Failed]);
        assert!(live_events(&google, PRIMARY).is_empty());
        assert!(sync_calendars(&app).await.is_empty(), "not due again before its backoff");

        let waiting = convene::store::calendars::syncs_of(&app.db, google.installation.parse().unwrap())
            .await.unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].attempts, 1);
        assert!(waiting[0].last_error.as_deref().unwrap_or_default().contains("wait"), "{waiting:?}");
        assert_eq!(calendar_sync::run(&app.app, waiting[0].id).await.unwrap(), calendar_sync::Synced::Created);
        assert_eq!(live_events(&google, PRIMARY).len(), 1);

        // An insert whose answer was lost is repeated: Google says 409 and it becomes a patch.
        convene::store::calendars::forget_event(&app.db, google.installation.parse().unwrap(),
            convene::store::bookings::find_by_uid(&app.db, None, &uid).await.unwrap().unwrap().id)
            .await.unwrap();
        convene::store::calendars::enqueue_sync(&app.db, app.demo_caller().await.org_id,
            google.installation.parse().unwrap(),
            convene::store::bookings::find_by_uid(&app.db, None, &uid).await.unwrap().unwrap().id,
            Utc::now()).await.unwrap();
        assert_eq!(sync_calendars(&app).await, vec![calendar_sync::Synced::Created]);
        assert_eq!(live_events(&google, PRIMARY).len(), 1, "still one event");
    }
}

on_both_databases_with_jobs! {
    async fn the_worker_writes_events_with_a_meet_link_when_asked(app: TestApp) {
        let google = connect(&app).await;
        book_video_call(&app, "google-meet").await;
        until("the event is in Google Calendar", async || !live_events(&google, PRIMARY).is_empty()).await;
        let event = live_events(&google, PRIMARY).remove(0);
        let link = event["hangoutLink"].as_str().unwrap_or_default();
        assert!(link.starts_with("https://meet.google.com/"), "{event:#}");
        assert_eq!(event["conferenceData"]["entryPoints"][0]["uri"], link);
    }
}
