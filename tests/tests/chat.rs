//! Chat commands end to end, over REST `POST /v2/chat` and GraphQL `runCommand`, on
//! SQLite and PostgreSQL: every example sentence against customers, stakeholders and
//! bookings made through the API, ambiguity that changes nothing, typos, a cancel
//! that is the API's cancel, a sent link that books, and organizations kept apart.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Berlin;
use convene::domain::ids::OrgId;
use convene_tests::{Answer, DEMO_KEY, TestApp, next, on_both_databases};
use reqwest::Method;
use serde_json::{Value, json};

/// `POST /v2/chat` with `key`.
async fn chat_as(app: &TestApp, key: &str, text: &str) -> Answer {
    let request = app
        .request(Method::POST, "/v2/chat", Some(json!({ "text": text })))
        .bearer_auth(key);
    app.send(request).await
}

/// `POST /v2/chat` as the demo host; the answer's data (`{reply, intent, data, candidates}`).
async fn chat(app: &TestApp, text: &str) -> Value {
    let answer = chat_as(app, DEMO_KEY, text).await;
    assert_eq!(answer.status, 200, "{text}: {:#}", answer.body);
    answer.data().clone()
}

const RUN: &str = "mutation($t: String!) { runCommand(text: $t) { reply intent data candidates { kind id name email domain customer start } } }";

/// `runCommand` with `key`: the whole GraphQL body.
async fn run_command_as(app: &TestApp, key: &str, text: &str) -> Value {
    let body = json!({ "query": RUN, "variables": { "t": text } });
    let request = app
        .request(Method::POST, "/graphql", Some(body))
        .bearer_auth(key);
    app.send(request).await.body
}

/// Tomorrow in the demo host's zone.
fn tomorrow() -> NaiveDate {
    Utc::now().with_timezone(&Berlin).date_naive() + Duration::days(1)
}

fn at(day: NaiveDate, hhmm: &str) -> DateTime<Utc> {
    let time = chrono::NaiveTime::parse_from_str(hhmm, "%H:%M").expect("a time");
    Berlin
        .from_local_datetime(&day.and_time(time))
        .single()
        .expect("a local time")
        .with_timezone(&Utc)
}

