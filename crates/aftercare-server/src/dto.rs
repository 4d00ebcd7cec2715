//! The wire format of `/api/v1` and of the CLI's `--format json`: one set of types, so that
//! a script that reads one reads the other.
//!
//! Conversions from storage rows and domain types live here, at the boundary; the domain
//! crates never derive `Serialize` for the API's sake.

use aftercare_sbom::{Component, QualityReport, Requirement, Sbom};
use aftercare_service::flow::{Imported, Synced};
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

/// What importing a release (and its SBOM) did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportDto {
    /// The release.
    pub release: ReleaseDto,
    /// Whether these exact bytes were already the release's SBOM (nothing was written).
    pub duplicate: bool,
    /// Problems met while reading the SBOM.
    pub warnings: Vec<WarningDto>,
    /// The imported components matched against the stored intelligence.
    pub matched: Option<MatchReportDto>,
}

impl From<&Imported> for ImportDto {
    fn from(imported: &Imported) -> ImportDto {
        let outcome = &imported.import;
        ImportDto {
            release: ReleaseDto::new(&outcome.release, outcome.sbom.as_ref()),
            duplicate: outcome.duplicate,
            warnings: outcome.warnings.iter().map(WarningDto::from).collect(),
            matched: imported.matched.as_ref().map(MatchReportDto::from),
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

/// An error: a stable machine code and a message a person can act on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDto {
    /// The error.
    pub error: ErrorBodyDto,
}

/// The body of an error.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBodyDto {
    /// A stable machine code (`not_found`, `already_exists`, `invalid_input`,
    /// `unreadable_document`, `payload_too_large`, `unauthorized`, `forbidden`,
    /// `internal`).
    pub code: String,
    /// What went wrong, in a sentence.
    pub message: String,
}

/// Login credentials.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginDto {
    /// The login name.
    pub login: String,
    /// The password.
    pub password: String,
}

/// An account as others see it (never its password hash).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountDto {
    /// The id.
    pub id: i64,
    /// The login name.
    pub login: String,
    /// The printed name shown in signatures.
    pub display_name: String,
    /// Its roles.
    pub roles: Vec<String>,
    /// The customer organisation, for customers.
    pub organisation: Option<String>,
    /// Whether it is disabled.
    pub disabled: bool,
    /// Whether it is the workspace's local administrator.
    pub local_admin: bool,
    /// Failed logins in a row.
    pub failed_logins: i64,
    /// Locked until (RFC 3339, UTC), after too many failed logins.
    pub locked_until: Option<String>,
    /// When it was created.
    pub created_at: String,
}

impl From<&aftercare_store::account::AccountRow> for AccountDto {
    fn from(row: &aftercare_store::account::AccountRow) -> AccountDto {
        AccountDto {
            id: row.id,
            login: row.login.clone(),
            display_name: row.display_name.clone(),
            roles: row
                .roles
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            organisation: row.organisation.clone(),
            disabled: row.disabled,
            local_admin: row.local_admin,
            failed_logins: row.failed_logins,
            locked_until: row.locked_until.clone(),
            created_at: row.created_at.clone(),
        }
    }
}

/// The caller.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MeDto {
    /// The account's id.
    pub account_id: i64,
    /// The login name.
    pub login: String,
    /// The printed name.
    pub display_name: String,
    /// The roles in force.
    pub roles: Vec<String>,
    /// The permissions those roles grant.
    pub permissions: Vec<String>,
    /// `session` or `token`.
    pub via: String,
    /// The customer organisation, for customers.
    pub organisation: Option<String>,
}

impl From<&aftercare_service::access::auth::Principal> for MeDto {
    fn from(principal: &aftercare_service::access::auth::Principal) -> MeDto {
        MeDto {
            account_id: principal.account_id,
            login: principal.login.clone(),
            display_name: principal.display_name.clone(),
            roles: principal
                .roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            permissions: aftercare_model::Permission::ALL
                .iter()
                .filter(|p| principal.allows(**p))
                .map(|p| p.as_str().to_string())
                .collect(),
            via: match principal.via {
                aftercare_service::access::auth::Via::Session { .. } => "session",
                aftercare_service::access::auth::Via::Token { .. } => "token",
                aftercare_service::access::auth::Via::Local => "local",
            }
            .to_string(),
            organisation: principal.organisation.clone(),
        }
    }
}

/// A new account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewAccountDto {
    /// The login name.
    pub login: String,
    /// The printed name shown in signatures.
    pub display_name: String,
    /// The initial password (at least 10 characters).
    pub password: String,
    /// Its roles (`administrator`, `security-analyst`, `reviewer`, `release-engineer`,
    /// `viewer`, `customer`).
    pub roles: Vec<String>,
    /// The organisation, for customer accounts.
    #[serde(default)]
    pub organisation: Option<String>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountChangeDto {
    /// New roles.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Disable or enable.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// New organisation (customers).
    #[serde(default)]
    pub organisation: Option<String>,
}

/// A completed training (21 CFR 11.10(i)).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrainingDto {
    /// The topic.
    pub topic: String,
    /// When it was completed (`YYYY-MM-DD`).
    pub completed_on: String,
    /// When it expires (`YYYY-MM-DD`), if it does.
    #[serde(default)]
    pub expires_on: Option<String>,
}

/// A new API token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewTokenDto {
    /// Its name.
    pub name: String,
    /// Its roles (default: all of the account's).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Days until it expires (default: never).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    /// Another account it acts for (administrators only).
    #[serde(default)]
    pub account: Option<String>,
}

/// An API token (the secret only in the creation response).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenDto {
    /// The id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The secret's first characters.
    pub prefix: String,
    /// The account it acts for.
    pub account_id: i64,
    /// Its roles.
    pub roles: Vec<String>,
    /// When it was created.
    pub created_at: String,
    /// When it expires.
    pub expires_at: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<String>,
    /// When it was last used.
    pub last_used_at: Option<String>,
    /// The secret: shown once, when the token is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&aftercare_store::session::TokenRow> for TokenDto {
    fn from(row: &aftercare_store::session::TokenRow) -> TokenDto {
        TokenDto {
            id: row.id,
            name: row.name.clone(),
            prefix: row.prefix.clone(),
            account_id: row.account_id,
            roles: row
                .roles
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            created_at: row.created_at.clone(),
            expires_at: row.expires_at.clone(),
            revoked_at: row.revoked_at.clone(),
            last_used_at: row.last_used_at.clone(),
            secret: None,
        }
    }
}

/// One audit event with its chain links.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEventDto {
    /// Position in the chain.
    pub seq: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who (`user:alice`, `token:ci`, `system:feed-sync`).
    pub actor: String,
    /// What was done.
    pub action: String,
    /// The kind of record.
    pub entity_type: String,
    /// Its id.
    pub entity_id: Option<String>,
    /// The value before (JSON text).
    pub old_value: Option<String>,
    /// The value after (JSON text).
    pub new_value: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// The previous event's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

