//! The gate: may this patch release be distributed? One pure function,
//! [`may_distribute`], and nothing else decides: manual distribution (field service, customer
//! download) and the rollouts of the next issue call it, and only a [`Clearance`] it returns
//! lets them record a distribution.
//!
//! A release may be distributed at an instant when all of these hold:
//! 1. **it is approved**: an approval was recorded at or before that instant. A distribution
//!    claimed before its approval is refused, so that a backdated record cannot meet the
//!    remediation clock with a patch nobody had approved yet (FDA 2016, condition 3: a
//!    *validated* fix distributed; the 60-day clock is met by distribution, never by approval
//!    alone);
//! 2. **the approval still matches** the release's current state
//!    ([`crate::approval_matches`]): no evidence added or superseded, no SBOM or match result
//!    changed since the signature;
//! 3. **it is not revoked**: a revocation (a recalled patch) is final for the release; a
//!    recalled patch is not distributed again, a new release is built and approved;
//! 4. **it is not rejected since** the approval: a rejection recorded after the approval
//!    withdraws it until someone approves again.
//!
//! The gate does not re-run the approval preconditions: an approval whose binding still
//! matches vouches for the same state it was signed on. It reads the decisions in the order
//! they were recorded (the service passes them in that order); "since" means later in that
//! list.
//!
//! Every reason is returned ([`GateRefusal`]), in this order: revocations first (nothing
//! else matters after one), then the missing approval (none, or only after the
//! distribution's instant), the rejections recorded since the approval that counts (or all
//! of them when none counts), and an approval that no longer matches.

use aftercare_model::Sha256;
use jiff::Timestamp;

use crate::PatchError;
use crate::binding::{PatchRelease, approval_matches};

/// A decision recorded on a patch release, by a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchDecision {
    /// Approved: an e-signature that binds `digest` ([`crate::check_approval`]).
    Approved {
        /// The binding's digest the signature carries.
        digest: Sha256,
        /// Who signed.
        signer: String,
        /// When.
        at: Timestamp,
    },
    /// Rejected, with a reason.
    Rejected {
        /// Who rejected it.
        by: String,
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// Revoked (recalled), with a reason.
    Revoked {
        /// Who revoked it.
        by: String,
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
}

/// Why a release may not be distributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateRefusal {
    /// The release was revoked.
    Revoked {
        /// Who revoked it.
        by: String,
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// No approval was ever recorded.
    NotApproved,
    /// The only approvals came after the distribution's instant.
    ApprovedAfter {
        /// The first approval.
        approved_at: Timestamp,
        /// The distribution's instant.
        distributed_at: Timestamp,
    },
    /// Rejected after the approval that would count (or with no approval at all).
    Rejected {
        /// Who rejected it.
        by: String,
        /// Why.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// The approval no longer matches the release.
    NoLongerMatching {
        /// When the approval was signed.
        approved_at: Timestamp,
        /// Who signed it.
        signer: String,
    },
}

impl std::fmt::Display for GateRefusal {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GateRefusal::Revoked { by, reason, at } => write!(
                formatter,
                "revoked by {by} at {at} ({reason}): a recalled patch is not distributed again; build and approve a new release"
            ),
            GateRefusal::NotApproved => formatter.write_str("not approved"),
            GateRefusal::ApprovedAfter {
                approved_at,
                distributed_at,
            } => write!(
                formatter,
                "approved only at {approved_at}, after the distribution's time {distributed_at}: a patch is distributed once approved"
            ),
            GateRefusal::Rejected { by, reason, at } => {
                write!(formatter, "rejected by {by} at {at} ({reason})")
            }
            GateRefusal::NoLongerMatching {
                approved_at,
                signer,
            } => write!(
                formatter,
                "the approval signed by {signer} at {approved_at} no longer matches the patch (its evidence, SBOM or fix evidence changed since): sign again"
            ),
        }
    }
}

/// What lets a distribution be recorded: which approval cleared it. Only
/// [`may_distribute`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clearance {
    approval_digest: Sha256,
    signer: String,
    approved_at: Timestamp,
}

impl Clearance {
    /// The digest of the approval that cleared the distribution.
    pub fn approval_digest(&self) -> Sha256 {
        self.approval_digest
    }

    /// Who signed that approval.
    pub fn signer(&self) -> &str {
        &self.signer
    }

    /// When it was signed.
    pub fn approved_at(&self) -> Timestamp {
        self.approved_at
    }
}

