//! Patch management through storage, with fixed dates, on each backend, on the real RustSec
//! records of the shared data (crates.io OSV, synced from the zip): the hyper chain end to end
//! — an uncontrolled determination, a plan that must be out of cycle, a patch release whose
//! SBOM moves hyper past the fix, its V&V evidence, approvals refused for every gap (missing
//! kinds, a failed validation, self-approval), an approval that stops matching when evidence
//! is added and is signed again, a distribution that meets the remediation clock on its date and
//! not before, a revocation the gate honours; a finding still present refuses approval; bad
//! input changes nothing; evidence files round-trip byte for byte.
//!
//! RUSTSEC-2021-0020 (CVE-2021-21299, GHSA-6hfq-h8hq-87mf): hyper `>= 0.14.0-0, < 0.14.3`
//! (and two older ranges), CVSS 3.1 `AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H` (8.1, high).

use aftercare_model::Role;
use aftercare_patch::{ImpactAnswers, RegulatoryPath};
use aftercare_risk::{ClockKind, ClockState};
use aftercare_service::access::auth::{self, Principal};
use aftercare_service::access::password::Password;
use aftercare_service::access::signature::{Meaning, SignRequest};
use aftercare_service::finding::{self, FindingQuery};
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::sync::SyncOptions;
use aftercare_service::inventory::{self, SbomFile};
use aftercare_service::patch::plan::{self, NewPlan, PlanUpdate, Reference};
use aftercare_service::patch::release::{self, EvidenceUpload, NewDistribution, NewEvidence};
use aftercare_service::triage::assessment::{self, AssessmentInput};
use aftercare_service::triage::case;
use aftercare_service::{Context, Workspace, flow};
use aftercare_store::finding::FindingRow;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use crate::intel::{add_feed, admin, sync_ok};
use crate::{person, workspaces};

pub(crate) const VULN: &str = "CVE-2021-21299";

/// Day N at 10:00 UTC, day 0 being Monday 2026-03-02.
pub(crate) fn day(n: i64) -> Timestamp {
    crate::t0() + SignedDuration::from_hours(24 * n)
}

/// The calendar day of day N (America/New_York, the default policy's zone: 05:00 there).
fn date(n: i64) -> Date {
    Date::new(2026, 3, 2).unwrap() + jiff::Span::new().days(n)
}

/// A CycloneDX SBOM of a pump release with one hyper version (and tokio beside it).
pub(crate) fn sbom(product: &str, release: &str, hyper: &str) -> SbomFile {
    let text = format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {{"component": {{"type": "firmware", "name": "{product}", "version": "{release}"}}}},
  "components": [
    {{"type": "library", "bom-ref": "hyper", "name": "hyper", "version": "{hyper}",
      "purl": "pkg:cargo/hyper@{hyper}"}},
    {{"type": "library", "bom-ref": "itoa", "name": "itoa", "version": "1.0.9",
      "purl": "pkg:cargo/itoa@1.0.9"}}
  ]}}"#
    );
    SbomFile {
        name: format!("{product}-{release}.cdx.json"),
        bytes: text.into_bytes(),
    }
}

pub(crate) fn at(context: &Context, n: i64) -> Context {
    Context::new(context.actor.clone(), day(n))
}

pub(crate) async fn hyper_findings(workspace: &Workspace, product: &str) -> Vec<FindingRow> {
    let page = finding::list(
        workspace,
        &FindingQuery {
            product: Some(product.into()),
            vulnerability: Some(VULN.into()),
            state: Some("open".into()),
            ..FindingQuery::default()
        },
    )
    .await
    .unwrap();
    page.findings
}

/// A person's session principal and context at day N.
pub(crate) async fn session(workspace: &Workspace, login: &str, n: i64) -> (Principal, Context) {
    let (_, principal) = auth::login(
        workspace,
        login,
        &Password::new(format!("{login}-password-1")),
        day(n),
        None,
    )
    .await
    .unwrap();
    let context = Context::new(principal.actor(), day(n));
    (principal, context)
}

pub(crate) fn signs(login: &str, meaning: Meaning) -> SignRequest {
    SignRequest {
        login: Some(login.into()),
        password: Password::new(format!("{login}-password-1")),
        meaning,
        reason: Some("patch 2.2.1 for CVE-2021-21299".into()),
    }
}

