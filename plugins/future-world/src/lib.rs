//! Built against `convene:plugin@1.0.0`, a world version this host does not speak.

wit_bindgen::generate!({
    inline: r#"
        package convene:plugin@1.0.0;
        interface guest {
            manifest-json: func() -> string;
        }
        world provider {
            export guest;
        }
    "#,
});

struct Future;

impl exports::convene::plugin::guest::Guest for Future {
    fn manifest_json() -> String {
        r#"{"id":"future"}"#.into()
    }
}

export!(Future);
