//! The generic fallback, for ecosystems without a scheme of their own.
//!
//! The rule, chosen to agree with most package managers on common versions:
//! - the version is cut into digit runs (numbers) and letter runs (words, compared
//!   case-insensitively); every other character only separates;
//! - tokens compare one by one; numbers compare numerically, words alphabetically, and a
//!   word sorts before a number, so `1.0rc1` < `1.0` and `1.0-beta` < `1.0.0`;
//! - a missing token counts as the number `0`, so `1` = `1.0` = `1.0.0` and trailing
//!   words make a pre-release (`1.0a` < `1.0`).
//!
//! It cannot be right for everyone (OpenSSL's `1.0.1a` is newer than `1.0.1`); an
//! ecosystem that matters gets its own scheme.

use std::cmp::Ordering;
use std::fmt;

use crate::number::Number;
use crate::{Scheme, VersionError};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    /// Declared first: words sort before numbers.
    Word(Box<str>),
    Number(Number),
}

const ZERO: Token = Token::Number(Number::ZERO);

/// A version ordered by the generic rule.
#[derive(Debug, Clone)]
pub struct GenericVersion {
    /// The tokens without trailing zeros.
    tokens: Box<[Token]>,
    text: Box<str>,
}

impl Ord for GenericVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for index in 0..self.tokens.len().max(other.tokens.len()) {
            let left = self.tokens.get(index).unwrap_or(&ZERO);
            let right = other.tokens.get(index).unwrap_or(&ZERO);
            let ordering = left.cmp(right);
            if ordering.is_ne() {
                return ordering;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GenericVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GenericVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GenericVersion {}

impl fmt::Display for GenericVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

/// Parses a version by the generic rule; it needs at least one digit or letter.
pub fn parse(input: &str) -> Result<GenericVersion, VersionError> {
    let mut tokens = Vec::new();
    let mut characters = input.char_indices().peekable();
    while let Some((start, character)) = characters.next() {
        let same_kind = |other: char| {
            if character.is_ascii_digit() {
                other.is_ascii_digit()
            } else {
                other.is_alphabetic()
            }
        };
        if !character.is_ascii_digit() && !character.is_alphabetic() {
            continue;
        }
        let mut end = start + character.len_utf8();
        while let Some(&(index, next)) = characters.peek() {
            if !same_kind(next) {
                break;
            }
            end = index + next.len_utf8();
            characters.next();
        }
        let run = &input[start..end];
        tokens.push(if character.is_ascii_digit() {
            Token::Number(Number::from_digits(run))
        } else {
            Token::Word(run.to_lowercase().into())
        });
    }
    if tokens.is_empty() {
        return Err(VersionError::parse(
            Scheme::Generic,
            input,
            "the version has no digit or letter",
        ));
    }
    while tokens.last() == Some(&ZERO) {
        tokens.pop();
    }
    Ok(GenericVersion {
        tokens: tokens.into_boxed_slice(),
        text: input.into(),
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

    #[test]
    fn order() {
        check("1", "1.0.0", Ordering::Equal);
        check("1.0", "1.0.1", Ordering::Less);
        check("1.9", "1.10", Ordering::Less);
        check("1.0rc1", "1.0", Ordering::Less);
        check("1.0-beta", "1.0.0", Ordering::Less);
        check("1.0-alpha", "1.0-beta", Ordering::Less);
        check("1.0-RC1", "1.0-rc1", Ordering::Equal);
        check("1.0-1", "1.0", Ordering::Greater);
        check("release-5.0.0", "release-4.9", Ordering::Greater);
        check("v2.3", "2.3", Ordering::Less);
        check("5.4.0-git", "5.4.0", Ordering::Less);
        check("2019-09-12", "2019.9.12", Ordering::Equal);
    }

    #[test]
    fn needs_a_digit_or_letter() {
        assert!(parse("").is_err());
        assert!(parse("-.-").is_err());
        assert!(parse("0").is_ok());
    }
}
