//! The service error: what a use case could not do, with enough context to act on it.

use aftercare_store::StoreError;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A named record does not exist.
    #[error("{entity} {key:?} not found")]
    NotFound {
        /// The kind of record.
        entity: &'static str,
        /// How it was named.
        key: String,
    },
    /// A record with the same identity exists already.
    #[error("{entity} {key:?} already exists")]
    AlreadyExists {
        /// The kind of record.
        entity: &'static str,
        /// Its identity.
        key: String,
    },
    /// An argument is not acceptable.
    #[error("invalid {field}: {message}")]
    InvalidInput {
        /// The argument.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// An argument breaks a rule of the pure core: a policy, a CVSS vector or rubric vector,
    /// a version range, a VEX status, a role, a date. The rule's own error is the source.
    #[error("invalid {field}")]
    Rule {
        /// The argument.
        field: &'static str,
        /// The rule that refused it.
        #[source]
        source: RuleError,
    },
    /// The policy revision in force was stored by an earlier version of aftercare in a format
    /// this one no longer reads (a format 1 revision stored before format 2): nothing that
    /// needs the policy can run until a signed format 2 revision replaces it.
    #[error(
        "the policy in force (revision {revision}, {policy}) cannot be read by this \
         version of aftercare; replace it with a signed format 2 policy: `aftercare policy set \
         policy/default.toml --reason \"replace the format 1 policy\"` (you are asked for your \
         password to sign it; carry your own values over into a copy first), or PUT \
         /api/v1/policy with a signature"
    )]
    PolicyUnreadable {
        /// The stored revision.
        revision: i64,
        /// Its policy id and version as stored (`acme version 1.4.0`); boxed to keep every
        /// `Result` of the crate small.
        policy: Box<str>,
        /// Why it cannot be read.
        #[source]
        source: RuleError,
    },
    /// A row of an imported file (a device CSV) is malformed: the whole file is refused and
    /// nothing of it written.
    #[error("{file}, line {line}, field {field}: {message}")]
    ImportRow {
        /// The file's name.
        file: String,
        /// The line, counted from 1 (the header is line 1).
        line: usize,
        /// The column's name.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// An SBOM could not be read.
    #[error(transparent)]
    ReadSbom(#[from] aftercare_sbom::SbomError),
    /// The workspace is not initialized.
    #[error("the workspace at {location} is not initialized: run `aftercare init` first")]
    NotInitialized {
        /// The workspace directory or database URL.
        location: String,
    },
    /// The workspace cannot be created or opened.
    #[error("cannot use the workspace directory {path}")]
    WorkspaceDirectory {
        /// The directory.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No valid credentials: wrong login or password, an unknown, expired or revoked
    /// session or token, a disabled account.
    #[error("not authenticated: {reason}")]
    Unauthenticated {
        /// Why, in words safe to show to the caller.
        reason: &'static str,
    },
    /// Too many failed logins: the account is locked until the given time.
    #[error("too many failed logins: the account is locked until {until}")]
    LockedOut {
        /// When logins are accepted again (RFC 3339, UTC).
        until: String,
        /// Seconds from now until then.
        retry_after_seconds: i64,
    },
    /// The principal lacks a permission.
    #[error("permission {permission} is required")]
    Forbidden {
        /// The missing permission.
        permission: aftercare_model::Permission,
    },
    /// A signature was refused.
    #[error("signature refused: {reason}")]
    SignatureRefused {
        /// Why, in words the signer can act on.
        reason: String,
    },
    /// The thing was there and is closed for good (DDI: feedback on a closed action).
    #[error("gone: {what}")]
    Gone {
        /// What is gone, in words.
        what: String,
    },
    /// Someone else is doing it right now (another node syncing the same feed).
    #[error("busy: {what}")]
    Busy {
        /// What is busy, in words.
        what: String,
    },
    /// A feed file could not be downloaded.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// A feed file or document could not be read at all.
    #[error(transparent)]
    ReadIntel(#[from] aftercare_intel::IntelError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An artifact was refused, or its bytes could not be kept or found.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// A background computation could not finish (it panicked or was cancelled).
    #[error("internal error while trying to {operation}")]
    Background {
        /// What was running.
        operation: &'static str,
    },
}

/// Why an artifact was refused (the file is not what it claims, or its signature does not
/// hold), or why its bytes could not be written to or found in the object store. The refusals
/// name the file and say what was expected; nothing is stored for a refused file.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// A `.swu` that is not a cpio archive of a format SWUpdate reads.
    #[error(
        "{file} is not a cpio archive: a .swu is a cpio archive in the newc or crc format \
         (its first bytes are 070701 or 070702)"
    )]
    NotCpio {
        /// The file's name.
        file: String,
    },
    /// A cpio archive whose entry is cut short or malformed.
    #[error("{file}: cpio entry {entry}: {message}")]
    BadEntry {
        /// The file's name.
        file: String,
        /// The entry's position (1 for the first) and name when known.
        entry: String,
        /// What is wrong.
        message: String,
    },
    /// The archive's first entry is not `sw-description`.
    #[error(
        "{file}: the first entry of the archive is {found:?}, not sw-description (SWUpdate reads \
         the description first and refuses any other order)"
    )]
    FirstEntry {
        /// The file's name.
        file: String,
        /// The first entry's name.
        found: String,
    },
    /// No `sw-description.sig` after `sw-description`: the image is not signed.
    #[error(
        "{file}: no signature: the entry after sw-description is {found}, not \
         sw-description.sig (a CMS signature of sw-description)"
    )]
    NoSignature {
        /// The file's name.
        file: String,
        /// What follows `sw-description` (an entry's quoted name, or "the end of the archive").
        found: String,
    },
    /// `sw-description.sig` is not a DER CMS SignedData.
    #[error("{file}: sw-description.sig is not a DER-encoded CMS signature: {message}")]
    SignatureUnreadable {
        /// The file's name.
        file: String,
        /// What OpenSSL said.
        message: String,
    },
    /// The signature does not match `sw-description` (the description was changed after
    /// signing, or the signature is of another file).
    #[error(
        "{file}: the signature in sw-description.sig does not verify over sw-description: {message}"
    )]
    SignatureInvalid {
        /// The file's name.
        file: String,
        /// What OpenSSL said.
        message: String,
    },
    /// The signature holds, but its signer does not chain to the product's update CA with the
    /// purpose SWUpdate requires (S/MIME signing: extended key usage emailProtection).
    #[error(
        "{file}: the signer {signer} is not trusted by the update CA of product {product}: {message}"
    )]
    UntrustedSigner {
        /// The file's name.
        file: String,
        /// The product.
        product: String,
        /// The signer's subject, as the signature carries it.
        signer: String,
        /// Why the chain does not verify, in OpenSSL's words.
        message: String,
    },
    /// A `.swu` cannot be checked: the product has no update CA.
    #[error(
        "{file}: product {product} has no update CA to check a .swu signature against: run \
         `aftercare product trust-ca {product} CA.pem` first"
    )]
    NoCa {
        /// The file's name.
        file: String,
        /// The product.
        product: String,
    },
    /// A CA file holds no certificate that OpenSSL can read.
    #[error("{file}: not a PEM certificate (-----BEGIN CERTIFICATE-----): {message}")]
    CaUnreadable {
        /// The file's name.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The uploaded file cannot be read.
    #[error("cannot read {file}")]
    Read {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The object store cannot be written.
    #[error("cannot write to the artifact store at {path}")]
    Write {
        /// The file or directory.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A database workspace has no artifact directory configured.
    #[error(
        "the workspace is a database, so its artifacts need a directory: set {variable} \
         (or --artifact-dir) to a directory that every server node shares"
    )]
    NoArtifactDir {
        /// The environment variable that names it.
        variable: &'static str,
    },
    /// A row names bytes the object store does not hold (deleted or moved by hand).
    #[error("artifact {id} ({filename}) is missing from the artifact store: {path} does not exist")]
    Missing {
        /// The artifact's id.
        id: i64,
        /// Its file name.
        filename: String,
        /// Where its bytes should be.
        path: String,
    },
}

