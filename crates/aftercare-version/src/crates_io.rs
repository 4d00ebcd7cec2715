//! crates.io: SemVer exactly as Cargo parses it.
//!
//! Cargo uses the `semver` crate, so this scheme does too. Order is SemVer precedence
//! with build metadata ignored, as in Cargo's requirement matching (crates.io refuses to
//! publish two versions that differ only in build metadata, so nothing real is lost).

use crate::semantic_versioning::{self, SemanticVersion};
use crate::{Scheme, VersionError};

/// Parses a crates.io version: strict SemVer 2.0 (`1.2.3`, `1.0.0-alpha.1+build`).
pub fn parse(input: &str) -> Result<SemanticVersion, VersionError> {
    semantic_versioning::parse_strict(Scheme::CratesIo, input)
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
        check("0.1.0", "0.1.1", Ordering::Less);
        check("0.9.9", "0.10.0", Ordering::Less);
        check("1.0.0-alpha", "1.0.0", Ordering::Less);
        check("1.0.0-alpha.2", "1.0.0-alpha.10", Ordering::Less);
        check("0.0.0-0", "0.0.0", Ordering::Less);
        check("1.0.0+a", "1.0.0+b", Ordering::Equal);
        check("0.14.10", "0.14.9", Ordering::Greater);
    }

    #[test]
    fn cargo_rejects_what_semver_rejects() {
        check_invalid("1.0");
        check_invalid("v1.0.0");
        check_invalid("01.0.0");
        check_invalid(" 1.0.0");
        check_invalid("1.0.0-01");
        check_invalid("1.0.0-");
        check_invalid("");
    }
}
