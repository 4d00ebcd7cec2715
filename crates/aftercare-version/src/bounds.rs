//! Version bounds as an analyst writes them: `*`, or a conjunction of comparisons such as
//! `=1.2.3` or `>=1.0,<2.0`, evaluated in one scheme.
//!
//! A triage decision covers the versions of a component it was made for (`=4.17.19` by
//! default: the version it was made on) and is inherited by other findings of the same
//! component inside those versions. The rule, in full:
//!
//! * The text is trimmed; `*` alone covers every version, even an unknown one.
//! * Otherwise it is a comma-separated list of bounds, all of which must hold; blank
//!   entries are skipped, and a text with no bound at all is refused
//!   ([`VersionError::NoBounds`]).
//! * A bound is an operator and a version: `>=`, `<=`, `>`, `<`, `=` or `==` (the same as
//!   `=`), or a bare version meaning `=`. Spaces around either part are ignored.
//! * Every version is parsed with the bounds' scheme (the component's ecosystem), so `=1.0`
//!   covers `1.0.0` where the scheme says they are equal. A bound whose version does not
//!   parse refuses the whole text, naming the bound ([`VersionError::Bound`]).
//! * An unknown version (none, or text that is no version of the scheme) lies within `*`
//!   only: a decision about some versions never reaches a component whose version cannot be
//!   compared.

use std::cmp::Ordering;

use crate::{Scheme, Version, VersionError};

/// How a bound compares a version with its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Less,
    LessOrEqual,
    Equal,
    GreaterOrEqual,
    Greater,
}

impl Operator {
    /// The operators as written, longest first so that `>=` is not read as `>` and `=1.0`.
    const WRITTEN: [(&'static str, Operator); 6] = [
        (">=", Operator::GreaterOrEqual),
        ("<=", Operator::LessOrEqual),
        ("==", Operator::Equal),
        (">", Operator::Greater),
        ("<", Operator::Less),
        ("=", Operator::Equal),
    ];

    /// Splits a trimmed bound into its operator and its version text (a bare version is `=`).
    fn split(bound: &str) -> (Operator, &str) {
        Operator::WRITTEN
            .iter()
            .find_map(|(written, operator)| {
                bound
                    .strip_prefix(written)
                    .map(|rest| (*operator, rest.trim()))
            })
            .unwrap_or((Operator::Equal, bound))
    }

    /// Whether `ordering` (the version compared with the bound's) satisfies the operator.
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Operator::Less => ordering == Ordering::Less,
            Operator::LessOrEqual => ordering != Ordering::Greater,
            Operator::Equal => ordering == Ordering::Equal,
            Operator::GreaterOrEqual => ordering != Ordering::Less,
            Operator::Greater => ordering == Ordering::Greater,
        }
    }
}

/// Version bounds parsed once in a scheme; see the module documentation for the rule.
///
/// ```
/// use aftercare_version::{Bounds, Scheme, parse};
///
/// let bounds = Bounds::parse(Scheme::Npm, ">=4.17.0, <4.17.21")?;
/// assert!(bounds.contains(&parse(Scheme::Npm, "4.17.19")?));
/// assert!(!bounds.contains(&parse(Scheme::Npm, "4.17.21")?));
/// assert!(!bounds.contains_text(None));
/// assert!(Bounds::parse(Scheme::Npm, "*")?.contains_text(None));
/// # Ok::<(), aftercare_version::VersionError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Bounds {
    scheme: Scheme,
    /// `None` for `*`; otherwise at least one bound, all of which must hold.
    bounds: Option<Box<[(Operator, Version)]>>,
}

impl Bounds {
    /// Parses bounds written as `*` or `>=1.0,<2.0` in `scheme`. The error names the bound
    /// whose version does not parse, or says what is expected when there is no bound.
    pub fn parse(scheme: Scheme, text: &str) -> Result<Bounds, VersionError> {
        if text.trim() == "*" {
            return Ok(Bounds {
                scheme,
                bounds: None,
            });
        }
        let bounds = text
            .split(',')
            .map(str::trim)
            .filter(|bound| !bound.is_empty())
            .map(|bound| {
                let (operator, version) = Operator::split(bound);
                crate::parse(scheme, version)
                    .map(|version| (operator, version))
                    .map_err(|source| VersionError::Bound {
                        bound: bound.to_string(),
                        source: Box::new(source),
                    })
            })
            .collect::<Result<Box<[_]>, _>>()?;
        if bounds.is_empty() {
            return Err(VersionError::NoBounds);
        }
        Ok(Bounds {
            scheme,
            bounds: Some(bounds),
        })
    }

    /// The scheme the bounds' versions were parsed with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Whether the bounds are `*`: every version, known or not.
    pub fn is_any(&self) -> bool {
        self.bounds.is_none()
    }

    /// Whether `version` lies within every bound. A version parsed with another scheme lies
    /// within `*` only: the order across schemes means nothing.
    pub fn contains(&self, version: &Version) -> bool {
        let Some(bounds) = &self.bounds else {
            return true;
        };
        version.scheme() == self.scheme
            && bounds
                .iter()
                .all(|(operator, bound)| operator.holds(version.cmp(bound)))
    }

