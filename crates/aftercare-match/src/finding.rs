//! Matching components against an [`Index`]: the reasons each record gives, and findings —
//! exactly one per (component, vulnerability), each matching record adding a reason.
//!
//! [`Index::reasons`] is the record-level answer for one component (what the workspace layer
//! stores and re-matches incrementally); [`Index::scan`] aggregates it into [`Finding`]s with
//! the vulnerability's severity and the fixed versions to upgrade to, plus the supplier
//! statements that are not findings ([`Statement`]) and what could not be compared
//! ([`Skipped`]) — a version that cannot be compared is never silently a non-finding.

use std::collections::{BTreeMap, HashSet};

use aftercare_intel::csaf::ProductStatus;
use aftercare_model::{Cpe, Severity, VulnerabilityId};
use aftercare_version::Scheme;

use crate::component::{Component, ReleaseFit, VersionCache};
use crate::csaf::{CsafStatement, Helper};
use crate::index::{Index, RecordKey};
use crate::nvd::CpeKey;
use crate::nvd::{Candidate, CriterionHit};
use crate::osv::RangeType;
use crate::severity::Assessment;

/// How sure a reason is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Confidence {
    /// Weakest: a CVE 5 version statement (free-form CNA data), or a CPE version compared
    /// under the generic scheme or borrowed from the component.
    Low,
    /// An assumption was needed: the purl names no distribution release while the record is
    /// per release; a CPE match; a CSAF statement about a product stream (purl without
    /// version) or by CPE.
    Medium,
    /// The package named exactly (purl → package key) and the version decided by the
    /// ecosystem's order or an exact listed version; a CSAF statement naming the component's
    /// versioned purl or file hash.
    High,
}

impl Confidence {
    /// `high`, `medium` or `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// What matched, by kind of record data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched {
    /// The version lies in an OSV range.
    Range {
        /// The position of the entry in the record's `affected[]`.
        affected: u32,
        /// The package as the record names it (`Maven` / `org.postgresql:postgresql`).
        ecosystem: String,
        /// The package name as written.
        package: String,
        /// The position of the range in the record's `affected[]` entry.
        range: u32,
        /// SEMVER or ECOSYSTEM.
        kind: RangeType,
        /// The `introduced` that opened the interval (`0`: from the beginning).
        introduced: String,
        /// The `fixed` that closes it.
        fixed: Option<String>,
        /// The `last_affected` that closes it.
        last_affected: Option<String>,
    },
    /// The version is listed in an OSV entry's `versions`.
    Listed {
        /// The position of the entry in the record's `affected[]`.
        affected: u32,
        /// The ecosystem as written.
        ecosystem: String,
        /// The package name as written.
        package: String,
        /// The listed version that matched.
        listed: String,
    },
    /// A CPE criterion of an NVD configuration.
    Cpe {
        /// The position of the configuration in the record.
        configuration: u32,
        /// The criterion.
        criterion: String,
        /// The component CPE it matched.
        matched: String,
        /// The criterion's version bounds, as text.
        bounds: Option<String>,
        /// The scheme versions were compared in, if they were.
        scheme: Option<Scheme>,
    },
    /// A CSAF product status.
    Csaf {
        /// The product id.
        product: String,
        /// The product's full name.
        product_name: String,
        /// The status (an affected one).
        status: ProductStatus,
        /// The helper that named the component.
        helper: Helper,
    },
    /// A CVE 5 affected product.
    Cve5 {
        /// Who stated it and what: `vendor / product` or the package.
        product: String,
        /// The version statement that decided.
        statement: String,
        /// The CPE that found it, when found by CPE.
        cpe: Option<String>,
    },
}

/// Why a record matched a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The record.
    pub record: RecordKey,
    /// For a CSAF statement: the vulnerability of the advisory it is about.
    pub about: Option<VulnerabilityId>,
    /// What matched.
    pub matched: Matched,
    /// The component version that matched.
    pub version: Option<String>,
    /// The versions that fix it for this component: the smallest fixed version above the
    /// component's version in the matching range (none after a `last_affected`).
    pub fixed: Vec<String>,
    /// How sure the reason is.
    pub confidence: Confidence,
}

