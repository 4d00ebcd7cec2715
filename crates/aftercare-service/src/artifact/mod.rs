//! Artifacts: the files of a release that devices download over DDI — a SWUpdate image
//! (`.swu`), a RAUC bundle — with their bytes in the object store and their row in the
//! workspace.
//!
//! Adding one ([`add`]) copies the file into the [`object`] store's staging area while
//! computing SHA-256, SHA-1 and MD5 in one pass, checks the staged bytes (for a `.swu`, its
//! CMS signature against the product's update CA, exactly as SWUpdate does on the device:
//! [`swu`]), renames them into their content-addressed place, and only then writes the row
//! and its `artifact.add` audit event in one transaction. A refused file leaves no bytes and
//! no row; a file of the same name in the same release is refused before anything is copied.
//! Other files (a RAUC bundle, which RAUC verifies against its own keyring) are stored
//! without a signature check, their `signer` empty.
//!
//! A product's update CA ([`trust_ca`]) is a workspace setting per product: the PEM of its
//! certificates, each validated, audited as `product.trust_ca` with the old and new
//! fingerprints. The DDI routes read artifacts with no principal ([`locate`], [`of_release`]):
//! they authorise by device. See `docs/adr/0014-artifacts.md`.
//!
//! Uses `access` and `inventory` (products and releases).

pub mod object;
pub mod swu;

use std::path::{Path, PathBuf};

use aftercare_model::{Permission, Sha256};
use aftercare_store::artifact::{self as stored, ArtifactRow, NewArtifact};
use aftercare_store::setting;
use openssl::asn1::Asn1Time;
use serde_json::{Value, json};

use crate::access::auth::Principal;
use crate::audit::{self, AuditAction, Change};
use crate::{ArtifactError, Context, ServiceError, Workspace};

pub use object::{ARTIFACT_DIR_ENV, ObjectStore};

/// The longest artifact file name accepted (a file system's usual limit).
const MAX_FILENAME: usize = 255;

/// One certificate of a product's update CA, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCertificate {
    /// Its subject (`/O=…/CN=…`).
    pub subject: String,
    /// The SHA-256 fingerprint of its DER, lowercase hex.
    pub sha256: String,
    /// When it expires (RFC 3339, UTC).
    pub not_after: String,
}

/// A product's update CA: the certificates a `.swu`'s signer must chain to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedCa {
    /// The product's name.
    pub product: String,
    /// The file it was read from.
    pub file: String,
    /// Its certificates, in file order.
    pub certificates: Vec<CaCertificate>,
    /// The certificates as PEM (what verification loads).
    pub pem: String,
}

impl TrustedCa {
    fn to_json(&self) -> Value {
        json!({
            "file": self.file,
            "pem": self.pem,
            "certificates": self.certificates.iter().map(|c| json!({
                "subject": c.subject,
                "sha256": c.sha256,
                "not_after": c.not_after,
            })).collect::<Vec<_>>(),
        })
    }

    /// What the audit trail records: the file and each certificate's subject and fingerprint.
    fn audit_json(&self) -> Value {
        json!({
            "file": self.file,
            "certificates": self.certificates.iter().map(|c| json!({
                "subject": c.subject,
                "sha256": c.sha256,
            })).collect::<Vec<_>>(),
        })
    }
}

fn ca_setting_key(product_id: i64) -> String {
    format!("product.{product_id}.update_ca")
}

/// When a certificate's validity ends, as RFC 3339.
fn not_after(certificate: &openssl::x509::X509Ref) -> String {
    let end = Asn1Time::from_unix(0)
        .and_then(|epoch| epoch.diff(certificate.not_after()))
        .ok()
        .and_then(|diff| {
            let seconds = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
            jiff::Timestamp::from_second(seconds).ok()
        });
    match end {
        Some(timestamp) => timestamp.to_string(),
        None => certificate.not_after().to_string(),
    }
}

fn describe_ca(product: &str, file: &str, pem: &[u8]) -> Result<TrustedCa, ArtifactError> {
    let ca = swu::UpdateCa::from_pem(file, pem)?;
    let mut certificates = Vec::new();
    let mut text = String::new();
    for certificate in ca.certificates() {
        let unreadable = |error: openssl::error::ErrorStack| ArtifactError::CaUnreadable {
            file: file.to_string(),
            message: error.to_string(),
        };
        let der = certificate.to_der().map_err(unreadable)?;
        let pem = certificate.to_pem().map_err(unreadable)?;
        text.push_str(&String::from_utf8_lossy(&pem));
        certificates.push(CaCertificate {
            subject: swu::subject_text(certificate.subject_name()),
            sha256: Sha256::of(&der).to_hex(),
            not_after: not_after(certificate),
        });
    }
    Ok(TrustedCa {
        product: product.to_string(),
        file: file.to_string(),
        certificates,
        pem: text,
    })
}

