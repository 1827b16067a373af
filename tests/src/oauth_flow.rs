//! The owner's browser through an OAuth connection: start at Convene, consent at the
//! provider's fake, come back to Convene's callback. Each hop is a real HTTP request.

use reqwest::{StatusCode, header};

use crate::{Answer, TestApp};

/// The browser: follows nothing by itself, so each hop can be looked at.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// Starts connecting the demo host to `plugin` and lets the fake "consent": the callback
/// URL the provider sends the browser back to.
pub async fn consent(app: &TestApp, plugin: &str) -> String {
    consent_for(app, plugin, "").await
}

/// [`consent`] with `query` added to the start (`?team=ID` connects a team's account).
pub async fn consent_for(app: &TestApp, plugin: &str, query: &str) -> String {
    let started = app.get(&format!("/oauth/{plugin}/start{query}")).await;
    assert_eq!(started.status, StatusCode::OK, "{:#}", started.body);
    let authorize = started.data()["authorizeUrl"]
        .as_str()
        .expect("an authorize URL")
        .to_string();
    let at_provider = browser()
        .get(&authorize)
        .send()
        .await
        .expect("the provider answers");
    assert_eq!(at_provider.status(), StatusCode::FOUND);
    let back = at_provider.headers()[header::LOCATION]
        .to_str()
        .expect("a location")
        .to_string();
    assert!(
        back.starts_with(&format!("{}/oauth/{plugin}/callback?", app.base)),
        "{back}"
    );
    back
}

/// Opens the callback as a client asking for JSON.
pub async fn come_back(app: &TestApp, url: &str) -> Answer {
    app.send(
        browser()
            .get(url)
            .header(header::ACCEPT, "application/json"),
    )
    .await
}

/// The whole flow for `plugin`; the new connection's id.
pub async fn connect(app: &TestApp, plugin: &str) -> i64 {
    connect_for(app, plugin, "").await
}

/// The whole flow for `plugin` with `query` on the start; the new connection's id.
pub async fn connect_for(app: &TestApp, plugin: &str, query: &str) -> i64 {
    let answer = come_back(app, &consent_for(app, plugin, query).await).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    answer.data()["id"].as_i64().expect("the connection's id")
}