/// Whether `release` may be distributed at `at` (the instant the distribution claims),
/// given its decisions in recorded order: the [`Clearance`] to record with the distribution,
/// or [`PatchError::DistributionRefused`] with every reason (see the module documentation).
pub fn may_distribute(
    decisions: &[PatchDecision],
    release: &PatchRelease,
    at: Timestamp,
) -> Result<Clearance, PatchError> {
    let mut refusals = Vec::new();
    for decision in decisions {
        if let PatchDecision::Revoked { by, reason, at } = decision {
            refusals.push(GateRefusal::Revoked {
                by: by.clone(),
                reason: reason.clone(),
                at: *at,
            });
        }
    }
    // The latest approval recorded at or before the distribution's instant.
    let approval = decisions
        .iter()
        .enumerate()
        .filter_map(|(index, decision)| match decision {
            PatchDecision::Approved {
                digest,
                signer,
                at: approved_at,
            } if *approved_at <= at => Some((index, digest, signer, *approved_at)),
            _ => None,
        })
        .next_back();
    if approval.is_none() {
        let later = decisions.iter().find_map(|decision| match decision {
            PatchDecision::Approved {
                at: approved_at, ..
            } => Some(*approved_at),
            _ => None,
        });
        refusals.push(match later {
            Some(approved_at) => GateRefusal::ApprovedAfter {
                approved_at,
                distributed_at: at,
            },
            None => GateRefusal::NotApproved,
        });
    }
    let since = approval.map_or(0, |(index, ..)| index + 1);
    for decision in decisions.iter().skip(since) {
        if let PatchDecision::Rejected { by, reason, at } = decision {
            refusals.push(GateRefusal::Rejected {
                by: by.clone(),
                reason: reason.clone(),
                at: *at,
            });
        }
    }
    if let Some((_, digest, signer, approved_at)) = approval
        && !approval_matches(*digest, release)
    {
        refusals.push(GateRefusal::NoLongerMatching {
            approved_at,
            signer: signer.clone(),
        });
    }
    match approval {
        Some((_, digest, signer, approved_at)) if refusals.is_empty() => Ok(Clearance {
            approval_digest: *digest,
            signer: signer.clone(),
            approved_at,
        }),
        _ => Err(PatchError::DistributionRefused { refusals }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::tests::{components, hyper, release};
    use crate::approval_binding;
    use crate::evidence::Evidence;
    use crate::evidence::tests::item;
    use crate::fix::{PatchSbom, plan_fixes};
    use aftercare_risk::Policy;

    /// `2025-03-20T10:00Z`-style instants, written `03-20 10:00` in the cases.
    fn instant(text: &str) -> Timestamp {
        format!("2025-{}:00Z", text.replace(' ', "T"))
            .parse()
            .unwrap()
    }

    /// Decisions as lines: `approved HH signer`, `approved-stale …` (signed on another state),
    /// `rejected … by reason`, `revoked … by reason`; the release's evidence; the
    /// distribution's instant → `cleared by SIGNER` or the refusals.
    fn check(decisions: &[&str], evidence: &[&str], at: &str, expected: &[&str]) {
        let policy = Policy::builtin().unwrap();
        let components = components(&["hyper@0.14.28"]);
        let sbom = PatchSbom::Matched {
            digest: Sha256::of(b"sbom 2.2.1"),
            components: &components,
            findings: &[],
        };
        let fixes = plan_fixes(&policy, &[hyper()], &sbom);
        let evidence: Vec<Evidence> = evidence
            .iter()
            .enumerate()
            .map(|(index, line)| item(index as i64 + 1, line))
            .collect();
        let current = release(sbom, &fixes, &evidence);
        let signed = approval_binding(&current).digest();
        let decisions: Vec<PatchDecision> = decisions
            .iter()
            .map(|line| {
                let words: Vec<&str> = line.splitn(5, ' ').collect();
                let when = instant(&format!("{} {}", words[1], words[2]));
                match words[0] {
                    "approved" => PatchDecision::Approved {
                        digest: signed,
                        signer: words[3].to_string(),
                        at: when,
                    },
                    "approved-stale" => PatchDecision::Approved {
                        digest: Sha256::of(b"another state"),
                        signer: words[3].to_string(),
                        at: when,
                    },
                    "rejected" => PatchDecision::Rejected {
                        by: words[3].to_string(),
                        reason: words[4].to_string(),
                        at: when,
                    },
                    "revoked" => PatchDecision::Revoked {
                        by: words[3].to_string(),
                        reason: words[4].to_string(),
                        at: when,
                    },
                    other => panic!("{other}"),
                }
            })
            .collect();
        let found: Vec<String> = match may_distribute(&decisions, &current, instant(at)) {
            Ok(clearance) => {
                assert_eq!(clearance.approval_digest(), signed);
                vec![format!(
                    "cleared by {} at {}",
                    clearance.signer(),
                    clearance.approved_at()
                )]
            }
            Err(PatchError::DistributionRefused { refusals }) => {
                refusals.iter().map(ToString::to_string).collect()
            }
            Err(other) => panic!("{other}"),
        };
        assert_eq!(found, expected, "{decisions:?} at {at}");
    }

    const EVIDENCE: &[&str] = &["validation pass vera"];

    #[test]
    #[rustfmt::skip]
    fn approved_and_matching_passes() {
        check(&["approved 03-20 10:00 quinn"], EVIDENCE, "03-21 09:00", &["cleared by quinn at 2025-03-20T10:00:00Z"]);
        check(&["approved 03-20 10:00 quinn"], EVIDENCE, "03-20 10:00", &["cleared by quinn at 2025-03-20T10:00:00Z"]);
        // Rejected, then approved again.
        check(&["rejected 03-19 10:00 quinn missing regression run", "approved 03-20 10:00 quinn"], EVIDENCE, "03-21 09:00", &["cleared by quinn at 2025-03-20T10:00:00Z"]);
        // A stale approval, then a fresh one.
        check(&["approved-stale 03-18 10:00 quinn", "approved 03-20 10:00 ada"], EVIDENCE, "03-21 09:00", &["cleared by ada at 2025-03-20T10:00:00Z"]);
    }

    #[test]
    #[rustfmt::skip]
    fn not_approved() {
        check(&[], EVIDENCE, "03-21 09:00", &["not approved"]);
        check(&["rejected 03-19 10:00 quinn validation protocol outdated"], EVIDENCE, "03-21 09:00", &["not approved", "rejected by quinn at 2025-03-19T10:00:00Z (validation protocol outdated)"]);
        check(&["approved 03-22 10:00 quinn"], EVIDENCE, "03-21 09:00", &["approved only at 2025-03-22T10:00:00Z, after the distribution's time 2025-03-21T09:00:00Z: a patch is distributed once approved"]);
    }

    #[test]
    #[rustfmt::skip]
    fn rejected_since_or_no_longer_matching() {
        check(&["approved 03-20 10:00 quinn", "rejected 03-20 15:00 ada regression report unsigned"], EVIDENCE, "03-21 09:00", &["rejected by ada at 2025-03-20T15:00:00Z (regression report unsigned)"]);
        check(&["approved-stale 03-20 10:00 quinn"], EVIDENCE, "03-21 09:00", &["the approval signed by quinn at 2025-03-20T10:00:00Z no longer matches the patch (its evidence, SBOM or fix evidence changed since): sign again"]);
        // A fresh approval after the distribution's instant does not rescue a stale one.
        check(&["approved-stale 03-20 10:00 quinn", "approved 03-22 10:00 quinn"], EVIDENCE, "03-21 09:00", &["the approval signed by quinn at 2025-03-20T10:00:00Z no longer matches the patch (its evidence, SBOM or fix evidence changed since): sign again"]);
    }

    #[test]
    #[rustfmt::skip]
    fn a_revocation_is_final_and_listed_first() {
        check(&["approved 03-20 10:00 quinn", "revoked 03-25 08:00 ada field reports of pump reboots"], EVIDENCE, "03-21 09:00", &[
            "revoked by ada at 2025-03-25T08:00:00Z (field reports of pump reboots): a recalled patch is not distributed again; build and approve a new release",
        ]);
        check(&["approved 03-20 10:00 quinn", "revoked 03-25 08:00 ada recalled", "approved 03-26 08:00 quinn"], EVIDENCE, "03-27 09:00", &[
            "revoked by ada at 2025-03-25T08:00:00Z (recalled): a recalled patch is not distributed again; build and approve a new release",
        ]);
        check(&["approved-stale 03-20 10:00 quinn", "rejected 03-21 08:00 ada wrong SBOM", "revoked 03-25 08:00 ada recalled"], EVIDENCE, "03-27 09:00", &[
            "revoked by ada at 2025-03-25T08:00:00Z (recalled): a recalled patch is not distributed again; build and approve a new release",
            "rejected by ada at 2025-03-21T08:00:00Z (wrong SBOM)",
            "the approval signed by quinn at 2025-03-20T10:00:00Z no longer matches the patch (its evidence, SBOM or fix evidence changed since): sign again",
        ]);
    }

    #[test]
    fn new_evidence_closes_the_gate_until_signed_again() {
        let policy = Policy::builtin().unwrap();
        let components = components(&["hyper@0.14.28"]);
        let sbom = PatchSbom::Matched {
            digest: Sha256::of(b"sbom 2.2.1"),
            components: &components,
            findings: &[],
        };
        let fixes = plan_fixes(&policy, &[hyper()], &sbom);
        let before = vec![item(1, "validation pass vera")];
        let signed = approval_binding(&release(sbom, &fixes, &before)).digest();
        let mut decisions = vec![PatchDecision::Approved {
            digest: signed,
            signer: "quinn".to_string(),
            at: instant("03-20 10:00"),
        }];
        let mut after = before.clone();
        after.push(item(2, "regression pass rob"));
        let error = may_distribute(
            &decisions,
            &release(sbom, &fixes, &after),
            instant("03-21 09:00"),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the distribution is refused: the approval signed by quinn"),
            "{error}"
        );
        decisions.push(PatchDecision::Approved {
            digest: approval_binding(&release(sbom, &fixes, &after)).digest(),
            signer: "quinn".to_string(),
            at: instant("03-21 08:00"),
        });
        assert!(
            may_distribute(
                &decisions,
                &release(sbom, &fixes, &after),
                instant("03-21 09:00")
            )
            .is_ok()
        );
    }
}
