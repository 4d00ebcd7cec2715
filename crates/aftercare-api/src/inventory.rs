//! The inventory's wire types: products, releases, their SBOMs (summary, components,
//! dependencies, warnings), the NTIA/FDA quality, the diff of two releases and the support
//! addendum's outcome.

use aftercare_sbom::{Component, QualityReport, Requirement, Sbom};
use aftercare_service::inventory::ReleaseDiff;
use aftercare_store::product::ProductRow;
use aftercare_store::release::ReleaseRow;
use aftercare_store::sbom::{ComponentRecord, SbomRow, WarningRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A product: a device model or software product.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductDto {
    /// The id.
    pub id: i64,
    /// The unique name.
    pub name: String,
    /// A description.
    pub description: Option<String>,
    /// When it was registered (RFC 3339, UTC).
    pub created_at: String,
    /// How many releases it has.
    pub release_count: i64,
}

impl From<&ProductRow> for ProductDto {
    fn from(row: &ProductRow) -> ProductDto {
        ProductDto {
            id: row.id,
            name: row.name.clone(),
            description: row.description.clone(),
            created_at: row.created_at.clone(),
            release_count: row.release_count,
        }
    }
}

/// A new product.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewProductDto {
    /// The unique name.
    pub name: String,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A release: one version of a product's software.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReleaseDto {
    /// The id.
    pub id: i64,
    /// The product's id.
    pub product_id: i64,
    /// The product's name.
    pub product: String,
    /// The version.
    pub version: String,
    /// When it was registered (RFC 3339, UTC).
    pub created_at: String,
    /// How many components its SBOM has.
    pub component_count: i64,
    /// Its SBOM, if one was imported.
    pub sbom: Option<SbomSummaryDto>,
}

impl ReleaseDto {
    /// A release with its SBOM summary.
    pub fn new(row: &ReleaseRow, sbom: Option<&SbomRow>) -> ReleaseDto {
        ReleaseDto {
            id: row.id,
            product_id: row.product_id,
            product: row.product_name.clone(),
            version: row.version.clone(),
            created_at: row.created_at.clone(),
            component_count: row.component_count,
            sbom: sbom.map(SbomSummaryDto::from),
        }
    }
}

/// The document-level facts of an imported SBOM.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SbomSummaryDto {
    /// The SBOM's id.
    pub id: i64,
    /// SHA-256 of the original document.
    pub sha256: String,
    /// `cyclonedx` or `spdx`.
    pub format: String,
    /// `json`, `xml`, `tag-value` or `json-ld`.
    pub encoding: String,
    /// The declared specification version.
    pub spec_version: String,
    /// Serial number or document namespace.
    pub serial_number: Option<String>,
    /// When the SBOM was created, as written.
    pub created: Option<String>,
    /// SBOM data authors.
    pub authors: Vec<String>,
    /// Generating tools.
    pub tools: Vec<String>,
    /// Number of components.
    pub component_count: i64,
    /// Number of dependency edges.
    pub dependency_count: i64,
    /// Number of warnings met while reading it.
    pub warning_count: i64,
    /// When it was imported (RFC 3339, UTC).
    pub imported_at: String,
}

impl From<&SbomRow> for SbomSummaryDto {
    fn from(row: &SbomRow) -> SbomSummaryDto {
        SbomSummaryDto {
            id: row.id,
            sha256: row.sha256.clone(),
            format: row.format.clone(),
            encoding: row.encoding.clone(),
            spec_version: row.spec_version.clone(),
            serial_number: row.serial_number.clone(),
            created: row.created.clone(),
            authors: row.authors.clone(),
            tools: row.tools.clone(),
            component_count: row.component_count,
            dependency_count: row.dependency_count,
            warning_count: row.warning_count,
            imported_at: row.imported_at.clone(),
        }
    }
}

/// A file hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HashDto {
    /// The algorithm (`SHA-256`).
    pub algorithm: String,
    /// The digest, hex.
    pub value: String,
}

