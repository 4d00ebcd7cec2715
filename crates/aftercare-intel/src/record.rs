//! The normalized vulnerability record: what every reader produces, whatever the source.
//!
//! A [`Record`] is one source's document about a vulnerability (an OSV entry, an NVD CVE, a
//! CVE 5 record, a CSAF advisory). Fields every source has are common fields; how a source
//! says *what* is affected differs too much to force into one shape, so a record carries the
//! forms the matcher understands side by side:
//!
//! * [`Record::packages`]: a package of an ecosystem ([`PackageKey`]) with version ranges and
//!   version lists (OSV);
//! * [`Record::configurations`]: CPE applicability trees (NVD);
//! * [`Record::products`]: vendor / product / package with version statements (CVE 5, and the
//!   `affected` block NVD started to copy from CNAs);
//! * [`Record::advisory`]: a CSAF product tree with per-vulnerability product status, resolved
//!   to purls, CPEs and file hashes.
//!
//! Storage keys records by ([`Source`], [`Record::id`]). Field values are kept as the source
//! wrote them except where a type carries an invariant (ids, CPEs, purls, timestamps); a value
//! that fails its type is left empty and reported as a [`crate::Warning`].

use aftercare_model::{Cpe, PackageKey, Purl, Severity, VulnerabilityId};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::advisory::Advisory;

/// The kind of source a record was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// An OSV record (osv.dev, GitHub advisories, PyPA, RustSec, Go, Bitnami …).
    Osv,
    /// A CVE from the NVD CVE API 2.0.
    Nvd,
    /// A CVE from the retired NVD JSON 1.1 data feeds (`CVE_Items`).
    NvdLegacy,
    /// A CVE JSON 5 record (cvelistV5, CISA vulnrichment).
    Cve5,
    /// A CSAF 2.0 advisory.
    Csaf,
}

impl Source {
    /// A short lowercase name: `osv`, `nvd`, `nvd-1.1`, `cve5`, `csaf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Osv => "osv",
            Source::Nvd => "nvd",
            Source::NvdLegacy => "nvd-1.1",
            Source::Cve5 => "cve5",
            Source::Csaf => "csaf",
        }
    }
}

/// One source's document about a vulnerability, normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Where the record comes from.
    pub source: Source,
    /// The record's own id (an OSV id, a CVE id, a CSAF `tracking.id`).
    pub id: VulnerabilityId,
    /// Ids the record says name the same vulnerability (OSV `aliases`, OSV `upstream`, the
    /// CVEs of a CSAF advisory). Never contains [`Record::id`]; sorted, without duplicates.
    pub aliases: Vec<VulnerabilityId>,
    /// Ids of related but different vulnerabilities (OSV `related`); they never merge.
    pub related: Vec<VulnerabilityId>,
    /// Who assigned or published it (NVD `sourceIdentifier`, CVE 5 `assignerShortName`,
    /// CSAF publisher name).
    pub assigner: Option<String>,
    /// The source's life-cycle status as written (NVD `vulnStatus`, CVE 5 `state`, CSAF
    /// `tracking.status`).
    pub status: Option<String>,
    /// First publication.
    pub published: Option<Timestamp>,
    /// Last modification.
    pub modified: Option<Timestamp>,
    /// Set when the source withdrew or rejected the record; such records are kept.
    pub withdrawn: Option<Withdrawn>,
    /// A one-line summary (OSV `summary`, CVE 5 `title`, CSAF `title`).
    pub summary: Option<String>,
    /// The full description, English preferred.
    pub description: Option<String>,
    /// Severity ratings: CVSS vectors and qualitative labels, with their source.
    pub ratings: Vec<Rating>,
    /// Weakness ids (`CWE-79`, `NVD-CWE-noinfo`), sorted, without duplicates.
    pub weaknesses: Vec<String>,
    /// References.
    pub references: Vec<Reference>,
    /// People and organisations credited.
    pub credits: Vec<Credit>,
    /// Affected packages of an ecosystem (OSV).
    pub packages: Vec<AffectedPackage>,
    /// CPE applicability configurations (NVD); the vulnerable CPEs live here.
    pub configurations: Vec<Configuration>,
    /// Affected vendor products with version statements (CVE 5, NVD `affected`).
    pub products: Vec<AffectedProduct>,
    /// The CSAF part of the record: product tree and per-vulnerability statements.
    pub advisory: Option<Box<Advisory>>,
    /// CISA SSVC decisions found in the record (CVE 5 vulnrichment, NVD `ssvcV203`).
    pub ssvc: Vec<Ssvc>,
    /// The record's own mention of the CISA KEV catalog (CVE 5 vulnrichment, NVD `cisa*`).
    pub kev: Option<KevMark>,
    /// OSV's record-level `database_specific`, as its original JSON text.
    pub database_specific: Option<String>,
}

