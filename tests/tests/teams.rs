//! Organization roles and team scheduling end to end on SQLite and PostgreSQL.

use chrono::{Duration, NaiveDate, TimeZone, Utc, Weekday};
use convene_tests::{Answer, TestApp, next, on_both_databases};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `method path` authenticated with `key`.
/// The demo organization's id.
async fn demo_org(app: &TestApp) -> i64 {
    app.get("/v2/me").await.data()["organizationId"]
        .as_i64()
        .expect("the demo host's organization")
}

fn key(user: &Value) -> &str {
    user["apiKey"].as_str().expect("an API key")
}

on_both_databases! {
    async fn org_admins_add_users_who_can_use_their_key(app: TestApp) {
        let me = app.get("/v2/me").await;
        assert_eq!(me.data()["organizationRole"], "OWNER");

        let alice = app.add_user("alice", "MEMBER").await;
        assert_eq!(alice["organizationRole"], "MEMBER");
        assert_eq!(alice["timeZone"], "Europe/Berlin");
        let seen = app.call_as(key(&alice), Method::GET, "/v2/me", None).await;
        assert_eq!(seen.data()["username"], "alice");
        let schedule = app.call_as(key(&alice), Method::GET, "/v2/schedules/default", None).await;
        assert_eq!(schedule.status, StatusCode::OK, "a new user can be booked at once");

        let admin = app.add_user("adam", "ADMIN").await;
        let org = demo_org(&app).await;
        let path = format!("/v2/organizations/{org}/users");
        let by_admin = app.call_as(key(&admin), Method::POST, &path, Some(json!({
            "email": "bea@demo.example", "username": "bea", "name": "Bea"
        }))).await;
        assert_eq!(by_admin.status, StatusCode::CREATED, "{:#}", by_admin.body);
        assert_eq!(by_admin.data()["timeZone"], "UTC");
    }

    async fn members_and_strangers_may_not_add_users(app: TestApp) {
        let alice = app.add_user("alice", "MEMBER").await;
        let org = demo_org(&app).await;
        let path = format!("/v2/organizations/{org}/users");
        let body = json!({"email": "x@demo.example", "username": "x", "name": "X"});
        let by_member = app.call_as(key(&alice), Method::POST, &path, Some(body.clone())).await;
        assert_eq!(by_member.status, StatusCode::FORBIDDEN);
        assert_eq!(by_member.code(), "FORBIDDEN");

        let rival = app.other_org_key().await;
        let by_rival = app.call_as(&rival, Method::POST, &path, Some(body)).await;
        assert_eq!(by_rival.status, StatusCode::NOT_FOUND, "another organization is not theirs");
    }

    async fn adding_a_user_names_each_bad_field(app: TestApp) {
        app.add_user("alice", "MEMBER").await;
        let org = demo_org(&app).await;
        let path = format!("/v2/organizations/{org}/users");
        for (body, field) in [
            (json!({"email": "nope", "username": "n", "name": "N"}), "email"),
            (json!({"email": "n@demo.example", "username": "Bad Name", "name": "N"}), "username"),
            (json!({"email": "n@demo.example", "username": "alice", "name": "N"}), "username"),
            (json!({"email": "ALICE@demo.example", "username": "n", "name": "N"}), "email"),
            (json!({"email": "n@demo.example", "username": "n"}), "name"),
            (json!({"email": "n@demo.example", "username": "n", "name": "N", "timeZone": "Mars/Base"}), "timeZone"),
            (json!({"email": "n@demo.example", "username": "n", "name": "N", "organizationRole": "KING"}), "organizationRole"),
        ] {
            let answer = app.post(&path, body.clone()).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(answer.fields(), vec![field.to_string()], "{body}");
        }
    }
}

