//! CSAF 2.0 advisories (including the VEX profile), and the documents a sync uses to find
//! them: provider metadata and aggregators ([`provider`]); ROLIE feeds are in
//! [`crate::rolie`].
//!
//! One advisory is one [`Record`] whose id is `document.tracking.id` and whose aliases are
//! the CVEs of its vulnerabilities (plus ids of known databases in `ids`), so the alias merge
//! attaches it to each of those CVEs. The product tree is resolved once: every product id —
//! from branches, `full_product_names` and relationships — maps to a [`Product`] with its
//! identification helpers (purl, CPE, file hashes, model and serial numbers, SKUs, generic
//! URIs). A relationship product (`default_component_of` …) carries the helpers of its
//! component, because that is what an SBOM lists, and names its platform.

pub mod provider;

use std::collections::{BTreeMap, BTreeSet};

use aftercare_model::VulnerabilityId;
use serde::Deserialize;

use crate::date::timestamp_field;
use crate::field::{self, CvssInput, nullable};
use crate::record::{Rating, RatingSystem, Record, Reference, Source};
use crate::warning::{WarningKind, Warnings};

// The types an advisory is read into live apart from this reader, so that the general
// record can hold them without knowing the format; they are named here, with the reader.
pub use crate::advisory::{
    Advisory, AdvisoryVulnerability, Branch, FileHash, Flag, GenericUri, Identification,
    Involvement, Note, Product, ProductStatus, Publisher, Relationship, Remediation,
    RemediationCategory, Revision, SystemId, Threat, Tracking,
};

// ---------------------------------------------------------------------------------------
// Raw shapes.

#[derive(Deserialize)]
struct Raw {
    document: RawDocument,
    #[serde(default, deserialize_with = "nullable")]
    product_tree: RawProductTree,
    #[serde(default, deserialize_with = "nullable")]
    vulnerabilities: Vec<RawVulnerability>,
}

#[derive(Deserialize)]
struct RawDocument {
    category: Option<String>,
    csaf_version: Option<String>,
    title: Option<String>,
    lang: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    publisher: RawPublisher,
    tracking: Option<RawTracking>,
    #[serde(default, deserialize_with = "nullable")]
    notes: Vec<RawNote>,
    #[serde(default, deserialize_with = "nullable")]
    references: Vec<RawReference>,
    aggregate_severity: Option<RawAggregateSeverity>,
    distribution: Option<RawDistribution>,
}

#[derive(Deserialize, Default)]
struct RawPublisher {
    category: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    contact_details: Option<String>,
    issuing_authority: Option<String>,
}

#[derive(Deserialize)]
struct RawTracking {
    id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    aliases: Vec<String>,
    version: Option<String>,
    status: Option<String>,
    initial_release_date: Option<String>,
    current_release_date: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    revision_history: Vec<RawRevision>,
}

#[derive(Deserialize)]
struct RawRevision {
    date: Option<String>,
    number: Option<String>,
    summary: Option<String>,
}

