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
    /// A background computation could not finish (it panicked or was cancelled).
    #[error("internal error while trying to {operation}")]
    Background {
        /// What was running.
        operation: &'static str,
    },
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