impl From<&aftercare_store::audit::StoredAuditEvent> for AuditEventDto {
    fn from(stored: &aftercare_store::audit::StoredAuditEvent) -> AuditEventDto {
        let event = &stored.event;
        AuditEventDto {
            seq: event.seq,
            at: event.at.clone(),
            actor: event.actor.clone(),
            action: event.action.clone(),
            entity_type: event.entity_type.clone(),
            entity_id: event.entity_id.clone(),
            old_value: event.old_value.clone(),
            new_value: event.new_value.clone(),
            reason: event.reason.clone(),
            request_id: event.request_id.clone(),
            prev_hash: stored.prev_hash.clone(),
            hash: stored.hash.clone(),
        }
    }
}

/// The result of verifying the audit chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditVerificationDto {
    /// Whether every link verified and the chain ends at its head.
    pub intact: bool,
    /// Events checked.
    pub events: i64,
    /// The head's sequence number.
    pub head_seq: i64,
    /// The head's hash (keep a copy outside aftercare to detect a rewritten chain).
    pub head_hash: String,
    /// The first broken event, if any.
    pub broken_at: Option<i64>,
    /// What is wrong there.
    pub reason: Option<String>,
}

impl From<&aftercare_service::audit::Verification> for AuditVerificationDto {
    fn from(v: &aftercare_service::audit::Verification) -> AuditVerificationDto {
        AuditVerificationDto {
            intact: v.is_intact(),
            events: v.events,
            head_seq: v.head.seq,
            head_hash: v.head.hash.clone(),
            broken_at: v.broken.as_ref().map(|b| b.seq),
            reason: v.broken.as_ref().map(|b| b.reason.clone()),
        }
    }
}

/// A security alert.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertDto {
    /// The id.
    pub id: i64,
    /// When.
    pub at: String,
    /// What kind.
    pub kind: String,
    /// The account concerned.
    pub account_id: Option<i64>,
    /// What happened.
    pub message: String,
}

impl From<&aftercare_store::alert::AlertRow> for AlertDto {
    fn from(row: &aftercare_store::alert::AlertRow) -> AlertDto {
        AlertDto {
            id: row.id,
            at: row.at.clone(),
            kind: row.kind.clone(),
            account_id: row.account_id,
            message: row.message.clone(),
        }
    }
}

/// An electronic signature with its manifestation and whether it still matches its record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignatureDto {
    /// The id.
    pub id: i64,
    /// The signer's account.
    pub account_id: i64,
    /// The signer's printed name at signing time.
    pub printed_name: String,
    /// The meaning.
    pub meaning: String,
    /// When (RFC 3339, UTC).
    pub signed_at: String,
    /// SHA-256 of the content signed.
    pub content_sha256: String,
    /// `valid`, or `content-changed` when the record changed after signing.
    pub state: String,
    /// The manifestation shown with the record (21 CFR 11.50).
    pub manifestation: String,
    /// The signer's comment.
    pub reason: Option<String>,
}

impl From<&aftercare_service::access::signature::SignatureView> for SignatureDto {
    fn from(view: &aftercare_service::access::signature::SignatureView) -> SignatureDto {
        let s = &view.signature;
        SignatureDto {
            id: s.id,
            account_id: s.account_id,
            printed_name: s.printed_name.clone(),
            meaning: s.meaning.clone(),
            signed_at: s.signed_at.clone(),
            content_sha256: s.content_sha256.clone(),
            state: view.state.as_str().to_string(),
            manifestation: aftercare_service::access::signature::manifestation(s),
            reason: s.reason.clone(),
        }
    }
}

/// A signature request: the signer's credentials and the meaning.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignDto {
    /// The signer's login (required at the first signing of a session).
    #[serde(default)]
    pub login: Option<String>,
    /// The signer's password (always required).
    pub password: String,
    /// `authorship`, `review`, `approval` or `responsibility`.
    pub meaning: String,
    /// A comment.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The policy in force.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyDto {
    /// The workspace revision (absent before any was stored: the built-in default).
    pub revision: Option<i64>,
    /// The policy's id.
    pub id: String,
    /// The policy's version.
    pub version: String,
    /// The canonical digest recorded with every clock it drives.
    pub digest: String,
    /// The IANA time zone deadlines are counted in.
    pub time_zone: String,
    /// When the revision was stored, and by whom.
    pub created_at: Option<String>,
    /// Who stored it.
    pub created_by: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The TOML text.
    pub source: String,
}

/// A policy change: the new TOML, why, and the signature.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyChangeDto {
    /// The new policy (TOML).
    pub source: String,
    /// Why it changes.
    pub reason: String,
    /// The electronic signature (required by default).
    #[serde(default)]
    pub signature: Option<SignDto>,
}

/// A regulatory clock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClockDto {
    /// The id.
    pub id: i64,
    /// The case it belongs to.
    pub case_id: i64,
    /// The product.
    pub product: String,
    /// The vulnerability.
    pub vulnerability: String,
    /// What it is for (`customer_communication`, `remediation`, `report_806`, …).
    pub kind: String,
    /// The report, MDR or incident number.
    pub reference: Option<String>,
    /// `open`, `met`, `missed` or `waived`.
    pub state: String,
    /// What day 0 is (`awareness`, `correction_start`, `provisional`, `event`).
    pub basis: String,
    /// Day 0.
    pub start: String,
    /// N.
    pub days: u32,
    /// `calendar` or `working`.
    pub day_kind: String,
    /// Day N.
    pub deadline_day: String,
    /// The instant the deadline ends (23:59:59 of day N in the policy's time zone), UTC.
    pub deadline_end: String,
    /// The time zone.
    pub time_zone: String,
    /// When it was satisfied, if it was.
    pub satisfied_at: Option<String>,
    /// The waiver's rationale, if waived.
    pub waiver: Option<String>,
    /// Why it was opened, when not obvious.
    pub note: Option<String>,
    /// The regulation or guidance it comes from.
    pub source: String,
    /// The digest of the policy that computed it.
    pub policy_digest: String,
}

impl ClockDto {
    /// The wire form of a clock.
    pub fn new(
        id: i64,
        case_id: i64,
        product: &str,
        vulnerability: &str,
        clock: &aftercare_risk::Clock,
    ) -> ClockDto {
        let stamp = |t: jiff::Timestamp| aftercare_store::timestamp_text(t);
        ClockDto {
            id,
            case_id,
            product: product.to_string(),
            vulnerability: vulnerability.to_string(),
            kind: clock.kind().as_str().to_string(),
            reference: clock.reference().map(str::to_string),
            state: clock.state().as_str().to_string(),
            basis: clock.basis().as_str().to_string(),
            start: clock.start().to_string(),
            days: clock.days(),
            day_kind: clock.day_kind().as_str().to_string(),
            deadline_day: clock.deadline().day.to_string(),
            deadline_end: stamp(clock.deadline().end),
            time_zone: clock.time_zone().iana_name().unwrap_or("UTC").to_string(),
            satisfied_at: clock.satisfied_at().map(stamp),
            waiver: clock.waiver().map(|w| w.rationale.clone()),
            note: clock.note().map(str::to_string),
            source: clock.source().to_string(),
            policy_digest: clock.policy_digest().to_hex(),
        }
    }
}

/// An event applied to a case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseEventDto {
    /// When it happened.
    pub at: String,
    /// Its kind.
    pub kind: String,
    /// Its details (JSON text).
    pub detail: String,
    /// Who recorded it.
    pub actor: String,
}