impl Record {
    /// An empty record of a source and id; readers fill in the rest.
    pub fn new(source: Source, id: VulnerabilityId) -> Record {
        Record {
            source,
            id,
            aliases: Vec::new(),
            related: Vec::new(),
            assigner: None,
            status: None,
            published: None,
            modified: None,
            withdrawn: None,
            summary: None,
            description: None,
            ratings: Vec::new(),
            weaknesses: Vec::new(),
            references: Vec::new(),
            credits: Vec::new(),
            packages: Vec::new(),
            configurations: Vec::new(),
            products: Vec::new(),
            advisory: None,
            ssvc: Vec::new(),
            kev: None,
            database_specific: None,
        }
    }

    /// Whether the source withdrew or rejected the record.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }

    /// The CVE ids the record is about: its own id if it is a CVE, and its CVE aliases.
    pub fn cves(&self) -> impl Iterator<Item = &VulnerabilityId> {
        std::iter::once(&self.id)
            .chain(self.aliases.iter())
            .filter(|id| id.is_cve())
    }

    /// The highest qualitative severity among the record's ratings, if any rating has one.
    pub fn highest_severity(&self) -> Option<Severity> {
        self.ratings
            .iter()
            .filter_map(|rating| rating.severity)
            .max()
    }

    /// Sorts and deduplicates the list fields, and removes the record's own id from its
    /// aliases; readers call it last so that equal input gives equal records.
    pub(crate) fn finish(mut self) -> Record {
        self.aliases.sort();
        self.aliases.dedup();
        self.aliases.retain(|alias| *alias != self.id);
        self.related.sort();
        self.related.dedup();
        self.related
            .retain(|related| *related != self.id && !self.aliases.contains(related));
        self.weaknesses.sort();
        self.weaknesses.dedup();
        // NVD lists a URL once per source that cited it; keep it once with every tag.
        let mut references: Vec<Reference> = Vec::with_capacity(self.references.len());
        // Most records have a handful of references: a linear scan beats hashing them, so
        // the index is built only for long lists.
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for reference in std::mem::take(&mut self.references) {
            if references.len() >= 16 && index.is_empty() {
                for (at, known) in references.iter().enumerate() {
                    index.insert(known.url.clone(), at);
                }
            }
            let known_at = if references.len() < 16 {
                references
                    .iter()
                    .position(|known| known.url == reference.url)
            } else {
                index.get(&reference.url).copied()
            };
            match known_at.and_then(|at| references.get_mut(at)) {
                Some(known) => {
                    for tag in reference.tags {
                        if !known.tags.contains(&tag) {
                            known.tags.push(tag);
                        }
                    }
                    if known.summary.is_none() {
                        known.summary = reference.summary;
                    }
                }
                None => {
                    if references.len() >= 16 {
                        index.insert(reference.url.clone(), references.len());
                    }
                    references.push(reference);
                }
            }
        }
        self.references = references;
        self
    }
}

/// A record the source withdrew (OSV `withdrawn`) or rejected (CVE `REJECTED`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    /// When, if the source says so and the date is valid.
    pub at: Option<Timestamp>,
    /// Why, if the source says so (CVE 5 `rejectedReasons`).
    pub reason: Option<String>,
}

