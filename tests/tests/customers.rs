//! The customer-success layer end to end over GraphQL, on SQLite and PostgreSQL:
//! customers and stakeholders, bookings linked to them by email and by domain (never by
//! a free-mail domain), relinking when domains change, and tenants kept apart.

use convene_tests::crm::{book, move_into_past};
use convene_tests::{DEMO_KEY, TestApp, on_both_databases};
use reqwest::Method;
use serde_json::{Value, json};

const CREATE: &str = "mutation($input: CustomerInput!) { createCustomer(input: $input) { id name domains tier lifecycleStage ownerId } }";
const ADD: &str = "mutation($c: ID!, $input: StakeholderInput!) { addStakeholder(customerId: $c, input: $input) { id email role } }";
const MEETINGS: &str = "query($id: ID!) { customer(id: $id) { meetings { items { uid attendeeEmails links { attendeeEmail matchedBy stakeholderId } } } } }";

/// The meetings of customer `id`: uid → [(attendee, matchedBy, has stakeholder)].
async fn meetings(app: &TestApp, id: &Value) -> Vec<(String, Vec<(String, String, bool)>)> {
    let data = app.graphql(MEETINGS, json!({"id": id})).await;
    let mut out: Vec<_> = data["customer"]["meetings"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let links = m["links"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l["attendeeEmail"].as_str().unwrap().to_string(),
                        l["matchedBy"].as_str().unwrap().to_string(),
                        !l["stakeholderId"].is_null(),
                    )
                })
                .collect();
            (m["uid"].as_str().unwrap().to_string(), links)
        })
        .collect();
    out.sort();
    out
}

