//! Scheduling links end to end on SQLite and PostgreSQL: a CSM makes a link for a
//! stakeholder, the invitee opens it (tracked) and books with the filled-in details,
//! the booking carries the customer context and is linked to the customer, and a used,
//! expired or revoked link answers 410 saying why and since when.

use chrono::Utc;
use convene_tests::crm::{add_stakeholder, create_customer, tuesday};
use convene_tests::{Answer, TestApp, on_both_databases};
use reqwest::Method;
use serde_json::{Value, json};

const LINK_FIELDS: &str = "id url token eventTypeId customerId stakeholderId prefillName prefillEmail maxUses uses expiresAt createdAt firstOpenedAt lastOpenedAt openCount usedAt revokedAt status";

/// Creates a link through GraphQL as the demo host; the link.
async fn create_link(app: &TestApp, input: Value) -> Value {
    let query = format!(
        "mutation($input: SchedulingLinkInput!) {{ createSchedulingLink(input: $input) {{ {LINK_FIELDS} }} }}"
    );
    app.graphql(&query, json!({ "input": input })).await["createSchedulingLink"].clone()
}

/// The demo host's links (only `customer`'s when given), as GraphQL lists them.
async fn links(app: &TestApp, customer: Option<&Value>) -> Vec<Value> {
    let query = format!(
        "query($c: ID) {{ schedulingLinks(customerId: $c) {{ items {{ {LINK_FIELDS} }} }} }}"
    );
    let data = app.graphql(&query, json!({ "c": customer })).await;
    data["schedulingLinks"]["items"].as_array().unwrap().clone()
}

async fn link(app: &TestApp, id: &Value) -> Value {
    links(app, None)
        .await
        .into_iter()
        .find(|l| l["id"] == *id)
        .expect("the link is listed")
}

async fn open(app: &TestApp, token: &Value) -> Answer {
    let path = format!("/v2/scheduling-links/{}", token.as_str().unwrap());
    app.call_anonymous(Method::GET, &path, None).await
}

/// Books through link `token` as an anonymous invitee at Berlin `hhmm`.
async fn book(app: &TestApp, token: &Value, hhmm: &str, attendee: Value) -> Answer {
    let path = format!("/v2/scheduling-links/{}/bookings", token.as_str().unwrap());
    let body = json!({ "start": tuesday(hhmm), "attendee": attendee });
    app.call_anonymous(Method::POST, &path, Some(body)).await
}

fn berlin() -> Value {
    json!({ "timeZone": "Europe/Berlin" })
}

/// Acme (acme.com) with stakeholder Jane Doe; (customer id, stakeholder id).
async fn acme_with_jane(app: &TestApp) -> (Value, Value) {
    let acme = create_customer(app, json!({"name": "Acme", "domains": ["acme.com"]})).await;
    let jane = add_stakeholder(app, &acme, "Jane Doe", "jane@acme.com").await;
    (acme, jane)
}

fn assert_gone(answer: &Answer, says: &str) {
    assert_eq!(answer.status, 410, "{:#}", answer.body);
    assert_eq!(answer.code(), "GONE", "{:#}", answer.body);
    let message = answer.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with(says), "{message}");
    assert!(message.ends_with(" UTC"), "says since when: {message}");
}

