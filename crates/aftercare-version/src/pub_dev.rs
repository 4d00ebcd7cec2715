//! Pub (Dart): `pub_semver`'s `Version`.
//!
//! SemVer 2.0 syntax with two differences that matter: numbers may have leading zeros,
//! and build metadata takes part in the order (`1.0.0` < `1.0.0+1` < `1.0.0+2`), which is
//! how Flutter's `1.2.3+4` build numbers sort. Pre-release and build parts are split at
//! `.`; a part Dart's `int.tryParse` accepts (decimal or `0x` hexadecimal, optionally
//! signed, 64-bit) is a number and sorts before text.

use std::cmp::Ordering;
use std::fmt;

use crate::{Scheme, VersionError};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// Declared first: numbers come before strings.
    Number(i64),
    Text(Box<str>),
}

impl fmt::Display for Part {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Number(number) => write!(formatter, "{number}"),
            Part::Text(text) => formatter.write_str(text),
        }
    }
}

/// A Dart package version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubVersion {
    major: i64,
    minor: i64,
    patch: i64,
    pre: Box<[Part]>,
    build: Box<[Part]>,
}

impl PubVersion {
    /// Whether the version has a pre-release part.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl Ord for PubVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
            // "Builds always come after no build string": an empty list sorts first.
            .then_with(|| self.build.cmp(&other.build))
    }
}

impl PartialOrd for PubVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PubVersion {
    /// `MAJOR.MINOR.PATCH[-PRE][+BUILD]` with numbers in decimal.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (separator, parts) in [("-", &self.pre), ("+", &self.build)] {
            for (index, part) in parts.iter().enumerate() {
                formatter.write_str(if index == 0 { separator } else { "." })?;
                part.fmt(formatter)?;
            }
        }
        Ok(())
    }
}

/// Parses a Dart package version (`1.2.3`, `1.0.0-dev.29`, `2.0.0+1`).
pub fn parse(input: &str) -> Result<PubVersion, VersionError> {
    let error = |reason: &str| VersionError::parse(Scheme::Pub, input, reason);
    let build_start = input.find('+').unwrap_or(input.len());
    let (head, build) = input.split_at(build_start);
    let pre_start = head.find('-').unwrap_or(head.len());
    let (numbers, pre) = head.split_at(pre_start);
    let mut values = numbers.split('.').map(|number| {
        if number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        number.parse::<i64>().ok()
    });
    let (Some(Some(major)), Some(Some(minor)), Some(Some(patch)), None) =
        (values.next(), values.next(), values.next(), values.next())
    else {
        return Err(error("expected MAJOR.MINOR.PATCH with 64-bit numbers"));
    };
    let pre = parts(pre.strip_prefix('-')).ok_or_else(|| error("invalid pre-release"))?;
    let build = parts(build.strip_prefix('+')).ok_or_else(|| error("invalid build"))?;
    Ok(PubVersion {
        major,
        minor,
        patch,
        pre,
        build,
    })
}

/// `[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*`, split into parts; `None` text means no part at all.
fn parts(text: Option<&str>) -> Option<Box<[Part]>> {
    let Some(text) = text else {
        return Some(Box::default());
    };
    text.split('.')
        .map(|part| {
            let valid = !part.is_empty()
                && part
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
            valid.then(|| match dart_int(part) {
                Some(number) => Part::Number(number),
                None => Part::Text(part.into()),
            })
        })
        .collect()
}

/// Dart's `int.tryParse` without a radix: an optional sign, then decimal digits or `0x`
/// and hexadecimal digits, within 64 bits.
fn dart_int(text: &str) -> Option<i64> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let magnitude = match unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
    {
        Some(hexadecimal) if !hexadecimal.is_empty() => {
            i128::from_str_radix(hexadecimal, 16).ok()?
        }
        Some(_) => return None,
        None if !unsigned.is_empty() && unsigned.bytes().all(|byte| byte.is_ascii_digit()) => {
            unsigned.parse::<i128>().ok()?
        }
        None => return None,
    };
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(left: &str, right: &str, expected: Ordering) {
        let (a, b) = (parse(left).unwrap(), parse(right).unwrap());
        assert_eq!(a.cmp(&b), expected, "{left} vs {right}");
        assert_eq!(b.cmp(&a), expected.reverse(), "{right} vs {left}");
        assert_eq!(a == b, expected == Ordering::Equal);
    }

    fn check_invalid(input: &str) {
        assert!(parse(input).is_err(), "{input} should be invalid");
    }

    // The chain of pub_semver's version_test.dart "comparison".
    #[test]
    fn order() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0-rc.1+build.1",
            "1.0.0",
            "1.0.0+0.3.7",
            "1.3.7+build",
            "1.3.7+build.2.b8f12d7",
            "1.3.7+build.11.e0f985a",
            "2.0.0",
            "2.1.0",
            "2.2.0",
            "2.11.0",
            "2.11.1",
        ];
        for (index, low) in ordered.iter().enumerate() {
            for high in &ordered[index + 1..] {
                check(low, high, Ordering::Less);
            }
        }
        check("01.2.3", "1.2.3", Ordering::Equal);
        check("1.0.0-007", "1.0.0-7", Ordering::Equal);
        check("1.0.0-0x10", "1.0.0-16", Ordering::Equal);
        check("1.0.0-dev.29", "1.0.0", Ordering::Less);
        check("1.0.0+1", "1.0.0", Ordering::Greater);
    }

    #[test]
    fn invalid() {
        check_invalid("");
        check_invalid("1.0");
        check_invalid("1.2.3.4");
        check_invalid("v1.2.3");
        check_invalid("1.2.3-");
        check_invalid("1.2.3-a..b");
        check_invalid("1.2.3+");
        check_invalid("99999999999999999999.0.0");
    }

    #[test]
    fn canonical_form() {
        assert_eq!(
            parse("01.2.3-0x10+b.007").unwrap().to_string(),
            "1.2.3-16+b.7"
        );
    }
}
