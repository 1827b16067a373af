//! Text messages in tests: the Twilio fake with the `twilio` plugin installed against
//! it in the demo organization.

use convene::domain::ids::OrgId;

use crate::TestApp;
use crate::fakes::twilio::TwilioFake;
use crate::plugins::install;

/// The fake's account.
pub const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
/// The account's auth token.
pub const TOKEN: &str = "twilio-auth-token";
/// The organization's Twilio number.
pub const NUMBER: &str = "+15005550006";
/// Jane's phone.
pub const JANE: &str = "+14155550100";

/// The Twilio fake with the plugin installed against it in the demo organization.
pub struct Twilio {
    /// The fake.
    pub fake: TwilioFake,
    /// The plugin's installation.
    pub installation: i64,
    /// The demo organization.
    pub org: OrgId,
}

/// Starts the fake and installs the plugin against it, its hook as the inbound URL.
pub async fn twilio(app: &TestApp) -> Twilio {
    let fake = TwilioFake::start(ACCOUNT, TOKEN, NUMBER).await;
    let installation = install(
        app,
        "twilio",
        &[
            ("account_sid", ACCOUNT),
            ("auth_token", TOKEN),
            ("from_number", NUMBER),
            ("base_url", &fake.base),
        ],
    )
    .await;
    fake.set_inbound_url(&format!("{}/hooks/{installation}", app.base));
    let org = app.demo_caller().await.org_id;
    Twilio {
        fake,
        installation,
        org,
    }
}
