//! Changes made in Google Calendar reaching Convene's bookings, end to end: the
//! `google-calendar` plugin opens push channels on the host's writable calendars, the
//! Google fake POSTs its notifications to the running server's `/hooks`, the plugin
//! syncs the calendar incrementally, and the host applies what changed to the bookings
//! whose events Convene wrote, under the sync rules, with the background jobs running.

use chrono::{Duration, Utc};
use convene::app::provider_changes;
use convene::domain::booking::{Booking, BookingStatus};
use convene::domain::sync_rules::Wanted;
use convene_tests::calendars::{
    ConnectedGoogle, at, booking, connect_google, connect_google_watched, event_for, pull_now,
};
use convene_tests::crm::{book, tuesday};
use convene_tests::fakes::google::{PRIMARY, TEAM};
use convene_tests::{Backend, TestApp, on_both_databases_with_jobs, until};
use serde_json::json;

/// The live booking `uid` became (itself, or where reschedules led).
async fn current(app: &TestApp, uid: &str) -> Booking {
    let mut found = booking(app, uid).await;
    while let Some(next) = found.rescheduled_to_uid.clone() {
        found = booking(app, &next).await;
    }
    found
}

/// Books Tuesday `hhmm` and waits for its event in the primary calendar; its uid and
/// the event's id.
async fn synced_booking(app: &TestApp, google: &ConnectedGoogle, hhmm: &str) -> (String, String) {
    let uid = book(app, hhmm, "jane@acme.com").await;
    let event = event_for(google, PRIMARY, &uid).await;
    (uid, event["id"].as_str().unwrap().to_string())
}

/// Waits until the event `id` in `calendar` carries booking `uid` (Convene's own write
/// after a change landed), so the next change by the user is not overwritten by it.
async fn settled(google: &ConnectedGoogle, calendar: &str, id: &str, uid: &str) {
    until("Convene's write of the event", async || {
        google
            .api
            .state
            .lock()
            .unwrap()
            .events(calendar)
            .iter()
            .any(|e| e["id"] == id && e["extendedProperties"]["private"]["convene_booking"] == uid)
    })
    .await;
}

/// What the inbound events of the installation came to, oldest first.
async fn outcomes(app: &TestApp, google: &ConnectedGoogle) -> Vec<String> {
    let org = app.demo_caller().await.org_id;
    let page = convene::store::inbound::list(
        &app.db,
        org,
        Some(google.id()),
        None,
        convene::store::Keyset {
            after: None,
            limit: 500,
        },
    )
    .await
    .unwrap();
    page.into_iter()
        .rev()
        .map(|e| {
            e.outcome
                .or(e.last_error)
                .unwrap_or_else(|| "pending".into())
        })
        .collect()
}

/// Waits until some inbound event's outcome contains `text`.
async fn outcome_saying(app: &TestApp, google: &ConnectedGoogle, text: &str) {
    until(&format!("an inbound outcome saying `{text}`"), async || {
        outcomes(app, google).await.iter().any(|o| o.contains(text))
    })
    .await;
}

fn kinds(app_kinds: &[String], kind: &str) -> usize {
    app_kinds.iter().filter(|k| *k == kind).count()
}

