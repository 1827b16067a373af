//! Connections end to end: the OAuth flow through the real `/oauth` routes against a
//! faithful authorization server fake, tokens sealed at rest, refresh on expiry and on
//! rejection (once, however many callers), broken and revoked connections.

use std::time::Duration;

use convene::app::connections::{self, Refresh};
use convene::app::{AppError, auth::Caller};
use convene::auth::oauth::{self, ClientAuth, FlowState};
use convene::domain::connection::{ConnectionId, ConnectionOwner};
use convene::domain::ids::{OrgId, UserId};
use convene_tests::fakes::oauth::{ACCOUNT, FakeOAuth};
use convene_tests::oauth_flow::{self, browser, come_back};
use convene_tests::{TestApp, on_both_databases};
use reqwest::{StatusCode, header};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

const PLUGIN: &str = "fake-calendar";

/// A fake provider registered with the server as plugin [`PLUGIN`].
async fn provider(app: &TestApp, client_auth: ClientAuth) -> FakeOAuth {
    let fake = FakeOAuth::start(&format!("{}/oauth/{PLUGIN}/callback", app.base)).await;
    app.app
        .oauth_providers
        .register(fake.provider(PLUGIN, client_auth));
    fake
}

/// The whole flow; the new connection's id.
async fn connect(app: &TestApp) -> ConnectionId {
    ConnectionId(oauth_flow::connect(app, PLUGIN).await)
}

async fn consent(app: &TestApp) -> String {
    oauth_flow::consent(app, PLUGIN).await
}

async fn bearer(app: &TestApp, id: ConnectionId, refresh: Refresh<'_>) -> Result<String, AppError> {
    let org = app.demo_caller().await.org_id;
    connections::bearer(&app.app, org, id, refresh).await
}

/// What the provider's protected resource answers to `token`.
async fn me(fake: &FakeOAuth, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{}/me", fake.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Every column of the connection row as text.
async fn raw_row(app: &TestApp, id: ConnectionId) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            format!(
                "SELECT id, access_token_sealed, refresh_token_sealed, scopes, status \
                 FROM connections WHERE id = {}",
                id.0
            ),
        ))
        .await
        .unwrap()
        .expect("the row");
    [
        "access_token_sealed",
        "refresh_token_sealed",
        "scopes",
        "status",
    ]
    .iter()
    .map(|column| {
        row.try_get::<Option<String>>("", column)
            .unwrap()
            .unwrap_or_default()
    })
    .collect()
}

async fn notifications(app: &TestApp) -> Vec<Value> {
    let answer = app.get("/v2/me/notifications").await;
    answer.data().as_array().cloned().unwrap_or_default()
}