/// The team `slug` of the demo organization with `members` (username, team role), made
/// by the demo host (the organization's owner); (team id, users by name).
async fn team_with(app: &TestApp, slug: &str, members: &[(&str, &str)]) -> (i64, Vec<Value>) {
    let team = app
        .post(
            "/v2/teams",
            json!({"name": slug.to_uppercase(), "slug": slug}),
        )
        .await;
    assert_eq!(team.status, StatusCode::CREATED, "{:#}", team.body);
    let team_id = team.data()["id"].as_i64().unwrap();
    let mut users = Vec::new();
    for (name, role) in members {
        let user = app.add_user(name, "MEMBER").await;
        let added = app
            .post(
                &format!("/v2/teams/{team_id}/memberships"),
                json!({"userId": user["id"], "role": role}),
            )
            .await;
        assert_eq!(added.status, StatusCode::CREATED, "{:#}", added.body);
        users.push(user);
    }
    (team_id, users)
}

/// Creates a 30-minute team event type `slug` as the demo host.
async fn team_event_type(app: &TestApp, team: i64, slug: &str, kind: &str, hosts: Value) -> Answer {
    app.post(
        &format!("/v2/teams/{team}/event-types"),
        json!({
            "title": format!("Team {slug}"), "slug": slug, "lengthInMinutes": 30,
            "schedulingType": kind, "hosts": hosts,
        }),
    )
    .await
}

