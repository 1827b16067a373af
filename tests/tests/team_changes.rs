//! Changing a team on SQLite and PostgreSQL: team event types updated and deleted,
//! members removed (and no longer hosting), each refused to members who do not manage
//! the team.

use chrono::{TimeZone, Utc, Weekday};
use convene_tests::{TestApp, next, on_both_databases};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn key(user: &Value) -> &str {
    user["apiKey"].as_str().expect("an API key")
}

/// Team `sales` with alice (MEMBER) and bob (ADMIN), and a round-robin `demo`
/// hosted by both; (team id, event type id, alice, bob).
async fn sales_team(app: &TestApp) -> (i64, i64, Value, Value) {
    let alice = app.add_user("alice", "MEMBER").await;
    let bob = app.add_user("bob", "MEMBER").await;
    let team = app
        .post("/v2/teams", json!({"name": "Sales", "slug": "sales"}))
        .await
        .data()["id"]
        .as_i64()
        .unwrap();
    for (user, role) in [(&alice, "MEMBER"), (&bob, "ADMIN")] {
        let added = app
            .post(
                &format!("/v2/teams/{team}/memberships"),
                json!({"userId": user["id"], "role": role}),
            )
            .await;
        assert_eq!(added.status, StatusCode::CREATED, "{:#}", added.body);
    }
    let created = app.post(&format!("/v2/teams/{team}/event-types"), json!({
        "title": "Demo", "slug": "demo", "lengthInMinutes": 30, "schedulingType": "ROUND_ROBIN",
        "hosts": [{"userId": alice["id"]}, {"userId": bob["id"]}],
    })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:#}", created.body);
    (team, created.data()["id"].as_i64().unwrap(), alice, bob)
}

fn host_ids(t: &Value) -> Vec<i64> {
    t["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["userId"].as_i64().unwrap())
        .collect()
}

on_both_databases! {
    async fn admins_update_and_delete_team_event_types(app: TestApp) {
        let (team, id, alice, bob) = sales_team(&app).await;
        let path = format!("/v2/teams/{team}/event-types/{id}");
        let by_member = app.call_as(key(&alice), Method::PATCH, &path, Some(json!({"title": "Mine"}))).await;
        assert_eq!(by_member.status, StatusCode::FORBIDDEN);
        let gone_by_member = app.call_as(key(&alice), Method::DELETE, &path, None).await;
        assert_eq!(gone_by_member.status, StatusCode::FORBIDDEN);

        let patched = app.call_as(key(&bob), Method::PATCH, &path, Some(json!({
            "title": "Product demo", "lengthInMinutes": 45, "schedulingType": "COLLECTIVE",
        }))).await;
        assert_eq!(patched.status, StatusCode::OK, "{:#}", patched.body);
        assert_eq!(patched.data()["title"], "Product demo");
        assert_eq!(patched.data()["lengthInMinutes"], 45);
        assert_eq!(patched.data()["schedulingType"], "COLLECTIVE");
        assert_eq!(host_ids(patched.data()).len(), 2, "hosts stay unless sent");

        let hosts = app.call_as(key(&bob), Method::PATCH, &path, Some(json!({"hosts": [{"userId": bob["id"], "weight": 0}]}))).await;
        assert_eq!(hosts.fields(), ["hosts[0].weight"]);
        let only_bob = app.call_as(key(&bob), Method::PATCH, &path, Some(json!({"hosts": [{"userId": bob["id"]}]}))).await;
        assert_eq!(host_ids(only_bob.data()), [bob["id"].as_i64().unwrap()]);

        let gql = app.graphql_as(key(&bob), "mutation($t: ID!, $id: ID!) { updateTeamEventType(teamId: $t, id: $id, input: {title: \"Via GraphQL\"}) { title } }", json!({"t": team.to_string(), "id": id.to_string()})).await;
        assert_eq!(gql.body["data"]["updateTeamEventType"]["title"], "Via GraphQL", "{:#}", gql.body);

        let deleted = app.call_as(key(&bob), Method::DELETE, &path, None).await;
        assert_eq!(deleted.status, StatusCode::OK, "{:#}", deleted.body);
        assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
        let day = next(Weekday::Mon);
        let slots = app.get(&format!("/v2/slots?teamSlug=sales&eventTypeSlug=demo&start={day}&end={day}")).await;
        assert_eq!(slots.status, StatusCode::NOT_FOUND, "a deleted type has no slots");
    }

    async fn a_removed_member_stops_hosting(app: TestApp) {
        let (team, id, alice, bob) = sales_team(&app).await;
        let path = format!("/v2/teams/{team}/memberships/{}", bob["id"]);
        let by_member = app.call_as(key(&alice), Method::DELETE, &path, None).await;
        assert_eq!(by_member.status, StatusCode::FORBIDDEN);

        let removed = app.call(Method::DELETE, &path, None).await;
        assert_eq!(removed.status, StatusCode::OK, "{:#}", removed.body);
        let members = app.get(&format!("/v2/teams/{team}/memberships")).await;
        assert!(!members.data().as_array().unwrap().iter().any(|m| m["userId"] == bob["id"]));
        let shown = app.get(&format!("/v2/teams/{team}/event-types/{id}")).await;
        assert_eq!(host_ids(shown.data()), [alice["id"].as_i64().unwrap()], "bob no longer hosts");

        let day = next(Weekday::Tue);
        for h in [9, 10] {
            let start = chrono_tz::Europe::Berlin
                .from_local_datetime(&day.and_hms_opt(h, 0, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc)
                .to_rfc3339();
            let booked = app.call_anonymous(Method::POST, "/v2/bookings", Some(json!({
                "teamSlug": "sales", "eventTypeSlug": "demo", "start": start,
                "attendee": {"name": "Jane", "email": "jane@acme.com", "timeZone": "Europe/Berlin"},
            }))).await;
            assert_eq!(booked.status, StatusCode::CREATED, "{:#}", booked.body);
            assert_eq!(booked.data()["hosts"][0]["username"], "alice");
        }

        let again = app.call(Method::DELETE, &path, None).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        let gql = app.graphql("mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) }", json!({"t": team.to_string(), "u": alice["id"].to_string()})).await;
        assert_eq!(gql["removeTeamMember"], alice["id"].to_string());
        let me = app.get("/v2/me").await.data()["id"].clone();
        let last_owner = app.call(Method::DELETE, &format!("/v2/teams/{team}/memberships/{me}"), None).await;
        assert_eq!(last_owner.status, StatusCode::CONFLICT, "the last owner stays");
    }
}
