//! Hackage and GHC: Cabal's `Version`.
//!
//! A version is one or more numbers separated by `.` (Cabal refuses leading zeros and
//! numbers of more than nine digits). Versions compare as lists of numbers, a shorter
//! list first when it is a prefix of the longer: `1.0` < `1.0.0`, as the PVP intends.

use std::fmt;

use crate::{Scheme, VersionError};

/// A Hackage package (or GHC) version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HackageVersion {
    numbers: Box<[u32]>,
}

impl HackageVersion {
    /// The version's numbers.
    pub fn numbers(&self) -> &[u32] {
        &self.numbers
    }
}

impl fmt::Display for HackageVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, number) in self.numbers.iter().enumerate() {
            if index > 0 {
                formatter.write_str(".")?;
            }
            write!(formatter, "{number}")?;
        }
        Ok(())
    }
}

/// Parses a Cabal version (`1.2.3.4`, `6.20170818`).
pub fn parse(input: &str) -> Result<HackageVersion, VersionError> {
    input
        .split('.')
        .map(|part| {
            let digits_only = !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
            let leading_zero = part.len() > 1 && part.starts_with('0');
            if !digits_only || leading_zero || part.len() > 9 {
                return Err(VersionError::parse(
                    Scheme::Hackage,
                    input,
                    "expected numbers of at most nine digits, without leading zeros, separated by `.`",
                ));
            }
            part.parse::<u32>()
                .map_err(|error| VersionError::parse(Scheme::Hackage, input, error.to_string()))
        })
        .collect::<Result<Box<[u32]>, _>>()
        .map(|numbers| HackageVersion { numbers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn check(left: &str, right: &str, expected: Ordering) {
        let (a, b) = (parse(left).unwrap(), parse(right).unwrap());
        assert_eq!(a.cmp(&b), expected, "{left} vs {right}");
        assert_eq!(b.cmp(&a), expected.reverse(), "{right} vs {left}");
    }

    fn check_invalid(input: &str) {
        assert!(parse(input).is_err(), "{input} should be invalid");
    }

    #[test]
    fn order() {
        check("1.0", "1.0.0", Ordering::Less);
        check("0.11.2", "0.5", Ordering::Greater);
        check("1.9.1.0", "1.9.1", Ordering::Greater);
        check("6.20170818", "6.20180626", Ordering::Less);
        check("9.10.1", "9.8.3", Ordering::Greater);
        check("2", "2", Ordering::Equal);
    }

    #[test]
    fn invalid() {
        check_invalid("");
        check_invalid("1.");
        check_invalid(".1");
        check_invalid("1.01");
        check_invalid("1.0-rc1");
        check_invalid("1234567890");
        check_invalid("v1.0");
    }
}
