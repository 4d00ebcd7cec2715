//! NuGet: `NuGet.Versioning.NuGetVersion` with `VersionComparer.Default`.
//!
//! One to four numbers (missing ones are `0`, so `1.0` = `1.0.0.0`), then SemVer 2.0
//! release labels and metadata. Labels compare one by one: a label that `Int32.TryParse`
//! accepts is a number and sorts before text; text compares case-insensitively
//! (`OrdinalIgnoreCase`). A version without labels sorts after every pre-release.
//! Metadata is ignored. Leading and trailing whitespace is trimmed, as `TryParse` does.

use std::cmp::Ordering;
use std::fmt;

use crate::{Scheme, VersionError};

/// One release label, ranked the way NuGet compares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum LabelRank {
    /// `Int32.TryParse` succeeded.
    Number(i32),
    /// Compared ordinally, ignoring case: stored upper-cased.
    Text(Box<str>),
}

/// A NuGet package version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    numbers: [u32; 4],
    labels: Box<[LabelRank]>,
    /// The labels as written, for display.
    labels_text: Box<str>,
    metadata: Box<str>,
}

impl NuGetVersion {
    /// Whether the version has release labels (`1.0.0-beta`).
    pub fn is_prerelease(&self) -> bool {
        !self.labels.is_empty()
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.labels.cmp(&other.labels),
            }
        })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

impl fmt::Display for NuGetVersion {
    /// NuGet's normalized form: three numbers, a fourth only when it is not zero.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch, revision] = self.numbers;
        write!(formatter, "{major}.{minor}.{patch}")?;
        if revision != 0 {
            write!(formatter, ".{revision}")?;
        }
        if !self.labels_text.is_empty() {
            write!(formatter, "-{}", self.labels_text)?;
        }
        if !self.metadata.is_empty() {
            write!(formatter, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

/// Parses a NuGet version (`1.0`, `4.5.0-preview.1`, `1.2.3.4`, `1.0.0-RC+build`).
pub fn parse(input: &str) -> Result<NuGetVersion, VersionError> {
    let error = |reason: &str| VersionError::parse(Scheme::NuGet, input, reason);
    let text = input.trim();
    // `ParseSections`: the numbers end at the first `-` or `+`, the labels at the next `+`.
    let numbers_end = text.find(['-', '+']).unwrap_or(text.len());
    let (numbers_text, rest) = text.split_at(numbers_end);
    let (labels_text, metadata) = match rest.strip_prefix('-') {
        Some(after) => match after.split_once('+') {
            Some((labels, metadata)) => (labels, Some(metadata)),
            None => (after, None),
        },
        None => ("", rest.strip_prefix('+')),
    };
    let mut numbers = [0_u32; 4];
    for (count, part) in numbers_text.split('.').enumerate() {
        let slot = numbers
            .get_mut(count)
            .ok_or_else(|| error("more than four version numbers"))?;
        *slot = int32(part)
            .and_then(|value| u32::try_from(value).ok())
            .filter(|_| part.bytes().all(|byte| byte.is_ascii_digit()))
            .ok_or_else(|| error("a version number is not a non-negative 32-bit integer"))?;
    }
    let labels = if rest.starts_with('-') {
        if !labels_text.split('.').all(|label| valid_part(label, false)) {
            return Err(error("invalid release label"));
        }
        labels_text.split('.').map(rank).collect()
    } else {
        Box::default()
    };
    if let Some(metadata) = metadata
        && !metadata.split('.').all(|part| valid_part(part, true))
    {
        return Err(error("invalid metadata"));
    }
    Ok(NuGetVersion {
        numbers,
        labels,
        labels_text: labels_text.into(),
        metadata: metadata.unwrap_or_default().into(),
    })
}

/// `Int32.TryParse` for the characters a label may hold: an optional `-`, then digits.
fn int32(text: &str) -> Option<i32> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn rank(label: &str) -> LabelRank {
    match int32(label) {
        Some(number) => LabelRank::Number(number),
        None => LabelRank::Text(label.to_ascii_uppercase().into()),
    }
}

/// NuGet's `IsValidPart`: non-empty `[0-9A-Za-z-]`, and no leading zero on a number
/// unless `allow_leading_zeros`.
fn valid_part(part: &str, allow_leading_zeros: bool) -> bool {
    !part.is_empty()
        && part
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        && (allow_leading_zeros
            || !(part.len() > 1
                && part.starts_with('0')
                && part.bytes().all(|byte| byte.is_ascii_digit())))
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

    fn check_normalized(input: &str, expected: &str) {
        assert_eq!(parse(input).unwrap().to_string(), expected, "{input}");
    }

    #[test]
    fn order() {
        check("1.0", "1.0.0", Ordering::Equal);
        check("1", "1.0.0.0", Ordering::Equal);
        check("1.0.0.1", "1.0.0", Ordering::Greater);
        check("1.0.0-beta", "1.0.0", Ordering::Less);
        check("1.0.0-BETA", "1.0.0-beta", Ordering::Equal);
        check("1.0.0-beta.2", "1.0.0-beta.10", Ordering::Less);
        check("1.0.0-2", "1.0.0-beta", Ordering::Less);
        check("1.0.0-beta", "1.0.0-beta.1", Ordering::Less);
        check("1.0.0-alpha", "1.0.0-Beta", Ordering::Less);
        check("1.0.0+a", "1.0.0+b", Ordering::Equal);
        check("2.29.1", "2.29.2", Ordering::Less);
        // Labels beyond Int32 are not numbers for NuGet, so they compare as text.
        check("1.0.0-9999999999", "1.0.0-10000000000", Ordering::Greater);
        check(" 1.0.0 ", "1.0.0", Ordering::Equal);
    }

    #[test]
    fn normalized_form() {
        check_normalized("1.0", "1.0.0");
        check_normalized("01.02.03.00", "1.2.3");
        check_normalized("1.2.3.4-RC.1+meta", "1.2.3.4-RC.1+meta");
    }

    #[test]
    fn invalid() {
        check_invalid("");
        check_invalid("1.0.0.0.0");
        check_invalid("a.b");
        check_invalid("1.0.0-");
        check_invalid("1.0.0-beta..1");
        check_invalid("1.0.0-01");
        check_invalid("1.0.0-beta+");
        check_invalid("1.0.0-be_ta");
        check_invalid("-1.0.0");
        check_invalid("4294967296.0");
        check_invalid("v1.0.0");
    }
}