/// The demo host's calls: an event type open every day 08:00–20:00 Berlin, so that
/// "tomorrow" is always bookable.
async fn every_day_event_type(app: &TestApp) -> i64 {
    let days = json!([
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday"
    ]);
    let schedule = app
        .post(
            "/v2/schedules",
            json!({"name": "Every day", "timeZone": "Europe/Berlin",
               "availability": [{"days": days, "startTime": "08:00", "endTime": "20:00"}]}),
        )
        .await;
    assert_eq!(schedule.status, 201, "{:?}", schedule.body);
    let created = app
        .post(
            "/v2/event-types",
            json!({"title": "Check-in", "slug": "check-in", "lengthInMinutes": 30,
               "scheduleId": schedule.data()["id"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.data()["id"].as_i64().expect("an id")
}

/// Books `event_type` at `start` for `name <email>` over REST; the booking's uid.
async fn book(
    app: &TestApp,
    event_type: i64,
    start: DateTime<Utc>,
    name: &str,
    email: &str,
) -> String {
    let created = app
        .post(
            "/v2/bookings",
            json!({"eventTypeId": event_type, "start": start.to_rfc3339(),
               "attendee": {"name": name, "email": email, "timeZone": "Europe/Berlin"}}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.data()["uid"].as_str().expect("a uid").to_string()
}

const CREATE: &str = "mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }";
const ADD: &str = "mutation($c: ID!, $input: StakeholderInput!) { addStakeholder(customerId: $c, input: $input) { id } }";

/// Acme (acme.com) with Jane Doe and Bob Smith, Globex (globex.com) with Jane Roe.
async fn customers(app: &TestApp) -> (Value, Value) {
    let acme = app
        .graphql(
            CREATE,
            json!({"input": {"name": "Acme, Inc.", "domains": ["acme.com"], "tier": "smb"}}),
        )
        .await["createCustomer"]["id"]
        .clone();
    let globex = app
        .graphql(
            CREATE,
            json!({"input": {"name": "Globex Corporation", "domains": ["globex.com"]}}),
        )
        .await["createCustomer"]["id"]
        .clone();
    for (customer, name, email) in [
        (&acme, "Jane Doe", "jane@acme.com"),
        (&acme, "Bob Smith", "bob@acme.com"),
        (&globex, "Jane Roe", "jane.roe@globex.com"),
    ] {
        app.graphql(
            ADD,
            json!({"c": customer, "input": {"name": name, "email": email}}),
        )
        .await;
    }
    (acme, globex)
}

/// The bookings the tests talk about.
struct Bookings {
    /// Jane Doe, tomorrow 10:00 Berlin.
    jane_tomorrow: String,
    /// Jane Roe (Globex), tomorrow 15:00.
    roe_tomorrow: String,
    /// Bob Smith, the Tuesday after next week, 09:00 (the demo 30min type); made last.
    bob_later: String,
}

async fn bookings(app: &TestApp) -> Bookings {
    let check_in = every_day_event_type(app).await;
    let thirty = app.event_type_id("30min").await;
    let jane_tomorrow = book(
        app,
        check_in,
        at(tomorrow(), "10:00"),
        "Jane Doe",
        "jane@acme.com",
    )
    .await;
    let roe_tomorrow = book(
        app,
        check_in,
        at(tomorrow(), "15:00"),
        "Jane Roe",
        "jane.roe@globex.com",
    )
    .await;
    let bob_later = book(
        app,
        thirty,
        at(next(Weekday::Tue), "09:00"),
        "Bob Smith",
        "bob@acme.com",
    )
    .await;
    Bookings {
        jane_tomorrow,
        roe_tomorrow,
        bob_later,
    }
}

fn uids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|b| b["uid"].as_str().expect("a uid").to_string())
        .collect()
}

fn candidate_names(answer: &Value) -> Vec<String> {
    answer["candidates"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["name"].as_str().expect("a name").to_string())
        .collect()
}

async fn status(app: &TestApp, uid: &str) -> (String, Value) {
    let booking = app.get(&format!("/v2/bookings/{uid}")).await;
    assert_eq!(booking.status, 200, "{:?}", booking.body);
    (
        booking.data()["status"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        booking.data()["cancelledBy"].clone(),
    )
}

on_both_databases! {
    async fn questions_about_a_customer_answer_a_sentence_and_data(app: TestApp) {
        let (acme, _) = customers(&app).await;
        let b = bookings(&app).await;

        let shown = chat(&app, "show bookings for Acme").await;
        assert_eq!(shown["intent"], "show_bookings", "{shown:#}");
        assert_eq!(shown["data"]["subject"]["id"], acme);
        assert_eq!(shown["data"]["subject"]["name"], "Acme, Inc.");
        assert_eq!(uids(&shown["data"]["upcoming"]), [b.jane_tomorrow.clone(), b.bob_later.clone()]);
        assert_eq!((&shown["data"]["recent"], &shown["data"]["more"]), (&json!([]), &json!(0)));
        let first = &shown["data"]["upcoming"][0];
        assert_eq!((&first["status"], &first["attendees"][0]["email"], &first["eventType"]["slug"]), (&json!("accepted"), &json!("jane@acme.com"), &json!("check-in")), "bookings come in the /v2/bookings shape");
        assert_eq!(first, app.get(&format!("/v2/bookings/{}", b.jane_tomorrow)).await.data());
        let reply = shown["reply"].as_str().unwrap();
        assert!(reply.starts_with("Acme, Inc. has 2 upcoming bookings, the next on "), "{reply}");

        let next = chat(&app, "What's my next meeting with Acme?").await;
        assert_eq!(next["intent"], "next_meeting", "{next:#}");
        assert_eq!(next["data"]["booking"]["uid"], b.jane_tomorrow.as_str());
        let reply = next["reply"].as_str().unwrap();
        assert!(reply.starts_with("Your next meeting with Acme, Inc. is Check-in between Demo Host and Jane Doe on "), "{reply}");
        assert!(reply.contains(&tomorrow().format("%-d %b %Y at 10:00").to_string()), "{reply}");

        let last = chat(&app, "when did Acme last schedule with me?").await;
        assert_eq!(last["intent"], "last_scheduled", "{last:#}");
        assert_eq!(last["data"]["booking"]["uid"], b.bob_later.as_str(), "the booking made last");
        assert!(last["reply"].as_str().unwrap().starts_with("Acme, Inc. last scheduled with you on "), "{last:#}");
        let by_person = chat(&app, "when did Jane Doe last book a meeting with me").await;
        assert_eq!((&by_person["data"]["subject"]["kind"], &by_person["data"]["booking"]["uid"]), (&json!("stakeholder"), &json!(b.jane_tomorrow)));

        let health = chat(&app, "health of Acme").await;
        assert_eq!(health["intent"], "health", "{health:#}");
        let data = &health["data"];
        let names: Vec<&str> = data["components"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["recency", "frequency", "cancellations", "no_shows", "coverage"]);
        let score = data["score"].as_i64().unwrap();
        let expected = app.graphql("query($id: ID!) { customer(id: $id) { health { score band } } }", json!({"id": acme})).await;
        assert_eq!((json!(score), &data["band"]), (expected["customer"]["health"]["score"].clone(), &expected["customer"]["health"]["band"]), "the same health as the dashboard's");
        let reply = health["reply"].as_str().unwrap();
        assert!(reply.starts_with(&format!("Acme, Inc. is critical: health {score}/100, no trend yet")), "{reply}");
        assert!(reply.contains("weakest: recency 0 (no meeting held yet)"), "{reply}");

        // Spelling, case, punctuation and company suffixes do not matter; the domain names it too.
        for text in ["SHOW BOOKINGS FOR ACME!!", "show bookings for acme inc", "show bookings for Acmee", "show meetings with acme.com", "show me Acme's bookings please"] {
            let answer = chat(&app, text).await;
            assert_eq!((&answer["intent"], &answer["data"]["subject"]["id"]), (&json!("show_bookings"), &acme), "{text}: {answer:#}");
        }

        // GraphQL answers the same.
        let via_graphql = run_command_as(&app, DEMO_KEY, "show bookings for Acme").await;
        let answer = &via_graphql["data"]["runCommand"];
        assert_eq!((&answer["intent"], &answer["reply"]), (&shown["intent"], &shown["reply"]), "{via_graphql:#}");
        assert_eq!(answer["data"]["upcoming"], shown["data"]["upcoming"]);
    }

    async fn send_makes_a_single_use_link_filled_in_with_the_person(app: TestApp) {
        let (acme, globex) = customers(&app).await;
        let sent = chat(&app, "send my 30min link to Jane Doe").await;
        assert_eq!(sent["intent"], "send_link", "{sent:#}");
        let data = &sent["data"];
        let link = &data["link"];
        let token = link["token"].as_str().unwrap();
        assert_eq!((&data["eventType"]["slug"], &data["person"]["email"]), (&json!("30min"), &json!("jane@acme.com")));
        assert_eq!((&link["prefillName"], &link["prefillEmail"], &link["maxUses"], &link["status"]), (&json!("Jane Doe"), &json!("jane@acme.com"), &json!(1), &json!("active")));
        assert_eq!((link["customerId"].to_string(), link["stakeholderId"].to_string()), (acme.as_str().unwrap().to_string(), data["person"]["id"].as_str().unwrap().to_string()));
        let url = data["url"].as_str().unwrap();
        assert!(url.ends_with(&format!("/l/{token}")), "{url}");
        let reply = sent["reply"].as_str().unwrap();
        assert!(reply.starts_with("Here is a single-use link to your 30 Minute Meeting for Jane Doe (jane@acme.com), valid until "), "{reply}");
        assert!(reply.ends_with(url), "{reply}");
        let listed = app.get("/v2/scheduling-links").await;
        assert_eq!(listed.data()[0], *link, "the link is the API's own");

        // The invitee opens it and books with nothing to fill in; it then is used up.
        let opened = app.call_anonymous(Method::GET, &format!("/v2/scheduling-links/{token}"), None).await;
        assert_eq!((opened.status.as_u16(), &opened.data()["prefill"]["email"]), (200, &json!("jane@acme.com")), "{:#}", opened.body);
        let path = format!("/v2/scheduling-links/{token}/bookings");
        let start = at(next(Weekday::Tue), "11:00").to_rfc3339();
        let booked = app.call_anonymous(Method::POST, &path, Some(json!({"start": start, "attendee": {"timeZone": "Europe/Berlin"}}))).await;
        assert_eq!(booked.status, 201, "{:#}", booked.body);
        assert_eq!(booked.data()["attendees"][0]["email"], "jane@acme.com");
        let again = app.call_anonymous(Method::POST, &path, Some(json!({"start": at(next(Weekday::Wed), "11:00").to_rfc3339(), "attendee": {"timeZone": "Europe/Berlin"}}))).await;
        assert_eq!(again.status, 410, "single use: {:#}", again.body);
        let next_meeting = chat(&app, "what's my next meeting with Acme").await;
        assert_eq!(next_meeting["data"]["booking"]["uid"], booked.data()["uid"]);

        // Other ways to say it.
        for (text, slug) in [("send Jane Doe my 30 minute link", "30min"), ("share the 60-min booking link with jane@acme.com", "60min"), ("Send my 1 hour link to Bob, please", "60min")] {
            let answer = chat(&app, text).await;
            assert_eq!((&answer["intent"], &answer["data"]["eventType"]["slug"]), (&json!("send_link"), &json!(slug)), "{text}: {answer:#}");
        }
        // Someone who booked before without being a stakeholder: their customer by domain.
        book(&app, app.event_type_id("30min").await, at(next(Weekday::Wed), "10:00"), "Carol Baskin", "carol@globex.com").await;
        let carol = chat(&app, "send my 60min link to carol").await;
        let link = &carol["data"]["link"];
        assert_eq!((&carol["data"]["person"]["kind"], &link["prefillName"], &link["prefillEmail"], &link["stakeholderId"]), (&json!("attendee"), &json!("Carol Baskin"), &json!("carol@globex.com"), &Value::Null), "{carol:#}");
        assert_eq!(link["customerId"].to_string(), globex.as_str().unwrap());
        let made = app.get("/v2/scheduling-links").await.data().as_array().unwrap().len();
        assert_eq!(made, 5);

        // Nothing is made when the link or the person is not clear.
        let which_link = chat(&app, "send a link to Jane Doe").await;
        assert_eq!(which_link["intent"], "ambiguous", "{which_link:#}");
        assert_eq!(candidate_names(&which_link), ["30 Minute Meeting", "60 Minute Meeting"]);
        assert_eq!(which_link["candidates"][0]["kind"], "event_type");
        assert_eq!(which_link["reply"], "I have nothing to recommend for Acme, Inc.: onboarding is due (new account (a customer since today) with no onboarding session yet) but there is no onboarding event type. Which link do you mean: 30min (30 Minute Meeting) or 60min (60 Minute Meeting)?");
        let which_jane = chat(&app, "send my 30min link to Jane").await;
        assert_eq!((which_jane["intent"].as_str(), candidate_names(&which_jane)), (Some("ambiguous"), vec!["Jane Doe".to_string(), "Jane Roe".to_string()]));
        let unknown = chat(&app, "send my 45min link to Jane Doe").await;
        assert_eq!((&unknown["intent"], &unknown["reply"]), (&json!("not_found"), &json!("I found no event type of yours called “45min”.")));
        assert_eq!(app.get("/v2/scheduling-links").await.data().as_array().unwrap().len(), made);
    }

    async fn provider_words_are_understood_and_answered_honestly(app: TestApp) {
        customers(&app).await;
        for (text, provider) in [("show Calendly bookings for Acme", "calendly"), ("send Calendly link to Jane", "calendly"), ("send my cal.com link to Jane Doe", "calcom")] {
            let answer = chat(&app, text).await;
            assert_eq!((&answer["intent"], &answer["data"]["provider"]), (&json!("not_connected"), &json!(provider)), "{text}: {answer:#}");
            assert!(answer["reply"].as_str().unwrap().ends_with("is not connected to your account; connect it under integrations."));
        }
    }

    async fn an_ambiguous_name_answers_candidates_and_changes_nothing(app: TestApp) {
        customers(&app).await;
        let b = bookings(&app).await;

        let which = chat(&app, "what's my next meeting with Jane?").await;
        assert_eq!(which["intent"], "ambiguous", "{which:#}");
        assert_eq!(candidate_names(&which), ["Jane Doe", "Jane Roe"]);
        assert_eq!(which["candidates"][0]["kind"], "stakeholder");
        assert_eq!((&which["candidates"][0]["email"], &which["candidates"][0]["customer"]), (&json!("jane@acme.com"), &json!("Acme, Inc.")));
        assert_eq!(which["data"], json!({"command": "next_meeting", "query": "Jane"}));
        assert_eq!(which["reply"], "Which “Jane” do you mean: Jane Doe (jane@acme.com, Acme, Inc.) or Jane Roe (jane.roe@globex.com, Globex Corporation)?");

        let cancel = chat(&app, "cancel my meeting with Jane tomorrow").await;
        assert_eq!((cancel["intent"].as_str(), candidate_names(&cancel)), (Some("ambiguous"), vec!["Jane Doe".to_string(), "Jane Roe".to_string()]));
        for uid in [&b.jane_tomorrow, &b.roe_tomorrow] {
            assert_eq!(status(&app, uid).await.0, "accepted", "an ambiguous cancel cancels nothing");
        }

        // Two meetings with one person that day: the meetings are the candidates.
        let check_in = app.get("/v2/event-types").await.data().as_array().unwrap().iter().find(|e| e["slug"] == "check-in").unwrap()["id"].as_i64().unwrap();
        let second = book(&app, check_in, at(tomorrow(), "17:00"), "Jane Doe", "jane@acme.com").await;
        let cancel = chat(&app, "cancel my meeting with Jane Doe tomorrow").await;
        assert_eq!(cancel["intent"], "ambiguous", "{cancel:#}");
        let kinds: Vec<(&str, &str)> = cancel["candidates"].as_array().unwrap().iter().map(|c| (c["kind"].as_str().unwrap(), c["id"].as_str().unwrap())).collect();
        assert_eq!(kinds, [("booking", b.jane_tomorrow.as_str()), ("booking", second.as_str())]);
        assert!(cancel["reply"].as_str().unwrap().contains("I cancelled none"), "{cancel:#}");
        for uid in [&b.jane_tomorrow, &second] {
            assert_eq!(status(&app, uid).await.0, "accepted");
        }
    }

    async fn a_cancel_is_the_api_cancel(app: TestApp) {
        customers(&app).await;
        let b = bookings(&app).await;
        // The same cancel over REST, to compare the events with.
        let rest = app.post(&format!("/v2/bookings/{}/cancel", b.roe_tomorrow), json!({})).await;
        assert_eq!(rest.status, 200, "{:?}", rest.body);

        let cancel = chat(&app, "Cancel my meeting with Jnae Doe tomorrow.").await;
        assert_eq!(cancel["intent"], "cancel_meeting", "{cancel:#}");
        assert_eq!(cancel["data"]["booking"]["uid"], b.jane_tomorrow.as_str());
        assert_eq!(cancel["data"]["booking"]["status"], "cancelled");
        assert!(cancel["reply"].as_str().unwrap().starts_with("Cancelled Check-in between Demo Host and Jane Doe on "), "{cancel:#}");
        assert_eq!(status(&app, &b.jane_tomorrow).await, ("cancelled".to_string(), json!("host")));
        assert_eq!(status(&app, &b.roe_tomorrow).await, ("cancelled".to_string(), json!("host")));
        assert_eq!(status(&app, &b.bob_later).await.0, "accepted");

        let events = convene::store::outbox::pending(&app.db, OrgId(1)).await.unwrap();
        let cancelled: Vec<&Value> = events.iter().filter(|e| e.kind == "BOOKING_CANCELLED").map(|e| &e.payload).collect();
        assert_eq!(cancelled.len(), 2, "{events:#?}");
        let shape = |p: &Value| {
            let mut keys: Vec<String> = p.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            (keys, p["status"].clone(), p["organizer"].clone())
        };
        assert_eq!(shape(cancelled[0]), shape(cancelled[1]), "chat and REST record the same event");
        assert_eq!(cancelled[1]["uid"], b.jane_tomorrow.as_str());

        let again = chat(&app, "cancel my meeting with Jane Doe tomorrow").await;
        assert_eq!(again["intent"], "not_found", "{again:#}");
        assert_eq!(again["reply"], format!("You have no upcoming meeting with Jane Doe on {} to cancel.", tomorrow().format("%a %-d %b %Y")));
        assert_eq!(again["data"]["date"], tomorrow().to_string());
    }

    async fn one_organization_never_sees_another(app: TestApp) {
        customers(&app).await;
        let b = bookings(&app).await;
        let rival = app.other_org_key().await;
        for text in [
            "show bookings for Acme",
            "health of Acme",
            "when did Acme last schedule with me?",
            "what's my next meeting with jane@acme.com",
            "cancel my meeting with Jane Doe tomorrow",
        ] {
            let answer = chat_as(&app, &rival, text).await;
            assert_eq!(answer.status, 200, "{:?}", answer.body);
            let data = answer.data();
            assert_eq!(data["intent"], "not_found", "{text}: {data:#}");
            assert_eq!(data["candidates"], json!([]));
            let text_of_answer = data.to_string();
            for secret in ["Acme, Inc.", "bob@acme.com", "Globex", "jane.roe", &b.jane_tomorrow] {
                assert!(!text_of_answer.contains(secret), "{text}: leaks {secret}: {data:#}");
            }
        }
        let via_graphql = run_command_as(&app, &rival, "show bookings for Acme").await;
        assert_eq!(via_graphql["data"]["runCommand"]["intent"], "not_found", "{via_graphql:#}");
        assert_eq!(status(&app, &b.jane_tomorrow).await.0, "accepted");
    }

    async fn an_erased_person_can_no_longer_be_named(app: TestApp) {
        customers(&app).await;
        let b = bookings(&app).await;
        let bob = chat(&app, "what's my next meeting with Bob").await;
        assert_eq!(bob["data"]["booking"]["uid"], b.bob_later.as_str(), "{bob:#}");
        let id = bob["data"]["subject"]["id"].as_str().unwrap();
        let erased = app.post(&format!("/v2/stakeholders/{id}/erase"), json!({})).await;
        assert_eq!(erased.status, 200, "{:#}", erased.body);
        for text in ["what's my next meeting with Bob", "show bookings for Bob Smith", "what's my next meeting with Erased attendee", "send my 30min link to erased attendee"] {
            let answer = chat(&app, text).await;
            assert_eq!(answer["intent"], "not_found", "{text}: {answer:#}");
        }
    }

    async fn text_outside_the_grammar_answers_help_and_bad_text_is_refused(app: TestApp) {
        let unknown = chat(&app, "what is the weather like?").await;
        assert_eq!(unknown["intent"], "unknown", "{unknown:#}");
        let examples = unknown["data"]["examples"].as_array().unwrap();
        assert_eq!(examples.len(), 8);
        assert!(examples.contains(&json!("cancel my meeting with Jane tomorrow")));
        let reply = unknown["reply"].as_str().unwrap();
        assert!(reply.starts_with("Sorry, I did not understand that. Try: “send my 30min link to Jane Doe”;"), "{reply}");
        assert_eq!(chat(&app, "Help!").await["intent"], "help");
        let nobody = chat(&app, "health of Umbrella").await;
        assert_eq!((&nobody["intent"], &nobody["reply"]), (&json!("not_found"), &json!("I found no customer called “Umbrella”.")));

        for (body, field) in [
            (json!({"text": ""}), "text"),
            (json!({"text": "   "}), "text"),
            (json!({"text": "a".repeat(501)}), "text"),
            (json!({}), "text"),
            (json!({"text": 5}), "text"),
        ] {
            let answer = app.post("/v2/chat", body.clone()).await;
            assert_eq!((answer.status.as_u16(), answer.code(), answer.fields()), (422, "VALIDATION_ERROR", vec![field.to_string()]), "{body}: {:?}", answer.body);
        }
        assert_eq!(chat(&app, &format!("health of {}", "a".repeat(490))).await["intent"], "not_found", "500 characters are fine");
        let anonymous = app.call_anonymous(Method::POST, "/v2/chat", Some(json!({"text": "help"}))).await;
        assert_eq!((anonymous.status.as_u16(), anonymous.code()), (401, "UNAUTHORIZED"));
        let empty = run_command_as(&app, DEMO_KEY, "").await;
        assert_eq!(empty["errors"][0]["extensions"]["code"], "VALIDATION_ERROR", "{empty:#}");
        assert_eq!(empty["errors"][0]["extensions"]["details"][0]["field"], "text");
    }
}