/// A regulatory case: one (product, vulnerability), its awareness date, determination and
/// clocks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseDto {
    /// The id.
    pub id: i64,
    /// The product.
    pub product: String,
    /// The vulnerability.
    pub vulnerability: String,
    /// The awareness date (day 0 of the clocks that run from it).
    pub awareness_date: Option<String>,
    /// Where the awareness date comes from.
    pub awareness_basis: Option<String>,
    /// `controlled` or `uncontrolled`, once determined.
    pub risk: Option<String>,
    /// The recorded start of the correction.
    pub correction_started: Option<String>,
    /// The clocks.
    pub clocks: Vec<ClockDto>,
    /// The events, in the order they were applied.
    pub events: Vec<CaseEventDto>,
}

impl CaseDto {
    /// The wire form of a case.
    pub fn new(
        view: &aftercare_service::triage::case::CaseView,
        events: &[aftercare_store::case::CaseEventRow],
    ) -> CaseDto {
        let awareness = view.case.awareness();
        CaseDto {
            id: view.row.id,
            product: view.product.clone(),
            vulnerability: view.row.vulnerability.clone(),
            awareness_date: awareness.map(|a| a.date.to_string()),
            awareness_basis: awareness.map(|a| match &a.basis {
                aftercare_risk::AwarenessBasis::FirstMatch => "first_match".to_string(),
                aftercare_risk::AwarenessBasis::ReportReceived => "report_received".to_string(),
                aftercare_risk::AwarenessBasis::AdvisoryReceived => "advisory_received".to_string(),
                aftercare_risk::AwarenessBasis::Analyst { reason } => format!("analyst: {reason}"),
            }),
            risk: view.case.risk().map(|r| r.as_str().to_string()),
            correction_started: view.case.correction_started().map(|d| d.to_string()),
            clocks: view
                .case
                .clocks()
                .iter()
                .zip(&view.clock_ids)
                .map(|(clock, id)| {
                    ClockDto::new(
                        *id,
                        view.row.id,
                        &view.product,
                        &view.row.vulnerability,
                        clock,
                    )
                })
                .collect(),
            events: events
                .iter()
                .map(|e| CaseEventDto {
                    at: e.at.clone(),
                    kind: e.kind.clone(),
                    detail: e.detail.clone(),
                    actor: e.actor.clone(),
                })
                .collect(),
        }
    }
}

/// An event to record on the case of (product, vulnerability).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewCaseEventDto {
    /// The product (name or id).
    pub product: String,
    /// The vulnerability (its canonical id).
    pub vulnerability: String,
    /// `finding_first_seen`, `advisory_received`, `report_received`, `report_acknowledged`,
    /// `awareness_date_entered`, `determination_made`, `correction_started`,
    /// `customer_communication_sent`, `fix_distributed`, `isao_shared`,
    /// `serious_adverse_event_known`, `report_806_submitted`, `mdr_reportable_event`,
    /// `mdr_supplemental_information`, `mdr_report_submitted`, `serious_incident`,
    /// `eu_mdr_report_submitted`.
    pub kind: String,
    /// When it happened (RFC 3339; default now).
    #[serde(default)]
    pub at: Option<String>,
    /// A date the event carries (awareness date, correction start, MDR awareness,
    /// supplemental information received), `YYYY-MM-DD`.
    #[serde(default)]
    pub date: Option<String>,
    /// The report, MDR or incident number.
    #[serde(default)]
    pub reference: Option<String>,
    /// Why (required for an awareness date).
    #[serde(default)]
    pub reason: Option<String>,
    /// `controlled` or `uncontrolled` (determination).
    #[serde(default)]
    pub risk: Option<String>,
    /// 803: the five-work-day report applies.
    #[serde(default)]
    pub five_day: bool,
    /// EU MDR: `serious_incident`, `public_health_threat` or `death_or_serious_deterioration`.
    #[serde(default)]
    pub category: Option<String>,
}

/// A waiver of an open clock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WaiverDto {
    /// The written rationale.
    pub rationale: String,
    /// The electronic signature (required by default).
    #[serde(default)]
    pub signature: Option<SignDto>,
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

/// A sync run of a feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncRunDto {
    /// The run's id.
    pub id: i64,
    /// `running` (interrupted; the next sync resumes it), `completed` or `unchanged`.
    pub status: String,
    /// Who started it (`user:…`, `system:feed-sync`).
    pub actor: String,
    /// When it started (RFC 3339, UTC).
    pub started_at: String,
    /// When it finished.
    pub finished_at: Option<String>,
    /// Documents read.
    pub documents: i64,
    /// Records seen for the first time.
    pub new: i64,
    /// Records that changed.
    pub updated: i64,
    /// Records the source withdrew in this run.
    pub withdrawn: i64,
    /// Records already stored as they are.
    pub unchanged: i64,
    /// Warnings (bad dates, vectors, ids; unreadable documents).
    pub warnings: i64,
    /// Transactions committed.
    pub batches: i64,
    /// Times the run was started (1 + resumptions).
    pub attempts: i64,
    /// SHA-256 of the run's delta.
    pub delta_sha256: Option<String>,
}

impl From<&aftercare_store::feed::RunRow> for SyncRunDto {
    fn from(run: &aftercare_store::feed::RunRow) -> SyncRunDto {
        SyncRunDto {
            id: run.id,
            status: run.status.clone(),
            actor: run.actor.clone(),
            started_at: run.started_at.clone(),
            finished_at: run.finished_at.clone(),
            documents: run.counts.documents,
            new: run.counts.new,
            updated: run.counts.updated,
            withdrawn: run.counts.withdrawn,
            unchanged: run.counts.unchanged,
            warnings: run.counts.warnings,
            batches: run.counts.batches,
            attempts: run.attempts,
            delta_sha256: run.delta_digest.clone(),
        }
    }
}

/// A feed: a source of vulnerability intelligence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedDto {
    /// The unique name.
    pub name: String,
    /// `osv`, `nvd`, `cve5`, `kev`, `epss` or `csaf`.
    pub kind: String,
    /// The URL given when it was added.
    pub url: Option<String>,
    /// The local mirror, when it reads one.
    pub path: Option<String>,
    /// The OSV ecosystem.
    pub ecosystem: Option<String>,
    /// The URL it is fetched from (its own or the official default).
    pub effective_url: Option<String>,
    /// When it was added.
    pub created_at: String,
    /// Who added it.
    pub created_by: String,
    /// When a sync last started.
    pub last_attempt_at: Option<String>,
    /// When a sync last completed.
    pub last_success_at: Option<String>,
    /// `completed`, `unchanged` or `failed`.
    pub last_status: Option<String>,
    /// Why the last sync failed.
    pub last_error: Option<String>,
    /// Its newest run.
    pub last_run: Option<SyncRunDto>,
}

impl From<&aftercare_service::intel::feed::FeedStatus> for FeedDto {
    fn from(status: &aftercare_service::intel::feed::FeedStatus) -> FeedDto {
        let feed = &status.feed;
        FeedDto {
            name: feed.name.clone(),
            kind: feed.kind.clone(),
            url: feed.url.clone(),
            path: feed.path.clone(),
            ecosystem: feed.ecosystem.clone(),
            effective_url: status.effective_url.clone(),
            created_at: feed.created_at.clone(),
            created_by: feed.created_by.clone(),
            last_attempt_at: feed.last_attempt_at.clone(),
            last_success_at: feed.last_success_at.clone(),
            last_status: feed.last_status.clone(),
            last_error: feed.last_error.clone(),
            last_run: status.last_run.as_ref().map(SyncRunDto::from),
        }
    }
}