/// The scoring system of a [`Rating`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RatingSystem {
    /// CVSS version 2.0.
    CvssV2,
    /// CVSS version 3.0.
    CvssV30,
    /// CVSS version 3.1.
    CvssV31,
    /// CVSS version 4.0.
    CvssV40,
    /// A qualitative label only (GitHub's `MODERATE`, Bitnami's `Critical`, Red Hat's
    /// `Important`).
    Label,
    /// Another system, by the name the source gives it (OSV `Ubuntu`).
    Other(String),
}

impl RatingSystem {
    /// Whether the system is a CVSS version.
    pub fn is_cvss(&self) -> bool {
        matches!(
            self,
            RatingSystem::CvssV2
                | RatingSystem::CvssV30
                | RatingSystem::CvssV31
                | RatingSystem::CvssV40
        )
    }
}

/// One severity rating of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    /// Who rated (`nvd@nist.gov`, a CNA, `CISA-ADP`, `GHSA`); `None` when the record's
    /// publisher did.
    pub source: Option<String>,
    /// Whether this is the record publisher's own rating (NVD `Primary`, a CVE 5 CNA, an OSV
    /// or CSAF document) rather than a third party's (NVD `Secondary`, a CVE 5 ADP).
    pub primary: bool,
    /// The scoring system.
    pub system: RatingSystem,
    /// The CVSS vector, validated for shape (all base metrics present, known values).
    pub vector: Option<String>,
    /// The base score the source states; not recomputed here.
    pub base_score: Option<f64>,
    /// The qualitative severity: the stated one, else (CVSS v3/v4) derived from the base score.
    pub severity: Option<Severity>,
    /// The label as the source wrote it, when it had one.
    pub label: Option<String>,
    /// For CSAF: the vulnerability of the advisory the score belongs to.
    pub vulnerability: Option<VulnerabilityId>,
    /// For CSAF: the product ids the score applies to (empty: the whole record).
    pub products: Vec<String>,
}

impl Rating {
    /// A rating with only a system; readers fill in the rest.
    pub fn new(system: RatingSystem) -> Rating {
        Rating {
            source: None,
            primary: true,
            system,
            vector: None,
            base_score: None,
            severity: None,
            label: None,
            vulnerability: None,
            products: Vec::new(),
        }
    }
}

/// A link from a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The URL as written.
    pub url: String,
    /// What kind of link it is (OSV `type`, NVD and CVE 5 `tags`, CSAF `category`).
    pub tags: Vec<String>,
    /// A title or summary of the link (CVE 5 `name`, CSAF `summary`).
    pub summary: Option<String>,
}

/// Someone credited in a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// The name.
    pub name: String,
    /// The role (OSV `type` such as `FINDER`, CVE 5 `type` such as `reporter`).
    pub role: Option<String>,
    /// Contact addresses.
    pub contact: Vec<String>,
}

/// A package of an ecosystem that a record says is affected (OSV `affected[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct AffectedPackage {
    /// The package's matching key (ecosystem + normalized name). `None` when the entry names
    /// no package (OSV entries with only `GIT` ranges, such as PSF CPython's).
    pub key: Option<PackageKey>,
    /// The ecosystem as written (`Debian:11`, `PyPI`).
    pub ecosystem: Option<String>,
    /// The release suffix of the ecosystem (`11` of `Debian:11`).
    pub ecosystem_release: Option<String>,
    /// The package name as written.
    pub name: Option<String>,
    /// The package URL, if given and valid.
    pub purl: Option<Purl>,
    /// Version ranges.
    pub ranges: Vec<Range>,
    /// Explicitly enumerated affected versions.
    pub versions: Vec<String>,
    /// Per-package severity ratings (OSV `affected[].severity`, used by Bitnami).
    pub ratings: Vec<Rating>,
    /// CPE names for the package (Bitnami's `database_specific.cpes`).
    pub cpes: Vec<Cpe>,
    /// `ecosystem_specific`, as its original JSON text.
    pub ecosystem_specific: Option<String>,
    /// `database_specific`, as its original JSON text.
    pub database_specific: Option<String>,
}

impl AffectedPackage {
    /// Every version a range says fixes the vulnerability, in range order.
    pub fn fixed_versions(&self) -> impl Iterator<Item = &str> {
        self.ranges.iter().flat_map(|range| {
            range.events.iter().filter_map(|event| match event {
                RangeEvent::Fixed(version) => Some(version.as_str()),
                _ => None,
            })
        })
    }
}

