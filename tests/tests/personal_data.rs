//! A stakeholder's personal data under the GDPR, end to end on SQLite and PostgreSQL:
//! the export holds everything about them, the erasure leaves their bookings readable,
//! cancellable and counted for the customer, and no stored copy keeps their address.

use convene_tests::crm::{create_customer, tuesday};
use convene_tests::{Answer, Backend, DEMO_KEY, TestApp};
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const JANE: &str = "jane@acme.com";
const PHONE: &str = "+4915112345678";

/// What the tests share: Acme with stakeholder Jane, a booking she made (anonymously,
/// with an `Idempotency-Key`), a booking Bob made with her as a guest, and a
/// scheduling link made for her.
struct World {
    acme: Value,
    jane: Value,
    hers: String,
    bobs: String,
    /// Jane's booking request, to repeat with the same key.
    request: Value,
}

async fn world(app: &TestApp) -> World {
    let acme = create_customer(app, json!({"name": "Acme", "domains": ["acme.com"]})).await;
    let jane = app
        .graphql(
            "mutation($c: ID!) { addStakeholder(customerId: $c, input: {name: \"Jane Doe\", email: \"Jane@Acme.com\", title: \"CTO\", role: \"champion\"}) { id } }",
            json!({ "c": acme }),
        )
        .await["addStakeholder"]["id"]
        .clone();
    let thirty = app.event_type_id("30min").await;
    let request = json!({"eventTypeId": thirty, "start": tuesday("09:00"),
        "attendee": {"name": "Jane Doe", "email": "Jane@Acme.com", "timeZone": "Europe/Berlin", "phoneNumber": PHONE}});
    let hers = app
        .send(
            app.request(Method::POST, "/v2/bookings", Some(request.clone()))
                .header("Idempotency-Key", "jane-books"),
        )
        .await;
    assert_eq!(hers.status, 201, "{:#}", hers.body);
    let bobs = app
        .call_anonymous(
            Method::POST,
            "/v2/bookings",
            Some(json!({"eventTypeId": thirty, "start": tuesday("10:00"), "guests": ["JANE@acme.com"],
                "attendee": {"name": "Bob Roe", "email": "bob@acme.com", "timeZone": "Europe/Berlin"}})),
        )
        .await;
    assert_eq!(bobs.status, 201, "{:#}", bobs.body);
    app.graphql(
        "mutation($e: ID!, $s: ID) { createSchedulingLink(input: {eventTypeId: $e, stakeholderId: $s}) { id } }",
        json!({"e": thirty.to_string(), "s": jane}),
    )
    .await;
    World {
        acme,
        jane,
        hers: hers.data()["uid"].as_str().unwrap().to_string(),
        bobs: bobs.data()["uid"].as_str().unwrap().to_string(),
        request,
    }
}

/// Rows of `table` whose `column` mentions Jane's address in any case.
async fn mentioning_jane(app: &TestApp, table: &str, column: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE LOWER({column}) LIKE '%{JANE}%'");
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .expect("a count");
    row.try_get::<i64>("", "n").unwrap()
}

