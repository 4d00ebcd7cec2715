//! Packagist: Composer's `VersionParser::normalize`, then PHP's `version_compare`.
//!
//! Composer compares versions after normalizing them (`v1.0` → `1.0.0.0`,
//! `1.0.0RC1` → `1.0.0.0-RC1`, `1.0.0-p1` → `1.0.0.0-patch1`, `1.x-dev` →
//! `1.9999999.9999999.9999999-dev`), so `1.0` and `1.0.0` are equal, and then calls
//! `version_compare`, which splits at `.`, `-`, `_`, `+` and digit/letter switches and
//! ranks words: any other word < `dev` < `alpha` = `a` < `beta` = `b` < `RC` = `rc` <
//! number < `pl` = `p` (`patch`). Words match by prefix, as in PHP's C code.
//!
//! Branch names (`dev-master`, `dev-feature`) are refused: Composer itself never orders
//! them against versions, so no range can contain them.

use std::cmp::Ordering;
use std::fmt;

use crate::number::Number;
use crate::{Scheme, VersionError};

/// The rank of a `version_compare` element; numbers rank like PHP's `#` form.
const NUMBER_RANK: i8 = 4;

/// One element of a canonicalized version. The `None` number is the padding PHP compares
/// a longer version's rest against (`#N#`): a number of rank 4 smaller than every number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Element {
    rank: i8,
    number: Option<Number>,
}

const PADDING: Element = Element {
    rank: NUMBER_RANK,
    number: None,
};

/// A Composer package version.
#[derive(Debug, Clone)]
pub struct PackagistVersion {
    elements: Box<[Element]>,
    normalized: Box<str>,
}