/// How the versions of a [`Range`] compare.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeKind {
    /// Semantic versioning 2.0.
    Semver,
    /// The ecosystem's own version ordering.
    Ecosystem,
    /// Git commits of [`Range::repo`].
    Git,
    /// Another kind, as written.
    Other(String),
}

/// A version range: a list of events in order (OSV `ranges[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// How versions compare.
    pub kind: RangeKind,
    /// The repository, for `GIT` ranges.
    pub repo: Option<String>,
    /// The events, in the order written.
    pub events: Vec<RangeEvent>,
    /// `database_specific`, as its original JSON text.
    pub database_specific: Option<String>,
}

/// One event of a [`Range`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeEvent {
    /// Versions from here on are affected (`0` means from the beginning).
    Introduced(String),
    /// Versions from here on are not affected.
    Fixed(String),
    /// This version and earlier ones (since the last introduced) are affected.
    LastAffected(String),
    /// An upper limit for the range (versions from here on are out of it).
    Limit(String),
}

/// A boolean operator of an NVD configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// Every child must match.
    And,
    /// One child must match.
    Or,
}

/// One NVD applicability configuration: its nodes combined by [`Configuration::operator`].
///
/// A typical `AND` configuration reads "a vulnerable firmware CPE *and* a (not vulnerable)
/// hardware CPE"; a device matches when every node matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// How the nodes combine (`OR` when the source does not say).
    pub operator: Operator,
    /// Whether the result is negated.
    pub negate: bool,
    /// The nodes.
    pub nodes: Vec<Node>,
}

/// A node of an NVD configuration: CPE matches (and, in the 1.1 feed, child nodes) combined by
/// an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// How the matches and children combine.
    pub operator: Operator,
    /// Whether the result is negated.
    pub negate: bool,
    /// The CPE matches.
    pub matches: Vec<CpeMatch>,
    /// Child nodes (NVD 1.1 `children`; empty in API 2.0).
    pub children: Vec<Node>,
}

/// One CPE match criterion of an NVD node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpeMatch {
    /// Whether a match means "vulnerable" (`false`: the CPE only sets the context, such as
    /// the hardware a firmware runs on).
    pub vulnerable: bool,
    /// The CPE criterion; its version may be `*` with a range in the bounds below.
    pub criteria: Cpe,
    /// The lower version bound.
    pub version_start: Option<VersionBound>,
    /// The upper version bound.
    pub version_end: Option<VersionBound>,
    /// NVD's id of the criterion.
    pub match_criteria_id: Option<String>,
}

/// A version bound of a CPE match.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VersionBound {
    /// The bound's version is inside the range.
    Including(String),
    /// The bound's version is outside the range.
    Excluding(String),
}

/// Who stated a CVE 5 `affected` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Container {
    /// The CVE Numbering Authority that published the CVE.
    Cna,
    /// An Authorized Data Publisher, by its short name or title (`CISA-ADP`).
    Adp(String),
    /// The NVD copy of a CNA's `affected` data, by its source.
    Nvd(String),
}

/// The status of a CVE 5 version statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VersionStatus {
    /// The versions are affected.
    Affected,
    /// The versions are not affected.
    Unaffected,
    /// Nobody knows.
    Unknown,
    /// Anything else, as written.
    Other(String),
}

impl VersionStatus {
    pub(crate) fn parse(raw: &str) -> VersionStatus {
        match raw.trim().to_ascii_lowercase().as_str() {
            "affected" => VersionStatus::Affected,
            "unaffected" => VersionStatus::Unaffected,
            "unknown" => VersionStatus::Unknown,
            _ => VersionStatus::Other(raw.to_string()),
        }
    }
}

