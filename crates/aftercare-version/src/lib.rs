//! Version semantics per ecosystem: parse and order versions the way each package manager does.
//!
//! The matcher asks one question millions of times: does this component version lie in
//! this vulnerability's affected ranges? So versions are parsed once into a [`Version`]
//! whose comparison is cheap (numbers are numbers, identifiers are pre-split), and OSV
//! ranges are parsed once into a [`range::Range`] that is evaluated many times. The
//! versions a triage decision covers (`>=1.0,<2.0`) are [`Bounds`], parsed the same way.
//!
//! Each scheme lives in its own module, named after its ecosystem, with the package
//! manager's rules written down at the top. Where a maintained crate implements the
//! package manager's behaviour it is used (`pep440_rs` for PyPI, `semver` for Cargo and
//! SemVer parsing); the rest are transcriptions of the package managers' own comparison
//! code (see `docs/adr/0003-version-semantics.md`).
//!
//! This crate does no I/O and never panics on input: a string that is not a version of
//! its scheme is a [`VersionError`].
//!
//! ```
//! use aftercare_version::{parse, Scheme};
//!
//! let fixed = parse(Scheme::Maven, "2.13.2.1")?;
//! let installed = parse(Scheme::Maven, "2.13.2")?;
//! assert!(installed < fixed);
//! assert_eq!(parse(Scheme::Maven, "1.0")?, parse(Scheme::Maven, "1.0.0.Final")?);
//! # Ok::<(), aftercare_version::VersionError>(())
//! ```

pub mod alpine;
mod bounds;
pub mod cran;
pub mod crates_io;
pub mod debian;
mod error;
pub mod generic;
pub mod go;
pub mod hackage;
pub mod hex;
pub mod maven;
pub mod npm;
pub mod nuget;
mod number;
pub mod packagist;
pub mod pub_dev;
pub mod pypi;
pub mod range;
pub mod rpm;
pub mod rubygems;
mod scheme;
pub mod semantic_versioning;

#[cfg(test)]
mod properties;

use std::cmp::Ordering;
use std::fmt;

pub use bounds::Bounds;
pub use error::VersionError;
pub use range::{Range, RangeEvent, RangeType};
pub use scheme::Scheme;

/// A version parsed under one [`Scheme`], ordered by that scheme's rules.
///
/// Equality is the scheme's: `1.0` and `1.0.0` are equal under Maven even though their
/// texts differ, and [`Ord`] agrees with it. Versions of different schemes order by
/// scheme first; that order is total but meaningless, so compare within one scheme.
/// The text the version was parsed from stays available through [`Version::as_str`].
#[derive(Debug, Clone)]
pub struct Version {
    text: Box<str>,
    parsed: Parsed,
}

/// The parsed forms, in [`Scheme`] order so that versions of different schemes order
/// like their schemes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Parsed {
    PyPI(pypi::PypiVersion),
    Npm(semantic_versioning::SemanticVersion),
    CratesIo(semantic_versioning::SemanticVersion),
    Go(go::GoVersion),
    Maven(maven::MavenVersion),
    NuGet(nuget::NuGetVersion),
    RubyGems(rubygems::GemVersion),
    Packagist(packagist::PackagistVersion),
    Hex(semantic_versioning::SemanticVersion),
    Pub(pub_dev::PubVersion),
    Hackage(hackage::HackageVersion),
    Cran(cran::CranVersion),
    Debian(debian::DebianVersion),
    Rpm(rpm::RpmVersion),
    Alpine(alpine::AlpineVersion),
    Semver(semantic_versioning::SemanticVersion),
    Generic(generic::GenericVersion),
}