#[derive(Deserialize)]
struct RawNote {
    category: Option<String>,
    title: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct RawReference {
    category: Option<String>,
    summary: Option<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawAggregateSeverity {
    text: Option<String>,
}

#[derive(Deserialize)]
struct RawDistribution {
    tlp: Option<RawTlp>,
}

#[derive(Deserialize)]
struct RawTlp {
    label: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawProductTree {
    #[serde(default, deserialize_with = "nullable")]
    branches: Vec<RawBranch>,
    #[serde(default, deserialize_with = "nullable")]
    full_product_names: Vec<RawFullProductName>,
    #[serde(default, deserialize_with = "nullable")]
    relationships: Vec<RawRelationship>,
    #[serde(default, deserialize_with = "nullable")]
    product_groups: Vec<RawProductGroup>,
}

#[derive(Deserialize)]
struct RawBranch {
    category: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    branches: Vec<RawBranch>,
    product: Option<RawFullProductName>,
}

#[derive(Deserialize)]
struct RawFullProductName {
    name: Option<String>,
    product_id: Option<String>,
    product_identification_helper: Option<RawHelper>,
}

#[derive(Deserialize)]
struct RawHelper {
    cpe: Option<String>,
    purl: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    hashes: Vec<RawHashes>,
    #[serde(default, deserialize_with = "nullable")]
    model_numbers: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    serial_numbers: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    skus: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    x_generic_uris: Vec<RawGenericUri>,
    #[serde(default, deserialize_with = "nullable")]
    sbom_urls: Vec<String>,
}

#[derive(Deserialize)]
struct RawHashes {
    filename: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    file_hashes: Vec<RawFileHash>,
}

#[derive(Deserialize)]
struct RawFileHash {
    algorithm: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
struct RawGenericUri {
    namespace: Option<String>,
    uri: Option<String>,
}

#[derive(Deserialize)]
struct RawRelationship {
    category: Option<String>,
    full_product_name: Option<RawFullProductName>,
    product_reference: Option<String>,
    relates_to_product_reference: Option<String>,
}

#[derive(Deserialize)]
struct RawProductGroup {
    group_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    product_ids: Vec<String>,
}

#[derive(Deserialize)]
struct RawVulnerability {
    cve: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    ids: Vec<RawSystemId>,
    title: Option<String>,
    cwe: Option<RawCwe>,
    #[serde(default, deserialize_with = "nullable")]
    notes: Vec<RawNote>,
    discovery_date: Option<String>,
    release_date: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    product_status: BTreeMap<String, Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    flags: Vec<RawFlag>,
    #[serde(default, deserialize_with = "nullable")]
    threats: Vec<RawThreat>,
    #[serde(default, deserialize_with = "nullable")]
    remediations: Vec<RawRemediation>,
    #[serde(default, deserialize_with = "nullable")]
    scores: Vec<RawScore>,
    #[serde(default, deserialize_with = "nullable")]
    involvements: Vec<RawInvolvement>,
    #[serde(default, deserialize_with = "nullable")]
    references: Vec<RawReference>,
}

#[derive(Deserialize)]
struct RawSystemId {
    system_name: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct RawCwe {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawFlag {
    label: Option<String>,
    date: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    product_ids: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    group_ids: Vec<String>,
}

#[derive(Deserialize)]
struct RawThreat {
    category: Option<String>,
    details: Option<String>,
    date: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    product_ids: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    group_ids: Vec<String>,
}

#[derive(Deserialize)]
struct RawRemediation {
    category: Option<String>,
    details: Option<String>,
    url: Option<String>,
    date: Option<String>,
    restart_required: Option<RawRestart>,
    #[serde(default, deserialize_with = "nullable")]
    product_ids: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    group_ids: Vec<String>,
}

#[derive(Deserialize)]
struct RawRestart {
    category: Option<String>,
}

#[derive(Deserialize)]
struct RawScore {
    cvss_v2: Option<RawCvss>,
    cvss_v3: Option<RawCvss>,
    cvss_v4: Option<RawCvss>,
    #[serde(default, deserialize_with = "nullable")]
    products: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCvss {
    version: Option<String>,
    vector_string: Option<String>,
    base_score: Option<f64>,
    base_severity: Option<String>,
}

#[derive(Deserialize)]
struct RawInvolvement {
    party: Option<String>,
    status: Option<String>,
    date: Option<String>,
    summary: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Reading.

/// Reads one CSAF advisory.
pub(crate) fn read(
    bytes: &[u8],
    warnings: &mut Warnings<'_>,
) -> Result<Vec<Record>, serde_json::Error> {
    let raw: Raw = serde_json::from_slice(bytes)?;
    Ok(convert(raw, warnings).into_iter().collect())
}

fn convert(raw: Raw, warnings: &mut Warnings<'_>) -> Option<Record> {
    let document = raw.document;
    let Some(tracking) = document.tracking else {
        warnings.push(
            WarningKind::SkippedRecord,
            "CSAF document without `document.tracking`; skipped",
        );
        return None;
    };
    let Some(raw_id) = tracking.id.as_deref().filter(|id| !id.trim().is_empty()) else {
        warnings.push(
            WarningKind::SkippedRecord,
            "CSAF document without `tracking.id`; skipped",
        );
        return None;
    };
    warnings.set_record(Some(raw_id.to_string()));
    let id = field::id(warnings, "tracking.id", raw_id)?;
    let mut record = Record::new(Source::Csaf, id);
    let tracking = Tracking {
        id: raw_id.to_string(),
        aliases: tracking.aliases,
        version: tracking.version,
        status: tracking.status,
        initial_release_date: timestamp_field(
            warnings,
            "tracking.initial_release_date",
            tracking.initial_release_date.as_deref(),
        ),
        current_release_date: timestamp_field(
            warnings,
            "tracking.current_release_date",
            tracking.current_release_date.as_deref(),
        ),
        revision_history: tracking
            .revision_history
            .into_iter()
            .map(|revision| Revision {
                date: timestamp_field(warnings, "revision_history.date", revision.date.as_deref()),
                number: revision.number,
                summary: revision.summary,
            })
            .collect(),
    };
    record.published = tracking.initial_release_date;
    record.modified = tracking.current_release_date;
    record.status = tracking.status.clone();
    record.assigner = document.publisher.name.clone();
    record.summary = document.title.filter(|title| !title.trim().is_empty());
    let notes: Vec<Note> = document.notes.into_iter().filter_map(note).collect();
    record.description = notes
        .iter()
        .find(|note| matches!(note.category.as_deref(), Some("summary" | "description")))
        .map(|note| note.text.clone());
    for alias in &tracking.aliases {
        record
            .aliases
            .extend(field::id(warnings, "tracking.aliases", alias));
    }
    for reference in document.references {
        push_reference(&mut record.references, reference);
    }
    let aggregate_severity = document
        .aggregate_severity
        .and_then(|severity| severity.text);
    if let Some(text) = aggregate_severity
        .as_deref()
        .filter(|text| !text.trim().is_empty())
    {
        let mut rating = Rating::new(RatingSystem::Label);
        rating.source = document.publisher.name.clone();
        rating.severity = field::severity_label(text);
        rating.label = Some(text.to_string());
        record.ratings.push(rating);
    }

    let tree = ProductTree::resolve(warnings, raw.product_tree);
    let mut vulnerabilities = Vec::with_capacity(raw.vulnerabilities.len());
    let mut unresolved = BTreeSet::new();
    for (index, vulnerability) in raw.vulnerabilities.into_iter().enumerate() {
        let converted = convert_vulnerability(
            warnings,
            &mut record,
            &tree,
            &mut unresolved,
            index,
            vulnerability,
        );
        vulnerabilities.push(converted);
    }
    if !unresolved.is_empty() {
        warnings.push(
            WarningKind::UnresolvedProduct,
            format!(
                "{} product or group id(s) are referenced but not defined in the product tree: {}",
                unresolved.len(),
                abbreviated(&unresolved)
            ),
        );
    }
    record.advisory = Some(Box::new(Advisory {
        category: document.category.unwrap_or_default(),
        csaf_version: document.csaf_version,
        publisher: Publisher {
            category: document.publisher.category,
            name: document.publisher.name,
            namespace: document.publisher.namespace,
            contact_details: document.publisher.contact_details,
            issuing_authority: document.publisher.issuing_authority,
        },
        tracking,
        lang: document.lang,
        tlp: document
            .distribution
            .and_then(|d| d.tlp)
            .and_then(|tlp| tlp.label),
        aggregate_severity,
        notes,
        products: tree.products,
        product_groups: tree.groups,
        vulnerabilities,
    }));
    warnings.set_record(None);
    Some(record.finish())
}

/// The first few ids of a set, for a message.
fn abbreviated(ids: &BTreeSet<String>) -> String {
    let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
    let more = if ids.len() > shown.len() { ", …" } else { "" };
    format!("{}{more}", shown.join(", "))
}

fn note(raw: RawNote) -> Option<Note> {
    Some(Note {
        category: raw.category,
        title: raw.title,
        text: raw.text.filter(|text| !text.trim().is_empty())?,
    })
}

fn push_reference(references: &mut Vec<Reference>, raw: RawReference) {
    let Some(url) = raw.url.filter(|url| !url.trim().is_empty()) else {
        return;
    };
    if references.iter().any(|known| known.url == url) {
        return;
    }
    references.push(Reference {
        url,
        tags: raw.category.into_iter().collect(),
        summary: raw.summary,
    });
}

fn convert_vulnerability(
    warnings: &mut Warnings<'_>,
    record: &mut Record,
    tree: &ProductTree,
    unresolved: &mut BTreeSet<String>,
    index: usize,
    raw: RawVulnerability,
) -> AdvisoryVulnerability {
    let cve = raw
        .cve
        .as_deref()
        .and_then(|cve| field::id(warnings, "vulnerabilities.cve", cve));
    if let Some(cve) = &cve {
        if cve.is_cve() {
            record.aliases.push(cve.clone());
        } else {
            warnings.push(
                WarningKind::InvalidId,
                format!("vulnerabilities[{index}].cve {cve} is not a CVE id"),
            );
        }
    }
    let ids: Vec<SystemId> = raw
        .ids
        .into_iter()
        .filter_map(|id| {
            Some(SystemId {
                system_name: id.system_name.unwrap_or_default(),
                text: id.text.filter(|text| !text.trim().is_empty())?,
            })
        })
        .collect();
    // Only ids of known vulnerability databases (GHSA, PYSEC …) name the same
    // vulnerability; a vendor's bug tracker number does not.
    for id in &ids {
        if let Ok(parsed) = id.text.parse::<VulnerabilityId>()
            && parsed.kind() != aftercare_model::VulnerabilityIdKind::Other
        {
            record.aliases.push(parsed);
        }
    }
    let scope = cve.clone().or_else(|| {
        ids.first()
            .and_then(|id| id.text.parse::<VulnerabilityId>().ok())
    });
    let mut product_status = BTreeMap::new();
    for (key, ids) in raw.product_status {
        let status = match key.as_str() {
            "known_affected" => ProductStatus::KnownAffected,
            "first_affected" => ProductStatus::FirstAffected,
            "last_affected" => ProductStatus::LastAffected,
            "fixed" => ProductStatus::Fixed,
            "first_fixed" => ProductStatus::FirstFixed,
            "known_not_affected" => ProductStatus::KnownNotAffected,
            "under_investigation" => ProductStatus::UnderInvestigation,
            "recommended" => ProductStatus::Recommended,
            other => {
                warnings.push(
                    WarningKind::UnknownValue,
                    format!("unknown product status {other:?}; ignored"),
                );
                continue;
            }
        };
        tree.check(unresolved, &ids);
        product_status.insert(status, ids);
    }
    let flags = raw
        .flags
        .into_iter()
        .filter_map(|flag| {
            let label = flag.label?;
            let date = timestamp_field(warnings, "flags.date", flag.date.as_deref());
            Some(Flag {
                label,
                date,
                product_ids: tree.expand(unresolved, flag.product_ids, &flag.group_ids),
                group_ids: flag.group_ids,
            })
        })
        .collect();
    let threats = raw
        .threats
        .into_iter()
        .filter_map(|threat| {
            let date = timestamp_field(warnings, "threats.date", threat.date.as_deref());
            Some(Threat {
                category: threat.category?,
                details: threat.details.unwrap_or_default(),
                date,
                product_ids: tree.expand(unresolved, threat.product_ids, &threat.group_ids),
                group_ids: threat.group_ids,
            })
        })
        .collect();
    let remediations = raw
        .remediations
        .into_iter()
        .filter_map(|remediation| {
            let category = match remediation.category?.as_str() {
                "vendor_fix" => RemediationCategory::VendorFix,
                "workaround" => RemediationCategory::Workaround,
                "mitigation" => RemediationCategory::Mitigation,
                "no_fix_planned" => RemediationCategory::NoFixPlanned,
                "none_available" => RemediationCategory::NoneAvailable,
                other => RemediationCategory::Other(other.to_string()),
            };
            let date = timestamp_field(warnings, "remediations.date", remediation.date.as_deref());
            Some(Remediation {
                category,
                details: remediation.details.unwrap_or_default(),
                url: remediation.url,
                date,
                restart_required: remediation.restart_required.and_then(|r| r.category),
                product_ids: tree.expand(
                    unresolved,
                    remediation.product_ids,
                    &remediation.group_ids,
                ),
                group_ids: remediation.group_ids,
            })
        })
        .collect();
    for (score_index, score) in raw.scores.into_iter().enumerate() {
        tree.check(unresolved, &score.products);
        for (name, cvss) in [
            ("cvss_v2", score.cvss_v2),
            ("cvss_v3", score.cvss_v3),
            ("cvss_v4", score.cvss_v4),
        ] {
            let Some(cvss) = cvss else { continue };
            let declared = match (name, cvss.version.as_deref()) {
                ("cvss_v2", _) => RatingSystem::CvssV2,
                ("cvss_v3", Some("3.0")) => RatingSystem::CvssV30,
                ("cvss_v3", _) => RatingSystem::CvssV31,
                _ => RatingSystem::CvssV40,
            };
            let field = format!("vulnerabilities[{index}].scores[{score_index}].{name}");
            let rating = field::cvss_rating(
                warnings,
                &field,
                CvssInput {
                    declared: Some(declared),
                    vector: cvss.vector_string.as_deref(),
                    base_score: cvss.base_score,
                    label: cvss.base_severity.as_deref(),
                    source: None,
                    primary: true,
                },
            );
            if let Some(mut rating) = rating {
                rating.vulnerability = scope.clone();
                rating.products = score.products.clone();
                record.ratings.push(rating);
            }
        }
    }
    let cwe = raw.cwe.and_then(|cwe| Some((cwe.id?, cwe.name)));
    if let Some((id, _)) = &cwe {
        record.weaknesses.push(id.clone());
    }
    for reference in raw.references {
        push_reference(&mut record.references, reference);
    }
    AdvisoryVulnerability {
        cve,
        ids,
        title: raw.title,
        cwe,
        notes: raw.notes.into_iter().filter_map(note).collect(),
        discovery_date: timestamp_field(warnings, "discovery_date", raw.discovery_date.as_deref()),
        release_date: timestamp_field(warnings, "release_date", raw.release_date.as_deref()),
        product_status,
        flags,
        threats,
        remediations,
        involvements: raw
            .involvements
            .into_iter()
            .filter_map(|involvement| {
                let date =
                    timestamp_field(warnings, "involvements.date", involvement.date.as_deref());
                Some(Involvement {
                    party: involvement.party?,
                    status: involvement.status?,
                    date,
                    summary: involvement.summary,
                })
            })
            .collect(),
    }
}

/// The product tree, resolved.
struct ProductTree {
    products: BTreeMap<String, Product>,
    groups: BTreeMap<String, Vec<String>>,
    /// Product ids defined more than once, differently.
    conflicting: BTreeSet<String>,
}

impl ProductTree {
    /// Notes the ids that no product defines.
    fn check(&self, unresolved: &mut BTreeSet<String>, ids: &[String]) {
        for id in ids {
            if !self.products.contains_key(id) {
                unresolved.insert(id.clone());
            }
        }
    }

    /// The product ids plus the members of the groups.
    fn expand(
        &self,
        unresolved: &mut BTreeSet<String>,
        product_ids: Vec<String>,
        group_ids: &[String],
    ) -> Vec<String> {
        self.check(unresolved, &product_ids);
        let mut all = product_ids;
        for group in group_ids {
            match self.groups.get(group) {
                Some(members) => all.extend(members.iter().cloned()),
                None => {
                    unresolved.insert(group.clone());
                }
            }
        }
        all
    }

    fn resolve(warnings: &mut Warnings<'_>, raw: RawProductTree) -> ProductTree {
        let mut tree = ProductTree {
            products: BTreeMap::new(),
            groups: BTreeMap::new(),
            conflicting: BTreeSet::new(),
        };
        let mut path = Vec::new();
        for branch in raw.branches {
            tree.walk(warnings, &mut path, branch);
        }
        for product in raw.full_product_names {
            tree.define(warnings, Vec::new(), product);
        }
        // A relationship may refer to a product another relationship defines, so resolve
        // them in rounds until no more can be.
        let mut pending: Vec<RawRelationship> = raw.relationships;
        loop {
            let before = pending.len();
            let mut still = Vec::new();
            for relationship in pending {
                let component = relationship.product_reference.as_deref().unwrap_or("");
                if tree.products.contains_key(component) {
                    tree.relate(warnings, relationship);
                } else {
                    still.push(relationship);
                }
            }
            pending = still;
            if pending.is_empty() || pending.len() == before {
                break;
            }
        }
        // Relationships whose component is never defined still define their product, by
        // name only.
        for relationship in pending {
            tree.relate(warnings, relationship);
        }
        for group in raw.product_groups {
            if let Some(id) = group.group_id {
                tree.groups.insert(id, group.product_ids);
            }
        }
        if !tree.conflicting.is_empty() {
            warnings.push(
                WarningKind::UnknownValue,
                format!(
                    "{} product id(s) are defined more than once with different names or helpers; \
                     the first definition is kept: {}",
                    tree.conflicting.len(),
                    abbreviated(&tree.conflicting)
                ),
            );
        }
        tree
    }

    fn walk(&mut self, warnings: &mut Warnings<'_>, path: &mut Vec<Branch>, branch: RawBranch) {
        path.push(Branch {
            category: branch.category.unwrap_or_default(),
            name: branch.name.unwrap_or_default(),
        });
        if let Some(product) = branch.product {
            self.define(warnings, path.clone(), product);
        }
        for child in branch.branches {
            self.walk(warnings, path, child);
        }
        path.pop();
    }

    fn define(
        &mut self,
        warnings: &mut Warnings<'_>,
        branches: Vec<Branch>,
        raw: RawFullProductName,
    ) {
        let Some(id) = raw.product_id.filter(|id| !id.is_empty()) else {
            warnings.push(
                WarningKind::MissingField,
                "a product without `product_id`; dropped",
            );
            return;
        };
        let identification = raw
            .product_identification_helper
            .map(|helper| identification(warnings, helper))
            .unwrap_or_default();
        if let Some(known) = self.products.get(&id) {
            // Red Hat lists one product under several branches; only a definition that
            // says something different is worth a warning.
            let name = raw.name.unwrap_or_default();
            if known.name != name || known.identification != identification {
                self.conflicting.insert(id);
            }
            return;
        }
        self.products.insert(
            id.clone(),
            Product {
                id,
                name: raw.name.unwrap_or_default(),
                branches,
                identification,
                relationship: None,
            },
        );
    }

    fn relate(&mut self, warnings: &mut Warnings<'_>, raw: RawRelationship) {
        let Some(full) = raw.full_product_name else {
            warnings.push(
                WarningKind::MissingField,
                "a relationship without `full_product_name`; dropped",
            );
            return;
        };
        let component = raw.product_reference.unwrap_or_default();
        let platform = raw.relates_to_product_reference.unwrap_or_default();
        let (branches, mut identification) = match self.products.get(&component) {
            Some(product) => (product.branches.clone(), product.identification.clone()),
            None => (Vec::new(), Identification::default()),
        };
        let own = full
            .product_identification_helper
            .map(|helper| self::identification(warnings, helper))
            .unwrap_or_default();
        if !own.is_empty() {
            identification = own;
        }
        let Some(id) = full.product_id.filter(|id| !id.is_empty()) else {
            warnings.push(
                WarningKind::MissingField,
                "a relationship product without `product_id`; dropped",
            );
            return;
        };
        if self.products.contains_key(&id) {
            return;
        }
        self.products.insert(
            id.clone(),
            Product {
                id,
                name: full.name.unwrap_or_default(),
                branches,
                identification,
                relationship: Some(Relationship {
                    category: raw.category.unwrap_or_default(),
                    component,
                    platform,
                }),
            },
        );
    }
}

fn identification(warnings: &mut Warnings<'_>, raw: RawHelper) -> Identification {
    Identification {
        purls: raw
            .purl
            .as_deref()
            .and_then(|purl| field::purl(warnings, "product_identification_helper.purl", purl))
            .into_iter()
            .collect(),
        cpes: raw
            .cpe
            .as_deref()
            .and_then(|cpe| field::cpe(warnings, "product_identification_helper.cpe", cpe))
            .into_iter()
            .collect(),
        hashes: raw
            .hashes
            .into_iter()
            .flat_map(|hashes| {
                let filename = hashes.filename;
                hashes.file_hashes.into_iter().filter_map(move |hash| {
                    Some(FileHash {
                        filename: filename.clone(),
                        algorithm: hash.algorithm?.to_ascii_lowercase(),
                        value: hash.value?,
                    })
                })
            })
            .collect(),
        model_numbers: raw.model_numbers,
        serial_numbers: raw.serial_numbers,
        skus: raw.skus,
        generic_uris: raw
            .x_generic_uris
            .into_iter()
            .filter_map(|uri| {
                Some(GenericUri {
                    namespace: uri.namespace.unwrap_or_default(),
                    uri: uri.uri?,
                })
            })
            .collect(),
        sbom_urls: raw.sbom_urls,
    }
}
