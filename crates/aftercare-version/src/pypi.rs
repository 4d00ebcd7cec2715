//! PyPI: PEP 440, with legacy versions ordered as osv.dev orders them.
//!
//! Valid versions are parsed and compared by `pep440_rs` (epochs, pre-, post- and
//! dev-releases, local versions, normalization of `1.0-1`, `v1.0`, `1.0.RC1`…).
//!
//! Strings that are not PEP 440 (`0.1-bulbasaur`, `2.0.0-final`, `0.7.4.svn.r2010`) still
//! occur in PyPI's history and in OSV data. They are kept as setuptools' "legacy"
//! versions, exactly as `packaging` < 22 and osv.dev's `packaging_legacy` order them:
//! every legacy version sorts before every PEP 440 version, and legacy versions compare
//! by setuptools' key (numbers zero-padded to eight digits, words prefixed with `*`,
//! `pre`/`preview`/`rc` read as `c`, `dev` as `@`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{Scheme, VersionError};

/// A PyPI version: PEP 440, or legacy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PypiVersion {
    /// A string PEP 440 rejects, keyed the way setuptools' `LegacyVersion` was. Declared
    /// first because legacy versions sort before all PEP 440 versions.
    Legacy(LegacyVersion),
    /// A PEP 440 version.
    Pep440(pep440_rs::Version),
}

impl PypiVersion {
    /// Whether the version is a PEP 440 pre-release or dev-release.
    pub fn is_prerelease(&self) -> bool {
        match self {
            PypiVersion::Pep440(version) => version.any_prerelease(),
            PypiVersion::Legacy(_) => false,
        }
    }
}

impl fmt::Display for PypiVersion {
    /// The PEP 440 normalized form, or the legacy string as given.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PypiVersion::Pep440(version) => version.fmt(formatter),
            PypiVersion::Legacy(legacy) => formatter.write_str(&legacy.text),
        }
    }
}

/// A pre-PEP 440 version, ordered by setuptools' legacy key.
#[derive(Debug, Clone)]
pub struct LegacyVersion {
    key: Box<[Box<str>]>,
    text: Box<str>,
}

impl Ord for LegacyVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl PartialOrd for LegacyVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for LegacyVersion {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for LegacyVersion {}

/// Parses a PyPI version. Anything PEP 440 rejects becomes a legacy version, except an
/// empty string.
pub fn parse(input: &str) -> Result<PypiVersion, VersionError> {
    match pep440_rs::Version::from_str(input) {
        Ok(version) => Ok(PypiVersion::Pep440(version)),
        Err(_) if input.trim().is_empty() => Err(VersionError::parse(
            Scheme::PyPI,
            input,
            "the version is empty",
        )),
        Err(_) => Ok(PypiVersion::Legacy(LegacyVersion {
            key: legacy_key(input),
            text: input.into(),
        })),
    }
}

/// `packaging.version._legacy_cmpkey` (without the constant epoch of -1).
fn legacy_key(version: &str) -> Box<[Box<str>]> {
    let mut parts: Vec<Box<str>> = Vec::new();
    for part in legacy_parts(&version.to_lowercase()) {
        if part.starts_with('*') {
            // Remove "-" before a pre-release tag.
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|last| &**last == "*final-") {
                    parts.pop();
                }
            }
            // Remove trailing zeros from each series of numeric parts.
            while parts.last().is_some_and(|last| &**last == "00000000") {
                parts.pop();
            }
        }
        parts.push(part.into());
    }
    parts.into_boxed_slice()
}

