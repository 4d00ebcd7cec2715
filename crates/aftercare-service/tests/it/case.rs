//! Regulatory cases and clocks through storage, with fixed dates, on both backends; policy
//! changes with signatures.

use aftercare_model::Role;
use aftercare_risk::{ClockKind, ClockState, Event, EventKind, RiskClass};
use aftercare_service::access::auth;
use aftercare_service::access::password::Password;
use aftercare_service::access::signature::{Meaning, SignRequest};
use aftercare_service::triage::case::{self, ClockQuery};
use aftercare_service::triage::policy::{self, PolicyChange};
use aftercare_service::{Context, ServiceError, inventory};
use jiff::{SignedDuration, Timestamp};

use crate::{person, workspaces};

/// Day N at 10:00 UTC, day 0 being Monday 2026-03-02 (05:00 in the default policy's
/// America/New_York).
fn day(n: i64) -> Timestamp {
    "2026-03-02T10:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_hours(24 * n)
}

fn event(at: Timestamp, kind: EventKind) -> Event {
    Event { at, kind }
}

const VULN: &str = "CVE-2021-44228";

#[tokio::test]
async fn an_uncontrolled_finding_runs_its_clocks_through_storage() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        let system = Context::new(
            aftercare_model::Actor::system("rematch"),
            jiff::Timestamp::now(),
        );
        case::apply_unchecked(
            &workspace,
            &system,
            "Pump",
            VULN,
            event(day(0), EventKind::FindingFirstSeen),
        )
        .await
        .unwrap();
        // A determination on day 3 opens the 30/60-day clocks counted from awareness (day 0).
        let outcome = case::apply_unchecked(
            &workspace,
            &context,
            "Pump",
            VULN,
            event(
                day(3),
                EventKind::DeterminationMade {
                    risk: RiskClass::Uncontrolled,
                },
            ),
        )
        .await
        .unwrap();
        let clocks = outcome.view.case.clocks();
        let communication = clocks
            .iter()
            .find(|c| c.kind() == ClockKind::CustomerCommunication)
            .unwrap();
        assert_eq!(
            communication.deadline().day.to_string(),
            "2026-04-01",
            "{backend}: day 30"
        );
        let remediation = clocks
            .iter()
            .find(|c| c.kind() == ClockKind::Remediation)
            .unwrap();
        assert_eq!(
            remediation.deadline().day.to_string(),
            "2026-05-01",
            "{backend}: day 60"
        );
        // 23:59:59 of day 60 in New York (EDT, UTC-4) is 03:59:59 UTC the next day.
        assert_eq!(
            remediation.deadline().end.to_string(),
            "2026-05-02T03:59:59.999999999Z",
            "{backend}"
        );

        // Day 12: communication sent (and shared with the ISAO) -> met.
        case::apply_unchecked(
            &workspace,
            &context,
            "Pump",
            VULN,
            event(day(12), EventKind::CustomerCommunicationSent),
        )
        .await
        .unwrap();
        case::apply_unchecked(
            &workspace,
            &context,
            "Pump",
            VULN,
            event(day(12), EventKind::IsaoShared),
        )
        .await
        .unwrap();
        let (view, events) = case::case(&workspace, "Pump", VULN).await.unwrap();
        let communication = view
            .case
            .clock(ClockKind::CustomerCommunication, None)
            .unwrap();
        assert_eq!(communication.state(), ClockState::Met, "{backend}");
        assert_eq!(events.len(), 4, "{backend}: every event logged");

        // Due within 60 days of day 12: remediation and ISAO sharing are open.
        let due = case::clocks(
            &workspace,
            &ClockQuery {
                due_within_days: Some(60),
                ..ClockQuery::default()
            },
            day(12),
        )
        .await
        .unwrap();
        let kinds: Vec<ClockKind> = due.iter().map(|c| c.clock.kind()).collect();
        assert!(
            kinds.contains(&ClockKind::Remediation),
            "{backend}: {kinds:?}"
        );
        assert!(
            !kinds.contains(&ClockKind::CustomerCommunication),
            "{backend}: met clocks are not due"
        );

        // Day 61 without a fix: the tick marks remediation missed and opens an 806 clock.
        assert_eq!(
            case::tick(&workspace, day(61)).await.unwrap(),
            1,
            "{backend}"
        );
        let (view, _) = case::case(&workspace, "Pump", VULN).await.unwrap();
        assert_eq!(
            view.case
                .clock(ClockKind::Remediation, None)
                .unwrap()
                .state(),
            ClockState::Missed,
            "{backend}"
        );
        let report = view
            .case
            .clock(ClockKind::Report806, None)
            .expect("806 clock opened");
        // No correction start recorded: provisionally from the first recorded field action,
        // the communication of day 12 (Saturday 2026-03-14 in New York; issue 12, item 6):
        // Mon 16 .. Fri 20 (5), Mon 23 .. Fri 27 (10) = 2026-03-27, already past: missed.
        assert_eq!(report.state(), ClockState::Missed, "{backend}");
        assert_eq!(report.deadline().day.to_string(), "2026-03-27", "{backend}");
        let overdue = case::clocks(
            &workspace,
            &ClockQuery {
                overdue: true,
                ..ClockQuery::default()
            },
            day(61),
        )
        .await
        .unwrap();
        // Overdue: the missed 806 clock and the missed, still unfixed remediation clock —
        // not the met communication clock.
        let overdue_kinds: Vec<ClockKind> = overdue.iter().map(|c| c.clock.kind()).collect();
        assert_eq!(
            overdue_kinds,
            [ClockKind::Report806, ClockKind::Remediation],
            "{backend}"
        );
        // A second tick at the same time changes nothing.
        assert_eq!(
            case::tick(&workspace, day(61)).await.unwrap(),
            0,
            "{backend}"
        );
        // The tick is audited as machine work.
        let events = aftercare_store::audit::page(test.store.pool(), 0, 1000)
            .await
            .unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.event.action == "case.tick" && e.event.actor == "system:clock-tick"),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn awareness_only_moves_earlier_and_waiving_needs_a_signature() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        case::apply_unchecked(
            &workspace,
            &context,
            "Pump",
            VULN,
            event(day(5), EventKind::FindingFirstSeen),
        )
        .await
        .unwrap();
        let later = case::apply_unchecked(
            &workspace,
            &context,
            "Pump",
            VULN,
            event(
                day(6),
                EventKind::AwarenessDateEntered {
                    date: "2026-03-20".parse().unwrap(),
                    reason: "the vendor told us later, by phone".into(),
                },
            ),
        )
        .await;
        assert!(
            matches!(later, Err(ServiceError::Rule { .. })),
            "{backend}: {later:?}"
        );
        case::apply_unchecked(
            &workspace,
            &context,
            "Pump",
            VULN,
            event(
                day(6),
                EventKind::AwarenessDateEntered {
                    date: "2026-03-01".parse().unwrap(),
                    reason: "a customer e-mail of 1 March named it".into(),
                },
            ),
        )
        .await
        .unwrap();
        let outcome = case::apply_unchecked(
            &workspace,
            &context,
            "Pump",
            VULN,
            event(
                day(7),
                EventKind::DeterminationMade {
                    risk: RiskClass::Uncontrolled,
                },
            ),
        )
        .await
        .unwrap();
        assert_eq!(
            outcome.view.row.awareness_date.as_deref(),
            Some("2026-03-01"),
            "{backend}"
        );

        person(
            &workspace,
            &context,
            "rita",
            "Rita Reviewer",
            &[Role::Reviewer],
        )
        .await;
        let (_, rita) = auth::login(
            &workspace,
            "rita",
            &Password::new("rita-password-1"),
            day(8),
            None,
        )
        .await
        .unwrap();
        let rita_context = Context::new(rita.actor(), jiff::Timestamp::now());
        let clock_id = case::clocks(&workspace, &ClockQuery::default(), day(8))
            .await
            .unwrap()
            .into_iter()
            // ISAO sharing no longer runs from awareness (issue 12, item 5): waive remediation.
            .find(|c| c.clock.kind() == ClockKind::Remediation)
            .unwrap()
            .listing
            .clock
            .id;
        let rationale = "the fix ships with the validated 4.2 release; interim controls in IFU-12";
        let unsigned = case::waive(
            &workspace,
            &rita_context,
            &rita,
            clock_id,
            rationale,
            None,
            day(8),
        )
        .await;
        assert!(
            matches!(unsigned, Err(ServiceError::SignatureRefused { .. })),
            "{backend}"
        );
        let sign = SignRequest {
            login: Some("rita".into()),
            password: Password::new("rita-password-1"),
            meaning: Meaning::Approval,
            reason: None,
        };
        let waived = case::waive(
            &workspace,
            &rita_context,
            &rita,
            clock_id,
            rationale,
            Some(&sign),
            day(8),
        )
        .await
        .unwrap();
        assert_eq!(
            waived
                .view
                .case
                .clock(ClockKind::Remediation, None)
                .unwrap()
                .state(),
            ClockState::Waived,
            "{backend}"
        );
        let signatures = aftercare_store::signature::signatures_of(
            test.store.pool(),
            "clock",
            &clock_id.to_string(),
        )
        .await
        .unwrap();
        assert_eq!(signatures.len(), 1, "{backend}");
        // An analyst may not waive.
        person(
            &workspace,
            &context,
            "sam",
            "Sam Analyst",
            &[Role::SecurityAnalyst],
        )
        .await;
        let (_, sam) = auth::login(
            &workspace,
            "sam",
            &Password::new("sam-password-1"),
            day(8),
            None,
        )
        .await
        .unwrap();
        let refused = case::waive(
            &workspace,
            &Context::new(sam.actor(), jiff::Timestamp::now()),
            &sam,
            clock_id,
            rationale,
            Some(&sign),
            day(8),
        )
        .await;
        assert!(
            matches!(refused, Err(ServiceError::Forbidden { .. })),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_policy_is_versioned_and_changed_only_with_a_signature() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let current = policy::current(&workspace).await.unwrap();
        assert_eq!(
            current.revision.as_ref().map(|r| r.revision),
            Some(1),
            "{backend}: init stores the default"
        );
        person(
            &workspace,
            &context,
            "rita",
            "Rita Reviewer",
            &[Role::Reviewer],
        )
        .await;
        let (_, rita) = auth::login(
            &workspace,
            "rita",
            &Password::new("rita-password-1"),
            day(0),
            None,
        )
        .await
        .unwrap();
        let rita_context = Context::new(rita.actor(), jiff::Timestamp::now());
        let text = aftercare_risk::policy::DEFAULT_POLICY_TOML.replacen(
            "[clock.customer_communication]\ndays = 30",
            "[clock.customer_communication]\ndays = 21",
            1,
        );
        assert_ne!(text, aftercare_risk::policy::DEFAULT_POLICY_TOML);
        let unsigned = PolicyChange {
            text: text.clone(),
            reason: "shorter communication deadline".into(),
            signature: None,
        };
        assert!(
            matches!(
                policy::change(&workspace, &rita_context, &rita, &unsigned, day(0)).await,
                Err(ServiceError::SignatureRefused { .. })
            ),
            "{backend}"
        );
        let broken = PolicyChange {
            text: "[policy]\nid = 1".into(),
            reason: "a broken file".into(),
            signature: None,
        };
        assert!(
            matches!(
                policy::change(&workspace, &rita_context, &rita, &broken, day(0)).await,
                Err(ServiceError::Rule { .. })
            ),
            "{backend}"
        );
        let signed = PolicyChange {
            signature: Some(SignRequest {
                login: Some("rita".into()),
                password: Password::new("rita-password-1"),
                meaning: Meaning::Approval,
                reason: None,
            }),
            ..unsigned
        };
        let row = policy::change(&workspace, &rita_context, &rita, &signed, day(0))
            .await
            .unwrap();
        assert_eq!(row.revision, 2, "{backend}");
        let current = policy::current(&workspace).await.unwrap();
        assert_ne!(
            current.policy.digest().to_hex(),
            aftercare_risk::Policy::builtin().unwrap().digest().to_hex(),
            "{backend}"
        );
        assert_eq!(
            policy::history(&workspace).await.unwrap().len(),
            2,
            "{backend}"
        );
        let signatures =
            aftercare_store::signature::signatures_of(test.store.pool(), "policy", "2")
                .await
                .unwrap();
        assert_eq!(
            signatures[0].content_sha256,
            aftercare_model::Sha256::of(text.as_bytes()).to_hex(),
            "{backend}"
        );
    }
}