    /// Whether a version written as text lies within, parsed with the bounds' scheme. An
    /// unknown version (`None`, or text that is no version of the scheme) lies within `*`
    /// only.
    pub fn contains_text(&self, version: Option<&str>) -> bool {
        if self.is_any() {
            return true;
        }
        version
            .and_then(|text| crate::parse(self.scheme, text).ok())
            .is_some_and(|version| self.contains(&version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` is `Some(contained)` for bounds that parse, `None` for bounds refused.
    fn check(scheme: Scheme, bounds: &str, version: Option<&str>, expected: Option<bool>) {
        let found = Bounds::parse(scheme, bounds)
            .ok()
            .map(|parsed| parsed.contains_text(version));
        assert_eq!(found, expected, "{scheme}: {version:?} in {bounds:?}");
    }

    #[test]
    fn any_version() {
        check(Scheme::Npm, "*", Some("1.0.0"), Some(true));
        check(Scheme::Npm, " * ", Some("not a version"), Some(true));
        check(Scheme::Npm, "*", None, Some(true));
        check(Scheme::Generic, "*", Some(""), Some(true));
    }

    #[test]
    fn exact_versions() {
        check(Scheme::Npm, "=4.17.19", Some("4.17.19"), Some(true));
        check(Scheme::Npm, "=4.17.19", Some("4.17.20"), Some(false));
        check(Scheme::Npm, "4.17.19", Some("4.17.19"), Some(true));
        check(Scheme::Npm, "== 4.17.19", Some("v4.17.19"), Some(true));
        check(Scheme::Maven, "=1.0", Some("1.0.0.Final"), Some(true));
        check(Scheme::PyPI, "=1.0", Some("1.0.0"), Some(true));
        check(Scheme::Hackage, "=1.0", Some("1.0.0"), Some(false));
    }

    #[test]
    fn conjunctions_of_bounds() {
        check(Scheme::Npm, ">=1.0.0,<2.0.0", Some("1.5.0"), Some(true));
        check(Scheme::Npm, ">=1.0.0,<2.0.0", Some("2.0.0"), Some(false));
        check(Scheme::Npm, ">=1.0.0,<2.0.0", Some("0.9.9"), Some(false));
        check(Scheme::Npm, ">1.0.0, <=2.0.0", Some("1.0.0"), Some(false));
        check(Scheme::Npm, ">1.0.0, <=2.0.0", Some("2.0.0"), Some(true));
        check(Scheme::Npm, ">=1.0.0,,<2.0.0,", Some("1.5.0"), Some(true));
        check(Scheme::Npm, ">=2.0.0,<1.0.0", Some("1.5.0"), Some(false));
    }

    #[test]
    fn the_scheme_orders() {
        check(Scheme::PyPI, "<2.2.0", Some("2.2.0rc1"), Some(true));
        check(Scheme::Maven, "<2.12.6.1", Some("2.12.6"), Some(true));
        check(Scheme::Maven, ">=3.8.0", Some("3.8.0.CR1"), Some(false));
        check(Scheme::Debian, "<1.0-1", Some("1.0~rc1-1"), Some(true));
        check(Scheme::Rpm, ">1.0-1", Some("1.0^git1-1"), Some(true));
        check(Scheme::Generic, ">=1.0", Some("1.0.0"), Some(true));
    }

    #[test]
    fn unknown_versions_are_never_contained() {
        check(Scheme::Npm, "=1.0.0", None, Some(false));
        check(Scheme::Npm, ">=0.0.0", None, Some(false));
        check(Scheme::CratesIo, ">=0.1.0", Some("1.0"), Some(false));
        check(Scheme::Npm, "<9.0.0", Some("not a version"), Some(false));
    }

    #[test]
    fn malformed_bounds_are_refused() {
        check(Scheme::Npm, "", Some("1.0.0"), None);
        check(Scheme::Npm, " , ", Some("1.0.0"), None);
        check(Scheme::Npm, ">=", Some("1.0.0"), None);
        check(Scheme::CratesIo, ">=1.0", Some("1.0.0"), None);
        check(Scheme::Npm, ">=1.0.0,<banana", Some("1.0.0"), None);
        check(Scheme::Npm, "*,<2.0.0", Some("1.0.0"), None);
    }

    #[test]
    fn errors_name_the_bound() {
        let error = Bounds::parse(Scheme::CratesIo, ">=0.1.0, < 1.0").unwrap_err();
        assert!(
            matches!(&error, VersionError::Bound { bound, .. } if bound == "< 1.0"),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("\"< 1.0\""), "{message}");
        assert!(message.contains("crates.io"), "{message}");
        assert!(std::error::Error::source(&error).is_some());
        assert_eq!(
            Bounds::parse(Scheme::Npm, " ").unwrap_err().to_string(),
            "expected `*` or bounds such as `=1.2.3` or `>=1.0,<2.0`"
        );
    }

    #[test]
    fn versions_of_another_scheme_lie_within_any_only() {
        let npm = crate::parse(Scheme::Npm, "1.0.0").unwrap();
        assert!(
            !Bounds::parse(Scheme::Semver, ">=0.1.0")
                .unwrap()
                .contains(&npm)
        );
        assert!(Bounds::parse(Scheme::Semver, "*").unwrap().contains(&npm));
        let bounds = Bounds::parse(Scheme::Maven, "=1").unwrap();
        assert_eq!(bounds.scheme(), Scheme::Maven);
        assert!(!bounds.is_any());
    }
}