/// `packaging.version._parse_version_parts`: `re.split(r"(\d+|[a-z]+|\.|-)")`, with the
/// replacements, padding and the final `*final`.
fn legacy_parts(version: &str) -> Vec<String> {
    let mut pieces: Vec<&str> = Vec::new();
    let mut unmatched_start = 0;
    let mut characters = version.char_indices().peekable();
    while let Some((start, character)) = characters.next() {
        let kind = |other: char| {
            if character.is_ascii_digit() {
                other.is_ascii_digit()
            } else {
                other.is_ascii_lowercase()
            }
        };
        let end = if character.is_ascii_digit() || character.is_ascii_lowercase() {
            let mut end = start + 1;
            while let Some(&(index, next)) = characters.peek() {
                if !kind(next) {
                    break;
                }
                end = index + 1;
                characters.next();
            }
            end
        } else if character == '.' || character == '-' {
            start + 1
        } else {
            continue;
        };
        pieces.push(&version[unmatched_start..start]);
        pieces.push(&version[start..end]);
        unmatched_start = end;
    }
    pieces.push(&version[unmatched_start..]);

    let mut parts = Vec::with_capacity(pieces.len() + 1);
    for piece in pieces {
        let piece = match piece {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            other => other,
        };
        if piece.is_empty() || piece == "." {
            continue;
        }
        if piece.starts_with(|character: char| character.is_ascii_digit()) {
            parts.push(format!("{piece:0>8}"));
        } else {
            parts.push(format!("*{piece}"));
        }
    }
    parts.push("*final".to_owned());
    parts
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

    fn check_increasing(versions: &[&str]) {
        for (index, low) in versions.iter().enumerate() {
            for high in &versions[index + 1..] {
                check(low, high, Ordering::Less);
            }
        }
    }

    fn check_legacy_key(input: &str, expected: &[&str]) {
        let key = legacy_key(input);
        let key: Vec<&str> = key.iter().map(|part| &**part).collect();
        assert_eq!(key, expected, "{input}");
    }

    // PEP 440's own example ordering.
    #[test]
    fn pep440_order() {
        check_increasing(&[
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "1!0.1",
        ]);
    }

    #[test]
    fn pep440_normalization() {
        check("1.0", "1.0.0", Ordering::Equal);
        check("1.0-1", "1.0.post1", Ordering::Equal);
        check("v1.0", "1.0", Ordering::Equal);
        check("1.0.RC1", "1.0rc1", Ordering::Equal);
        check("1.0c1", "1.0rc1", Ordering::Equal);
        check("1.0-alpha.1", "1.0a1", Ordering::Equal);
        check("0!1.0", "1.0", Ordering::Equal);
        check("1.0+local", "1.0", Ordering::Greater);
        check("1.0+local.1", "1.0+local.a", Ordering::Greater);
        check(" 1.0 ", "1.0", Ordering::Equal);
    }

    #[test]
    fn legacy_versions_sort_first() {
        check("0.1-bulbasaur", "0.0.1", Ordering::Less);
        check("2.0.0-final", "0.1", Ordering::Less);
        check("trunk", "0.0.0.dev0", Ordering::Less);
        check("0.7.11p1", "0.7.10p1", Ordering::Greater);
        check("0.7.11p1", "0.7.11p2", Ordering::Less);
        check("0.3.2d.dev", "0.3.2d", Ordering::Less);
        check("0.3.2d", "0.3.2e.dev", Ordering::Less);
        check(
            "2013-01-21T20:33:09+0100",
            "2013-01-23T17:11:52+0100",
            Ordering::Less,
        );
    }

    #[test]
    fn legacy_keys_match_packaging() {
        // Values printed by packaging 21.3's `_legacy_cmpkey`.
        check_legacy_key(
            "0.1-bulbasaur",
            &["00000000", "00000001", "*bulbasaur", "*final"],
        );
        check_legacy_key("2.0.0-final", &["00000002", "*final-", "*final", "*final"]);
        check_legacy_key(
            "0.7.4.svn.r2010",
            &[
                "00000000", "00000007", "00000004", "*svn", "*r", "00002010", "*final",
            ],
        );
        check_legacy_key(
            "1.0beta6.1",
            &["00000001", "*beta", "00000006", "00000001", "*final"],
        );
        check_legacy_key(
            "0.3.2d.dev",
            &["00000000", "00000003", "00000002", "*d", "*@", "*final"],
        );
        check_legacy_key(
            "2013-09-11T19-27-10",
            &[
                "00002013", "*final-", "00000009", "*final-", "00000011", "*t", "00000019",
                "*final-", "00000027", "*final-", "00000010", "*final",
            ],
        );
        check_legacy_key(
            "-class.-jw.util.version.Version-",
            &[
                "*class", "*final-", "*jw", "*util", "*version", "*version", "*final-", "*final",
            ],
        );
        check_legacy_key("a_b+c", &["*a", "*_", "*b", "*+", "*c", "*final"]);
    }

    #[test]
    fn empty_is_refused() {
        assert!(parse("").is_err());
        assert!(parse("   ").is_err());
    }
}
