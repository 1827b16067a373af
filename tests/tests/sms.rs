//! Text messages end to end: `app::sms::send` through the `twilio` plugin to the Twilio
//! fake, whose signed status callbacks and phones' texts come back through
//! `/hooks/{installation}` and the inbound worker. Delivered and undelivered messages,
//! STOP and START, a forged request, a repeated reference, a throttled provider.

use convene::app::AppError;
use convene::app::sms::{self, SmsSent, SmsStatus};
use convene::domain::ids::OrgId;
use convene::store::inbound::{self, InboundStatus};
use convene_tests::fakes::twilio::signature;
use convene_tests::plugins::settled;
use convene_tests::sms::{ACCOUNT, JANE, NUMBER, TOKEN, twilio};
use convene_tests::{TestApp, on_both_databases_with_jobs, until};

/// The status of message `reference` once it is final.
async fn final_status(app: &TestApp, org: OrgId, reference: &str) -> SmsStatus {
    let status = async || sms::status(&app.app, org, reference).await.unwrap();
    until("the message's final status", async || {
        status()
            .await
            .is_some_and(|s| convene::domain::sms::is_final(&s.status))
    })
    .await;
    status().await.unwrap()
}

async fn opted_out(app: &TestApp, org: OrgId, phone: &str) -> bool {
    sms::opted_out(&app.app, org, phone).await.unwrap()
}

/// Posts `params` to the installation's hook signed with another token than the
/// account's, as a forger would; the inbound event once settled.
async fn forge(app: &TestApp, installation: i64, params: &[(&str, &str)]) -> inbound::InboundEvent {
    let url = format!("{}/hooks/{installation}", app.base);
    let mut params: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    params.push(("AccountSid".into(), ACCOUNT.into()));
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let answer = app
        .send(
            app.client
                .post(&url)
                .header(
                    "x-twilio-signature",
                    signature("not-the-token", &url, &params),
                )
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body),
        )
        .await;
    assert_eq!(answer.status, 202, "kept first, verified later");
    settled(app, answer.data()["id"].as_i64().unwrap()).await
}