impl ArtifactError {
    /// Whether the error refuses the caller's file (as opposed to the server failing).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            ArtifactError::Read { .. }
                | ArtifactError::Write { .. }
                | ArtifactError::NoArtifactDir { .. }
                | ArtifactError::Missing { .. }
        )
    }
}

/// The pure core's errors an argument can meet, kept typed as a [`ServiceError::Rule`]'s
/// source.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A risk rule: policy, VEX, harm, determination, rubric, clock event.
    #[error(transparent)]
    Risk(#[from] aftercare_risk::RiskError),
    /// A CVSS vector.
    #[error(transparent)]
    Cvss(#[from] aftercare_cvss::CvssError),
    /// A version or version range.
    #[error(transparent)]
    Version(#[from] aftercare_version::VersionError),
    /// A role name.
    #[error(transparent)]
    Role(#[from] aftercare_model::access::RoleError),
    /// A date or time.
    #[error(transparent)]
    Time(#[from] jiff::Error),
    /// A rule of patch management: a plan's state or cycle, evidence, an approval's
    /// preconditions, the gate.
    #[error(transparent)]
    Patch(#[from] aftercare_patch::PatchError),
    /// A rule of rollouts and devices: a controller id, a target filter.
    #[error(transparent)]
    Rollout(#[from] aftercare_rollout::RolloutError),
}

impl ServiceError {
    /// An argument refused by a rule of the pure core, with the rule's error as the source.
    pub(crate) fn rule(field: &'static str, source: impl Into<RuleError>) -> ServiceError {
        ServiceError::Rule {
            field,
            source: source.into(),
        }
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
        ServiceError::InvalidInput {
            field,
            message: message.into(),
        }
    }
}