/// A new feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewFeedDto {
    /// The unique name (letters, digits, `.`, `_`, `-`).
    pub name: String,
    /// `osv`, `nvd`, `cve5`, `kev`, `epss` or `csaf`.
    pub kind: String,
    /// The URL (default: the kind's official source).
    #[serde(default)]
    pub url: Option<String>,
    /// A local mirror on the server instead of a URL.
    #[serde(default)]
    pub path: Option<String>,
    /// The OSV ecosystem for the default osv.dev URL (`PyPI`, `npm` …).
    #[serde(default)]
    pub ecosystem: Option<String>,
}

/// A warning met during a sync.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncWarningDto {
    /// The document (URL, path or `archive!member`).
    pub document: String,
    /// The record, when about one.
    pub record: Option<String>,
    /// `InvalidDate`, `InvalidCvss`, `InvalidId`, `SkippedRecord`, `Unsupported` …
    pub kind: String,
    /// What happened.
    pub message: String,
}

impl From<&aftercare_store::feed::WarningRow> for SyncWarningDto {
    fn from(warning: &aftercare_store::feed::WarningRow) -> SyncWarningDto {
        SyncWarningDto {
            document: warning.document.clone(),
            record: warning.record.clone(),
            kind: warning.kind.clone(),
            message: warning.message.clone(),
        }
    }
}

/// A feed with its recent runs and the warnings of the newest.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedDetailDto {
    /// The feed.
    pub feed: FeedDto,
    /// Its recent runs, newest first.
    pub runs: Vec<SyncRunDto>,
    /// The warnings of the newest run.
    pub warnings: Vec<SyncWarningDto>,
}

impl From<&aftercare_service::intel::feed::FeedDetail> for FeedDetailDto {
    fn from(detail: &aftercare_service::intel::feed::FeedDetail) -> FeedDetailDto {
        FeedDetailDto {
            feed: FeedDto::from(&detail.status),
            runs: detail.runs.iter().map(SyncRunDto::from).collect(),
            warnings: detail.warnings.iter().map(SyncWarningDto::from).collect(),
        }
    }
}

/// What changed in a sync, for re-matching.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncDeltaDto {
    /// Row ids of vulnerabilities that are new, changed or merged away.
    pub vulnerabilities: Vec<i64>,
    /// Package keys (`Ecosystem/name`) named before or after a change.
    pub packages: Vec<String>,
    /// CPE `vendor:product` pairs named before or after a change (`*:*`: a wildcard).
    pub products: Vec<String>,
    /// CVEs whose KEV entry changed.
    pub kev: Vec<String>,
    /// EPSS score dates applied.
    pub epss: Vec<String>,
}

impl From<&aftercare_service::intel::sync::SyncDelta> for SyncDeltaDto {
    fn from(delta: &aftercare_service::intel::sync::SyncDelta) -> SyncDeltaDto {
        SyncDeltaDto {
            vulnerabilities: delta.vulnerabilities.clone(),
            packages: delta.packages.clone(),
            products: delta
                .products
                .iter()
                .map(|(vendor, product)| format!("{vendor}:{product}"))
                .collect(),
            kev: delta.kev.clone(),
            epss: delta.epss.clone(),
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncReportDto {
    /// The feed.
    pub feed: String,
    /// The run.
    pub run_id: Option<i64>,
    /// `completed`, `unchanged` or `interrupted`.
    pub status: String,
    /// Whether it resumed an interrupted run.
    pub resumed: bool,
    /// Documents read.
    pub documents: i64,
    /// Records seen for the first time.
    pub new: i64,
    /// Records that changed.
    pub updated: i64,
    /// Records the source withdrew.
    pub withdrawn: i64,
    /// Records already stored as they are.
    pub unchanged: i64,
    /// Warnings in all (the first are listed).
    pub warning_count: i64,
    /// The first warnings.
    pub warnings: Vec<SyncWarningDto>,
    /// What changed.
    pub delta: SyncDeltaDto,
    /// The re-match of the findings the delta touches.
    pub matched: Option<MatchReportDto>,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
}

impl From<&Synced> for SyncReportDto {
    fn from(synced: &Synced) -> SyncReportDto {
        let report = &synced.sync;
        SyncReportDto {
            feed: report.feed.clone(),
            run_id: report.run_id,
            status: report.status.as_str().to_string(),
            resumed: report.resumed,
            documents: report.counts.documents,
            new: report.counts.new,
            updated: report.counts.updated,
            withdrawn: report.counts.withdrawn,
            unchanged: report.counts.unchanged,
            warning_count: report.counts.warnings,
            warnings: report.warnings.iter().map(SyncWarningDto::from).collect(),
            delta: SyncDeltaDto::from(&report.delta),
            matched: synced.matched.as_ref().map(MatchReportDto::from),
            elapsed_ms: u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// A sync started in the background.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SyncStartedDto {
    /// The feed.
    pub feed: String,
    /// `started`.
    pub status: String,
}

/// What a record says is affected, in words.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AffectedDto {
    /// `package`, `cpe`, `product` or `csaf`.
    pub kind: String,
    /// The package key, CPE, product or CSAF product name.
    pub name: String,
    /// Versions, ranges or status.
    pub detail: String,
}

/// One source's record about a vulnerability.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordDto {
    /// `osv`, `nvd`, `nvd-1.1`, `cve5` or `csaf`.
    pub source: String,
    /// The record's own id.
    pub id: String,
    /// The feed that delivered it.
    pub feed: String,
    /// Last modification.
    pub modified: Option<String>,
    /// First publication.
    pub published: Option<String>,
    /// Whether the source withdrew or rejected it.
    pub withdrawn: bool,
    /// Why.
    pub withdrawn_reason: Option<String>,
    /// The summary.
    pub summary: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The highest severity of its ratings.
    pub severity: Option<String>,
    /// Its ratings (CVSS vectors, scores, labels).
    #[schema(value_type = Object)]
    pub ratings: serde_json::Value,
    /// Its aliases.
    pub aliases: Vec<String>,
    /// Related ids.
    pub related: Vec<String>,
    /// SHA-256 of its original document.
    pub document_sha256: String,
    /// The document's name (URL, path or `archive!member`).
    pub document_name: Option<String>,
    /// When it was fetched.
    pub fetched_at: String,
    /// What it says is affected.
    pub affected: Vec<AffectedDto>,
}

/// A CISA KEV catalog entry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KevDto {
    /// The CVE.
    pub cve: String,
    /// Vendor or project.
    pub vendor_project: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// CISA's name for the vulnerability.
    pub vulnerability_name: Option<String>,
    /// Listed since (YYYY-MM-DD).
    pub date_added: Option<String>,
    /// Due date for US federal agencies.
    pub due_date: Option<String>,
    /// Known use in ransomware campaigns (`Known`, `Unknown`).
    pub ransomware: Option<String>,
    /// The required action.
    pub required_action: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// The catalog version.
    pub catalog_version: Option<String>,
}

impl From<&aftercare_store::intel::KevRow> for KevDto {
    fn from(row: &aftercare_store::intel::KevRow) -> KevDto {
        KevDto {
            cve: row.cve.clone(),
            vendor_project: row.vendor_project.clone(),
            product: row.product.clone(),
            vulnerability_name: row.vulnerability_name.clone(),
            date_added: row.date_added.clone(),
            due_date: row.due_date.clone(),
            ransomware: row.ransomware.clone(),
            required_action: row.required_action.clone(),
            notes: row.notes.clone(),
            catalog_version: row.catalog_version.clone(),
        }
    }
}

/// An EPSS score.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EpssDto {
    /// The day it is for.
    pub score_date: String,
    /// The probability of exploitation in the next 30 days.
    pub epss: f64,
    /// Its percentile.
    pub percentile: f64,
    /// The model version.
    pub model_version: Option<String>,
}

impl From<&aftercare_store::intel::EpssRow> for EpssDto {
    fn from(row: &aftercare_store::intel::EpssRow) -> EpssDto {
        EpssDto {
            score_date: row.score_date.clone(),
            epss: row.epss,
            percentile: row.percentile,
            model_version: row.model_version.clone(),
        }
    }
}

/// A vulnerability: one identity across aliases, with every source's record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VulnerabilityDto {
    /// The stable row id (findings and cases reference it).
    pub id: i64,
    /// The canonical id: the CVE, else the preferred id.
    pub canonical: String,
    /// `active` or `merged`.
    pub status: String,
    /// Whether every record is withdrawn.
    pub withdrawn: bool,
    /// Earliest publication.
    pub published: Option<String>,
    /// Latest modification.
    pub modified: Option<String>,
    /// A summary.
    pub summary: Option<String>,
    /// The highest severity of its records.
    pub severity: Option<String>,
    /// The ids merged into it.
    pub ids: Vec<String>,
    /// Ids it shares with other vulnerabilities.
    pub shared_ids: Vec<String>,
    /// Related ids (never merged).
    pub related: Vec<String>,
    /// The row id asked for, when it was merged into this one.
    pub redirected_from: Option<i64>,
    /// Its CISA KEV entry.
    pub kev: Option<KevDto>,
    /// Its latest EPSS score.
    pub epss: Option<EpssDto>,
    /// Its EPSS history, oldest first.
    pub epss_history: Vec<EpssDto>,
    /// Every source's record.
    pub records: Vec<RecordDto>,
}

