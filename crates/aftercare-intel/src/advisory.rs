//! The CSAF part of a record: an advisory's product tree, resolved, and what it says about
//! each vulnerability (product status, VEX flags, threats, remediations).
//!
//! These are the types the matcher reads, kept apart from the CSAF reader so that the
//! general record can hold an advisory without knowing how one is read: the record and the
//! reader both point here, and nothing here points back. The reader re-exports them, so they
//! are named `aftercare_intel::csaf::Advisory`, `csaf::ProductStatus` and so on.

use std::collections::BTreeMap;

use aftercare_model::{Cpe, Purl, VulnerabilityId};
use jiff::Timestamp;

/// The CSAF part of a record (`Record::advisory`).
#[derive(Debug, Clone, PartialEq)]
pub struct Advisory {
    /// `csaf_base`, `csaf_security_advisory`, `csaf_vex`, `csaf_informational_advisory` ….
    pub category: String,
    /// `csaf_version` (`2.0`).
    pub csaf_version: Option<String>,
    /// The publisher.
    pub publisher: Publisher,
    /// Tracking data: id, version, status, dates, revision history.
    pub tracking: Tracking,
    /// The document's language.
    pub lang: Option<String>,
    /// The TLP label of the distribution (`WHITE`, `CLEAR` …).
    pub tlp: Option<String>,
    /// The aggregate severity text, as written (`Important`).
    pub aggregate_severity: Option<String>,
    /// Document-level notes.
    pub notes: Vec<Note>,
    /// Every product, by product id, resolved through branches and relationships.
    pub products: BTreeMap<String, Product>,
    /// Product groups: group id → product ids.
    pub product_groups: BTreeMap<String, Vec<String>>,
    /// The vulnerabilities.
    pub vulnerabilities: Vec<AdvisoryVulnerability>,
}

impl Advisory {
    /// The products of one vulnerability with one status: the matcher's question "which
    /// purls/CPEs/hashes are `known_affected` for this CVE". A vulnerability is found by its
    /// CVE or by one of its `ids` texts.
    pub fn products_with_status<'a>(
        &'a self,
        vulnerability: &'a VulnerabilityId,
        status: ProductStatus,
    ) -> impl Iterator<Item = &'a Product> + 'a {
        self.vulnerabilities
            .iter()
            .filter(move |candidate| candidate.is(vulnerability))
            .filter_map(move |candidate| candidate.product_status.get(&status))
            .flatten()
            .filter_map(move |id| self.products.get(id))
    }

    /// The statuses one product has for one vulnerability.
    pub fn statuses_of<'a>(
        &'a self,
        vulnerability: &'a VulnerabilityId,
        product_id: &'a str,
    ) -> impl Iterator<Item = ProductStatus> + 'a {
        self.vulnerabilities
            .iter()
            .filter(move |candidate| candidate.is(vulnerability))
            .flat_map(|candidate| candidate.product_status.iter())
            .filter(move |(_, ids)| ids.iter().any(|id| id == product_id))
            .map(|(status, _)| *status)
    }
}

/// The publisher of an advisory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Publisher {
    /// `vendor`, `coordinator`, `discoverer`, `other`, `translator`, `user`.
    pub category: Option<String>,
    /// The name.
    pub name: Option<String>,
    /// The namespace URL.
    pub namespace: Option<String>,
    /// Contact details.
    pub contact_details: Option<String>,
    /// The issuing authority.
    pub issuing_authority: Option<String>,
}

/// `document.tracking`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracking {
    /// The document's id.
    pub id: String,
    /// Other ids of the document (`tracking.aliases`).
    pub aliases: Vec<String>,
    /// The version.
    pub version: Option<String>,
    /// `draft`, `interim` or `final`.
    pub status: Option<String>,
    /// First release.
    pub initial_release_date: Option<Timestamp>,
    /// This release.
    pub current_release_date: Option<Timestamp>,
    /// The revisions.
    pub revision_history: Vec<Revision>,
}

/// One revision of an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// When.
    pub date: Option<Timestamp>,
    /// The version number.
    pub number: Option<String>,
    /// What changed.
    pub summary: Option<String>,
}

/// A note of a document or vulnerability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// `summary`, `description`, `details`, `general`, `legal_disclaimer`, `faq`, `other`.
    pub category: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The text.
    pub text: String,
}

