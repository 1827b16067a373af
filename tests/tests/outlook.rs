//! Outlook connected end to end: the `outlook` plugin installed over GraphQL with the
//! OAuth client it brings, the host connected through the real `/oauth` routes at
//! Microsoft's token endpoint paths, then against the Microsoft Graph fake: the
//! account's calendars and the host's choice among them, busy times removing slots (the
//! last known ones kept, with a warning, while Graph refuses), every booking an event
//! that follows it; and the other way: subscriptions made through Graph's validation
//! handshake and renewed before they expire, notifications verified by their
//! `clientState`, and the host's own changes in Outlook to Convene's events (moved,
//! deleted, renamed) brought back to the bookings, while other changes touch nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use convene::app::calendar_sync::Synced;
use convene::app::inbound;
use convene::domain::booking::BookingStatus;
use convene::store::inbound::{InboundEvent, InboundStatus};
use convene::store::plugins as installations;
use convene_tests::calendars::{
    ConnectedOutlook as Outlook, at, book_video_call, booking, choose, connect_outlook as connect,
    pull_now, sync_calendars, tuesday_slots,
};
use convene_tests::crm::{book, tuesday};
use convene_tests::fakes::microsoft::{DEFAULT, FakeEvent, Outage, SHARED, WORK};
use convene_tests::{TestApp, on_both_databases, until};
use serde_json::json;

const CALENDARS: &str = "query($id: ID!) { connectedCalendars(installationId: $id) {
    id name primary writable checked destination } }";

/// The live events of the fake's calendar `calendar`.
fn live_events(outlook: &Outlook, calendar: &str) -> Vec<FakeEvent> {
    let state = outlook.api.state.lock().unwrap();
    state.live_events(calendar).into_iter().cloned().collect()
}

