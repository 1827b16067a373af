//! The plugin components the tests run, built for wasm32-wasip2 by `scripts/build-plugins`.

use std::path::PathBuf;

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
