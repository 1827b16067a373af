//! `/v2/customers`: the customer-success data read over REST, filtered, sorted by health
//! and paged like every list, and never across organizations.

use convene_tests::crm::{add_stakeholder, book, create_customer, move_into_past};
use convene_tests::{TestApp, on_both_databases};
use reqwest::Method;
use serde_json::json;

/// Acme met Jane (its stakeholder) 5 days ago; Globex never met anyone.
async fn accounts(app: &TestApp) -> (i64, i64) {
    let met = book(app, "09:00", "jane@acme.com").await;
    move_into_past(app, &met, 5).await;
    let acme = create_customer(
        app,
        json!({"name": "Acme", "domains": ["acme.com"], "tier": "smb"}),
    )
    .await;
    add_stakeholder(app, &acme, "Jane", "jane@acme.com").await;
    let globex = create_customer(app, json!({"name": "Globex", "domains": ["globex.com"]})).await;
    let id = |v: serde_json::Value| v.as_str().unwrap().parse::<i64>().unwrap();
    (id(acme), id(globex))
}

fn names(answer: &convene_tests::Answer) -> Vec<String> {
    answer
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

on_both_databases! {
    async fn customers_list_by_health_with_their_scores(app: TestApp) {
        let (acme, _) = accounts(&app).await;
        let worst_first = app.get("/v2/customers?orderBy=health").await;
        assert_eq!(worst_first.status, 200, "{:?}", worst_first.body);
        assert_eq!(names(&worst_first), ["Globex", "Acme"]);
        let rows = worst_first.data().as_array().unwrap();
        assert!(rows[0]["health"]["score"].as_i64() < rows[1]["health"]["score"].as_i64());
        assert!(rows[0]["lastMeeting"].is_null() && rows[1]["lastMeeting"].is_string());
        assert_eq!(worst_first.body["pagination"]["hasMore"], false);
        assert_eq!(names(&app.get("/v2/customers?orderBy=health&descending=true").await), ["Acme", "Globex"]);
        let band = rows[0]["health"]["band"].as_str().unwrap().to_string();
        let banded = app.get(&format!("/v2/customers?band={band}")).await;
        assert!(names(&banded).contains(&"Globex".to_string()));
        let first = app.get("/v2/customers?limit=1").await;
        assert_eq!((names(&first), first.body["pagination"]["hasMore"].as_bool()), (vec!["Acme".to_string()], Some(true)));

        let detail = app.get(&format!("/v2/customers/{acme}")).await;
        assert_eq!(detail.status, 200, "{:?}", detail.body);
        let d = detail.data();
        assert_eq!(d["health"]["components"].as_array().unwrap().len(), 5);
        assert_eq!(d["engagement"]["meetings90d"], 1);
        assert_eq!(d["stakeholders"][0]["email"], "jane@acme.com");

        let past = app.get(&format!("/v2/customers/{acme}/meetings?when=past")).await;
        assert_eq!(past.data()[0]["links"][0]["matchedBy"], "email", "{:?}", past.body);
        assert_eq!(app.get(&format!("/v2/customers/{acme}/meetings?when=upcoming")).await.data(), &json!([]));

        let bad = app.get("/v2/customers?orderBy=score&descending=yes").await;
        assert_eq!((bad.status.as_u16(), bad.fields()), (422, vec!["orderBy".to_string(), "descending".to_string()]));
        let bad = app.get(&format!("/v2/customers/{acme}/meetings?when=soon")).await;
        assert_eq!((bad.status.as_u16(), bad.fields()), (422, vec!["when".to_string()]));
    }

    async fn another_organization_sees_no_customer(app: TestApp) {
        let (acme, _) = accounts(&app).await;
        let rival = app.other_org_key().await;
        let as_rival = |path: String| {
            let request = app.request(Method::GET, &path, None).bearer_auth(&rival);
            app.send(request)
        };
        let list = as_rival("/v2/customers".to_string()).await;
        assert_eq!((list.status.as_u16(), list.data()), (200, &json!([])));
        for path in [format!("/v2/customers/{acme}"), format!("/v2/customers/{acme}/meetings")] {
            let answer = as_rival(path.clone()).await;
            assert_eq!((answer.status.as_u16(), answer.code()), (404, "NOT_FOUND"), "{path}");
        }
        let anonymous = app.call_anonymous(Method::GET, "/v2/customers", None).await;
        assert_eq!(anonymous.status, 401);
    }
}