/// Parses `input` as a version of `scheme`. The error names the scheme and the input.
pub fn parse(scheme: Scheme, input: &str) -> Result<Version, VersionError> {
    let parsed = match scheme {
        Scheme::PyPI => Parsed::PyPI(pypi::parse(input)?),
        Scheme::Npm => Parsed::Npm(npm::parse(input)?),
        Scheme::CratesIo => Parsed::CratesIo(crates_io::parse(input)?),
        Scheme::Go => Parsed::Go(go::parse(input)?),
        Scheme::Maven => Parsed::Maven(maven::parse(input)?),
        Scheme::NuGet => Parsed::NuGet(nuget::parse(input)?),
        Scheme::RubyGems => Parsed::RubyGems(rubygems::parse(input)?),
        Scheme::Packagist => Parsed::Packagist(packagist::parse(input)?),
        Scheme::Hex => Parsed::Hex(hex::parse(input)?),
        Scheme::Pub => Parsed::Pub(pub_dev::parse(input)?),
        Scheme::Hackage => Parsed::Hackage(hackage::parse(input)?),
        Scheme::Cran => Parsed::Cran(cran::parse(input)?),
        Scheme::Debian => Parsed::Debian(debian::parse(input)?),
        Scheme::Rpm => Parsed::Rpm(rpm::parse(input)?),
        Scheme::Alpine => Parsed::Alpine(alpine::parse(input)?),
        Scheme::Semver => Parsed::Semver(semantic_versioning::parse(input)?),
        Scheme::Generic => Parsed::Generic(generic::parse(input)?),
    };
    Ok(Version {
        text: input.into(),
        parsed,
    })
}

impl Version {
    /// Parses `input` as a version of `scheme`; the same as [`parse`].
    pub fn parse(scheme: Scheme, input: &str) -> Result<Version, VersionError> {
        parse(scheme, input)
    }

    /// The scheme the version was parsed with.
    pub fn scheme(&self) -> Scheme {
        match self.parsed {
            Parsed::PyPI(_) => Scheme::PyPI,
            Parsed::Npm(_) => Scheme::Npm,
            Parsed::CratesIo(_) => Scheme::CratesIo,
            Parsed::Go(_) => Scheme::Go,
            Parsed::Maven(_) => Scheme::Maven,
            Parsed::NuGet(_) => Scheme::NuGet,
            Parsed::RubyGems(_) => Scheme::RubyGems,
            Parsed::Packagist(_) => Scheme::Packagist,
            Parsed::Hex(_) => Scheme::Hex,
            Parsed::Pub(_) => Scheme::Pub,
            Parsed::Hackage(_) => Scheme::Hackage,
            Parsed::Cran(_) => Scheme::Cran,
            Parsed::Debian(_) => Scheme::Debian,
            Parsed::Rpm(_) => Scheme::Rpm,
            Parsed::Alpine(_) => Scheme::Alpine,
            Parsed::Semver(_) => Scheme::Semver,
            Parsed::Generic(_) => Scheme::Generic,
        }
    }

    /// The text the version was parsed from, unchanged.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The scheme's canonical spelling of the version (PEP 440 normalization, SemVer,
    /// Maven's canonical form, NuGet's and Composer's normalized forms, …), or the text as
    /// given where the scheme has none or where its canonical form would not parse back to
    /// an equal version (Maven's and Composer's are lossy on a few odd inputs). Parsing
    /// the result always gives an equal version.
    pub fn canonical(&self) -> String {
        let candidate = self.scheme_canonical();
        match parse(self.scheme(), &candidate) {
            Ok(reparsed) if reparsed == *self => candidate,
            _ => self.text.to_string(),
        }
    }

    /// The scheme's own canonical spelling, unchecked.
    pub(crate) fn scheme_canonical(&self) -> String {
        match &self.parsed {
            Parsed::PyPI(version) => version.to_string(),
            Parsed::Npm(version)
            | Parsed::CratesIo(version)
            | Parsed::Hex(version)
            | Parsed::Semver(version) => version.to_string(),
            Parsed::Go(version) => version.to_string(),
            Parsed::Maven(version) => version.to_string(),
            Parsed::NuGet(version) => version.to_string(),
            Parsed::RubyGems(version) => version.to_string(),
            Parsed::Packagist(version) => version.to_string(),
            Parsed::Pub(version) => version.to_string(),
            Parsed::Hackage(version) => version.to_string(),
            Parsed::Cran(version) => version.to_string(),
            Parsed::Debian(version) => version.to_string(),
            Parsed::Rpm(version) => version.to_string(),
            Parsed::Alpine(version) => version.to_string(),
            Parsed::Generic(version) => version.to_string(),
        }
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.parsed == other.parsed
    }
}