impl Reason {
    /// The kind of match: `range`, `versions`, `cpe`, `csaf` or `cve5`.
    pub fn kind(&self) -> &'static str {
        match self.matched {
            Matched::Range { .. } => "range",
            Matched::Listed { .. } => "versions",
            Matched::Cpe { .. } => "cpe",
            Matched::Csaf { .. } => "csaf",
            Matched::Cve5 { .. } => "cve5",
        }
    }

    /// The reason in words, naming the record and the part of it that matched:
    /// `GHSA-… affected[0].ranges[0] ECOSYSTEM introduced 0, fixed 1.2.6`.
    pub fn describe(&self) -> String {
        let record = &self.record.id;
        match &self.matched {
            Matched::Range {
                affected,
                range,
                kind,
                introduced,
                fixed,
                last_affected,
                ..
            } => {
                let end = match (fixed, last_affected) {
                    (Some(fixed), _) => format!(", fixed {fixed}"),
                    (None, Some(last)) => format!(", last affected {last}"),
                    _ => String::new(),
                };
                format!(
                    "{record} affected[{affected}].ranges[{range}] {} introduced {introduced}{end}",
                    kind.as_str()
                )
            }
            Matched::Listed {
                affected, listed, ..
            } => format!("{record} affected[{affected}].versions lists {listed}"),
            Matched::Cpe {
                configuration,
                criterion,
                bounds,
                ..
            } => format!(
                "{record} configuration {configuration}: {criterion}{}",
                bounds
                    .as_deref()
                    .map(|b| format!(" {b}"))
                    .unwrap_or_default()
            ),
            Matched::Csaf {
                product, status, ..
            } => format!("{record} {} {product}", status.as_str()),
            Matched::Cve5 {
                product, statement, ..
            } => format!("{record} {product}: {statement}"),
        }
    }
}

/// A supplier's statement about a component that is not a finding: `fixed`,
/// `known_not_affected`, `under_investigation`, `recommended` (VEX information).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The CSAF record.
    pub record: RecordKey,
    /// The vulnerability of the advisory it is about.
    pub about: Option<VulnerabilityId>,
    /// The status.
    pub status: ProductStatus,
    /// The product id.
    pub product: String,
    /// The product's full name.
    pub product_name: String,
    /// The helper that named the component.
    pub helper: Helper,
    /// The VEX justification flag, for `known_not_affected`.
    pub justification: Option<String>,
}

/// Why a record could not be evaluated for a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The component has no version.
    NoVersion,
    /// The component's version does not parse in the scheme the record's ranges need.
    Unparsed {
        /// The version.
        version: String,
        /// The scheme.
        scheme: Scheme,
    },
}

/// A record of the component's package that could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The record.
    pub record: RecordKey,
    /// Why.
    pub reason: SkipReason,
}

/// What one component matched, record by record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reasons {
    /// Each matching record's reasons.
    pub reasons: Vec<Reason>,
    /// Supplier statements that are not findings.
    pub statements: Vec<Statement>,
    /// Records of the component's package that could not be evaluated.
    pub skipped: Vec<Skipped>,
}

/// A vulnerability matched to a component.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The component's position in the slice given to [`Index::scan`].
    pub component: usize,
    /// The vulnerability's canonical id.
    pub vulnerability: VulnerabilityId,
    /// Its other ids.
    pub aliases: Vec<VulnerabilityId>,
    /// Its severity and where it comes from.
    pub severity: Assessment,
    /// Whether a record says it is in CISA's KEV catalog.
    pub kev: bool,
    /// Its summary.
    pub summary: Option<String>,
    /// The versions to upgrade to: the union of the reasons' fixed versions, ascending in the
    /// component's scheme.
    pub fixed_versions: Vec<String>,
    /// Why it matched: one or more reasons per matching record.
    pub reasons: Vec<Reason>,
    /// The highest confidence among the reasons.
    pub confidence: Confidence,
}

/// The result of matching a list of components.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    /// Findings, by component position then vulnerability id.
    pub findings: Vec<Finding>,
    /// Supplier statements that are not findings, with the component position.
    pub statements: Vec<(usize, Statement)>,
    /// What could not be compared, with the component position.
    pub skipped: Vec<(usize, Skipped)>,
}

impl Scan {
    /// The findings of one severity.
    pub fn with_severity(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(move |finding| finding.severity.severity == severity)
    }
}