on_both_databases! {
    async fn a_link_for_a_stakeholder_is_opened_booked_once_and_then_gone(app: TestApp) {
        let (acme, jane) = acme_with_jane(&app).await;
        let thirty = app.event_type_id("30min").await;
        let created = create_link(&app, json!({ "eventTypeId": thirty.to_string(), "stakeholderId": jane })).await;
        assert_eq!(
            (&created["customerId"], &created["stakeholderId"], &created["prefillName"], &created["prefillEmail"]),
            (&acme, &jane, &json!("Jane Doe"), &json!("jane@acme.com")),
            "the stakeholder fills in the invitee and implies the customer"
        );
        assert_eq!((&created["maxUses"], &created["uses"], &created["status"]), (&json!(1), &json!(0), &json!("active")));
        let token = created["token"].clone();
        assert_eq!(created["url"], format!("{}/l/{}", app.base, token.as_str().unwrap()));
        let expires = chrono::DateTime::parse_from_rfc3339(created["expiresAt"].as_str().unwrap()).unwrap();
        let days = (expires.with_timezone(&Utc) - Utc::now()).num_hours();
        assert!((167..=168).contains(&days), "a week by default, not {days} hours");
        assert_eq!((&created["openCount"], &created["firstOpenedAt"]), (&json!(0), &Value::Null));

        // The invitee opens it twice; the CSM sees when and how often.
        let opened = open(&app, &token).await;
        assert_eq!(opened.status, 200, "{:#}", opened.body);
        let page = opened.data();
        assert_eq!((&page["eventType"]["id"], &page["eventType"]["slug"], &page["eventType"]["lengthInMinutes"]), (&json!(thirty), &json!("30min"), &json!(30)));
        assert_eq!(page["prefill"], json!({"name": "Jane Doe", "email": "jane@acme.com"}));
        assert_eq!((&page["usesLeft"], &page["expiresAt"]), (&json!(1), &created["expiresAt"]));
        let first = link(&app, &created["id"]).await;
        assert_eq!(first["openCount"], 1);
        assert!(first["firstOpenedAt"].is_string() && first["firstOpenedAt"] == first["lastOpenedAt"], "{first:#}");
        open(&app, &token).await;
        let second = link(&app, &created["id"]).await;
        assert_eq!((&second["openCount"], &second["firstOpenedAt"]), (&json!(2), &first["firstOpenedAt"]));

        // Booking with only a time zone: name and email come from the link.
        let booked = book(&app, &token, "09:00", berlin()).await;
        assert_eq!(booked.status, 201, "{:#}", booked.body);
        let booking = booked.data();
        assert_eq!((&booking["attendees"][0]["name"], &booking["attendees"][0]["email"]), (&json!("Jane Doe"), &json!("jane@acme.com")));
        assert_eq!(booking["eventTypeId"], thirty);
        let link_id = created["id"].as_str().unwrap();
        assert_eq!(
            booking["metadata"],
            json!({
                "convene.customerId": acme,
                "convene.stakeholderId": jane,
                "convene.schedulingLinkId": link_id,
            }),
            "the customer context, as strings"
        );
        // The booking is a meeting with the customer, and the link shows its use.
        let meetings = app.graphql("query($id: ID!) { customer(id: $id) { meetings { items { uid links { stakeholderId } } } schedulingLinks { items { id status uses usedAt } } } }", json!({"id": acme})).await;
        let customer = &meetings["customer"];
        assert_eq!(customer["meetings"]["items"], json!([{"uid": booking["uid"], "links": [{"stakeholderId": jane}]}]));
        let used = &customer["schedulingLinks"]["items"][0];
        assert_eq!((&used["id"], &used["status"], &used["uses"]), (&created["id"], &json!("used"), &json!(1)));
        let used_at = chrono::DateTime::parse_from_rfc3339(used["usedAt"].as_str().unwrap()).unwrap();

        // A second use, and a later visit, are told exactly why and since when.
        let again = book(&app, &token, "10:00", berlin()).await;
        assert_gone(&again, "this link was already used on ");
        let when = used_at.with_timezone(&Utc).format("%Y-%m-%d at %H:%M UTC").to_string();
        assert!(again.body["error"]["message"].as_str().unwrap().ends_with(&when), "{:#}", again.body);
        assert_gone(&open(&app, &token).await, "this link was already used on ");
        assert_eq!(link(&app, &created["id"]).await["openCount"], 3, "a late visit is still seen");
    }

    async fn a_link_for_a_customer_makes_any_address_their_meeting(app: TestApp) {
        let (acme, _) = acme_with_jane(&app).await;
        let thirty = app.event_type_id("30min").await;
        let created = create_link(&app, json!({
            "eventTypeId": thirty.to_string(), "customerId": acme,
            "name": "Sam Private", "email": "Sam.Private@Gmail.com", "maxUses": 2,
        })).await;
        assert_eq!((&created["prefillEmail"], &created["stakeholderId"]), (&json!("sam.private@gmail.com"), &Value::Null));
        let token = created["token"].clone();

        // Our own metadata keys cannot be forged, and the refusal spends no use.
        let forged = app.call_anonymous(
            Method::POST,
            &format!("/v2/scheduling-links/{}/bookings", token.as_str().unwrap()),
            Some(json!({"start": tuesday("09:00"), "attendee": berlin(), "metadata": {"convene.customerId": "1", "source": "email"}})),
        ).await;
        assert_eq!((forged.status.as_u16(), forged.fields()), (422, vec!["metadata.convene.customerId".to_string()]), "{:#}", forged.body);

        // A free-mail address matches no customer by itself; the link makes it Acme's.
        let booked = book(&app, &token, "09:00", json!({"timeZone": "Europe/Berlin", "name": "Sam"})).await;
        assert_eq!(booked.status, 201, "{:#}", booked.body);
        assert_eq!((&booked.data()["attendees"][0]["name"], &booked.data()["attendees"][0]["email"]), (&json!("Sam"), &json!("sam.private@gmail.com")));
        let meetings = app.graphql("query($id: ID!) { customer(id: $id) { meetings { items { uid links { attendeeEmail matchedBy stakeholderId } } } } }", json!({"id": acme})).await;
        assert_eq!(
            meetings["customer"]["meetings"]["items"],
            json!([{"uid": booked.data()["uid"], "links": [{"attendeeEmail": "sam.private@gmail.com", "matchedBy": "manual", "stakeholderId": null}]}])
        );
        // Moving the meeting keeps it Acme's.
        let moved = app.call_anonymous(Method::POST, &format!("/v2/bookings/{}/reschedule", booked.data()["uid"].as_str().unwrap()), Some(json!({"start": tuesday("14:00")}))).await;
        assert_eq!(moved.status, 201, "{:#}", moved.body);
        let meetings = app.graphql("query($id: ID!) { customer(id: $id) { meetings { items { uid status } } } }", json!({"id": acme})).await;
        let uids: Vec<&Value> = meetings["customer"]["meetings"]["items"].as_array().unwrap().iter().map(|m| &m["uid"]).collect();
        assert!(uids.contains(&&moved.data()["uid"]), "{meetings:#}");
        assert_eq!(link(&app, &created["id"]).await["uses"], 1, "a reschedule is no new use");
    }

    async fn concurrent_bookings_never_spend_more_uses_than_the_link_has(app: TestApp) {
        let thirty = app.event_type_id("30min").await;
        let created = create_link(&app, json!({"eventTypeId": thirty.to_string(), "maxUses": 3, "email": "team@globex.com"})).await;
        let token = created["token"].clone();
        let times = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"];
        let answers = futures::future::join_all(times.map(|t| book(&app, &token, t, json!({"timeZone": "Europe/Berlin", "name": "Globex"})))).await;
        let mut statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
        statuses.sort();
        assert_eq!(statuses, [201, 201, 201, 410, 410, 410], "{answers:#?}");
        let after = link(&app, &created["id"]).await;
        assert_eq!((&after["uses"], &after["status"]), (&json!(3), &json!("used")));
        let bookings = app.get("/v2/bookings?attendeeEmail=team@globex.com").await;
        assert_eq!(bookings.data().as_array().unwrap().len(), 3);
        let gone = answers.iter().find(|a| a.status == 410).unwrap();
        assert!(gone.body["error"]["message"].as_str().unwrap().starts_with("this link was already used 3 times, the last on "), "{:#}", gone.body);
    }

    async fn a_taken_slot_spends_no_use(app: TestApp) {
        let thirty = app.event_type_id("30min").await;
        let created = create_link(&app, json!({"eventTypeId": thirty.to_string(), "maxUses": 2})).await;
        let token = created["token"].clone();
        let direct = app.post("/v2/bookings", json!({"eventTypeId": thirty, "start": tuesday("09:00"), "attendee": {"name": "Early", "email": "early@initech.com", "timeZone": "Europe/Berlin"}})).await;
        assert_eq!(direct.status, 201, "{:#}", direct.body);

        let who = json!({"timeZone": "Europe/Berlin", "name": "Pat", "email": "pat@initech.com"});
        let taken = book(&app, &token, "09:00", who.clone()).await;
        assert_eq!((taken.status.as_u16(), taken.code()), (409, "CONFLICT"), "{:#}", taken.body);
        let invalid = book(&app, &token, "10:00", json!({"timeZone": "Mars/Base"})).await;
        let mut fields = invalid.fields();
        fields.sort();
        assert_eq!((invalid.status.as_u16(), fields), (422, vec!["attendee.email".to_string(), "attendee.name".to_string(), "attendee.timeZone".to_string()]), "{:#}", invalid.body);
        assert_eq!(link(&app, &created["id"]).await["uses"], 0, "neither refusal spent a use");

        assert_eq!(book(&app, &token, "10:00", who.clone()).await.status, 201);
        assert_eq!(book(&app, &token, "11:00", who).await.status, 201);
        assert_eq!(link(&app, &created["id"]).await["uses"], 2);
    }

    async fn expired_and_revoked_links_are_gone(app: TestApp) {
        use sea_orm::ConnectionTrait;
        let thirty = app.event_type_id("30min").await;
        let expiring = create_link(&app, json!({"eventTypeId": thirty.to_string()})).await;
        // Links cannot be made with a past expiry; time passes for this one in the database.
        let past = (Utc::now() - chrono::Duration::minutes(5)).timestamp_millis();
        app.db
            .execute_unprepared(&format!("UPDATE scheduling_links SET expires_ms = {past} WHERE id = {}", expiring["id"].as_str().unwrap()))
            .await
            .unwrap();
        assert_gone(&open(&app, &expiring["token"]).await, "this link expired on ");
        assert_gone(&book(&app, &expiring["token"], "09:00", json!({"timeZone": "UTC", "name": "A", "email": "a@b.com"})).await, "this link expired on ");
        assert_eq!(link(&app, &expiring["id"]).await["status"], "expired");

        let revoked = create_link(&app, json!({"eventTypeId": thirty.to_string(), "maxUses": 5})).await;
        let path = format!("/v2/scheduling-links/{}", revoked["id"].as_str().unwrap());
        let first = app.call(Method::DELETE, &path, None).await;
        assert_eq!((first.status.as_u16(), &first.data()["status"]), (200, &json!("revoked")), "{:#}", first.body);
        let again = app.call(Method::DELETE, &path, None).await;
        assert_eq!(again.data()["revokedAt"], first.data()["revokedAt"], "revoking twice keeps the date");
        assert_gone(&open(&app, &revoked["token"]).await, "this link was revoked on ");
        assert_gone(&book(&app, &revoked["token"], "09:00", json!({"timeZone": "UTC", "name": "A", "email": "a@b.com"})).await, "this link was revoked on ");

        // GraphQL revokes too, and says GONE the same way.
        let other = create_link(&app, json!({"eventTypeId": thirty.to_string()})).await;
        let gql = app.graphql("mutation($id: ID!) { revokeSchedulingLink(id: $id) { status revokedAt } }", json!({"id": other["id"]})).await;
        assert_eq!(gql["revokeSchedulingLink"]["status"], "revoked");
        let unknown = app.call_anonymous(Method::GET, "/v2/scheduling-links/AAAAAAAAAAAAAAAAAAAAAAAA", None).await;
        assert_eq!((unknown.status.as_u16(), unknown.code()), (404, "NOT_FOUND"));
        let junk = app.call_anonymous(Method::POST, "/v2/scheduling-links/not-a-token/bookings", Some(json!({}))).await;
        assert_eq!((junk.status.as_u16(), junk.code()), (404, "NOT_FOUND"));
    }

    async fn rest_lists_page_newest_first_and_organizations_stay_apart(app: TestApp) {
        let (acme, _) = acme_with_jane(&app).await;
        let thirty = app.event_type_id("30min").await;
        let made = app.post("/v2/scheduling-links", json!({"eventTypeId": thirty, "customerId": acme.as_str().unwrap().parse::<i64>().unwrap(), "maxUses": 2})).await;
        assert_eq!(made.status, 201, "{:#}", made.body);
        assert_eq!((&made.data()["status"], &made.data()["maxUses"], &made.data()["openCount"]), (&json!("active"), &json!(2), &json!(0)));
        for _ in 0..2 {
            assert_eq!(app.post("/v2/scheduling-links", json!({"eventTypeId": thirty})).await.status, 201);
        }
        let first = app.get("/v2/scheduling-links?limit=2").await;
        let ids = |a: &Answer| a.data().as_array().unwrap().iter().map(|l| l["id"].as_i64().unwrap()).collect::<Vec<_>>();
        let page_one = ids(&first);
        assert_eq!(page_one.len(), 2);
        assert!(page_one[0] > page_one[1], "newest first: {page_one:?}");
        let cursor = first.body["pagination"]["nextCursor"].as_str().unwrap().to_string();
        let second = app.get(&format!("/v2/scheduling-links?limit=2&cursor={cursor}")).await;
        assert_eq!((ids(&second), &second.body["pagination"]["hasMore"]), (vec![made.data()["id"].as_i64().unwrap()], &json!(false)));
        let acmes = app.get(&format!("/v2/scheduling-links?customerId={}", acme.as_str().unwrap())).await;
        assert_eq!(ids(&acmes), vec![made.data()["id"].as_i64().unwrap()]);
        let bad = app.get("/v2/scheduling-links?limit=0&cursor=x").await;
        assert_eq!((bad.status.as_u16(), bad.fields()), (422, vec!["limit".to_string(), "cursor".to_string()]));

        let rival = app.other_org_key().await;
        let theirs = app.graphql_as(&rival, "{ schedulingLinks { items { id } } }", json!({})).await;
        assert_eq!(theirs.body["data"]["schedulingLinks"]["items"], json!([]), "{:#}", theirs.body);
        let id = made.data()["id"].to_string();
        let revoke = app.graphql_as(&rival, "mutation($id: ID!) { revokeSchedulingLink(id: $id) { id } }", json!({"id": id})).await;
        assert_eq!(revoke.graphql_refusal().0, "NOT_FOUND", "{:#}", revoke.body);
        let rest = app.send(app.request(Method::DELETE, &format!("/v2/scheduling-links/{id}"), None).bearer_auth(&rival)).await;
        assert_eq!((rest.status.as_u16(), rest.code()), (404, "NOT_FOUND"));
        let borrowed = app.graphql_as(&rival, "mutation($e: ID!) { createSchedulingLink(input: {eventTypeId: $e}) { id } }", json!({"e": thirty.to_string()})).await;
        assert_eq!(borrowed.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["eventTypeId".to_string()]), "another organization's event type");
        assert_eq!(app.get(&format!("/v2/scheduling-links/{}", made.data()["token"].as_str().unwrap())).await.status, 200, "still active");
        let anonymous = app.call_anonymous(Method::POST, "/v2/scheduling-links", Some(json!({"eventTypeId": thirty}))).await;
        assert_eq!(anonymous.status, 401);
    }

    async fn bad_input_names_every_field(app: TestApp) {
        let (acme, _) = acme_with_jane(&app).await;
        let globex = app.graphql("mutation { createCustomer(input: {name: \"Globex\"}) { id } }", json!({})).await["createCustomer"]["id"].clone();
        let hank = app.graphql("mutation($c: ID!) { addStakeholder(customerId: $c, input: {name: \"Hank\", email: \"hank@globex.com\"}) { id } }", json!({"c": globex})).await["addStakeholder"]["id"].clone();
        let query = "mutation($input: SchedulingLinkInput!) { createSchedulingLink(input: $input) { id } }";
        let answer = app.graphql_as(convene_tests::DEMO_KEY, query, json!({"input": {
            "eventTypeId": "999999", "customerId": acme, "stakeholderId": hank,
            "email": "not-an-email", "maxUses": 0, "expiresAt": "2020-01-01T00:00:00Z",
        }})).await;
        let (code, mut fields) = answer.graphql_refusal();
        fields.sort();
        assert_eq!((code.as_str(), fields), ("VALIDATION_ERROR", vec!["email".to_string(), "eventTypeId".to_string(), "expiresAt".to_string(), "maxUses".to_string(), "stakeholderId".to_string()]), "{:#}", answer.body);

        let thirty = app.event_type_id("30min").await;
        let too_far = (Utc::now() + chrono::Duration::days(91)).to_rfc3339();
        let rest = app.post("/v2/scheduling-links", json!({"eventTypeId": thirty, "customerId": 424242, "stakeholderId": 424242, "maxUses": 1001, "expiresAt": too_far})).await;
        let mut fields = rest.fields();
        fields.sort();
        assert_eq!((rest.status.as_u16(), fields), (422, vec!["customerId".to_string(), "expiresAt".to_string(), "maxUses".to_string(), "stakeholderId".to_string()]), "{:#}", rest.body);
        let missing = app.post("/v2/scheduling-links", json!({"expiresAt": "tomorrow"})).await;
        let mut fields = missing.fields();
        fields.sort();
        assert_eq!(fields, ["eventTypeId", "expiresAt"]);
    }

    async fn the_link_url_opens_a_page_that_says_why_it_is_gone(app: TestApp) {
        let (_, jane) = acme_with_jane(&app).await;
        let thirty = app.event_type_id("30min").await;
        let created = create_link(&app, json!({"eventTypeId": thirty.to_string(), "stakeholderId": jane, "name": "Jane <Doe>"})).await;
        let page = |url: String| async move {
            let response = reqwest::get(url).await.expect("the server answers");
            let status = response.status().as_u16();
            let kind = response.headers()["content-type"].to_str().unwrap().to_string();
            (status, kind, response.text().await.unwrap())
        };
        let (status, kind, html) = page(created["url"].as_str().unwrap().to_string()).await;
        assert_eq!((status, kind.starts_with("text/html")), (200, true), "{html}");
        assert!(html.contains("30 Minute Meeting") && html.contains("value=\"jane@acme.com\""), "{html}");
        assert!(html.contains("Jane &lt;Doe&gt;") && !html.contains("Jane <Doe>"), "escaped: {html}");
        assert_eq!(link(&app, &created["id"]).await["openCount"], 1, "the page counts as an opening");

        assert_eq!(book(&app, &created["token"], "09:00", berlin()).await.status, 201);
        let (status, _, html) = page(created["url"].as_str().unwrap().to_string()).await;
        assert_eq!(status, 410);
        assert!(html.contains("This link was already used on "), "{html}");
        let (status, _, html) = page(format!("{}/l/AAAAAAAAAAAAAAAAAAAAAAAA", app.base)).await;
        assert_eq!(status, 404);
        assert!(html.contains("This link does not exist"), "{html}");
    }
}
