//! The artifacts' wire types: the files of a release that devices download, with the digests
//! DDI announces and the signer a `.swu` was verified against, and a product's update CA.

use aftercare_service::artifact::{CaCertificate, TrustedCa};
use aftercare_store::artifact::ArtifactRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A file of a release, as devices download it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArtifactDto {
    /// The id (the download is `/api/v1/artifacts/{id}/content`).
    pub id: i64,
    /// Its release's id.
    pub release_id: i64,
    /// The file name devices see.
    pub filename: String,
    /// Its size in bytes.
    pub size: i64,
    /// SHA-1, lowercase hex (what SWUpdate and RAUC's hawkBit client check).
    pub sha1: String,
    /// MD5, lowercase hex.
    pub md5: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// For a `.swu`: the subject of the certificate whose CMS signature over sw-description
    /// verified against the product's update CA on upload. `null` for files stored without a
    /// signature check.
    pub signer: Option<String>,
    /// Who added it.
    pub created_by: String,
    /// When it was added (RFC 3339, UTC).
    pub created_at: String,
}

impl From<&ArtifactRow> for ArtifactDto {
    fn from(row: &ArtifactRow) -> ArtifactDto {
        ArtifactDto {
            id: row.id,
            release_id: row.release_id,
            filename: row.filename.clone(),
            size: row.size,
            sha1: row.sha1.clone(),
            md5: row.md5.clone(),
            sha256: row.sha256.clone(),
            signer: row.signer.clone(),
            created_by: row.created_by.clone(),
            created_at: row.created_at.clone(),
        }
    }
}

/// One certificate of a product's update CA.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaCertificateDto {
    /// Its subject (`/O=…/CN=…`).
    pub subject: String,
    /// The SHA-256 fingerprint of its DER, lowercase hex.
    pub sha256: String,
    /// When it expires (RFC 3339, UTC).
    pub not_after: String,
}

impl From<&CaCertificate> for CaCertificateDto {
    fn from(certificate: &CaCertificate) -> CaCertificateDto {
        CaCertificateDto {
            subject: certificate.subject.clone(),
            sha256: certificate.sha256.clone(),
            not_after: certificate.not_after.clone(),
        }
    }
}

/// A product's update CA: the certificates a `.swu`'s signer must chain to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrustedCaDto {
    /// The product.
    pub product: String,
    /// The file it was read from.
    pub file: String,
    /// Its certificates, in file order.
    pub certificates: Vec<CaCertificateDto>,
}

impl From<&TrustedCa> for TrustedCaDto {
    fn from(ca: &TrustedCa) -> TrustedCaDto {
        TrustedCaDto {
            product: ca.product.clone(),
            file: ca.file.clone(),
            certificates: ca.certificates.iter().map(CaCertificateDto::from).collect(),
        }
    }
}