impl Index {
    /// The reasons every record gives for a component. `platform` is every CPE of the same
    /// SBOM (release): NVD "running on" configurations may find their platform there.
    pub fn reasons(&self, component: &Component, platform: &[Cpe]) -> Reasons {
        let mut out = Reasons::default();
        self.collect(component, platform, None, &mut out);
        out
    }

    /// The reasons one record gives for a component (re-checking one finding).
    pub fn reasons_of_record(
        &self,
        record: &RecordKey,
        component: &Component,
        platform: &[Cpe],
    ) -> Reasons {
        let mut out = Reasons::default();
        if let Some(slot) = self.slot_of(record) {
            let only: HashSet<u32> = std::iter::once(slot).collect();
            self.collect(component, platform, Some(&only), &mut out);
        }
        out
    }

    /// [`Index::reasons`], restricted to some records (the incremental re-match).
    pub(crate) fn collect(
        &self,
        component: &Component,
        platform: &[Cpe],
        only: Option<&HashSet<u32>>,
        out: &mut Reasons,
    ) {
        let wanted = |slot: u32| only.is_none_or(|only| only.contains(&slot));
        let mut version = VersionCache::new(component.effective_version());
        let package_key = component.package_key();
        if let Some(key) = &package_key {
            self.collect_osv(component, key, &mut version, &wanted, out);
            self.collect_cve5_packages(component, key, &mut version, &wanted, out);
        }
        if !component.cpes.is_empty() {
            self.collect_nvd(component, platform, &wanted, out);
            self.collect_cve5_cpes(component, &wanted, out);
        }
        self.collect_csaf(component, &wanted, out);
    }

    fn collect_osv(
        &self,
        component: &Component,
        key: &aftercare_model::PackageKey,
        version: &mut VersionCache<'_>,
        wanted: &dyn Fn(u32) -> bool,
        out: &mut Reasons,
    ) {
        let Some(package) = self.packages.get(key) else {
            return;
        };
        // The listed versions equal to the component's, looked up once for the package.
        let mut equal: Option<(aftercare_version::Scheme, Vec<u32>)> = None;
        for (slot, entry) in &package.entries {
            if !wanted(*slot) {
                continue;
            }
            let Some(info) = self.info(*slot) else {
                continue;
            };
            let fit = entry.release_fit(component.purl.as_ref());
            if fit == ReleaseFit::Different {
                continue;
            }
            if equal
                .as_ref()
                .is_none_or(|(scheme, _)| *scheme != entry.scheme)
            {
                let ids = version
                    .get(entry.scheme)
                    .map(|parsed| package.versions.equal(parsed))
                    .unwrap_or_default();
                equal = Some((entry.scheme, ids));
            }
            let ids = equal.as_ref().map(|(_, ids)| ids.as_slice()).unwrap_or(&[]);
            let evaluation = entry.evaluate(version, ids);
            if evaluation.no_version {
                push_skip(out, &info.key, SkipReason::NoVersion);
                continue;
            }
            let confidence = if fit == ReleaseFit::Unknown {
                Confidence::Medium
            } else {
                Confidence::High
            };
            let stored = &entry.stored;
            for hit in &evaluation.ranges {
                out.reasons.push(Reason {
                    record: info.key.clone(),
                    about: None,
                    matched: Matched::Range {
                        affected: stored.affected,
                        ecosystem: stored.ecosystem.clone(),
                        package: stored.name.clone(),
                        range: hit.position,
                        kind: hit.kind,
                        introduced: hit.introduced.clone(),
                        fixed: hit.fixed.clone(),
                        last_affected: hit.last_affected.clone(),
                    },
                    version: version.text().map(str::to_string),
                    fixed: hit.fixed.iter().cloned().collect(),
                    confidence,
                });
            }
            if evaluation.ranges.is_empty()
                && let Some(listed) = &evaluation.listed
            {
                out.reasons.push(Reason {
                    record: info.key.clone(),
                    about: None,
                    matched: Matched::Listed {
                        affected: stored.affected,
                        ecosystem: stored.ecosystem.clone(),
                        package: stored.name.clone(),
                        listed: listed.clone(),
                    },
                    version: version.text().map(str::to_string),
                    fixed: Vec::new(),
                    confidence,
                });
            }
            if !evaluation.is_affected() {
                for scheme in &evaluation.unparsed {
                    push_skip(
                        out,
                        &info.key,
                        SkipReason::Unparsed {
                            version: version.text().unwrap_or_default().to_string(),
                            scheme: *scheme,
                        },
                    );
                }
            }
        }
    }