/// A normalized SBOM component.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ComponentDto {
    /// The reference unique in the document (`bom-ref`, `SPDXID`).
    #[serde(rename = "ref")]
    pub reference: String,
    /// The component type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The name.
    pub name: String,
    /// The group or namespace.
    pub group: Option<String>,
    /// The version.
    pub version: Option<String>,
    /// The canonical package URL.
    pub purl: Option<String>,
    /// CPE 2.3 formatted strings.
    pub cpes: Vec<String>,
    /// The SWID tag id.
    pub swid: Option<String>,
    /// The supplier.
    pub supplier: Option<String>,
    /// The author.
    pub author: Option<String>,
    /// The license, as one SPDX expression.
    pub licenses: Option<String>,
    /// File hashes.
    pub hashes: Vec<HashDto>,
    /// `required`, `optional` or `excluded`.
    pub scope: Option<String>,
    /// FDA: level of support.
    pub level_of_support: Option<String>,
    /// FDA: end-of-support date.
    pub end_of_support: Option<String>,
    /// Whether the subject depends on it directly (`true`), only transitively (`false`), or
    /// unknown (`null`).
    pub direct: Option<bool>,
    /// For a nested component, its parent's reference.
    pub parent: Option<String>,
}

impl ComponentDto {
    /// A normalized component; `parent` is the parent's reference, if any.
    pub fn from_component(component: &Component, parent: Option<&Component>) -> ComponentDto {
        ComponentDto {
            reference: component.reference.clone(),
            kind: component.kind.as_str().to_string(),
            name: component.name.clone(),
            group: component.group.clone(),
            version: component.version.clone(),
            purl: component.purl.as_ref().map(ToString::to_string),
            cpes: component.cpes.iter().map(ToString::to_string).collect(),
            swid: component.swid.clone(),
            supplier: component.supplier.clone(),
            author: component.author.clone(),
            licenses: component.licenses.clone(),
            hashes: component
                .hashes
                .iter()
                .map(|h| HashDto {
                    algorithm: h.algorithm.clone(),
                    value: h.value.clone(),
                })
                .collect(),
            scope: component.scope.map(|s| s.as_str().to_string()),
            level_of_support: component.level_of_support.clone(),
            end_of_support: component.end_of_support.clone(),
            direct: component.direct,
            parent: parent.map(|p| p.reference.clone()),
        }
    }

    /// A stored component; `parent` is the parent's reference, if known.
    pub fn from_record(record: &ComponentRecord, parent: Option<String>) -> ComponentDto {
        ComponentDto {
            reference: record.reference.clone(),
            kind: record.kind.clone(),
            name: record.name.clone(),
            group: record.group.clone(),
            version: record.version.clone(),
            purl: record.purl.clone(),
            cpes: record.cpes.clone(),
            swid: record.swid.clone(),
            supplier: record.supplier.clone(),
            author: record.author.clone(),
            licenses: record.licenses.clone(),
            hashes: record
                .hashes
                .iter()
                .map(|(algorithm, value)| HashDto {
                    algorithm: algorithm.clone(),
                    value: value.clone(),
                })
                .collect(),
            scope: record.scope.clone(),
            level_of_support: record.level_of_support.clone(),
            end_of_support: record.end_of_support.clone(),
            direct: record.direct,
            parent,
        }
    }
}

/// The components one component depends on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DependencyDto {
    /// The dependent component's reference.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The references it depends on.
    pub depends_on: Vec<String>,
}

/// A problem met while reading a document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WarningDto {
    /// Where in the document.
    pub location: String,
    /// The component's reference, if about one.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// What is wrong and what was done about it.
    pub message: String,
}

impl From<&aftercare_sbom::Warning> for WarningDto {
    fn from(warning: &aftercare_sbom::Warning) -> WarningDto {
        WarningDto {
            location: warning.location.clone(),
            reference: warning.reference.clone(),
            message: warning.message.clone(),
        }
    }
}

