//! The demo's hyper chain, end to end and with fixed dates: a plan for the pump's hyper
//! finding (uncontrolled), release 2.2.1 that moves hyper past the fix, its evidence, an
//! approval refused then signed, the gate closed by new evidence and opened by a new
//! signature, a distribution, and the plan closed.

use aftercare_model::{Severity, Sha256};
use aftercare_patch::{
    ApprovalLoss, ComponentKey, Cycle, CycleNeed, Evidence, EvidenceContent, EvidenceFile,
    EvidenceId, EvidenceKind, EvidenceResult, FindingFix, FindingId, ImpactAnswers,
    ImpactAssessment, PatchComponent, PatchDecision, PatchError, PatchRelease, PatchSbom,
    PlanEvent, PlanFinding, PlanState, RegulatoryPath, VulnerabilityFacts, approval_matches,
    check_approval, check_file_size, may_distribute, next_state, plan_fixes, required_cycle,
    required_evidence,
};
use aftercare_risk::{Policy, RiskClass};
use jiff::Timestamp;
use jiff::civil::{Date, date};

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

#[allow(
    clippy::too_many_arguments,
    reason = "one evidence item per call, as the CLI takes it"
)]
fn evidence(
    policy: &Policy,
    existing: &[Evidence],
    id: i64,
    kind: EvidenceKind,
    result: EvidenceResult,
    by: &str,
    on: Date,
    supersedes: Option<i64>,
) -> Evidence {
    let impact = (kind == EvidenceKind::ImpactAssessment).then(|| {
        ImpactAssessment::new(
            policy,
            ImpactAnswers {
                safety_and_essential_performance_affected: false,
                verification_rerun: vec!["SYS-TEST-41 network stack suite".to_string()],
                regulatory_path: RegulatoryPath::LetterToFile,
                clearance: None,
                rationale: "hyper moves within 0.14; the infusion logic is untouched.".to_string(),
            },
        )
        .unwrap()
    });
    let report = format!("{kind} report {id}");
    check_file_size(policy, "report.pdf", 48_213).unwrap();
    let content = EvidenceContent {
        kind,
        title: report.clone(),
        result,
        executed_by: vec![by.to_string()],
        executed_on: on,
        files: vec![EvidenceFile {
            name: "report.pdf".to_string(),
            sha256: Sha256::of(report.as_bytes()),
            bytes: 48_213,
        }],
        impact,
        supersedes: supersedes.map(EvidenceId),
    };
    content.check(policy, existing, date(2025, 3, 20)).unwrap();
    Evidence {
        id: EvidenceId(id),
        content,
    }
}

fn release<'a>(
    sbom: PatchSbom<'a>,
    fixes: &'a [FindingFix],
    items: &'a [Evidence],
) -> PatchRelease<'a> {
    PatchRelease {
        product: "infusion-pump",
        version: "2.2.1",
        sbom,
        fixes,
        evidence: items,
    }
}