/// Sets `user`'s default schedule to weekdays `start`–`end` Berlin time.
async fn working_hours(app: &TestApp, user: &Value, start: &str, end: &str) {
    let schedule = app
        .call_as(key(user), Method::GET, "/v2/schedules/default", None)
        .await;
    let id = schedule.data()["id"].as_i64().unwrap();
    let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
    let patched = app
        .call_as(
            key(user),
            Method::PATCH,
            &format!("/v2/schedules/{id}"),
            Some(json!({"availability": [{"days": days, "startTime": start, "endTime": end}]})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:#}", patched.body);
}

/// The Berlin `HH:MM` starts of the team type's slots on `day`.
async fn team_slots(app: &TestApp, team_slug: &str, slug: &str, day: NaiveDate) -> Vec<String> {
    let answer = app
        .call_anonymous(
            Method::GET,
            &format!("/v2/slots?teamSlug={team_slug}&eventTypeSlug={slug}&start={day}&end={day}&timeZone=Europe/Berlin"),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    hhmm(answer.data(), day)
}

fn hhmm(days: &Value, day: NaiveDate) -> Vec<String> {
    days[day.to_string()]
        .as_array()
        .map(|slots| {
            slots
                .iter()
                .map(|s| s["start"].as_str().unwrap()[11..16].to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Books the team type at Berlin `hhmm` on `day` as an anonymous invitee.
async fn book_team(
    app: &TestApp,
    team_slug: &str,
    slug: &str,
    day: NaiveDate,
    hhmm: &str,
) -> Answer {
    let start = berlin(day, hhmm);
    app.call_anonymous(
        Method::POST,
        "/v2/bookings",
        Some(json!({
            "teamSlug": team_slug, "eventTypeSlug": slug, "start": start,
            "attendee": {"name": "Jane Doe", "email": "jane@acme.com", "timeZone": "Europe/Berlin"},
        })),
    )
    .await
}

/// `day` at Berlin `hhmm`, as a UTC ISO instant.
fn berlin(day: NaiveDate, hhmm: &str) -> String {
    let time = chrono::NaiveTime::parse_from_str(hhmm, "%H:%M").unwrap();
    chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_time(time))
        .unwrap()
        .with_timezone(&Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn host_names(booking: &Value) -> Vec<String> {
    booking["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["username"].as_str().unwrap().to_string())
        .collect()
}

/// A personal 30-minute event type of `user`; its Berlin slots on `day`.
async fn personal_slots(app: &TestApp, user: &Value, day: NaiveDate) -> Vec<String> {
    let username = user["username"].as_str().unwrap();
    app.call_as(
        key(user),
        Method::POST,
        "/v2/event-types",
        Some(json!({
            "title": "Chat", "slug": "chat", "lengthInMinutes": 30
        })),
    )
    .await;
    let answer = app
        .call_anonymous(
            Method::GET,
            &format!("/v2/slots?username={username}&eventTypeSlug=chat&start={day}&end={day}&timeZone=Europe/Berlin"),
            None,
        )
        .await;
    hhmm(answer.data(), day)
}

on_both_databases! {
    async fn collective_offers_only_common_time_and_holds_every_host(app: TestApp) {
        let (team, users) = team_with(&app, "duo", &[("alice", "MEMBER"), ("bob", "MEMBER")]).await;
        working_hours(&app, &users[0], "13:00", "17:00").await;
        working_hours(&app, &users[1], "09:00", "15:00").await;
        let hosts = json!([{"userId": users[0]["id"]}, {"userId": users[1]["id"]}]);
        let created = team_event_type(&app, team, "pair", "COLLECTIVE", hosts).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        assert_eq!(created.data()["schedulingType"], "COLLECTIVE");

        let day = next(Weekday::Mon);
        assert_eq!(team_slots(&app, "duo", "pair", day).await, ["13:00", "13:30", "14:00", "14:30"]);

        let booked = book_team(&app, "duo", "pair", day, "13:00").await;
        assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);
        assert_eq!(host_names(booked.data()), ["alice", "bob"]);
        let shown = app.call_anonymous(Method::GET, &format!("/v2/bookings/{}", booked.data()["uid"].as_str().unwrap()), None).await;
        assert_eq!(host_names(shown.data()), ["alice", "bob"], "the booking holds both hosts");

        assert_eq!(team_slots(&app, "duo", "pair", day).await, ["13:30", "14:00", "14:30"]);
        assert!(!personal_slots(&app, &users[0], day).await.contains(&"13:00".to_string()));
        let bobs = personal_slots(&app, &users[1], day).await;
        assert!(!bobs.contains(&"13:00".to_string()), "bob's own slots lose the time: {bobs:?}");
        assert!(bobs.contains(&"12:30".to_string()));

        let again = book_team(&app, "duo", "pair", day, "13:00").await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let outside = book_team(&app, "duo", "pair", day, "10:00").await;
        assert_eq!(outside.status, StatusCode::UNPROCESSABLE_ENTITY, "alice is not working at 10:00");
    }

    async fn round_robin_follows_the_first_worked_example(app: TestApp) {
        let (team, users) = team_with(&app, "sales", &[("alice", "MEMBER"), ("bob", "MEMBER"), ("carol", "MEMBER")]).await;
        let now = Utc::now();
        for (user, ago) in [(&users[0], Duration::hours(1)), (&users[1], Duration::days(2)), (&users[2], Duration::weeks(1))] {
            booked_before(&app, user, now - ago).await;
        }
        let hosts = json!([
            {"userId": users[0]["id"], "weight": 1},
            {"userId": users[1]["id"], "weight": 2},
            {"userId": users[2]["id"]},
        ]);
        let created = team_event_type(&app, team, "demo-call", "ROUND_ROBIN", hosts).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        let day = next(Weekday::Tue);
        let mut chosen = Vec::new();
        for hhmm in ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00"] {
            let booked = book_team(&app, "sales", "demo-call", day, hhmm).await;
            assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);
            chosen.push(host_names(booked.data())[0].clone());
        }
        assert_eq!(chosen, ["carol", "bob", "bob", "alice", "carol", "bob"]);
    }

    async fn a_round_robin_host_who_starts_late_takes_turns_rather_than_catching_up(app: TestApp) {
        let (team, users) = team_with(&app, "late", &[("alice", "MEMBER"), ("bob", "MEMBER")]).await;
        working_hours(&app, &users[0], "13:00", "17:00").await;
        let hosts = json!([{"userId": users[0]["id"]}, {"userId": users[1]["id"]}]);
        let created = team_event_type(&app, team, "intro", "ROUND_ROBIN", hosts).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        let day = next(Weekday::Tue);
        let mut chosen = Vec::new();
        for hhmm in ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"] {
            let booked = book_team(&app, "late", "intro", day, hhmm).await;
            assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);
            chosen.push(host_names(booked.data())[0].clone());
        }
        assert_eq!(
            chosen,
            ["bob", "bob", "bob", "bob", "alice", "bob", "alice", "bob"],
            "alice could not take the morning, so she is not owed it in the afternoon"
        );
    }

    async fn a_known_customer_books_their_account_owner(app: TestApp) {
        let (team, users) = team_with(&app, "success", &[("alice", "MEMBER"), ("bob", "MEMBER")]).await;
        working_hours(&app, &users[1], "09:00", "12:00").await;
        let hosts = json!([{"userId": users[0]["id"]}, {"userId": users[1]["id"]}]);
        let created = team_event_type(&app, team, "check-in", "ROUND_ROBIN", hosts).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        let acme = app.graphql("mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }",
            json!({"input": {"name": "Acme", "domains": ["acme.com"], "ownerId": users[1]["id"]}})).await;
        let acme = acme["createCustomer"]["id"].as_str().unwrap().parse::<i64>().unwrap();
        let cfo = app.graphql("mutation($id: ID!, $input: StakeholderInput!) { addStakeholder(customerId: $id, input: $input) { id } }",
            json!({"id": acme.to_string(), "input": {"name": "Cy", "email": "cy.private@gmail.com"}})).await;
        assert!(cfo["addStakeholder"]["id"].is_string(), "{cfo:#}");
        let day = next(Weekday::Tue);
        let book = async |email: &str, hhmm: &str, skip: bool| {
            let booked = app.call_anonymous(Method::POST, "/v2/bookings", Some(json!({
                "teamSlug": "success", "eventTypeSlug": "check-in", "start": berlin(day, hhmm),
                "attendee": {"name": "Someone", "email": email, "timeZone": "Europe/Berlin"},
                "skipContactOwner": skip,
            }))).await;
            assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);
            (host_names(booked.data())[0].clone(), booked.data()["assignment"].clone())
        };
        let owner = json!({"reason": "contact_owner", "customerId": acme});
        let rotation = json!({"reason": "round_robin", "customerId": null});

        for hhmm in ["09:00", "10:00", "11:00"] {
            assert_eq!(book("jane@acme.com", hhmm, false).await, ("bob".into(), owner.clone()),
                "Acme's people reach their owner, however often");
        }
        assert_eq!(book("jane@acme.com", "14:00", false).await, ("alice".into(), rotation.clone()),
            "the owner is not working then: the rotation chooses");
        assert_eq!(book("cy.private@gmail.com", "09:30", false).await, ("bob".into(), owner.clone()),
            "a stakeholder's own address counts, free mail or not");
        assert_eq!(book("someone@gmail.com", "10:30", false).await, ("alice".into(), rotation.clone()),
            "free mail says nothing about the company");
        let skipped = app.graphql(
            "mutation($input: CreateBookingInput!) { createBooking(input: $input) { hosts { username } assignment { reason customerId } } }",
            json!({"input": {"teamSlug": "success", "eventTypeSlug": "check-in", "start": berlin(day, "11:30"),
                "attendee": {"name": "Joe", "email": "joe@acme.com", "timeZone": "Europe/Berlin"},
                "skipContactOwner": true}})).await;
        assert_eq!(skipped["createBooking"]["hosts"][0]["username"], "alice", "skipContactOwner leaves it to the rotation");
        assert_eq!(skipped["createBooking"]["assignment"], rotation);
    }

    async fn admins_audit_how_a_round_robin_type_shares_its_bookings(app: TestApp) {
        let (team, users) = team_with(&app, "audit", &[("alice", "MEMBER"), ("bob", "MEMBER")]).await;
        let hosts = json!([{"userId": users[0]["id"]}, {"userId": users[1]["id"], "weight": 3}]);
        let created = team_event_type(&app, team, "demo", "ROUND_ROBIN", hosts).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        let event_type = created.data()["id"].to_string();
        let day = next(Weekday::Tue);
        for hhmm in ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30"] {
            let booked = book_team(&app, "audit", "demo", day, hhmm).await;
            assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);
        }
        let query = "query($id: ID!, $start: String!, $end: String!) {
            roundRobinFairness(eventTypeId: $id, start: $start, end: $end, timeZone: \"Europe/Berlin\") {
                username weight bookings share weightShare deviation } }";
        let table = app.graphql(query, json!({"id": event_type, "start": day.to_string(), "end": day.to_string()})).await;
        assert_eq!(table["roundRobinFairness"], json!([
            {"username": "alice", "weight": 1, "bookings": 2, "share": 0.25, "weightShare": 0.25, "deviation": 0.0},
            {"username": "bob", "weight": 3, "bookings": 6, "share": 0.75, "weightShare": 0.75, "deviation": 0.0},
        ]));
        let later = (day + Duration::days(7)).to_string();
        let quiet = app.graphql(query, json!({"id": event_type, "start": later, "end": later})).await;
        assert_eq!(quiet["roundRobinFairness"][0]["bookings"], 0);
        assert_eq!(quiet["roundRobinFairness"][0]["deviation"], Value::Null, "nothing to deviate from");

        let by_member = app.graphql_as(key(&users[0]), query,
            json!({"id": event_type, "start": day.to_string(), "end": day.to_string()})).await;
        assert_eq!(by_member.body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{:#}", by_member.body);
    }

    async fn fixed_hosts_join_every_round_robin_booking(app: TestApp) {
        let (team, users) = team_with(&app, "support", &[("alice", "MEMBER"), ("bob", "MEMBER"), ("carol", "MEMBER")]).await;
        working_hours(&app, &users[0], "10:00", "12:00").await;
        let hosts = json!([
            {"userId": users[0]["id"], "mandatory": true},
            {"userId": users[1]["id"]},
            {"userId": users[2]["id"]},
        ]);
        let created = team_event_type(&app, team, "escalation", "ROUND_ROBIN", hosts).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        let day = next(Weekday::Wed);
        assert_eq!(team_slots(&app, "support", "escalation", day).await, ["10:00", "10:30", "11:00", "11:30"], "only when the fixed host works");
        let first = book_team(&app, "support", "escalation", day, "10:00").await;
        let second = book_team(&app, "support", "escalation", day, "11:00").await;
        let (first, second) = (host_names(first.data()), host_names(second.data()));
        assert_eq!(first.len(), 2);
        assert_eq!(first[1], "alice", "the fixed host joins");
        assert_eq!(second[1], "alice");
        assert_ne!(first[0], second[0], "the others take turns");
    }

    async fn reassign_hands_the_booking_to_the_next_host(app: TestApp) {
        let (team, users) = team_with(&app, "cs", &[("alice", "MEMBER"), ("bob", "MEMBER"), ("carol", "MEMBER")]).await;
        working_hours(&app, &users[2], "16:00", "17:00").await;
        let hosts = json!([{"userId": users[0]["id"]}, {"userId": users[1]["id"]}, {"userId": users[2]["id"]}]);
        team_event_type(&app, team, "onboarding", "ROUND_ROBIN", hosts).await;
        let day = next(Weekday::Thu);
        let booked = book_team(&app, "cs", "onboarding", day, "09:00").await;
        let uid = booked.data()["uid"].as_str().unwrap().to_string();
        let first = host_names(booked.data())[0].clone();
        assert_ne!(first, "carol", "carol does not work at 09:00");

        let moved = app.post(&format!("/v2/bookings/{uid}/reassign"), json!({})).await;
        assert_eq!(moved.status, StatusCode::OK, "{:#}", moved.body);
        let second = host_names(moved.data())[0].clone();
        assert!(second != first && second != "carol", "{first} → {second}");
        assert!(moved.data()["title"].as_str().unwrap().contains(&second.to_uppercase()));
        assert_eq!(moved.data()["assignment"]["reason"], "round_robin", "the rotation chose again");

        let gql = app.graphql("mutation($uid: String!) { reassignBooking(uid: $uid) { hosts { username } } }", json!({"uid": uid})).await;
        assert_eq!(gql["reassignBooking"]["hosts"][0]["username"], json!(first), "back to the only other host free");

        let events: Vec<String> = app.outbox_kinds().await;
        assert_eq!(events.iter().filter(|k| *k == "BOOKING_REASSIGNED").count(), 2);

        let first_user = users.iter().find(|u| u["username"] == json!(first)).unwrap();
        let slots = personal_slots(&app, first_user, day).await;
        assert!(!slots.contains(&"09:00".to_string()), "the new host's time is held");
    }

    async fn team_management_needs_a_team_or_organization_admin(app: TestApp) {
        let (team, users) = team_with(&app, "ops", &[("alice", "MEMBER"), ("bob", "ADMIN")]).await;
        let alice = &users[0];
        let bob = &users[1];
        let body = json!({"title": "T", "slug": "t", "lengthInMinutes": 30, "schedulingType": "ROUND_ROBIN", "hosts": [{"userId": alice["id"]}]});
        let path = format!("/v2/teams/{team}/event-types");
        let by_member = app.call_as(key(alice), Method::POST, &path, Some(body.clone())).await;
        assert_eq!(by_member.status, StatusCode::FORBIDDEN);
        let add = app.call_as(key(alice), Method::POST, &format!("/v2/teams/{team}/memberships"), Some(json!({"userId": bob["id"]}))).await;
        assert_eq!(add.status, StatusCode::FORBIDDEN);
        let new_team = app.call_as(key(alice), Method::POST, "/v2/teams", Some(json!({"name": "X", "slug": "x"}))).await;
        assert_eq!(new_team.status, StatusCode::FORBIDDEN, "members of the organization do not create teams");

        let by_team_admin = app.call_as(key(bob), Method::POST, &path, Some(body)).await;
        assert_eq!(by_team_admin.status, StatusCode::CREATED, "{:#}", by_team_admin.body);

        let rival = app.other_org_key().await;
        let by_rival = app.call_as(&rival, Method::POST, &format!("/v2/teams/{team}/memberships"), Some(json!({"userId": alice["id"]}))).await;
        assert_eq!(by_rival.status, StatusCode::NOT_FOUND);

        let pooled = app.graphql_as(key(alice), "query($t: ID!) { teamAvailability(teamId: $t, start: \"2030-01-07\", end: \"2030-01-07\") { start } }", json!({"t": team.to_string()})).await;
        assert_eq!(pooled.graphql_refusal().0, "FORBIDDEN");
    }

    async fn bad_hosts_are_refused_naming_the_field(app: TestApp) {
        let (team, users) = team_with(&app, "qa", &[("alice", "MEMBER"), ("bob", "MEMBER")]).await;
        let outsider = app.add_user("olga", "MEMBER").await;
        let alice = users[0]["id"].clone();
        for (hosts, field) in [
            (json!([{"userId": alice, "weight": 0}]), "hosts[0].weight"),
            (json!([{"userId": alice, "weight": -1}]), "hosts[0].weight"),
            (json!([{"userId": 987654}]), "hosts[0].userId"),
            (json!([{"userId": alice}, {"userId": outsider["id"]}]), "hosts[1].userId"),
            (json!([{"userId": alice, "priority": "urgent"}]), "hosts[0].priority"),
            (json!([{"userId": alice}, {"userId": alice}]), "hosts[1].userId"),
            (json!([]), "hosts"),
        ] {
            let answer = team_event_type(&app, team, "bad", "ROUND_ROBIN", hosts.clone()).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{hosts}");
            assert_eq!(answer.fields(), vec![field.to_string()], "{hosts}");
        }
        let kind = team_event_type(&app, team, "bad", "MANAGED", json!([{"userId": alice}])).await;
        assert_eq!(kind.fields(), vec!["schedulingType".to_string()]);
    }

    async fn two_invitees_racing_for_one_slot_get_different_hosts(app: TestApp) {
        let (team, users) = team_with(&app, "race", &[("alice", "MEMBER"), ("bob", "MEMBER")]).await;
        let hosts = json!([{"userId": users[0]["id"]}, {"userId": users[1]["id"]}]);
        team_event_type(&app, team, "sprint", "ROUND_ROBIN", hosts).await;
        let day = next(Weekday::Fri);
        let (a, b) = tokio::join!(
            book_team(&app, "race", "sprint", day, "10:00"),
            book_team(&app, "race", "sprint", day, "10:00"),
        );
        assert_eq!((a.status, b.status), (StatusCode::CREATED, StatusCode::CREATED), "{:#} {:#}", a.body, b.body);
        let mut chosen = [host_names(a.data())[0].clone(), host_names(b.data())[0].clone()];
        chosen.sort();
        assert_eq!(chosen, ["alice", "bob"]);
        assert!(team_slots(&app, "race", "sprint", day).await.iter().all(|s| s != "10:00"));
        let third = book_team(&app, "race", "sprint", day, "10:00").await;
        assert_eq!(third.status, StatusCode::CONFLICT);
    }

    async fn every_member_hosts_when_the_type_takes_them_all(app: TestApp) {
        let (team, users) = team_with(&app, "all", &[("alice", "MEMBER"), ("bob", "MEMBER")]).await;
        let created = app.post(&format!("/v2/teams/{team}/event-types"), json!({
            "title": "Intro", "slug": "intro", "lengthInMinutes": 30, "schedulingType": "ROUND_ROBIN",
            "assignAllTeamMembers": true, "hosts": [{"userId": users[1]["id"], "weight": 3}],
        })).await;
        assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
        let id = created.data()["id"].as_i64().unwrap();
        let carol = app.add_user("carol", "MEMBER").await;
        app.post(&format!("/v2/teams/{team}/memberships"), json!({"userId": carol["id"]})).await;
        let shown = app.get(&format!("/v2/teams/{team}/event-types/{id}")).await;
        let hosts: Vec<(i64, i64)> = shown.data()["hosts"].as_array().unwrap().iter()
            .map(|h| (h["userId"].as_i64().unwrap(), h["weight"].as_i64().unwrap())).collect();
        let bob = users[1]["id"].as_i64().unwrap();
        assert_eq!(hosts.len(), 4, "the demo owner, alice, bob and carol, who joined later: {hosts:?}");
        assert!(hosts.contains(&(bob, 3)), "explicit settings are kept");
        assert!(hosts.contains(&(carol["id"].as_i64().unwrap(), 1)));
        let day = next(Weekday::Mon);
        assert!(team_slots(&app, "all", "intro", day).await.contains(&"09:00".to_string()));
    }

    async fn team_admins_see_who_is_free_when(app: TestApp) {
        let (team, users) = team_with(&app, "pool", &[("alice", "MEMBER"), ("bob", "MEMBER")]).await;
        working_hours(&app, &users[0], "09:00", "10:00").await;
        working_hours(&app, &users[1], "09:30", "10:30").await;
        let day = next(Weekday::Mon);
        let data = app.graphql(
            "query($t: ID!, $d: String!) { teamAvailability(teamId: $t, start: $d, end: $d, timeZone: \"Europe/Berlin\") { start freeHosts { username } } }",
            json!({"t": team.to_string(), "d": day.to_string()}),
        ).await;
        let seen: Vec<(String, Vec<String>)> = data["teamAvailability"].as_array().unwrap().iter().map(|s| (
            s["start"].as_str().unwrap()[11..16].to_string(),
            s["freeHosts"].as_array().unwrap().iter().map(|h| h["username"].as_str().unwrap().to_string()).collect(),
        )).collect();
        let demo_free = |hhmm: &str| seen.iter().find(|(t, _)| t == hhmm).map(|(_, h)| h.clone()).unwrap_or_default();
        assert_eq!(demo_free("09:00").iter().filter(|h| *h != "demo").collect::<Vec<_>>(), ["alice"]);
        assert_eq!(demo_free("09:30").iter().filter(|h| *h != "demo").collect::<Vec<_>>(), ["alice", "bob"]);
        assert_eq!(demo_free("10:00").iter().filter(|h| *h != "demo").collect::<Vec<_>>(), ["bob"]);
    }
}

/// A booking of `user`'s own event type made at `created` (in the past), so round
/// robin sees them as last booked then.
async fn booked_before(app: &TestApp, user: &Value, created: chrono::DateTime<Utc>) {
    use convene::domain::ids::{EventTypeId, OrgId, UserId};
    use convene::domain::span::Span;
    let et = app
        .call_as(
            key(user),
            Method::POST,
            "/v2/event-types",
            Some(json!({
                "title": "Earlier", "slug": "earlier", "lengthInMinutes": 30
            })),
        )
        .await;
    let span = Span::new(created, created + Duration::minutes(30));
    let booking = convene_tests::seed::booking(
        OrgId(user["organizationId"].as_i64().unwrap()),
        EventTypeId(et.data()["id"].as_i64().unwrap()),
        UserId(user["id"].as_i64().unwrap()),
        span,
        created,
    );
    convene::store::bookings::insert(&app.db, &booking)
        .await
        .expect("an earlier booking");
}