impl From<&aftercare_service::intel::lookup::VulnerabilityDetail> for VulnerabilityDto {
    fn from(detail: &aftercare_service::intel::lookup::VulnerabilityDetail) -> VulnerabilityDto {
        let v = &detail.vulnerability;
        VulnerabilityDto {
            id: v.id,
            canonical: v.canonical.clone(),
            status: v.status.clone(),
            withdrawn: v.withdrawn,
            published: v.published.clone(),
            modified: v.modified.clone(),
            summary: v.summary.clone(),
            severity: detail.severity.clone(),
            ids: detail.ids.clone(),
            shared_ids: detail.shared_ids.clone(),
            related: detail.related.clone(),
            redirected_from: detail.redirected_from,
            kev: detail.kev.as_ref().map(KevDto::from),
            epss: detail.epss.as_ref().map(EpssDto::from),
            epss_history: detail.epss_history.iter().map(EpssDto::from).collect(),
            records: detail
                .records
                .iter()
                .map(|r| {
                    let record = &r.record.record;
                    RecordDto {
                        source: record.source.clone(),
                        id: record.record_id.clone(),
                        feed: r.record.feed.clone(),
                        modified: record.modified.clone(),
                        published: record.published.clone(),
                        withdrawn: record.withdrawn,
                        withdrawn_reason: record.withdrawn_reason.clone(),
                        summary: record.summary.clone(),
                        description: record.description.clone(),
                        severity: record.severity.clone(),
                        ratings: serde_json::from_str(&record.ratings)
                            .unwrap_or(serde_json::Value::Null),
                        aliases: record.aliases.clone(),
                        related: record.related.clone(),
                        document_sha256: r.record.document_sha256.clone(),
                        document_name: r.record.document_name.clone(),
                        fetched_at: record.fetched_at.clone(),
                        affected: r
                            .affected
                            .iter()
                            .map(|a| AffectedDto {
                                kind: a.kind.to_string(),
                                name: a.name.clone(),
                                detail: a.detail.clone(),
                            })
                            .collect(),
                    }
                })
                .collect(),
        }
    }
}

/// What a name resolves to: one vulnerability, or several when the name is shared (a
/// record aliasing several CVEs).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VulnerabilityLookupDto {
    /// The name asked for.
    pub query: String,
    /// The vulnerabilities it names.
    pub vulnerabilities: Vec<VulnerabilityDto>,
}

/// A vulnerability in a search result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VulnerabilitySummaryDto {
    /// The stable row id.
    pub id: i64,
    /// The canonical id.
    pub canonical: String,
    /// A summary.
    pub summary: Option<String>,
    /// Earliest publication.
    pub published: Option<String>,
    /// Whether every record is withdrawn.
    pub withdrawn: bool,
    /// The highest severity of its records.
    pub severity: Option<String>,
    /// Whether it is in the KEV catalog.
    pub kev: bool,
    /// Its latest EPSS score.
    pub epss: Option<f64>,
    /// Its records as `source:id`.
    pub records: Vec<String>,
}

impl From<&aftercare_service::intel::lookup::VulnerabilitySummary> for VulnerabilitySummaryDto {
    fn from(
        item: &aftercare_service::intel::lookup::VulnerabilitySummary,
    ) -> VulnerabilitySummaryDto {
        VulnerabilitySummaryDto {
            id: item.vulnerability.id,
            canonical: item.vulnerability.canonical.clone(),
            summary: item.vulnerability.summary.clone(),
            published: item.vulnerability.published.clone(),
            withdrawn: item.vulnerability.withdrawn,
            severity: item.severity.clone(),
            kev: item.kev,
            epss: item.epss,
            records: item.records.clone(),
        }
    }
}

/// A page of vulnerabilities.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VulnerabilityPageDto {
    /// This page.
    pub items: Vec<VulnerabilitySummaryDto>,
    /// How many match in all.
    pub total: i64,
    /// The offset of the first item.
    pub offset: i64,
    /// The page size asked for.
    pub limit: i64,
}

/// What a match run did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MatchReportDto {
    /// Components matched.
    pub components: usize,
    /// Vulnerability records considered.
    pub records: usize,
    /// Findings opened (new pairs).
    pub opened: Vec<i64>,
    /// Closed findings that match again.
    pub reopened: Vec<i64>,
    /// Open findings whose match changed.
    pub changed: Vec<i64>,
    /// Findings that no longer match, closed with the reason.
    pub closed: Vec<i64>,
    /// Findings confirmed unchanged.
    pub confirmed: usize,
    /// Regulatory cases told of a first match.
    pub cases: usize,
    /// How long it took, in milliseconds.
    pub elapsed_ms: u64,
}