on_both_databases! {
    async fn the_pkce_flow_connects_and_stores_the_tokens_sealed(app: TestApp) {
        let fake = provider(&app, ClientAuth::Basic).await;
        let back = consent(&app).await;
        let page = app.send(browser().get(&back)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(fake.code_exchanges(), 1);

        let caller = app.demo_caller().await;
        let listed = connections::list(&app.app, caller, ConnectionOwner::User(caller.user_id))
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        let connection = &listed[0];
        assert_eq!(connection.plugin_id, PLUGIN);
        assert!(connection.expires_at.is_some());
        assert_eq!(connection.scopes, ["calendar.read", "calendar.write"]);

        let token = bearer(&app, connection.id, Refresh::WhenExpired).await.unwrap();
        assert_eq!(me(&fake, &token).await, StatusCode::OK);
        assert_eq!(fake.refreshes(), 0, "a fresh token is used as it is");

        let row = raw_row(&app, connection.id).await.join(" ");
        assert!(row.contains("active"));
        for issued in fake.issued_tokens() {
            assert!(!row.contains(&issued), "token {issued} stored in the clear");
        }
        assert_eq!(fake.client_auth_seen(), ["basic"]);

        // The plugin host names the account once it has asked the provider.
        connections::set_account_label(&app.app, caller.org_id, connection.id, ACCOUNT)
            .await
            .unwrap();
        let listed = connections::list(&app.app, caller, ConnectionOwner::User(caller.user_id))
            .await
            .unwrap();
        assert_eq!(listed[0].account_label.as_deref(), Some(ACCOUNT));
        let elsewhere =
            connections::set_account_label(&app.app, OrgId(caller.org_id.0 + 1), connection.id, "x")
                .await;
        assert!(matches!(elsewhere, Err(AppError::NotFound(_))), "{elsewhere:?}");
    }

    async fn an_expired_token_is_refreshed_once_and_a_rejected_one_at_once(app: TestApp) {
        let fake = provider(&app, ClientAuth::Body).await;
        fake.set_access_ttl(Duration::from_secs(2));
        let id = connect(&app).await;
        let first = bearer(&app, id, Refresh::WhenExpired).await.unwrap();
        assert_eq!(fake.refreshes(), 0, "fresh for 2 s less the 500 ms skew");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(me(&fake, &first).await, StatusCode::UNAUTHORIZED);

        fake.set_access_ttl(Duration::from_secs(3600));
        let second = bearer(&app, id, Refresh::WhenExpired).await.unwrap();
        assert_ne!(second, first);
        assert_eq!(me(&fake, &second).await, StatusCode::OK);
        assert_eq!(fake.refreshes(), 1);
        assert_eq!(bearer(&app, id, Refresh::WhenExpired).await.unwrap(), second);
        assert_eq!(fake.refreshes(), 1, "the new token is fresh");

        // The provider rejected a token that has not expired (revoked on its side, say).
        let third = bearer(&app, id, Refresh::Rejected(&second)).await.unwrap();
        assert_ne!(third, second);
        assert_eq!(me(&fake, &third).await, StatusCode::OK);
        assert_eq!(fake.refreshes(), 2, "rotated refresh token used, not the spent one");
        // A late report of the old token's rejection costs nothing: it was replaced.
        assert_eq!(bearer(&app, id, Refresh::Rejected(&second)).await.unwrap(), third);
        assert_eq!(fake.refreshes(), 2);
        assert!(fake.client_auth_seen().iter().all(|m| *m == "body"));
    }

    async fn callers_that_find_the_token_expired_together_refresh_once(app: TestApp) {
        let fake = provider(&app, ClientAuth::Basic).await;
        fake.set_access_ttl(Duration::ZERO);
        let id = connect(&app).await;
        fake.set_access_ttl(Duration::from_secs(3600));
        fake.set_token_delay(Duration::from_millis(300));
        let org = app.demo_caller().await.org_id;
        let calls = (0..8).map(|_| {
            let app = app.app.clone();
            tokio::spawn(async move { connections::bearer(&app, org, id, Refresh::WhenExpired).await })
        });
        let tokens: Vec<String> = futures::future::join_all(calls)
            .await
            .into_iter()
            .map(|joined| joined.unwrap().unwrap())
            .collect();
        assert_eq!(fake.refreshes(), 1);
        assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
        assert_eq!(me(&fake, &tokens[0]).await, StatusCode::OK);

        // The same when they all just saw the provider reject the token.
        let rejected = tokens[0].clone();
        let calls = (0..8).map(|_| {
            let (app, rejected) = (app.app.clone(), rejected.clone());
            tokio::spawn(async move {
                connections::bearer(&app, org, id, Refresh::Rejected(&rejected)).await
            })
        });
        let tokens: Vec<String> = futures::future::join_all(calls)
            .await
            .into_iter()
            .map(|joined| joined.unwrap().unwrap())
            .collect();
        assert_eq!(fake.refreshes(), 2);
        assert!(tokens.iter().all(|t| *t == tokens[0] && *t != rejected));
    }

    async fn a_refused_refresh_breaks_the_connection_and_tells_the_owner(app: TestApp) {
        let fake = provider(&app, ClientAuth::Basic).await;
        let id = connect(&app).await;
        let token = bearer(&app, id, Refresh::WhenExpired).await.unwrap();

        // The provider is down for a moment: nothing breaks, the caller may retry.
        fake.set_unavailable(true);
        let down = bearer(&app, id, Refresh::Rejected(&token)).await;
        assert!(matches!(down, Err(AppError::Upstream(_))), "{down:?}");
        fake.set_unavailable(false);
        assert!(notifications(&app).await.is_empty());

        // The user removed Convene at the provider.
        fake.revoke_all_grants();
        let refused = bearer(&app, id, Refresh::Rejected(&token)).await;
        assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
        let requests = fake.token_requests();
        let again = bearer(&app, id, Refresh::WhenExpired).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
        assert_eq!(fake.token_requests(), requests, "a broken connection is not retried");

        let row = raw_row(&app, id).await;
        assert_eq!(row[3], "broken");
        assert!(row[0].is_empty() && row[1].is_empty(), "dead tokens are forgotten");
        let notices = notifications(&app).await;
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert_eq!(notices[0]["kind"], "CONNECTION_BROKEN");
        assert_eq!(notices[0]["subject"], format!("connection:{}", id.0));

        // Connecting again mends the same connection.
        assert_eq!(connect(&app).await, id);
        let mended = bearer(&app, id, Refresh::WhenExpired).await.unwrap();
        assert_eq!(me(&fake, &mended).await, StatusCode::OK);
    }

    async fn a_teams_broken_connection_tells_each_team_admin_once(app: TestApp) {
        let fake = provider(&app, ClientAuth::Basic).await;
        let team = app.post("/v2/teams", json!({"name": "Success", "slug": "success"})).await;
        let team_id = team.data()["id"].as_i64().unwrap();
        let admin = app.add_user("ada", "MEMBER").await;
        let member = app.add_user("bob", "MEMBER").await;
        for (user, role) in [(&admin, "ADMIN"), (&member, "MEMBER")] {
            let added = app
                .post(
                    &format!("/v2/teams/{team_id}/memberships"),
                    json!({"userId": user["id"], "role": role}),
                )
                .await;
            assert_eq!(added.status, StatusCode::CREATED, "{:#}", added.body);
        }
        let id = ConnectionId(
            oauth_flow::connect_for(&app, PLUGIN, &format!("?team={team_id}")).await,
        );
        let token = bearer(&app, id, Refresh::WhenExpired).await.unwrap();

        fake.revoke_all_grants();
        // Two callers find the token refused at once: the connection breaks once.
        let (first, second) = tokio::join!(
            bearer(&app, id, Refresh::Rejected(&token)),
            bearer(&app, id, Refresh::Rejected(&token)),
        );
        assert!(first.is_err() && second.is_err());
        let notices_of = async |key: &str| {
            let answer = app
                .call_as(key, reqwest::Method::GET, "/v2/me/notifications", None)
                .await;
            answer.data().as_array().cloned().unwrap_or_default()
        };
        let admin_notices = notices_of(admin["apiKey"].as_str().unwrap()).await;
        assert_eq!(admin_notices.len(), 1, "{admin_notices:?}");
        assert_eq!(admin_notices[0]["kind"], "CONNECTION_BROKEN");
        assert_eq!(admin_notices[0]["subject"], format!("connection:{}", id.0));
        assert_eq!(notifications(&app).await.len(), 1, "the team's owner too, once");
        assert!(notices_of(member["apiKey"].as_str().unwrap()).await.is_empty(), "members are not told");
    }

    async fn revoking_ends_the_grant_at_the_provider_and_here(app: TestApp) {
        let fake = provider(&app, ClientAuth::Basic).await;
        let id = connect(&app).await;
        let token = bearer(&app, id, Refresh::WhenExpired).await.unwrap();
        let caller = app.demo_caller().await;
        let revoked = connections::revoke(&app.app, caller, id).await.unwrap();
        assert_eq!(revoked.status.as_str(), "revoked");
        assert_eq!(fake.revocations(), 2, "refresh token, then access token");
        assert_eq!(me(&fake, &token).await, StatusCode::UNAUTHORIZED);
        let gone = bearer(&app, id, Refresh::WhenExpired).await;
        assert!(matches!(gone, Err(AppError::Gone(_))), "{gone:?}");
        let row = raw_row(&app, id).await;
        assert!(row[0].is_empty() && row[1].is_empty());

        // Nobody else's: another organization cannot see or revoke it.
        let rival = convene::app::auth::authenticate(&app.db, &app.other_org_key().await)
            .await
            .unwrap();
        let hidden = connections::revoke(&app.app, rival, id).await;
        assert!(matches!(hidden, Err(AppError::NotFound(_))), "{hidden:?}");
        let elsewhere = connections::bearer(&app.app, rival.org_id, id, Refresh::WhenExpired).await;
        assert!(matches!(elsewhere, Err(AppError::NotFound(_))));
    }

    async fn a_forged_replayed_or_stale_state_is_refused(app: TestApp) {
        let fake = provider(&app, ClientAuth::Basic).await;
        let back = consent(&app).await;
        let mut url = reqwest::Url::parse(&back).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let state = &pairs.iter().find(|(k, _)| k == "state").unwrap().1;
        let code = &pairs.iter().find(|(k, _)| k == "code").unwrap().1;

        // Altered state (another org, say): refused before the code is spent.
        let forged = format!("{}A{}", &state[..10], &state[11..]);
        url.query_pairs_mut()
            .clear()
            .append_pair("code", code)
            .append_pair("state", &forged);
        let answer = come_back(&app, url.as_str()).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{:#}", answer.body);
        assert_eq!(answer.code(), "UNAUTHORIZED");
        assert_eq!(fake.token_requests(), 0);

        // Missing state or code.
        let no_state = come_back(&app, &format!("{}/oauth/{PLUGIN}/callback?code={code}", app.base)).await;
        assert_eq!(no_state.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(no_state.fields(), ["state"]);

        // The real one works once; the code cannot be replayed.
        assert_eq!(come_back(&app, &back).await.status, StatusCode::OK);
        let replayed = come_back(&app, &back).await;
        assert_eq!(replayed.status, StatusCode::UNAUTHORIZED, "{:#}", replayed.body);

        // A state we signed, but eleven minutes ago.
        let caller = app.demo_caller().await;
        let stale = oauth::sign_state(
            &app.app.settings.secret_key,
            &FlowState {
                org_id: caller.org_id,
                owner: ConnectionOwner::User(caller.user_id),
                user_id: caller.user_id,
                plugin_id: PLUGIN.into(),
                redirect_uri: format!("{}/oauth/{PLUGIN}/callback", app.base),
                pkce_verifier: oauth::new_pkce_verifier(),
                expires_at: chrono::Utc::now() - chrono::Duration::minutes(1),
            },
        );
        let mut url = reqwest::Url::parse(&format!("{}/oauth/{PLUGIN}/callback", app.base)).unwrap();
        url.query_pairs_mut().append_pair("code", "x").append_pair("state", &stale);
        let expired = come_back(&app, url.as_str()).await;
        assert_eq!(expired.status, StatusCode::GONE, "{:#}", expired.body);

        // A state for one plugin does not complete another.
        let other = FakeOAuth::start(&format!("{}/oauth/other/callback", app.base)).await;
        app.app.oauth_providers.register(other.provider("other", ClientAuth::Basic));
        let crossed = back.replace(&format!("/oauth/{PLUGIN}/"), "/oauth/other/");
        assert_eq!(come_back(&app, &crossed).await.status, StatusCode::UNAUTHORIZED);

        // A browser gets a page, not JSON, with the reason.
        let page = app.send(browser().get(url.as_str())).await;
        assert_eq!(page.status, StatusCode::GONE);
        assert!(page.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    }

    async fn starting_needs_a_key_a_known_plugin_and_ones_own_account(app: TestApp) {
        let _fake = provider(&app, ClientAuth::Basic).await;
        let anonymous = app
            .call_anonymous(reqwest::Method::GET, &format!("/oauth/{PLUGIN}/start"), None)
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let unknown = app.get("/oauth/nope/start").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.code(), "NOT_FOUND");
        let no_team = app.get(&format!("/oauth/{PLUGIN}/start?team=999")).await;
        assert_eq!(no_team.status, StatusCode::NOT_FOUND);
        // A team's account is connected by whoever manages the team, and nobody else.
        let team = app.post("/v2/teams", json!({"name": "Support", "slug": "support"})).await;
        let team = team.data()["id"].as_i64().unwrap();
        let started = app.get(&format!("/oauth/{PLUGIN}/start?team={team}")).await;
        assert_eq!(started.status, StatusCode::OK, "{:#}", started.body);
        let org = app.demo_caller().await.org_id;
        let member = app.post(&format!("/v2/organizations/{}/users", org.0),
            json!({"email": "m@demo.example", "username": "m", "name": "M"})).await;
        let member_key = member.data()["apiKey"].as_str().unwrap();
        let refused = app.send(app.client
            .get(format!("{}/oauth/{PLUGIN}/start?team={team}", app.base))
            .bearer_auth(member_key)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        // The owner declined at the provider.
        let back = consent(&app).await;
        let state = reqwest::Url::parse(&back)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        let mut declined = reqwest::Url::parse(&format!("{}/oauth/{PLUGIN}/callback", app.base)).unwrap();
        declined
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &state);
        let answer = come_back(&app, declined.as_str()).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert!(answer.body["error"]["message"].as_str().unwrap().contains("access_denied"));
    }

    async fn graphql_lists_connects_keys_and_revokes_without_showing_tokens(app: TestApp) {
        let fake = provider(&app, ClientAuth::Basic).await;
        let id = connect(&app).await;
        let data = app
            .graphql(
                "mutation { connectApiKey(plugin: \"stripe\", apiKey: \"sk_live_secret\", \
                 accountLabel: \"acct_9\") { id kind status accountLabel } }",
                serde_json::json!({}),
            )
            .await;
        assert_eq!(data["connectApiKey"]["kind"], "API_KEY");
        assert_eq!(data["connectApiKey"]["accountLabel"], "acct_9");
        let listed = app
            .graphql(
                "{ connections { id plugin kind status scopes expiresAt } }",
                serde_json::json!({}),
            )
            .await;
        let list = listed["connections"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["id"], id.0.to_string());
        assert_eq!(list[0]["plugin"], PLUGIN);
        assert_eq!(list[0]["kind"], "OAUTH");
        assert_eq!(list[0]["status"], "ACTIVE");
        assert!(list[0]["expiresAt"].is_string());
        let text = listed.to_string();
        assert!(fake.issued_tokens().iter().all(|t| !text.contains(t.as_str())));

        let revoked = app
            .graphql(
                "mutation($id: ID!) { revokeConnection(id: $id) { status } }",
                serde_json::json!({ "id": id.0.to_string() }),
            )
            .await;
        assert_eq!(revoked["revokeConnection"]["status"], "REVOKED");
        let rival = app.other_org_key().await;
        let hidden = app
            .graphql_as(
                &rival,
                "mutation($id: ID!) { revokeConnection(id: $id) { status } }",
                serde_json::json!({ "id": id.0.to_string() }),
            )
            .await;
        assert_eq!(hidden.graphql_refusal().0, "NOT_FOUND");
        let anonymous = app
            .send(app.request(
                reqwest::Method::POST,
                "/graphql",
                Some(serde_json::json!({ "query": "{ connections { id } }" })),
            ))
            .await;
        assert_eq!(anonymous.graphql_refusal().0, "UNAUTHORIZED");
    }

    async fn a_provider_refusing_our_client_is_an_upstream_error(app: TestApp) {
        let fake = FakeOAuth::start(&format!("{}/oauth/{PLUGIN}/callback", app.base)).await;
        let mut misconfigured = fake.provider(PLUGIN, ClientAuth::Basic);
        misconfigured.client_secret = Some("wrong".into());
        app.app.oauth_providers.register(misconfigured);
        let answer = come_back(&app, &consent(&app).await).await;
        assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{:#}", answer.body);
        assert_eq!(answer.code(), "UPSTREAM_ERROR");
        assert!(answer.body["error"]["message"].as_str().unwrap().contains("invalid_client"));
        let caller = app.demo_caller().await;
        let listed = connections::list(&app.app, caller, ConnectionOwner::User(caller.user_id))
            .await
            .unwrap();
        assert!(listed.is_empty());
    }

    async fn api_keys_are_sealed_and_answered_as_they_are(app: TestApp) {
        let caller = app.demo_caller().await;
        let owner = ConnectionOwner::User(caller.user_id);
        let key = "sk_test_51Hx-very-secret";
        let connection =
            connections::connect_api_key(&app.app, caller, "stripe", owner, key, Some("acct_1"))
                .await
                .unwrap();
        assert_eq!(connection.kind.as_str(), "api_key");
        assert!(!raw_row(&app, connection.id).await.join(" ").contains("very-secret"));
        let org = caller.org_id;
        for refresh in [Refresh::WhenExpired, Refresh::Rejected(key)] {
            assert_eq!(connections::bearer(&app.app, org, connection.id, refresh).await.unwrap(), key);
        }
        let refused =
            connections::connect_api_key(&app.app, caller, "Stripe!", owner, " ", None).await;
        let Err(AppError::Validation(issues)) = refused else {
            panic!("{refused:?}");
        };
        let fields: Vec<_> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["plugin", "apiKey"]);
        let someone_else = Caller { org_id: OrgId(caller.org_id.0), user_id: UserId(caller.user_id.0 + 1000) };
        let forbidden = connections::list(&app.app, someone_else, owner).await;
        assert!(matches!(forbidden, Err(AppError::Forbidden(_))));
    }
}
