//! The version schemes this crate knows, and how OSV ecosystems and purl types map to them.

use std::fmt;

/// A version scheme: one way of parsing and ordering version strings.
///
/// Several ecosystems share a scheme (Ubuntu uses dpkg's, every RPM distribution uses
/// rpm's). The order of the variants is the order of [`crate::Version`]s of different
/// schemes, which is arbitrary but total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// PEP 440, with pre-PEP 440 ("legacy") strings ordered before every valid version.
    PyPI,
    /// node-semver, as npm orders package versions.
    Npm,
    /// SemVer as Cargo parses it (the `semver` crate).
    CratesIo,
    /// Go module versions (`golang.org/x/mod/semver`), with or without the leading `v`.
    Go,
    /// Maven's `ComparableVersion` (maven-artifact 3.9).
    Maven,
    /// NuGet's `NuGetVersion`: up to four numbers, case-insensitive labels.
    NuGet,
    /// RubyGems' `Gem::Version`.
    RubyGems,
    /// Composer: versions normalized by Composer, ordered by PHP's `version_compare`.
    Packagist,
    /// Elixir's `Version`, as Hex orders package versions.
    Hex,
    /// Dart's `pub_semver`, where build metadata takes part in the order.
    Pub,
    /// Cabal's dotted numeric versions (Hackage and GHC).
    Hackage,
    /// R's `package_version`: numbers separated by `.` or `-`.
    Cran,
    /// dpkg: epoch, upstream version and revision, `~` before everything.
    Debian,
    /// rpm's `rpmvercmp` over epoch, version and release, with `~` and `^`.
    Rpm,
    /// apk-tools (Alpine): Gentoo-like suffixes and `-rN` revisions.
    Alpine,
    /// SemVer 2.0 as OSV `SEMVER` ranges use it, with the coercions osv.dev applies
    /// (leading `v`, missing minor or patch, leading zeros).
    Semver,
    /// A documented fallback for ecosystems without a known scheme: digit runs compare as
    /// numbers, letter runs as case-insensitive text before numbers, other characters
    /// separate. See [`crate::generic`].
    Generic,
}

impl Scheme {
    /// Every scheme, in order.
    pub const ALL: [Scheme; 17] = [
        Scheme::PyPI,
        Scheme::Npm,
        Scheme::CratesIo,
        Scheme::Go,
        Scheme::Maven,
        Scheme::NuGet,
        Scheme::RubyGems,
        Scheme::Packagist,
        Scheme::Hex,
        Scheme::Pub,
        Scheme::Hackage,
        Scheme::Cran,
        Scheme::Debian,
        Scheme::Rpm,
        Scheme::Alpine,
        Scheme::Semver,
        Scheme::Generic,
    ];

