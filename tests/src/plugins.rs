//! The plugin components the tests run, built for wasm32-wasip2 by `scripts/build-plugins`,
//! and installing them in the demo organization.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::Utc;
use convene::app::plugins;
use convene::store::inbound;

use crate::TestApp;

/// The bytes of plugin `name` (`example`, `hostile`, ...).
pub fn wasm(name: &str) -> Vec<u8> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join(format!("wasm32-wasip2/release/{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "plugin `{name}` is not built ({}: {e}); run scripts/build-plugins",
            path.display()
        )
    })
}

/// Adds plugin `name` and installs it in the demo organization with `config`, owned by
/// nobody; its installation id.
pub async fn install(app: &TestApp, name: &str, config: &[(&str, &str)]) -> i64 {
    plugins::add_package(&app.app, wasm(name))
        .await
        .expect("the package is accepted");
    let org = app.demo_caller().await.org_id;
    let config: BTreeMap<String, String> = config
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    plugins::install(&app.app, org, None, name, config)
        .await
        .expect("the plugin installs")
        .installation
        .id
}

/// Links booking `uid` to provider object `external_id`, as creating the provider's
/// event for the booking does.
pub async fn link(app: &TestApp, installation: i64, uid: &str, external_id: &str) {
    let booking = convene::store::bookings::find_by_uid(&app.db, None, uid)
        .await
        .expect("the booking is read")
        .expect("the booking exists");
    inbound::link(
        &app.db,
        booking.org_id,
        installation,
        external_id,
        booking.id,
        None,
        Utc::now(),
    )
    .await
    .expect("the link is kept");
}

/// Inbound event `id` once its plugin has read it (applied, or kept as dead).
pub async fn settled(app: &TestApp, id: i64) -> convene::store::inbound::InboundEvent {
    use convene::store::inbound::{self, InboundStatus};
    crate::until("the inbound event to settle", async || {
        let event = inbound::find(&app.db, None, id).await.unwrap().unwrap();
        event.status != InboundStatus::Received
    })
    .await;
    inbound::find(&app.db, None, id).await.unwrap().unwrap()
}