/// Sets the update CA of a product (permission `rollout.manage`): every certificate of a PEM
/// file (`file` names it in errors and in the record), which the signer of each `.swu` of the
/// product must chain to. Replaces the previous CA; audited with both.
pub async fn trust_ca(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    product: &str,
    file: &str,
    pem: &[u8],
) -> Result<TrustedCa, ServiceError> {
    principal.require(Permission::RolloutManage)?;
    let product = crate::inventory::product(workspace, product).await?;
    let trusted = describe_ca(&product.name, file, pem)?;
    let old = trusted_ca(workspace, &product.name).await?;
    let key = ca_setting_key(product.id);
    let mut tx = workspace.store().begin().await?;
    setting::set(&mut tx, &key, &trusted.to_json().to_string(), &context.at()).await?;
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::ProductTrustCa,
            entity_type: "product",
            entity_id: Some(product.id.to_string()),
            old_value: old.as_ref().map(TrustedCa::audit_json),
            new_value: Some(trusted.audit_json()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(trusted)
}

/// The update CA of a product, if one is set.
pub async fn trusted_ca(
    workspace: &Workspace,
    product: &str,
) -> Result<Option<TrustedCa>, ServiceError> {
    let product = crate::inventory::product(workspace, product).await?;
    let key = ca_setting_key(product.id);
    let Some(text) = setting::get(workspace.store().pool(), &key).await? else {
        return Ok(None);
    };
    let unreadable = |message: String| {
        ServiceError::invalid("update CA", format!("the stored setting {key} {message}"))
    };
    let value: Value =
        serde_json::from_str(&text).map_err(|error| unreadable(format!("is not JSON: {error}")))?;
    let pem = value
        .get("pem")
        .and_then(Value::as_str)
        .ok_or_else(|| unreadable("has no PEM".to_string()))?;
    let file = value.get("file").and_then(Value::as_str).unwrap_or("-");
    Ok(Some(describe_ca(&product.name, file, pem.as_bytes())?))
}

/// The file name of a path, checked: what devices will see and what DDI announces.
fn filename_of(path: &Path) -> Result<String, ServiceError> {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| {
            ServiceError::invalid(
                "artifact file",
                format!("{}: the path has no file name in UTF-8", path.display()),
            )
        })?;
    check_filename(name)
}