on_both_databases_with_jobs! {
    async fn a_message_is_sent_and_its_signed_callbacks_track_delivery(app: TestApp) {
        let t = twilio(&app).await;
        let sent = sms::send(&app.app, t.org, "+1 (415) 555-0100", "Your call starts in 1 hour", "reminder-1")
            .await
            .unwrap();
        let SmsSent::Sent { provider_id: Some(sid) } = sent else { panic!("{sent:?}") };
        assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");

        let messages = t.fake.messages();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0]["sid"], sid.as_str());
        assert_eq!(messages[0]["to"], JANE, "the number normalized to E.164");
        assert_eq!(messages[0]["from"], NUMBER);
        assert_eq!(messages[0]["body"], "Your call starts in 1 hour");

        let status = final_status(&app, t.org, "reminder-1").await;
        assert_eq!(status, SmsStatus { status: "delivered".into(), error_code: None });
        let callbacks = t.fake.state.lock().unwrap().callbacks.clone();
        let statuses: Vec<&str> = callbacks.iter().map(|(_, s, _)| s.as_str()).collect();
        assert_eq!(statuses, ["queued", "sent", "delivered"]);
        assert!(callbacks.iter().all(|(_, _, answer)| *answer == 202), "{callbacks:?}");

        // A phone that is off: the message ends undelivered with Twilio's code.
        t.fake.set_unreachable("+14155550199");
        sms::send(&app.app, t.org, "+14155550199", "Reminder", "reminder-2").await.unwrap();
        let status = final_status(&app, t.org, "reminder-2").await;
        assert_eq!(status, SmsStatus { status: "undelivered".into(), error_code: Some("30003".into()) });
        assert_eq!(sms::status(&app.app, t.org, "reminder-1").await.unwrap().unwrap().status, "delivered");

        // Twilio's API tells the same story: each message, and the list newest first.
        let api = |path: &str, token: &str| {
            app.client
                .get(format!("{}/2010-04-01/Accounts/{ACCOUNT}/{path}", t.fake.base))
                .basic_auth(ACCOUNT, Some(token))
        };
        let fetched = app.send(api(&format!("Messages/{sid}.json"), TOKEN)).await;
        assert_eq!(fetched.body["status"], "delivered");
        let first = app.send(api("Messages.json?PageSize=1", TOKEN)).await;
        assert_eq!(first.body["messages"][0]["to"], "+14155550199");
        assert_eq!(first.body["messages"][0]["error_code"], 30003);
        let next = first.body["next_page_uri"].as_str().unwrap().to_string();
        let second = app
            .send(app.client.get(format!("{}{next}", t.fake.base)).basic_auth(ACCOUNT, Some(TOKEN)))
            .await;
        assert_eq!(second.body["messages"][0]["sid"], sid.as_str());
        assert!(second.body["next_page_uri"].is_null());
        let refused = app.send(api("Messages.json", "wrong")).await;
        assert_eq!((refused.status.as_u16(), refused.body["code"].as_u64()), (401, Some(20003)));
    }

    async fn the_same_reference_is_sent_once(app: TestApp) {
        let t = twilio(&app).await;
        let first = sms::send(&app.app, t.org, JANE, "Reminder", "booking-7-24h").await.unwrap();
        let SmsSent::Sent { provider_id } = first else { panic!("{first:?}") };
        let again = sms::send(&app.app, t.org, JANE, "Reminder", "booking-7-24h").await.unwrap();
        let SmsSent::AlreadySent { provider_id: again_id, .. } = again else { panic!("{again:?}") };
        assert_eq!(again_id, provider_id);
        assert_eq!(t.fake.messages().len(), 1);
        assert_eq!(t.fake.create_requests(), 1, "the provider was asked once");

        // Two sends of one reference at once: the database lets one through.
        let (one, other) = tokio::join!(
            sms::send(&app.app, t.org, JANE, "Reminder", "booking-8-24h"),
            sms::send(&app.app, t.org, JANE, "Reminder", "booking-8-24h"),
        );
        let sent = [one.unwrap(), other.unwrap()]
            .iter()
            .filter(|s| matches!(s, SmsSent::Sent { .. }))
            .count();
        assert_eq!(sent, 1);
        assert_eq!(t.fake.messages().len(), 2);
    }

    async fn stop_opts_a_phone_out_and_start_back_in(app: TestApp) {
        let t = twilio(&app).await;
        assert_eq!(t.fake.text_from(JANE, "STOP").await, 202);
        until("the opt-out", async || opted_out(&app, t.org, JANE).await).await;

        let asked = t.fake.create_requests();
        let refused = sms::send(&app.app, t.org, JANE, "Reminder", "r-after-stop").await.unwrap();
        assert_eq!(refused, SmsSent::OptedOut);
        assert_eq!(t.fake.create_requests(), asked, "the provider was not asked");
        assert_eq!(sms::status(&app.app, t.org, "r-after-stop").await.unwrap(), None);

        assert_eq!(t.fake.text_from(JANE, "start").await, 202);
        until("the opt-in", async || !opted_out(&app, t.org, JANE).await).await;
        let sent = sms::send(&app.app, t.org, JANE, "Reminder", "r-after-stop").await.unwrap();
        assert!(matches!(sent, SmsSent::Sent { .. }), "{sent:?}");

        // A phone that opted out at Twilio without Convene hearing of it: Twilio's 21610
        // is an opt-out too, and nothing is kept as sent.
        let silent = "+14155550123";
        t.fake.state.lock().unwrap().opted_out.insert(silent.into());
        let refused = sms::send(&app.app, t.org, silent, "Reminder", "r-silent").await.unwrap();
        assert_eq!(refused, SmsSent::OptedOut);
        assert!(opted_out(&app, t.org, silent).await);
        assert_eq!(sms::status(&app.app, t.org, "r-silent").await.unwrap(), None);
    }

    async fn forged_requests_are_dead_and_change_nothing(app: TestApp) {
        let t = twilio(&app).await;
        let forged = forge(&app, t.installation, &[
            ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
            ("From", JANE),
            ("To", NUMBER),
            ("Body", "STOP"),
            ("SmsStatus", "received"),
        ])
        .await;
        assert_eq!(forged.status, InboundStatus::Dead);
        assert_eq!(forged.attempts, 1, "a bad signature is not retried");
        assert!(forged.last_error.as_deref().unwrap().contains("signature"), "{:?}", forged.last_error);
        assert!(!opted_out(&app, t.org, JANE).await, "the forged STOP changed nothing");

        // A message whose carrier has not confirmed yet, and a forged report of its failure.
        t.fake.set_unconfirmed(JANE);
        let SmsSent::Sent { provider_id: Some(sid) } =
            sms::send(&app.app, t.org, JANE, "Reminder", "r-forged").await.unwrap()
        else {
            panic!("sent")
        };
        let sent = SmsStatus { status: "sent".into(), error_code: None };
        until("the sent status", async || {
            sms::status(&app.app, t.org, "r-forged").await.unwrap() == Some(sent.clone())
        })
        .await;
        let forged = forge(&app, t.installation, &[
            ("MessageSid", sid.as_str()),
            ("MessageStatus", "failed"),
            ("SmsStatus", "failed"),
            ("ErrorCode", "30008"),
            ("From", NUMBER),
            ("To", JANE),
        ])
        .await;
        assert_eq!(forged.status, InboundStatus::Dead);
        assert_eq!(sms::status(&app.app, t.org, "r-forged").await.unwrap(), Some(sent));

        // The same text signed with the account's token is Twilio's, and applied.
        assert_eq!(t.fake.text_from(JANE, "STOP").await, 202);
        until("the opt-out", async || opted_out(&app, t.org, JANE).await).await;
    }

    async fn a_throttled_send_is_retryable_and_nothing_is_kept(app: TestApp) {
        let t = twilio(&app).await;
        t.fake.throttle(Some(1));
        let refused = sms::send(&app.app, t.org, JANE, "Reminder", "r-429").await.unwrap_err();
        assert!(matches!(&refused, AppError::Unavailable(m) if m.contains("wait 1 s")), "{refused:?}");
        assert_eq!(sms::status(&app.app, t.org, "r-429").await.unwrap(), None);
        assert!(t.fake.messages().is_empty());

        // Within the wait Twilio named, the host does not even ask.
        t.fake.unthrottle();
        let asked = t.fake.create_requests();
        let early = sms::send(&app.app, t.org, JANE, "Reminder", "r-429").await.unwrap_err();
        assert!(matches!(&early, AppError::Unavailable(_)), "{early:?}");
        assert_eq!(t.fake.create_requests(), asked);

        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let sent = sms::send(&app.app, t.org, JANE, "Reminder", "r-429").await.unwrap();
        assert!(matches!(sent, SmsSent::Sent { .. }), "the retry sends: {sent:?}");
        assert_eq!(t.fake.messages().len(), 1);
    }

    async fn sends_without_a_provider_or_to_a_malformed_number_are_refused(app: TestApp) {
        let org = app.demo_caller().await.org_id;
        let none = sms::send(&app.app, org, JANE, "Reminder", "r-1").await.unwrap_err();
        assert!(matches!(&none, AppError::NotFound(m) if m.contains("`messages`")), "{none:?}");

        let t = twilio(&app).await;
        let malformed = sms::send(&app.app, t.org, "415 555 0100", "Reminder", "r-2").await.unwrap_err();
        assert!(matches!(malformed, AppError::Validation(_)), "{malformed:?}");
        assert_eq!(t.fake.create_requests(), 0);
    }
}