impl From<&aftercare_service::finding::MatchReport> for MatchReportDto {
    fn from(report: &aftercare_service::finding::MatchReport) -> MatchReportDto {
        MatchReportDto {
            components: report.components,
            records: report.records,
            opened: report.opened.clone(),
            reopened: report.reopened.clone(),
            changed: report.changed.clone(),
            closed: report.closed.clone(),
            confirmed: report.confirmed,
            cases: report.cases,
            elapsed_ms: u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// The component of a finding.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingComponentDto {
    /// The component's id.
    pub id: i64,
    /// Its name (`group/name`).
    pub name: String,
    /// Its version.
    pub version: Option<String>,
    /// Its package URL.
    pub purl: Option<String>,
}

/// The vulnerability of a finding.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingVulnerabilityDto {
    /// The canonical id (the CVE when there is one).
    pub id: String,
    /// Its other ids.
    pub aliases: Vec<String>,
    /// The stored vulnerability's row id (`/api/v1/vulnerabilities/{id}`).
    pub row_id: Option<i64>,
    /// Its summary.
    pub summary: Option<String>,
}

/// A finding: a vulnerability matched to a component of a release.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingDto {
    /// The id.
    pub id: i64,
    /// The product.
    pub product: String,
    /// The release's version.
    pub release: String,
    /// The component.
    pub component: FindingComponentDto,
    /// The vulnerability.
    pub vulnerability: FindingVulnerabilityDto,
    /// `open` or `closed`.
    pub state: String,
    /// `critical`, `high`, `medium`, `low`, `none` or `unknown`.
    pub severity: String,
    /// The CVSS base score behind the severity, when a vector gave it.
    pub score: Option<f64>,
    /// Where the severity comes from (`source`: `cvss`, `label` or `none`, with the record,
    /// vector or label).
    #[schema(value_type = Object)]
    pub severity_basis: serde_json::Value,
    /// Whether the vulnerability is in CISA's KEV catalog.
    pub kev: bool,
    /// `high`, `medium` or `low`: how sure the match is.
    pub confidence: String,
    /// The component version that matched.
    pub matched_version: Option<String>,
    /// The versions to upgrade to.
    pub fixed_versions: Vec<String>,
    /// Why it matched: one entry per record and range, CPE criterion or CSAF status (`record`,
    /// `kind`, `text`, `version`, `fixed`, `confidence`).
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<serde_json::Value>,
    /// When it was first matched: the awareness date the regulatory clocks start from.
    pub first_seen: String,
    /// When a match last confirmed it.
    pub last_seen: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// Why it was closed.
    pub close_reason: Option<String>,
    /// The VEX status of the decision that applies, when assessed.
    pub vex_status: Option<String>,
    /// Whether that decision was made on another finding (inherited).
    pub inherited: Option<bool>,
    /// Whether the finding needs a re-review (its version left an inherited decision's
    /// range).
    pub review_required: bool,
}

impl From<&aftercare_store::finding::FindingRow> for FindingDto {
    fn from(row: &aftercare_store::finding::FindingRow) -> FindingDto {
        let parse =
            |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap_or_default();
        FindingDto {
            id: row.id,
            product: row.product.clone(),
            release: row.release.clone(),
            component: FindingComponentDto {
                id: row.component_id,
                name: row.component_name.clone(),
                version: row.component_version.clone(),
                purl: row.component_purl.clone(),
            },
            vulnerability: FindingVulnerabilityDto {
                id: row.vulnerability.clone(),
                aliases: serde_json::from_str(&row.aliases).unwrap_or_default(),
                row_id: row.vulnerability_id,
                summary: row.summary.clone(),
            },
            state: row.state.clone(),
            severity: row.severity.clone(),
            score: row.score,
            severity_basis: parse(&row.severity_basis),
            kev: row.kev,
            confidence: row.confidence.clone(),
            matched_version: row.matched_version.clone(),
            fixed_versions: serde_json::from_str(&row.fixed_versions).unwrap_or_default(),
            reasons: serde_json::from_str(&row.reasons).unwrap_or_default(),
            first_seen: row.first_seen.clone(),
            last_seen: row.last_seen.clone(),
            closed_at: row.closed_at.clone(),
            close_reason: row.close_reason.clone(),
            vex_status: row.vex_status.clone(),
            inherited: row.inherited,
            review_required: row.review_required,
        }
    }
}

/// One page of findings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingPageDto {
    /// The findings on this page, most severe first.
    pub items: Vec<FindingDto>,
    /// How many match in all.
    pub total: i64,
    /// The offset of the first item.
    pub offset: i64,
    /// The page size asked for.
    pub limit: i64,
}

/// An event of a finding's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingEventDto {
    /// When.
    pub at: String,
    /// `opened`, `changed`, `closed`, `reopened`, `assessed`, `inherited`, …
    pub kind: String,
    /// What, as recorded.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Who.
    pub actor: String,
}

impl From<&aftercare_store::finding::FindingEvent> for FindingEventDto {
    fn from(event: &aftercare_store::finding::FindingEvent) -> FindingEventDto {
        FindingEventDto {
            at: event.at.clone(),
            kind: event.kind.clone(),
            detail: serde_json::from_str(&event.detail).unwrap_or_default(),
            actor: event.actor.clone(),
        }
    }
}

/// A finding with its triage, its case and its history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingDetailDto {
    /// The finding.
    pub finding: FindingDto,
    /// Its assessment, exploitability signals and determination.
    pub triage: TriageDto,
    /// The regulatory case of the product and the vulnerability: awareness, risk, clocks.
    pub case: Option<CaseDto>,
    /// What happened to it, oldest first.
    pub history: Vec<FindingEventDto>,
}

impl From<&aftercare_service::finding::FindingDetail> for FindingDetailDto {
    fn from(detail: &aftercare_service::finding::FindingDetail) -> FindingDetailDto {
        FindingDetailDto {
            finding: FindingDto::from(&detail.finding),
            triage: TriageDto::from(&detail.triage),
            case: detail
                .case
                .as_ref()
                .map(|(view, events)| CaseDto::new(view, events)),
            history: detail.history.iter().map(FindingEventDto::from).collect(),
        }
    }
}

/// A compensating control.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ControlDto {
    /// What it is.
    pub description: String,
    /// Where the evidence is (a document id, a test report).
    pub evidence: String,
    /// Whether it prevents or substantially hinders exploitation of this vulnerability.
    #[serde(default = "yes")]
    pub effective: bool,
}

fn yes() -> bool {
    true
}

/// The assessment that applies to a finding: the decision, and how it applies.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessmentDto {
    /// The decision's id.
    pub decision: i64,
    /// The finding it was made on.
    pub made_on_finding: i64,
    /// Whether it was made on another finding.
    pub inherited: bool,
    /// Whether this finding needs a re-review.
    pub review_required: bool,
    /// Why.
    pub review_reason: Option<String>,
    /// `finding`, `product` or `portfolio`.
    pub scope: String,
    /// The versions of the component it covers.
    pub versions: String,
    /// VEX status.
    pub status: String,
    /// CycloneDX justification (for `not_affected`).
    pub justification: Option<String>,
    /// The OpenVEX / CSAF justification it maps to.
    pub openvex_justification: Option<String>,
    /// Why not affected, in words.
    pub impact_statement: Option<String>,
    /// Responses.
    pub responses: Vec<String>,
    /// What users should do.
    pub action_statement: Option<String>,
    /// Notes.
    pub details: Option<String>,
    /// Who works on it.
    pub assignee: Option<String>,
    /// The CVSS vector rescored for the device.
    pub cvss_vector: Option<String>,
    /// Its score.
    pub cvss_score: Option<f64>,
    /// The medical-device rubric's extended vector of answers.
    pub rubric_vector: Option<String>,
    /// ISO 14971 harm severity.
    pub harm_severity: Option<String>,
    /// Whether essential clinical performance is affected.
    pub essential_clinical_performance_affected: Option<bool>,
    /// Compensating controls.
    pub controls: Vec<ControlDto>,
    /// When the decision was made.
    pub made_at: String,
    /// Who made it.
    pub made_by: String,
}