/// One level of the branch path that leads to a product.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Branch {
    /// `vendor`, `product_family`, `product_name`, `product_version`,
    /// `product_version_range`, `architecture`, `platform`, `language`, `legacy`, `patch_level`,
    /// `service_pack`, `specification`, `host_name`.
    pub category: String,
    /// The branch's name (a vendor name, a version …).
    pub name: String,
}

/// A file hash of a product.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileHash {
    /// The file name.
    pub filename: Option<String>,
    /// The algorithm (`sha256`), lowercase.
    pub algorithm: String,
    /// The hash value, as written.
    pub value: String,
}

/// A generic URI naming a product (`x_generic_uris`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GenericUri {
    /// The namespace of the URI's scheme.
    pub namespace: String,
    /// The URI.
    pub uri: String,
}

/// How a product can be recognized (`product_identification_helper`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identification {
    /// Package URLs.
    pub purls: Vec<Purl>,
    /// CPE names.
    pub cpes: Vec<Cpe>,
    /// File hashes.
    pub hashes: Vec<FileHash>,
    /// Model numbers (may contain `*` and `?` wildcards).
    pub model_numbers: Vec<String>,
    /// Serial numbers (may contain wildcards).
    pub serial_numbers: Vec<String>,
    /// Stock keeping units.
    pub skus: Vec<String>,
    /// Generic URIs.
    pub generic_uris: Vec<GenericUri>,
    /// URLs of SBOMs of the product.
    pub sbom_urls: Vec<String>,
}

impl Identification {
    /// Whether no helper is given: such a product is known by name only.
    pub fn is_empty(&self) -> bool {
        *self == Identification::default()
    }
}

/// How a relationship product combines two products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    /// `default_component_of`, `external_component_of`, `installed_on`,
    /// `installed_with`, `optional_component_of`.
    pub category: String,
    /// The component (`product_reference`).
    pub component: String,
    /// The product it relates to (`relates_to_product_reference`).
    pub platform: String,
}

/// A product of an advisory, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The product id.
    pub id: String,
    /// The full product name.
    pub name: String,
    /// The branch path to the product (for a relationship product: its component's).
    pub branches: Vec<Branch>,
    /// How to recognize it (for a relationship product: its component's helpers).
    pub identification: Identification,
    /// For a product defined by a relationship: what it combines.
    pub relationship: Option<Relationship>,
}

impl Product {
    /// The name of the innermost branch of a category (`vendor`, `product_name`,
    /// `product_version` …) on the product's path.
    pub fn branch(&self, category: &str) -> Option<&str> {
        self.branches
            .iter()
            .rev()
            .find(|branch| branch.category == category)
            .map(|branch| branch.name.as_str())
    }
}

/// A product status of CSAF (`product_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProductStatus {
    /// `known_affected`.
    KnownAffected,
    /// `first_affected`: the first affected version.
    FirstAffected,
    /// `last_affected`: the last affected version.
    LastAffected,
    /// `fixed`.
    Fixed,
    /// `first_fixed`: the first fixed version.
    FirstFixed,
    /// `known_not_affected`.
    KnownNotAffected,
    /// `under_investigation`.
    UnderInvestigation,
    /// `recommended`: the version the vendor recommends.
    Recommended,
}

impl ProductStatus {
    /// Every status, in the order CSAF lists them.
    pub const ALL: [ProductStatus; 8] = [
        ProductStatus::FirstAffected,
        ProductStatus::FirstFixed,
        ProductStatus::Fixed,
        ProductStatus::KnownAffected,
        ProductStatus::KnownNotAffected,
        ProductStatus::LastAffected,
        ProductStatus::Recommended,
        ProductStatus::UnderInvestigation,
    ];