/// Issue 12, item 10: awareness from every source. A case opened by an incident has no
/// awareness date; the first match of the vulnerability gives it one. A supplier's CSAF
/// advisory (a real Red Hat document) that names a product's component records that the
/// advisory was received: the awareness basis says so.
#[tokio::test]
async fn awareness_from_a_first_match_after_an_incident_and_from_a_supplier_advisory() {
    const CSAF: (&str, &str) = (
        "csaf/redhat-csaf.zip",
        "trustify/etc/datasets/ds3/csaf/2024/cve-2024-28834.json",
    );
    const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
     "metadata": {"component": {"bom-ref": "pump", "type": "device", "name": "pump", "version": "1.0"}},
     "components": [{"bom-ref": "gnutls", "type": "library", "name": "gnutls",
       "version": "3.6.16-4.el8", "purl": "pkg:rpm/redhat/gnutls@3.6.16-4.el8?arch=x86_64"}]}"#;
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        // Wednesday 2030-01-02, 15:00 UTC (10:00 in New York).
        let now: Timestamp = "2030-01-02T15:00:00Z".parse().unwrap();
        let context = Context { now, ..context };
        inventory::add_product(&workspace, &context, "Pump", None)
            .await
            .unwrap();
        // An 803 malfunction opens the case of CVE-2024-28834 without an awareness date.
        let incident = case::apply_unchecked(
            &workspace,
            &context,
            "Pump",
            "CVE-2024-28834",
            event(
                now - SignedDuration::from_hours(48),
                EventKind::MdrReportableEvent {
                    reference: "MDR-2029-9".into(),
                    aware_on: "2029-12-31".parse().unwrap(),
                    event_type: aftercare_risk::clock::MdrEventType::Malfunction,
                    five_day: false,
                },
            ),
        )
        .await
        .unwrap();
        assert_eq!(incident.view.row.awareness_date, None, "{backend}");

        // The supplier's CSAF advisory arrives with a sync; a release naming gnutls follows.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cve-2024-28834.json"),
            crate::shared_member(CSAF.0, CSAF.1),
        )
        .unwrap();
        crate::intel::add_feed(
            &workspace,
            &context,
            "redhat",
            aftercare_service::intel::FeedKind::Csaf,
            None,
            Some(dir.path()),
        )
        .await;
        crate::intel::sync_ok(
            &workspace,
            &context,
            "redhat",
            &aftercare_service::intel::sync::SyncOptions::default(),
        )
        .await;
        let imported = aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Pump",
            "1.0",
            Some(&inventory::SbomFile {
                name: "pump.cdx.json".into(),
                bytes: SBOM.as_bytes().to_vec(),
            }),
        )
        .await
        .unwrap();
        let matched = imported.matched.unwrap();
        assert!(
            !matched.opened.is_empty(),
            "{backend}: gnutls 3.6.16-4.el8 is affected"
        );
        let (view, events) = case::case(&workspace, "Pump", "CVE-2024-28834")
            .await
            .unwrap();
        assert_eq!(
            view.row.awareness_date.as_deref(),
            Some("2030-01-02"),
            "{backend}: the case opened by the incident is now aware"
        );
        let awareness = view.case.awareness().unwrap();
        assert_eq!(
            awareness.basis,
            aftercare_risk::AwarenessBasis::AdvisoryReceived,
            "{backend}"
        );
        assert!(
            events.iter().any(|e| e.kind == "advisory_received"),
            "{backend}: {events:?}"
        );
    }
}
