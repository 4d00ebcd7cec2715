//! Hex (Erlang and Elixir): Elixir's `Version`.
//!
//! Elixir requires all of `MAJOR.MINOR.PATCH` and follows SemVer 2.0, which the `semver`
//! crate parses exactly; `Version.compare/2` ignores build metadata, like SemVer
//! precedence.

use crate::semantic_versioning::{self, SemanticVersion};
use crate::{Scheme, VersionError};

/// Parses a Hex package version (`1.4.0`, `2.0.0-rc.1`).
pub fn parse(input: &str) -> Result<SemanticVersion, VersionError> {
    semantic_versioning::parse_strict(Scheme::Hex, input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn check(left: &str, right: &str, expected: Ordering) {
        let (a, b) = (parse(left).unwrap(), parse(right).unwrap());
        assert_eq!(a.cmp(&b), expected, "{left} vs {right}");
    }

    #[test]
    fn order() {
        check("0.7.2", "0.7.10", Ordering::Less);
        check("1.0.0-rc.0", "1.0.0", Ordering::Less);
        check("1.0.0-rc.1", "1.0.0-rc.0", Ordering::Greater);
        check("1.0.0+build", "1.0.0", Ordering::Equal);
    }

    #[test]
    fn elixir_requires_three_numbers() {
        assert!(parse("1.0").is_err());
        assert!(parse("1").is_err());
        assert!(parse("v1.0.0").is_err());
    }
}
