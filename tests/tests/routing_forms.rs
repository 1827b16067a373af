//! Routing forms end to end on SQLite and PostgreSQL: the product brief's form, bad
//! forms and answers named by field, prefill, responses, GraphQL, and FORM_SUBMITTED
//! reaching a webhook.

use std::sync::{Arc, Mutex};

use convene_tests::{TestApp, next, on_both_databases, on_both_databases_with_jobs, until};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A personal 30-minute event type of the demo host; its id.
async fn event_type(app: &TestApp, slug: &str) -> i64 {
    let created = app
        .post(
            "/v2/event-types",
            json!({"title": slug.to_uppercase(), "slug": slug, "lengthInMinutes": 30}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    created.data()["id"].as_i64().unwrap()
}

/// The product brief's form: "Sales Demo" goes to `sales`, "Technical Support" to
/// `support`, anything else to a message.
fn brief_form(sales: i64, support: i64) -> Value {
    json!({
        "name": "Contact us",
        "fields": [
            {"id": "interest", "label": "What do you need?", "type": "select", "required": true,
             "options": ["Sales Demo", "Technical Support", "Other"]},
            {"id": "seats", "type": "number"},
            {"id": "email", "type": "email"},
        ],
        "routes": [
            {"conditions": [{"field": "interest", "op": "equals", "value": "Sales Demo"}],
             "action": "eventType", "eventTypeId": sales},
            {"conditions": [{"field": "interest", "op": "equals", "value": "Technical Support"}],
             "action": "eventType", "eventTypeId": support},
            {"combinator": "or", "conditions": [{"field": "seats", "op": "between", "value": [500, 100000]}],
             "action": "externalUrl", "url": "https://example.com/enterprise"},
        ],
        "fallback": {"action": "message", "message": "Thanks, we will write to you."},
    })
}

async fn create_form(app: &TestApp, body: Value) -> i64 {
    let created = app.post("/v2/routing-forms", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    created.data()["id"].as_i64().unwrap()
}

/// Submits `responses` to form `id` as an anonymous invitee, slots for `day` in Berlin.
async fn submit(app: &TestApp, id: i64, responses: Value) -> convene_tests::Answer {
    let day = next(chrono::Weekday::Mon);
    app.call_anonymous(
        Method::POST,
        &format!("/v2/routing-forms/{id}/responses?start={day}&end={day}&timeZone=Europe/Berlin"),
        Some(responses),
    )
    .await
}

on_both_databases! {
    async fn the_briefs_answers_route_to_their_event_types(app: TestApp) {
        let sales = event_type(&app, "sales-demo").await;
        let support = event_type(&app, "support").await;
        let form = create_form(&app, brief_form(sales, support)).await;

        let to_sales = submit(&app, form, json!({"interest": "Sales Demo"})).await;
        assert_eq!(to_sales.status, StatusCode::CREATED, "{:#}", to_sales.body);
        assert_eq!(to_sales.data()["eventTypeId"], sales);
        assert_eq!(to_sales.data()["routeIndex"], 0);
        let day = next(chrono::Weekday::Mon).to_string();
        let first = to_sales.data()["slots"][&day][0]["start"].as_str().unwrap_or_default();
        assert!(first.starts_with(&day) && (first.ends_with("+01:00") || first.ends_with("+02:00")), "slots of the routed type, in Berlin: {first}");
        let listed = app.get(&format!("/v2/slots?eventTypeId={sales}&start={day}&end={day}&timeZone=Europe/Berlin")).await;
        assert_eq!(to_sales.data()["slots"], *listed.data(), "the same slots GET /v2/slots lists");

        let to_support = submit(&app, form, json!({"interest": "technical support"})).await;
        assert_eq!(to_support.data()["eventTypeId"], support);

        let enterprise = submit(&app, form, json!({"interest": "Other", "seats": 900})).await;
        assert_eq!(enterprise.data()["routingExternalRedirectUrl"], "https://example.com/enterprise");
        assert_eq!(enterprise.data()["slots"], Value::Null);
        let fallback = submit(&app, form, json!({"interest": "Other"})).await;
        assert_eq!(fallback.data()["routingCustomMessage"], "Thanks, we will write to you.");
        assert_eq!(fallback.data()["routeIndex"], Value::Null);

        let page = app.get(&format!("/v2/routing-forms/{form}/responses?limit=3")).await;
        assert_eq!(page.status, StatusCode::OK, "{:#}", page.body);
        assert_eq!(page.data().as_array().unwrap().len(), 3);
        assert_eq!(page.body["pagination"]["hasMore"], true);
        assert_eq!(page.data()[0]["response"]["interest"], "Other", "newest first");
        let cursor = page.body["pagination"]["nextCursor"].as_str().unwrap();
        let rest = app.get(&format!("/v2/routing-forms/{form}/responses?limit=3&cursor={cursor}")).await;
        assert_eq!(rest.data()[0]["response"]["interest"], "Sales Demo", "spelled as the form lists it");
        assert_eq!(rest.data()[0]["routedTo"], json!({"action": "eventType", "eventTypeId": sales}));
        assert_eq!(rest.body["pagination"]["hasMore"], false);

        let kinds = app.outbox_kinds().await;
        assert_eq!(kinds.iter().filter(|k| *k == "FORM_SUBMITTED").count(), 4);
    }

    async fn a_link_prefills_the_form(app: TestApp) {
        let sales = event_type(&app, "sales-demo").await;
        let form = create_form(&app, brief_form(sales, sales)).await;
        let opened = app
            .call_anonymous(Method::GET, &format!("/v2/routing-forms/{form}/prefill?interest=sales%20demo&seats=12&email=bad&utm_source=ads"), None)
            .await;
        assert_eq!(opened.status, StatusCode::OK, "{:#}", opened.body);
        assert_eq!(opened.data()["prefill"], json!({"interest": "Sales Demo", "seats": 12.0}));
        assert_eq!(opened.data()["fields"][0]["label"], "What do you need?");
        assert!(opened.data().get("routes").is_none(), "invitees do not see the rules");
    }

    async fn bad_forms_and_answers_name_the_field(app: TestApp) {
        let sales = event_type(&app, "sales-demo").await;
        let gone = event_type(&app, "gone").await;
        let deleted = app.call(Method::DELETE, &format!("/v2/event-types/{gone}"), None).await;
        assert_eq!(deleted.status, StatusCode::OK);
        let mut to_deleted = brief_form(sales, sales);
        to_deleted["routes"][2] = json!({"action": "eventType", "eventTypeId": gone});
        let mut unknown_field = brief_form(sales, sales);
        unknown_field["routes"][1]["conditions"][0]["field"] = json!("budget");
        let mut wrong_type = brief_form(sales, sales);
        wrong_type["routes"][2]["conditions"][0]["value"] = json!("lots");
        let mut unknown_type = brief_form(sales, sales);
        unknown_type["fallback"] = json!({"action": "eventType", "eventTypeId": 999_999});
        for (body, field) in [
            (to_deleted, "routes[2].eventTypeId"),
            (unknown_field, "routes[1].conditions[0].field"),
            (wrong_type, "routes[2].conditions[0].value"),
            (unknown_type, "fallback.eventTypeId"),
        ] {
            let answer = app.post("/v2/routing-forms", body).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {:#}", answer.body);
            assert_eq!(answer.fields(), [field]);
        }

        let form = create_form(&app, brief_form(sales, sales)).await;
        let patched = app.call(Method::PATCH, &format!("/v2/routing-forms/{form}"), Some(json!({
            "routes": [{"conditions": [{"field": "seats", "op": "contains", "value": "1"}], "action": "message", "message": "m"}],
        }))).await;
        assert_eq!(patched.fields(), ["routes[0].conditions[0].op"]);
        for (responses, field) in [
            (json!({"seats": 3}), "responses.interest"),
            (json!({"interest": "Sales Demo", "seats": "three"}), "responses.seats"),
            (json!({"interest": "Pricing"}), "responses.interest"),
            (json!({"interest": "Other", "budget": 1}), "responses.budget"),
        ] {
            let answer = submit(&app, form, responses.clone()).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{responses}");
            assert_eq!(answer.fields(), [field], "{responses}");
        }
        assert!(!app.outbox_kinds().await.iter().any(|k| k == "FORM_SUBMITTED"), "refused answers are not kept");

        let rival = app.other_org_key().await;
        let theirs = app.send(app.request(Method::GET, &format!("/v2/routing-forms/{form}"), None).bearer_auth(&rival)).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    }

    async fn a_form_routing_to_an_event_type_deleted_later_says_so(app: TestApp) {
        let sales = event_type(&app, "sales-demo").await;
        let form = create_form(&app, brief_form(sales, sales)).await;
        app.call(Method::DELETE, &format!("/v2/event-types/{sales}"), None).await;
        let answer = submit(&app, form, json!({"interest": "Sales Demo"})).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{:#}", answer.body);
        assert!(answer.body["error"]["message"].as_str().unwrap().contains("no longer exists"));
    }

    async fn graphql_manages_and_submits_forms(app: TestApp) {
        let sales = event_type(&app, "sales-demo").await;
        let support = event_type(&app, "support").await;
        let body = brief_form(sales, support);
        let created = app.graphql(
            "mutation($i: RoutingFormInput!) { createRoutingForm(input: $i) { id name } }",
            json!({"i": {"name": body["name"], "fields": body["fields"], "routes": body["routes"], "fallback": body["fallback"]}}),
        ).await;
        let id = created["createRoutingForm"]["id"].as_str().unwrap().to_string();
        let submitted = app.graphql(
            "mutation($id: ID!) { submitRoutingForm(id: $id, responses: {interest: \"Technical Support\"}) { eventTypeId response { routeIndex } } }",
            json!({"id": id}),
        ).await;
        assert_eq!(submitted["submitRoutingForm"]["eventTypeId"], support.to_string());
        assert_eq!(submitted["submitRoutingForm"]["response"]["routeIndex"], 1);
        let listed = app.graphql(
            "query($id: ID!) { routingFormResponses(id: $id) { items { routedTo } } routingForms { items { id } } }",
            json!({"id": id}),
        ).await;
        assert_eq!(listed["routingFormResponses"]["items"][0]["routedTo"]["eventTypeId"], support);
        assert_eq!(listed["routingForms"]["items"][0]["id"], json!(id));
        let renamed = app.graphql(
            "mutation($id: ID!) { updateRoutingForm(id: $id, input: {name: \"Talk to us\"}) { name routes } }",
            json!({"id": id}),
        ).await;
        assert_eq!(renamed["updateRoutingForm"]["name"], "Talk to us");
        assert_eq!(renamed["updateRoutingForm"]["routes"][0]["eventTypeId"], sales, "the rules stay");
        app.graphql("mutation($id: ID!) { deleteRoutingForm(id: $id) }", json!({"id": id})).await;
        let gone = app.get(&format!("/v2/routing-forms/{id}")).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
    }
}

on_both_databases! {
    async fn a_route_to_chosen_members_shows_their_slots_alone(app: TestApp) {
        let alice = app.add_user("alice", "MEMBER").await;
        let bob = app.add_user("bob", "MEMBER").await;
        let team = app.post("/v2/teams", json!({"name": "Sales", "slug": "sales"})).await.data()["id"].clone();
        for user in [&alice, &bob] {
            app.post(&format!("/v2/teams/{team}/memberships"), json!({"userId": user["id"]})).await;
        }
        let demo = app.post(&format!("/v2/teams/{team}/event-types"), json!({
            "title": "Demo", "slug": "demo", "lengthInMinutes": 30, "schedulingType": "ROUND_ROBIN",
            "hosts": [{"userId": alice["id"]}, {"userId": bob["id"]}],
        })).await.data()["id"].as_i64().unwrap();
        let day = next(chrono::Weekday::Mon);
        let away = app.call_as(alice["apiKey"].as_str().unwrap(), Method::POST, "/v2/me/ooo", Some(json!({"start": day.to_string(), "end": day.to_string()}))).await;
        assert_eq!(away.status, StatusCode::CREATED, "{:#}", away.body);
        let form = create_form(&app, json!({
            "name": "Who", "fields": [{"id": "who", "type": "radio", "options": ["Alice", "Bob"]}],
            "routes": [
                {"conditions": [{"field": "who", "op": "equals", "value": "Alice"}], "action": "teamMembers", "eventTypeId": demo, "memberIds": [alice["id"]]},
                {"conditions": [{"field": "who", "op": "equals", "value": "Bob"}], "action": "teamMembers", "eventTypeId": demo, "memberIds": [bob["id"]]},
            ],
            "fallback": {"action": "eventType", "eventTypeId": demo},
        })).await;
        let to_alice = submit(&app, form, json!({"who": "Alice"})).await;
        assert_eq!(to_alice.data()["routing"]["teamMemberIds"], json!([alice["id"]]));
        assert_eq!(to_alice.data()["slots"], json!({}), "alice is away that day");
        let to_bob = submit(&app, form, json!({"who": "Bob"})).await;
        assert_eq!(to_bob.data()["slots"][day.to_string()].as_array().map(Vec::len), Some(16));

        // Booking the routed slot with Cal.com's `routedTeamMemberIds` keeps it with bob.
        let tomorrow = day.succ_opt().unwrap().to_string();
        let first = to_bob.data()["slots"][day.to_string()][0]["start"].as_str().unwrap().to_string();
        let attendee = json!({"name": "Jane", "email": "jane@acme.com", "timeZone": "Europe/Berlin"});
        let mut hosts = Vec::new();
        for start in [first.replace(&day.to_string(), &tomorrow), first.replace(&day.to_string(), &tomorrow).replace("T09:00", "T10:00")] {
            let booked = app.call_anonymous(Method::POST, "/v2/bookings", Some(json!({
                "eventTypeId": demo, "start": start, "attendee": attendee, "routedTeamMemberIds": [bob["id"]],
            }))).await;
            assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);
            hosts.push(booked.data()["hosts"][0]["username"].clone());
        }
        assert_eq!(hosts, [json!("bob"), json!("bob")], "not alice, though it is her turn");
        let stranger = app.call_anonymous(Method::POST, "/v2/bookings", Some(json!({
            "eventTypeId": demo, "start": first, "attendee": attendee, "routedTeamMemberIds": [987_654],
        }))).await;
        assert_eq!(stranger.fields(), ["routedTeamMemberIds[0]"]);

        let outsider = app.post("/v2/routing-forms", json!({
            "name": "Bad", "fields": [{"id": "who", "type": "text"}],
            "fallback": {"action": "teamMembers", "eventTypeId": demo, "memberIds": [alice["id"], 987_654]},
        })).await;
        assert_eq!(outsider.fields(), ["fallback.memberIds[1]"]);
    }

    async fn a_known_customer_is_routed_to_their_account_owner(app: TestApp) {
        let alice = app.add_user("alice", "MEMBER").await;
        let bob = app.add_user("bob", "MEMBER").await;
        let team = app.post("/v2/teams", json!({"name": "Success", "slug": "success"})).await.data()["id"].clone();
        for user in [&alice, &bob] {
            app.post(&format!("/v2/teams/{team}/memberships"), json!({"userId": user["id"]})).await;
        }
        let review = app.post(&format!("/v2/teams/{team}/event-types"), json!({
            "title": "Review", "slug": "review", "lengthInMinutes": 30, "schedulingType": "ROUND_ROBIN",
            "hosts": [{"userId": alice["id"]}, {"userId": bob["id"]}],
        })).await.data()["id"].as_i64().unwrap();
        let acme = app.graphql("mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }",
            json!({"input": {"name": "Acme", "domains": ["acme.com"], "ownerId": bob["id"].to_string()}})).await;
        let acme: i64 = acme["createCustomer"]["id"].as_str().unwrap().parse().unwrap();
        let (monday, tuesday) = (next(chrono::Weekday::Mon), next(chrono::Weekday::Tue));
        let away = app.call_as(bob["apiKey"].as_str().unwrap(), Method::POST, "/v2/me/ooo",
            Some(json!({"start": monday.to_string(), "end": monday.to_string()}))).await;
        assert_eq!(away.status, StatusCode::CREATED, "{:#}", away.body);
        let taken = app.call_anonymous(Method::POST, "/v2/bookings", Some(json!({
            "eventTypeId": review, "start": convene_tests::berlin(tuesday, 10), "routedTeamMemberIds": [bob["id"]],
            "attendee": {"name": "Earlier", "email": "earlier@example.com", "timeZone": "Europe/Berlin"},
        }))).await;
        assert_eq!(taken.status, StatusCode::CREATED, "{:#}", taken.body);
        let form = create_form(&app, json!({
            "name": "Talk to us", "fields": [{"id": "email", "type": "email", "required": true}],
            "fallback": {"action": "eventType", "eventTypeId": review},
        })).await;
        let ask = async |email: &str, day: chrono::NaiveDate, extra: &str| {
            let answer = app.call_anonymous(Method::POST,
                &format!("/v2/routing-forms/{form}/responses?start={day}&end={day}&timeZone=Europe/Berlin{extra}"),
                Some(json!({"email": email}))).await;
            assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
            let starts: Vec<String> = answer.data()["slots"][day.to_string()].as_array().unwrap().iter()
                .map(|s| s["start"].as_str().unwrap()[11..16].to_string()).collect();
            (answer.data()["routing"]["contactOwner"].clone(), starts)
        };
        let to_bob = json!({"userId": bob["id"], "customerId": acme});
        let (owner, starts) = ask("jane@acme.com", tuesday, "").await;
        assert_eq!(owner, to_bob, "Acme's people are sent to their owner");
        assert_eq!(starts.len(), 15, "bob's slots alone: {starts:?}");
        assert!(!starts.contains(&"10:00".to_string()), "bob is booked at 10:00, though alice is free");
        let (owner, starts) = ask("jane@acme.com", tuesday, "&skipContactOwner=true").await;
        assert_eq!(owner, Value::Null);
        assert!(starts.contains(&"10:00".to_string()), "skipContactOwner shows every host's slots");
        let (owner, _) = ask("someone@gmail.com", tuesday, "").await;
        assert_eq!(owner, Value::Null, "not a known customer");
        let (owner, starts) = ask("jane@acme.com", monday, "").await;
        assert_eq!(owner, Value::Null, "bob is away: the rotation's slots");
        assert_eq!(starts.len(), 16);

        let gql = app.graphql("mutation($id: ID!, $r: JSON!, $d: String) { submitRoutingForm(id: $id, responses: $r, start: $d, end: $d, timeZone: \"Europe/Berlin\") { contactOwner { userId customerId } } }",
            json!({"id": form.to_string(), "r": {"email": "joe@acme.com"}, "d": tuesday.to_string()})).await;
        assert_eq!(gql["submitRoutingForm"]["contactOwner"], json!({"userId": bob["id"].to_string(), "customerId": acme.to_string()}));
    }
}

on_both_databases! {
    async fn erasing_a_person_scrubs_their_form_answers(app: TestApp) {
        let sales = event_type(&app, "sales-demo").await;
        let form = create_form(&app, brief_form(sales, sales)).await;
        submit(&app, form, json!({"interest": "Other", "email": "jane@acme.com"})).await;
        submit(&app, form, json!({"interest": "Other", "email": "joe@acme.com"})).await;
        let customer = app.graphql("mutation { createCustomer(input: {name: \"Acme\", domains: [\"acme.com\"]}) { id } }", json!({})).await;
        let jane = app.graphql(
            "mutation($c: ID!) { addStakeholder(customerId: $c, input: {name: \"Jane Doe\", email: \"jane@acme.com\"}) { id } }",
            json!({"c": customer["createCustomer"]["id"]}),
        ).await["addStakeholder"]["id"].as_str().unwrap().to_string();

        let export = app.get(&format!("/v2/stakeholders/{jane}/export")).await;
        assert_eq!(export.data()["routingFormResponses"][0]["response"]["email"], "jane@acme.com");
        assert_eq!(export.data()["routingFormResponses"].as_array().unwrap().len(), 1, "only hers");

        let erased = app.post(&format!("/v2/stakeholders/{jane}/erase"), json!({})).await;
        assert_eq!(erased.status, StatusCode::OK, "{:#}", erased.body);
        assert_eq!(erased.data()["formResponses"], 1);
        let kept = app.get(&format!("/v2/routing-forms/{form}/responses")).await;
        let emails: Vec<&str> = kept.data().as_array().unwrap().iter().map(|r| r["response"]["email"].as_str().unwrap()).collect();
        assert_eq!(emails[0], "joe@acme.com");
        assert!(emails[1].starts_with("erased-") && emails[1].ends_with("@erased.invalid"), "{emails:?}");
    }
}

on_both_databases_with_jobs! {
    async fn form_submitted_reaches_webhooks(app: TestApp) {
        let got: Arc<Mutex<Vec<Value>>> = Arc::default();
        let sink = got.clone();
        let receiver = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: String| {
                let sink = sink.clone();
                async move {
                    sink.lock().unwrap().push(serde_json::from_str(&body).unwrap_or_default());
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
        let hook = app.post("/v2/webhooks", json!({"subscriberUrl": url, "triggers": ["FORM_SUBMITTED"]})).await;
        assert_eq!(hook.status, StatusCode::CREATED, "{:#}", hook.body);

        let me = app.demo_caller().await.user_id.0;
        let acme = app.graphql("mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }",
            json!({"input": {"name": "Acme", "domains": ["acme.com"], "ownerId": me.to_string()}})).await;
        let acme: i64 = acme["createCustomer"]["id"].as_str().unwrap().parse().unwrap();
        let sales = event_type(&app, "sales-demo").await;
        let form = create_form(&app, brief_form(sales, sales)).await;
        submit(&app, form, json!({"interest": "Other", "email": "Jane@Acme.com"})).await;
        until("the FORM_SUBMITTED delivery", async || !got.lock().unwrap().is_empty()).await;
        let body = got.lock().unwrap()[0].clone();
        assert_eq!(body["triggerEvent"], "FORM_SUBMITTED");
        assert_eq!(body["payload"]["formId"], form);
        assert_eq!(body["payload"]["formName"], "Contact us");
        assert_eq!(body["payload"]["responses"]["email"]["value"], "Jane@Acme.com");
        assert_eq!(body["payload"]["routedTo"]["action"], "message");
        assert_eq!(body["payload"]["customer"], json!({"id": acme, "name": "Acme", "ownerId": me}),
            "the account the booker belongs to, and its owner");
    }
}
