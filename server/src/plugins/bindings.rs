//! The host side of the `convene:plugin/provider` world, generated from
//! `plugin-sdk/wit`, the one copy of the contract that plugins build against too.

wasmtime::component::bindgen!({
    world: "provider",
    path: "../plugin-sdk/wit",
    imports: { default: async | trappable },
    exports: { default: async },
});

/// The world's types, under the names plugin authors know them by.
pub use convene::plugin::types as wit;

/// The `convene:plugin` version this host implements; plugins must match its major
/// version (its minor version while it is 0.x).
pub const WORLD_VERSION: (u64, u64, u64) = (0, 3, 0);