impl PackagistVersion {
    /// Composer's normalized form, e.g. `1.0.0.0-RC1`.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

impl Ord for PackagistVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for index in 0..self.elements.len().max(other.elements.len()) {
            let left = self.elements.get(index).unwrap_or(&PADDING);
            let right = other.elements.get(index).unwrap_or(&PADDING);
            let ordering = left.cmp(right);
            if ordering.is_ne() {
                return ordering;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for PackagistVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PackagistVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PackagistVersion {}

impl fmt::Display for PackagistVersion {
    /// The normalized form.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.normalized)
    }
}

/// Parses a Composer version (`1.2.3`, `v1.2`, `2.0.0-beta2`, `1.0.0-p1`, `2.1.x-dev`).
pub fn parse(input: &str) -> Result<PackagistVersion, VersionError> {
    let normalized =
        normalize(input).map_err(|reason| VersionError::parse(Scheme::Packagist, input, reason))?;
    let elements = canonicalize(&normalized).split('.').map(element).collect();
    Ok(PackagistVersion {
        elements,
        normalized: normalized.into(),
    })
}

/// PHP's `php_canonicalize_version`: `-`, `_`, `+` and other non-alphanumerics become a
/// single `.`, and a `.` is inserted at every digit/non-digit switch.
fn canonicalize(version: &str) -> String {
    let bytes = version.as_bytes();
    let mut output: Vec<u8> = Vec::with_capacity(bytes.len() * 2);
    let Some((&first, rest)) = bytes.split_first() else {
        return String::new();
    };
    output.push(first);
    let mut previous = first;
    let is_digit = |byte: u8| byte.is_ascii_digit();
    let is_non_digit = |byte: u8| !byte.is_ascii_digit() && byte != b'.';
    for &byte in rest {
        let last_written = output.last().copied().unwrap_or(b'.');
        if matches!(byte, b'-' | b'_' | b'+') {
            if last_written != b'.' {
                output.push(b'.');
            }
        } else if (is_non_digit(previous) && is_digit(byte))
            || (is_digit(previous) && is_non_digit(byte))
        {
            if last_written != b'.' {
                output.push(b'.');
            }
            output.push(byte);
        } else if !byte.is_ascii_alphanumeric() {
            if last_written != b'.' {
                output.push(b'.');
            }
        } else {
            output.push(byte);
        }
        previous = byte;
    }
    String::from_utf8_lossy(&output).into_owned()
}

/// PHP's element ranking: numbers by value, words by `compare_special_version_forms`.
fn element(text: &str) -> Element {
    if text
        .bytes()
        .next()
        .is_some_and(|byte| byte.is_ascii_digit())
    {
        let end = text
            .bytes()
            .position(|byte| !byte.is_ascii_digit())
            .unwrap_or(text.len());
        return Element {
            rank: NUMBER_RANK,
            number: Some(Number::from_digits(&text[..end])),
        };
    }
    const FORMS: [(&str, i8); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    let rank = FORMS
        .iter()
        .find(|(form, _)| text.starts_with(form))
        .map_or(-1, |(_, rank)| *rank);
    Element { rank, number: None }
}

/// Composer's `VersionParser::normalize` (composer/semver 3), for versions only.
fn normalize(input: &str) -> Result<String, String> {
    let mut version = input.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0b']);
    // "1.0.0 as 2.0": an alias; the real version is the first one.
    let words: Vec<&str> = version.split(' ').filter(|word| !word.is_empty()).collect();
    if let [real, "as", _alias] = words.as_slice()
        && !real.contains(',')
        && !real.chars().any(char::is_whitespace)
    {
        version = real;
    }
    // A stability flag such as `@dev` does not change the version.
    for flag in ["@stable", "@rc", "@beta", "@alpha", "@dev"] {
        if ends_with_ignore_case(version, flag) {
            version = &version[..version.len() - flag.len()];
            break;
        }
    }
    if matches!(version, "master" | "trunk" | "default") || starts_with_ignore_case(version, "dev-")
    {
        return Err("a branch name, which Composer does not order against versions".to_owned());
    }
    // Build metadata is dropped: `^([^,\s+]++)\+[^\s]++$`.
    if let Some((head, metadata)) = version.split_once('+')
        && !head.is_empty()
        && !head.contains(',')
        && !head.chars().any(char::is_whitespace)
        && !metadata.is_empty()
        && !metadata.chars().any(char::is_whitespace)
    {
        version = head;
    }
    if let Some(normalized) = classical(version).or_else(|| dated(version)) {
        return Ok(normalized);
    }
    // A numbered branch: `{(.*?)[.-]?dev$}i`.
    if ends_with_ignore_case(version, "dev") {
        let head = &version[..version.len() - 3];
        let head = head
            .strip_suffix('.')
            .or_else(|| head.strip_suffix('-'))
            .unwrap_or(head);
        if let Some(branch) = numbered_branch(head) {
            return Ok(branch);
        }
    }
    Err("not a Composer version (expected e.g. 1.2.3, 1.2.3-beta1, 1.2.x-dev)".to_owned())
}

/// `^v?(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)?` + modifier + `$`.
fn classical(version: &str) -> Option<String> {
    let text = strip_v(version);
    let (major, mut rest) = split_digits(text);
    if major.is_empty() || major.len() > 5 {
        return None;
    }
    let mut normalized = major.to_owned();
    for _ in 0..3 {
        match rest.strip_prefix('.').map(split_digits) {
            Some((digits, after)) if !digits.is_empty() => {
                normalized.push('.');
                normalized.push_str(digits);
                rest = after;
            }
            _ => normalized.push_str(".0"),
        }
    }
    // A fourth group may follow only if the first three were present; a leftover `.digits`
    // cannot be a modifier, so the modifier match below rejects it.
    let modifier = modifier(rest)?;
    Some(apply_modifier(normalized, &modifier))
}

/// `^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})` + modifier + `$`.
fn dated(version: &str) -> Option<String> {
    let text = strip_v(version);
    let run = text
        .bytes()
        .position(|byte| !(byte.is_ascii_digit() || matches!(byte, b'.' | b':' | b'-')))
        .unwrap_or(text.len());
    // The modifier cannot start with a digit, so the date must take every digit of the run.
    let end = text[..run]
        .bytes()
        .rposition(|byte| byte.is_ascii_digit())?
        + 1;
    let (date, rest) = text.split_at(end);
    if !date_matches(date.as_bytes()) {
        return None;
    }
    let modifier = modifier(rest)?;
    let normalized = date
        .chars()
        .map(|character| {
            if character.is_ascii_digit() {
                character
            } else {
                '.'
            }
        })
        .collect();
    Some(apply_modifier(normalized, &modifier))
}

fn date_matches(date: &[u8]) -> bool {
    fn separator_options(text: &[u8]) -> impl Iterator<Item = &[u8]> {
        let with = text
            .first()
            .filter(|byte| matches!(byte, b'.' | b':' | b'-'))
            .map(|_| &text[1..]);
        with.into_iter().chain(std::iter::once(text))
    }
    fn digits(text: &[u8], count: usize) -> bool {
        text.len() >= count && text[..count].iter().all(u8::is_ascii_digit)
    }
    fn tail(text: &[u8], groups: usize) -> bool {
        text.is_empty()
            || (groups < 2
                && separator_options(text).any(|after| {
                    (1..=3).any(|count| digits(after, count) && tail(&after[count..], groups + 1))
                }))
    }
    fn pairs(text: &[u8], groups: usize) -> bool {
        (groups >= 1 && tail(text, 0))
            || (groups < 6
                && separator_options(text)
                    .any(|after| digits(after, 2) && pairs(&after[2..], groups + 1)))
    }
    digits(date, 4) && pairs(&date[4..], 0)
}

/// What the modifier part of Composer's patterns captured.
struct Modifier<'a> {
    stability: Option<&'a str>,
    number: &'a str,
    dev: bool,
}

/// `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?$`,
/// case-insensitive, tried in the regex engine's order.
fn modifier(text: &str) -> Option<Modifier<'_>> {
    const STABILITIES: [&str; 9] = [
        "stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p",
    ];
    let with_separator = text
        .strip_prefix(['.', '_', '-'])
        .into_iter()
        .chain(std::iter::once(text));
    for rest in with_separator {
        for stability in STABILITIES {
            if !starts_with_ignore_case(rest, stability) {
                continue;
            }
            let after = &rest[stability.len()..];
            let number_length = number_run(after);
            let (number, remainder) = after.split_at(number_length);
            if let Some(dev) = dev_suffix(remainder) {
                return Some(Modifier {
                    stability: Some(&rest[..stability.len()]),
                    number,
                    dev,
                });
            }
        }
        if let Some(dev) = dev_suffix(rest) {
            return Some(Modifier {
                stability: None,
                number: "",
                dev,
            });
        }
    }
    None
}

/// The possessive `(?:[.-]?\d+)*+`: the length it consumes.
fn number_run(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut index = 0;
    loop {
        let start = index + usize::from(matches!(bytes.get(index), Some(b'.' | b'-')));
        let digits = bytes[start.min(bytes.len())..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if digits == 0 {
            return index;
        }
        index = start + digits;
    }
}

/// `([.-]?dev)?$`: `Some(true)` for a dev suffix, `Some(false)` for nothing left.
fn dev_suffix(text: &str) -> Option<bool> {
    if text.is_empty() {
        return Some(false);
    }
    let dev = text.strip_prefix(['.', '-']).unwrap_or(text);
    dev.eq_ignore_ascii_case("dev").then_some(true)
}

fn apply_modifier(mut version: String, modifier: &Modifier<'_>) -> String {
    if let Some(stability) = modifier.stability {
        // PHP compares the captured text with 'stable' case-sensitively.
        if stability == "stable" {
            return version;
        }
        version.push('-');
        version.push_str(match stability.to_ascii_lowercase().as_str() {
            "a" => "alpha",
            "b" => "beta",
            "p" | "pl" => "patch",
            "rc" => "RC",
            "beta" => "beta",
            "alpha" => "alpha",
            "patch" => "patch",
            _ => "stable",
        });
        version.push_str(modifier.number.trim_start_matches(['.', '-']));
    }
    if modifier.dev {
        version.push_str("-dev");
    }
    version
}

/// Composer's `normalizeBranch` for numbered branches (`1.x`, `2.1.*`).
fn numbered_branch(name: &str) -> Option<String> {
    let text = strip_v(name.trim());
    let (major, mut rest) = split_digits(text);
    if major.is_empty() {
        return None;
    }
    let mut version = major.to_owned();
    let mut groups = 0;
    while let Some(after) = rest.strip_prefix('.') {
        if groups == 3 {
            return None;
        }
        let (digits, after_digits) = split_digits(after);
        if !digits.is_empty() {
            version.push('.');
            version.push_str(digits);
            rest = after_digits;
        } else if after.starts_with(['x', 'X', '*']) {
            version.push_str(".x");
            rest = &after[1..];
        } else {
            return None;
        }
        groups += 1;
    }
    if !rest.is_empty() {
        return None;
    }
    for _ in groups..3 {
        version.push_str(".x");
    }
    Some(version.replace('x', "9999999") + "-dev")
}

fn strip_v(text: &str) -> &str {
    text.strip_prefix(['v', 'V']).unwrap_or(text)
}

fn split_digits(text: &str) -> (&str, &str) {
    let end = text
        .bytes()
        .position(|byte| !byte.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.is_char_boundary(text.len() - suffix.len())
        && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_normalized(input: &str, expected: &str) {
        assert_eq!(parse(input).unwrap().normalized(), expected, "{input}");
    }

    fn check_invalid(input: &str) {
        assert!(parse(input).is_err(), "{input} should be invalid");
    }

    fn check(left: &str, right: &str, expected: Ordering) {
        let (a, b) = (parse(left).unwrap(), parse(right).unwrap());
        assert_eq!(a.cmp(&b), expected, "{left} vs {right}");
        assert_eq!(b.cmp(&a), expected.reverse(), "{right} vs {left}");
        assert_eq!(a == b, expected == Ordering::Equal);
    }

    // Cases from composer/semver's VersionParserTest::successfulNormalizedVersions.
    #[test]
    fn normalizes_like_composer() {
        check_normalized("1.0.0", "1.0.0.0");
        check_normalized("1.2.3.4", "1.2.3.4");
        check_normalized("1.0.0RC1dev", "1.0.0.0-RC1-dev");
        check_normalized("1.0.0-rC15-dev", "1.0.0.0-RC15-dev");
        check_normalized("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev");
        check_normalized("1.0.0-rc1", "1.0.0.0-RC1");
        check_normalized("1.0.0.pl3-dev", "1.0.0.0-patch3-dev");
        check_normalized("1.0-dev", "1.0.0.0-dev");
        check_normalized("0", "0.0.0.0");
        check_normalized("10.4.13-beta", "10.4.13.0-beta");
        check_normalized("10.4.13beta2", "10.4.13.0-beta2");
        check_normalized("10.4.13beta.2", "10.4.13.0-beta2");
        check_normalized("v1.13.11-beta.0", "1.13.11.0-beta0");
        check_normalized("1.13.11.0-beta0", "1.13.11.0-beta0");
        check_normalized("10.4.13-b", "10.4.13.0-beta");
        check_normalized("10.4.13-b5", "10.4.13.0-beta5");
        check_normalized("v1.0.0", "1.0.0.0");
        check_normalized("2010.01", "2010.01.0.0");
        check_normalized("2010.01.02", "2010.01.02.0");
        check_normalized("2010.1.555", "2010.1.555.0");
        check_normalized("2010.10.200", "2010.10.200.0");
        check_normalized("v20100102", "20100102");
        check_normalized("2010-01-02", "2010.01.02");
        check_normalized("2012.06.07", "2012.06.07.0");
        check_normalized("2010-01-02.5", "2010.01.02.5");
        check_normalized("20100102-203040", "20100102.203040");
        check_normalized("20100102.x-dev", "20100102.9999999.9999999.9999999-dev");
        check_normalized("20100102203040.100", "20100102203040.100");
        check_normalized("20100102203040-10", "20100102203040.10");
        check_normalized("20100102-203040-p1", "20100102.203040-patch1");
        check_normalized("201903.0", "201903.0");
        check_normalized("201903.x-dev", "201903.9999999.9999999.9999999-dev");
        check_normalized("201903.0-p2", "201903.0-patch2");
        check_normalized("1.x-dev", "1.9999999.9999999.9999999-dev");
        check_normalized("1.0.0+foo@dev", "1.0.0.0");
        check_normalized("1.0.0-beta.5+foo", "1.0.0.0-beta5");
        check_normalized("1.0.0+foo", "1.0.0.0");
        check_normalized("1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1");
        check_normalized("1.0.0-alpha2.1+foo", "1.0.0.0-alpha2.1");
        check_normalized("1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3");
        check_normalized("1.0.0+foo as 2.0", "1.0.0.0");
        check_normalized("00.01.03.04", "00.01.03.04");
        check_normalized("000.001.003.004", "000.001.003.004");
        check_normalized("0.000.103.204", "0.000.103.204");
        check_normalized("0700", "0700.0.0.0");
        check_normalized("041.x-dev", "041.9999999.9999999.9999999-dev");
        check_normalized(" 1.0.0", "1.0.0.0");
        check_normalized("1.0.0 ", "1.0.0.0");
        check_normalized("4.3alpha1", "4.3.0.0-alpha1");
        check_normalized("2.1.x-dev", "2.1.9999999.9999999-dev");
    }

    // Cases from composer/semver's failingNormalizedVersions, and branches.
    #[test]
    fn refuses_what_composer_refuses() {
        check_invalid("");
        check_invalid("a");
        check_invalid("1.0.0-meh");
        check_invalid("1.0.0.0.0");
        check_invalid("feature-foo");
        check_invalid("1.0.0+foo bar");
        check_invalid("1.0 .2");
        check_invalid("1.0.0-SNAPSHOT");
        check_invalid("1.2.3.4.5.6");
        check_invalid("dev-master");
        check_invalid("dev-feature/foo");
        check_invalid("master");
        check_invalid("1.0.0-dev<1.0.5-dev");
    }

    #[test]
    fn stabilities_in_order() {
        let ordered = [
            "1.0.0-dev",
            "1.0.0-alpha1-dev",
            "1.0.0-alpha1",
            "1.0.0-alpha2",
            "1.0.0-beta1",
            "1.0.0-beta.2",
            "1.0.0-RC1",
            "1.0.0-rc2",
            "1.0.0",
            "1.0.0-p1",
            "1.0.0-patch2",
            "1.0.0.1",
            "1.0.1",
            "1.1.x-dev",
            "1.2",
        ];
        for (index, low) in ordered.iter().enumerate() {
            for high in &ordered[index + 1..] {
                check(low, high, Ordering::Less);
            }
        }
    }

    #[test]
    fn order() {
        check("1.0", "1.0.0", Ordering::Equal);
        check("v1.0.0", "1.0.0.0", Ordering::Equal);
        check("1.0.0-b1", "1.0.0-beta1", Ordering::Equal);
        check("1.0.0-stable", "1.0.0", Ordering::Equal);
        check("1.0.0+build", "1.0.0", Ordering::Equal);
        check("4.3alpha1", "4.3beta2", Ordering::Less);
        check("4.2.10", "4.3alpha1", Ordering::Less);
        check("4.1.13", "4.1.9", Ordering::Greater);
        check("01.2", "1.2", Ordering::Equal);
    }

    #[test]
    fn php_canonical_form() {
        assert_eq!(canonicalize("1.0.0.0-RC1"), "1.0.0.0.RC.1");
        assert_eq!(canonicalize("4.3.2RC1"), "4.3.2.RC.1");
        assert_eq!(canonicalize("1.0.0.0-alpha2.1-3"), "1.0.0.0.alpha.2.1.3");
        assert_eq!(canonicalize("1..2__3"), "1.2.3");
    }
}