on_both_databases_with_jobs! {
    async fn a_moved_event_reschedules_its_booking_and_a_move_into_the_past_is_ignored(app: TestApp) {
        let google = connect_google_watched(&app).await;
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        google.api.user_moves(PRIMARY, &event, at(&tuesday("14:00")), at(&tuesday("14:30")));
        until("the booking moved", async || current(&app, &uid).await.uid != uid).await;
        let moved = current(&app, &uid).await;
        assert_eq!(moved.span.start, at(&tuesday("14:00")));
        assert_eq!(moved.status, BookingStatus::Accepted);
        assert_eq!(booking(&app, &uid).await.status, BookingStatus::Cancelled);
        assert_eq!(kinds(&app.outbox_kinds().await, "BOOKING_RESCHEDULED"), 1,
            "subscribers (and so the attendee's integrations) hear of it");

        settled(&google, PRIMARY, &event, &moved.uid).await;
        let yesterday = Utc::now() - Duration::days(1);
        google.api.user_moves(PRIMARY, &event, yesterday, yesterday + Duration::minutes(30));
        outcome_saying(&app, &google, "the new time is in the past").await;
        assert_eq!(current(&app, &uid).await.span.start, at(&tuesday("14:00")), "left where it was");
    }

    async fn a_deleted_event_cancels_its_booking(app: TestApp) {
        let google = connect_google_watched(&app).await;
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        google.api.user_deletes(PRIMARY, &event);
        until("the booking cancelled", async || {
            booking(&app, &uid).await.status == BookingStatus::Cancelled
        }).await;
        assert_eq!(kinds(&app.outbox_kinds().await, "BOOKING_CANCELLED"), 1);
        assert!(booking(&app, &uid).await.rescheduled_to_uid.is_none(), "cancelled, not moved");
    }

    async fn a_new_title_is_synced_and_a_new_description_ignored(app: TestApp) {
        let google = connect_google_watched(&app).await;
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        let before = booking(&app, &uid).await;
        google.api.user_redescribes(PRIMARY, &event, "my private notes");
        google.api.user_retitles(PRIMARY, &event, "Renewal call");
        until("the title synced", async || booking(&app, &uid).await.title == "Renewal call").await;
        let after = booking(&app, &uid).await;
        assert_eq!(after.description, before.description, "descriptions are not synced");
        assert_eq!((after.span, after.status), (before.span, before.status));
    }

    async fn events_convene_did_not_create_never_touch_bookings(app: TestApp) {
        let google = connect_google_watched(&app).await;
        let (uid, _) = synced_booking(&app, &google, "09:00").await;
        // The host's own event, and one that claims to be this booking's but is not the
        // event Convene wrote for it.
        google.api.add_busy(PRIMARY, at(&tuesday("11:00")), at(&tuesday("12:00")));
        google.api.put_event(PRIMARY, json!({"kind": "calendar#event", "id": "forged00001",
            "status": "confirmed", "summary": "Not ours",
            "start": {"dateTime": tuesday("15:00")}, "end": {"dateTime": tuesday("15:30")},
            "extendedProperties": {"private": {"convene_booking": uid}}}));
        google.api.user_retitles(PRIMARY, "forged00001", "Still not ours");
        outcome_saying(&app, &google, "which is no Convene booking: skipped").await;
        google.api.user_deletes(PRIMARY, "forged00001");
        until("the deletion read", async || {
            outcomes(&app, &google).await.iter()
                .filter(|o| o.contains("no Convene booking")).count() >= 2
        }).await;
        let after = booking(&app, &uid).await;
        assert_eq!((after.status, after.span.start, after.rescheduled_to_uid),
            (BookingStatus::Accepted, at(&tuesday("09:00")), None));
    }

    async fn the_same_event_seen_through_two_calendars_is_applied_once(app: TestApp) {
        let google = connect_google_watched(&app).await;
        until("a channel on the team calendar", async || {
            google.api.state.lock().unwrap().open_channel(TEAM).is_some()
        }).await;
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        let copy = event_for(&google, PRIMARY, &uid).await;
        google.api.put_event(TEAM, copy);
        google.api.user_moves(TEAM, &event, at(&tuesday("13:00")), at(&tuesday("13:30")));
        google.api.user_moves(PRIMARY, &event, at(&tuesday("13:00")), at(&tuesday("13:30")));
        until("the booking moved", async || current(&app, &uid).await.uid != uid).await;
        outcome_saying(&app, &google, "already so").await;
        assert_eq!(kinds(&app.outbox_kinds().await, "BOOKING_RESCHEDULED"), 1, "moved once");
        assert_eq!(current(&app, &uid).await.span.start, at(&tuesday("13:00")));
    }

    async fn an_event_moved_to_another_calendar_is_followed(app: TestApp) {
        let google = connect_google_watched(&app).await;
        until("a channel on the team calendar", async || {
            google.api.state.lock().unwrap().open_channel(TEAM).is_some()
        }).await;
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        let before = outcomes(&app, &google).await.len();
        google.api.user_moves_to_calendar(PRIMARY, &event, TEAM);
        until("both calendars read", async || {
            let read = outcomes(&app, &google).await;
            read.len() >= before + 2 && !read.iter().any(|o| o == "pending")
        }).await;
        assert_eq!(booking(&app, &uid).await.status, BookingStatus::Accepted, "moved, not deleted");

        let moved = app.post(&format!("/v2/bookings/{uid}/reschedule"),
            json!({"start": tuesday("15:00")})).await;
        assert_eq!(moved.status, 201, "{:#}", moved.body);
        let new_uid = moved.data()["uid"].as_str().unwrap().to_string();
        settled(&google, TEAM, &event, &new_uid).await;
        let there = event_for(&google, TEAM, &new_uid).await;
        assert_eq!(at(there["start"]["dateTime"].as_str().unwrap()), at(&tuesday("15:00")));
        let primary = google.api.state.lock().unwrap().events(PRIMARY);
        assert!(primary.iter().all(|e| e["id"] != event.as_str() || e["status"] == "cancelled"),
            "nothing written back to the calendar it left: {primary:#?}");
    }

    async fn a_third_change_in_a_minute_waits_for_the_minute_to_end(app: TestApp) {
        let google = connect_google_watched(&app).await;
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        for hhmm in ["10:00", "11:00"] {
            google.api.user_moves(PRIMARY, &event,
                at(&tuesday(hhmm)), at(&tuesday(hhmm)) + Duration::minutes(30));
            until("the move applied", async || current(&app, &uid).await.span.start == at(&tuesday(hhmm))).await;
            settled(&google, PRIMARY, &event, &current(&app, &uid).await.uid).await;
        }
        google.api.user_moves(PRIMARY, &event, at(&tuesday("14:00")), at(&tuesday("14:30")));
        let third = Wanted::At { start_ms: at(&tuesday("14:00")).timestamp_millis() };
        until("the third move held back", async || {
            let waiting = convene::store::pending_changes::of_installation(&app.db, google.id()).await.unwrap();
            matches!(waiting.as_slice(), [held] if held.wanted == third && held.attempts == 0)
        }).await;
        assert_eq!(current(&app, &uid).await.span.start, at(&tuesday("11:00")), "not applied yet");

        let after_the_minute = Utc::now() + Duration::seconds(61);
        let due = provider_changes::lease_due(&app.app, std::time::Duration::from_secs(60), 10, after_the_minute)
            .await.unwrap();
        assert_eq!(due.len(), 1, "one change waits, due when the minute ends");
        let done = provider_changes::apply_waiting(&app.app, due[0], after_the_minute).await.unwrap();
        assert!(done.starts_with("moved booking"), "{done}");
        assert_eq!(current(&app, &uid).await.span.start, at(&tuesday("14:00")), "coalesced, not dropped");
        assert_eq!(kinds(&app.outbox_kinds().await, "BOOKING_RESCHEDULED"), 3);
        assert!(convene::store::pending_changes::of_installation(&app.db, google.id()).await.unwrap().is_empty());
    }

    async fn a_retry_of_an_older_change_never_replaces_a_newer_one_held_back(app: TestApp) {
        use convene::store::pending_changes::{self as pending, PendingChange};
        let google = connect_google_watched(&app).await;
        let org = app.demo_caller().await.org_id;
        let heard = Utc::now();
        let later = Utc::now() + Duration::hours(1);
        let change = |hhmm: &str, received_at, attempts| PendingChange {
            id: 0,
            org_id: org,
            installation_id: google.id(),
            external_id: "evt-1".into(),
            wanted: Wanted::At { start_ms: at(&tuesday(hhmm)).timestamp_millis() },
            changed_at: None,
            received_at,
            attempts,
            due_at: later,
            last_error: None,
        };
        let older = change("11:00", heard, 1);
        let newer = change("14:00", heard + Duration::seconds(5), 0);
        pending::keep(&app.db, &newer, Utc::now()).await.unwrap();
        pending::keep(&app.db, &older, Utc::now()).await.unwrap();
        let waiting = pending::of_installation(&app.db, google.id()).await.unwrap();
        assert_eq!(waiting.iter().map(|w| &w.wanted).collect::<Vec<_>>(), [&newer.wanted]);

        pending::drop_superseded(&app.db, &older).await.unwrap();
        assert_eq!(pending::of_installation(&app.db, google.id()).await.unwrap().len(), 1,
            "settling the older change leaves the newer one waiting");
        pending::drop_superseded(&app.db, &newer).await.unwrap();
        assert!(pending::of_installation(&app.db, google.id()).await.unwrap().is_empty());
    }

    async fn a_change_that_cannot_be_applied_is_retried_three_times_then_the_host_is_told(app: TestApp) {
        let google = connect_google_watched(&app).await;
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        let (_other, _) = synced_booking(&app, &google, "11:00").await;
        // Onto another booking of the host: Convene cannot move it there.
        google.api.user_moves(PRIMARY, &event, at(&tuesday("11:00")), at(&tuesday("11:30")));
        until("the host told", async || {
            let notices = app.get("/v2/me/notifications").await;
            notices.data().as_array().into_iter().flatten()
                .any(|n| n["kind"] == provider_changes::INBOUND_SYNC_FAILED)
        }).await;
        let notices = app.get("/v2/me/notifications").await;
        let notice = notices.data().as_array().unwrap().iter()
            .find(|n| n["kind"] == provider_changes::INBOUND_SYNC_FAILED).unwrap().clone();
        assert!(notice["message"].as_str().unwrap().contains(&uid), "{notice:#}");
        assert_eq!(current(&app, &uid).await.span.start, at(&tuesday("09:00")), "unchanged");
        assert!(convene::store::pending_changes::of_installation(&app.db, google.id()).await.unwrap().is_empty(),
            "given up after the last attempt");
        let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("calendar_inbound_changes_total{outcome=\"failed\"}"), "{metrics}");
    }

    async fn one_occurrence_of_a_series_moves_alone(app: TestApp) {
        let google = connect_google_watched(&app).await;
        let weekly = app.post("/v2/event-types", json!({"title": "Weekly", "slug": "weekly",
            "lengthInMinutes": 30, "recurrence": {"frequency": "weekly", "interval": 1, "occurrences": 3}})).await;
        assert_eq!(weekly.status, 201, "{:#}", weekly.body);
        let series = app.book_as_jane(json!({"eventTypeId": weekly.data()["id"],
            "start": tuesday("09:00"), "recurrenceCount": 3})).await;
        assert_eq!(series.status, 201, "{:#}", series.body);
        let uids: Vec<String> = series.data().as_array().unwrap().iter()
            .map(|b| b["uid"].as_str().unwrap().to_string()).collect();
        assert_eq!(uids.len(), 3);
        let mut events = Vec::new();
        for uid in &uids {
            events.push(event_for(&google, PRIMARY, uid).await["id"].as_str().unwrap().to_string());
        }
        let second = booking(&app, &uids[1]).await.span.start;
        let to = second + Duration::hours(2);
        google.api.user_moves(PRIMARY, &events[1], to, to + Duration::minutes(30));
        until("the second occurrence moved", async || current(&app, &uids[1]).await.uid != uids[1]).await;
        assert_eq!(current(&app, &uids[1]).await.span.start, to);
        for uid in [&uids[0], &uids[2]] {
            let other = booking(&app, uid).await;
            assert_eq!((other.status, other.rescheduled_to_uid), (BookingStatus::Accepted, None),
                "the rest of the series stays");
        }
    }

    async fn a_team_that_switched_sync_off_keeps_its_bookings(app: TestApp) {
        let team = app.post("/v2/teams", json!({"name": "Success", "slug": "success"})).await;
        assert_eq!(team.status, 201, "{:#}", team.body);
        assert_eq!(team.data()["calendarSyncEnabled"], true);
        let team_id = team.data()["id"].as_i64().unwrap();
        let me = app.get("/v2/me").await.data()["id"].clone();
        let created = app.post(&format!("/v2/teams/{team_id}/event-types"), json!({
            "title": "Onboarding", "slug": "onboarding", "lengthInMinutes": 30,
            "schedulingType": "COLLECTIVE", "hosts": [{"userId": me}]})).await;
        assert_eq!(created.status, 201, "{:#}", created.body);
        let google = connect_google_watched(&app).await;
        let booked = app.book_as_jane(json!({"eventTypeId": created.data()["id"], "start": tuesday("09:00")})).await;
        assert_eq!(booked.status, 201, "{:#}", booked.body);
        let uid = booked.data()["uid"].as_str().unwrap().to_string();
        let event = event_for(&google, PRIMARY, &uid).await["id"].as_str().unwrap().to_string();

        let off = app.call(reqwest::Method::PATCH, &format!("/v2/teams/{team_id}"),
            Some(json!({"calendarSyncEnabled": false}))).await;
        assert_eq!(off.status, 200, "{:#}", off.body);
        assert_eq!(off.data()["calendarSyncEnabled"], false);
        google.api.user_deletes(PRIMARY, &event);
        outcome_saying(&app, &google, "team `success` switched calendar sync off").await;
        assert_eq!(booking(&app, &uid).await.status, BookingStatus::Accepted);
    }

    async fn a_channel_is_renewed_before_it_expires(app: TestApp) {
        let google = connect_google(&app).await;
        // Channels that last two hours: within the renewal margin from the start.
        google.api.state.lock().unwrap().channel_ttl = Some(Duration::hours(2));
        pull_now(&app, &google).await;
        let first = google.api.state.lock().unwrap().open_channel(PRIMARY).unwrap().clone();
        google.api.state.lock().unwrap().channel_ttl = None;
        pull_now(&app, &google).await;
        let renewed = google.api.state.lock().unwrap().open_channel(PRIMARY).unwrap().clone();
        assert_ne!(renewed.id, first.id, "a new channel");
        assert!(renewed.expiration > Utc::now() + Duration::days(6), "{renewed:?}");
        assert!(google.api.state.lock().unwrap().channels.iter().any(|c| c.id == first.id && c.stopped),
            "the old channel stopped");
        pull_now(&app, &google).await;
        assert_eq!(google.api.state.lock().unwrap().open_channel(PRIMARY).unwrap().id, renewed.id,
            "a channel far from its expiry is kept");
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        google.api.user_deletes(PRIMARY, &event);
        until("the booking cancelled through the new channel", async || {
            booking(&app, &uid).await.status == BookingStatus::Cancelled
        }).await;
    }

    async fn a_sync_token_google_dropped_means_a_full_resync(app: TestApp) {
        let google = connect_google_watched(&app).await;
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        google.api.invalidate_sync_tokens();
        google.api.user_moves(PRIMARY, &event, at(&tuesday("16:00")), at(&tuesday("16:30")));
        until("the booking moved", async || current(&app, &uid).await.span.start == at(&tuesday("16:00"))).await;
        let lists = google.api.state.lock().unwrap().requests.iter()
            .filter(|r| r.starts_with("GET /calendars/") && r.ends_with("/events")).count();
        assert!(lists >= 2, "the refused incremental list and the full one");
    }

    async fn a_push_without_the_channel_token_is_refused(app: TestApp) {
        let google = connect_google_watched(&app).await;
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        let channel = google.api.state.lock().unwrap().open_channel(PRIMARY).unwrap().clone();
        // Once the push of Convene's own write is read, the event changes without a
        // notification, then a forged one arrives.
        outcome_saying(&app, &google, "already so").await;
        until("every push read", async || !outcomes(&app, &google).await.iter().any(|o| o == "pending")).await;
        google.api.state.lock().unwrap().channels.iter_mut().for_each(|c| c.stopped = true);
        google.api.user_deletes(PRIMARY, &event);
        let forged = app.client.post(format!("{}/hooks/{}", app.base, google.id()))
            .header("X-Goog-Channel-ID", &channel.id)
            .header("X-Goog-Channel-Token", "guessed")
            .header("X-Goog-Resource-State", "exists")
            .header("X-Goog-Message-Number", "99")
            .send().await.unwrap();
        assert_eq!(forged.status(), 202, "kept first, judged later");
        outcome_saying(&app, &google, "signature").await;
        assert_eq!(booking(&app, &uid).await.status, BookingStatus::Accepted);
    }
}

/// The global kill switch, on both databases.
mod a_global_kill_switch_leaves_every_booking_alone {
    use super::*;

    async fn run(app: TestApp) {
        let google = connect_google_watched(&app).await;
        let (uid, event) = synced_booking(&app, &google, "09:00").await;
        google.api.user_deletes(PRIMARY, &event);
        outcome_saying(&app, &google, "calendar sync is switched off").await;
        assert_eq!(booking(&app, &uid).await.status, BookingStatus::Accepted);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(TestApp::spawn_configured(Backend::Sqlite, |s| s.calendar_sync = false).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(TestApp::spawn_configured(Backend::Postgres, |s| s.calendar_sync = false).await).await
    }
}
