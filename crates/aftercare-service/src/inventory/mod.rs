//! Inventory use cases: products, releases and their SBOMs.

use aftercare_model::{Cpe, PackageKey, Purl};
use aftercare_sbom::{Component, ComponentKind, Dependency, Encoding, Format, Hash, Sbom, Scope};
use aftercare_store::document::{self, DocumentRow};
use aftercare_store::product::{self, ProductRow};
use aftercare_store::release::{self, ReleaseRow};
use aftercare_store::sbom::{self, ComponentRecord, NewSbom, SbomRow, WarningRecord};

use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// The longest product name or version accepted.
const MAX_NAME: usize = 200;

fn check_name(field: &'static str, value: &str) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ServiceError::invalid(field, "cannot be empty"));
    }
    if value.chars().count() > MAX_NAME {
        return Err(ServiceError::invalid(
            field,
            format!("use at most {MAX_NAME} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            field,
            "cannot contain control characters",
        ));
    }
    Ok(value.to_string())
}

/// Registers a product.
pub async fn add_product(
    workspace: &Workspace,
    context: &Context,
    name: &str,
    description: Option<&str>,
) -> Result<ProductRow, ServiceError> {
    let name = check_name("product name", name)?;
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    let mut tx = workspace.store().begin().await?;
    let created = match product::insert(&mut tx, &name, description, &context.at()).await {
        Ok(created) => created,
        Err(error) if error.is_unique_violation() => {
            return Err(ServiceError::AlreadyExists {
                entity: "product",
                key: name,
            });
        }
        Err(error) => return Err(error.into()),
    };
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::ProductCreate,
            entity_type: "product",
            entity_id: Some(created.id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "name": created.name,
                "description": created.description,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Every product.
pub async fn products(workspace: &Workspace) -> Result<Vec<ProductRow>, ServiceError> {
    Ok(product::list(workspace.store().pool()).await?)
}

/// A product by name (or by numeric id).
pub async fn product(workspace: &Workspace, key: &str) -> Result<ProductRow, ServiceError> {
    let pool = workspace.store().pool();
    let found = match product::by_name(pool, key.trim()).await? {
        Some(found) => Some(found),
        None => match key.trim().parse::<i64>() {
            Ok(id) => product::by_id(pool, id).await?,
            Err(_) => None,
        },
    };
    found.ok_or_else(|| ServiceError::NotFound {
        entity: "product",
        key: key.to_string(),
    })
}

/// An SBOM file to import.
#[derive(Debug, Clone)]
pub struct SbomFile {
    /// The file name, for messages only (the format is detected from the content).
    pub name: String,
    /// The bytes as uploaded (possibly compressed).
    pub bytes: Vec<u8>,
}

/// What importing a release's SBOM did.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// The release.
    pub release: ReleaseRow,
    /// Its SBOM, if it has one.
    pub sbom: Option<SbomRow>,
    /// The warnings met while reading the SBOM (empty for a duplicate).
    pub warnings: Vec<aftercare_sbom::Warning>,
    /// Whether these exact bytes were already the release's SBOM: nothing was written.
    pub duplicate: bool,
}

/// Reads an SBOM off the async runtime.
pub async fn read_sbom(file: &SbomFile) -> Result<aftercare_sbom::ReadOutcome, ServiceError> {
    let name = file.name.clone();
    let bytes = file.bytes.clone();
    tokio::task::spawn_blocking(move || aftercare_sbom::read(&name, &bytes))
        .await
        .map_err(|_| ServiceError::Background {
            operation: "read an SBOM",
        })?
        .map_err(ServiceError::from)
}

/// Adds a release of a product, with its SBOM if one is given. Adding the SBOM of an
/// existing release that has none attaches it; importing the same bytes again is reported
/// as a duplicate and writes nothing; a different SBOM for a release that has one is
/// refused. Everything happens in one transaction: an interrupted import leaves nothing.
pub async fn add_release(
    workspace: &Workspace,
    context: &Context,
    product_key: &str,
    version: &str,
    file: Option<&SbomFile>,
) -> Result<ImportOutcome, ServiceError> {
    let version = check_name("version", version)?;
    let product = product(workspace, product_key).await?;
    let parsed = match file {
        Some(file) => Some(read_sbom(file).await?),
        None => None,
    };
    let mut tx = workspace.store().begin().await?;
    let existing = release::by_version(tx.conn(), product.id, &version).await?;
    let release_id = match &existing {
        Some(existing) => {
            let Some(file) = file else {
                return Err(ServiceError::AlreadyExists {
                    entity: "release",
                    key: format!("{} {}", product.name, version),
                });
            };
            if let Some(current) = sbom::by_release(tx.conn(), existing.id).await? {
                let digest = aftercare_model::Sha256::of(&file.bytes).to_hex();
                if current.sha256 == digest {
                    tx.rollback().await?;
                    return Ok(ImportOutcome {
                        release: existing.clone(),
                        sbom: Some(current),
                        warnings: Vec::new(),
                        duplicate: true,
                    });
                }
                return Err(ServiceError::AlreadyExists {
                    entity: "SBOM of release",
                    key: format!("{} {} (sha256 {})", product.name, version, current.sha256),
                });
            }
            existing.id
        }
        None => {
            let id = release::insert(&mut tx, product.id, &version, &context.at()).await?;
            audit::record(
                &mut tx,
                context,
                Change {
                    action: AuditAction::ReleaseCreate,
                    entity_type: "release",
                    entity_id: Some(id.to_string()),
                    old_value: None,
                    new_value: Some(serde_json::json!({
                        "product": product.name,
                        "version": version,
                    })),
                },
            )
            .await?;
            id
        }
    };
    let mut warnings = Vec::new();
    if let (Some(file), Some(outcome)) = (file, parsed) {
        let put = document::put(
            &mut tx,
            "sbom",
            Some(&file.name),
            &file.bytes,
            &context.at(),
        )
        .await?;
        let sbom = &outcome.sbom;
        let records = to_records(sbom);
        let dependencies: Vec<(i64, i64)> = sbom
            .dependencies
            .iter()
            .map(|d| (position(d.from), position(d.to)))
            .collect();
        let warning_records: Vec<WarningRecord> = outcome
            .warnings
            .iter()
            .map(|w| WarningRecord {
                location: w.location.clone(),
                reference: w.reference.clone(),
                message: w.message.clone(),
            })
            .collect();
        let sbom_id = sbom::insert(
            &mut tx,
            &NewSbom {
                release_id,
                document_id: put.id,
                format: sbom.format.as_str().to_string(),
                encoding: sbom.encoding.as_str().to_string(),
                spec_version: sbom.spec_version.clone(),
                serial_number: sbom.serial_number.clone(),
                name: sbom.name.clone(),
                created: sbom.created.clone(),
                authors: sbom.authors.clone(),
                tools: sbom.tools.clone(),
                subject_position: sbom.subject.map(position),
            },
            &records,
            &dependencies,
            &warning_records,
            &context.at(),
        )
        .await?;
        audit::record(
            &mut tx,
            context,
            Change {
                action: AuditAction::ReleaseImportSbom,
                entity_type: "release",
                entity_id: Some(release_id.to_string()),
                old_value: None,
                new_value: Some(serde_json::json!({
                    "product": product.name,
                    "version": version,
                    "sbom_id": sbom_id,
                    "file": file.name,
                    "sha256": aftercare_model::Sha256::of(&file.bytes).to_hex(),
                    "format": sbom.format.as_str(),
                    "spec_version": sbom.spec_version,
                    "components": records.len(),
                    "warnings": warning_records.len(),
                })),
            },
        )
        .await?;
        warnings = outcome.warnings;
    }
    let release = release::by_id(tx.conn(), release_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "release",
            key: release_id.to_string(),
        })?;
    let sbom = sbom::by_release(tx.conn(), release_id).await?;
    tx.commit().await?;
    Ok(ImportOutcome {
        release,
        sbom,
        warnings,
        duplicate: false,
    })
}