/// Processes every stored notification, as the inbound job would; what became of them.
async fn apply_pushes(app: &TestApp) -> Vec<InboundEvent> {
    let due = inbound::lease_due(&app.app, std::time::Duration::from_secs(60), 100)
        .await
        .unwrap();
    let mut done = Vec::new();
    for id in due {
        inbound::process(&app.app, id).await.unwrap();
        done.push(
            convene::store::inbound::find(&app.db, None, id)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    done
}

/// When the fake's event starts (Graph's UTC `dateTime` carries no offset).
fn starts_at(event: &FakeEvent) -> DateTime<Utc> {
    let text = event.value["start"]["dateTime"]
        .as_str()
        .unwrap_or_default();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .unwrap()
        .and_utc()
}

/// Waits until the fake has delivered `count` notifications in all.
async fn notified(outlook: &Outlook, count: usize) {
    until("Graph's notifications are delivered", async || {
        outlook.api.state.lock().unwrap().notifications.len() >= count
    })
    .await;
}

/// A booking at `hour` next Tuesday with its Outlook event made and the subscription
/// in place; the booking's uid and the event's id.
async fn booked_and_synced(app: &TestApp, outlook: &Outlook, hour: &str) -> (String, String) {
    pull_now(app, outlook).await;
    let uid = book(app, hour, "jane@acme.com").await;
    assert_eq!(sync_calendars(app).await, vec![Synced::Created]);
    let events = live_events(outlook, DEFAULT);
    let event = events
        .iter()
        .find(|e| {
            e.extensions
                .values()
                .any(|x| x["bookingUid"] == uid.as_str())
        })
        .expect("the booking's event");
    let id = event.value["id"].as_str().unwrap().to_string();
    // Convene's own write is news to no one: its notification changes nothing.
    notified(outlook, 1).await;
    assert!(
        apply_pushes(app)
            .await
            .iter()
            .all(|e| e.outcome.as_deref() == Some("no changes"))
    );
    (uid, id)
}

on_both_databases! {
    async fn a_host_sees_their_outlook_calendars_and_chooses_which_count(app: TestApp) {
        let outlook = connect(&app).await;
        outlook.api.state.lock().unwrap().page_size = 2;
        let listed = app.graphql(CALENDARS, json!({"id": outlook.installation})).await;
        let calendars = listed["connectedCalendars"].as_array().unwrap().clone();
        assert_eq!(calendars.len(), 3, "both pages read: {calendars:#?}");
        assert_eq!(calendars[0]["id"], DEFAULT, "the default calendar first");
        assert_eq!((calendars[0]["primary"].clone(), calendars[0]["checked"].clone(),
            calendars[0]["destination"].clone()), (json!(true), json!(true), json!(true)));
        let shared = calendars.iter().find(|c| c["id"] == SHARED).unwrap();
        assert_eq!(shared["writable"], false, "a calendar shared read-only takes no bookings");
        assert!(outlook.api.requests_to("GET /me/calendars") >= 2, "paged by @odata.nextLink");

        choose(&app, &outlook, &[DEFAULT, WORK], Some(WORK)).await;
        let again = app.graphql(CALENDARS, json!({"id": outlook.installation})).await;
        let work = again["connectedCalendars"].as_array().unwrap().iter()
            .find(|c| c["id"] == WORK).unwrap().clone();
        assert_eq!((work["checked"].clone(), work["destination"].clone()), (json!(true), json!(true)));
    }

    async fn outlook_busy_times_remove_slots_and_hold_through_throttling(app: TestApp) {
        let outlook = connect(&app).await;
        outlook.api.state.lock().unwrap().page_size = 1;
        outlook.api.user_adds(DEFAULT, "Dentist", at(&tuesday("10:00")), at(&tuesday("11:00")), false).await;
        outlook.api.user_adds(DEFAULT, "Focus (free)", at(&tuesday("14:00")), at(&tuesday("15:00")), true).await;
        outlook.api.user_adds(WORK, "Standup", at(&tuesday("16:00")), at(&tuesday("16:30")), false).await;

        let (slots, body) = tuesday_slots(&app).await;
        assert!(body["warnings"].is_null(), "{body:#}");
        assert!(!slots.contains(&at(&tuesday("10:00"))) && !slots.contains(&at(&tuesday("10:30"))),
            "busy in the default calendar: {slots:?}");
        assert!(slots.contains(&at(&tuesday("14:00"))), "an event shown as free blocks nothing");
        assert!(slots.contains(&at(&tuesday("16:00"))), "only the mailbox's own calendar counts");
        assert_eq!(outlook.api.requests_to("getSchedule"), 1, "nothing chosen yet: the mailbox's schedule");

        choose(&app, &outlook, &[DEFAULT, WORK], None).await;
        let (slots, _) = tuesday_slots(&app).await;
        assert!(!slots.contains(&at(&tuesday("10:00"))), "{slots:?}");
        assert!(slots.contains(&at(&tuesday("14:00"))), "{slots:?}");
        assert!(!slots.contains(&at(&tuesday("16:00"))), "checking a calendar counts it");
        assert!(outlook.api.requests_to("/calendarView") >= 3, "calendarView read page by page");

        choose(&app, &outlook, &[DEFAULT], None).await;
        let (before, _) = tuesday_slots(&app).await;
        choose(&app, &outlook, &[DEFAULT], None).await;
        outlook.api.fail_next(100, Outage::Throttled(120));
        let (during, body) = tuesday_slots(&app).await;
        assert_eq!(during, before, "the last known busy times still apply");
        let warning = body["warnings"][0].as_str().unwrap_or_default();
        assert!(warning.starts_with("outlook busy times are from "), "{body:#}");
    }

    async fn a_booking_becomes_an_outlook_event_that_follows_it(app: TestApp) {
        let outlook = connect(&app).await;
        choose(&app, &outlook, &[DEFAULT], Some(WORK)).await;
        let uid = book(&app, "09:00", "jane@acme.com").await;
        assert_eq!(sync_calendars(&app).await, vec![Synced::Created]);
        let events = live_events(&outlook, WORK);
        assert_eq!(events.len(), 1, "{events:#?}");
        let event = &events[0];
        assert_eq!(event.extensions["com.convene.booking"]["bookingUid"], uid.as_str());
        assert_eq!(event.value["attendees"][0]["emailAddress"]["address"], "jane@acme.com");
        assert_eq!(event.value["start"]["timeZone"], "UTC");
        let body = event.value["body"]["content"].as_str().unwrap();
        assert!(body.contains(&format!("/reschedule/{uid}")) && body.contains(&format!("/booking/{uid}?cancel=true")),
            "{body}");
        let id = event.value["id"].as_str().unwrap().to_string();
        assert!(live_events(&outlook, DEFAULT).is_empty(), "only the chosen calendar gets it");

        let moved = app.post(&format!("/v2/bookings/{uid}/reschedule"), json!({"start": tuesday("13:00")})).await;
        assert_eq!(moved.status, 201, "{:#}", moved.body);
        let new_uid = moved.data()["uid"].as_str().unwrap().to_string();
        assert_eq!(sync_calendars(&app).await, vec![Synced::Updated]);
        let events = live_events(&outlook, WORK);
        assert_eq!(events.len(), 1, "moved, not duplicated");
        assert_eq!(events[0].value["id"], id.as_str());
        assert_eq!(starts_at(&events[0]), at(&tuesday("13:00")));
        assert_eq!(events[0].extensions["com.convene.booking"]["bookingUid"], new_uid.as_str());

        let cancelled = app.post(&format!("/v2/bookings/{new_uid}/cancel"), json!({"cancellationReason": "no longer needed"})).await;
        assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
        assert_eq!(sync_calendars(&app).await, vec![Synced::Deleted]);
        assert!(live_events(&outlook, WORK).is_empty());
    }

    async fn a_teams_meeting_is_made_when_the_location_asks(app: TestApp) {
        let outlook = connect(&app).await;
        book_video_call(&app, "office365_video").await;
        assert_eq!(sync_calendars(&app).await, vec![Synced::Created]);
        let event = live_events(&outlook, DEFAULT).remove(0);
        assert_eq!(event.value["onlineMeetingProvider"], "teamsForBusiness");
        let link = event.value["onlineMeeting"]["joinUrl"].as_str().unwrap_or_default();
        assert!(link.starts_with("https://teams.microsoft.com/l/meetup-join/"), "{:#}", event.value);
        assert!(event.value["location"].is_null(), "the meeting is the location");
    }

    async fn a_throttled_or_repeated_create_never_makes_two_events(app: TestApp) {
        let outlook = connect(&app).await;
        let uid = book(&app, "09:00", "jane@acme.com").await;
        outlook.api.fail_next(1, Outage::Throttled(1));
        assert_eq!(sync_calendars(&app).await, vec![Synced::Failed]);
        let waiting = convene::store::calendars::syncs_of(&app.db, outlook.id()).await.unwrap();
        let error = waiting[0].last_error.clone().unwrap_or_default();
        assert!(error.contains("wait 1 s"), "Graph's Retry-After: {error}");
        let sent = outlook.api.requests_to("POST /me/calendars/");
        assert_eq!(convene::app::calendar_sync::run(&app.app, waiting[0].id).await.unwrap(), Synced::Failed);
        assert_eq!(outlook.api.requests_to("POST /me/calendars/"), sent, "Graph's wait is kept");
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        assert_eq!(convene::app::calendar_sync::run(&app.app, waiting[0].id).await.unwrap(), Synced::Created);

        // The create's answer was lost: it is sent again with the same transactionId.
        let id = booking(&app, &uid).await.id;
        convene::store::calendars::forget_event(&app.db, outlook.id(), id).await.unwrap();
        convene::store::calendars::enqueue_sync(&app.db, app.demo_caller().await.org_id,
            outlook.id(), id, chrono::Utc::now()).await.unwrap();
        assert_eq!(sync_calendars(&app).await, vec![Synced::Created]);
        assert_eq!(live_events(&outlook, DEFAULT).len(), 1, "still one event");
        assert_eq!(outlook.api.requests_to("POST /me/calendars/"), 3, "refused, made, made again");
    }

    async fn subscriptions_are_made_through_the_handshake_and_renewed_before_expiry(app: TestApp) {
        let outlook = connect(&app).await;
        outlook.api.grant_subscriptions_for(chrono::Duration::hours(2));
        pull_now(&app, &outlook).await;
        let subscriptions: Vec<_> = outlook.api.state.lock().unwrap().subscriptions.values().cloned().collect();
        let mut resources: Vec<&str> = subscriptions.iter().map(|s| s.resource.as_str()).collect();
        resources.sort();
        assert_eq!(resources, vec![format!("me/calendars/{DEFAULT}/events"), format!("me/calendars/{WORK}/events")],
            "one per writable calendar");
        let hook = format!("{}/hooks/{}", app.base, outlook.installation);
        assert!(subscriptions.iter().all(|s| s.notification_url == hook), "{subscriptions:?}");
        let secret = subscriptions[0].client_state.clone().unwrap_or_default();
        assert!(secret.len() >= 32, "a real secret: {secret:?}");
        assert!(apply_pushes(&app).await.is_empty(), "the handshake is answered, not stored");

        // Granted two hours: inside the renewal margin, so the next pull renews.
        let first = subscriptions[0].expires;
        pull_now(&app, &outlook).await;
        assert_eq!(outlook.api.requests_to("PATCH /subscriptions/"), 2);
        assert_eq!(outlook.api.requests_to("POST /subscriptions"), 2, "renewed, not made again");
        let renewed = outlook.api.state.lock().unwrap().subscriptions[&subscriptions[0].id].expires;
        assert!(renewed >= first);

        outlook.api.grant_subscriptions_for(chrono::Duration::days(7));
        pull_now(&app, &outlook).await;
        pull_now(&app, &outlook).await;
        assert_eq!(outlook.api.requests_to("PATCH /subscriptions/"), 4, "renewed to three days");
        assert_eq!(outlook.api.requests_to("POST /subscriptions"), 2);
    }

    async fn a_notification_without_the_client_state_is_refused(app: TestApp) {
        let outlook = connect(&app).await;
        pull_now(&app, &outlook).await;
        let subscription = outlook.api.state.lock().unwrap().subscriptions.keys().next().unwrap().clone();
        let forged = app.post(&format!("/hooks/{}", outlook.installation), json!({"value": [{
            "subscriptionId": subscription, "clientState": "guessed", "changeType": "deleted",
            "resourceData": {"id": "AAMkEvent000001"},
        }]})).await;
        assert_eq!(forged.status, 202);
        let done = apply_pushes(&app).await;
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].status, InboundStatus::Dead, "{:?}", done[0]);
        assert!(done[0].last_error.as_deref().unwrap_or_default().contains("signature"), "{:?}", done[0]);
        assert_eq!(outlook.api.requests_to("/calendarView/delta"), 2, "no delta read for it");
    }

    async fn a_booking_follows_its_event_moved_in_outlook(app: TestApp) {
        let outlook = connect(&app).await;
        let (uid, event) = booked_and_synced(&app, &outlook, "09:00").await;
        outlook.api.user_moves(&event, at(&tuesday("15:00")), at(&tuesday("15:30"))).await;
        let done = apply_pushes(&app).await;
        assert_eq!(done.len(), 1, "{done:?}");
        assert_eq!(done[0].status, InboundStatus::Applied, "{:?}", done[0]);
        let old = booking(&app, &uid).await;
        let new_uid = old.rescheduled_to_uid.clone().expect("rescheduled");
        assert_eq!(booking(&app, &new_uid).await.span.start, at(&tuesday("15:00")));
        assert_eq!(sync_calendars(&app).await, vec![Synced::Updated], "the event now carries the new booking");
        assert_eq!(live_events(&outlook, DEFAULT).len(), 1);
        notified(&outlook, 3).await;
        assert_eq!(apply_pushes(&app).await.iter().filter(|e| e.status != InboundStatus::Applied).count(), 0);
        assert_eq!(booking(&app, &new_uid).await.rescheduled_to_uid, None, "no echo moves it again");
    }

    async fn an_event_moved_beyond_the_sync_window_moves_its_booking(app: TestApp) {
        let outlook = connect(&app).await;
        let (uid, event) = booked_and_synced(&app, &outlook, "09:00").await;
        // The window reaches a year ahead: Graph reports the event `@removed` from it.
        let far = at(&tuesday("09:00")) + chrono::Duration::days(400);
        outlook.api.user_moves(&event, far, far + chrono::Duration::minutes(30)).await;
        let done = apply_pushes(&app).await;
        assert!(done.iter().all(|e| e.status == InboundStatus::Applied), "{done:?}");
        let old = booking(&app, &uid).await;
        assert_eq!(old.status, BookingStatus::Cancelled, "replaced by its rescheduled booking");
        let moved = old.rescheduled_to_uid.expect("moved, not cancelled");
        assert_eq!(booking(&app, &moved).await.span.start, far);
    }

    async fn a_booking_is_cancelled_when_its_event_is_deleted_in_outlook(app: TestApp) {
        let outlook = connect(&app).await;
        let (uid, event) = booked_and_synced(&app, &outlook, "09:00").await;
        outlook.api.user_deletes(&event).await;
        apply_pushes(&app).await;
        assert_eq!(booking(&app, &uid).await.status, BookingStatus::Cancelled);
    }

    async fn a_renamed_event_renames_the_booking_and_its_body_is_ignored(app: TestApp) {
        let outlook = connect(&app).await;
        let (uid, event) = booked_and_synced(&app, &outlook, "09:00").await;
        let before = booking(&app, &uid).await;
        outlook.api.user_rewrites_body(&event, "my own notes").await;
        let done = apply_pushes(&app).await;
        assert_eq!(done[0].outcome.as_deref(), Some("no changes"), "{done:?}");
        assert_eq!(booking(&app, &uid).await.title, before.title);

        outlook.api.user_retitles(&event, "Roadmap review").await;
        apply_pushes(&app).await;
        let after = booking(&app, &uid).await;
        assert_eq!(after.title, "Roadmap review");
        assert_eq!((after.span, after.status), (before.span, before.status));
    }

    async fn events_convene_did_not_make_never_touch_bookings(app: TestApp) {
        let outlook = connect(&app).await;
        let (uid, _) = booked_and_synced(&app, &outlook, "09:00").await;
        let own = outlook.api.user_adds(DEFAULT, "Gym", at(&tuesday("12:00")), at(&tuesday("13:00")), false).await;
        outlook.api.user_moves(&own, at(&tuesday("09:00")), at(&tuesday("09:30"))).await;
        outlook.api.user_retitles(&own, "Gym (moved)").await;
        outlook.api.user_deletes(&own).await;
        let done = apply_pushes(&app).await;
        assert_eq!(done.len(), 4);
        assert!(done.iter().all(|e| e.outcome.as_deref() == Some("no changes")), "{done:?}");
        let kept = booking(&app, &uid).await;
        assert_eq!((kept.status, kept.rescheduled_to_uid), (BookingStatus::Accepted, None));
    }

    async fn a_lost_delta_state_means_a_full_resync(app: TestApp) {
        let outlook = connect(&app).await;
        let (uid, event) = booked_and_synced(&app, &outlook, "09:00").await;
        outlook.api.forget_delta_state();
        outlook.api.state.lock().unwrap().page_size = 1;
        outlook.api.user_adds(DEFAULT, "Lunch", at(&tuesday("12:00")), at(&tuesday("13:00")), false).await;
        outlook.api.user_moves(&event, at(&tuesday("14:00")), at(&tuesday("14:30"))).await;
        let deltas = outlook.api.requests_to("/calendarView/delta");
        let done = apply_pushes(&app).await;
        assert!(done.iter().all(|e| e.status == InboundStatus::Applied), "{done:?}");
        assert!(outlook.api.requests_to("/calendarView/delta") >= deltas + 3,
            "410, then the whole window again, page by page");
        let moved = booking(&app, &uid).await.rescheduled_to_uid.expect("moved after the resync");
        assert_eq!(booking(&app, &moved).await.span.start, at(&tuesday("14:00")));
    }

    async fn what_is_kept_of_events_long_over_is_forgotten(app: TestApp) {
        let outlook = connect(&app).await;
        let (_uid, event) = booked_and_synced(&app, &outlook, "09:00").await;
        // What a booking three days ago left in the plugin's kv.
        let ended = (Utc::now() - chrono::Duration::days(3)).timestamp_millis();
        let mut index: BTreeMap<String, i64> =
            serde_json::from_slice(&installations::kv(&app.db, outlook.id()).await.unwrap()["events"]).unwrap();
        index.insert("AAMk-old".into(), ended);
        let old = json!({"uid": "old", "start_ms": ended - 1_800_000, "end_ms": ended, "subject": "Old"});
        installations::write_kv(&app.db, outlook.id(), &BTreeMap::from([
            ("event/AAMk-old".to_string(), Some(old.to_string().into_bytes())),
            ("events".to_string(), Some(serde_json::to_vec(&index).unwrap())),
        ])).await.unwrap();

        pull_now(&app, &outlook).await;
        let kv = installations::kv(&app.db, outlook.id()).await.unwrap();
        assert!(!kv.contains_key("event/AAMk-old"), "the old record is gone");
        assert!(kv.contains_key(&format!("event/{event}")), "the coming booking's stays");
        let index: BTreeMap<String, i64> = serde_json::from_slice(&kv["events"]).unwrap();
        assert_eq!(index.keys().collect::<Vec<_>>(), [&event]);
    }
}
