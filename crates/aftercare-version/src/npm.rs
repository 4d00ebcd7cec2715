//! npm: node-semver.
//!
//! npm normalizes a package's version with `semver.clean`, which trims whitespace and drops
//! any run of leading `=` and `v`, then parses strict SemVer 2.0 (at most 256 characters,
//! numbers up to `Number.MAX_SAFE_INTEGER`). `semver.compare` ignores build metadata.
//!
//! One known difference: node compares numeric pre-release identifiers as JavaScript
//! numbers, which loses precision beyond 2^53; here they compare exactly.

use crate::semantic_versioning::{self, SemanticVersion};
use crate::{Scheme, VersionError};

/// node-semver's `MAX_LENGTH`.
const MAX_LENGTH: usize = 256;

/// node-semver's `MAX_SAFE_INTEGER` for major, minor and patch.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Parses an npm package version (`1.2.3`, `v1.2.3`, `=1.2.3-beta.1`).
pub fn parse(input: &str) -> Result<SemanticVersion, VersionError> {
    if input.len() > MAX_LENGTH {
        return Err(VersionError::parse(
            Scheme::Npm,
            input,
            format!("longer than node-semver's {MAX_LENGTH} characters"),
        ));
    }
    let cleaned = input.trim().trim_start_matches(['=', 'v']);
    let version =
        semantic_versioning::parse_strict(Scheme::Npm, cleaned).map_err(|error| match error {
            VersionError::Parse { reason, .. } => VersionError::parse(Scheme::Npm, input, reason),
            other => other,
        })?;
    if version.major() > MAX_SAFE_INTEGER
        || version.minor() > MAX_SAFE_INTEGER
        || version.patch() > MAX_SAFE_INTEGER
    {
        return Err(VersionError::parse(
            Scheme::Npm,
            input,
            "a number is larger than JavaScript's MAX_SAFE_INTEGER",
        ));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn check(left: &str, right: &str, expected: Ordering) {
        let (a, b) = (parse(left).unwrap(), parse(right).unwrap());
        assert_eq!(a.cmp(&b), expected, "{left} vs {right}");
        assert_eq!(b.cmp(&a), expected.reverse(), "{right} vs {left}");
    }

    fn check_invalid(input: &str) {
        assert!(parse(input).is_err(), "{input} should be invalid");
    }

    #[test]
    fn order() {
        check("4.17.20", "4.17.21", Ordering::Less);
        check("1.2.3-beta.2", "1.2.3-beta.10", Ordering::Less);
        check("1.2.3-beta", "1.2.3-beta.0", Ordering::Less);
        check("1.2.3-alpha", "1.2.3-beta", Ordering::Less);
        check("1.2.3-1", "1.2.3-alpha", Ordering::Less);
        check("1.2.3-rc.1", "1.2.3", Ordering::Less);
        check("1.2.3+build.1", "1.2.3+build.2", Ordering::Equal);
        check("1.2.3", "1.2.3+build", Ordering::Equal);
        check("103.99.99", "1.0.0", Ordering::Greater);
    }

    #[test]
    fn leading_v_and_equals_are_tolerated() {
        check("v1.2.3", "1.2.3", Ordering::Equal);
        check("=1.2.3", "1.2.3", Ordering::Equal);
        check("=v1.2.3", "1.2.3", Ordering::Equal);
        check(" 1.2.3 ", "1.2.3", Ordering::Equal);
    }

    #[test]
    fn strict_semver_otherwise() {
        check_invalid("1.2");
        check_invalid("01.2.3");
        check_invalid("1.2.3.4");
        check_invalid("1.2.3-01");
        check_invalid("1.2.3-beta..1");
        check_invalid("9007199254740992.0.0");
        check_invalid("latest");
        check_invalid("");
        assert!(parse("9007199254740991.0.0").is_ok());
        assert!(parse(&format!("1.0.0-{}", "a".repeat(260))).is_err());
    }
}