fn position(index: usize) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

fn index(position: i64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// The storage form of an SBOM's components.
fn to_records(sbom: &Sbom) -> Vec<ComponentRecord> {
    sbom.components
        .iter()
        .enumerate()
        .map(|(i, component)| ComponentRecord {
            id: 0,
            position: position(i),
            reference: component.reference.clone(),
            kind: component.kind.as_str().to_string(),
            name: component.name.clone(),
            group: component.group.clone(),
            version: component.version.clone(),
            purl: component.purl.as_ref().map(ToString::to_string),
            package_key: component
                .purl
                .as_ref()
                .and_then(PackageKey::from_purl)
                .map(|key| key.to_string()),
            cpes: component.cpes.iter().map(ToString::to_string).collect(),
            swid: component.swid.clone(),
            supplier: component.supplier.clone(),
            author: component.author.clone(),
            hashes: component
                .hashes
                .iter()
                .map(|h| (h.algorithm.clone(), h.value.clone()))
                .collect(),
            licenses: component.licenses.clone(),
            scope: component.scope.map(|s| s.as_str().to_string()),
            level_of_support: component.level_of_support.clone(),
            end_of_support: component.end_of_support.clone(),
            parent_position: component.parent.map(position),
            direct: component.direct,
        })
        .collect()
}

/// The normalized component a stored one was made from. Stored purls and CPEs were
/// canonical when written, so they parse; a value that does not (edited by hand) is dropped
/// rather than failing the read.
pub fn component_from_record(record: &ComponentRecord) -> Component {
    let mut component = Component::new(record.reference.clone(), record.name.clone());
    component.kind = ComponentKind::parse(&record.kind);
    component.group = record.group.clone();
    component.version = record.version.clone();
    component.purl = record.purl.as_deref().and_then(|p| p.parse::<Purl>().ok());
    component.cpes = record
        .cpes
        .iter()
        .filter_map(|c| c.parse::<Cpe>().ok())
        .collect();
    component.swid = record.swid.clone();
    component.supplier = record.supplier.clone();
    component.author = record.author.clone();
    component.hashes = record
        .hashes
        .iter()
        .map(|(algorithm, value)| Hash {
            algorithm: algorithm.clone(),
            value: value.clone(),
        })
        .collect();
    component.licenses = record.licenses.clone();
    component.scope = match record.scope.as_deref() {
        Some("required") => Some(Scope::Required),
        Some("optional") => Some(Scope::Optional),
        Some("excluded") => Some(Scope::Excluded),
        _ => None,
    };
    component.level_of_support = record.level_of_support.clone();
    component.end_of_support = record.end_of_support.clone();
    component.parent = record.parent_position.map(index);
    component.direct = record.direct;
    component
}

/// Every release, or those of one product.
pub async fn releases(
    workspace: &Workspace,
    product_key: Option<&str>,
) -> Result<Vec<ReleaseRow>, ServiceError> {
    let product_id = match product_key {
        Some(key) => Some(product(workspace, key).await?.id),
        None => None,
    };
    Ok(release::list(workspace.store().pool(), product_id).await?)
}

/// A release by product and version.
pub async fn release(
    workspace: &Workspace,
    product_key: &str,
    version: &str,
) -> Result<ReleaseRow, ServiceError> {
    let product = product(workspace, product_key).await?;
    release::by_version(workspace.store().pool(), product.id, version.trim())
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "release",
            key: format!("{} {}", product.name, version),
        })
}