impl From<&WarningRecord> for WarningDto {
    fn from(warning: &WarningRecord) -> WarningDto {
        WarningDto {
            location: warning.location.clone(),
            reference: warning.reference.clone(),
            message: warning.message.clone(),
        }
    }
}

/// A whole normalized SBOM (`aftercare sbom inspect --format json`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SbomDto {
    /// `cyclonedx` or `spdx`.
    pub format: String,
    /// `json`, `xml`, `tag-value` or `json-ld`.
    pub encoding: String,
    /// The declared specification version.
    pub spec_version: String,
    /// Serial number or document namespace.
    pub serial_number: Option<String>,
    /// The document's name.
    pub name: Option<String>,
    /// When the SBOM was created.
    pub created: Option<String>,
    /// SBOM data authors.
    pub authors: Vec<String>,
    /// Generating tools.
    pub tools: Vec<String>,
    /// The component the SBOM describes.
    pub subject: Option<ComponentDto>,
    /// Every component, nested ones flattened.
    pub components: Vec<ComponentDto>,
    /// The dependency graph.
    pub dependencies: Vec<DependencyDto>,
    /// Problems met while reading.
    pub warnings: Vec<WarningDto>,
}

impl SbomDto {
    /// The wire form of a normalized SBOM and its warnings.
    pub fn new(sbom: &Sbom, warnings: impl IntoIterator<Item = WarningDto>) -> SbomDto {
        let component = |index: usize| {
            sbom.components.get(index).map(|c| {
                ComponentDto::from_component(c, c.parent.and_then(|p| sbom.components.get(p)))
            })
        };
        let mut dependencies: Vec<DependencyDto> = Vec::new();
        for edge in &sbom.dependencies {
            let (Some(from), Some(to)) =
                (sbom.components.get(edge.from), sbom.components.get(edge.to))
            else {
                continue;
            };
            match dependencies.last_mut() {
                Some(last) if last.reference == from.reference => {
                    last.depends_on.push(to.reference.clone())
                }
                _ => dependencies.push(DependencyDto {
                    reference: from.reference.clone(),
                    depends_on: vec![to.reference.clone()],
                }),
            }
        }
        SbomDto {
            format: sbom.format.as_str().to_string(),
            encoding: sbom.encoding.as_str().to_string(),
            spec_version: sbom.spec_version.clone(),
            serial_number: sbom.serial_number.clone(),
            name: sbom.name.clone(),
            created: sbom.created.clone(),
            authors: sbom.authors.clone(),
            tools: sbom.tools.clone(),
            subject: sbom.subject.and_then(component),
            components: (0..sbom.components.len()).filter_map(component).collect(),
            dependencies,
            warnings: warnings.into_iter().collect(),
        }
    }
}

/// The coverage of one quality element.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CoverageDto {
    /// The element (`supplier`, `unique-identifier`, `end-of-support` …).
    pub element: String,
    /// Whether it is a document-level element (author, timestamp).
    pub document_level: bool,
    /// How many have it.
    pub with: usize,
    /// How many were checked.
    pub total: usize,
    /// Whether all have it.
    pub complete: bool,
    /// The references of the components that lack it.
    pub missing: Vec<String>,
}

/// The quality of an SBOM against the NTIA minimum elements and the FDA fields.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QualityDto {
    /// How many components were checked.
    pub components: usize,
    /// Whether every NTIA minimum element is present.
    pub ntia: bool,
    /// Whether every NTIA element and both FDA fields are present.
    pub fda: bool,
    /// The coverage of each element, NTIA's first.
    pub elements: Vec<CoverageDto>,
}

