//! Decimal numbers of any length, compared by value.
//!
//! Several package managers compare digit runs of unbounded length (dpkg, rpm, Maven,
//! RubyGems). Most runs fit in a `u64`, so that is the fast path; longer runs keep their
//! digits and compare by length first, which is numeric order once leading zeros are gone.

use std::cmp::Ordering;
use std::fmt;

/// A non-negative integer parsed from ASCII digits.
///
/// The representation is canonical (`Small` whenever the value fits in a `u64`), so the
/// derived equality agrees with the numeric order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Number {
    /// A value that fits in a `u64`.
    Small(u64),
    /// A larger value: its digits without leading zeros.
    Big(Box<str>),
}

impl Number {
    /// Zero, the padding value of most schemes.
    pub(crate) const ZERO: Number = Number::Small(0);

    /// Parses a run of ASCII digits; the caller guarantees `digits` holds only `0`-`9`.
    /// An empty run is zero.
    pub(crate) fn from_digits(digits: &str) -> Number {
        let trimmed = digits.trim_start_matches('0');
        match trimmed.parse::<u64>() {
            Ok(value) => Number::Small(value),
            Err(_) if trimmed.is_empty() => Number::ZERO,
            Err(_) => Number::Big(trimmed.into()),
        }
    }

    /// Whether the value is zero.
    pub(crate) fn is_zero(&self) -> bool {
        matches!(self, Number::Small(0))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Number::Small(left), Number::Small(right)) => left.cmp(right),
            (Number::Small(_), Number::Big(_)) => Ordering::Less,
            (Number::Big(_), Number::Small(_)) => Ordering::Greater,
            (Number::Big(left), Number::Big(right)) => {
                left.len().cmp(&right.len()).then_with(|| left.cmp(right))
            }
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Small(value) => write!(formatter, "{value}"),
            Number::Big(digits) => formatter.write_str(digits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(left: &str, right: &str, expected: Ordering) {
        let (a, b) = (Number::from_digits(left), Number::from_digits(right));
        assert_eq!(a.cmp(&b), expected, "{left} vs {right}");
        assert_eq!(b.cmp(&a), expected.reverse(), "{right} vs {left}");
        assert_eq!(a == b, expected == Ordering::Equal, "{left} == {right}");
    }

    #[test]
    fn numbers_compare_by_value() {
        check("0", "", Ordering::Equal);
        check("000", "0", Ordering::Equal);
        check("007", "7", Ordering::Equal);
        check("9", "10", Ordering::Less);
        check(
            "18446744073709551615",
            "18446744073709551616",
            Ordering::Less,
        );
        check(
            "018446744073709551616",
            "18446744073709551616",
            Ordering::Equal,
        );
        check(
            "99999999999999999999",
            "100000000000000000000",
            Ordering::Less,
        );
        check(
            "100000000000000000001",
            "100000000000000000000",
            Ordering::Greater,
        );
    }

    #[test]
    fn numbers_display_without_leading_zeros() {
        assert_eq!(Number::from_digits("0042").to_string(), "42");
        assert_eq!(
            Number::from_digits("000123456789012345678901234567890").to_string(),
            "123456789012345678901234567890"
        );
    }
}
