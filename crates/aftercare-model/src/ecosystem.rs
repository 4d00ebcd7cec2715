//! Package ecosystems and the identity of a package inside one.
//!
//! Vulnerability records (OSV) name packages by ecosystem and name (`PyPI` / `django`,
//! `Maven` / `org.apache.commons:commons-text`); SBOMs name them by package URL. A
//! [`PackageKey`] is the meeting point: both sides are turned into the same key so that
//! matching is a lookup, never a scan.

use std::fmt;

use crate::purl::Purl;

/// A package ecosystem, as OSV names them (without a release suffix such as `:11`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// Python packages (PyPI).
    PyPI,
    /// JavaScript packages (npm).
    Npm,
    /// Rust crates (crates.io).
    CratesIo,
    /// Go modules.
    Go,
    /// Java artifacts (Maven Central and compatible repositories).
    Maven,
    /// .NET packages (NuGet).
    NuGet,
    /// Ruby gems.
    RubyGems,
    /// PHP packages (Packagist / Composer).
    Packagist,
    /// Erlang and Elixir packages (Hex).
    Hex,
    /// Dart and Flutter packages (Pub).
    Pub,
    /// Haskell packages (Hackage).
    Hackage,
    /// R packages (CRAN).
    Cran,
    /// Debian source packages.
    Debian,
    /// Ubuntu source packages.
    Ubuntu,
    /// Alpine packages.
    Alpine,
    /// Red Hat RPM packages.
    RedHat,
    /// Other RPM-based distributions (SUSE, Rocky, Alma …), by OSV name.
    Rpm(String),
    /// Bitnami's packaged applications.
    Bitnami,
    /// Swift packages named by their source URL.
    SwiftUrl,
    /// Projects fuzzed by OSS-Fuzz (versions are git commits).
    OssFuzz,
    /// Any other ecosystem, by its OSV name.
    Other(String),
}

impl Ecosystem {
    /// Parses an OSV ecosystem string; a `:release` suffix (`Debian:11`, `Alpine:v3.18`) is
    /// returned apart.
    pub fn from_osv(raw: &str) -> (Ecosystem, Option<&str>) {
        let (base, release) = match raw.split_once(':') {
            Some((base, release)) => (base, Some(release).filter(|r| !r.is_empty())),
            None => (raw, None),
        };
        let ecosystem = match base {
            "PyPI" => Ecosystem::PyPI,
            "npm" => Ecosystem::Npm,
            "crates.io" => Ecosystem::CratesIo,
            "Go" => Ecosystem::Go,
            "Maven" => Ecosystem::Maven,
            "NuGet" => Ecosystem::NuGet,
            "RubyGems" => Ecosystem::RubyGems,
            "Packagist" => Ecosystem::Packagist,
            "Hex" => Ecosystem::Hex,
            "Pub" => Ecosystem::Pub,
            "Hackage" | "GHC" => Ecosystem::Hackage,
            "CRAN" => Ecosystem::Cran,
            "Debian" => Ecosystem::Debian,
            "Ubuntu" => Ecosystem::Ubuntu,
            "Alpine" => Ecosystem::Alpine,
            "Red Hat" => Ecosystem::RedHat,
            "SUSE" | "openSUSE" | "Rocky Linux" | "AlmaLinux" | "Mageia" | "openEuler" => {
                Ecosystem::Rpm(base.to_string())
            }
            "Bitnami" => Ecosystem::Bitnami,
            "SwiftURL" => Ecosystem::SwiftUrl,
            "OSS-Fuzz" => Ecosystem::OssFuzz,
            other => Ecosystem::Other(other.to_string()),
        };
        (ecosystem, release)
    }

    /// The OSV name of the ecosystem.
    pub fn osv_name(&self) -> &str {
        match self {
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Npm => "npm",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "Go",
            Ecosystem::Maven => "Maven",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::Hex => "Hex",
            Ecosystem::Pub => "Pub",
            Ecosystem::Hackage => "Hackage",
            Ecosystem::Cran => "CRAN",
            Ecosystem::Debian => "Debian",
            Ecosystem::Ubuntu => "Ubuntu",
            Ecosystem::Alpine => "Alpine",
            Ecosystem::RedHat => "Red Hat",
            Ecosystem::Bitnami => "Bitnami",
            Ecosystem::SwiftUrl => "SwiftURL",
            Ecosystem::OssFuzz => "OSS-Fuzz",
            Ecosystem::Rpm(name) | Ecosystem::Other(name) => name,
        }
    }

