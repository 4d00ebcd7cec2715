//! SemVer 2.0 precedence, shared by every SemVer-based scheme, and the `SEMVER` scheme of
//! OSV ranges.
//!
//! Parsing differs per package manager (Cargo is strict, npm tolerates a leading `v`, OSV
//! data is coerced the way osv.dev does it), but precedence is always SemVer 2.0 §11:
//! major, minor and patch numerically, a pre-release before its release, pre-release
//! identifiers one by one (numbers numerically and before text), build metadata ignored.
//! Ignoring build metadata is also what Cargo's requirement matching, npm's `semver.compare`,
//! Go's `semver.Compare`, Elixir's `Version.compare` and python-semver do.
//!
//! Identifiers are split once at parse time so a comparison never re-scans text.

use std::cmp::Ordering;
use std::fmt;

use crate::number::Number;
use crate::{Scheme, VersionError};

/// One dot-separated pre-release identifier.
///
/// The derived order is SemVer's: numeric identifiers first, by value; then alphanumeric
/// ones in ASCII order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Identifier {
    /// Only digits.
    Numeric(Number),
    /// Anything else.
    Text(Box<str>),
}

impl Identifier {
    fn new(text: &str) -> Identifier {
        if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
            Identifier::Numeric(Number::from_digits(text))
        } else {
            Identifier::Text(text.into())
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identifier::Numeric(number) => number.fmt(formatter),
            Identifier::Text(text) => formatter.write_str(text),
        }
    }
}

/// A parsed SemVer 2.0 version, ordered by SemVer precedence (build metadata ignored).
#[derive(Debug, Clone)]
pub struct SemanticVersion {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Box<[Identifier]>,
    build: Box<str>,
}

impl SemanticVersion {
    /// The major version.
    pub fn major(&self) -> u64 {
        self.major
    }

    /// The minor version.
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// The patch version.
    pub fn patch(&self) -> u64 {
        self.patch
    }

    /// Whether the version has a pre-release part (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// The build metadata without its `+`, empty when there is none. It does not take part
    /// in the order.
    pub fn build(&self) -> &str {
        &self.build
    }

    pub(crate) fn from_parts(
        major: u64,
        minor: u64,
        patch: u64,
        pre: &str,
        build: &str,
    ) -> SemanticVersion {
        let pre = if pre.is_empty() {
            Box::default()
        } else {
            pre.split('.').map(Identifier::new).collect()
        };
        SemanticVersion {
            major,
            minor,
            patch,
            pre,
            build: build.into(),
        }
    }

    fn from_semver(version: &semver::Version) -> SemanticVersion {
        SemanticVersion::from_parts(
            version.major,
            version.minor,
            version.patch,
            version.pre.as_str(),
            version.build.as_str(),
        )
    }
}

impl Ord for SemanticVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // Slices compare element by element and a shorter prefix first, which is
                // SemVer's "a larger set of pre-release fields has a higher precedence".
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for SemanticVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemanticVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemanticVersion {}

impl fmt::Display for SemanticVersion {
    /// The canonical form `MAJOR.MINOR.PATCH[-PRE][+BUILD]`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (index, identifier) in self.pre.iter().enumerate() {
            formatter.write_str(if index == 0 { "-" } else { "." })?;
            identifier.fmt(formatter)?;
        }
        if !self.build.is_empty() {
            write!(formatter, "+{}", self.build)?;
        }
        Ok(())
    }
}

/// Parses strict SemVer 2.0 with the `semver` crate (Cargo's parser): no leading `v`, no
/// whitespace, no leading zeros, all three numbers present.
pub(crate) fn parse_strict(scheme: Scheme, input: &str) -> Result<SemanticVersion, VersionError> {
    semver::Version::parse(input)
        .map(|version| SemanticVersion::from_semver(&version))
        .map_err(|error| VersionError::parse(scheme, input, error.to_string()))
}

/// Parses the version of an OSV `SEMVER` range event, or of a package compared against one.
///
/// OSV says these are SemVer 2.0 without a leading `v`; real records are not always that
/// clean, so this applies osv.dev's coercion (`osv/semver_index.py`) before the strict
/// parse: one leading `v` is dropped, a missing minor or patch becomes `0`, leading zeros
/// are dropped from numbers, and an empty pre-release or build identifier becomes `-`.
pub fn parse(input: &str) -> Result<SemanticVersion, VersionError> {
    let coerced = coerce(input);
    semver::Version::parse(&coerced)
        .map(|version| SemanticVersion::from_semver(&version))
        .map_err(|error| VersionError::parse(Scheme::Semver, input, error.to_string()))
}

/// osv.dev's `semver_index.coerce`.
fn coerce(input: &str) -> String {
    let version = input.strip_prefix('v').unwrap_or(input);
    let (major, rest) = split_digits(version);
    if major.is_empty() {
        return version.to_owned();
    }
    let mut coerced = String::with_capacity(version.len() + 4);
    coerced.push_str(&strip_zeros(major));
    let mut rest = rest;
    for _ in 0..2 {
        let component = rest
            .strip_prefix('.')
            .map(split_digits)
            .filter(|(digits, _)| !digits.is_empty());
        coerced.push('.');
        match component {
            Some((digits, after)) => {
                coerced.push_str(&strip_zeros(digits));
                rest = after;
            }
            None => coerced.push('0'),
        }
    }
    coerce_suffix(rest, &mut coerced);
    coerced
}

