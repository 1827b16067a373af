//! Meeting-type recommendations end to end on SQLite and PostgreSQL: which of the
//! host's event types a customer is offered next and why (GraphQL, REST), the
//! scheduling-link generator and chat using it when no event type is named, a 422 on
//! `eventTypeId` when there is nothing to recommend, and an organization's thresholds
//! and a customer's renewal date changing the answer.

use chrono::{Duration, Utc};
use convene_tests::crm::{add_stakeholder, create_customer, move_into_past, tuesday};
use convene_tests::{DEMO_KEY, TestApp, on_both_databases};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// Makes a 30-minute event type `slug` for the demo host of meeting kind `category`; its id.
async fn categorized(app: &TestApp, slug: &str, title: &str, category: &str) -> i64 {
    let created = app
        .post(
            "/v2/event-types",
            json!({"title": title, "slug": slug, "lengthInMinutes": 30}),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let id = created.data()["id"].as_i64().expect("an id");
    app.graphql(
        "mutation($e: ID!, $c: String) { setMeetingCategory(eventTypeId: $e, category: $c) }",
        json!({"e": id.to_string(), "c": category}),
    )
    .await;
    id
}

/// A meeting of `event_type` with `email` held `days_ago` days ago.
async fn held(app: &TestApp, event_type: i64, hhmm: &str, email: &str, days_ago: i64) {
    let created = app
        .post(
            "/v2/bookings",
            json!({"eventTypeId": event_type, "start": tuesday(hhmm),
                   "attendee": {"name": "Someone", "email": email, "timeZone": "Europe/Berlin"}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    move_into_past(app, created.data()["uid"].as_str().unwrap(), days_ago).await;
}

/// Makes customer `id` a customer of ours since `days` days ago.
async fn customer_since(app: &TestApp, id: &Value, days: i64) {
    let created = (Utc::now() - Duration::days(days)).timestamp_millis();
    let id = id.as_str().unwrap();
    app.db
        .execute_unprepared(&format!(
            "UPDATE customers SET created_ms = {created} WHERE id = {id}"
        ))
        .await
        .unwrap();
}

/// An established mid-market account: Acme (acme.com), 400 days a customer, with
/// stakeholder Jane Doe; (customer id, stakeholder id).
async fn established_acme(app: &TestApp) -> (Value, Value) {
    let acme = create_customer(
        app,
        json!({"name": "Acme", "domains": ["acme.com"], "tier": "mid-market"}),
    )
    .await;
    let jane = add_stakeholder(app, &acme, "Jane Doe", "jane@acme.com").await;
    customer_since(app, &acme, 400).await;
    (acme, jane)
}

/// `Customer.recommendedEventType` of `customer`.
async fn recommended(app: &TestApp, customer: &Value) -> Value {
    let query = "query($id: ID!) { customer(id: $id) { recommendedEventType { eventType { id slug } category reason } } }";
    app.graphql(query, json!({"id": customer})).await["customer"]["recommendedEventType"].clone()
}

fn int(id: &Value) -> i64 {
    id.as_str().unwrap().parse().unwrap()
}

const CREATE_LINK: &str = "mutation($input: SchedulingLinkInput!) { createSchedulingLink(input: $input) { eventTypeId customerId recommendation { category reason } } }";

const SET: &str = "mutation($t: RecommendationThresholdsInput!) { setRecommendationThresholds(input: $t) { qbrEveryDays renewalWithinDays newAccountDays } }";

on_both_databases! {
    async fn an_old_qbr_gets_a_qbr_link_and_a_new_account_onboarding(app: TestApp) {
        let qbr = categorized(&app, "qbr", "Quarterly Business Review", "qbr").await;
        let onboarding = categorized(&app, "onboarding", "Onboarding", "onboarding").await;
        let (acme, jane) = established_acme(&app).await;
        held(&app, qbr, "09:00", "jane@acme.com", 132).await;
        held(&app, app.event_type_id("30min").await, "10:00", "jane@acme.com", 10).await;
        let why = "last QBR was 132 days ago (every 90 days)";
        assert_eq!(
            recommended(&app, &acme).await,
            json!({"eventType": {"id": qbr.to_string(), "slug": "qbr"}, "category": "qbr", "reason": why})
        );
        let rest = app.get(&format!("/v2/customers/{}/recommended-event-type", int(&acme))).await;
        assert_eq!(rest.status, 200, "{:#}", rest.body);
        assert_eq!((&rest.data()["eventType"]["slug"], &rest.data()["category"], &rest.data()["reason"]), (&json!("qbr"), &json!("qbr"), &json!(why)));

        // A link for Jane with no event type named books the QBR, and says why.
        let made = app.post("/v2/scheduling-links", json!({"stakeholderId": int(&jane)})).await;
        assert_eq!(made.status, 201, "{:#}", made.body);
        assert_eq!((&made.data()["eventTypeId"], &made.data()["prefillEmail"]), (&json!(qbr), &json!("jane@acme.com")));
        assert_eq!(made.data()["recommendation"], json!({"category": "qbr", "reason": why}));
        let named = app.post("/v2/scheduling-links", json!({"stakeholderId": int(&jane), "eventTypeId": onboarding})).await;
        assert_eq!((&named.data()["eventTypeId"], &named.data()["recommendation"]), (&json!(onboarding), &Value::Null), "a named event type is used as named");

        // A brand-new account is offered onboarding first.
        let globex = create_customer(&app, json!({"name": "Globex", "domains": ["globex.com"]})).await;
        let link = app.graphql(CREATE_LINK, json!({"input": {"customerId": globex}})).await["createSchedulingLink"].clone();
        assert_eq!(
            link,
            json!({"eventTypeId": onboarding.to_string(), "customerId": globex,
                   "recommendation": {"category": "onboarding", "reason": "new account (a customer since today) with no onboarding session yet"}})
        );
    }

    async fn thresholds_and_the_renewal_date_change_the_answer(app: TestApp) {
        categorized(&app, "qbr", "Quarterly Business Review", "qbr").await;
        let check_in = categorized(&app, "check-in", "Check-in", "check-in").await;
        let (acme, _) = established_acme(&app).await;
        let qbr = app.event_type_id("qbr").await;
        held(&app, qbr, "09:00", "jane@acme.com", 70).await;
        let defaults = app.graphql("{ recommendationThresholds { qbrEveryDays renewalWithinDays newAccountDays } }", json!({})).await;
        assert_eq!(defaults["recommendationThresholds"], json!({"qbrEveryDays": 90, "renewalWithinDays": 60, "newAccountDays": 30}));
        let overdue_check_in = json!({"eventType": {"id": check_in.to_string(), "slug": "check-in"}, "category": "check-in",
            "reason": "last meeting was 70 days ago (mid-market cadence: every 30 days; 1 meeting in the last 90 days)"});
        assert_eq!(recommended(&app, &acme).await, overdue_check_in);

        // A QBR every 45 days makes the QBR due.
        let set = app.graphql(SET, json!({"t": {"qbrEveryDays": 45, "renewalWithinDays": 60, "newAccountDays": 30}})).await;
        assert_eq!(set["setRecommendationThresholds"]["qbrEveryDays"], 45);
        let answer = recommended(&app, &acme).await;
        assert_eq!((&answer["category"], &answer["reason"]), (&json!("qbr"), &json!("last QBR was 70 days ago (every 45 days)")));
        app.graphql(SET, json!({"t": {"qbrEveryDays": 90, "renewalWithinDays": 60, "newAccountDays": 30}})).await;

        // A renewal 41 days away calls for a QBR; a 30-day window does not see it yet.
        let renewal = (Utc::now().date_naive() + Duration::days(41)).to_string();
        let updated = app.graphql("mutation($id: ID!, $d: String) { updateCustomer(id: $id, input: {renewalDate: $d}) { renewalDate } }", json!({"id": acme, "d": renewal})).await;
        assert_eq!(updated["updateCustomer"]["renewalDate"], json!(renewal));
        assert_eq!(app.get(&format!("/v2/customers/{}", int(&acme))).await.data()["renewalDate"], json!(renewal));
        let answer = recommended(&app, &acme).await;
        assert_eq!((&answer["category"], &answer["reason"]), (&json!("qbr"), &json!(format!("renewal on {renewal} is 41 days away"))));
        app.graphql(SET, json!({"t": {"qbrEveryDays": 90, "renewalWithinDays": 30, "newAccountDays": 30}})).await;
        assert_eq!(recommended(&app, &acme).await, overdue_check_in);

        // Bad values are refused by field; members may read the thresholds, not set them.
        let refused = app.graphql_as(DEMO_KEY, SET, json!({"t": {"qbrEveryDays": 0, "renewalWithinDays": 731, "newAccountDays": 30}})).await;
        assert_eq!(refused.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["qbrEveryDays".to_string(), "renewalWithinDays".to_string()]), "{:#}", refused.body);
        let negative = app.graphql_as(DEMO_KEY, SET, json!({"t": {"qbrEveryDays": 90, "renewalWithinDays": 60, "newAccountDays": -1}})).await;
        assert_eq!(negative.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["newAccountDays".to_string()]));
        let bad_date = app.graphql_as(DEMO_KEY, "mutation($id: ID!) { updateCustomer(id: $id, input: {renewalDate: \"next spring\"}) { id } }", json!({"id": acme})).await;
        assert_eq!(bad_date.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["renewalDate".to_string()]));
        let member = app.add_user("csm", "MEMBER").await;
        let key = member["apiKey"].as_str().unwrap();
        let read = app.graphql_as(key, "{ recommendationThresholds { renewalWithinDays } }", json!({})).await;
        assert_eq!(read.body["data"]["recommendationThresholds"]["renewalWithinDays"], 30, "{:#}", read.body);
        let forbidden = app.graphql_as(key, SET, json!({"t": {"qbrEveryDays": 7, "renewalWithinDays": 7, "newAccountDays": 7}})).await;
        assert_eq!(forbidden.graphql_refusal().0, "FORBIDDEN", "{:#}", forbidden.body);
    }

    async fn with_nothing_to_recommend_a_link_needs_an_event_type(app: TestApp) {
        categorized(&app, "qbr", "Quarterly Business Review", "qbr").await;
        let initech = create_customer(&app, json!({"name": "Initech", "lifecycleStage": "churned"})).await;
        let answer = recommended(&app, &initech).await;
        assert_eq!(answer, json!({"eventType": null, "category": null, "reason": "the customer has churned"}));
        let refused = app.post("/v2/scheduling-links", json!({"customerId": int(&initech)})).await;
        assert_eq!((refused.status.as_u16(), refused.code(), refused.fields()), (422, "VALIDATION_ERROR", vec!["eventTypeId".to_string()]), "{:#}", refused.body);
        assert_eq!(refused.body["error"]["details"][0]["message"], "none given, and none to recommend: the customer has churned");

        // A new account needs onboarding, which this host does not offer.
        let acme = create_customer(&app, json!({"name": "Acme"})).await;
        let refused = app.graphql_as(DEMO_KEY, CREATE_LINK, json!({"input": {"customerId": acme}})).await;
        assert_eq!(refused.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["eventTypeId".to_string()]));
        let message = refused.body["errors"][0]["extensions"]["details"][0]["message"].as_str().unwrap_or_default();
        assert_eq!(message, "none given, and none to recommend: onboarding is due (new account (a customer since today) with no onboarding session yet) but there is no onboarding event type");
        assert_eq!(app.get("/v2/scheduling-links").await.data().as_array().unwrap().len(), 0, "nothing was made");
    }

    async fn chat_sends_the_recommended_link_and_says_why(app: TestApp) {
        let qbr = categorized(&app, "qbr", "Quarterly Business Review", "qbr").await;
        let (acme, _) = established_acme(&app).await;
        held(&app, qbr, "09:00", "jane@acme.com", 132).await;
        let sent = app.post("/v2/chat", json!({"text": "send a link to Jane Doe"})).await;
        assert_eq!(sent.status, 200, "{:#}", sent.body);
        let answer = sent.data();
        assert_eq!(answer["intent"], "send_link", "{answer:#}");
        let data = &answer["data"];
        assert_eq!((&data["eventType"]["slug"], &data["link"]["customerId"]), (&json!("qbr"), &json!(int(&acme))));
        assert_eq!(data["recommendation"], json!({"category": "qbr", "reason": "last QBR was 132 days ago (every 90 days)"}));
        let reply = answer["reply"].as_str().unwrap();
        assert!(reply.starts_with("Here is a single-use link to your Quarterly Business Review for Jane Doe (jane@acme.com)"), "{reply}");
        assert!(reply.ends_with(" I chose Quarterly Business Review because last QBR was 132 days ago (every 90 days)."), "{reply}");
    }
}