    /// The ecosystem a package URL belongs to, if it maps onto one vulnerability databases
    /// use.
    pub fn from_purl(purl: &Purl) -> Option<Ecosystem> {
        let ecosystem = match purl.ty() {
            "pypi" => Ecosystem::PyPI,
            "npm" => Ecosystem::Npm,
            "cargo" => Ecosystem::CratesIo,
            "golang" => Ecosystem::Go,
            "maven" => Ecosystem::Maven,
            "nuget" => Ecosystem::NuGet,
            "gem" => Ecosystem::RubyGems,
            "composer" => Ecosystem::Packagist,
            "hex" => Ecosystem::Hex,
            "pub" => Ecosystem::Pub,
            "hackage" => Ecosystem::Hackage,
            "cran" => Ecosystem::Cran,
            "bitnami" => Ecosystem::Bitnami,
            "swift" => Ecosystem::SwiftUrl,
            "apk" => Ecosystem::Alpine,
            "deb" => match purl.namespace() {
                Some("ubuntu") => Ecosystem::Ubuntu,
                _ => Ecosystem::Debian,
            },
            "rpm" => match purl.namespace() {
                Some("redhat") => Ecosystem::RedHat,
                Some("suse") | Some("opensuse") => Ecosystem::Rpm("SUSE".to_string()),
                Some("rocky") => Ecosystem::Rpm("Rocky Linux".to_string()),
                Some("almalinux") => Ecosystem::Rpm("AlmaLinux".to_string()),
                _ => Ecosystem::Rpm(purl.namespace().unwrap_or("rpm").to_string()),
            },
            _ => return None,
        };
        Some(ecosystem)
    }

    /// The package name as the ecosystem compares it: PEP 503 for PyPI, lowercase where the
    /// registry is case-insensitive, unchanged elsewhere.
    pub fn normalize_name(&self, name: &str) -> String {
        match self {
            Ecosystem::PyPI => pep503(name),
            Ecosystem::NuGet | Ecosystem::Packagist | Ecosystem::Hex | Ecosystem::Pub => {
                name.to_lowercase()
            }
            Ecosystem::Alpine | Ecosystem::Debian | Ecosystem::Ubuntu | Ecosystem::Bitnami => {
                name.to_lowercase()
            }
            Ecosystem::SwiftUrl => {
                let trimmed = name
                    .trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .trim_end_matches(".git");
                trimmed.to_lowercase()
            }
            _ => name.to_string(),
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// PEP 503 name normalization: lowercase, and every run of `-`, `_` and `.` becomes one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator = false;
        }
    }
    out
}

/// The identity of a package for matching: ecosystem and normalized name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageKey {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The name, normalized by [`Ecosystem::normalize_name`]; for Maven `group:artifact`,
    /// for npm `@scope/name`, for Go the module path.
    pub name: String,
}

impl PackageKey {
    /// The key of a package as a vulnerability record names it.
    pub fn new(ecosystem: Ecosystem, name: &str) -> PackageKey {
        let name = ecosystem.normalize_name(name);
        PackageKey { ecosystem, name }
    }

    /// The key of the package a purl names, if its type maps onto an ecosystem.
    pub fn from_purl(purl: &Purl) -> Option<PackageKey> {
        let ecosystem = Ecosystem::from_purl(purl)?;
        let name = match (&ecosystem, purl.namespace()) {
            (Ecosystem::Maven, Some(group)) => format!("{group}:{}", purl.name()),
            (
                Ecosystem::Npm | Ecosystem::Go | Ecosystem::Packagist | Ecosystem::SwiftUrl,
                Some(namespace),
            ) => {
                format!("{namespace}/{}", purl.name())
            }
            _ => purl.name().to_string(),
        };
        Some(PackageKey::new(ecosystem, &name))
    }
}

impl fmt::Display for PackageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.ecosystem, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(purl: &str, expected: &str) {
        let purl: Purl = purl.parse().unwrap();
        let key = PackageKey::from_purl(&purl).map(|k| k.to_string());
        assert_eq!(key.as_deref(), Some(expected), "{purl}");
    }

    #[test]
    fn keys_from_purls() {
        check(
            "pkg:pypi/Django_REST.framework@3.0",
            "PyPI/django-rest-framework",
        );
        check("pkg:npm/%40babel/core@7.0.0", "npm/@babel/core");
        check(
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.1",
            "Maven/com.fasterxml.jackson.core:jackson-databind",
        );
        check(
            "pkg:golang/github.com/gin-gonic/gin@v1.6.0",
            "Go/github.com/gin-gonic/gin",
        );
        check("pkg:cargo/smallvec@1.0.0", "crates.io/smallvec");
        check("pkg:nuget/Newtonsoft.Json@12.0.1", "NuGet/newtonsoft.json");
        check(
            "pkg:composer/laravel/framework@7.12.0",
            "Packagist/laravel/framework",
        );
        check("pkg:deb/debian/openssl@1.1.1", "Debian/openssl");
        check("pkg:rpm/redhat/openssl@3.0.7", "Red Hat/openssl");
        check("pkg:apk/alpine/busybox@1.36.1-r0", "Alpine/busybox");
    }

    #[test]
    fn osv_ecosystem_names() {
        assert_eq!(
            Ecosystem::from_osv("Debian:11"),
            (Ecosystem::Debian, Some("11"))
        );
        assert_eq!(Ecosystem::from_osv("PyPI"), (Ecosystem::PyPI, None));
        assert_eq!(Ecosystem::from_osv("crates.io").0.osv_name(), "crates.io");
        assert_eq!(
            Ecosystem::from_osv("Made Up").0,
            Ecosystem::Other("Made Up".into())
        );
        assert_eq!(
            PackageKey::new(Ecosystem::PyPI, "Flask_Login").name,
            "flask-login"
        );
    }
}
