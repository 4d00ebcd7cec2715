//! Anti-downgrade, and what a rollout's update type asks of the device clients.
//!
//! **Anti-downgrade.** A rollout moves a device from its installed release to the target
//! release. Version order is not this crate's business (it depends on the product's version
//! scheme, `aftercare-version`): the caller compares and passes `target.cmp(installed)`.
//! [`check_version_step`] then says:
//! - target newer: an upgrade, allowed;
//! - the same: nothing to do (the service does not target the device);
//! - target older: a downgrade, **refused** unless the rollout is a [`RolloutKind::Rollback`],
//!   which carries a written rationale. A rollback may still upgrade a device that is below
//!   its target: it moves devices *to* a known release.
//!
//! **Update types and clients.** A download-only action is answered by SWUpdate with
//! "Skipped Update." (reference `ddi-protocol.md` §0.4): it cannot honour it, and the action
//! would never end as intended. [`check_update_type`] refuses download-only at creation when
//! any targeted device's client cannot honour it. What a client can do is data
//! ([`ClientCapabilities`]); [`ClientKind::capabilities`] gives what is known: SWUpdate
//! (2022.12, tested) honours neither download-only nor `maintenanceWindow`;
//! rauc-hawkbit-updater and unknown clients are assumed to honour neither until tested.

use std::cmp::Ordering;

use crate::RolloutError;
use crate::action::UpdateType;
use crate::vocabulary::vocabulary;

/// Whether a rollout updates or rolls back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutKind {
    /// Moves devices forward only.
    Update,
    /// Moves devices back to a known release, with why.
    Rollback {
        /// The written rationale (trimmed, not blank).
        rationale: String,
    },
}

impl RolloutKind {
    /// A rollback, with its rationale of at least `min_chars` characters (the policy's
    /// `rationale.min_chars`, at least 1).
    pub fn rollback(rationale: &str, min_chars: usize) -> Result<RolloutKind, RolloutError> {
        let rationale = rationale.trim();
        let length = rationale.chars().count();
        let minimum = min_chars.max(1);
        if length < minimum {
            return Err(RolloutError::RationaleTooShort { length, minimum });
        }
        Ok(RolloutKind::Rollback {
            rationale: rationale.to_string(),
        })
    }
}

vocabulary! {
    /// How a target release relates to the installed one.
    pub enum VersionStep as "version step" {
        /// The target is newer.
        Upgrade = "upgrade",
        /// The target is installed already.
        Same = "same",
        /// The target is older.
        Downgrade = "downgrade",
    }
}

/// The step from the installed release to the target, given `target.cmp(installed)`, or
/// why it is refused.
pub fn check_version_step(
    kind: &RolloutKind,
    target_vs_installed: Ordering,
) -> Result<VersionStep, RolloutError> {
    match (target_vs_installed, kind) {
        (Ordering::Greater, _) => Ok(VersionStep::Upgrade),
        (Ordering::Equal, _) => Ok(VersionStep::Same),
        (Ordering::Less, RolloutKind::Rollback { .. }) => Ok(VersionStep::Downgrade),
        (Ordering::Less, RolloutKind::Update) => Err(RolloutError::Downgrade),
    }
}

vocabulary! {
    /// The update client a device runs, as far as the server knows.
    pub enum ClientKind as "client kind" {
        /// SWUpdate's suricatta (hawkBit mode).
        Swupdate = "swupdate",
        /// rauc-hawkbit-updater.
        RaucHawkbitUpdater = "rauc_hawkbit_updater",
        /// Not known.
        Unknown = "unknown",
    }
}

/// What a client honours of the DDI deployment it is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientCapabilities {
    /// Downloads without installing when offered `update: skip` with `download: forced`.
    pub download_only: bool,
    /// Waits for `maintenanceWindow: available` before installing.
    pub maintenance_window: bool,
}

impl ClientKind {
    /// What is known of the client (see the module docs).
    pub fn capabilities(self) -> ClientCapabilities {
        match self {
            ClientKind::Swupdate | ClientKind::RaucHawkbitUpdater | ClientKind::Unknown => {
                ClientCapabilities {
                    download_only: false,
                    maintenance_window: false,
                }
            }
        }
    }
}

/// Refuses an update type that some targeted devices' clients cannot honour (download-only
/// today); `clients` has one entry per targeted device.
pub fn check_update_type(
    update_type: UpdateType,
    clients: impl IntoIterator<Item = ClientCapabilities>,
) -> Result<(), RolloutError> {
    if update_type != UpdateType::DownloadOnly {
        return Ok(());
    }
    let unable = clients
        .into_iter()
        .filter(|client| !client.download_only)
        .count();
    if unable > 0 {
        return Err(RolloutError::DownloadOnlyUnsupported { devices: unable });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: &RolloutKind, ordering: Ordering, expected: &str) {
        let found = match check_version_step(kind, ordering) {
            Ok(step) => step.to_string(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{kind:?} {ordering:?}");
    }

    #[test]
    #[rustfmt::skip]
    fn downgrades_need_a_rollback() {
        let rollback = RolloutKind::rollback("2.2.0 bricks rev-a boards; back to 2.1.3", 20).unwrap();
        check(&RolloutKind::Update, Ordering::Greater, "upgrade");
        check(&RolloutKind::Update, Ordering::Equal, "same");
        check(&RolloutKind::Update, Ordering::Less, "the target release is older than the installed one: a downgrade needs a rollback rollout with a rationale");
        check(&rollback, Ordering::Less, "downgrade");
        check(&rollback, Ordering::Greater, "upgrade");
        check(&rollback, Ordering::Equal, "same");
    }

    #[test]
    fn a_rollback_needs_a_rationale() {
        assert_eq!(
            RolloutKind::rollback("   ", 0).unwrap_err().to_string(),
            "the rationale of a rollback is 0 characters long; it needs at least 1"
        );
        assert_eq!(
            RolloutKind::rollback(" bad ", 20).unwrap_err().to_string(),
            "the rationale of a rollback is 3 characters long; it needs at least 20"
        );
        assert_eq!(
            RolloutKind::rollback("  boot loop on rev-a  ", 5).unwrap(),
            RolloutKind::Rollback {
                rationale: "boot loop on rev-a".to_string()
            }
        );
    }

    #[test]
    fn download_only_is_refused_for_clients_that_cannot_honour_it() {
        let swupdate = ClientKind::Swupdate.capabilities();
        let able = ClientCapabilities {
            download_only: true,
            maintenance_window: true,
        };
        assert!(check_update_type(UpdateType::Forced, [swupdate, swupdate]).is_ok());
        assert!(check_update_type(UpdateType::DownloadOnly, [able, able]).is_ok());
        assert!(check_update_type(UpdateType::DownloadOnly, []).is_ok());
        assert_eq!(
            check_update_type(UpdateType::DownloadOnly, [able, swupdate, swupdate])
                .unwrap_err()
                .to_string(),
            "download-only is refused: 2 targeted devices run a client that cannot honour it (SWUpdate answers \"Skipped Update.\")"
        );
    }
}