    /// The CSAF field name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::KnownAffected => "known_affected",
            ProductStatus::FirstAffected => "first_affected",
            ProductStatus::LastAffected => "last_affected",
            ProductStatus::Fixed => "fixed",
            ProductStatus::FirstFixed => "first_fixed",
            ProductStatus::KnownNotAffected => "known_not_affected",
            ProductStatus::UnderInvestigation => "under_investigation",
            ProductStatus::Recommended => "recommended",
        }
    }

    /// Whether the status says the product is affected (`known_affected`, `first_affected`,
    /// `last_affected`).
    pub fn is_affected(self) -> bool {
        matches!(
            self,
            ProductStatus::KnownAffected
                | ProductStatus::FirstAffected
                | ProductStatus::LastAffected
        )
    }

    /// Whether the status says the product contains the fix (`fixed`, `first_fixed`).
    pub fn is_fixed(self) -> bool {
        matches!(self, ProductStatus::Fixed | ProductStatus::FirstFixed)
    }
}

/// A vulnerability id in another system (`vulnerabilities[].ids[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemId {
    /// The system (`Red Hat Bugzilla ID`, `Cisco Bug ID`, `GitHub`).
    pub system_name: String,
    /// The id in it.
    pub text: String,
}

/// A VEX flag: why products are not affected (`flags[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The justification: `component_not_present`, `vulnerable_code_not_present`,
    /// `vulnerable_code_not_in_execute_path`,
    /// `vulnerable_code_cannot_be_controlled_by_adversary`,
    /// `inline_mitigations_already_exist`.
    pub label: String,
    /// When.
    pub date: Option<Timestamp>,
    /// The products, with the groups' products expanded.
    pub product_ids: Vec<String>,
    /// The groups as written.
    pub group_ids: Vec<String>,
}

/// A threat statement (`threats[]`): impact, exploit status or target set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threat {
    /// `impact`, `exploit_status` or `target_set`.
    pub category: String,
    /// The statement.
    pub details: String,
    /// When.
    pub date: Option<Timestamp>,
    /// The products, with the groups' products expanded.
    pub product_ids: Vec<String>,
    /// The groups as written.
    pub group_ids: Vec<String>,
}

/// The category of a remediation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RemediationCategory {
    /// `vendor_fix`.
    VendorFix,
    /// `workaround`.
    Workaround,
    /// `mitigation`.
    Mitigation,
    /// `no_fix_planned`.
    NoFixPlanned,
    /// `none_available`.
    NoneAvailable,
    /// Another value, as written.
    Other(String),
}

/// A remediation (`remediations[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remediation {
    /// The category.
    pub category: RemediationCategory,
    /// What to do.
    pub details: String,
    /// A link.
    pub url: Option<String>,
    /// When.
    pub date: Option<Timestamp>,
    /// Whether a restart is needed, as CSAF categorizes it (`none`, `machine` …).
    pub restart_required: Option<String>,
    /// The products, with the groups' products expanded.
    pub product_ids: Vec<String>,
    /// The groups as written.
    pub group_ids: Vec<String>,
}

/// An involvement of a party (`involvements[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Involvement {
    /// `coordinator`, `discoverer`, `other`, `user`, `vendor`.
    pub party: String,
    /// `completed`, `contact_attempted`, `disputed`, `in_progress`, `not_contacted`, `open`.
    pub status: String,
    /// When.
    pub date: Option<Timestamp>,
    /// What.
    pub summary: Option<String>,
}

/// One vulnerability of an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryVulnerability {
    /// The CVE.
    pub cve: Option<VulnerabilityId>,
    /// Ids in other systems.
    pub ids: Vec<SystemId>,
    /// The title.
    pub title: Option<String>,
    /// The weakness (`CWE-…`) and its name.
    pub cwe: Option<(String, Option<String>)>,
    /// Notes.
    pub notes: Vec<Note>,
    /// When the vulnerability was discovered.
    pub discovery_date: Option<Timestamp>,
    /// When it was released.
    pub release_date: Option<Timestamp>,
    /// Product ids by status.
    pub product_status: BTreeMap<ProductStatus, Vec<String>>,
    /// VEX flags.
    pub flags: Vec<Flag>,
    /// Threats.
    pub threats: Vec<Threat>,
    /// Remediations.
    pub remediations: Vec<Remediation>,
    /// Involvements.
    pub involvements: Vec<Involvement>,
}

impl AdvisoryVulnerability {
    /// Whether the vulnerability is the one named: by its CVE, or by one of its `ids`.
    pub fn is(&self, id: &VulnerabilityId) -> bool {
        self.cve.as_ref() == Some(id) || self.ids.iter().any(|other| other.text == id.as_str())
    }
}