pub(crate) fn evidence(kind: &str, result: &str, by: &[&str], n: i64) -> NewEvidence {
    NewEvidence {
        kind: kind.into(),
        title: format!("{kind} of 2.2.1"),
        result: result.into(),
        executed_by: by.iter().map(|s| s.to_string()).collect(),
        executed_on: date(n),
        files: Vec::new(),
        impact: (kind == "impact_assessment").then(|| ImpactAnswers {
            safety_and_essential_performance_affected: false,
            verification_rerun: vec!["VER-NET-12".into(), "VER-UI-3".into()],
            regulatory_path: RegulatoryPath::LetterToFile,
            clearance: None,
            rationale: "hyper moves within 0.14; the HTTP stack's behaviour towards the pump controller is unchanged".into(),
        }),
        supersedes: None,
    }
}

/// Sets up the workspace at day 0: the RustSec records synced; Pump 2.0.0 and 2.1.0 with
/// hyper 0.14.2 (two findings of CVE-2021-21299, aware on day 0); Gateway 1.0 with the same.
pub(crate) async fn setup(workspace: &Workspace, context: &Context) {
    let mirror = aftercare_testdata::path("osv/crates.io.zip");
    add_feed(
        workspace,
        context,
        "rustsec",
        FeedKind::Osv,
        None,
        Some(&mirror),
    )
    .await;
    let zero = at(context, 0);
    sync_ok(workspace, &zero, "rustsec", &SyncOptions::default()).await;
    for product in ["Pump", "Gateway"] {
        inventory::add_product(workspace, &zero, product, None)
            .await
            .unwrap();
    }
    for version in ["2.0.0", "2.1.0"] {
        flow::import_release(
            workspace,
            &zero,
            "Pump",
            version,
            Some(&sbom("pump", version, "0.14.2")),
        )
        .await
        .unwrap();
    }
    flow::import_release(
        workspace,
        &zero,
        "Gateway",
        "1.0",
        Some(&sbom("gateway", "1.0", "0.14.2")),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_hyper_chain_from_finding_to_distribution_meets_its_clock_on_the_distribution_day() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        setup(&workspace, &context).await;
        let admin = admin(&workspace).await;
        person(
            &workspace,
            &context,
            "rita",
            "Rita Reviewer",
            &[Role::Reviewer],
        )
        .await;
        person(
            &workspace,
            &context,
            "tess",
            "Tess Tester",
            &[Role::ReleaseEngineer],
        )
        .await;
        let findings = hyper_findings(&workspace, "Pump").await;
        assert_eq!(findings.len(), 2, "{backend}: one per fielded release");

        // Day 3: uncontrolled, signed; the remediation clock runs to day 60 (2026-05-01).
        assessment::assess(
            &workspace,
            &at(&context, 3),
            &admin,
            &[findings[0].id],
            &AssessmentInput {
                status: "affected".into(),
                responses: vec!["update".into()],
                action_statement: Some("Install pump firmware 2.2.1".into()),
                harm: Some("serious".into()),
                safety_and_essential_performance_affected: Some(true),
                override_risk: Some("uncontrolled".into()),
                override_rationale: Some(
                    "A request smuggled past the gateway could reach the infusion controller; uncontrolled until fixed."
                        .into(),
                ),
                scope: Some("product".into()),
                ..AssessmentInput::default()
            },
            Some(&crate::admin_signs(Meaning::Authorship)),
            day(3),
        )
        .await
        .unwrap();
        let remediation = |view: &case::CaseView| {
            view.case
                .clock(ClockKind::Remediation, None)
                .map(|c| (c.state(), c.deadline().day.to_string(), c.satisfied_at()))
        };
        let (view, _) = case::case(&workspace, "Pump", VULN).await.unwrap();
        assert_eq!(
            remediation(&view),
            Some((ClockState::Open, "2026-05-01".to_string(), None)),
            "{backend}: 60 days from awareness on day 0"
        );

        // Day 5: the policy requires out of cycle for an uncontrolled risk; regular is refused
        // with the reason, and nothing is written.
        let mut new = NewPlan {
            product: "Pump".into(),
            vulnerabilities: vec![VULN.into()],
            target_version: "2.2.1".into(),
            cycle: "regular".into(),
            owner: "tess".into(),
            change_requests: vec!["CR-2291=https://qms.example/cr/2291".parse().unwrap()],
            problem_reports: vec![Reference {
                reference: "PR-881".into(),
                url: None,
            }],
            ..NewPlan::default()
        };
        let refused = plan::create(&workspace, &at(&context, 5), &admin, &new)
            .await
            .unwrap_err();
        let message = crate::chain(&refused);
        assert!(
            message.contains("out_of_cycle") || message.contains("out of cycle"),
            "{backend}: {message}"
        );
        assert!(message.contains("uncontrolled"), "{backend}: {message}");
        assert!(plan::list(&workspace, None, None).await.unwrap().is_empty());

        // A plan naming a finding of another product is refused.
        let gateway = hyper_findings(&workspace, "Gateway").await;
        let foreign = NewPlan {
            findings: vec![gateway[0].id],
            cycle: "out_of_cycle".into(),
            ..new.clone()
        };
        let refused = plan::create(&workspace, &at(&context, 5), &admin, &foreign)
            .await
            .unwrap_err();
        assert!(
            crate::chain(&refused).contains("Gateway"),
            "{backend}: {refused}"
        );

        new.cycle = "out_of_cycle".into();
        let created = plan::create(&workspace, &at(&context, 5), &admin, &new)
            .await
            .unwrap();
        let plan_id = created.row.id;
        assert_eq!(created.row.state, "open");
        assert_eq!(
            created.findings.iter().map(|f| f.id).collect::<Vec<_>>(),
            findings.iter().map(|f| f.id).collect::<Vec<_>>(),
            "{backend}: both fielded releases"
        );
        let due = created.due.clone().expect("a clock runs");
        assert_eq!((due.0.as_str(), due.1.as_str()), (VULN, "2026-05-01"));
        plan::update(
            &workspace,
            &at(&context, 6),
            &admin,
            plan_id,
            &PlanUpdate {
                start: true,
                ..PlanUpdate::default()
            },
        )
        .await
        .unwrap();

        // Day 20: a patch older than what it fixes is refused and leaves no release behind.
        let older = flow::import_patch_release(
            &workspace,
            &at(&context, 20),
            &admin,
            "Pump",
            "2.0.5",
            Some(&sbom("pump", "2.0.5", "0.14.28")),
            &[plan_id],
        )
        .await
        .unwrap_err();
        assert!(crate::chain(&older).contains("2.1.0"), "{backend}: {older}");
        assert!(
            inventory::release(&workspace, "Pump", "2.0.5")
                .await
                .is_err(),
            "{backend}: nothing imported"
        );

        // The patch release moves hyper past the fix: both findings are fixed by the upgrade,
        // the fixed version cited.
        let imported = flow::import_patch_release(
            &workspace,
            &at(&context, 20),
            &admin,
            "Pump",
            "2.2.1",
            Some(&sbom("pump", "2.2.1", "0.14.28")),
            &[plan_id],
        )
        .await
        .unwrap();
        let patch = imported.patch;
        assert_eq!(patch.fixes.len(), 2, "{backend}");
        for fix in &patch.fixes {
            let text = fix.evidence.to_string();
            assert!(fix.evidence.is_fixed(), "{backend}: {text}");
            assert!(
                text.contains("from 0.14.2 to 0.14.28") && text.contains("0.14.3"),
                "{backend}: {text}"
            );
        }
        assert_eq!(
            plan::show(&workspace, plan_id).await.unwrap().row.state,
            "patch_built"
        );

        // Day 21: approval without evidence is refused, every missing kind named, the attempt
        // audited, nothing written.
        let (rita, rita_at_21) = session(&workspace, "rita", 21).await;
        let refused = release::approve(
            &workspace,
            &rita_at_21,
            &rita,
            "Pump",
            "2.2.1",
            &signs("rita", Meaning::Approval),
        )
        .await
        .unwrap_err();
        let message = crate::chain(&refused);
        // The default policy's [patch.evidence] for an uncontrolled risk.
        for kind in [
            "impact_assessment",
            "verification",
            "validation",
            "regression",
        ] {
            assert!(message.contains(kind), "{backend}: {message}");
        }
        let state = release::state(&workspace, "Pump", "2.2.1").await.unwrap();
        assert!(state.decisions.is_empty(), "{backend}: nothing written");
        let refusals =
            aftercare_store::audit::of_action(workspace.raw_store().pool(), "signature.refused")
                .await
                .unwrap();
        assert_eq!(
            refusals.len(),
            1,
            "{backend}: the refused attempt is audited"
        );

        // Day 22: evidence, with a failed validation: refused for it.
        let (tess, tess_at_22) = session(&workspace, "tess", 22).await;
        let mut report = evidence("regression", "pass", &["tess"], 22);
        report.files = vec![EvidenceUpload {
            name: "regression-report.pdf".into(),
            bytes: (0..=255u8).cycle().take(70_000).collect(),
        }];
        let (regression_id, _) =
            release::add_evidence(&workspace, &tess_at_22, &tess, "Pump", "2.2.1", &report)
                .await
                .unwrap();
        release::add_evidence(
            &workspace,
            &tess_at_22,
            &tess,
            "Pump",
            "2.2.1",
            &evidence("impact_assessment", "pass", &["tess"], 22),
        )
        .await
        .unwrap();
        release::add_evidence(
            &workspace,
            &tess_at_22,
            &tess,
            "Pump",
            "2.2.1",
            &evidence("verification", "pass", &["tess"], 22),
        )
        .await
        .unwrap();
        let (failed_id, _) = release::add_evidence(
            &workspace,
            &tess_at_22,
            &tess,
            "Pump",
            "2.2.1",
            &evidence("validation", "fail", &["rita"], 22),
        )
        .await
        .unwrap();
        // The file comes back byte for byte, its digest checked.
        let (name, bytes) =
            release::evidence_file(&workspace, regression_id, "regression-report.pdf")
                .await
                .unwrap();
        assert_eq!(name, "regression-report.pdf");
        assert_eq!(bytes, report.files[0].bytes, "{backend}");
        let refused = release::approve(
            &workspace,
            &rita_at_21,
            &rita,
            "Pump",
            "2.2.1",
            &signs("rita", Meaning::Approval),
        )
        .await
        .unwrap_err();
        assert!(
            crate::chain(&refused).contains("validation"),
            "{backend}: {refused}"
        );

        // The validation repeated, passed — executed by Rita alone: she may not approve it.
        let mut repeat = evidence("validation", "pass", &["rita"], 23);
        repeat.supersedes = Some(failed_id);
        let (own_id, _) = release::add_evidence(
            &workspace,
            &at(&tess_at_22, 23),
            &tess,
            "Pump",
            "2.2.1",
            &repeat,
        )
        .await
        .unwrap();
        let refused = release::approve(
            &workspace,
            &rita_at_21,
            &rita,
            "Pump",
            "2.2.1",
            &signs("rita", Meaning::Approval),
        )
        .await
        .unwrap_err();
        let message = crate::chain(&refused);
        assert!(
            message.contains("rita") && message.contains("validation"),
            "{backend}: self-approval: {message}"
        );
        let mut by_tess = evidence("validation", "pass", &["tess"], 24);
        by_tess.supersedes = Some(own_id);
        release::add_evidence(
            &workspace,
            &at(&tess_at_22, 24),
            &tess,
            "Pump",
            "2.2.1",
            &by_tess,
        )
        .await
        .unwrap();

        // Day 30: approved. The gate opens; the clock is not met by an approval.
        let (rita, rita_at_30) = session(&workspace, "rita", 30).await;
        let approved = release::approve(
            &workspace,
            &rita_at_30,
            &rita,
            "Pump",
            "2.2.1",
            &signs("rita", Meaning::Approval),
        )
        .await
        .unwrap();
        assert_eq!(approved.approval_matches(), Some(true));
        assert!(approved.gate(day(30)).is_ok(), "{backend}");
        assert_eq!(
            plan::show(&workspace, plan_id).await.unwrap().row.state,
            "approved"
        );
        let (view, _) = case::case(&workspace, "Pump", VULN).await.unwrap();
        assert_eq!(remediation(&view).unwrap().0, ClockState::Open, "{backend}");

        // Day 31: new evidence; the approval no longer matches, the gate closes, the plan goes
        // back to patch_built; distribution is refused. Signed again on day 32.
        let (tess, tess_at_31) = session(&workspace, "tess", 31).await;
        let after = release::add_evidence(
            &workspace,
            &tess_at_31,
            &tess,
            "Pump",
            "2.2.1",
            &evidence("security_test", "pass", &["tess"], 31),
        )
        .await
        .unwrap()
        .1;
        assert_eq!(after.approval_matches(), Some(false), "{backend}");
        assert!(after.gate(day(31)).is_err(), "{backend}");
        assert_eq!(
            plan::show(&workspace, plan_id).await.unwrap().row.state,
            "patch_built"
        );
        let field_service = |n: i64| NewDistribution {
            channel: "field_service".into(),
            on: date(n),
            organisation: Some("St. Elsewhere Hospital".into()),
            evidence: None,
        };
        let refused = flow::distribute(
            &workspace,
            &at(&context, 31),
            &admin,
            "Pump",
            "2.2.1",
            &field_service(31),
        )
        .await
        .unwrap_err();
        assert!(
            crate::chain(&refused).contains("no longer matches")
                || crate::chain(&refused).contains("not approved"),
            "{backend}: {refused}"
        );
        let (rita, rita_at_32) = session(&workspace, "rita", 32).await;
        let resigned = release::approve(
            &workspace,
            &rita_at_32,
            &rita,
            "Pump",
            "2.2.1",
            &signs("rita", Meaning::Approval),
        )
        .await
        .unwrap();
        assert_eq!(resigned.approval_matches(), Some(true), "{backend}");
        let signatures = release::approvals(&workspace, &resigned).await.unwrap();
        assert_eq!(signatures.len(), 2, "{backend}");
        assert_eq!(signatures[0].state.as_str(), "content-changed");
        assert_eq!(signatures[1].state.as_str(), "valid");

        // Day 40: distributed to the field; the remediation clock is met on that day.
        let distributed = flow::distribute(
            &workspace,
            &at(&context, 40),
            &admin,
            "Pump",
            "2.2.1",
            &field_service(40),
        )
        .await
        .unwrap();
        assert_eq!(distributed.distributions.len(), 1);
        let (view, events) = case::case(&workspace, "Pump", VULN).await.unwrap();
        assert_eq!(
            remediation(&view),
            Some((ClockState::Met, "2026-05-01".to_string(), Some(day(40)))),
            "{backend}: met on the distribution day"
        );
        assert!(
            events.iter().any(|e| e.kind == "fix_distributed"),
            "{backend}: {events:?}"
        );
        assert_eq!(
            plan::show(&workspace, plan_id).await.unwrap().row.state,
            "distributed"
        );

        // The chain shows every step, the distribution meeting the clock.
        let chain = aftercare_service::patch::chain::chain(&workspace, "Pump", "2.2.1", day(41))
            .await
            .unwrap();
        assert_eq!(chain.links.len(), 1);
        let steps: Vec<(&str, &str)> = chain.links[0]
            .steps
            .iter()
            .map(|s| (s.step, s.status.as_str()))
            .collect();
        assert_eq!(
            steps,
            vec![
                ("finding", "done"),
                ("assessment", "done"),
                ("determination", "done"),
                ("plan", "done"),
                ("change_request", "done"),
                ("patch_release", "done"),
                ("fix_evidence", "done"),
                ("evidence", "done"),
                ("approval", "done"),
                ("distribution", "done"),
            ],
            "{backend}"
        );
        assert_eq!(chain.links[0].steps[9].clock, Some("met"));
        plan::close(&workspace, &at(&context, 45), &admin, plan_id, None)
            .await
            .unwrap();
        assert_eq!(
            plan::show(&workspace, plan_id).await.unwrap().row.state,
            "closed"
        );

        // Day 50: recalled. The gate refuses it from then on.
        release::decide_against(
            &workspace,
            &at(&context, 50),
            &rita,
            "Pump",
            "2.2.1",
            "Field reports of pump controller reconnect loops after the update; recalled pending analysis",
            true,
        )
        .await
        .unwrap();
        let revoked = release::state(&workspace, "Pump", "2.2.1").await.unwrap();
        assert!(revoked.gate(day(50)).is_err(), "{backend}");
        let refused = flow::distribute(
            &workspace,
            &at(&context, 51),
            &admin,
            "Pump",
            "2.2.1",
            &field_service(51),
        )
        .await
        .unwrap_err();
        assert!(
            crate::chain(&refused).contains("revoked"),
            "{backend}: {refused}"
        );
    }
}

