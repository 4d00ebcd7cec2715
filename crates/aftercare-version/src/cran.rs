//! CRAN (and Bioconductor): R's `package_version`.
//!
//! At least two non-negative integers separated by `.` or `-` (`1.2-3` is `1.2.3`).
//! Versions compare as lists of numbers, a shorter list first when it is a prefix of the
//! longer, as `compareVersion` does: `1.0` < `1.0.0`.

use std::fmt;

use crate::{Scheme, VersionError};

/// An R package version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CranVersion {
    numbers: Box<[u64]>,
}

impl CranVersion {
    /// The version's numbers.
    pub fn numbers(&self) -> &[u64] {
        &self.numbers
    }
}

impl fmt::Display for CranVersion {
    /// R's `as.character`: numbers joined with `.`.
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

/// Parses an R package version (`1.2.3`, `0.1-9`, `2.18.0.1`).
pub fn parse(input: &str) -> Result<CranVersion, VersionError> {
    let error = || {
        VersionError::parse(
            Scheme::Cran,
            input,
            "expected at least two numbers separated by `.` or `-`",
        )
    };
    let numbers = input
        .trim()
        .split(['.', '-'])
        .map(|part| {
            if part.is_empty() || !part.bytes().all(|byte| byte.is_ascii_digit()) {
                return None;
            }
            part.parse::<u64>().ok()
        })
        .collect::<Option<Box<[u64]>>>()
        .ok_or_else(error)?;
    if numbers.len() < 2 {
        return Err(error());
    }
    Ok(CranVersion { numbers })
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
        check("1.2-3", "1.2.3", Ordering::Equal);
        check("1.2.2-2", "1.2.2", Ordering::Greater);
        check("1.2.1", "1.2.2-2", Ordering::Less);
        check("0.1-9", "0.1-10", Ordering::Less);
        check("2.18.0.1", "2.18.0", Ordering::Greater);
        check("1.0", "1.0.0", Ordering::Less);
        check("0.9.19", "0.9.2", Ordering::Greater);
        check("01.2", "1.2", Ordering::Equal);
    }

    #[test]
    fn invalid() {
        check_invalid("");
        check_invalid("1");
        check_invalid("1.2a");
        check_invalid("1..2");
        check_invalid("v1.2");
        check_invalid("1.2-");
    }
}