fn check_filename(name: &str) -> Result<String, ServiceError> {
    let refuse =
        |message: &str| ServiceError::invalid("artifact file name", format!("{name:?}: {message}"));
    if name.is_empty() || name == "." || name == ".." {
        return Err(refuse("a file needs a name"));
    }
    if name.chars().count() > MAX_FILENAME {
        return Err(refuse("use at most 255 characters"));
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\' || c == '"')
    {
        return Err(refuse(
            "no control characters, slashes or quotes: devices download it by this name",
        ));
    }
    Ok(name.to_string())
}

/// Adds the file at `path` as an artifact of the release `product`@`version` (permission
/// `rollout.manage`), under the file's own name. See [`add_named`].
pub async fn add(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    product: &str,
    version: &str,
    path: &Path,
) -> Result<ArtifactRow, ServiceError> {
    let filename = filename_of(path)?;
    add_named(
        workspace, context, principal, product, version, path, &filename,
    )
    .await
}

/// Adds the file at `path` as the artifact `filename` of the release `product`@`version`
/// (permission `rollout.manage`; an upload whose bytes sit in a temporary file names them).
///
/// Refused, with nothing stored, when the release already has a file of that name, or — for
/// a `.swu` — when the product has no update CA, the file is not a signed SWUpdate image, or
/// its signature does not verify against the CA as SWUpdate verifies it.
pub async fn add_named(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    product: &str,
    version: &str,
    path: &Path,
    filename: &str,
) -> Result<ArtifactRow, ServiceError> {
    principal.require(Permission::RolloutManage)?;
    let filename = check_filename(filename)?;
    let release = crate::inventory::release(workspace, product, version).await?;
    let pool = workspace.store().pool();
    let duplicate = || ServiceError::AlreadyExists {
        entity: "artifact",
        key: format!(
            "{} of release {}@{}",
            filename, release.product_name, release.version
        ),
    };
    if stored::artifact_by_name(pool, release.id, &filename)
        .await?
        .is_some()
    {
        return Err(duplicate());
    }
    let ca = if swu::is_swu(&filename) {
        let Some(ca) = trusted_ca(workspace, &release.product_name).await? else {
            return Err(ArtifactError::NoCa {
                file: filename,
                product: release.product_name,
            }
            .into());
        };
        Some(swu::UpdateCa::from_pem(&ca.file, ca.pem.as_bytes())?)
    } else {
        None
    };
    let objects = ObjectStore::of(workspace)?;
    let source = path.to_path_buf();
    let name = filename.clone();
    let product_name = release.product_name.clone();
    let (digests, signer) = tokio::task::spawn_blocking(move || {
        store_checked(&objects, &source, &name, &product_name, ca.as_ref())
    })
    .await
    .map_err(|_| ServiceError::Background {
        operation: "store an artifact",
    })??;
    let size = i64::try_from(digests.size)
        .map_err(|_| ServiceError::invalid("artifact file", format!("{filename}: too large")))?;
    let new = NewArtifact {
        release_id: release.id,
        filename: filename.clone(),
        size,
        sha1: digests.sha1,
        md5: digests.md5,
        sha256: digests.sha256,
        signer,
        created_by: context.actor.to_string(),
    };
    let mut tx = workspace.store().begin().await?;
    let id = match stored::insert_artifact(&mut tx, &new, &context.at()).await {
        Ok(id) => id,
        Err(error) if error.is_unique_violation() => return Err(duplicate()),
        Err(error) => return Err(error.into()),
    };
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::ArtifactAdd,
            entity_type: "artifact",
            entity_id: Some(id.to_string()),
            old_value: None,
            new_value: Some(json!({
                "product": release.product_name,
                "version": release.version,
                "release_id": release.id,
                "filename": new.filename,
                "size": new.size,
                "sha256": new.sha256,
                "sha1": new.sha1,
                "md5": new.md5,
                "signer": new.signer,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    stored::artifact(pool, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "artifact",
            key: id.to_string(),
        })
}

/// Stages the file, checks the staged bytes (a `.swu` when `ca` is given), and commits them
/// to the object store; a refusal drops the staged copy. Blocking.
fn store_checked(
    objects: &ObjectStore,
    source: &Path,
    filename: &str,
    product: &str,
    ca: Option<&swu::UpdateCa>,
) -> Result<(object::Digests, Option<String>), ArtifactError> {
    let staged = objects.stage(source, filename)?;
    let signer = match ca {
        Some(ca) => {
            let file =
                std::fs::File::open(staged.path()).map_err(|source| ArtifactError::Read {
                    file: filename.to_string(),
                    source,
                })?;
            let mut input = std::io::BufReader::new(file);
            let signed = swu::read_signed_description(&mut input, filename)?;
            Some(swu::verify(&signed, ca, filename, product)?)
        }
        None => None,
    };
    let digests = staged.digests().clone();
    staged.commit()?;
    Ok((digests, signer))
}

/// The artifacts of the release `product`@`version` (permission `device.read`), by name.
pub async fn list(
    workspace: &Workspace,
    principal: &Principal,
    product: &str,
    version: &str,
) -> Result<Vec<ArtifactRow>, ServiceError> {
    principal.require(Permission::DeviceRead)?;
    let release = crate::inventory::release(workspace, product, version).await?;
    Ok(stored::artifacts_of_release(workspace.store().pool(), release.id).await?)
}

/// An artifact and where its bytes are, for a person or a token (permission `device.read`).
pub async fn content(
    workspace: &Workspace,
    principal: &Principal,
    artifact_id: i64,
) -> Result<(ArtifactRow, PathBuf), ServiceError> {
    principal.require(Permission::DeviceRead)?;
    locate(workspace, artifact_id).await
}

/// An artifact and the path of its bytes in the object store, with no principal: for the DDI
/// routes, which authorise by device. `NotFound` for an unknown id;
/// [`ArtifactError::Missing`] when the row's bytes are gone from the store.
pub async fn locate(
    workspace: &Workspace,
    artifact_id: i64,
) -> Result<(ArtifactRow, PathBuf), ServiceError> {
    let row = stored::artifact(workspace.store().pool(), artifact_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "artifact",
            key: artifact_id.to_string(),
        })?;
    let objects = ObjectStore::of(workspace)?;
    let missing = |path: String| ArtifactError::Missing {
        id: row.id,
        filename: row.filename.clone(),
        path,
    };
    let path = objects
        .path_of(&row.sha256)
        .ok_or_else(|| missing(format!("(stored SHA-256 {:?} is not hex)", row.sha256)))?;
    if !path.is_file() {
        return Err(missing(path.display().to_string()).into());
    }
    Ok((row, path))
}

/// The artifacts of a release by its id, by name, with no principal: for the DDI routes.
pub async fn of_release(
    workspace: &Workspace,
    release_id: i64,
) -> Result<Vec<ArtifactRow>, ServiceError> {
    Ok(stored::artifacts_of_release(workspace.store().pool(), release_id).await?)
}
