//! CVE JSON 5 `affected` products applied to components.
//!
//! A CVE 5 product names what it affects in one of three ways, and the matcher uses two:
//!
//! * **a package** (`collectionURL` + `packageName` of a registry aftercare knows, read into a
//!   [`aftercare_model::PackageKey`]): found by the component's package key, like OSV;
//! * **CPE names** (CISA's ADP adds them): found by the CPE's vendor and product and matched
//!   with NIST IR 7696 on every attribute but the version;
//! * **vendor and product text** alone: *not* matched. Free text ("Orthanc Server" /
//!   "Orthanc") does not identify a component reliably, and guessing would bury the team in
//!   false findings; NVD's CPE configuration of the same CVE is the reliable route.
//!
//! The version statements are evaluated as the CVE schema describes: a statement without
//! `lessThan`/`lessThanOrEqual` names one version; one with a bound names the range from its
//! `version` (`0` or `*`: from the beginning) to the bound (`*`: no end), with `changes`
//! switching the status at later versions; a version no statement covers takes
//! `defaultStatus`. Only `affected` makes a finding, always with low confidence: CNA data
//! is free-form, and `versionType` decides the scheme (`semver`, `maven`, `python`, `rpm`,
//! `npm` …; `git` statements are skipped; `custom` and unknown ones use the package's scheme
//! or the generic one).

use aftercare_intel::record::{AffectedProduct, VersionStatement, VersionStatus};
use aftercare_version::{Scheme, Version};

/// The outcome of the version statements for one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cve5Hit {
    /// The statement that decided, as text (`>= 1.0, < 2.0`), or `default` when none covered
    /// the version and the product's default status is `affected`.
    pub statement: String,
    /// The first version after the range, when the statement's bound is `lessThan`.
    pub fixed: Option<String>,
    /// The scheme used.
    pub scheme: Scheme,
}

fn scheme_of(version_type: Option<&str>, fallback: Scheme) -> Option<Scheme> {
    let scheme = match version_type.map(str::to_ascii_lowercase).as_deref() {
        Some("git") => return None,
        Some("semver") => Scheme::Semver,
        Some("maven") => Scheme::Maven,
        Some("python") | Some("pypi") => Scheme::PyPI,
        Some("rpm") => Scheme::Rpm,
        Some("npm") => Scheme::Npm,
        Some("go") | Some("golang") => Scheme::Go,
        Some("nuget") => Scheme::NuGet,
        Some("gem") | Some("rubygems") => Scheme::RubyGems,
        Some("deb") | Some("debian") => Scheme::Debian,
        _ => fallback,
    };
    Some(scheme)
}

fn is_open_start(text: &str) -> bool {
    matches!(text.trim(), "0" | "*" | "")
}

fn statement_text(statement: &VersionStatement) -> String {
    match (&statement.less_than, &statement.less_than_or_equal) {
        (Some(end), _) => format!("{} to < {end}", statement.version),
        (None, Some(end)) => format!("{} to <= {end}", statement.version),
        (None, None) => format!("= {}", statement.version),
    }
}

