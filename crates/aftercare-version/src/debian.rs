//! Debian and Ubuntu: dpkg's version comparison.
//!
//! `[epoch:]upstream[-revision]`: the epoch is a number (missing is `0`), the revision is
//! what follows the last `-` (missing is empty, which compares like `0`). Upstream and
//! revision compare with dpkg's `verrevcmp`: alternately a run of non-digits, character
//! by character with `~` before the end of the run, the end before letters, letters
//! before other characters; then a run of digits, numerically.
//!
//! Like `dpkg --compare-versions`, strings with characters dpkg warns about are accepted;
//! only what dpkg refuses outright (empty parts, a bad epoch, embedded spaces) is an
//! error. Bytes outside ASCII rank as unsigned characters, after all ASCII punctuation.

use std::cmp::Ordering;
use std::fmt;

use crate::number::Number;
use crate::{Scheme, VersionError};

/// One non-digit run and the digit run after it.
#[derive(Debug, Clone)]
struct Part {
    text: Box<[u8]>,
    number: Number,
}

/// A version string compared with `verrevcmp`, cut into parts once.
#[derive(Debug, Clone)]
struct Verrev {
    parts: Box<[Part]>,
}

impl Verrev {
    fn new(text: &str) -> Verrev {
        let bytes = text.as_bytes();
        let mut parts = Vec::new();
        let mut index = 0;
        while index < bytes.len() {
            let text_start = index;
            while index < bytes.len() && !bytes[index].is_ascii_digit() {
                index += 1;
            }
            let digits_start = index;
            while index < bytes.len() && bytes[index].is_ascii_digit() {
                index += 1;
            }
            parts.push(Part {
                text: bytes[text_start..digits_start].into(),
                number: Number::from_digits(&text[digits_start..index]),
            });
        }
        // A trailing part of no text and zero compares like the end of the string.
        while parts
            .last()
            .is_some_and(|part| part.text.is_empty() && part.number.is_zero())
        {
            parts.pop();
        }
        Verrev {
            parts: parts.into_boxed_slice(),
        }
    }
}

/// dpkg's `order()`: the rank of one character of a non-digit run; `None` is the end.
fn order(character: Option<u8>) -> i32 {
    match character {
        None => 0,
        Some(b'~') => -1,
        Some(letter) if letter.is_ascii_alphabetic() => i32::from(letter),
        Some(other) => i32::from(other) + 256,
    }
}

fn compare_text(left: &[u8], right: &[u8]) -> Ordering {
    for index in 0..left.len().max(right.len()) {
        let ordering = order(left.get(index).copied()).cmp(&order(right.get(index).copied()));
        if ordering.is_ne() {
            return ordering;
        }
    }
    Ordering::Equal
}

fn part_text(part: Option<&Part>) -> &[u8] {
    part.map_or(&[], |part| &part.text)
}

fn part_number(part: Option<&Part>) -> &Number {
    part.map_or(&Number::ZERO, |part| &part.number)
}