    fn collect_nvd(
        &self,
        component: &Component,
        platform: &[Cpe],
        wanted: &dyn Fn(u32) -> bool,
        out: &mut Reasons,
    ) {
        let scheme = component.scheme();
        let component_version = component.effective_version();
        let own: Vec<Candidate<'_>> = component
            .cpes
            .iter()
            .map(|cpe| Candidate {
                cpe,
                version: cpe_version(cpe).or(component_version),
                scheme,
            })
            .collect();
        let others: Vec<Candidate<'_>> = platform
            .iter()
            .filter(|cpe| !component.cpes.contains(cpe))
            .map(|cpe| Candidate {
                cpe,
                version: cpe_version(cpe),
                scheme: None,
            })
            .collect();
        let mut seen: HashSet<(u32, u32)> = HashSet::new();
        let mut keys: Vec<CpeKey> = component
            .cpes
            .iter()
            .map(crate::nvd::cpe_key)
            .filter(Option::is_some)
            .collect();
        keys.push(None);
        for key in keys {
            let Some(configurations) = self.configurations.get(&key) else {
                continue;
            };
            for stored in configurations {
                if !wanted(stored.record) || !seen.insert((stored.record, stored.position)) {
                    continue;
                }
                let Some(info) = self.info(stored.record) else {
                    continue;
                };
                let Some(hits) = crate::nvd::evaluate(&stored.configuration, &own, &others) else {
                    continue;
                };
                for hit in hits {
                    let confidence = cpe_confidence(&hit, component);
                    let CriterionHit {
                        criterion,
                        matched,
                        bounds,
                        version,
                        scheme,
                        fixed,
                    } = hit;
                    out.reasons.push(Reason {
                        record: info.key.clone(),
                        about: None,
                        matched: Matched::Cpe {
                            configuration: stored.position,
                            criterion,
                            matched,
                            bounds,
                            scheme,
                        },
                        version,
                        fixed: fixed.into_iter().collect(),
                        confidence,
                    });
                }
            }
        }
    }

