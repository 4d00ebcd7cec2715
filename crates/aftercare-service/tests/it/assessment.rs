//! Triage through storage, on each backend, with the real GHSA records: decide once on
//! release 1.0, a release 1.1 with the same lodash inherits the decision, a release 1.2 with
//! lodash outside the decision's versions is flagged for a re-review; a determination is
//! signed, starts the clocks (30 and 60 days from the awareness date), and is refused without
//! a signature; VEX rules are enforced; bulk assessment. Issue 12: compensating controls are
//! evidence verified by the signer, KEV keeps its floor, VEX agrees with the determination.

use aftercare_service::access::password::Password;
use aftercare_service::access::signature::{Meaning, SignRequest};
use aftercare_service::finding::{self, FindingQuery};
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::sync::SyncOptions;
use aftercare_service::inventory::{self, SbomFile};
use aftercare_service::triage::assessment::{self, AssessmentInput, ControlInput};
use aftercare_store::finding::FindingRow;

use crate::intel::{add_feed, admin, sync_ok};
use crate::workspaces;

/// A small CycloneDX SBOM of a pump release carrying one lodash version.
fn sbom(release: &str, lodash: &str) -> SbomFile {
    let text = format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {{"component": {{"type": "firmware", "name": "pump-ui", "version": "{release}"}}}},
  "components": [
    {{"type": "library", "bom-ref": "lodash", "name": "lodash", "version": "{lodash}",
      "purl": "pkg:npm/lodash@{lodash}"}},
    {{"type": "library", "bom-ref": "left-pad", "name": "left-pad", "version": "1.3.0",
      "purl": "pkg:npm/left-pad@1.3.0"}}
  ]}}"#
    );
    SbomFile {
        name: format!("pump-ui-{release}.cdx.json"),
        bytes: text.into_bytes(),
    }
}

fn signer() -> SignRequest {
    SignRequest {
        login: Some("admin".into()),
        password: Password::new("correct horse battery"),
        meaning: Meaning::Authorship,
        reason: Some("triage of CVE-2021-23337".into()),
    }
}