impl Ord for Verrev {
    fn cmp(&self, other: &Self) -> Ordering {
        for index in 0..self.parts.len().max(other.parts.len()) {
            // Past its end a string reads as an empty run and a zero.
            let (left, right) = (self.parts.get(index), other.parts.get(index));
            let ordering = compare_text(part_text(left), part_text(right))
                .then_with(|| part_number(left).cmp(part_number(right)));
            if ordering.is_ne() {
                return ordering;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Verrev {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Verrev {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Verrev {}

/// A Debian package version.
#[derive(Debug, Clone)]
pub struct DebianVersion {
    epoch: u32,
    upstream: Verrev,
    revision: Verrev,
    text: Box<str>,
}

impl DebianVersion {
    /// The epoch (`0` when absent).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }
}

impl Ord for DebianVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.epoch, &self.upstream, &self.revision).cmp(&(
            other.epoch,
            &other.upstream,
            &other.revision,
        ))
    }
}

impl PartialOrd for DebianVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DebianVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DebianVersion {}

impl fmt::Display for DebianVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

/// Parses a Debian version (`1.2.3-1`, `1:2.30-4+deb12u1`, `3.20230808.1~deb11u1`).
pub fn parse(input: &str) -> Result<DebianVersion, VersionError> {
    let error = |reason: &str| VersionError::parse(Scheme::Debian, input, reason);
    let text = input.trim();
    if text.is_empty() {
        return Err(error("the version is empty"));
    }
    if text.chars().any(char::is_whitespace) {
        return Err(error("the version has embedded spaces"));
    }
    let (epoch, rest) = match text.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() {
                return Err(error("the epoch is empty"));
            }
            if !epoch.bytes().all(|byte| byte.is_ascii_digit()) {
                return Err(error("the epoch is not a number"));
            }
            let epoch = epoch
                .parse::<u32>()
                .ok()
                .filter(|value| i32::try_from(*value).is_ok())
                .ok_or_else(|| error("the epoch is too big"))?;
            if rest.is_empty() {
                return Err(error("nothing after the colon"));
            }
            (epoch, rest)
        }
        None => (0, text),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((_, "")) => return Err(error("the revision is empty")),
        Some((upstream, revision)) => (upstream, revision),
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(error("the upstream version is empty"));
    }
    Ok(DebianVersion {
        epoch,
        upstream: Verrev::new(upstream),
        revision: Verrev::new(revision),
        text: text.into(),
    })
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

    // Cases from dpkg's t-version.c and Debian policy §5.6.12.
    #[test]
    fn order() {
        check("1.0", "1.0", Ordering::Equal);
        check("0:1.0", "1.0", Ordering::Equal);
        check("1.0", "1.0-0", Ordering::Equal);
        check("1.0", "1.00", Ordering::Equal);
        check("1:0", "0:1", Ordering::Greater);
        check("1.0~rc1", "1.0", Ordering::Less);
        check("1.0~~", "1.0~~a", Ordering::Less);
        check("1.0~~a", "1.0~", Ordering::Less);
        check("1.0~", "1.0", Ordering::Less);
        check("1.0", "1.0a", Ordering::Less);
        check("1.0a", "1.0+", Ordering::Less);
        check("1.0", "1.0.", Ordering::Less);
        check("1.0+", "1.0.", Ordering::Less);
        check("1.0", "1.0.1", Ordering::Less);
        check("1.2.3-1", "1.2.3-1+deb12u1", Ordering::Less);
        check("3.20230808.1~deb11u1", "3.20230808.1", Ordering::Less);
        check("3.20230808.1~deb11u1", "3.20230512.1", Ordering::Greater);
        check("2:1.0", "1:9.9", Ordering::Greater);
        check("1.0-1", "1.0-1ubuntu1", Ordering::Less);
        check("1.0-1ubuntu0.1", "1.0-1ubuntu1", Ordering::Less);
        check("1.0-10", "1.0-9", Ordering::Greater);
        check("1.0-a", "1.0-1", Ordering::Greater);
        check("a", "1", Ordering::Greater);
        check("1.0-2-3", "1.0-2-2", Ordering::Greater);
        check("1-0", "1", Ordering::Equal);
        check(
            "99999999999999999999999.0",
            "99999999999999999999998.9",
            Ordering::Greater,
        );
    }

    #[test]
    fn invalid() {
        check_invalid("");
        check_invalid("  ");
        check_invalid(":1.0");
        check_invalid("a:1.0");
        check_invalid("1:");
        check_invalid("1.0-");
        check_invalid("-1");
        check_invalid("1.0 2");
        check_invalid("2147483648:1.0");
    }

    #[test]
    fn epoch_and_text() {
        let version = parse(" 1:2.30-4+deb12u1 ").unwrap();
        assert_eq!(version.epoch(), 1);
        assert_eq!(version.to_string(), "1:2.30-4+deb12u1");
    }
}