async fn meeting_uids(app: &TestApp, acme: &Value) -> Vec<String> {
    let data = app
        .graphql(
            "query($id: ID!) { customer(id: $id) { meetings { items { uid } } } }",
            json!({"id": acme}),
        )
        .await;
    let mut uids: Vec<String> = data["customer"]["meetings"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uid"].as_str().unwrap().to_string())
        .collect();
    uids.sort();
    uids
}

fn export_path(jane: &Value) -> String {
    format!("/v2/stakeholders/{}/export", jane.as_str().unwrap())
}

const ERASE: &str = "mutation($id: ID!) { eraseStakeholder(id: $id) { stakeholderId pseudonym bookings meetingLinks schedulingLinks webhookDeliveries outboxEvents storedResponses } }";

/// Waits (bounded) until the jobs have fanned Jane's bookings out to the webhook.
async fn deliveries_made(app: &TestApp) {
    for _ in 0..200 {
        if mentioning_jane(app, "webhook_deliveries", "body").await >= 2 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no webhook deliveries were made");
}

/// A webhook subscriber on loopback that accepts everything.
async fn subscriber() -> String {
    let router = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

async fn the_export_holds_everything_about_the_person(app: TestApp) {
    let w = world(&app).await;
    let answer = app.get(&export_path(&w.jane)).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    let doc = answer.data();
    let s = &doc["stakeholder"];
    assert_eq!(
        (&s["id"], &s["name"], &s["email"], &s["title"], &s["role"]),
        (
            &json!(w.jane.as_str().unwrap().parse::<i64>().unwrap()),
            &json!("Jane Doe"),
            &json!(JANE),
            &json!("CTO"),
            &json!("champion")
        )
    );
    assert_eq!(doc["customer"]["name"], "Acme");
    let bookings = doc["bookings"].as_array().unwrap();
    let roles: Vec<(&str, &str)> = bookings
        .iter()
        .map(|b| (b["uid"].as_str().unwrap(), b["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [(w.hers.as_str(), "attendee"), (w.bobs.as_str(), "guest")]
    );
    let mine = &bookings[0];
    assert_eq!(
        (
            &mine["attendee"]["name"],
            &mine["attendee"]["email"],
            &mine["attendee"]["phoneNumber"]
        ),
        (&json!("Jane Doe"), &json!(JANE), &json!(PHONE))
    );
    assert_eq!(
        (
            &mine["status"],
            &mine["start"].is_string(),
            &mine["bookingFieldsResponses"]
        ),
        (&json!("accepted"), &true, &json!({}))
    );
    assert_eq!(
        (
            &bookings[1]["attendee"],
            &bookings[1]["bookingFieldsResponses"]
        ),
        (&Value::Null, &Value::Null),
        "Bob's answers are his"
    );
    assert_eq!(
        doc["meetingLinks"],
        json!([{"bookingUid": w.hers, "customerId": w.acme.as_str().unwrap().parse::<i64>().unwrap(), "attendeeEmail": JANE, "matchedBy": "email"}])
    );
    let links = doc["schedulingLinks"].as_array().unwrap();
    assert_eq!(
        (
            links.len(),
            &links[0]["prefillEmail"],
            &links[0]["prefillName"]
        ),
        (1, &json!(JANE), &json!("Jane Doe"))
    );

    // GraphQL answers the same document.
    let gql = app
        .graphql(
            "query($id: ID!) { exportStakeholderData(id: $id) }",
            json!({"id": w.jane}),
        )
        .await;
    let mut same = gql["exportStakeholderData"].clone();
    let mut rest = doc.clone();
    same["exportedAt"] = Value::Null;
    rest["exportedAt"] = Value::Null;
    assert_eq!(same, rest);

    // Another organization finds nobody, by either route.
    let rival = app.other_org_key().await;
    let peek = app
        .send(
            app.request(Method::GET, &export_path(&w.jane), None)
                .bearer_auth(&rival),
        )
        .await;
    assert_eq!((peek.status.as_u16(), peek.code()), (404, "NOT_FOUND"));
    let gql = app
        .graphql_as(
            &rival,
            "query($id: ID!) { exportStakeholderData(id: $id) }",
            json!({"id": w.jane}),
        )
        .await;
    assert_eq!(gql.graphql_refusal().0, "NOT_FOUND");
    let erase = app.graphql_as(&rival, ERASE, json!({"id": w.jane})).await;
    assert_eq!(erase.graphql_refusal().0, "NOT_FOUND");
    let rest_erase = app
        .send(
            app.request(
                Method::POST,
                &format!("/v2/stakeholders/{}/erase", w.jane.as_str().unwrap()),
                None,
            )
            .bearer_auth(&rival),
        )
        .await;
    assert_eq!(rest_erase.status, 404);
    assert_eq!(
        app.get(&export_path(&w.jane)).await.status,
        200,
        "still there for its own organization"
    );
    let anonymous = app
        .call_anonymous(Method::GET, &export_path(&w.jane), None)
        .await;
    assert_eq!(anonymous.status, 401);
}

async fn erasure_leaves_meetings_anonymized_not_broken(app: TestApp) {
    let hook = app
        .post("/v2/webhooks", json!({"subscriberUrl": subscriber().await}))
        .await;
    assert_eq!(hook.status, 201, "{:#}", hook.body);
    let w = world(&app).await;
    deliveries_made(&app).await;
    let before = meeting_uids(&app, &w.acme).await;
    assert_eq!(before.len(), 2, "hers by email, Bob's by domain");

    let erased = app.graphql(ERASE, json!({"id": w.jane})).await["eraseStakeholder"].clone();
    let pseudonym = erased["pseudonym"].as_str().unwrap().to_string();
    assert!(
        pseudonym.starts_with("erased-") && pseudonym.ends_with("@erased.invalid"),
        "{pseudonym}"
    );
    assert_eq!(
        (
            &erased["bookings"],
            &erased["meetingLinks"],
            &erased["schedulingLinks"],
            &erased["storedResponses"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(1)),
        "{erased:#}"
    );
    assert!(
        erased["webhookDeliveries"].as_i64().unwrap() >= 2
            && erased["outboxEvents"].as_i64().unwrap() >= 2,
        "{erased:#}"
    );

    // She is gone: no export, no second erasure.
    assert_eq!(app.get(&export_path(&w.jane)).await.code(), "NOT_FOUND");
    let again = app.graphql_as(DEMO_KEY, ERASE, json!({"id": w.jane})).await;
    assert_eq!(again.graphql_refusal().0, "NOT_FOUND");
    let rest_again = app
        .post(
            &format!("/v2/stakeholders/{}/erase", w.jane.as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(rest_again.status, 404);

    // Her booking is still there, anonymized, with no trace of her.
    let hers = app
        .call_anonymous(Method::GET, &format!("/v2/bookings/{}", w.hers), None)
        .await;
    assert_eq!(hers.status, 200);
    let attendee = &hers.data()["attendees"][0];
    assert_eq!(
        (
            &attendee["name"],
            &attendee["email"],
            &attendee["phoneNumber"]
        ),
        (&json!("Erased attendee"), &json!(pseudonym), &Value::Null)
    );
    assert_eq!(
        hers.data()["title"],
        "30 Minute Meeting between Demo Host and Erased attendee"
    );
    let text = hers.body.to_string().to_lowercase();
    assert!(
        !text.contains(JANE) && !text.contains("jane doe") && !text.contains(PHONE),
        "{text}"
    );
    let bobs = app
        .call_anonymous(Method::GET, &format!("/v2/bookings/{}", w.bobs), None)
        .await;
    assert_eq!(
        (
            &bobs.data()["guests"],
            &bobs.data()["attendees"][0]["email"]
        ),
        (&json!([pseudonym]), &json!("bob@acme.com"))
    );

    // No stored copy keeps her address.
    for (table, column) in [
        ("booking_attendees", "email"),
        ("bookings", "guests"),
        ("bookings", "title"),
        ("meeting_links", "attendee_email"),
        ("scheduling_links", "prefill_email"),
        ("outbox_events", "payload"),
        ("webhook_deliveries", "body"),
        ("idempotency_keys", "response_body"),
        ("stakeholders", "email"),
    ] {
        assert_eq!(
            mentioning_jane(&app, table, column).await,
            0,
            "{table}.{column}"
        );
    }
    let replay: Answer = app
        .send(
            app.request(Method::POST, "/v2/bookings", Some(w.request.clone()))
                .header("Idempotency-Key", "jane-books"),
        )
        .await;
    assert_eq!(
        replay
            .headers
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
    assert_eq!(
        (
            replay.data()["uid"].as_str(),
            &replay.data()["attendees"][0]["email"]
        ),
        (Some(w.hers.as_str()), &json!(pseudonym))
    );

    // The meetings still count for Acme, and the booking still works.
    assert_eq!(meeting_uids(&app, &w.acme).await, before);
    let health = app.graphql("query($id: ID!) { customer(id: $id) { meetings { items { links { attendeeEmail matchedBy stakeholderId } } } health { engagement { nextMeeting } } } }", json!({"id": w.acme})).await;
    assert!(
        health["customer"]["health"]["engagement"]["nextMeeting"].is_string(),
        "{health:#}"
    );
    let links: Vec<&Value> = health["customer"]["meetings"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["links"].as_array().unwrap())
        .collect();
    assert!(
        links.contains(
            &&json!({"attendeeEmail": pseudonym, "matchedBy": "manual", "stakeholderId": null})
        ),
        "{links:?}"
    );
    let moved = app
        .call_anonymous(
            Method::POST,
            &format!("/v2/bookings/{}/reschedule", w.hers),
            Some(json!({"start": tuesday("14:00")})),
        )
        .await;
    assert_eq!(moved.status, 201, "{:#}", moved.body);
    assert_eq!(moved.data()["attendees"][0]["email"], json!(pseudonym));
    let cancelled = app
        .call_anonymous(
            Method::POST,
            &format!(
                "/v2/bookings/{}/cancel",
                moved.data()["uid"].as_str().unwrap()
            ),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (cancelled.status.as_u16(), &cancelled.data()["status"]),
        (200, &json!("cancelled"))
    );
    let mut after = before.clone();
    after.push(moved.data()["uid"].as_str().unwrap().to_string());
    after.sort();
    assert_eq!(
        meeting_uids(&app, &w.acme).await,
        after,
        "the moved meeting is still Acme's"
    );
}

mod the_export_holds_everything_about_the_person {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        the_export_holds_everything_about_the_person(TestApp::spawn(Backend::Sqlite).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        the_export_holds_everything_about_the_person(TestApp::spawn(Backend::Postgres).await).await
    }
}

/// With the background jobs running, so webhook deliveries exist to be scrubbed.
mod erasure_leaves_meetings_anonymized_not_broken {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        erasure_leaves_meetings_anonymized_not_broken(
            TestApp::spawn_with_jobs(Backend::Sqlite).await,
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        erasure_leaves_meetings_anonymized_not_broken(
            TestApp::spawn_with_jobs(Backend::Postgres).await,
        )
        .await
    }
}
