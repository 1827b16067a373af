//! Workflows end to end on SQLite and PostgreSQL: a "24 hours before" reminder goes out
//! once at its time (the server's clock pinned by the test), follows a reschedule,
//! disappears with a cancellation, is skipped for a booking made after its time, and is
//! not sent twice when the process that leased it dies; templates with unknown
//! variables are refused naming them; immediate triggers mail the hosts.

use std::time::Duration;

use chrono::{DateTime, Utc};
use convene::app::sms;
use convene_tests::crm::{move_into_past, tuesday};
use convene_tests::sms::{JANE, twilio};
use convene_tests::{TestApp, on_both_databases, on_both_databases_with_jobs, until};
use reqwest::Method;
use serde_json::{Value, json};

const DAY_MINUTES: u32 = 24 * 60;

/// A workflow of the demo host's, created over REST; its JSON.
async fn create_workflow(app: &TestApp, body: Value) -> Value {
    let created = app.post("/v2/workflows", body).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    created.data().clone()
}

/// A reminder `minutes` before the start, mailed to the attendees.
fn reminder(minutes: u32, send_if_late: bool) -> Value {
    json!({
        "name": "Reminder",
        "trigger": {"type": "BEFORE_START", "offset": {"value": minutes, "unit": "MINUTES"}},
        "activeOnAll": true,
        "steps": [{
            "action": "EMAIL_ATTENDEES",
            "subject": "Reminder: {EVENT_NAME}",
            "body": "Hi {ATTENDEE_FIRST_NAME}, see you {EVENT_DATE} at {EVENT_TIME} ({TIMEZONE}) with {HOST_NAME}. To move it: {RESCHEDULE_URL}",
            "sendIfLate": send_if_late,
        }],
    })
}