on_both_databases! {
    async fn health_scores_recency_cadence_cancellations_and_coverage(app: TestApp) {
        let past: Vec<String> = futures::future::join_all(
            ["09:00", "09:30", "10:00", "10:30"].map(|t| book(&app, t, "jane@acme.com")),
        )
        .await;
        let upcoming = book(&app, "14:00", "jane@acme.com").await;
        // The invitee cancels one (no key: the uid is their credential).
        let cancel = app.call_anonymous(Method::POST, &format!("/v2/bookings/{}/cancel", past[3]), Some(json!({}))).await;
        assert_eq!(cancel.status, 200, "{:?}", cancel.body);
        assert_eq!(cancel.data()["cancelledBy"], "attendee");
        for (uid, days_ago) in past.iter().zip([10, 40, 80, 20]) {
            move_into_past(&app, uid, days_ago).await;
        }

        let acme = app.graphql(CREATE, json!({"input": {"name": "Acme", "domains": ["acme.com"], "tier": "smb"}})).await;
        let id = acme["createCustomer"]["id"].clone();
        for (name, email) in [("Jane", "jane@acme.com"), ("Bob", "bob@acme.com")] {
            app.graphql(ADD, json!({"c": id, "input": {"name": name, "email": email}})).await;
        }
        let data = app.graphql("query($id: ID!) { customer(id: $id) { health { score band trend previousScore components { name weight score detail } engagement { meetings30d meetings90d lastMeeting nextMeeting cancellationRate noShowRate rescheduleRate stakeholderCoverage } } } }", json!({"id": id})).await;
        let health = &data["customer"]["health"];
        let e = &health["engagement"];
        assert_eq!((e["meetings30d"].as_i64(), e["meetings90d"].as_i64()), (Some(1), Some(3)), "{e:#}");
        assert_eq!(e["cancellationRate"], 0.25, "one invitee cancellation among four scheduled");
        assert_eq!((e["noShowRate"].as_f64(), e["stakeholderCoverage"].as_f64()), (Some(0.0), Some(0.5)));
        assert!(e["lastMeeting"].is_string() && e["nextMeeting"].is_string(), "{e:#}");
        let next = app.graphql(MEETINGS, json!({"id": id})).await;
        assert!(next["customer"]["meetings"]["items"].as_array().unwrap().iter().any(|m| m["uid"] == upcoming.as_str()));
        let scores: Vec<(String, i64)> = health["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_string(), c["score"].as_i64().unwrap()))
            .collect();
        let expected = [("recency", 100), ("frequency", 100), ("cancellations", 50), ("no_shows", 100), ("coverage", 50)];
        assert_eq!(scores, expected.map(|(n, v)| (n.to_string(), v)));
        // (30·100 + 30·100 + 15·50 + 10·100 + 15·50) / 100
        assert_eq!((health["score"].as_i64(), health["band"].as_str()), (Some(85), Some("healthy")));
        assert_eq!((&health["trend"], &health["previousScore"]), (&Value::Null, &Value::Null), "a new customer has no past score");

        // An organization that only cares about coverage says so, and every score follows.
        const SET: &str = "mutation($w: HealthWeightsInput!) { setHealthWeights(input: $w) { recency coverage } }";
        let only_coverage = json!({"recency": 0, "frequency": 0, "cancellations": 0, "noShows": 0, "coverage": 5});
        app.graphql(SET, json!({"w": only_coverage})).await;
        assert_eq!(app.graphql("{ healthWeights { recency frequency cancellations noShows coverage } }", json!({})).await["healthWeights"], only_coverage);
        let data = app.graphql("query($id: ID!) { customer(id: $id) { health { score band } } }", json!({"id": id})).await;
        assert_eq!(data["customer"]["health"], json!({"score": 50, "band": "at_risk"}));
        let zero = app.graphql_as(DEMO_KEY, SET, json!({"w": {"recency": 0, "frequency": 0, "cancellations": 0, "noShows": 0, "coverage": 0}})).await;
        assert_eq!(zero.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["weights".to_string()]));
        let negative = app.graphql_as(DEMO_KEY, SET, json!({"w": {"recency": -1, "frequency": 0, "cancellations": 0, "noShows": 2000, "coverage": 1}})).await;
        let (code, mut fields) = negative.graphql_refusal();
        fields.sort();
        assert_eq!((code.as_str(), fields), ("VALIDATION_ERROR", vec!["recency".to_string()]), "the sign is checked before the size");
    }


    async fn bookings_link_by_stakeholder_email_then_domain_never_free_mail(app: TestApp) {
        let acme = app.graphql(CREATE, json!({"input": {"name": "Acme", "domains": ["https://www.Acme.com/about", "acme.io"], "tier": "enterprise"}})).await;
        let acme = &acme["createCustomer"];
        assert_eq!(acme["domains"], json!(["acme.com", "acme.io"]), "domains are normalized");
        assert_eq!((acme["tier"].as_str(), acme["lifecycleStage"].as_str()), (Some("enterprise"), Some("active")));
        let jane = app.graphql(ADD, json!({"c": acme["id"], "input": {"name": "Jane Doe", "email": "Jane@Acme.com", "role": "champion"}})).await;
        assert_eq!(jane["addStakeholder"]["email"], "jane@acme.com");

        let by_email = book(&app, "09:00", "jane@acme.com").await;
        let by_domain = book(&app, "10:00", "bob@eu.acme.com").await;
        let free_mail = book(&app, "11:00", "jane.doe@gmail.com").await;
        let elsewhere = book(&app, "14:00", "carol@globex.com").await;

        let mut expected = vec![
            (by_email.clone(), vec![("jane@acme.com".to_string(), "email".to_string(), true)]),
            (by_domain.clone(), vec![("bob@eu.acme.com".to_string(), "domain".to_string(), false)]),
        ];
        expected.sort();
        assert_eq!(meetings(&app, &acme["id"]).await, expected);

        // A second customer claiming globex.com picks up the booking made before it existed.
        let globex = app.graphql(CREATE, json!({"input": {"name": "Globex", "domains": ["globex.com"]}})).await;
        let globex_id = globex["createCustomer"]["id"].clone();
        assert_eq!(
            meetings(&app, &globex_id).await,
            vec![(elsewhere.clone(), vec![("carol@globex.com".to_string(), "domain".to_string(), false)])]
        );

        // Moving acme.com away from Acme relinks its domain booking; the stakeholder's stays.
        let moved = app.graphql("mutation($id: ID!) { updateCustomer(id: $id, input: {domains: [\"acme.io\"]}) { domains } }", json!({"id": acme["id"]})).await;
        assert_eq!(moved["updateCustomer"]["domains"], json!(["acme.io"]));
        assert_eq!(
            meetings(&app, &acme["id"]).await,
            vec![(by_email, vec![("jane@acme.com".to_string(), "email".to_string(), true)])]
        );
        assert!(meetings(&app, &globex_id).await.iter().all(|(uid, _)| *uid != free_mail));
    }

    async fn meetings_are_counted_by_the_kind_their_event_type_is(app: TestApp) {
        const SET: &str = "mutation($e: ID!, $c: String) { setMeetingCategory(eventTypeId: $e, category: $c) }";
        let thirty = app.event_type_id("30min").await;
        assert_eq!(app.graphql(SET, json!({"e": thirty.to_string(), "c": "qbr"})).await["setMeetingCategory"], "qbr");
        for (time, days_ago) in [("09:00", 5), ("10:00", 12)] {
            let uid = book(&app, time, "jane@acme.com").await;
            move_into_past(&app, &uid, days_ago).await;
        }
        let acme = app.graphql(CREATE, json!({"input": {"name": "Acme", "domains": ["acme.com"]}})).await["createCustomer"]["id"].clone();
        const Q: &str = "query($id: ID!) { customer(id: $id) { meetings { items { category } } health { engagement { byCategory { category count } } } } }";
        let data = app.graphql(Q, json!({"id": acme})).await;
        assert_eq!(data["customer"]["health"]["engagement"]["byCategory"], json!([{"category": "qbr", "count": 2}]));
        assert_eq!(data["customer"]["meetings"]["items"], json!([{"category": "qbr"}, {"category": "qbr"}]));

        assert_eq!(app.graphql(SET, json!({"e": thirty.to_string(), "c": null})).await["setMeetingCategory"], Value::Null);
        let data = app.graphql(Q, json!({"id": acme})).await;
        assert_eq!(data["customer"]["health"]["engagement"]["byCategory"], json!([{"category": "uncategorized", "count": 2}]));

        let wrong = app.graphql_as(DEMO_KEY, SET, json!({"e": "999999", "c": "party"})).await;
        let (code, mut fields) = wrong.graphql_refusal();
        fields.sort();
        assert_eq!((code.as_str(), fields), ("VALIDATION_ERROR", vec!["category".to_string(), "eventTypeId".to_string()]));
    }

    async fn a_manual_link_wins_and_survives_relinking(app: TestApp) {
        let acme = app.graphql(CREATE, json!({"input": {"name": "Acme", "domains": ["acme.com"]}})).await["createCustomer"]["id"].clone();
        let globex = app.graphql(CREATE, json!({"input": {"name": "Globex", "domains": ["globex.com"]}})).await["createCustomer"]["id"].clone();
        let private = book(&app, "09:00", "jane.doe@gmail.com").await;
        let consultant = book(&app, "10:00", "bob@acme.com").await;
        const LINK: &str = "mutation($b: String!, $c: ID!) { linkMeeting(bookingUid: $b, customerId: $c) { attendeeEmail matchedBy } }";

        // A free-mail booking nothing matched, linked by hand.
        let linked = app.graphql(LINK, json!({"b": private, "c": globex})).await;
        assert_eq!(linked["linkMeeting"], json!([{"attendeeEmail": "jane.doe@gmail.com", "matchedBy": "manual"}]));
        // An automatic domain match overridden: bob works for Globex, whatever his address.
        app.graphql(LINK, json!({"b": consultant, "c": globex})).await;
        assert!(meetings(&app, &acme).await.is_empty(), "the manual link replaced Acme's");
        let manual = |uid: &str, email: &str| (uid.to_string(), vec![(email.to_string(), "manual".to_string(), false)]);
        let mut expected = vec![manual(&private, "jane.doe@gmail.com"), manual(&consultant, "bob@acme.com")];
        expected.sort();
        assert_eq!(meetings(&app, &globex).await, expected);

        // Relinking acme.com's bookings (a domain change) keeps the CSM's decision.
        app.graphql("mutation($id: ID!) { updateCustomer(id: $id, input: {domains: [\"acme.com\", \"acme.io\"]}) { id } }", json!({"id": acme})).await;
        assert_eq!(meetings(&app, &globex).await, expected);
        assert!(meetings(&app, &acme).await.is_empty());

        // Wrong references are named.
        let wrong = app.graphql_as(DEMO_KEY, "mutation($b: String!, $c: ID!) { linkMeeting(bookingUid: $b, customerId: $c, attendeeEmail: \"x@y.com\", stakeholderId: \"999\") { matchedBy } }", json!({"b": private, "c": "424242"})).await;
        let (code, mut fields) = wrong.graphql_refusal();
        fields.sort();
        assert_eq!((code.as_str(), fields), ("VALIDATION_ERROR", vec!["attendeeEmail".to_string(), "customerId".to_string(), "stakeholderId".to_string()]));
        let missing = app.graphql_as(DEMO_KEY, LINK, json!({"b": "nope", "c": globex})).await;
        assert_eq!(missing.graphql_refusal().0, "NOT_FOUND");
    }

    async fn bad_input_names_the_field(app: TestApp) {
        let answer = app.graphql_as(DEMO_KEY, CREATE, json!({"input": {"name": " ", "domains": ["gmail.com", "not a domain"], "tier": "gold", "arrCents": -1, "lifecycleStage": "dead"}})).await;
        let (code, mut fields) = answer.graphql_refusal();
        fields.sort();
        assert_eq!(code, "VALIDATION_ERROR", "{:#}", answer.body);
        assert_eq!(fields, ["arrCents", "domains[0]", "domains[1]", "lifecycleStage", "name", "tier"]);
        let missing = app.graphql_as(DEMO_KEY, CREATE, json!({"input": {"domains": ["acme.com"]}})).await;
        assert_eq!(missing.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["name".to_string()]));

        let acme = app.graphql(CREATE, json!({"input": {"name": "Acme"}})).await;
        let id = acme["createCustomer"]["id"].clone();
        let first = app.graphql_as(DEMO_KEY, ADD, json!({"c": id, "input": {"name": "A", "email": "a@acme.com"}})).await;
        assert!(first.body.get("errors").is_none(), "{:#}", first.body);
        let taken = app.graphql_as(DEMO_KEY, ADD, json!({"c": id, "input": {"name": "B", "email": "A@acme.com", "role": "boss"}})).await;
        let (code, mut fields) = taken.graphql_refusal();
        fields.sort();
        assert_eq!((code.as_str(), fields), ("VALIDATION_ERROR", vec!["role".to_string()]), "the role is checked first");
        let taken = app.graphql_as(DEMO_KEY, ADD, json!({"c": id, "input": {"name": "B", "email": "A@acme.com"}})).await;
        assert_eq!(taken.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["email".to_string()]));
        let unknown_owner = app.graphql_as(DEMO_KEY, CREATE, json!({"input": {"name": "X", "ownerId": "999999"}})).await;
        assert_eq!(unknown_owner.graphql_refusal(), ("VALIDATION_ERROR".to_string(), vec!["ownerId".to_string()]));
    }

    async fn lists_filter_page_and_stay_inside_the_organization(app: TestApp) {
        let me = app.get("/v2/me").await.data()["id"].clone();
        for (name, tier, owned) in [("Acme", "enterprise", true), ("Acme Labs", "smb", false), ("Globex", "enterprise", true), ("Initech", "smb", true)] {
            let owner = if owned { json!(me.to_string()) } else { Value::Null };
            let domains = if name == "Acme" { json!(["acme.com"]) } else { json!([]) };
            app.graphql(CREATE, json!({"input": {"name": name, "tier": tier, "ownerId": owner, "domains": domains}})).await;
        }
        let names = |data: &Value, field: &str| -> Vec<String> {
            data[field]["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect()
        };
        let search = app.graphql("{ customers(search: \"ACME\") { items { name } hasMore } }", json!({})).await;
        assert_eq!(names(&search, "customers"), ["Acme", "Acme Labs"]);
        for wildcard in ["ac_e", "%"] {
            let literal = app.graphql("query($s: String) { customers(search: $s) { items { name } } }", json!({"s": wildcard})).await;
            assert!(names(&literal, "customers").is_empty(), "`{wildcard}` is searched for literally");
        }
        let tier = app.graphql("{ customers(tier: \"enterprise\") { items { name } } }", json!({})).await;
        assert_eq!(names(&tier, "customers"), ["Acme", "Globex"]);
        let mine = app.graphql("{ myAccounts { items { name } } }", json!({})).await;
        assert_eq!(names(&mine, "myAccounts"), ["Acme", "Globex", "Initech"]);
        let first = app.graphql("{ customers(limit: 3) { items { name } hasMore nextCursor } }", json!({})).await;
        assert_eq!((names(&first, "customers").len(), &first["customers"]["hasMore"]), (3, &json!(true)));
        let rest = app.graphql("query($c: String) { customers(limit: 3, cursor: $c) { items { name } hasMore } }", json!({"c": first["customers"]["nextCursor"]})).await;
        assert_eq!((names(&rest, "customers"), &rest["customers"]["hasMore"]), (vec!["Initech".to_string()], &json!(false)));

        // Another organization sees none of it, and cannot reach it by id.
        let rival = app.other_org_key().await;
        let theirs = app.graphql_as(&rival, "{ customers { items { name } } }", json!({})).await;
        assert_eq!(theirs.body["data"]["customers"]["items"], json!([]), "{:#}", theirs.body);
        let ids = app.graphql("{ customers(search: \"acme\") { items { id } } }", json!({})).await;
        let acme_id = ids["customers"]["items"][0]["id"].clone();
        let peek = app.graphql_as(&rival, "query($id: ID!) { customer(id: $id) { name } }", json!({"id": acme_id})).await;
        assert_eq!(peek.graphql_refusal().0, "NOT_FOUND", "{:#}", peek.body);
        let edit = app.graphql_as(&rival, ADD, json!({"c": acme_id, "input": {"name": "Spy", "email": "spy@rival.example"}})).await;
        assert_eq!(edit.graphql_refusal().0, "NOT_FOUND", "{:#}", edit.body);
        let anonymous = app.send(app.request(Method::POST, "/graphql", Some(json!({"query": "{ customers { items { name } } }"})))).await;
        assert_eq!(anonymous.body["errors"][0]["extensions"]["code"], "UNAUTHORIZED", "{:#}", anonymous.body);
    }

    async fn attendees_at_a_customer_domain_become_stakeholders_when_switched_on(app: TestApp) {
        let acme = app.graphql(CREATE, json!({"input": {"name": "Acme", "domains": ["acme.com"]}})).await["createCustomer"]["id"].clone();
        const PEOPLE: &str = "query($id: ID!) { customer(id: $id) { stakeholders { name email role } } }";
        let before = book(&app, "09:00", "old@acme.com").await;
        assert_eq!(app.graphql(PEOPLE, json!({"id": acme})).await["customer"]["stakeholders"], json!([]), "off by default");
        assert_eq!(app.graphql("{ autoCreateStakeholders }", json!({})).await["autoCreateStakeholders"], false);

        let on = app.graphql("mutation { setAutoCreateStakeholders(on: true) }", json!({})).await;
        assert_eq!(on["setAutoCreateStakeholders"], true);
        let after = book(&app, "09:30", "New.Person@acme.com").await;
        book(&app, "10:00", "someone@gmail.com").await;
        assert_eq!(
            app.graphql(PEOPLE, json!({"id": acme})).await["customer"]["stakeholders"],
            json!([{"name": "Someone", "email": "new.person@acme.com", "role": "user"}]),
            "only the new booking's attendee, and never a free-mail one"
        );
        let links = meetings(&app, &acme).await;
        let find = |uid: &str| links.iter().find(|(u, _)| u == uid).map(|(_, l)| l.clone());
        assert_eq!(find(&after), Some(vec![("new.person@acme.com".to_string(), "email".to_string(), true)]));
        assert_eq!(find(&before), Some(vec![("old@acme.com".to_string(), "domain".to_string(), false)]));

        let rival = app.other_org_key().await;
        let theirs = app.graphql_as(&rival, "{ autoCreateStakeholders }", json!({})).await;
        assert_eq!(theirs.body["data"]["autoCreateStakeholders"], false, "a setting of one organization");
    }
}