#[test]
fn hyper_chain_from_plan_to_closed() {
    let policy = Policy::builtin().unwrap();

    // The plan: the uncontrolled hyper finding of release 2.2.0; regular is refused.
    let facts = [VulnerabilityFacts {
        vulnerability: "CVE-2023-26964".parse().unwrap(),
        risk_class: Some(RiskClass::Uncontrolled),
        kev_listed: false,
        cvss_severity: Severity::High,
    }];
    let cycle = required_cycle(&policy, &facts);
    assert_eq!(cycle.need(), CycleNeed::OutOfCycleRequired);
    let refused = cycle.check(&policy, Cycle::Regular, None).unwrap_err();
    assert!(
        matches!(refused, PatchError::OutOfCycleRequired { .. }),
        "{refused}"
    );
    cycle.check(&policy, Cycle::OutOfCycle, None).unwrap();
    let mut state = PlanState::Open;
    state = next_state(state, &PlanEvent::WorkStarted).unwrap();

    // Release 2.2.1 moves hyper past the fix and is matched.
    let finding = PlanFinding {
        id: FindingId(7),
        vulnerability: "CVE-2023-26964".parse().unwrap(),
        component: ComponentKey::new("pkg:cargo/hyper").unwrap(),
        version: Some("0.14.10".to_string()),
        fixed_versions: vec!["0.14.26".to_string()],
    };
    let components = [PatchComponent {
        key: ComponentKey::new("pkg:cargo/hyper").unwrap(),
        version: Some("0.14.28".to_string()),
    }];
    let sbom = PatchSbom::Matched {
        digest: Sha256::of(b"pump 2.2.1 CycloneDX"),
        components: &components,
        findings: &[],
    };
    let fixes = plan_fixes(&policy, &[finding], &sbom);
    assert_eq!(
        fixes[0].evidence.to_string(),
        "upgraded from 0.14.10 to 0.14.28: the match no longer fires (fixed in 0.14.26)"
    );
    state = next_state(state, &PlanEvent::PatchAttached).unwrap();
    assert_eq!(state, PlanState::PatchBuilt);

    // Evidence so far: impact assessment and verification; validation and regression missing.
    let required = required_evidence(&policy, &facts);
    let mut items = Vec::new();
    for (id, kind, by) in [
        (1, EvidenceKind::ImpactAssessment, "ada"),
        (2, EvidenceKind::Verification, "rob"),
    ] {
        let item = evidence(
            &policy,
            &items,
            id,
            kind,
            EvidenceResult::Pass,
            by,
            date(2025, 3, 18),
            None,
        );
        items.push(item);
    }
    let refused =
        check_approval(&policy, &required, &release(sbom, &fixes, &items), "quinn").unwrap_err();
    assert_eq!(
        refused.to_string(),
        "the approval is refused: no current validation evidence: the policy requires it (patch.evidence); no current regression evidence: the policy requires it (patch.evidence)"
    );

    // Validation fails once, is re-run by vera, regression passes; vera may not sign alone.
    let failed = evidence(
        &policy,
        &items,
        3,
        EvidenceKind::Validation,
        EvidenceResult::Fail,
        "vera",
        date(2025, 3, 19),
        None,
    );
    items.push(failed);
    let rerun = evidence(
        &policy,
        &items,
        4,
        EvidenceKind::Validation,
        EvidenceResult::Pass,
        "vera",
        date(2025, 3, 20),
        Some(3),
    );
    items.push(rerun);
    let regression = evidence(
        &policy,
        &items,
        5,
        EvidenceKind::Regression,
        EvidenceResult::Pass,
        "rob",
        date(2025, 3, 20),
        None,
    );
    items.push(regression);
    let refused =
        check_approval(&policy, &required, &release(sbom, &fixes, &items), "vera").unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("vera is the only person who executed the validation evidence"),
        "{refused}"
    );

    // quinn signs; the plan is approved and the gate opens.
    let binding =
        check_approval(&policy, &required, &release(sbom, &fixes, &items), "quinn").unwrap();
    let mut decisions = vec![PatchDecision::Approved {
        digest: binding.digest(),
        signer: "quinn".to_string(),
        at: at("2025-03-20T15:00:00Z"),
    }];
    state = next_state(state, &PlanEvent::PatchApproved).unwrap();
    assert!(
        may_distribute(
            &decisions,
            &release(sbom, &fixes, &items),
            at("2025-03-21T09:00:00Z")
        )
        .is_ok()
    );
    // Not for a distribution claimed before the approval.
    assert!(
        may_distribute(
            &decisions,
            &release(sbom, &fixes, &items),
            at("2025-03-20T14:00:00Z")
        )
        .is_err()
    );

    // A security test added later: the approval no longer matches; the plan loses it.
    let security = evidence(
        &policy,
        &items,
        6,
        EvidenceKind::SecurityTest,
        EvidenceResult::Pass,
        "eve",
        date(2025, 3, 20),
        None,
    );
    items.push(security);
    assert!(!approval_matches(
        binding.digest(),
        &release(sbom, &fixes, &items)
    ));
    let refused = may_distribute(
        &decisions,
        &release(sbom, &fixes, &items),
        at("2025-03-21T09:00:00Z"),
    )
    .unwrap_err();
    assert!(
        refused.to_string().contains("no longer matches"),
        "{refused}"
    );
    state = next_state(
        state,
        &PlanEvent::ApprovalLost(ApprovalLoss::NoLongerMatching),
    )
    .unwrap();
    assert_eq!(state, PlanState::PatchBuilt);

    // Signed again, distributed through field service, closed.
    let binding =
        check_approval(&policy, &required, &release(sbom, &fixes, &items), "quinn").unwrap();
    decisions.push(PatchDecision::Approved {
        digest: binding.digest(),
        signer: "quinn".to_string(),
        at: at("2025-03-21T10:00:00Z"),
    });
    state = next_state(state, &PlanEvent::PatchApproved).unwrap();
    let clearance = may_distribute(
        &decisions,
        &release(sbom, &fixes, &items),
        at("2025-03-21T11:00:00Z"),
    )
    .unwrap();
    assert_eq!(clearance.approval_digest(), binding.digest());
    assert_eq!(clearance.approved_at(), at("2025-03-21T10:00:00Z"));
    state = next_state(state, &PlanEvent::Distributed).unwrap();
    state = next_state(state, &PlanEvent::Closed).unwrap();
    assert_eq!(state, PlanState::Closed);

    // A recall afterwards closes the gate for good.
    decisions.push(PatchDecision::Revoked {
        by: "ada".to_string(),
        reason: "field reports of pump reboots".to_string(),
        at: at("2025-04-02T08:00:00Z"),
    });
    let refused = may_distribute(
        &decisions,
        &release(sbom, &fixes, &items),
        at("2025-04-03T08:00:00Z"),
    )
    .unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("the distribution is refused: revoked by ada"),
        "{refused}"
    );
}