#[tokio::test]
async fn a_patch_that_still_holds_the_finding_is_not_fixed_and_cannot_be_approved() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        setup(&workspace, &context).await;
        let admin = admin(&workspace).await;
        person(
            &workspace,
            &context,
            "rita",
            "Rita Reviewer",
            &[Role::Reviewer],
        )
        .await;
        let created = plan::create(
            &workspace,
            &at(&context, 5),
            &admin,
            &NewPlan {
                product: "Gateway".into(),
                vulnerabilities: vec![VULN.into()],
                target_version: "1.0.1".into(),
                cycle: "out_of_cycle".into(),
                owner: "admin".into(),
                ..NewPlan::default()
            },
        )
        .await
        .unwrap();
        let imported = flow::import_patch_release(
            &workspace,
            &at(&context, 10),
            &admin,
            "Gateway",
            "1.0.1",
            Some(&sbom("gateway", "1.0.1", "0.14.2")),
            &[created.row.id],
        )
        .await
        .unwrap();
        let fix = &imported.patch.fixes[0];
        assert!(!fix.evidence.is_fixed(), "{backend}: {}", fix.evidence);
        assert_eq!(fix.evidence.label(), "not_fixed");
        for kind in [
            "impact_assessment",
            "validation",
            "regression",
            "verification",
        ] {
            release::add_evidence(
                &workspace,
                &at(&context, 11),
                &admin,
                "Gateway",
                "1.0.1",
                &evidence(kind, "pass", &["admin"], 11),
            )
            .await
            .unwrap();
        }
        let (rita, rita_at) = session(&workspace, "rita", 12).await;
        let refused = release::approve(
            &workspace,
            &rita_at,
            &rita,
            "Gateway",
            "1.0.1",
            &signs("rita", Meaning::Approval),
        )
        .await
        .unwrap_err();
        let message = crate::chain(&refused);
        assert!(
            message.contains(&fix.finding.id.0.to_string()) && message.contains("not fixed"),
            "{backend}: {message}"
        );
        // The gate refuses a patch never approved; a distribution changes nothing.
        let refused = flow::distribute(
            &workspace,
            &at(&context, 12),
            &admin,
            "Gateway",
            "1.0.1",
            &NewDistribution {
                channel: "customer_download".into(),
                on: date(12),
                organisation: None,
                evidence: None,
            },
        )
        .await
        .unwrap_err();
        assert!(
            crate::chain(&refused).contains("not approved"),
            "{backend}: {refused}"
        );
        let state = release::state(&workspace, "Gateway", "1.0.1")
            .await
            .unwrap();
        assert!(state.distributions.is_empty() && state.decisions.is_empty());
        // Evidence for a release that is not a patch, or unknown, is refused.
        let refused = release::add_evidence(
            &workspace,
            &at(&context, 12),
            &admin,
            "Gateway",
            "9.9",
            &evidence("validation", "pass", &["admin"], 12),
        )
        .await
        .unwrap_err();
        assert!(
            crate::chain(&refused).contains("9.9"),
            "{backend}: {refused}"
        );
        // A role without the permission may not approve, and the attempt is audited.
        person(&workspace, &context, "vic", "Vic Viewer", &[Role::Viewer]).await;
        let (vic, vic_at) = session(&workspace, "vic", 12).await;
        let refused = release::approve(
            &workspace,
            &vic_at,
            &vic,
            "Gateway",
            "1.0.1",
            &signs("vic", Meaning::Approval),
        )
        .await
        .unwrap_err();
        assert!(
            crate::chain(&refused).contains("patch.approve"),
            "{backend}: {refused}"
        );
        let refusals =
            aftercare_store::audit::of_action(workspace.raw_store().pool(), "signature.refused")
                .await
                .unwrap();
        assert_eq!(refusals.len(), 2, "{backend}: the gap and the permission");
    }
}