/// The exploitability signals of a finding and the level the policy gives them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignalsDto {
    /// In CISA's KEV catalog since this date.
    pub kev_date_added: Option<String>,
    /// KEV: known use in ransomware campaigns.
    pub kev_ransomware: bool,
    /// The latest EPSS score (0–1).
    pub epss: Option<f64>,
    /// Its percentile.
    pub epss_percentile: Option<f64>,
    /// Its date.
    pub epss_date: Option<String>,
    /// How much the score rose over the policy's trend window.
    pub epss_rise: Option<f64>,
    /// The exploit maturity of the device vector.
    pub exploit_maturity: Option<String>,
    /// Public exploit references in the vulnerability's records (links tagged as exploits,
    /// Exploit-DB, Packet Storm, Metasploit).
    pub public_exploit_references: u32,
    /// The policy's exploitability level.
    pub exploitability: String,
    /// The rules that fired (`rule`, `level`, `detail`).
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<serde_json::Value>,
}

/// A determination: controlled or uncontrolled, with its inputs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeterminationDto {
    /// The id.
    pub id: i64,
    /// `controlled` or `uncontrolled`.
    pub outcome: String,
    /// What the policy computed (differs from the outcome when overridden).
    pub computed: String,
    /// The exploitability level.
    pub exploitability: String,
    /// The rules that fired.
    #[schema(value_type = Vec<Object>)]
    pub exploitability_reasons: Vec<serde_json::Value>,
    /// The harm severity.
    pub harm_severity: String,
    /// Whether essential clinical performance is affected.
    pub essential_clinical_performance_affected: bool,
    /// The override's rationale.
    pub override_rationale: Option<String>,
    /// The patch path (`regular_cycle`, `out_of_cycle_candidate` with reasons,
    /// `out_of_cycle_required`).
    #[schema(value_type = Object)]
    pub patch_path: serde_json::Value,
    /// The SHA-256 of its canonical inputs.
    pub inputs_sha256: String,
    /// The SHA-256 of the policy that made it.
    pub policy_sha256: String,
    /// Its electronic signature.
    pub signature_id: Option<i64>,
    /// Its signatures, with the manifestation of 21 CFR 11.50 and whether each still matches
    /// the stored record (filled for the latest determination of a finding's triage).
    #[serde(default)]
    pub signatures: Vec<SignatureDto>,
    /// When.
    pub created_at: String,
    /// Who.
    pub created_by: String,
}

impl From<&aftercare_store::assessment::DeterminationRow> for DeterminationDto {
    fn from(d: &aftercare_store::assessment::DeterminationRow) -> DeterminationDto {
        DeterminationDto {
            id: d.id,
            outcome: d.outcome.clone(),
            computed: d.computed.clone(),
            exploitability: d.exploitability_level.clone(),
            exploitability_reasons: serde_json::from_str(&d.exploitability_reasons)
                .unwrap_or_default(),
            harm_severity: d.harm_severity.clone(),
            essential_clinical_performance_affected: d.ecp_affected,
            override_rationale: d.override_rationale.clone(),
            patch_path: serde_json::from_str(&d.patch_path).unwrap_or_default(),
            inputs_sha256: d.inputs_digest.clone(),
            policy_sha256: d.policy_digest.clone(),
            signature_id: d.signature_id,
            signatures: Vec::new(),
            created_at: d.created_at.clone(),
            created_by: d.created_by.clone(),
        }
    }
}

/// The triage of a finding.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TriageDto {
    /// The assessment, when assessed.
    pub assessment: Option<AssessmentDto>,
    /// The exploitability signals.
    pub signals: SignalsDto,
    /// The latest determination of the product and the vulnerability.
    pub determination: Option<DeterminationDto>,
    /// Earlier determinations, newest first.
    pub earlier_determinations: Vec<DeterminationDto>,
}

impl From<&aftercare_service::triage::assessment::Triage> for TriageDto {
    fn from(t: &aftercare_service::triage::assessment::Triage) -> TriageDto {
        let assessment = match (&t.assessment, &t.decision) {
            (Some(a), Some(d)) => Some(AssessmentDto {
                decision: d.id,
                made_on_finding: d.finding_id,
                inherited: a.inherited,
                review_required: a.review_required,
                review_reason: a.review_reason.clone(),
                scope: d.scope.clone(),
                versions: d.versions.clone(),
                status: d.status.clone(),
                justification: d.justification.clone(),
                openvex_justification: d
                    .justification
                    .as_deref()
                    .and_then(|j| j.parse::<aftercare_risk::Justification>().ok())
                    .map(|j| j.to_openvex().as_str().to_string()),
                impact_statement: d.impact_statement.clone(),
                responses: serde_json::from_str(&d.responses).unwrap_or_default(),
                action_statement: d.action_statement.clone(),
                details: d.details.clone(),
                assignee: d.assignee.clone(),
                cvss_vector: d.cvss_vector.clone(),
                cvss_score: d.cvss_score,
                rubric_vector: d.rubric_vector.clone(),
                harm_severity: d.harm_severity.clone(),
                essential_clinical_performance_affected: d.ecp_affected,
                controls: serde_json::from_str(&d.controls).unwrap_or_default(),
                made_at: d.created_at.clone(),
                made_by: d.created_by.clone(),
            }),
            _ => None,
        };
        let s = &t.signals;
        TriageDto {
            assessment,
            signals: SignalsDto {
                kev_date_added: s.kev.map(|k| k.date_added.to_string()),
                kev_ransomware: s.kev.is_some_and(|k| k.known_ransomware_use),
                epss: s.epss.as_ref().map(|e| e.score()),
                epss_percentile: s.epss.as_ref().map(|e| e.percentile()),
                epss_date: s.epss.as_ref().map(|e| e.date().to_string()),
                epss_rise: s.epss.as_ref().and_then(|e| e.rise(30)),
                exploit_maturity: s.exploit_maturity.map(|m| m.as_str().to_string()),
                public_exploit_references: s.public_exploit_references,
                exploitability: t.exploitability.level.id().to_string(),
                reasons: t
                    .exploitability
                    .reasons
                    .iter()
                    .map(|r| serde_json::json!({"rule": r.rule, "level": r.level, "detail": r.detail}))
                    .collect(),
            },
            determination: t.determination.as_ref().map(|d| {
                let mut dto = DeterminationDto::from(d);
                dto.signatures = t
                    .determination_signatures
                    .iter()
                    .map(SignatureDto::from)
                    .collect();
                dto
            }),
            earlier_determinations: t
                .earlier_determinations
                .iter()
                .map(DeterminationDto::from)
                .collect(),
        }
    }
}

