//! The matcher's view of a component: the identifiers findings hang on.
//!
//! A [`Component`] carries only what matching reads — package URL, version, CPEs, file
//! hashes — so two SBOM entries that say the same thing are the same component for the
//! matcher (it derives `Eq` and `Hash`: the workspace layer deduplicates a portfolio's
//! components through it). The caller keeps its own references (SBOM `bom-ref`, row ids).

use aftercare_model::{Cpe, Ecosystem, PackageKey, Purl};
use aftercare_version::{Scheme, Version};

/// A file hash of a component, normalized so that SBOM and CSAF spellings compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileHash {
    /// The algorithm, lowercase without punctuation (`sha256`, `sha1`, `md5`, `sha3512`).
    pub algorithm: String,
    /// The digest, lowercase.
    pub value: String,
}

impl FileHash {
    /// A hash from any spelling of the algorithm (`SHA-256`, `sha256`, `SHA256`).
    pub fn new(algorithm: &str, value: &str) -> FileHash {
        FileHash {
            algorithm: algorithm
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect(),
            value: value.trim().to_ascii_lowercase(),
        }
    }
}

/// What the matcher needs of one component.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Component {
    /// The name, for messages only.
    pub name: String,
    /// The version as the SBOM states it; the purl's version is preferred when both exist.
    pub version: Option<String>,
    /// The package URL (its version, if any, is the one matched).
    pub purl: Option<Purl>,
    /// The package key, when the caller knows it without a purl (an OSS-Fuzz project, a
    /// workspace row keyed by package); it takes precedence over the purl's.
    pub package: Option<PackageKey>,
    /// CPE names: matched against NVD configurations, CSAF and CVE 5 products.
    pub cpes: Vec<Cpe>,
    /// File hashes: matched against CSAF product hashes.
    pub hashes: Vec<FileHash>,
}

impl Component {
    /// A component of a name and version, without identifiers yet.
    pub fn new(name: impl Into<String>, version: Option<&str>) -> Component {
        Component {
            name: name.into(),
            version: version.map(str::to_string),
            purl: None,
            package: None,
            cpes: Vec::new(),
            hashes: Vec::new(),
        }
    }

    /// A component of a package URL (name and version taken from it).
    pub fn from_purl(purl: Purl) -> Component {
        Component {
            name: purl.name().to_string(),
            version: purl.version().map(str::to_string),
            purl: Some(purl),
            package: None,
            cpes: Vec::new(),
            hashes: Vec::new(),
        }
    }

    /// The version matched against ranges: the purl's, else the SBOM's.
    pub fn effective_version(&self) -> Option<&str> {
        self.purl
            .as_ref()
            .and_then(Purl::version)
            .or(self.version.as_deref())
            .map(str::trim)
            .filter(|version| !version.is_empty())
    }

    /// The package key: the one given, else the purl's if its type maps onto an ecosystem.
    pub fn package_key(&self) -> Option<PackageKey> {
        self.package
            .clone()
            .or_else(|| self.purl.as_ref().and_then(PackageKey::from_purl))
    }

    /// A component of a package key and version (no purl).
    pub fn from_package(package: PackageKey, version: Option<&str>) -> Component {
        Component {
            name: package.name.clone(),
            version: version.map(str::to_string),
            purl: None,
            package: Some(package),
            cpes: Vec::new(),
            hashes: Vec::new(),
        }
    }

    /// The scheme the component's own versions follow: its purl type's, if known.
    pub fn scheme(&self) -> Option<Scheme> {
        self.purl
            .as_ref()
            .and_then(|purl| Scheme::from_purl_type(purl.ty()))
    }
}

/// A component's version parsed lazily, once per scheme.
#[derive(Debug)]
pub(crate) struct VersionCache<'a> {
    text: Option<&'a str>,
    parsed: Vec<(Scheme, Option<Version>)>,
}

impl<'a> VersionCache<'a> {
    pub(crate) fn new(text: Option<&'a str>) -> VersionCache<'a> {
        VersionCache {
            text,
            parsed: Vec::new(),
        }
    }

    pub(crate) fn text(&self) -> Option<&'a str> {
        self.text
    }

    /// The version parsed under `scheme`, or `None` when there is no version or it does
    /// not parse under the scheme.
    pub(crate) fn get(&mut self, scheme: Scheme) -> Option<&Version> {
        let position = match self.parsed.iter().position(|(known, _)| *known == scheme) {
            Some(position) => position,
            None => {
                let parsed = self
                    .text
                    .and_then(|text| aftercare_version::parse(scheme, text).ok());
                self.parsed.push((scheme, parsed));
                self.parsed.len() - 1
            }
        };
        self.parsed
            .get(position)
            .and_then(|(_, version)| version.as_ref())
    }
}

/// How an affected package's distribution release (`Debian:11`) relates to the component's
/// (`?distro=debian-11`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReleaseFit {
    /// The record names no release, or the ecosystem has none: it applies.
    NotApplicable,
    /// Both name a release and they agree.
    Same,
    /// The record names one, the component does not say: it applies, with less confidence.
    Unknown,
    /// They name different releases: the record does not apply.
    Different,
}