/// osv.dev's `_coerce_suffix`: `^(-[^+]*)?(\+.*)?(.*)$`.
fn coerce_suffix(suffix: &str, coerced: &mut String) {
    let mut rest = suffix;
    if let Some(after_dash) = rest.strip_prefix('-') {
        let end = after_dash.find('+').unwrap_or(after_dash.len());
        let (pre, after) = after_dash.split_at(end);
        coerced.push('-');
        for (index, component) in pre.split('.').enumerate() {
            if index > 0 {
                coerced.push('.');
            }
            if component.is_empty() {
                coerced.push('-');
            } else if component.bytes().all(|byte| byte.is_ascii_digit()) {
                coerced.push_str(&strip_zeros(component));
            } else {
                coerced.push_str(component);
            }
        }
        rest = after;
    }
    if let Some(after_plus) = rest.strip_prefix('+') {
        coerced.push('+');
        for (index, component) in after_plus.split('.').enumerate() {
            if index > 0 {
                coerced.push('.');
            }
            coerced.push_str(if component.is_empty() { "-" } else { component });
        }
        rest = "";
    }
    coerced.push_str(rest);
}

fn split_digits(text: &str) -> (&str, &str) {
    let end = text
        .bytes()
        .position(|byte| !byte.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

fn strip_zeros(digits: &str) -> String {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(left: &str, right: &str, expected: Ordering) {
        let a = parse(left).unwrap();
        let b = parse(right).unwrap();
        assert_eq!(a.cmp(&b), expected, "{left} vs {right}");
        assert_eq!(b.cmp(&a), expected.reverse(), "{right} vs {left}");
    }

    fn check_coerce(input: &str, expected: &str) {
        assert_eq!(coerce(input), expected, "{input}");
    }

    fn check_invalid(input: &str) {
        assert!(parse(input).is_err(), "{input} should be invalid");
    }

    #[test]
    fn precedence_follows_semver_section_11() {
        // The example chain of SemVer 2.0 §11.
        check("1.0.0-alpha", "1.0.0-alpha.1", Ordering::Less);
        check("1.0.0-alpha.1", "1.0.0-alpha.beta", Ordering::Less);
        check("1.0.0-alpha.beta", "1.0.0-beta", Ordering::Less);
        check("1.0.0-beta", "1.0.0-beta.2", Ordering::Less);
        check("1.0.0-beta.2", "1.0.0-beta.11", Ordering::Less);
        check("1.0.0-beta.11", "1.0.0-rc.1", Ordering::Less);
        check("1.0.0-rc.1", "1.0.0", Ordering::Less);
        check("1.0.0", "2.0.0", Ordering::Less);
        check("2.0.0", "2.1.0", Ordering::Less);
        check("2.1.0", "2.1.1", Ordering::Less);
        check("1.9.0", "1.10.0", Ordering::Less);
        check("1.0.0+build.1", "1.0.0+build.2", Ordering::Equal);
        check("1.0.0-1", "1.0.0-a", Ordering::Less);
        check("1.0.0-A", "1.0.0-a", Ordering::Less);
        check("1.0.0-a-b", "1.0.0-a", Ordering::Greater);
        check("0.0.0-0", "0.0.0", Ordering::Less);
        check(
            "1.0.0-99999999999999999999999",
            "1.0.0-100000000000000000000000",
            Ordering::Less,
        );
    }

    #[test]
    fn osv_data_is_coerced_like_osv_dev() {
        check_coerce("1.2.3", "1.2.3");
        check_coerce("v1.2.3", "1.2.3");
        check_coerce("1", "1.0.0");
        check_coerce("1.2", "1.2.0");
        check_coerce("01.002.0003", "1.2.3");
        check_coerce("1.2-rc1", "1.2.0-rc1");
        check_coerce("1.2.3-01", "1.2.3-1");
        check_coerce("2.0.0-rc..1", "2.0.0-rc.-.1");
        check_coerce("1.0.0+a..b", "1.0.0+a.-.b");
        check_coerce("1.2.3.4", "1.2.3.4");
        check_coerce("vv1", "v1");
        check("1.2", "1.2.0", Ordering::Equal);
        check("v1.2.3", "1.2.3", Ordering::Equal);
        check("2.0.0-rc..1", "2.0.0-rc.0", Ordering::Greater);
        // An empty pre-release becomes `-`, as osv.dev coerces it.
        check("1.2.3-", "1.2.3--", Ordering::Equal);
    }

    #[test]
    fn invalid_osv_versions() {
        check_invalid("");
        check_invalid("v");
        check_invalid("a.b.c");
        check_invalid("1.2.3.4");
        check_invalid("1.2.3_4");
        check_invalid("1.2.3-a b");
        check_invalid("99999999999999999999.0.0");
    }

    #[test]
    fn canonical_form() {
        assert_eq!(parse("v01.2-rc.01+b").unwrap().to_string(), "1.2.0-rc.1+b");
    }
}