/// An assessment to record on one or several findings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct NewAssessmentDto {
    /// The findings (for `POST /api/v1/findings/assessments`; the path names it otherwise).
    #[serde(default)]
    pub findings: Vec<i64>,
    /// `not_affected`, `affected`, `fixed` or `under_investigation`.
    pub status: String,
    /// One of the nine CycloneDX justifications, for `not_affected`.
    pub justification: Option<String>,
    /// Why not affected, in words.
    pub impact_statement: Option<String>,
    /// `can_not_fix`, `will_not_fix`, `update`, `rollback`, `workaround_available`.
    #[serde(default)]
    pub responses: Vec<String>,
    /// What users should do.
    pub action_statement: Option<String>,
    /// Notes.
    pub details: Option<String>,
    /// Who works on it.
    pub assignee: Option<String>,
    /// `finding` (default), `product` (every release of the product with the same component)
    /// or `portfolio` (every product).
    pub scope: Option<String>,
    /// The versions of the component it covers (default: exactly the finding's version):
    /// `*`, `=1.2.3`, `>=1.0,<2.0`.
    pub versions: Option<String>,
    /// The CVSS vector rescored for the device.
    pub cvss_vector: Option<String>,
    /// The MITRE/MDIC rubric's extended vector of answers (gives the CVSS vector when none
    /// is typed).
    pub rubric: Option<String>,
    /// ISO 14971 harm severity (`negligible` … `catastrophic`): with it, the determination
    /// of the product and the vulnerability is made.
    pub harm: Option<String>,
    /// Whether essential clinical performance is affected (default true with a harm).
    pub essential_clinical_performance_affected: Option<bool>,
    /// Compensating controls.
    #[serde(default)]
    pub controls: Vec<ControlDto>,
    /// Override the determination's outcome (`controlled`, `uncontrolled`).
    pub override_outcome: Option<String>,
    /// The override's written rationale.
    pub override_rationale: Option<String>,
    /// The electronic signature (a determination requires one by default).
    pub signature: Option<SignDto>,
}

impl NewAssessmentDto {
    /// The service's input.
    pub fn input(&self) -> aftercare_service::triage::assessment::AssessmentInput {
        aftercare_service::triage::assessment::AssessmentInput {
            status: self.status.clone(),
            justification: self.justification.clone(),
            impact_statement: self.impact_statement.clone(),
            responses: self.responses.clone(),
            action_statement: self.action_statement.clone(),
            details: self.details.clone(),
            assignee: self.assignee.clone(),
            scope: self.scope.clone(),
            versions: self.versions.clone(),
            cvss_vector: self.cvss_vector.clone(),
            rubric: self.rubric.clone(),
            harm: self.harm.clone(),
            ecp_affected: self.essential_clinical_performance_affected,
            controls: self
                .controls
                .iter()
                .map(|c| aftercare_service::triage::assessment::ControlInput {
                    description: c.description.clone(),
                    evidence: c.evidence.clone(),
                    effective: c.effective,
                })
                .collect(),
            override_risk: self.override_outcome.clone(),
            override_rationale: self.override_rationale.clone(),
        }
    }
}

/// What an assessment did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AssessOutcomeDto {
    /// The decisions made, one per finding assessed.
    pub decisions: Vec<i64>,
    /// Other findings that inherited the decision.
    pub inherited: Vec<i64>,
    /// Other findings flagged for a re-review (their version is outside the decision's).
    pub flagged: Vec<i64>,
    /// The determinations made.
    pub determinations: Vec<DeterminationDto>,
}

impl From<&aftercare_service::triage::assessment::AssessOutcome> for AssessOutcomeDto {
    fn from(o: &aftercare_service::triage::assessment::AssessOutcome) -> AssessOutcomeDto {
        AssessOutcomeDto {
            decisions: o.decisions.clone(),
            inherited: o.inherited.clone(),
            flagged: o.flagged.clone(),
            determinations: o
                .determinations
                .iter()
                .map(DeterminationDto::from)
                .collect(),
        }
    }
}

/// One answer option of a rubric question.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricOptionDto {
    /// The code stored in the extended vector.
    pub code: String,
    /// The answer in words.
    pub label: String,
    /// The next question, when the answer leads to one.
    pub next: Option<String>,
    /// The metric value, when the answer sets one.
    pub value: Option<String>,
}

/// One question of the rubric.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricQuestionDto {
    /// The extended-vector element (`XAVN`).
    pub id: String,
    /// The CVSS base metric it decides.
    pub metric: String,
    /// Its number in the rubric.
    pub number: String,
    /// The clinical category, for impact questions.
    pub category: Option<String>,
    /// The question.
    pub text: String,
    /// The options.
    pub options: Vec<RubricOptionDto>,
}

/// One CVSS base metric of the rubric and the first question of each of its decision flows.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricMetricDto {
    /// Its abbreviation (`AV`).
    pub name: String,
    /// Its name.
    pub title: String,
    /// Its values, least severe first.
    pub values: Vec<String>,
    /// The first question of each flow.
    pub roots: Vec<String>,
}

/// The MITRE/MDIC medical-device rubric as a questionnaire.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricDto {
    /// Its id.
    pub id: String,
    /// Its version (the extended vector names it).
    pub version: String,
    /// Its title.
    pub title: String,
    /// Where it comes from.
    pub source: String,
    /// How its extended vectors start (`MDR:1.0`): then `/ID:CODE` per answered question, in
    /// the order of `questions`.
    pub extended_vector_prefix: String,
    /// The metrics in vector order.
    pub metrics: Vec<RubricMetricDto>,
    /// The questions.
    pub questions: Vec<RubricQuestionDto>,
}

impl From<&aftercare_risk::Rubric> for RubricDto {
    fn from(rubric: &aftercare_risk::Rubric) -> RubricDto {
        RubricDto {
            id: rubric.id().to_string(),
            version: rubric.version().to_string(),
            title: rubric.title().to_string(),
            source: rubric.source().to_string(),
            extended_vector_prefix: format!(
                "{}:{}",
                rubric.extended_vector_prefix(),
                rubric.version()
            ),
            metrics: rubric
                .metrics()
                .iter()
                .map(|m| RubricMetricDto {
                    name: m.name.clone(),
                    title: m.title.clone(),
                    values: m.values.clone(),
                    roots: m.roots.clone(),
                })
                .collect(),
            questions: rubric
                .questions()
                .iter()
                .map(|q| RubricQuestionDto {
                    id: q.id.clone(),
                    metric: q.metric.clone(),
                    number: q.number.clone(),
                    category: q.category.clone(),
                    text: q.text.clone(),
                    options: q
                        .options
                        .iter()
                        .map(|o| {
                            let (next, value) = match &o.outcome {
                                aftercare_risk::rubric::OptionOutcome::Next(n) => {
                                    (Some(n.clone()), None)
                                }
                                aftercare_risk::rubric::OptionOutcome::Value(v) => {
                                    (None, Some(v.clone()))
                                }
                            };
                            RubricOptionDto {
                                code: o.code.clone(),
                                label: o.label.clone(),
                                next,
                                value,
                            }
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The rubric's answers scored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RubricScoreDto {
    /// The extended vector of the answers, as stored.
    pub extended_vector: String,
    /// The CVSS v3.0 base vector the answers give.
    pub base_vector: String,
    /// Its base score.
    pub base_score: f64,
    /// Its severity.
    pub severity: String,
}