/// A release by id.
pub async fn release_by_id(workspace: &Workspace, id: i64) -> Result<ReleaseRow, ServiceError> {
    release::by_id(workspace.store().pool(), id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "release",
            key: id.to_string(),
        })
}

/// The SBOM row of a release, if it has one.
pub async fn release_sbom(
    workspace: &Workspace,
    release: &ReleaseRow,
) -> Result<Option<SbomRow>, ServiceError> {
    Ok(sbom::by_release(workspace.store().pool(), release.id).await?)
}

async fn sbom_of(workspace: &Workspace, release: &ReleaseRow) -> Result<SbomRow, ServiceError> {
    release_sbom(workspace, release)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "SBOM of release",
            key: format!("{} {}", release.product_name, release.version),
        })
}

/// The SBOM of a release, rebuilt from storage, with its stored warnings.
pub async fn stored_sbom(
    workspace: &Workspace,
    release: &ReleaseRow,
) -> Result<(Sbom, SbomRow, Vec<WarningRecord>), ServiceError> {
    let row = sbom_of(workspace, release).await?;
    let pool = workspace.store().pool();
    let components = sbom::components(pool, row.id).await?;
    let dependencies = sbom::dependencies(pool, row.id).await?;
    let warnings = sbom::warnings(pool, row.id).await?;
    let sbom = Sbom {
        format: if row.format == "spdx" {
            Format::Spdx
        } else {
            Format::CycloneDx
        },
        encoding: match row.encoding.as_str() {
            "xml" => Encoding::Xml,
            "tag-value" => Encoding::TagValue,
            "json-ld" => Encoding::JsonLd,
            _ => Encoding::Json,
        },
        spec_version: row.spec_version.clone(),
        serial_number: row.serial_number.clone(),
        name: row.name.clone(),
        created: row.created.clone(),
        authors: row.authors.clone(),
        tools: row.tools.clone(),
        subject: row.subject_position.map(index),
        components: components.iter().map(component_from_record).collect(),
        dependencies: dependencies
            .iter()
            .map(|(from, to)| Dependency {
                from: index(*from),
                to: index(*to),
            })
            .collect(),
    };
    Ok((sbom, row, warnings))
}

/// A page of a release's components with the total count of matches.
pub async fn components(
    workspace: &Workspace,
    release: &ReleaseRow,
    search: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ComponentRecord>, i64), ServiceError> {
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    Ok(sbom::component_page(
        workspace.store().pool(),
        release.id,
        search,
        offset.max(0),
        limit.clamp(1, 10_000),
    )
    .await?)
}