    fn collect_csaf(&self, component: &Component, wanted: &dyn Fn(u32) -> bool, out: &mut Reasons) {
        use crate::csaf::CsafKey;
        let mut keys: Vec<CsafKey> = Vec::new();
        if let Some(purl) = &component.purl {
            keys.push(crate::csaf::purl_key(purl));
        }
        if !component.cpes.is_empty() {
            for cpe in &component.cpes {
                let key = CsafKey::Cpe(crate::nvd::cpe_key(cpe));
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            keys.push(CsafKey::Cpe(None));
        }
        for hash in &component.hashes {
            keys.push(CsafKey::Hash(hash.algorithm.clone(), hash.value.clone()));
        }
        // Every statement that names the component, then the most specific per (record,
        // vulnerability): an exact statement (versioned purl, hash) outranks a product-stream
        // one (purl without version, CPE) — Red Hat says `known_affected` for RHEL 7's gnutls
        // by `pkg:rpm/redhat/gnutls?arch=src` and `fixed` for RHEL 8's exact build.
        let mut named: Vec<(u32, &CsafStatement)> = Vec::new();
        for key in keys {
            let Some(statements) = self.csaf.get(&key) else {
                continue;
            };
            for (slot, statement) in statements {
                if wanted(*slot) && statement.names(component) {
                    named.push((*slot, statement));
                }
            }
        }
        let exact = |statement: &CsafStatement| match &statement.helper {
            Helper::Purl(purl) => purl.version().is_some(),
            Helper::Hash(_) => true,
            Helper::Cpe(_) => false,
        };
        let has_exact: HashSet<(u32, Option<&VulnerabilityId>)> = named
            .iter()
            .filter(|(_, statement)| exact(statement))
            .map(|(slot, statement)| (*slot, statement.vulnerability.as_ref()))
            .collect();
        for (slot, statement) in named {
            if !exact(statement) && has_exact.contains(&(slot, statement.vulnerability.as_ref())) {
                continue;
            }
            let Some(info) = self.info(slot) else {
                continue;
            };
            if statement.status.is_affected() {
                let confidence = if exact(statement) {
                    Confidence::High
                } else {
                    Confidence::Medium
                };
                out.reasons.push(Reason {
                    record: info.key.clone(),
                    about: statement.vulnerability.clone(),
                    matched: Matched::Csaf {
                        product: statement.product.clone(),
                        product_name: statement.product_name.clone(),
                        status: statement.status,
                        helper: statement.helper.clone(),
                    },
                    version: component.effective_version().map(str::to_string),
                    fixed: Vec::new(),
                    confidence,
                });
            } else {
                out.statements.push(Statement {
                    record: info.key.clone(),
                    about: statement.vulnerability.clone(),
                    status: statement.status,
                    product: statement.product.clone(),
                    product_name: statement.product_name.clone(),
                    helper: statement.helper.clone(),
                    justification: statement.justification.clone(),
                });
            }
        }
    }

    fn collect_cve5_packages(
        &self,
        component: &Component,
        key: &aftercare_model::PackageKey,
        version: &mut VersionCache<'_>,
        wanted: &dyn Fn(u32) -> bool,
        out: &mut Reasons,
    ) {
        let Some(products) = self.cve5_packages.get(key) else {
            return;
        };
        let Some(text) = version.text() else {
            return;
        };
        let fallback = component.scheme().unwrap_or(Scheme::Generic);
        for stored in products {
            if !wanted(stored.record) {
                continue;
            }
            let Some(info) = self.info(stored.record) else {
                continue;
            };
            if let Some(hit) = crate::cve5::evaluate(&stored.product, text, fallback) {
                out.reasons.push(Reason {
                    record: info.key.clone(),
                    about: None,
                    matched: Matched::Cve5 {
                        product: product_label(&stored.product),
                        statement: hit.statement,
                        cpe: None,
                    },
                    version: Some(text.to_string()),
                    fixed: hit.fixed.into_iter().collect(),
                    confidence: Confidence::Low,
                });
            }
        }
    }

    fn collect_cve5_cpes(
        &self,
        component: &Component,
        wanted: &dyn Fn(u32) -> bool,
        out: &mut Reasons,
    ) {
        let mut seen: HashSet<(u32, u32)> = HashSet::new();
        let fallback = component.scheme().unwrap_or(Scheme::Generic);
        let mut keys: Vec<CpeKey> = component
            .cpes
            .iter()
            .map(crate::nvd::cpe_key)
            .filter(Option::is_some)
            .collect();
        keys.push(None);
        for key in keys {
            let Some(products) = self.cve5_cpes.get(&key) else {
                continue;
            };
            for stored in products {
                if !wanted(stored.record) || !seen.insert((stored.record, stored.position)) {
                    continue;
                }
                let Some(info) = self.info(stored.record) else {
                    continue;
                };
                for own in &component.cpes {
                    let Some(product_cpe) = stored
                        .product
                        .cpes
                        .iter()
                        .find(|cpe| crate::cpe::matches_except_version(cpe, own))
                    else {
                        continue;
                    };
                    let Some(text) = cpe_version(own).or(component.effective_version()) else {
                        continue;
                    };
                    if let Some(hit) = crate::cve5::evaluate(&stored.product, text, fallback) {
                        out.reasons.push(Reason {
                            record: info.key.clone(),
                            about: None,
                            matched: Matched::Cve5 {
                                product: product_label(&stored.product),
                                statement: hit.statement,
                                cpe: Some(product_cpe.to_string()),
                            },
                            version: Some(text.to_string()),
                            fixed: hit.fixed.into_iter().collect(),
                            confidence: Confidence::Low,
                        });
                        break;
                    }
                }
            }
        }
    }

    /// Matches components and aggregates the reasons into findings: one per (component,
    /// vulnerability). `platform` is every CPE of the SBOM.
    pub fn scan(&self, components: &[Component], platform: &[Cpe]) -> Scan {
        let mut scan = Scan::default();
        for (position, component) in components.iter().enumerate() {
            let reasons = self.reasons(component, platform);
            self.aggregate(position, component, reasons, &mut scan);
        }
        scan
    }

    /// Turns one component's reasons into findings.
    pub fn aggregate(
        &self,
        position: usize,
        component: &Component,
        reasons: Reasons,
        scan: &mut Scan,
    ) {
        let mut by_vulnerability: BTreeMap<VulnerabilityId, Vec<Reason>> = BTreeMap::new();
        for reason in reasons.reasons {
            let Some(info) = self.record(&reason.record) else {
                continue;
            };
            // A reason is nearly always about one vulnerability: moved there, cloned only
            // for the others.
            let mut vulnerabilities = self.vulnerabilities_for(info, reason.about.as_ref());
            let Some(last) = vulnerabilities.pop() else {
                continue;
            };
            for vulnerability in vulnerabilities {
                by_vulnerability
                    .entry(vulnerability)
                    .or_default()
                    .push(reason.clone());
            }
            by_vulnerability.entry(last).or_default().push(reason);
        }
        let scheme = component.scheme();
        for (id, reasons) in by_vulnerability {
            let Some(vulnerability) = self.vulnerability(&id) else {
                continue;
            };
            let confidence = reasons
                .iter()
                .map(|reason| reason.confidence)
                .max()
                .unwrap_or(Confidence::Low);
            scan.findings.push(Finding {
                component: position,
                vulnerability: id,
                aliases: vulnerability.aliases.clone(),
                severity: vulnerability.severity.clone(),
                kev: vulnerability.kev,
                summary: vulnerability.summary.clone(),
                fixed_versions: fixed_versions(&reasons, scheme),
                reasons,
                confidence,
            });
        }
        scan.statements.extend(
            reasons
                .statements
                .into_iter()
                .map(|statement| (position, statement)),
        );
        scan.skipped.extend(
            reasons
                .skipped
                .into_iter()
                .map(|skipped| (position, skipped)),
        );
    }
}

fn push_skip(out: &mut Reasons, record: &RecordKey, reason: SkipReason) {
    let skipped = Skipped {
        record: record.clone(),
        reason,
    };
    if !out.skipped.contains(&skipped) {
        out.skipped.push(skipped);
    }
}

/// The version attribute of a CPE, unescaped, when it is a concrete value.
fn cpe_version(cpe: &Cpe) -> Option<&str> {
    match &cpe.version {
        aftercare_model::CpeValue::Value(text) if !text.contains('\\') => Some(text),
        _ => None,
    }
}

fn cpe_confidence(hit: &CriterionHit, component: &Component) -> Confidence {
    let borrowed = component
        .cpes
        .iter()
        .any(|cpe| cpe.to_string() == hit.matched && cpe_version(cpe).is_none());
    match hit.scheme {
        Some(Scheme::Generic) => Confidence::Low,
        _ if borrowed && hit.version.is_some() => Confidence::Low,
        _ => Confidence::Medium,
    }
}

fn product_label(product: &aftercare_intel::record::AffectedProduct) -> String {
    if let Some(key) = &product.key {
        return key.to_string();
    }
    match (&product.vendor, &product.product) {
        (Some(vendor), Some(name)) => format!("{vendor} / {name}"),
        (None, Some(name)) => name.clone(),
        (Some(vendor), None) => vendor.clone(),
        (None, None) => product.package_name.clone().unwrap_or_default(),
    }
}

/// The union of the reasons' fixed versions, ascending in the component's scheme (text order
/// for versions that do not parse, after the others).
fn fixed_versions(reasons: &[Reason], scheme: Option<Scheme>) -> Vec<String> {
    let mut texts: Vec<&String> = reasons.iter().flat_map(|reason| &reason.fixed).collect();
    texts.sort();
    texts.dedup();
    let scheme = scheme.unwrap_or(Scheme::Generic);
    let mut parsed: Vec<(Option<aftercare_version::Version>, &String)> = texts
        .into_iter()
        .map(|text| (aftercare_version::parse(scheme, text).ok(), text))
        .collect();
    parsed.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y).then_with(|| a.1.cmp(b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(b.1),
    });
    let mut out: Vec<String> = Vec::with_capacity(parsed.len());
    let mut last: Option<aftercare_version::Version> = None;
    for (version, text) in parsed {
        if let (Some(version), Some(previous)) = (&version, &last)
            && version == previous
        {
            continue;
        }
        if version.is_some() {
            last = version;
        }
        out.push(text.clone());
    }
    out
}