/// Evaluates a product's statements for a version string. `fallback` is the scheme of the
/// component (or generic).
pub(crate) fn evaluate(
    product: &AffectedProduct,
    version: &str,
    fallback: Scheme,
) -> Option<Cve5Hit> {
    let parse = |scheme: Scheme, text: &str| -> Option<Version> {
        aftercare_version::parse(scheme, text.trim()).ok()
    };
    // Exact statements first: they are the most specific.
    for statement in &product.versions {
        if statement.less_than.is_some() || statement.less_than_or_equal.is_some() {
            continue;
        }
        let Some(scheme) = scheme_of(statement.version_type.as_deref(), fallback) else {
            continue;
        };
        let equal = statement.version.trim() == version
            || match (parse(scheme, &statement.version), parse(scheme, version)) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            };
        if equal {
            return (statement.status == VersionStatus::Affected).then(|| Cve5Hit {
                statement: statement_text(statement),
                fixed: None,
                scheme,
            });
        }
    }
    for statement in &product.versions {
        let end = match (&statement.less_than, &statement.less_than_or_equal) {
            (Some(end), _) => (end, false),
            (None, Some(end)) => (end, true),
            (None, None) => continue,
        };
        let Some(scheme) = scheme_of(statement.version_type.as_deref(), fallback) else {
            continue;
        };
        let Some(parsed) = parse(scheme, version) else {
            continue;
        };
        if !is_open_start(&statement.version) {
            match parse(scheme, &statement.version) {
                Some(start) if parsed >= start => {}
                _ => continue,
            }
        }
        let (end_text, inclusive) = end;
        if end_text.trim() != "*" {
            match parse(scheme, end_text) {
                Some(bound) if (inclusive && parsed <= bound) || (!inclusive && parsed < bound) => {
                }
                _ => continue,
            }
        }
        // Inside the range: the status, switched by the last change at or below the version.
        let mut status = &statement.status;
        let mut changes: Vec<(Version, &VersionStatus)> = statement
            .changes
            .iter()
            .filter_map(|change| parse(scheme, &change.at).map(|at| (at, &change.status)))
            .collect();
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut fixed = (!inclusive && end_text.trim() != "*").then(|| end_text.clone());
        for (at, changed) in &changes {
            if parsed >= *at {
                status = changed;
            } else if *status == VersionStatus::Affected && **changed == VersionStatus::Unaffected {
                fixed = Some(at.as_str().to_string());
                break;
            }
        }
        return (*status == VersionStatus::Affected).then(|| Cve5Hit {
            statement: statement_text(statement),
            fixed,
            scheme,
        });
    }
    (product.default_status == Some(VersionStatus::Affected)).then(|| Cve5Hit {
        statement: "default".to_string(),
        fixed: None,
        scheme: fallback,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aftercare_intel::record::{Container, VersionChange};

    fn statement(
        version: &str,
        less_than: Option<&str>,
        status: VersionStatus,
    ) -> VersionStatement {
        VersionStatement {
            version: version.to_string(),
            less_than: less_than.map(str::to_string),
            less_than_or_equal: None,
            status,
            version_type: Some("semver".to_string()),
            changes: Vec::new(),
        }
    }

    fn product(versions: Vec<VersionStatement>, default: Option<VersionStatus>) -> AffectedProduct {
        AffectedProduct {
            container: Container::Cna,
            vendor: Some("acme".into()),
            product: Some("tool".into()),
            package_name: None,
            collection_url: None,
            key: None,
            repo: None,
            cpes: Vec::new(),
            platforms: Vec::new(),
            versions,
            default_status: default,
        }
    }

    fn check(product: &AffectedProduct, version: &str, expected: bool) {
        assert_eq!(
            evaluate(product, version, Scheme::Generic).is_some(),
            expected,
            "{version}"
        );
    }

    #[test]
    fn statements() {
        use VersionStatus::*;
        let ranged = product(vec![statement("0", Some("2.0.0"), Affected)], None);
        check(&ranged, "1.9.9", true);
        check(&ranged, "2.0.0", false);
        let exact = product(vec![statement("1.0.0", None, Affected)], Some(Unaffected));
        check(&exact, "1.0.0", true);
        check(&exact, "1.0.1", false);
        let default = product(vec![statement("3.0.0", None, Unaffected)], Some(Affected));
        check(&default, "3.0.0", false);
        check(&default, "2.0.0", true);
        let mut changing = statement("1.0.0", Some("*"), Affected);
        changing.changes = vec![VersionChange {
            at: "1.2.0".into(),
            status: Unaffected,
        }];
        let changing = product(vec![changing], None);
        check(&changing, "1.1.0", true);
        check(&changing, "1.2.0", false);
        assert_eq!(
            evaluate(&changing, "1.1.0", Scheme::Generic)
                .unwrap()
                .fixed
                .as_deref(),
            Some("1.2.0")
        );
        let mut git = statement("abc", Some("def"), Affected);
        git.version_type = Some("git".into());
        check(&product(vec![git], None), "1.0", false);
    }
}
