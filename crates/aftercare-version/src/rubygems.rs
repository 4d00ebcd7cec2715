//! RubyGems: `Gem::Version`.
//!
//! A version is checked against RubyGems' pattern, `-` becomes `.pre.`, and the text is
//! cut into segments (digit runs as numbers, letter runs as text). Trailing zeros are
//! dropped from the numeric head and from the rest, then segments compare one by one with
//! missing ones read as `0`; text sorts before numbers, so any letter makes a pre-release
//! (`1.0.a` < `1.0`). Text compares case-sensitively, as Ruby strings do.

use std::cmp::Ordering;
use std::fmt;

use crate::number::Number;
use crate::{Scheme, VersionError};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Segment {
    /// Declared first: text sorts before numbers.
    Text(Box<str>),
    Number(Number),
}

const ZERO: Segment = Segment::Number(Number::ZERO);

/// A gem version.
#[derive(Debug, Clone)]
pub struct GemVersion {
    /// `canonical_segments`.
    segments: Box<[Segment]>,
    /// The version as RubyGems stores it: stripped, `-` replaced by `.pre.`.
    text: Box<str>,
}

impl GemVersion {
    /// Whether the version contains a letter, which makes it a pre-release for RubyGems.
    pub fn is_prerelease(&self) -> bool {
        self.text.bytes().any(|byte| byte.is_ascii_alphabetic())
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for index in 0..self.segments.len().max(other.segments.len()) {
            let left = self.segments.get(index).unwrap_or(&ZERO);
            let right = other.segments.get(index).unwrap_or(&ZERO);
            let ordering = left.cmp(right);
            if ordering.is_ne() {
                return ordering;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

impl fmt::Display for GemVersion {
    /// The canonical segments joined with `.` (`1.0.0-rc1` is `1.pre.rc.1`), with a
    /// leading `0.` when they start with a word, so the text is a valid version again.
    /// (`Gem::Version#to_s` is not always one: `0-a.-` becomes `0.pre.a..pre.`.)
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.segments.first() {
            None => return formatter.write_str("0"),
            Some(Segment::Text(_)) => formatter.write_str("0.")?,
            Some(Segment::Number(_)) => {}
        }
        for (index, segment) in self.segments.iter().enumerate() {
            if index > 0 {
                formatter.write_str(".")?;
            }
            match segment {
                Segment::Text(text) => formatter.write_str(text)?,
                Segment::Number(number) => write!(formatter, "{number}")?,
            }
        }
        Ok(())
    }
}

/// Parses a gem version (`1.2.3`, `1.0.0.rc1`, `2.0.0-beta.2`, a blank string meaning `0`).
pub fn parse(input: &str) -> Result<GemVersion, VersionError> {
    let trimmed = input.trim_matches(|character: char| {
        matches!(character, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
    });
    let text = if trimmed.is_empty() { "0" } else { trimmed };
    if !matches_pattern(text) {
        return Err(VersionError::parse(
            Scheme::RubyGems,
            input,
            "not a RubyGems version (digits, then `.`-separated alphanumerics, then an optional `-` pre-release)",
        ));
    }
    let text = text.replace('-', ".pre.");
    let mut segments = Vec::new();
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let start = index;
        if bytes[index].is_ascii_digit() {
            while index < bytes.len() && bytes[index].is_ascii_digit() {
                index += 1;
            }
            segments.push(Segment::Number(Number::from_digits(&text[start..index])));
        } else if bytes[index].is_ascii_alphabetic() {
            while index < bytes.len() && bytes[index].is_ascii_alphabetic() {
                index += 1;
            }
            segments.push(Segment::Text(text[start..index].into()));
        } else {
            index += 1;
        }
    }
    // `canonical_segments`: drop trailing zeros of the numeric head and of the rest.
    let text_start = segments
        .iter()
        .position(|segment| matches!(segment, Segment::Text(_)))
        .unwrap_or(segments.len());
    let mut tail = segments.split_off(text_start);
    while segments.last() == Some(&ZERO) {
        segments.pop();
    }
    while tail.last() == Some(&ZERO) {
        tail.pop();
    }
    segments.extend(tail);
    Ok(GemVersion {
        segments: segments.into_boxed_slice(),
        text: text.into(),
    })
}

/// `[0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`, anchored.
fn matches_pattern(text: &str) -> bool {
    let (main, pre) = match text.split_once('-') {
        Some((main, pre)) => (main, Some(pre)),
        None => (text, None),
    };
    let mut parts = main.split('.');
    let head_ok = parts
        .next()
        .is_some_and(|head| !head.is_empty() && head.bytes().all(|byte| byte.is_ascii_digit()));
    let rest_ok =
        parts.all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|pre| {
        pre.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
    });
    head_ok && rest_ok && pre_ok
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

    // Cases from RubyGems' test_gem_version.rb.
    #[test]
    fn order() {
        check("1.0", "1.0.0", Ordering::Equal);
        check("1", "1.0.0.0", Ordering::Equal);
        check("1.0.a", "1.a", Ordering::Equal);
        check("1.0.0-rc1", "1.0.0.pre.rc1", Ordering::Equal);
        check("1.0.a", "1.0", Ordering::Less);
        check("1.0.a", "1.0.b", Ordering::Less);
        check("1.0.a10", "1.0.a9", Ordering::Greater);
        check("1.0.b1", "1.0.a.2", Ordering::Greater);
        check("0.beta.1", "0.0.beta.1", Ordering::Equal);
        check("0.0.beta", "0.0.beta.1", Ordering::Less);
        check("5.a", "5.0.0.rc2", Ordering::Less);
        check("5.x", "5.0.0.rc2", Ordering::Greater);
        check("1.9.3", "1.9.3.0", Ordering::Equal);
        check("1.9.3-p0", "1.9.3", Ordering::Less);
        check("9.8.7", "9.8.7.a", Ordering::Greater);
        check("1.2.3", "1.2.10", Ordering::Less);
        check("1.0.0.beta", "1.0.0.Beta", Ordering::Greater);
        check("", "0", Ordering::Equal);
        check("  1.2  ", "1.2", Ordering::Equal);
    }

    #[test]
    fn invalid() {
        check_invalid("junk");
        check_invalid("1.0\n2.0");
        check_invalid("1..2");
        check_invalid("1.2\u{0}");
        check_invalid("1.2 3.4");
        check_invalid("2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.");
        check_invalid("1.0-");
        check_invalid("v1.0");
    }

    #[test]
    fn prerelease() {
        assert!(parse("1.2.0.a").unwrap().is_prerelease());
        assert!(parse("2.9.b").unwrap().is_prerelease());
        assert!(parse("1.0.0-rc1").unwrap().is_prerelease());
        assert!(!parse("1.2.0").unwrap().is_prerelease());
    }
}
