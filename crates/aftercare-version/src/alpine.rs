//! Alpine, Wolfi, Chainguard: apk-tools' version comparison (`src/version.c`, the
//! token-state implementation of apk-tools 2.14 and 3).
//!
//! Grammar: `digits{.digits}…{letter}{_suffix{digits}}…{~hash}{-rN}`. Versions compare
//! token by token. Tokens of the same type compare by value: numbers numerically, except
//! that a dot-number with a leading zero compares as a string (`1.01` < `1.1`,
//! `8.2.0015` < `8.2.002`); suffixes by rank (`_alpha` < `_beta` < `_pre` < `_rc` <
//! `_cvs` < `_svn` < `_git` < `_hg` < `_p`). When the types differ, a pre-release suffix
//! loses to anything, otherwise the version whose next token comes later in the grammar
//! (the end, `-r`, `~hash`, …) is the older one. So `1.0_rc1` < `1.0` < `1.0-r1` <
//! `1.0_p1` < `1.0a` < `1.0.1`.
//!
//! apk keeps numbers in a `uint64_t` that silently wraps; here they compare exactly.

use std::fmt;

use crate::number::Number;
use crate::{Scheme, VersionError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TokenType {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNumber,
    CommitHash,
    RevisionNumber,
    End,
}

const SUFFIXES: [&str; 10] = [
    "alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p", "",
];
/// Suffixes before this index are pre-releases.
const SUFFIX_NONE: usize = 4;

/// A token's value; within one token type only the kinds apk compares that way occur.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    /// A dot-number with a leading zero: compared as a string, and before every
    /// dot-number without one (a string starting with `0` sorts before `1`…`9`).
    ZeroLed(Box<str>),
    Number(Number),
    /// A commit hash, compared as a string.
    Text(Box<str>),
}

/// A token in comparable form: `rank` settles tokens of different types the way
/// `apk_version_compare` does, `value` those of the same type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Token {
    rank: u8,
    value: Value,
}

impl Token {
    fn new(kind: TokenType, pre_release: bool, value: Value) -> Token {
        // Ascending rank is "older": a pre-release suffix loses to every other type, then
        // the type later in the grammar loses.
        let rank = match kind {
            TokenType::Suffix if pre_release => 0,
            TokenType::End => 1,
            TokenType::RevisionNumber => 2,
            TokenType::CommitHash => 3,
            TokenType::SuffixNumber => 4,
            TokenType::Suffix => 5,
            TokenType::Letter => 6,
            TokenType::Digit => 7,
            TokenType::InitialDigit => 8,
        };
        Token { rank, value }
    }
}