/// Books the demo host's 30-minute meeting as Hans (Berlin, German) at `start`; the uid.
async fn book(app: &TestApp, start: &str) -> String {
    let event_type = app.event_type_id("30min").await;
    let created = app
        .call_anonymous(
            Method::POST,
            "/v2/bookings",
            Some(json!({"eventTypeId": event_type, "start": start,
                "attendee": {"name": "Hans Müller", "email": "hans@acme.de",
                             "timeZone": "Europe/Berlin", "language": "de"}})),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    created.data()["uid"].as_str().unwrap().to_string()
}

/// The sends of workflow `id`, newest first.
async fn sends(app: &TestApp, id: &Value) -> Vec<Value> {
    let answer = app.get(&format!("/v2/workflows/{id}/sends")).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    answer.data().as_array().unwrap().clone()
}

/// Waits until workflow `id` has `count` sends (the dispatcher planned them).
async fn planned(app: &TestApp, id: &Value, count: usize) -> Vec<Value> {
    until("the workflow's sends to be planned", async || {
        sends(app, id).await.len() >= count
    })
    .await;
    sends(app, id).await
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A loopback receiver of workflow webhooks: each request's headers and body.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>;

async fn receiver() -> (String, Received) {
    let received: Received = Default::default();
    let kept = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(async move |headers: axum::http::HeaderMap, body: String| {
            kept.lock().unwrap().push((headers, body));
            "ok"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

/// Lets the sending job run a few rounds.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

on_both_databases_with_jobs! {
    async fn a_reminder_goes_out_once_at_its_time(app: TestApp) {
        let workflow = create_workflow(&app, reminder(DAY_MINUTES, false)).await;
        let start = tuesday("10:00");
        book(&app, &start).await;
        let planned = planned(&app, &workflow["id"], 1).await;
        let due = at(planned[0]["dueAt"].as_str().unwrap());
        assert_eq!(due, at(&start) - chrono::Duration::days(1), "24 hours before");
        assert_eq!(planned[0]["status"], "SCHEDULED");

        app.app.clock.pin(due - chrono::Duration::minutes(1));
        settle().await;
        assert!(app.sent_mail().is_empty(), "nothing before its time");

        app.app.clock.pin(due);
        until("the reminder", async || !app.sent_mail().is_empty()).await;
        app.app.clock.pin(due + chrono::Duration::hours(2));
        settle().await;
        let mail = app.sent_mail();
        assert_eq!(mail.len(), 1, "sent once");
        let message = &mail[0];
        assert_eq!(message.to, "Hans Müller <hans@acme.de>");
        assert_eq!(message.subject, "Reminder: 30 Minute Meeting between Demo Host and Hans Müller");
        assert!(message.text.starts_with("Hi Hans, see you Dienstag "), "in German: {}", message.text);
        assert!(message.text.contains(" at 10:00 (Europe/Berlin) with Demo Host."), "Berlin's clock: {}", message.text);
        assert!(message.text.contains("/reschedule/"), "{}", message.text);
        let after = sends(&app, &workflow["id"]).await;
        assert_eq!(after[0]["status"], "SENT");
        assert!(after[0]["sentAt"].is_string());
    }

    async fn a_reminder_follows_its_booking_when_rescheduled(app: TestApp) {
        let workflow = create_workflow(&app, reminder(DAY_MINUTES, false)).await;
        let start = tuesday("10:00");
        let uid = book(&app, &start).await;
        planned(&app, &workflow["id"], 1).await;
        let moved_to = at(&start) + chrono::Duration::days(1);
        let moved = app
            .call_anonymous(
                Method::POST,
                &format!("/v2/bookings/{uid}/reschedule"),
                Some(json!({"start": moved_to.to_rfc3339()})),
            )
            .await;
        assert_eq!(moved.status, 201, "{:#}", moved.body);
        let all = planned(&app, &workflow["id"], 2).await;
        let (new, old) = (&all[0], &all[1]);
        assert_eq!(old["status"], "CANCELLED");
        assert!(old["lastError"].as_str().unwrap().contains("moved"), "{old}");
        assert_eq!(new["status"], "SCHEDULED");
        assert_eq!(at(new["dueAt"].as_str().unwrap()), moved_to - chrono::Duration::days(1));

        app.app.clock.pin(at(&start) - chrono::Duration::hours(23));
        settle().await;
        assert!(app.sent_mail().is_empty(), "nothing at the old time");
        app.app.clock.pin(moved_to - chrono::Duration::days(1));
        until("the moved reminder", async || !app.sent_mail().is_empty()).await;
        settle().await;
        let mail = app.sent_mail();
        assert_eq!(mail.len(), 1);
        assert!(mail[0].text.contains("Mittwoch"), "the new day: {}", mail[0].text);
    }

    async fn an_edited_message_reaches_bookings_already_made_and_a_new_trigger_drops_them(app: TestApp) {
        let workflow = create_workflow(&app, reminder(DAY_MINUTES, false)).await;
        let start = tuesday("10:00");
        book(&app, &start).await;
        planned(&app, &workflow["id"], 1).await;
        let path = format!("/v2/workflows/{}", workflow["id"]);
        let mut steps = workflow["steps"].clone();
        steps[0]["body"] = json!("Bis morgen, {ATTENDEE_FIRST_NAME}!");
        let edited = app.call(Method::PATCH, &path, Some(json!({"steps": steps}))).await;
        assert_eq!(edited.status, 200, "{:#}", edited.body);
        assert_eq!(sends(&app, &workflow["id"]).await[0]["status"], "SCHEDULED", "kept");
        let due = at(&start) - chrono::Duration::days(1);
        app.app.clock.pin(due);
        until("the reminder", async || !app.sent_mail().is_empty()).await;
        assert_eq!(app.sent_mail()[0].text, "Bis morgen, Hans!", "the edited text");

        book(&app, &tuesday("11:00")).await;
        planned(&app, &workflow["id"], 2).await;
        let retimed = app
            .call(Method::PATCH, &path,
                  Some(json!({"trigger": {"type": "BEFORE_START", "offset": {"value": 2, "unit": "HOURS"}}})))
            .await;
        assert_eq!(retimed.status, 200, "{:#}", retimed.body);
        assert_eq!(retimed.data()["trigger"]["offset"]["value"], 120);
        let latest = sends(&app, &workflow["id"]).await.remove(0);
        assert_eq!(latest["status"], "CANCELLED", "{latest}");
        assert_eq!(latest["lastError"], "the workflow changed");
    }

    async fn a_cancelled_booking_takes_its_reminder_with_it(app: TestApp) {
        let workflow = create_workflow(&app, reminder(DAY_MINUTES, false)).await;
        let start = tuesday("10:00");
        let uid = book(&app, &start).await;
        planned(&app, &workflow["id"], 1).await;
        let cancelled = app
            .call_anonymous(
                Method::POST,
                &format!("/v2/bookings/{uid}/cancel"),
                Some(json!({"cancellationReason": "no longer needed"})),
            )
            .await;
        assert_eq!(cancelled.status, 200, "{:#}", cancelled.body);
        until("the reminder to be dropped", async || {
            sends(&app, &workflow["id"]).await[0]["status"] == "CANCELLED"
        })
        .await;
        app.app.clock.pin(at(&start));
        settle().await;
        assert!(app.sent_mail().is_empty(), "a cancelled booking gets no reminder");
    }

    async fn a_step_whose_time_passed_before_the_booking_is_skipped_unless_it_says_send_late(app: TestApp) {
        // The bookings are a week or more ahead: a 30-day reminder's time has passed.
        let skipped = create_workflow(&app, reminder(30 * DAY_MINUTES, false)).await;
        let late = create_workflow(&app, reminder(30 * DAY_MINUTES, true)).await;
        book(&app, &tuesday("10:00")).await;
        let skipped_sends = planned(&app, &skipped["id"], 1).await;
        assert_eq!(skipped_sends[0]["status"], "SKIPPED", "{:#}", skipped_sends[0]);
        until("the late reminder", async || {
            sends(&app, &late["id"]).await.first().is_some_and(|s| s["status"] == "SENT")
        })
        .await;
        assert_eq!(app.sent_mail().len(), 1, "only the step that says send late");
    }

    async fn a_cancellation_mails_the_hosts_at_once(app: TestApp) {
        let workflow = create_workflow(&app, json!({
            "name": "Tell me about cancellations",
            "trigger": {"type": "BOOKING_CANCELLED"},
            "activeOn": [app.event_type_id("30min").await],
            "steps": [{"action": "EMAIL_HOSTS",
                       "subject": "{ATTENDEE_NAME} cancelled",
                       "body": "{EVENT_NAME} on {EVENT_DATE} at {EVENT_TIME} was cancelled."}],
        })).await;
        let uid = book(&app, &tuesday("11:00")).await;
        assert!(sends(&app, &workflow["id"]).await.is_empty(), "a booking made is not a cancellation");
        app.call_anonymous(Method::POST, &format!("/v2/bookings/{uid}/cancel"), Some(json!({}))).await;
        until("the host's email", async || !app.sent_mail().is_empty()).await;
        let mail = app.sent_mail();
        assert_eq!(mail.len(), 1);
        let me = app.get("/v2/me").await;
        let host_email = me.data()["email"].as_str().unwrap();
        assert!(mail[0].to.contains(host_email), "{:?}", mail[0]);
        assert_eq!(mail[0].subject, "Hans Müller cancelled");
        assert!(mail[0].text.contains(" on Tuesday, "), "the host reads English: {}", mail[0].text);
        assert!(mail[0].text.ends_with(" was cancelled."), "{}", mail[0].text);
    }

    async fn webhook_steps_post_their_template_or_the_standard_body(app: TestApp) {
        let (url, received) = receiver().await;
        create_workflow(&app, json!({
            "name": "To the CRM", "trigger": {"type": "BOOKING_CREATED"}, "activeOnAll": true,
            "steps": [
                {"action": "WEBHOOK", "sendTo": url,
                 "body": "{\"who\": \"{ATTENDEE_NAME}\", \"at\": \"{EVENT_TIME}\", \"tz\": \"{TIMEZONE}\"}"},
                {"action": "WEBHOOK", "sendTo": url},
            ],
        })).await;
        let uid = book(&app, &tuesday("10:00")).await;
        until("both webhooks", async || received.lock().unwrap().len() == 2).await;
        let calls = received.lock().unwrap().clone();
        let templated = calls.iter().find(|(_, b)| b.contains("\"who\"")).unwrap();
        let body: Value = serde_json::from_str(&templated.1).unwrap();
        assert_eq!(body, json!({"who": "Hans Müller", "at": "10:00 AM", "tz": "Europe/Berlin"}),
            "a fixed recipient reads the host's language and clock");
        assert_eq!(templated.0["content-type"], "application/json");
        assert!(templated.0["x-convene-delivery-id"].to_str().unwrap().starts_with("workflow-send-"));
        let standard = calls.iter().find(|(_, b)| !b.contains("\"who\"")).unwrap();
        let body: Value = serde_json::from_str(&standard.1).unwrap();
        assert_eq!(body["triggerEvent"], "BOOKING_CREATED");
        assert_eq!(body["payload"]["uid"], uid.as_str());
    }

    async fn a_routing_form_submitted_mails_its_answers_to_a_team_inbox(app: TestApp) {
        create_workflow(&app, json!({
            "name": "New lead", "trigger": {"type": "FORM_SUBMITTED"},
            "steps": [{"action": "EMAIL_ADDRESS", "sendTo": "leads@acme.com",
                       "subject": "New answer to {FORM_NAME}",
                       "body": "Seats: {ANSWER_SEATS}\n{FORM_RESPONSES}"}],
        })).await;
        let form = app.post("/v2/routing-forms", json!({
            "name": "Contact us",
            "fields": [{"id": "interest", "label": "What do you need?", "type": "text"},
                       {"id": "seats", "label": "Seats", "type": "number"}],
            "routes": [],
            "fallback": {"action": "message", "message": "Thanks."},
        })).await;
        assert_eq!(form.status, 201, "{:#}", form.body);
        let id = form.data()["id"].as_i64().unwrap();
        let submitted = app
            .call_anonymous(Method::POST, &format!("/v2/routing-forms/{id}/responses"),
                Some(json!({"interest": "A demo", "seats": 40})))
            .await;
        assert_eq!(submitted.status, 201, "{:#}", submitted.body);
        until("the lead's email", async || !app.sent_mail().is_empty()).await;
        let mail = app.sent_mail();
        assert_eq!(mail[0].to, "leads@acme.com");
        assert_eq!(mail[0].subject, "New answer to Contact us");
        assert_eq!(mail[0].text, "Seats: 40\nWhat do you need?: A demo\nSeats: 40");
    }

    async fn an_sms_step_reaches_the_attendees_phone_and_its_delivery_is_tracked(app: TestApp) {
        let t = twilio(&app).await;
        let workflow = create_workflow(&app, json!({
            "name": "Text the invitee", "trigger": {"type": "BOOKING_CREATED"}, "activeOnAll": true,
            "steps": [{"action": "SMS_ATTENDEES",
                       "body": "Hi {ATTENDEE_FIRST_NAME}, booked: {EVENT_DATE} {EVENT_TIME} with {HOST_NAME}."}],
        })).await;
        let event_type = app.event_type_id("30min").await;
        let booked = app.call_anonymous(Method::POST, "/v2/bookings", Some(json!({
            "eventTypeId": event_type, "start": tuesday("10:00"),
            "attendee": {"name": "Jane Doe", "email": "jane@acme.com", "timeZone": "America/New_York",
                         "phoneNumber": JANE}}))).await;
        assert_eq!(booked.status, 201, "{:#}", booked.body);
        until("the text message", async || !t.fake.messages().is_empty()).await;
        let messages = t.fake.messages();
        assert_eq!(messages[0]["to"], JANE);
        let body = messages[0]["body"].as_str().unwrap();
        assert!(body.starts_with("Hi Jane, booked: Tuesday, "), "{body}");
        assert!(body.ends_with(" 4:00 AM with Demo Host."), "New York's clock: {body}");

        let send = planned(&app, &workflow["id"], 1).await.remove(0);
        assert_eq!(send["status"], "SENT");
        let reference = format!("workflow-send-{}-0", send["id"]);
        until("delivery, reported by a signed callback", async || {
            sms::status(&app.app, t.org, &reference).await.unwrap().is_some_and(|s| s.status == "delivered")
        })
        .await;
        let callbacks = t.fake.state.lock().unwrap().callbacks.clone();
        assert!(callbacks.iter().all(|(_, _, answer)| *answer == 202), "{callbacks:?}");
        assert_eq!(t.fake.messages().len(), 1, "one text");
    }

    async fn a_step_that_cannot_be_sent_fails_and_tells_its_owner(app: TestApp) {
        // No SMS provider is installed.
        let workflow = create_workflow(&app, json!({
            "name": "Text me", "trigger": {"type": "BOOKING_CREATED"}, "activeOnAll": true,
            "steps": [{"action": "SMS_NUMBER", "sendTo": "+44 20 7946 0958", "body": "{ATTENDEE_NAME} booked"}],
        })).await;
        book(&app, &tuesday("10:00")).await;
        until("the step to fail", async || {
            sends(&app, &workflow["id"]).await.first().is_some_and(|s| s["status"] == "FAILED")
        })
        .await;
        let send = sends(&app, &workflow["id"]).await.remove(0);
        assert!(send["lastError"].as_str().unwrap().contains("messages"), "{send}");
        let notices = app.get("/v2/me/notifications").await;
        let notices = notices.data().as_array().unwrap();
        let failed: Vec<&Value> = notices.iter().filter(|n| n["kind"] == "WORKFLOW_SEND_FAILED").collect();
        assert_eq!(failed.len(), 1, "{notices:?}");
        assert_eq!(failed[0]["subject"], format!("workflow:{}", workflow["id"]));
        assert!(failed[0]["message"].as_str().unwrap().starts_with("Step 1 of workflow \"Text me\" could not be sent"));
    }

    async fn a_no_show_marked_mails_the_attendee_who_missed_it(app: TestApp) {
        create_workflow(&app, json!({
            "name": "Missed you", "trigger": {"type": "NO_SHOW_MARKED"}, "activeOnAll": true,
            "steps": [{"action": "EMAIL_ATTENDEES", "subject": "Sorry we missed you",
                       "body": "Hi {ATTENDEE_FIRST_NAME}, pick a new time: {RESCHEDULE_URL}"}],
        })).await;
        let uid = book(&app, &tuesday("10:00")).await;
        move_into_past(&app, &uid, 1).await;
        let marked = app
            .post(&format!("/v2/bookings/{uid}/mark-absent"),
                  json!({"attendees": [{"email": "hans@acme.de", "absent": true}]}))
            .await;
        assert_eq!(marked.status, 200, "{:#}", marked.body);
        until("the no-show email", async || !app.sent_mail().is_empty()).await;
        let mail = app.sent_mail();
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].subject, "Sorry we missed you");
        assert!(mail[0].text.starts_with("Hi Hans, pick a new time: "), "{}", mail[0].text);
    }

    async fn attendee_steps_are_refused_for_routing_forms(app: TestApp) {
        let refused = app.post("/v2/workflows", json!({
            "name": "x", "trigger": {"type": "FORM_SUBMITTED"},
            "steps": [{"action": "EMAIL_ATTENDEES", "subject": "s", "body": "{EVENT_DATE}"}],
        })).await;
        assert_eq!(refused.status, 422, "{:#}", refused.body);
        let fields = refused.fields();
        assert!(fields.contains(&"steps[0].action".to_string()) && fields.contains(&"steps[0].body".to_string()), "{fields:?}");
    }
}

on_both_databases! {
    async fn a_send_leased_by_a_process_that_died_is_sent_once_after_its_lease(app: TestApp) {
        let workflow = create_workflow(&app, reminder(DAY_MINUTES, false)).await;
        let start = tuesday("10:00");
        book(&app, &start).await;
        // This server runs no jobs: plan as its dispatcher would, then lease the due
        // send and die before sending it.
        convene::app::webhooks::fan_out(&app.app, 100, Utc::now()).await.unwrap();
        let due = at(&start) - chrono::Duration::days(1);
        app.app.clock.pin(due);
        let leased = convene::app::workflows::lease_due(&app.app, Duration::from_secs(120), 10)
            .await
            .unwrap();
        assert_eq!(leased.len(), 1);

        let restarted = app.restart().await;
        restarted.app.clock.pin(due + chrono::Duration::seconds(60));
        settle().await;
        assert!(restarted.sent_mail().is_empty(), "the dead process's lease still holds");
        restarted.app.clock.pin(due + chrono::Duration::seconds(121));
        until("the reminder after the lease", async || !restarted.sent_mail().is_empty()).await;
        restarted.app.clock.pin(due + chrono::Duration::days(2));
        let second = app.restart().await;
        second.app.clock.pin(due + chrono::Duration::days(2));
        settle().await;
        assert_eq!(restarted.sent_mail().len(), 1, "two live workers, one message");
        assert_eq!(sends(&restarted, &workflow["id"]).await[0]["status"], "SENT");
    }

    async fn unknown_template_variables_are_refused_by_name(app: TestApp) {
        let mut body = reminder(60, false);
        body["steps"][0]["body"] = json!("Hi {ATENDEE_NAME}, {EVENT_TIME} {Foo Bar}");
        let refused = app.post("/v2/workflows", body).await;
        assert_eq!(refused.status, 422, "{:#}", refused.body);
        assert_eq!(refused.fields(), ["steps[0].body"]);
        let message = refused.body["error"]["details"][0]["message"].as_str().unwrap();
        let (named, _) = message.split_once("; use").unwrap();
        assert_eq!(named, "unknown variable {ATENDEE_NAME}, {FOO_BAR}");

        let no_offset = app.post("/v2/workflows", json!({
            "name": "x", "trigger": {"type": "BEFORE_START"}, "activeOnAll": true,
            "steps": [{"action": "SMS_NUMBER", "sendTo": "555-1234", "body": "hi"},
                      {"action": "EMAIL_ADDRESS", "sendTo": "team@acme.com", "body": "no subject"}],
        })).await;
        assert_eq!(no_offset.status, 422, "{:#}", no_offset.body);
        let fields = no_offset.fields();
        for field in ["trigger", "steps[0].sendTo", "steps[1].subject"] {
            assert!(fields.contains(&field.to_string()), "{field} in {fields:?}");
        }

        let other = app.other_org_key().await;
        let foreign = app.call_as(&other, Method::POST, "/v2/workflows", Some(json!({
            "name": "x", "trigger": {"type": "BOOKING_CREATED"},
            "activeOn": [app.event_type_id("30min").await],
            "steps": [{"action": "EMAIL_HOSTS", "subject": "s", "body": "b"}],
        }))).await;
        assert_eq!(foreign.status, 422, "{:#}", foreign.body);
        assert_eq!(foreign.fields(), ["activeOn[0]"]);
    }

    async fn graphql_creates_lists_and_previews_workflows(app: TestApp) {
        let data = app.graphql(
            r#"mutation($input: WorkflowInput!) { createWorkflow(input: $input) {
                 id trigger offsetMinutes activeOnAll steps { action subject body } } }"#,
            json!({"input": {"name": "Thanks", "trigger": "AFTER_END", "offsetMinutes": 60,
                   "activeOnAll": true,
                   "steps": [{"action": "EMAIL_ATTENDEES", "subject": "Thanks, {ATTENDEE_FIRST_NAME}",
                              "body": "Thanks for meeting {HOST_NAME}."}]}}),
        ).await;
        let created = &data["createWorkflow"];
        assert_eq!(created["trigger"], "AFTER_END");
        assert_eq!(created["offsetMinutes"], 60);
        let listed = app.graphql("{ workflows { id name sends { status } } }", json!({})).await;
        assert_eq!(listed["workflows"][0]["id"], created["id"]);

        let preview = app.graphql(
            r#"query { workflowPreview(subject: "Hi {ATTENDEE_NAME}", body: "{EVENT_DATE} {EVENT_TIME}",
                 timeZone: "Europe/Paris", language: "fr") { subject body } }"#,
            json!({}),
        ).await;
        assert_eq!(preview["workflowPreview"]["subject"], "Hi Jane Doe");
        assert_eq!(preview["workflowPreview"]["body"], "mardi 8 décembre 2026 16:00");
        let refused = app.graphql_as(convene_tests::DEMO_KEY,
            r#"query { workflowPreview(body: "{NOPE}") { body } }"#, json!({})).await;
        assert_eq!(refused.graphql_refusal().0, "VALIDATION_ERROR");

        let id = created["id"].as_str().unwrap();
        let deleted = app.call(Method::DELETE, &format!("/v2/workflows/{id}"), None).await;
        assert_eq!(deleted.status, 200);
        assert_eq!(app.get(&format!("/v2/workflows/{id}")).await.status, 404);
    }
}