impl Eq for Version {}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parsed.cmp(&other.parsed)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    /// The text the version was parsed from.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(scheme: Scheme, left: &str, right: &str, expected: Ordering) {
        let (a, b) = (parse(scheme, left).unwrap(), parse(scheme, right).unwrap());
        assert_eq!(a.cmp(&b), expected, "{scheme}: {left} vs {right}");
        assert_eq!(
            a == b,
            expected == Ordering::Equal,
            "{scheme}: {left} == {right}"
        );
    }

    #[test]
    fn every_scheme_parses_and_compares() {
        check(Scheme::PyPI, "1.0rc1", "1.0", Ordering::Less);
        check(Scheme::Npm, "v1.0.0", "1.0.0", Ordering::Equal);
        check(Scheme::CratesIo, "0.14.10", "0.14.9", Ordering::Greater);
        check(
            Scheme::Go,
            "v0.0.0-20191109021931-daa7c04131f5",
            "0.1.0",
            Ordering::Less,
        );
        check(Scheme::Maven, "1.0-SNAPSHOT", "1.0", Ordering::Less);
        check(Scheme::NuGet, "1.0.0-BETA", "1.0.0-beta", Ordering::Equal);
        check(Scheme::RubyGems, "1.0.0.rc1", "1.0.0", Ordering::Less);
        check(Scheme::Packagist, "1.0.0-p1", "1.0.0", Ordering::Greater);
        check(Scheme::Hex, "1.0.0-rc.0", "1.0.0", Ordering::Less);
        check(Scheme::Pub, "1.0.0+2", "1.0.0+10", Ordering::Less);
        check(Scheme::Hackage, "1.0", "1.0.0", Ordering::Less);
        check(Scheme::Cran, "1.2-3", "1.2.3", Ordering::Equal);
        check(Scheme::Debian, "1.0~rc1-1", "1.0-1", Ordering::Less);
        check(Scheme::Rpm, "1.0^git1-1", "1.0-1", Ordering::Greater);
        check(Scheme::Alpine, "1.0_rc1-r0", "1.0-r0", Ordering::Less);
        check(Scheme::Semver, "1.2", "1.2.0", Ordering::Equal);
        check(Scheme::Generic, "1.0", "1.0.0", Ordering::Equal);
    }

    #[test]
    fn version_keeps_its_text_and_scheme() {
        for scheme in Scheme::ALL {
            let version = parse(scheme, "1.2.3").unwrap();
            assert_eq!(version.scheme(), scheme);
            assert_eq!(version.as_str(), "1.2.3");
            assert_eq!(version.to_string(), "1.2.3");
            assert_eq!(
                parse(scheme, &version.canonical()).unwrap(),
                version,
                "{scheme}"
            );
        }
    }

    #[test]
    fn errors_name_scheme_and_input() {
        let error = parse(Scheme::CratesIo, "1.0").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("crates.io"), "{message}");
        assert!(message.contains("\"1.0\""), "{message}");
        assert!(matches!(
            error,
            VersionError::Parse {
                scheme: Scheme::CratesIo,
                ..
            }
        ));
    }

    #[test]
    fn schemes_order_versions_of_different_schemes() {
        let pypi = parse(Scheme::PyPI, "9.9").unwrap();
        let npm = parse(Scheme::Npm, "1.0.0").unwrap();
        assert!(pypi < npm);
        assert_ne!(pypi, parse(Scheme::Generic, "9.9").unwrap());
    }
}