/// The original SBOM document of a release, byte for byte.
pub async fn sbom_document(
    workspace: &Workspace,
    release: &ReleaseRow,
) -> Result<DocumentRow, ServiceError> {
    let row = sbom_of(workspace, release).await?;
    document::get(workspace.store().pool(), row.document_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "document",
            key: row.document_id.to_string(),
        })
}

/// The changes between two releases' SBOMs, owned.
#[derive(Debug, Clone)]
pub struct ReleaseDiff {
    /// Components only in the new release.
    pub added: Vec<Component>,
    /// Components only in the old release.
    pub removed: Vec<Component>,
    /// (old, new) pairs whose version went up.
    pub upgraded: Vec<(Component, Component)>,
    /// (old, new) pairs whose version went down.
    pub downgraded: Vec<(Component, Component)>,
    /// (old, new) pairs whose versions differ but cannot be ordered.
    pub changed: Vec<(Component, Component)>,
    /// How many components are the same in both.
    pub unchanged: usize,
}

/// Computes the diff of two component lists (owned result).
pub fn diff_components(old: &[Component], new: &[Component]) -> ReleaseDiff {
    let diff = aftercare_sbom::diff(old, new);
    let pairs = |changes: &[aftercare_sbom::VersionChange<'_>]| {
        changes
            .iter()
            .map(|c| (c.old.clone(), c.new.clone()))
            .collect::<Vec<_>>()
    };
    ReleaseDiff {
        added: diff.added.iter().map(|c| (*c).clone()).collect(),
        removed: diff.removed.iter().map(|c| (*c).clone()).collect(),
        upgraded: pairs(&diff.upgraded),
        downgraded: pairs(&diff.downgraded),
        changed: pairs(&diff.changed),
        unchanged: diff.unchanged,
    }
}

/// The diff between two releases' SBOMs.
pub async fn diff_releases(
    workspace: &Workspace,
    old: &ReleaseRow,
    new: &ReleaseRow,
) -> Result<ReleaseDiff, ServiceError> {
    let (old_sbom, _, _) = stored_sbom(workspace, old).await?;
    let (new_sbom, _, _) = stored_sbom(workspace, new).await?;
    Ok(diff_components(&old_sbom.components, &new_sbom.components))
}

/// What applying a support addendum did.
#[derive(Debug, Clone)]
pub struct SupportOutcome {
    /// Components whose level of support or end-of-support date changed.
    pub changed: usize,
    /// Rows that matched nothing, or could not be read.
    pub warnings: Vec<aftercare_sbom::Warning>,
    /// SHA-256 of the addendum as imported.
    pub sha256: String,
}

/// Applies a per-release support addendum (CSV or JSON: each row names components by purl,
/// reference or name and sets the FDA's level of support and end-of-support date). The
/// addendum's bytes are kept like any imported document; the changed components, the
/// document and the audit event are written in one transaction.
pub async fn apply_support_addendum(
    workspace: &Workspace,
    context: &Context,
    release: &ReleaseRow,
    file: &SbomFile,
) -> Result<SupportOutcome, ServiceError> {
    let row = sbom_of(workspace, release).await?;
    let records = sbom::components(workspace.store().pool(), row.id).await?;
    let name = file.name.clone();
    let bytes = file.bytes.clone();
    let (entries, mut warnings) =
        tokio::task::spawn_blocking(move || aftercare_sbom::read_addendum(&name, &bytes))
            .await
            .map_err(|_| ServiceError::Background {
                operation: "read a support addendum",
            })??;
    let (mut sbom, _, _) = stored_sbom(workspace, release).await?;
    warnings.extend(aftercare_sbom::apply_addendum(&mut sbom, &entries));
    let updates: Vec<(i64, Option<String>, Option<String>)> = records
        .iter()
        .zip(&sbom.components)
        .filter(|(record, component)| {
            record.level_of_support != component.level_of_support
                || record.end_of_support != component.end_of_support
        })
        .map(|(record, component)| {
            (
                record.id,
                component.level_of_support.clone(),
                component.end_of_support.clone(),
            )
        })
        .collect();
    let sha256 = aftercare_model::Sha256::of(&file.bytes).to_hex();
    let mut tx = workspace.store().begin().await?;
    document::put(
        &mut tx,
        "support-addendum",
        Some(&file.name),
        &file.bytes,
        &context.at(),
    )
    .await?;
    sbom::update_support(&mut tx, &updates).await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::ReleaseSupportAddendum,
            entity_type: "release",
            entity_id: Some(release.id.to_string()),
            old_value: None,
            new_value: Some(serde_json::json!({
                "product": release.product_name,
                "version": release.version,
                "file": file.name,
                "sha256": sha256,
                "rows": entries.len(),
                "components_changed": updates.len(),
                "warnings": warnings.len(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SupportOutcome {
        changed: updates.len(),
        warnings,
        sha256,
    })
}
