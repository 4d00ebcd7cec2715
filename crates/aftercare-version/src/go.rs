//! Go modules: `golang.org/x/mod/semver`.
//!
//! Go versions are SemVer with a leading `v`; `v1` and `v1.2` are shorthands for `v1.0.0`
//! and `v1.2.0` (without pre-release or build). Build metadata, which is where
//! `+incompatible` lives, is ignored by `semver.Compare`. Pseudo-versions
//! (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.20191109021931-daa7c04131f5`) are
//! ordinary pre-releases and sort by their timestamp because it is the first identifier
//! that differs.
//!
//! OSV's Go records write versions without the `v`, so the `v` is optional here.

use std::fmt;

use crate::semantic_versioning::SemanticVersion;
use crate::{Scheme, VersionError};

/// A Go module version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoVersion {
    semantic: SemanticVersion,
}

impl GoVersion {
    /// The version as SemVer (ordered the same way).
    pub fn semantic(&self) -> &SemanticVersion {
        &self.semantic
    }

    /// Whether the build metadata is `+incompatible` (a v2+ module without a `go.mod`).
    pub fn is_incompatible(&self) -> bool {
        self.semantic.build() == "incompatible"
    }
}

impl fmt::Display for GoVersion {
    /// The canonical form with the leading `v`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "v{}", self.semantic)
    }
}

/// Parses a Go module version (`v1.2.3`, `1.2.3`, `v2.0.0+incompatible`, `v1.2`).
pub fn parse(input: &str) -> Result<GoVersion, VersionError> {
    let error = |reason: &str| VersionError::parse(Scheme::Go, input, reason);
    let text = input.strip_prefix('v').unwrap_or(input);
    let (major, rest) = number(text).ok_or_else(|| error("expected a major version number"))?;
    if rest.is_empty() {
        return Ok(build(major, 0, 0, "", ""));
    }
    let rest = rest
        .strip_prefix('.')
        .ok_or_else(|| error("expected `.` after the major version"))?;
    let (minor, rest) = number(rest).ok_or_else(|| error("expected a minor version number"))?;
    if rest.is_empty() {
        return Ok(build(major, minor, 0, "", ""));
    }
    let rest = rest
        .strip_prefix('.')
        .ok_or_else(|| error("expected `.` after the minor version"))?;
    let (patch, rest) = number(rest).ok_or_else(|| error("expected a patch version number"))?;
    let (pre, rest) = match rest.strip_prefix('-') {
        Some(after) => {
            let end = after.find('+').unwrap_or(after.len());
            let (pre, rest) = after.split_at(end);
            if !identifiers_valid(pre, true) {
                return Err(error("invalid pre-release"));
            }
            (pre, rest)
        }
        None => ("", rest),
    };
    let build_metadata = match rest.strip_prefix('+') {
        Some(after) => {
            if !identifiers_valid(after, false) {
                return Err(error("invalid build metadata"));
            }
            after
        }
        None if rest.is_empty() => "",
        None => return Err(error("unexpected text after the version")),
    };
    Ok(build(major, minor, patch, pre, build_metadata))
}

fn build(major: u64, minor: u64, patch: u64, pre: &str, build: &str) -> GoVersion {
    GoVersion {
        semantic: SemanticVersion::from_parts(major, minor, patch, pre, build),
    }
}

/// Go's `parseInt`: digits without a leading zero (unless the number is `0`).
fn number(text: &str) -> Option<(u64, &str)> {
    let end = text
        .bytes()
        .position(|byte| !byte.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, rest) = text.split_at(end);
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    digits.parse().ok().map(|value| (value, rest))
}

/// Go's `parsePrerelease` and `parseBuild`: non-empty identifiers of `[0-9A-Za-z-]`;
/// numeric pre-release identifiers without leading zeros.
fn identifiers_valid(text: &str, numbers_checked: bool) -> bool {
    text.split('.').all(|identifier| {
        !identifier.is_empty()
            && identifier
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
            && !(numbers_checked
                && identifier.len() > 1
                && identifier.starts_with('0')
                && identifier.bytes().all(|byte| byte.is_ascii_digit()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn check(left: &str, right: &str, expected: Ordering) {
        let (a, b) = (parse(left).unwrap(), parse(right).unwrap());
        assert_eq!(a.cmp(&b), expected, "{left} vs {right}");
        assert_eq!(b.cmp(&a), expected.reverse(), "{right} vs {left}");
        assert_eq!(a == b, expected == Ordering::Equal);
    }

    fn check_invalid(input: &str) {
        assert!(parse(input).is_err(), "{input} should be invalid");
    }

    #[test]
    fn order() {
        check("v1.2.3", "1.2.3", Ordering::Equal);
        check("v1", "v1.0.0", Ordering::Equal);
        check("v1.2", "v1.2.0", Ordering::Equal);
        check("v1.2.3", "v1.10.0", Ordering::Less);
        check("v2.0.0+incompatible", "v2.0.0", Ordering::Equal);
        check("v2.0.0+incompatible", "v2.0.1", Ordering::Less);
        check("v1.0.0-rc.1", "v1.0.0", Ordering::Less);
    }

    #[test]
    fn pseudo_versions_sort_by_time() {
        check(
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20200101000000-aaaaaaaaaaaa",
            Ordering::Less,
        );
        check(
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.1",
            Ordering::Less,
        );
        // vX.Y.(Z+1)-0.timestamp-hash comes after vX.Y.Z and before vX.Y.(Z+1).
        check(
            "v1.2.3",
            "v1.2.4-0.20191109021931-daa7c04131f5",
            Ordering::Less,
        );
        check(
            "v1.2.4-0.20191109021931-daa7c04131f5",
            "v1.2.4",
            Ordering::Less,
        );
        check(
            "v1.2.4-pre.0.20191109021931-daa7c04131f5",
            "v1.2.4-pre",
            Ordering::Greater,
        );
        check(
            "0.0.0-20210817142637-7d9622a276b7",
            "0.0.0-20210220033141-f8bda1e9f3ba",
            Ordering::Greater,
        );
    }

    #[test]
    fn incompatible_is_reported() {
        assert!(parse("v2.3.0+incompatible").unwrap().is_incompatible());
        assert!(!parse("v2.3.0").unwrap().is_incompatible());
        assert_eq!(
            parse("2.3.0+incompatible").unwrap().to_string(),
            "v2.3.0+incompatible"
        );
    }

    #[test]
    fn invalid() {
        check_invalid("");
        check_invalid("v");
        check_invalid("v01.0.0");
        check_invalid("v1.2-pre");
        check_invalid("v1.2.3-01");
        check_invalid("v1.2.3-");
        check_invalid("v1.2.3+");
        check_invalid("v1.2.3.4");
        check_invalid("go1.21");
        check_invalid("latest");
    }
}