impl From<&QualityReport> for QualityDto {
    fn from(report: &QualityReport) -> QualityDto {
        QualityDto {
            components: report.components,
            ntia: report.passes(Requirement::Ntia),
            fda: report.passes(Requirement::Fda),
            elements: report
                .coverage
                .iter()
                .map(|c| CoverageDto {
                    element: c.element.as_str().to_string(),
                    document_level: c.element.is_document_level(),
                    with: c.with,
                    total: c.total,
                    complete: c.is_complete(),
                    missing: c.missing.clone(),
                })
                .collect(),
        }
    }
}

/// A component whose version changed between two SBOMs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VersionChangeDto {
    /// The name.
    pub name: String,
    /// The group.
    pub group: Option<String>,
    /// The package URL without version, when known.
    pub package: Option<String>,
    /// The old version.
    pub old_version: Option<String>,
    /// The new version.
    pub new_version: Option<String>,
}

/// The changes between two SBOMs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DiffDto {
    /// Components only in the new SBOM.
    pub added: Vec<ComponentDto>,
    /// Components only in the old SBOM.
    pub removed: Vec<ComponentDto>,
    /// Version went up.
    pub upgraded: Vec<VersionChangeDto>,
    /// Version went down.
    pub downgraded: Vec<VersionChangeDto>,
    /// Versions differ but cannot be ordered.
    pub changed: Vec<VersionChangeDto>,
    /// How many components are the same in both.
    pub unchanged: usize,
}

impl From<&ReleaseDiff> for DiffDto {
    fn from(diff: &ReleaseDiff) -> DiffDto {
        let changes = |pairs: &[(Component, Component)]| {
            pairs
                .iter()
                .map(|(old, new)| VersionChangeDto {
                    name: new.name.clone(),
                    group: new.group.clone(),
                    package: new.purl.as_ref().map(|p| p.without_version().to_string()),
                    old_version: old.version.clone(),
                    new_version: new.version.clone(),
                })
                .collect()
        };
        DiffDto {
            added: diff
                .added
                .iter()
                .map(|c| ComponentDto::from_component(c, None))
                .collect(),
            removed: diff
                .removed
                .iter()
                .map(|c| ComponentDto::from_component(c, None))
                .collect(),
            upgraded: changes(&diff.upgraded),
            downgraded: changes(&diff.downgraded),
            changed: changes(&diff.changed),
            unchanged: diff.unchanged,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ComponentPageDto {
    /// The components on this page.
    pub items: Vec<ComponentDto>,
    /// How many match in all.
    pub total: i64,
    /// The offset of the first item.
    pub offset: i64,
    /// The page size asked for.
    pub limit: i64,
}

/// What applying a support addendum did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SupportOutcomeDto {
    /// Components whose level of support or end-of-support date changed.
    pub changed: usize,
    /// SHA-256 of the addendum as imported.
    pub sha256: String,
    /// Rows that matched nothing or could not be read.
    pub warnings: Vec<WarningDto>,
}

impl From<&aftercare_service::inventory::SupportOutcome> for SupportOutcomeDto {
    fn from(outcome: &aftercare_service::inventory::SupportOutcome) -> SupportOutcomeDto {
        SupportOutcomeDto {
            changed: outcome.changed,
            sha256: outcome.sha256.clone(),
            warnings: outcome.warnings.iter().map(WarningDto::from).collect(),
        }
    }
}
// ---------------------------------------------------------------------------------------
// Intelligence: feeds, sync runs, vulnerabilities.

/// A product with its releases (`aftercare product show --format json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductDetailDto {
    /// The product.
    #[serde(flatten)]
    pub product: ProductDto,
    /// Its releases.
    pub releases: Vec<ReleaseDto>,
}

/// A release with the quality of its SBOM and the warnings met reading it (`aftercare
/// release show --format json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseDetailDto {
    /// The release.
    #[serde(flatten)]
    pub release: ReleaseDto,
    /// The NTIA/FDA quality of its SBOM, when it has one.
    pub quality: Option<QualityDto>,
    /// The warnings met while reading its SBOM.
    pub warnings: Vec<WarningDto>,
}
