//! RPM distributions (Red Hat, Rocky, AlmaLinux, SUSE, openSUSE, …): `rpmvercmp`.
//!
//! `[epoch:]version[-release]`: the epoch is a number (missing is `0`), the release is
//! what follows the last `-`. Version and release compare with `rpmvercmp`: characters
//! other than ASCII letters, digits, `~` and `^` only separate; digit runs compare
//! numerically and beat letter runs; `~` sorts before everything, even the end
//! (`1.0~rc1` < `1.0`); `^` sorts after the end but before anything else
//! (`1.0` < `1.0^git1` < `1.0.1`).
//!
//! rpm skips the release when one side has none (a dependency on `1.0` matches every
//! `1.0-N`). That is not an order, so here a missing release sorts before every release.

use std::cmp::Ordering;
use std::fmt;

use crate::number::Number;
use crate::{Scheme, VersionError};

/// One `rpmvercmp` token. The declaration order is the order of tokens of different kinds
/// at the same position, with `End` marking the end of the string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    Tilde,
    End,
    Caret,
    Letters(Box<str>),
    Digits(Number),
}

fn tokens(text: &str) -> Box<[Token]> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let start = index;
        match bytes[index] {
            b'~' => {
                tokens.push(Token::Tilde);
                index += 1;
            }
            b'^' => {
                tokens.push(Token::Caret);
                index += 1;
            }
            byte if byte.is_ascii_digit() => {
                while index < bytes.len() && bytes[index].is_ascii_digit() {
                    index += 1;
                }
                tokens.push(Token::Digits(Number::from_digits(&text[start..index])));
            }
            byte if byte.is_ascii_alphabetic() => {
                while index < bytes.len() && bytes[index].is_ascii_alphabetic() {
                    index += 1;
                }
                tokens.push(Token::Letters(text[start..index].into()));
            }
            _ => index += 1,
        }
    }
    tokens.push(Token::End);
    tokens.into_boxed_slice()
}

/// An RPM package version (epoch, version, release).
#[derive(Debug, Clone)]
pub struct RpmVersion {
    epoch: Number,
    version: Box<[Token]>,
    release: Option<Box<[Token]>>,
    text: Box<str>,
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.epoch, &self.version, &self.release).cmp(&(
            &other.epoch,
            &other.version,
            &other.release,
        ))
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RpmVersion {}

impl fmt::Display for RpmVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

/// Parses an RPM EVR (`1.2.3-4.el9`, `2:8.2.2637-20.el9_1`, `1.0~rc1^git3-1`).
pub fn parse(input: &str) -> Result<RpmVersion, VersionError> {
    let error = |reason: &str| VersionError::parse(Scheme::Rpm, input, reason);
    let text = input.trim();
    if text.is_empty() {
        return Err(error("the version is empty"));
    }
    // rpm's parseEVR: an epoch is the digits before a `:` at the very start.
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (epoch, rest) = match text[digits..].strip_prefix(':') {
        Some(rest) => (Number::from_digits(&text[..digits]), rest),
        None => (Number::ZERO, text),
    };
    let (version, release) = match rest.rsplit_once('-') {
        Some((version, release)) => (version, Some(release)),
        None => (rest, None),
    };
    if version.is_empty() {
        return Err(error("the version part is empty"));
    }
    Ok(RpmVersion {
        epoch,
        version: tokens(version),
        release: release.map(tokens),
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

    fn check_version(left: &str, right: &str, expected: Ordering) {
        assert_eq!(
            tokens(left).cmp(&tokens(right)),
            expected,
            "rpmvercmp({left}, {right})"
        );
    }

    // rpmvercmp cases from rpm's tests/rpmvercmp.at.
    #[test]
    fn rpmvercmp() {
        for (left, right, expected) in [
            ("1.0", "1.0", 0),
            ("1.0", "2.0", -1),
            ("2.0", "1.0", 1),
            ("2.0.1", "2.0.1", 0),
            ("2.0", "2.0.1", -1),
            ("2.0.1a", "2.0.1a", 0),
            ("2.0.1a", "2.0.1", 1),
            ("5.5p1", "5.5p1", 0),
            ("5.5p1", "5.5p2", -1),
            ("5.5p10", "5.5p10", 0),
            ("5.5p1", "5.5p10", -1),
            ("10xyz", "10.1xyz", -1),
            ("xyz10", "xyz10", 0),
            ("xyz10", "xyz10.1", -1),
            ("xyz.4", "xyz.4", 0),
            ("xyz.4", "8", -1),
            ("xyz.4", "2", -1),
            ("5.5p2", "5.6p1", -1),
            ("5.6p1", "6.5p1", -1),
            ("6.0.rc1", "6.0", 1),
            ("10b2", "10a1", 1),
            ("1.0aa", "1.0aa", 0),
            ("1.0a", "1.0aa", -1),
            ("10.0001", "10.0001", 0),
            ("10.0001", "10.1", 0),
            ("10.0001", "10.0039", -1),
            ("4.999.9", "5.0", -1),
            ("20101121", "20101121", 0),
            ("20101121", "20101122", -1),
            ("2_0", "2_0", 0),
            ("2.0", "2_0", 0),
            ("a", "a", 0),
            ("a+", "a+", 0),
            ("a+", "a_", 0),
            ("+a", "_a", 0),
            ("+_", "_+", 0),
            ("1.0~rc1", "1.0~rc1", 0),
            ("1.0~rc1", "1.0", -1),
            ("1.0~rc1", "1.0~rc2", -1),
            ("1.0~rc1~git123", "1.0~rc1", -1),
            ("1.0^", "1.0^", 0),
            ("1.0^", "1.0", 1),
            ("1.0^git1", "1.0", 1),
            ("1.0^git1", "1.0^git2", -1),
            ("1.0^git1", "1.01", -1),
            ("1.0^20160101", "1.0.1", -1),
            ("1.0^20160101^git1", "1.0^20160101", 1),
            ("1.0~rc1^git1", "1.0~rc1", 1),
            ("1.0^git1~pre", "1.0^git1", -1),
        ] {
            check_version(left, right, expected.cmp(&0));
        }
    }

    #[test]
    fn epoch_and_release() {
        check("1:1.0-1", "2.0-1", Ordering::Greater);
        check("0:1.0-1", "1.0-1", Ordering::Equal);
        check("1.0-1.el9", "1.0-2.el9", Ordering::Less);
        check("1.0-1.el9", "1.0-1.el9_1", Ordering::Less);
        check("8.2.2637-20.el9_1", "8.2.2637-20.el9", Ordering::Greater);
        check("1.0", "1.0-1", Ordering::Less);
        check("2.5.4-1.1", "2.5.4-1.1", Ordering::Equal);
    }

    #[test]
    fn invalid() {
        assert!(parse("").is_err());
        assert!(parse("1:-1").is_err());
        assert!(parse("-1").is_err());
    }
}