async fn lodash_finding(workspace: &aftercare_service::Workspace, release: &str) -> FindingRow {
    let page = finding::list(
        workspace,
        &FindingQuery {
            product: Some("Pump".into()),
            release: Some(release.into()),
            vulnerability: Some("CVE-2021-23337".into()),
            ..FindingQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.total, 1, "release {release}: {:?}", page.findings);
    page.findings[0].clone()
}

#[tokio::test]
async fn decide_once_inherit_on_import_flag_outside_the_range_and_sign_the_determination() {
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let principal = admin(&workspace).await;
        add_feed(
            &workspace,
            &context,
            "ghsa",
            FeedKind::Osv,
            None,
            Some(&mirror),
        )
        .await;
        sync_ok(&workspace, &context, "ghsa", &SyncOptions::default()).await;
        inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Pump",
            "1.0",
            Some(&sbom("1.0", "4.17.19")),
        )
        .await
        .unwrap();
        let first = lodash_finding(&workspace, "1.0").await;

        // VEX rules: not_affected needs a justification or an impact statement; a
        // justification only goes with not_affected.
        let missing = assessment::assess(
            &workspace,
            &context,
            &principal,
            &[first.id],
            &AssessmentInput {
                status: "not_affected".into(),
                ..AssessmentInput::default()
            },
            None,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap_err();
        assert!(
            crate::chain(&missing).contains("justification"),
            "{missing}"
        );
        let misplaced = assessment::assess(
            &workspace,
            &context,
            &principal,
            &[first.id],
            &AssessmentInput {
                status: "affected".into(),
                justification: Some("code_not_reachable".into()),
                responses: vec!["update".into()],
                ..AssessmentInput::default()
            },
            None,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap_err();
        assert!(
            crate::chain(&misplaced).contains("justification"),
            "{misplaced}"
        );

        // Decide once, for every release of the product.
        let decided = assessment::assess(
            &workspace,
            &context,
            &principal,
            &[first.id],
            &AssessmentInput {
                status: "not_affected".into(),
                justification: Some("code_not_reachable".into()),
                impact_statement: Some("lodash.template is never called by the pump UI".into()),
                scope: Some("product".into()),
                assignee: Some("ada".into()),
                ..AssessmentInput::default()
            },
            None,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        assert_eq!(decided.decisions.len(), 1);
        assert!(
            decided.determinations.is_empty(),
            "no harm given, no determination"
        );

        // Release 1.1 brings the same lodash: inherited on import.
        aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Pump",
            "1.1",
            Some(&sbom("1.1", "4.17.19")),
        )
        .await
        .unwrap();
        let second = lodash_finding(&workspace, "1.1").await;
        let triage = assessment::triage(&workspace, &second).await.unwrap();
        let inherited = triage.assessment.expect("inherited on import");
        assert!(
            inherited.inherited && !inherited.review_required,
            "{backend}"
        );
        assert_eq!(inherited.decision_id, decided.decisions[0]);
        let decision = triage.decision.unwrap();
        assert_eq!(decision.status, "not_affected");
        assert_eq!(decision.versions, "=4.17.19");
        assert_eq!(decision.finding_id, first.id);
        let history = finding::show(&workspace, second.id).await.unwrap().history;
        assert_eq!(
            history.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
            ["opened", "inherited"]
        );

        // Release 1.2 moves to lodash 4.17.20: still affected by the record, but outside
        // the versions the decision covers — flagged for a re-review, not inherited.
        aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Pump",
            "1.2",
            Some(&sbom("1.2", "4.17.20")),
        )
        .await
        .unwrap();
        let third = lodash_finding(&workspace, "1.2").await;
        let flagged = assessment::triage(&workspace, &third)
            .await
            .unwrap()
            .assessment
            .expect("flagged on import");
        assert!(flagged.review_required, "{backend}");
        assert_eq!(
            flagged.review_reason.as_deref(),
            Some(
                format!(
                    "version 4.17.20 is outside =4.17.19 covered by the decision made on finding {}",
                    first.id
                )
                .as_str()
            )
        );

        // A determination needs the signature; refused without it, and nothing is written.
        let affected = AssessmentInput {
            status: "affected".into(),
            responses: vec!["update".into()],
            action_statement: Some("Install pump UI 1.3".into()),
            harm: Some("serious".into()),
            safety_and_essential_performance_affected: Some(true),
            controls: vec![ControlInput {
                description: "UI reachable only from the clinical VLAN".into(),
                evidence: "NET-DOC-7 rev B".into(),
                effective: false,
            }],
            override_risk: Some("uncontrolled".into()),
            override_rationale: Some(
                "Template injection could alter displayed infusion rates; treat as uncontrolled until fixed."
                    .into(),
            ),
            cvss_vector: Some("CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H".into()),
            ..AssessmentInput::default()
        };
        let refused = assessment::assess(
            &workspace,
            &context,
            &principal,
            &[third.id],
            &affected,
            None,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap_err();
        assert!(refused.to_string().contains("signature"), "{refused}");
        assert!(
            assessment::triage(&workspace, &third)
                .await
                .unwrap()
                .assessment
                .unwrap()
                .review_required,
            "nothing written"
        );

        let signed = assessment::assess(
            &workspace,
            &context,
            &principal,
            &[third.id],
            &affected,
            Some(&signer()),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        let determination = &signed.determinations[0];
        assert_eq!(determination.outcome, "uncontrolled");
        assert_eq!(determination.harm_severity, "serious");
        assert!(determination.signature_id.is_some());
        assert!(
            determination
                .inputs
                .contains("override.outcome=12:uncontrolled")
        );
        // CVSS 3.1 AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H = 6.4 (FIRST calculator).
        let triage = assessment::triage(&workspace, &third).await.unwrap();
        assert_eq!(triage.decision.as_ref().unwrap().cvss_score, Some(6.4));
        assert!(!triage.assessment.unwrap().review_required);
        assert_eq!(triage.determination.unwrap().id, determination.id);
        let signatures = &triage.determination_signatures;
        assert_eq!(signatures.len(), 1, "{backend}");
        assert_eq!(signatures[0].state.as_str(), "valid");
        assert_eq!(signatures[0].signature.meaning, "authorship");
        assert_eq!(signatures[0].signature.login, "admin");

        // The determination drove the case: uncontrolled, customer communication within 30
        // days and the fix within 60 days of the awareness date (the first match).
        let (case, _) = aftercare_service::triage::case::case(&workspace, "Pump", "CVE-2021-23337")
            .await
            .unwrap();
        assert_eq!(case.row.risk.as_deref(), Some("uncontrolled"));
        let awareness: jiff::civil::Date =
            case.row.awareness_date.as_deref().unwrap().parse().unwrap();
        let record = case.case.to_record();
        let due = |kind: &str| {
            record
                .clocks
                .iter()
                .find(|c| c.kind.as_str() == kind)
                .unwrap_or_else(|| panic!("{backend}: no {kind} clock in {:?}", record.clocks))
                .deadline_day
        };
        assert_eq!(
            due("customer_communication"),
            awareness.checked_add(jiff::Span::new().days(30)).unwrap()
        );
        assert_eq!(
            due("remediation"),
            awareness.checked_add(jiff::Span::new().days(60)).unwrap()
        );

        // Bulk: the two other releases at once.
        let bulk = assessment::assess(
            &workspace,
            &context,
            &principal,
            &[first.id, second.id],
            &AssessmentInput {
                status: "under_investigation".into(),
                details: Some("re-opened after the 1.2 review".into()),
                ..AssessmentInput::default()
            },
            None,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        assert_eq!(bulk.decisions.len(), 2);
        for id in [first.id, second.id] {
            let row = finding::show(&workspace, id).await.unwrap().finding;
            let triage = assessment::triage(&workspace, &row).await.unwrap();
            assert_eq!(triage.decision.unwrap().status, "under_investigation");
            assert!(!triage.assessment.unwrap().inherited);
        }
    }
}

#[test]
fn public_exploit_references_are_counted_from_real_nvd_records() {
    let bytes = aftercare_testdata::read("nvd/nvd-api-2.0-cves.jsonl");
    let records = aftercare_intel::read_document("nvd-api-2.0-cves.jsonl", &bytes)
        .unwrap()
        .into_records();
    // Expected counts from an independent Python pass over the same file: distinct URLs
    // tagged `Exploit` or on an exploit archive (CVE-2016-1897 tags the same URL twice).
    for (id, expected) in [
        ("CVE-2021-26855", 4),
        ("CVE-2016-1897", 2),
        ("CVE-2021-25992", 1),
        ("CVE-1999-1341", 0),
    ] {
        let record = records
            .iter()
            .find(|r| r.id.as_str() == id)
            .unwrap_or_else(|| panic!("{id} is in the file"));
        assert_eq!(
            assessment::exploit_references(std::iter::once(record)),
            expected,
            "{id}"
        );
    }
}

/// A KEV catalog: the real one with lodash's CVE-2021-23337 added, as a feed file.
fn kev_with_lodash(dir: &std::path::Path) -> std::path::PathBuf {
    let mut catalog: serde_json::Value = serde_json::from_slice(&aftercare_testdata::read(
        "kev/known_exploited_vulnerabilities.json",
    ))
    .unwrap();
    catalog["vulnerabilities"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "cveID": "CVE-2021-23337", "vendorProject": "test entry", "product": "lodash",
            "vulnerabilityName": "added by the aftercare test", "dateAdded": "2026-03-01",
            "shortDescription": "test", "requiredAction": "test", "dueDate": "2026-03-22",
            "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []}));
    let file = dir.join("known_exploited_vulnerabilities.json");
    std::fs::write(&file, serde_json::to_vec(&catalog).unwrap()).unwrap();
    file
}

fn control(evidence: &str) -> ControlInput {
    ControlInput {
        description: "Pump UI reachable only from the clinical VLAN".into(),
        evidence: evidence.into(),
        effective: true,
    }
}

/// Issue 12, items 3 and 12: a control is evidence verified by the signer, a KEV-listed
/// vulnerability stays at the policy's floor, a control without evidence is refused;
/// `not_affected` is refused beside an uncontrolled determination, an `affected` statement
/// gets a generated action statement, and a justification resting on the customer's controls
/// is flagged as published `affected`.
#[tokio::test]
async fn issue_12_controls_are_evidence_kev_keeps_its_floor_and_vex_agrees_with_the_determination()
{
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    let kev_dir = tempfile::tempdir().unwrap();
    let kev_file = kev_with_lodash(kev_dir.path());
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let principal = admin(&workspace).await;
        add_feed(
            &workspace,
            &context,
            "ghsa",
            FeedKind::Osv,
            None,
            Some(&mirror),
        )
        .await;
        sync_ok(&workspace, &context, "ghsa", &SyncOptions::default()).await;
        add_feed(
            &workspace,
            &context,
            "kev",
            FeedKind::Kev,
            None,
            Some(&kev_file),
        )
        .await;
        sync_ok(&workspace, &context, "kev", &SyncOptions::default()).await;
        // Controls lower exploitability by two levels under this policy: from high to low,
        // below the KEV floor (medium).
        aftercare_service::triage::policy::change(
            &workspace,
            &context,
            &principal,
            &aftercare_service::triage::policy::PolicyChange {
                text: aftercare_risk::policy::DEFAULT_POLICY_TOML.replacen(
                    "compensating_control_exploitability_steps = 1",
                    "compensating_control_exploitability_steps = 2",
                    1,
                ),
                reason: "two levels for a verified segmentation control".into(),
                signature: Some(signer()),
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        for product in ["Pump", "Gateway"] {
            inventory::add_product(&workspace, &context, product, None)
                .await
                .unwrap();
            aftercare_service::flow::import_release(
                &workspace,
                &context,
                product,
                "1.0",
                Some(&sbom("1.0", "4.17.19")),
            )
            .await
            .unwrap();
        }
        let pump = lodash_finding(&workspace, "1.0").await;
        assert!(pump.kev, "{backend}: listed in KEV");

        // Without evidence, a control is refused, naming the field.
        let critical = |controls: Vec<ControlInput>| AssessmentInput {
            status: "affected".into(),
            responses: vec!["update".into()],
            harm: Some("critical".into()),
            controls,
            ..AssessmentInput::default()
        };
        let refused = assessment::assess(
            &workspace,
            &context,
            &principal,
            &[pump.id],
            &critical(vec![control("  ")]),
            Some(&signer()),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                &refused,
                aftercare_service::ServiceError::Rule {
                    field: "control",
                    ..
                }
            ),
            "{backend}: {refused:?}"
        );
        assert!(
            crate::chain(&refused).contains("a compensating control needs a non-empty evidence"),
            "{backend}: {}",
            crate::chain(&refused)
        );

        // With evidence, verified by the signer: high lowered to low, raised back to the KEV
        // floor (medium); medium x critical is uncontrolled (low x critical would not be).
        let made = assessment::assess(
            &workspace,
            &context,
            &principal,
            &[pump.id],
            &critical(vec![control("NET-DOC-7 rev B")]),
            Some(&signer()),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        let determination = &made.determinations[0];
        assert_eq!(determination.exploitability_level, "high", "{backend}");
        assert_eq!(determination.outcome, "uncontrolled", "{backend}");
        let controls: serde_json::Value = serde_json::from_str(&determination.controls).unwrap();
        assert_eq!(
            controls,
            serde_json::json!([{
                "description": "Pump UI reachable only from the clinical VLAN",
                "evidence": "NET-DOC-7 rev B", "effective": true,
                "verified_by": "Ada Admin (admin)", "counted": true}]),
            "{backend}"
        );
        let steps: Vec<String> = serde_json::from_str(&determination.steps).unwrap();
        assert_eq!(
            steps,
            [
                "1 verified control(s) (\"Pump UI reachable only from the clinical VLAN\" verified by Ada Admin (admin)): exploitability lowered 2 step(s) from high to low, severity 0 step(s) from critical to critical",
                "listed in CISA KEV: exploitability is not lowered below medium (determination.kev_floor); only an override with a rationale can decide otherwise",
            ],
            "{backend}"
        );
        assert!(
            determination
                .inputs
                .contains("control.verified_by=17:Ada Admin (admin)\n"),
            "{}",
            determination.inputs
        );
        // No action statement was written: the one generated from the response and the
        // fixed version is stored, and said so.
        let triage = assessment::triage(&workspace, &pump).await.unwrap();
        let decision = triage.decision.as_ref().unwrap();
        assert_eq!(
            decision.action_statement.as_deref(),
            Some("Update to version 4.17.21 or later, which fixes this vulnerability."),
            "{backend}"
        );
        assert!(decision.action_statement_generated);
        assert_eq!(made.notes.len(), 1, "{backend}: {:?}", made.notes);
        assert!(
            made.notes[0].contains("aftercare generated one"),
            "{:?}",
            made.notes
        );
        assert_eq!(
            triage
                .published
                .as_ref()
                .map(|p| p.action_statement_generated),
            Some(true)
        );

        // not_affected is refused while the product's determination is uncontrolled, naming it.
        let not_affected = AssessmentInput {
            status: "not_affected".into(),
            justification: Some("protected_at_perimeter".into()),
            impact_statement: Some("the hospital firewall blocks the UI port".into()),
            ..AssessmentInput::default()
        };
        let contradicted = assessment::assess(
            &workspace,
            &context,
            &principal,
            &[pump.id],
            &not_affected,
            None,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap_err();
        let message = crate::chain(&contradicted);
        assert!(
            message.contains(&format!(
                "not_affected contradicts determination {} of Pump for CVE-2021-23337",
                determination.id
            )) && message.contains("which is uncontrolled"),
            "{backend}: {message}"
        );

        // In the gateway (no determination) it is stored as given, and flagged: published as
        // affected with a compensating-control note, the policy not allowing otherwise.
        let gateway = finding::list(
            &workspace,
            &FindingQuery {
                product: Some("Gateway".into()),
                vulnerability: Some("CVE-2021-23337".into()),
                ..FindingQuery::default()
            },
        )
        .await
        .unwrap()
        .findings
        .remove(0);
        assessment::assess(
            &workspace,
            &context,
            &principal,
            &[gateway.id],
            &not_affected,
            None,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        let triage = assessment::triage(&workspace, &gateway).await.unwrap();
        assert_eq!(triage.decision.as_ref().unwrap().status, "not_affected");
        let published = triage.published.unwrap();
        assert_eq!(published.status.as_str(), "affected", "{backend}");
        assert!(
            published
                .note
                .as_deref()
                .is_some_and(|n| n.contains("rests on a control outside the product")),
            "{backend}: {published:?}"
        );
    }
}