/// Reads the tokens of a version, ending with the end token; `None` when apk's
/// `apk_version_validate` would refuse it.
fn tokens(text: &str) -> Option<Box<[Token]>> {
    let bytes = text.as_bytes();
    let digits_at = |start: usize| {
        bytes[start..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count()
    };
    let number = |start: usize, length: usize| {
        Value::Number(Number::from_digits(&text[start..start + length]))
    };
    let initial = digits_at(0);
    if initial == 0 {
        return None;
    }
    let mut tokens = vec![Token::new(
        TokenType::InitialDigit,
        false,
        number(0, initial),
    )];
    let mut previous = TokenType::InitialDigit;
    let mut position = initial;
    while position < bytes.len() {
        let byte = bytes[position];
        let (kind, pre_release, value, end) = match byte {
            b'a'..=b'z' if previous <= TokenType::Digit => (
                TokenType::Letter,
                false,
                Value::Number(Number::Small(u64::from(byte))),
                position + 1,
            ),
            b'.' if previous <= TokenType::Digit => {
                let start = position + 1;
                let length = digits_at(start);
                if length == 0 {
                    return None;
                }
                let digits = &text[start..start + length];
                let value = if digits.starts_with('0') {
                    Value::ZeroLed(digits.into())
                } else {
                    number(start, length)
                };
                (TokenType::Digit, false, value, start + length)
            }
            b'0'..=b'9' if previous == TokenType::Suffix => {
                let length = digits_at(position);
                (
                    TokenType::SuffixNumber,
                    false,
                    number(position, length),
                    position + length,
                )
            }
            b'_' if previous <= TokenType::SuffixNumber => {
                let start = position + 1;
                let length = bytes[start..]
                    .iter()
                    .take_while(|byte| byte.is_ascii_lowercase())
                    .count();
                let name = &text[start..start + length];
                let index = SUFFIXES[..SUFFIXES.len() - 1]
                    .iter()
                    .position(|suffix| *suffix == name)?;
                let rank = Number::Small(index as u64);
                (
                    TokenType::Suffix,
                    index < SUFFIX_NONE,
                    Value::Number(rank),
                    start + length,
                )
            }
            b'~' if previous < TokenType::CommitHash => {
                let start = position + 1;
                let length = bytes[start..]
                    .iter()
                    .take_while(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
                    .count();
                if length == 0 {
                    return None;
                }
                let hash = Value::Text(text[start..start + length].into());
                (TokenType::CommitHash, false, hash, start + length)
            }
            b'-' if previous < TokenType::RevisionNumber
                && bytes.get(position + 1) == Some(&b'r') =>
            {
                let start = position + 2;
                let length = digits_at(start);
                if length == 0 {
                    return None;
                }
                (
                    TokenType::RevisionNumber,
                    false,
                    number(start, length),
                    start + length,
                )
            }
            _ => return None,
        };
        tokens.push(Token::new(kind, pre_release, value));
        previous = kind;
        position = end;
    }
    tokens.push(Token::new(
        TokenType::End,
        false,
        Value::Number(Number::ZERO),
    ));
    Some(tokens.into_boxed_slice())
}

/// An apk package version.
#[derive(Debug, Clone)]
pub struct AlpineVersion {
    tokens: Box<[Token]>,
    text: Box<str>,
}

impl Ord for AlpineVersion {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.tokens.cmp(&other.tokens)
    }
}

impl PartialOrd for AlpineVersion {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for AlpineVersion {
    fn eq(&self, other: &Self) -> bool {
        self.tokens == other.tokens
    }
}

impl Eq for AlpineVersion {}

impl fmt::Display for AlpineVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

/// Parses an apk version (`1.2.3-r0`, `1.0_rc1`, `2.4.1a-r2`, `1.0_git20230101-r1`).
pub fn parse(input: &str) -> Result<AlpineVersion, VersionError> {
    let tokens = tokens(input).ok_or_else(|| {
        VersionError::parse(
            Scheme::Alpine,
            input,
            "not an apk version (digits{.digits}{letter}{_suffix{digits}}{~hash}{-rN})",
        )
    })?;
    Ok(AlpineVersion {
        tokens,
        text: input.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn check(left: &str, right: &str, expected: Ordering) {
        let (a, b) = (parse(left).unwrap(), parse(right).unwrap());
        assert_eq!(a.cmp(&b), expected, "{left} vs {right}");
        assert_eq!(b.cmp(&a), expected.reverse(), "{right} vs {left}");
        assert_eq!(a == b, expected == Ordering::Equal);
    }

    fn check_invalid(input: &str) {
        assert!(parse(input).is_err(), "{input} should be invalid");
    }

    #[test]
    fn order() {
        check("1.0", "1.0", Ordering::Equal);
        check("1.0", "1.0.0", Ordering::Less);
        check("1.0", "1.0.1", Ordering::Less);
        check("1.0_rc1", "1.0", Ordering::Less);
        check("1.0_alpha", "1.0_beta", Ordering::Less);
        check("1.0_beta", "1.0_pre", Ordering::Less);
        check("1.0_pre", "1.0_rc", Ordering::Less);
        check("1.0_rc1", "1.0_rc2", Ordering::Less);
        check("1.0", "1.0_cvs", Ordering::Less);
        check("1.0_cvs", "1.0_svn", Ordering::Less);
        check("1.0_svn", "1.0_git", Ordering::Less);
        check("1.0_git", "1.0_hg", Ordering::Less);
        check("1.0_hg", "1.0_p", Ordering::Less);
        check("1.0_p1", "1.0_p2", Ordering::Less);
        check("1.0-r1", "1.0_p1", Ordering::Less);
        check("1.0", "1.0-r0", Ordering::Less);
        check("1.0-r1", "1.0-r2", Ordering::Less);
        check("1.0-r9", "1.0-r10", Ordering::Less);
        check("1.0_p1", "1.0a", Ordering::Less);
        check("1.0a", "1.0b", Ordering::Less);
        check("1.0z", "1.0.1", Ordering::Less);
        check("1.01", "1.1", Ordering::Less);
        check("1.001", "1.01", Ordering::Less);
        check("8.2.0015", "8.2.002", Ordering::Less);
        check("1.09", "1.10", Ordering::Less);
        check("01.0", "1.0", Ordering::Equal);
        check("1.0_rc1-r1", "1.0-r0", Ordering::Less);
        check(
            "1.2.3_git20230101-r1",
            "1.2.3_git20230201-r0",
            Ordering::Less,
        );
        check("1.2.3_git20230101", "1.2.3_p1", Ordering::Less);
        check("2.4.1a-r2", "2.4.1-r3", Ordering::Greater);
        check("1.0_alpha1_p2", "1.0_alpha1", Ordering::Greater);
        check("1.0_alpha1_p2", "1.0_alpha2", Ordering::Less);
        check("1.0~abc1-r0", "1.0-r0", Ordering::Greater);
        check("1.0~abc1", "1.0~abc2", Ordering::Less);
        check("10", "9", Ordering::Greater);
        check(
            "99999999999999999999999",
            "99999999999999999999998",
            Ordering::Greater,
        );
    }

    #[test]
    fn invalid() {
        check_invalid("");
        check_invalid("a1");
        check_invalid("v1.0");
        check_invalid("1.0-1");
        check_invalid("1.0_foo");
        check_invalid("1.0_prerelease");
        check_invalid("1.0ab");
        check_invalid("1.0a1");
        check_invalid("1.0A");
        check_invalid("1.0-r1.1");
        check_invalid("1.0-r1a");
        check_invalid("1..0");
        check_invalid("1.0.");
        check_invalid("1.0_");
        check_invalid("1.0-r");
        check_invalid("1.0~");
        check_invalid("1.0~xyz");
        check_invalid("1.0 ");
    }
}