/// Whether a record's ecosystem release applies to a component purl. Only distribution
/// ecosystems have releases; a suffix elsewhere (`Maven:https://repo…`) names a repository
/// and is ignored.
pub(crate) fn release_fit(ecosystem: &Ecosystem, release: Option<&str>, purl: &Purl) -> ReleaseFit {
    let distribution = matches!(
        ecosystem,
        Ecosystem::Debian
            | Ecosystem::Ubuntu
            | Ecosystem::Alpine
            | Ecosystem::RedHat
            | Ecosystem::Rpm(_)
    );
    let Some(release) = release.filter(|_| distribution) else {
        return ReleaseFit::NotApplicable;
    };
    let Some(distro) = purl.qualifier("distro") else {
        return ReleaseFit::Unknown;
    };
    match (
        release_number(ecosystem, release),
        release_number(ecosystem, distro),
    ) {
        (Some(record), Some(component)) => {
            let shared = record.len().min(component.len());
            if record[..shared] == component[..shared] {
                ReleaseFit::Same
            } else {
                ReleaseFit::Different
            }
        }
        // A release we cannot read: do not drop the record on a guess.
        _ => ReleaseFit::Unknown,
    }
}

/// The numbers of a release (`11`, `22.04`, `v3.18` → `[3, 18]`), from a number or a
/// distribution code name.
fn release_number(ecosystem: &Ecosystem, text: &str) -> Option<Vec<u64>> {
    let lower = text.to_ascii_lowercase();
    const CODE_NAMES: &[(&str, &str)] = &[
        ("buzz", "1.1"),
        ("hamm", "2.0"),
        ("potato", "2.2"),
        ("woody", "3.0"),
        ("sarge", "3.1"),
        ("etch", "4"),
        ("lenny", "5"),
        ("squeeze", "6"),
        ("wheezy", "7"),
        ("jessie", "8"),
        ("stretch", "9"),
        ("buster", "10"),
        ("bullseye", "11"),
        ("bookworm", "12"),
        ("trixie", "13"),
        ("forky", "14"),
        ("trusty", "14.04"),
        ("xenial", "16.04"),
        ("bionic", "18.04"),
        ("focal", "20.04"),
        ("jammy", "22.04"),
        ("kinetic", "22.10"),
        ("lunar", "23.04"),
        ("mantic", "23.10"),
        ("noble", "24.04"),
        ("oracular", "24.10"),
        ("plucky", "25.04"),
    ];
    let debian_like = matches!(ecosystem, Ecosystem::Debian | Ecosystem::Ubuntu);
    if debian_like {
        for (name, number) in CODE_NAMES {
            if lower
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|word| word == *name)
            {
                return digits(number);
            }
        }
    }
    // The first run of digits and dots (`debian-11` → 11, `el8` → 8, `Pro:18.04:LTS` → 18.04).
    let start = lower.find(|c: char| c.is_ascii_digit())?;
    let run: String = lower[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits(&run)
}

fn digits(text: &str) -> Option<Vec<u64>> {
    let numbers: Vec<u64> = text
        .split('.')
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    (!numbers.is_empty()).then_some(numbers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ecosystem: &str, purl: &str, expected: ReleaseFit) {
        let (ecosystem_value, release) = Ecosystem::from_osv(ecosystem);
        let purl: Purl = purl.parse().unwrap();
        assert_eq!(
            release_fit(&ecosystem_value, release, &purl),
            expected,
            "{ecosystem} vs {purl}"
        );
    }

    #[test]
    fn releases() {
        use ReleaseFit::*;
        check(
            "Debian:11",
            "pkg:deb/debian/openssl@1?distro=debian-11",
            Same,
        );
        check(
            "Debian:11",
            "pkg:deb/debian/openssl@1?distro=bullseye",
            Same,
        );
        check(
            "Debian:11",
            "pkg:deb/debian/openssl@1?distro=debian-12",
            Different,
        );
        check(
            "Debian:12",
            "pkg:deb/debian/openssl@1?distro=bookworm",
            Same,
        );
        check(
            "Debian:11",
            "pkg:deb/debian/openssl@1?distro=debian-11.6",
            Same,
        );
        check("Debian:11", "pkg:deb/debian/openssl@1", Unknown);
        check(
            "Debian",
            "pkg:deb/debian/openssl@1?distro=debian-11",
            NotApplicable,
        );
        check(
            "Ubuntu:22.04:LTS",
            "pkg:deb/ubuntu/curl@1?distro=ubuntu-22.04",
            Same,
        );
        check(
            "Ubuntu:22.04:LTS",
            "pkg:deb/ubuntu/curl@1?distro=jammy",
            Same,
        );
        check(
            "Ubuntu:Pro:18.04:LTS",
            "pkg:deb/ubuntu/curl@1?distro=ubuntu-18.04",
            Same,
        );
        check(
            "Ubuntu:22.04:LTS",
            "pkg:deb/ubuntu/curl@1?distro=ubuntu-22.10",
            Different,
        );
        check(
            "Alpine:v3.18",
            "pkg:apk/alpine/busybox@1?distro=alpine-3.18.4",
            Same,
        );
        check(
            "Alpine:v3.18",
            "pkg:apk/alpine/busybox@1?distro=3.17.1",
            Different,
        );
        check(
            "Red Hat:8",
            "pkg:rpm/redhat/openssl@1?distro=rhel-8.6",
            Same,
        );
        check(
            "Maven:https://maven.google.com",
            "pkg:maven/a/b@1",
            NotApplicable,
        );
        check("Debian:11", "pkg:deb/debian/openssl@1?distro=sid", Unknown);
    }

    #[test]
    fn hashes_normalize() {
        assert_eq!(
            FileHash::new("SHA-256", "AB"),
            FileHash::new("sha256", "ab")
        );
        assert_eq!(FileHash::new("SHA3-512", "x").algorithm, "sha3512");
    }

    #[test]
    fn versions_are_parsed_once_per_scheme() {
        let mut cache = VersionCache::new(Some("1.2.3"));
        assert!(cache.get(Scheme::Semver).is_some());
        assert!(cache.get(Scheme::Maven).is_some());
        assert_eq!(cache.parsed.len(), 2);
        let mut none = VersionCache::new(Some("not a version!"));
        assert!(none.get(Scheme::CratesIo).is_none());
    }
}