/// A vendor product a CVE 5 record says is affected.
#[derive(Debug, Clone, PartialEq)]
pub struct AffectedProduct {
    /// Who said so.
    pub container: Container,
    /// The vendor.
    pub vendor: Option<String>,
    /// The product.
    pub product: Option<String>,
    /// A package name (with [`AffectedProduct::collection_url`]).
    pub package_name: Option<String>,
    /// The package collection (`https://pypi.org`, `https://wordpress.org/plugins`).
    pub collection_url: Option<String>,
    /// The package's matching key, when the collection is a registry aftercare knows.
    pub key: Option<PackageKey>,
    /// The source repository.
    pub repo: Option<String>,
    /// CPE names.
    pub cpes: Vec<Cpe>,
    /// Platforms.
    pub platforms: Vec<String>,
    /// Version statements.
    pub versions: Vec<VersionStatement>,
    /// The status of versions no statement covers.
    pub default_status: Option<VersionStatus>,
}

/// A CVE 5 version statement: one version, or a range from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionStatement {
    /// The version (the start of the range when a bound is given).
    pub version: String,
    /// The range's exclusive upper bound.
    pub less_than: Option<String>,
    /// The range's inclusive upper bound.
    pub less_than_or_equal: Option<String>,
    /// The status of the version or range.
    pub status: VersionStatus,
    /// The version scheme (`semver`, `git`, `custom` …).
    pub version_type: Option<String>,
    /// Status changes inside the range.
    pub changes: Vec<VersionChange>,
}

/// A status change inside a CVE 5 version range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionChange {
    /// From this version on …
    pub at: String,
    /// … the status is this one.
    pub status: VersionStatus,
}

/// A CISA SSVC decision (Stakeholder-Specific Vulnerability Categorization).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssvc {
    /// Who decided (`CISA Coordinator`).
    pub role: Option<String>,
    /// `none`, `poc` or `active`.
    pub exploitation: Option<String>,
    /// `yes` or `no`.
    pub automatable: Option<String>,
    /// `partial` or `total`.
    pub technical_impact: Option<String>,
    /// When.
    pub timestamp: Option<Timestamp>,
}

/// A record's own statement that the CVE is in CISA's KEV catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevMark {
    /// When CISA added it.
    pub date_added: Option<Date>,
    /// The remediation due date for US federal agencies.
    pub due_date: Option<Date>,
    /// The required action.
    pub required_action: Option<String>,
    /// CISA's name for the vulnerability.
    pub name: Option<String>,
    /// A link to the catalog entry.
    pub reference: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(urls: &[&str], expected: &[(&str, &[&str])]) {
        let mut record = Record::new(Source::Nvd, "CVE-2021-0001".parse().unwrap());
        record.references = urls
            .iter()
            .enumerate()
            .map(|(at, url)| Reference {
                url: url.to_string(),
                tags: vec![format!("t{at}")],
                summary: None,
            })
            .collect();
        let record = record.finish();
        let found: Vec<(&str, Vec<&str>)> = record
            .references
            .iter()
            .map(|r| (r.url.as_str(), r.tags.iter().map(String::as_str).collect()))
            .collect();
        let expected: Vec<(&str, Vec<&str>)> = expected
            .iter()
            .map(|(url, tags)| (*url, tags.to_vec()))
            .collect();
        assert_eq!(found, expected, "{urls:?}");
    }

    #[test]
    fn references_are_kept_once_with_every_tag() {
        check(&["a", "b", "a"], &[("a", &["t0", "t2"]), ("b", &["t1"])]);
        // Past sixteen distinct URLs the index takes over; the result is the same.
        let many: Vec<String> = (0..20).map(|n| format!("u{n}")).collect();
        let mut urls: Vec<&str> = many.iter().map(String::as_str).collect();
        urls.push("u3");
        urls.push("u19");
        let mut expected: Vec<(&str, Vec<String>)> = many
            .iter()
            .enumerate()
            .map(|(n, url)| (url.as_str(), vec![format!("t{n}")]))
            .collect();
        expected[3].1.push("t20".into());
        expected[19].1.push("t21".into());
        let expected: Vec<(&str, Vec<&str>)> = expected
            .iter()
            .map(|(url, tags)| (*url, tags.iter().map(String::as_str).collect()))
            .collect();
        let expected: Vec<(&str, &[&str])> = expected
            .iter()
            .map(|(url, tags)| (*url, tags.as_slice()))
            .collect();
        check(&urls, &expected);
    }
}