    /// The scheme of an OSV `affected[].package.ecosystem`, or `None` for an ecosystem
    /// this crate does not know (the caller may fall back to [`Scheme::Generic`]).
    ///
    /// The part after the first `:` (a release such as `Debian:12` or `Alpine:v3.18`, or a
    /// repository URL such as `Maven:https://…`) does not change the scheme and is ignored.
    pub fn from_osv_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let name = ecosystem
            .split_once(':')
            .map_or(ecosystem, |(name, _)| name);
        let scheme = match name {
            "PyPI" => Scheme::PyPI,
            "npm" => Scheme::Npm,
            "crates.io" => Scheme::CratesIo,
            "Go" => Scheme::Go,
            "Maven" => Scheme::Maven,
            "NuGet" => Scheme::NuGet,
            "RubyGems" => Scheme::RubyGems,
            "Packagist" => Scheme::Packagist,
            "Hex" => Scheme::Hex,
            "Pub" => Scheme::Pub,
            "Hackage" | "GHC" => Scheme::Hackage,
            "CRAN" | "Bioconductor" => Scheme::Cran,
            "Debian" | "Ubuntu" | "Echo" => Scheme::Debian,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "SUSE" | "openSUSE" | "Mageia"
            | "openEuler" | "Photon OS" => Scheme::Rpm,
            "Alpine"
            | "Wolfi"
            | "Chainguard"
            | "Alpaquita"
            | "BellSoft Hardened Containers"
            | "MinimOS" => Scheme::Alpine,
            // osv.dev orders these as SemVer too: Bitnami publishes SEMVER ranges and
            // SwiftPM only resolves SemVer tags.
            "Bitnami" | "SwiftURL" => Scheme::Semver,
            // OSS-Fuzz records carry GIT ranges; their `versions` are upstream tags.
            "OSS-Fuzz" => Scheme::Generic,
            _ => return None,
        };
        Some(scheme)
    }

    /// The scheme of a package URL type (`pkg:<type>/…`), or `None` for a type this crate
    /// does not know. Types are matched case-insensitively, as the purl spec requires.
    pub fn from_purl_type(purl_type: &str) -> Option<Scheme> {
        let scheme = match purl_type.to_ascii_lowercase().as_str() {
            "pypi" => Scheme::PyPI,
            "npm" => Scheme::Npm,
            "cargo" => Scheme::CratesIo,
            "golang" => Scheme::Go,
            "maven" => Scheme::Maven,
            "nuget" => Scheme::NuGet,
            "gem" => Scheme::RubyGems,
            "composer" => Scheme::Packagist,
            "hex" => Scheme::Hex,
            "pub" => Scheme::Pub,
            "hackage" => Scheme::Hackage,
            "cran" => Scheme::Cran,
            "deb" => Scheme::Debian,
            "rpm" => Scheme::Rpm,
            "apk" => Scheme::Alpine,
            "swift" | "bitnami" => Scheme::Semver,
            "generic" | "github" | "bitbucket" => Scheme::Generic,
            _ => return None,
        };
        Some(scheme)
    }

    /// The scheme's name as OSV spells its main ecosystem (`Semver` and `Generic` have no
    /// ecosystem and are named `SemVer` and `generic`).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::PyPI => "PyPI",
            Scheme::Npm => "npm",
            Scheme::CratesIo => "crates.io",
            Scheme::Go => "Go",
            Scheme::Maven => "Maven",
            Scheme::NuGet => "NuGet",
            Scheme::RubyGems => "RubyGems",
            Scheme::Packagist => "Packagist",
            Scheme::Hex => "Hex",
            Scheme::Pub => "Pub",
            Scheme::Hackage => "Hackage",
            Scheme::Cran => "CRAN",
            Scheme::Debian => "Debian",
            Scheme::Rpm => "RPM",
            Scheme::Alpine => "Alpine",
            Scheme::Semver => "SemVer",
            Scheme::Generic => "generic",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_ecosystem(ecosystem: &str, expected: Option<Scheme>) {
        assert_eq!(
            Scheme::from_osv_ecosystem(ecosystem),
            expected,
            "{ecosystem}"
        );
    }

    fn check_purl(purl_type: &str, expected: Option<Scheme>) {
        assert_eq!(Scheme::from_purl_type(purl_type), expected, "{purl_type}");
    }

    #[test]
    fn osv_ecosystems() {
        check_ecosystem("PyPI", Some(Scheme::PyPI));
        check_ecosystem("npm", Some(Scheme::Npm));
        check_ecosystem("crates.io", Some(Scheme::CratesIo));
        check_ecosystem("Go", Some(Scheme::Go));
        check_ecosystem("Maven", Some(Scheme::Maven));
        check_ecosystem("Maven:https://maven.google.com", Some(Scheme::Maven));
        check_ecosystem("NuGet", Some(Scheme::NuGet));
        check_ecosystem("RubyGems", Some(Scheme::RubyGems));
        check_ecosystem("Packagist", Some(Scheme::Packagist));
        check_ecosystem("Hex", Some(Scheme::Hex));
        check_ecosystem("Pub", Some(Scheme::Pub));
        check_ecosystem("Hackage", Some(Scheme::Hackage));
        check_ecosystem("GHC", Some(Scheme::Hackage));
        check_ecosystem("CRAN", Some(Scheme::Cran));
        check_ecosystem("Debian", Some(Scheme::Debian));
        check_ecosystem("Debian:12", Some(Scheme::Debian));
        check_ecosystem("Ubuntu:22.04:LTS", Some(Scheme::Debian));
        check_ecosystem("Ubuntu:Pro:18.04:LTS", Some(Scheme::Debian));
        check_ecosystem("Alpine", Some(Scheme::Alpine));
        check_ecosystem("Alpine:v3.18", Some(Scheme::Alpine));
        check_ecosystem("Wolfi", Some(Scheme::Alpine));
        check_ecosystem("Red Hat", Some(Scheme::Rpm));
        check_ecosystem("Red Hat:rhel_aus:8.4::appstream", Some(Scheme::Rpm));
        check_ecosystem("Rocky Linux", Some(Scheme::Rpm));
        check_ecosystem("AlmaLinux:8", Some(Scheme::Rpm));
        check_ecosystem("SUSE", Some(Scheme::Rpm));
        check_ecosystem("openSUSE:Tumbleweed", Some(Scheme::Rpm));
        check_ecosystem("Bitnami", Some(Scheme::Semver));
        check_ecosystem("SwiftURL", Some(Scheme::Semver));
        check_ecosystem("OSS-Fuzz", Some(Scheme::Generic));
        check_ecosystem("JavaScript", None);
        check_ecosystem("pypi", None);
        check_ecosystem("", None);
    }

    #[test]
    fn purl_types() {
        check_purl("pypi", Some(Scheme::PyPI));
        check_purl("npm", Some(Scheme::Npm));
        check_purl("cargo", Some(Scheme::CratesIo));
        check_purl("golang", Some(Scheme::Go));
        check_purl("maven", Some(Scheme::Maven));
        check_purl("nuget", Some(Scheme::NuGet));
        check_purl("NuGet", Some(Scheme::NuGet));
        check_purl("gem", Some(Scheme::RubyGems));
        check_purl("composer", Some(Scheme::Packagist));
        check_purl("hex", Some(Scheme::Hex));
        check_purl("pub", Some(Scheme::Pub));
        check_purl("hackage", Some(Scheme::Hackage));
        check_purl("cran", Some(Scheme::Cran));
        check_purl("deb", Some(Scheme::Debian));
        check_purl("rpm", Some(Scheme::Rpm));
        check_purl("apk", Some(Scheme::Alpine));
        check_purl("swift", Some(Scheme::Semver));
        check_purl("github", Some(Scheme::Generic));
        check_purl("generic", Some(Scheme::Generic));
        check_purl("docker", None);
        check_purl("conan", None);
    }

    #[test]
    fn every_scheme_is_listed_once() {
        let mut sorted = Scheme::ALL.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, Scheme::ALL.to_vec());
    }
}
