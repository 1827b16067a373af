//! Refusing a plugin built against a world version this host does not speak, with a
//! message that names both versions, rather than a linker error about a missing import.

use super::bindings::WORLD_VERSION;

/// The package every plugin import and export comes from.
const PACKAGE: &str = "convene:plugin/";

/// Checks every `convene:plugin/...@x.y.z` name a component imports or exports.
/// Compatible means the same major version (the same minor while the major is 0), as
/// semver promises; the component must export the `guest` interface at all.
pub fn check<'a>(
    imports: impl Iterator<Item = &'a str>,
    exports: impl Iterator<Item = &'a str>,
) -> Result<(), String> {
    let supported = format!(
        "{}.{}.{}",
        WORLD_VERSION.0, WORLD_VERSION.1, WORLD_VERSION.2
    );
    let mut exports_guest = false;
    for (name, exported) in imports
        .map(|n| (n, false))
        .chain(exports.map(|n| (n, true)))
    {
        let Some(rest) = name.strip_prefix(PACKAGE) else {
            continue;
        };
        let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
        if !compatible(version) {
            return Err(format!(
                "the plugin was built against convene:plugin@{version} ({interface}); this \
                 Convene speaks convene:plugin@{supported}: rebuild the plugin with a \
                 convene-plugin-sdk for {}.{}",
                WORLD_VERSION.0, WORLD_VERSION.1
            ));
        }
        exports_guest |= exported && interface == "guest";
    }
    if !exports_guest {
        return Err(format!(
            "not a Convene plugin: it does not export convene:plugin/guest@{supported}"
        ));
    }
    Ok(())
}

fn compatible(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u64>());
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => {
            major == WORLD_VERSION.0 && (major != 0 || minor == WORLD_VERSION.1)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_one(export: &str) -> Result<(), String> {
        check(["wasi:io/streams@0.2.6"].into_iter(), [export].into_iter())
    }

    #[test]
    fn same_minor_of_zero_major_is_compatible() {
        assert_eq!(check_one("convene:plugin/guest@0.3.0"), Ok(()));
        assert_eq!(check_one("convene:plugin/guest@0.3.7"), Ok(()));
    }

    #[test]
    fn another_minor_or_major_is_refused_naming_both_versions() {
        let refused = check_one("convene:plugin/guest@0.2.0").unwrap_err();
        assert!(refused.contains("convene:plugin@0.2.0"), "{refused}");
        assert!(refused.contains("convene:plugin@0.3.0"), "{refused}");
        assert!(check_one("convene:plugin/guest@0.4.0").is_err());
        assert!(check_one("convene:plugin/guest@1.1.0").is_err());
    }

    #[test]
    fn an_old_import_is_refused_even_with_a_current_export() {
        let refused = check(
            ["convene:plugin/http@0.0.3"].into_iter(),
            ["convene:plugin/guest@0.3.0"].into_iter(),
        )
        .unwrap_err();
        assert!(refused.contains("(http)"), "{refused}");
    }

    #[test]
    fn a_component_without_the_guest_export_is_not_a_plugin() {
        let refused = check_one("wasi:cli/run@0.2.6").unwrap_err();
        assert!(refused.starts_with("not a Convene plugin"), "{refused}");
    }
}
