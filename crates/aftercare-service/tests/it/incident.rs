//! Incidents through the service, on each backend: the classification opens the clock that
//! fits through the existing clock machine (EU MDR Art. 87: 2, 10 and 15 days; 21 CFR 803:
//! 30 calendar days, 5 work days with remedial action), not reportable needs the rationale
//! and opens none, opening from a signal moves the signal, closing needs the root cause, the
//! CAPA references and the lessons learned, permissions are enforced, and every step is
//! audited and kept.
//!
//! Deadlines by hand. Every incident here is classified on Friday 2026-03-20 at 15:00 UTC,
//! aware on that day (day 0). The EU clocks count calendar days in Europe/Berlin, which moves
//! from CET (UTC+1) to CEST (UTC+2) on Sunday 2026-03-29; a deadline ends at 23:59:59.999999
//! local time and is not moved off a weekend (the default policy keeps the day):
//! - public health threat, 2 days: Sunday 2026-03-22, CET → 2026-03-22T22:59:59.999999Z;
//! - death or unanticipated serious deterioration, 10 days: Monday 2026-03-30, CEST →
//!   2026-03-30T21:59:59.999999Z;
//! - other serious incident, 15 days: Saturday 2026-04-04, CEST → 2026-04-04T21:59:59.999999Z.
//!
//! The FDA clocks count in America/New_York (EDT, UTC−4, since 2026-03-08):
//! - 803 (death, serious injury, malfunction), 30 calendar days: Sunday 2026-04-19 →
//!   2026-04-20T03:59:59.999999Z;
//! - 803.53 five work days (remedial action): Mon 23 (1), Tue 24 (2), Wed 25 (3), Thu 26 (4),
//!   Fri 27 March (5), no federal holiday between → 2026-03-27, 2026-03-28T03:59:59.999999Z.

use aftercare_model::Role;
use aftercare_service::access::auth::Principal;
use aftercare_service::access::signature::Meaning;
use aftercare_service::incident::{
    self, ClassifyRequest, CloseRequest, IncidentDetail, OpenRequest,
};
use aftercare_service::{Context, ServiceError, Workspace, flow, inventory};
use aftercare_store::fleet::{self as signals, NewSignal};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;

use crate::intel::admin;
use crate::{admin_signs, chain, person, workspaces};

fn friday() -> Timestamp {
    "2026-03-20T15:00:00Z".parse().unwrap()
}

fn at(context: &Context, now: Timestamp) -> Context {
    Context {
        now,
        ..context.clone()
    }
}

const RATIONALE: &str = "Two infusion pumps rebooted mid-infusion during the authentication burst; one patient needed a manual dose.";

async fn pump(workspace: &Workspace, context: &Context) {
    inventory::add_product(workspace, context, "Pump", None)
        .await
        .unwrap();
    flow::import_release(workspace, context, "Pump", "2.1.0", None)
        .await
        .unwrap();
}

async fn open(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    title: &str,
) -> IncidentDetail {
    incident::open(
        workspace,
        context,
        principal,
        &OpenRequest {
            title: title.into(),
            description: "Reported by the hospital's biomed team.".into(),
            aware_on: Some(Date::constant(2026, 3, 20)),
            ..OpenRequest::default()
        },
    )
    .await
    .unwrap()
}

fn eu(category: &str) -> ClassifyRequest {
    ClassifyRequest {
        eu: Some(category.into()),
        rationale: RATIONALE.into(),
        product: Some("Pump".into()),
        ..ClassifyRequest::default()
    }
}

async fn raise(workspace: &Workspace, subject: &str) -> i64 {
    let mut tx = workspace.raw_store().begin().await.unwrap();
    let (id, _) = signals::raise_signal(
        &mut tx,
        &NewSignal {
            kind: "rate",
            device_id: None,
            rollout_id: None,
            subject,
            summary: "20 auth failures in 5 minutes",
            evidence: "{}",
        },
        "2026-03-20T14:00:00.000000Z",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn signal_state(workspace: &Workspace, id: i64) -> String {
    signals::signal(workspace.raw_store().pool(), id)
        .await
        .unwrap()
        .unwrap()
        .state
}

fn clocks(detail: &IncidentDetail) -> Vec<(String, String, String, String)> {
    detail
        .clocks
        .iter()
        .map(|c| {
            (
                c.kind.clone(),
                c.start_day.clone(),
                c.deadline_day.clone(),
                c.deadline_end.clone(),
            )
        })
        .collect()
}

fn clock(kind: &str, start: &str, day: &str, end: &str) -> (String, String, String, String) {
    (kind.into(), start.into(), day.into(), end.into())
}

#[tokio::test]
async fn an_incident_classified_as_an_eu_serious_incident_opens_the_2_10_or_15_day_clock_that_fits()
{
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let context = at(&context, friday());
        let admin = admin(&workspace).await;
        pump(&workspace, &context).await;
        let expected = [
            (
                "public_health_threat",
                "eu_mdr_art87_public_health_threat",
                "2026-03-22",
                "2026-03-22T22:59:59.999999Z",
            ),
            (
                "death_or_serious_deterioration",
                "eu_mdr_art87_death_or_serious_deterioration",
                "2026-03-30",
                "2026-03-30T21:59:59.999999Z",
            ),
            (
                "serious_incident",
                "eu_mdr_art87",
                "2026-04-04",
                "2026-04-04T21:59:59.999999Z",
            ),
        ];
        for (category, kind, day, end) in expected {
            let opened = open(&workspace, &context, &admin, category).await;
            let id = opened.incident.id;
            let outcome = incident::classify(
                &workspace,
                &context,
                &admin,
                id,
                &eu(category),
                Some(&admin_signs(Meaning::Responsibility)),
            )
            .await
            .unwrap();
            let detail = &outcome.detail;
            assert_eq!(detail.incident.state, "classified", "{backend} {category}");
            assert_eq!(
                detail.incident.classification.as_deref(),
                Some(format!("eu:{category}").as_str()),
                "{backend}"
            );
            assert_eq!(
                detail.incident.eu_category.as_deref(),
                Some(category),
                "{backend}"
            );
            assert!(detail.incident.signature_id.is_some(), "{backend}");
            // Every Art. 87 serious incident is a serious adverse event for the clock machine
            // (ADR 0006): the case's 806 clock opens provisionally, 10 working days in New
            // York from the day the exemption was lost (Mon 23 … Fri 27 March is 5, Mon 30
            // March … Fri 3 April is 10), to be waived or met by an 803 report covering it.
            assert_eq!(
                clocks(detail),
                vec![
                    clock(kind, "2026-03-20", day, end),
                    clock(
                        "report_806",
                        "2026-03-20",
                        "2026-04-03",
                        "2026-04-04T03:59:59.999999Z"
                    ),
                ],
                "{backend} {category}"
            );
            let number = incident::reference(id);
            // Not traced to a vulnerability: the incident's own case on the product.
            assert_eq!(
                detail.case,
                Some(("Pump".into(), number.clone())),
                "{backend}"
            );
            assert!(
                outcome
                    .changes
                    .iter()
                    .any(|c| c == &format!("clock {kind} ({number}) opened, due {day}")),
                "{backend}: {:?}",
                outcome.changes
            );
            // The same clock is what `clock list` shows: the existing machinery holds it.
            let listed = aftercare_service::triage::case::clocks(
                &workspace,
                &aftercare_service::triage::case::ClockQuery::default(),
                friday(),
            )
            .await
            .unwrap();
            assert!(
                listed.iter().any(|c| c.listing.clock.kind == kind
                    && c.listing.clock.reference.as_deref() == Some(number.as_str())
                    && c.listing.vulnerability == number),
                "{backend}"
            );
            // The timeline has the classification and the clock.
            let kinds: Vec<&str> = detail.timeline.iter().map(|e| e.kind.as_str()).collect();
            let texts: Vec<&str> = detail.timeline.iter().map(|e| e.text.as_str()).collect();
            assert_eq!(
                kinds,
                ["opened", "classified", "clock", "clock", "clock"],
                "{backend}: {texts:?}"
            );
            assert_eq!(
                texts[3],
                format!("clock {kind} ({number}) opened, due {day}"),
                "{backend}"
            );
            assert_eq!(
                texts[4], "clock report_806 opened, due 2026-04-03",
                "{backend}"
            );
            assert!(
                detail.timeline[1]
                    .text
                    .contains("signed by Ada Admin (responsibility)"),
                "{backend}: {}",
                detail.timeline[1].text
            );
        }
    }
}

#[tokio::test]
async fn fda_803_classifications_open_the_30_day_or_the_five_work_day_clock() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let context = at(&context, friday());
        let admin = admin(&workspace).await;
        pump(&workspace, &context).await;
        let signs = admin_signs(Meaning::Responsibility);

        let death = open(&workspace, &context, &admin, "death")
            .await
            .incident
            .id;
        let request = ClassifyRequest {
            fda: Some("death".into()),
            rationale: RATIONALE.into(),
            product: Some("Pump".into()),
            vulnerability: Some("CVE-2026-0001".into()),
            ..ClassifyRequest::default()
        };
        let detail =
            incident::classify(&workspace, &context, &admin, death, &request, Some(&signs))
                .await
                .unwrap()
                .detail;
        // A death is a serious adverse event: the case's 806 clock opens beside it.
        assert_eq!(
            clocks(&detail),
            vec![
                clock(
                    "mdr_803",
                    "2026-03-20",
                    "2026-04-19",
                    "2026-04-20T03:59:59.999999Z"
                ),
                clock(
                    "report_806",
                    "2026-03-20",
                    "2026-04-03",
                    "2026-04-04T03:59:59.999999Z"
                ),
            ],
            "{backend}"
        );
        // Named: the clock runs on the case of (Pump, CVE-2026-0001).
        assert_eq!(
            detail.case,
            Some(("Pump".into(), "CVE-2026-0001".into())),
            "{backend}"
        );

        let remedial = open(&workspace, &context, &admin, "remedial")
            .await
            .incident
            .id;
        let request = ClassifyRequest {
            fda: Some("malfunction".into()),
            remedial_action: true,
            rationale: RATIONALE.into(),
            product: Some("Pump".into()),
            ..ClassifyRequest::default()
        };
        let detail = incident::classify(
            &workspace,
            &context,
            &admin,
            remedial,
            &request,
            Some(&signs),
        )
        .await
        .unwrap()
        .detail;
        assert_eq!(
            detail.incident.classification.as_deref(),
            Some("fda:malfunction+remedial_action")
        );
        assert_eq!(
            clocks(&detail),
            vec![clock(
                "mdr_803_5day",
                "2026-03-20",
                "2026-03-27",
                "2026-03-28T03:59:59.999999Z"
            )],
            "{backend}"
        );

        // Reportable in both jurisdictions: both clocks, on one case.
        let both = open(&workspace, &context, &admin, "both").await.incident.id;
        let request = ClassifyRequest {
            fda: Some("serious_injury".into()),
            eu: Some("serious_incident".into()),
            rationale: RATIONALE.into(),
            product: Some("Pump".into()),
            ..ClassifyRequest::default()
        };
        let detail = incident::classify(&workspace, &context, &admin, both, &request, Some(&signs))
            .await
            .unwrap()
            .detail;
        let kinds: Vec<String> = clocks(&detail).into_iter().map(|c| c.0).collect();
        assert_eq!(
            kinds,
            ["mdr_803", "report_806", "eu_mdr_art87"],
            "{backend}"
        );

        // Bad input names the field.
        let open_id = open(&workspace, &context, &admin, "bad").await.incident.id;
        let refused = |request: ClassifyRequest| {
            let workspace = &workspace;
            let context = &context;
            let admin = &admin;
            let signs = &signs;
            async move {
                incident::classify(workspace, context, admin, open_id, &request, Some(signs))
                    .await
                    .unwrap_err()
            }
        };
        let error = refused(ClassifyRequest {
            fda: Some("broken_arm".into()),
            rationale: RATIONALE.into(),
            product: Some("Pump".into()),
            ..ClassifyRequest::default()
        })
        .await;
        assert!(
            matches!(error, ServiceError::Rule { field: "fda", .. }),
            "{backend}: {error:?}"
        );
        let error = refused(ClassifyRequest {
            remedial_action: true,
            eu: Some("serious_incident".into()),
            rationale: RATIONALE.into(),
            product: Some("Pump".into()),
            ..ClassifyRequest::default()
        })
        .await;
        assert!(
            matches!(
                error,
                ServiceError::Rule {
                    field: "remedial_action",
                    ..
                }
            ),
            "{backend}: {error:?}"
        );
        let error = refused(ClassifyRequest {
            rationale: RATIONALE.into(),
            ..ClassifyRequest::default()
        })
        .await;
        assert!(
            matches!(
                error,
                ServiceError::Rule {
                    field: "classification",
                    ..
                }
            ),
            "{backend}: {error:?}"
        );
        // Reportable, but no product named or linked: the clocks would have no case.
        let error = refused(ClassifyRequest {
            fda: Some("death".into()),
            rationale: RATIONALE.into(),
            ..ClassifyRequest::default()
        })
        .await;
        assert!(
            matches!(
                error,
                ServiceError::InvalidInput {
                    field: "product",
                    ..
                }
            ),
            "{backend}: {error:?}"
        );
        // Unsigned: refused.
        let error = incident::classify(
            &workspace,
            &context,
            &admin,
            open_id,
            &eu("serious_incident"),
            None,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, ServiceError::SignatureRefused { .. }),
            "{backend}: {error:?}"
        );
        assert_eq!(
            incident::show(&workspace, &admin, open_id)
                .await
                .unwrap()
                .incident
                .state,
            "open",
            "{backend}: nothing changed"
        );
    }
}

#[tokio::test]
async fn not_reportable_needs_a_rationale_and_opens_no_clock() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let context = at(&context, friday());
        let admin = admin(&workspace).await;
        pump(&workspace, &context).await;
        let id = open(&workspace, &context, &admin, "port scan")
            .await
            .incident
            .id;
        let signs = admin_signs(Meaning::Responsibility);
        let error = incident::classify(
            &workspace,
            &context,
            &admin,
            id,
            &ClassifyRequest {
                not_reportable: true,
                rationale: "  ".into(),
                ..ClassifyRequest::default()
            },
            Some(&signs),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                error,
                ServiceError::Rule {
                    field: "rationale",
                    ..
                }
            ),
            "{backend}: {error:?}"
        );
        assert!(
            chain(&error).contains("rationale"),
            "{backend}: {}",
            chain(&error)
        );
        let error = incident::classify(
            &workspace,
            &context,
            &admin,
            id,
            &ClassifyRequest {
                not_reportable: true,
                fda: Some("death".into()),
                rationale: RATIONALE.into(),
                ..ClassifyRequest::default()
            },
            Some(&signs),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                error,
                ServiceError::InvalidInput {
                    field: "not_reportable",
                    ..
                }
            ),
            "{backend}: {error:?}"
        );

        let rationale = "Port scan from the hospital's own vulnerability scanner; no device function or data affected.";
        let outcome = incident::classify(
            &workspace,
            &context,
            &admin,
            id,
            &ClassifyRequest {
                not_reportable: true,
                rationale: rationale.into(),
                ..ClassifyRequest::default()
            },
            Some(&signs),
        )
        .await
        .unwrap();
        assert_eq!(
            outcome.detail.incident.classification.as_deref(),
            Some("not_reportable"),
            "{backend}"
        );
        assert_eq!(
            outcome.detail.incident.rationale.as_deref(),
            Some(rationale),
            "{backend}"
        );
        assert!(outcome.detail.clocks.is_empty(), "{backend}");
        assert!(outcome.changes.is_empty(), "{backend}");
        assert_eq!(outcome.detail.incident.case_id, None, "{backend}");
        let cases = aftercare_service::triage::case::cases(&workspace, None)
            .await
            .unwrap();
        assert!(cases.is_empty(), "{backend}: no case was opened");
    }
}

#[tokio::test]
async fn opening_from_a_signal_moves_it_to_incident_and_links_it() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let context = at(&context, friday());
        let admin = admin(&workspace).await;
        let open_signal = raise(&workspace, "security.auth_failure").await;
        let detail = incident::open(
            &workspace,
            &context,
            &admin,
            &OpenRequest {
                title: "Auth burst on the ward".into(),
                description: "20 failed logins in 5 minutes.".into(),
                signal: Some(open_signal),
                ..OpenRequest::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(detail.incident.source, "signal", "{backend}");
        assert_eq!(
            detail.incident.source_reference,
            Some(open_signal.to_string()),
            "{backend}"
        );
        assert_eq!(
            detail.incident.aware_on, "2026-03-20",
            "{backend}: today in the US zone by default"
        );
        assert_eq!(
            signal_state(&workspace, open_signal).await,
            "incident",
            "{backend}"
        );
        let links: Vec<(&str, i64)> = detail
            .links
            .iter()
            .map(|l| (l.kind.as_str(), l.target_id))
            .collect();
        assert_eq!(links, [("signal", open_signal)], "{backend}");
        let number = incident::reference(detail.incident.id);
        let row = signals::signal(workspace.raw_store().pool(), open_signal)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.reason.as_deref(),
            Some(format!("investigated in incident {number}").as_str())
        );

        // An acknowledged signal may still become an incident; a dismissed one may not.
        let acknowledged = raise(&workspace, "security.tamper").await;
        aftercare_service::fleet::acknowledge(&workspace, &context, &admin, acknowledged)
            .await
            .unwrap();
        let dismissed = raise(&workspace, "security.config_change").await;
        aftercare_service::fleet::dismiss(
            &workspace,
            &context,
            &admin,
            dismissed,
            "planned maintenance",
        )
        .await
        .unwrap();
        let from = |signal| OpenRequest {
            title: "from a signal".into(),
            description: "see the signal".into(),
            signal: Some(signal),
            ..OpenRequest::default()
        };
        incident::open(&workspace, &context, &admin, &from(acknowledged))
            .await
            .unwrap();
        assert_eq!(
            signal_state(&workspace, acknowledged).await,
            "incident",
            "{backend}"
        );
        let error = incident::open(&workspace, &context, &admin, &from(dismissed))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                ServiceError::InvalidInput {
                    field: "signal",
                    ..
                }
            ),
            "{backend}: {error:?}"
        );
        assert_eq!(
            signal_state(&workspace, dismissed).await,
            "dismissed",
            "{backend}"
        );
        let error = incident::open(&workspace, &context, &admin, &from(9_999))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                ServiceError::NotFound {
                    entity: "signal",
                    ..
                }
            ),
            "{backend}: {error:?}"
        );
        // Refused opens leave nothing behind: two incidents exist.
        assert_eq!(
            incident::list(&workspace, &admin, None, 100)
                .await
                .unwrap()
                .len(),
            2,
            "{backend}"
        );

        // Linking an open signal puts it under the investigation too.
        let later = raise(&workspace, "security.integrity_failure").await;
        let linked = incident::link(
            &workspace,
            &context,
            &admin,
            detail.incident.id,
            "signal",
            &later.to_string(),
        )
        .await
        .unwrap();
        assert_eq!(linked.links.len(), 2, "{backend}");
        assert_eq!(
            signal_state(&workspace, later).await,
            "incident",
            "{backend}"
        );
        let again = incident::link(
            &workspace,
            &context,
            &admin,
            detail.incident.id,
            "signal",
            &later.to_string(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(again, ServiceError::AlreadyExists { .. }),
            "{backend}: {again:?}"
        );
        let error = incident::link(
            &workspace,
            &context,
            &admin,
            detail.incident.id,
            "patient",
            "x",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, ServiceError::Rule { field: "kind", .. }),
            "{backend}: {error:?}"
        );

        // From a report, and never from both.
        let report = incident::open(
            &workspace,
            &context,
            &admin,
            &OpenRequest {
                title: "Complaint".into(),
                description: "The pump's screen froze.".into(),
                report: Some("CMP-2026-031".into()),
                ..OpenRequest::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (
                report.incident.source.as_str(),
                report.incident.source_reference.as_deref()
            ),
            ("report", Some("CMP-2026-031"))
        );
        let error = incident::open(
            &workspace,
            &context,
            &admin,
            &OpenRequest {
                title: "both".into(),
                description: "both".into(),
                report: Some("R-1".into()),
                signal: Some(later),
                ..OpenRequest::default()
            },
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                error,
                ServiceError::InvalidInput {
                    field: "source",
                    ..
                }
            ),
            "{backend}: {error:?}"
        );
        let error = incident::open(
            &workspace,
            &context,
            &admin,
            &OpenRequest {
                title: " ".into(),
                description: "x".into(),
                ..OpenRequest::default()
            },
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, ServiceError::InvalidInput { field: "title", .. }),
            "{backend}: {error:?}"
        );

        // Every step is audited: the opens, the signals' moves, the links.
        let actions: Vec<String> = sqlx::query(
            "SELECT action FROM audit_events WHERE action LIKE 'incident.%' OR action = 'signal.incident' ORDER BY seq",
        )
        .fetch_all(workspace.raw_store().pool())
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String, _>("action").unwrap())
        .collect();
        assert_eq!(
            actions,
            [
                "incident.open",
                "signal.incident",
                "incident.link",
                "incident.open",
                "signal.incident",
                "incident.link",
                "incident.link",
                "signal.incident",
                "incident.open",
            ],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn closing_needs_root_cause_capa_and_lessons_and_the_annual_review_lists_them() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let context = at(&context, friday());
        let admin = admin(&workspace).await;
        pump(&workspace, &context).await;
        let signs = admin_signs(Meaning::Responsibility);
        let id = open(&workspace, &context, &admin, "pump reboot")
            .await
            .incident
            .id;
        let close = CloseRequest {
            root_cause: "The login service leaked file handles under an authentication burst."
                .into(),
            corrective_actions: vec![
                "CAPA-2026-014".into(),
                " CAPA-2026-015 ".into(),
                "CAPA-2026-014".into(),
            ],
            lessons_learned: "Rate-limit authentication on the device, not only at the gateway."
                .into(),
        };
        // Not classified yet: the reportability decision comes first.
        let error = incident::close(&workspace, &context, &admin, id, &close)
            .await
            .unwrap_err();
        assert!(
            matches!(error, ServiceError::Rule { field: "state", .. }),
            "{backend}: {error:?}"
        );

        incident::classify(
            &workspace,
            &context,
            &admin,
            id,
            &eu("serious_incident"),
            Some(&signs),
        )
        .await
        .unwrap();
        for (field, request) in [
            (
                "root_cause",
                CloseRequest {
                    root_cause: " ".into(),
                    ..close.clone()
                },
            ),
            (
                "corrective_actions",
                CloseRequest {
                    corrective_actions: vec![],
                    ..close.clone()
                },
            ),
            (
                "corrective_actions",
                CloseRequest {
                    corrective_actions: vec![" ".into()],
                    ..close.clone()
                },
            ),
            (
                "lessons_learned",
                CloseRequest {
                    lessons_learned: String::new(),
                    ..close.clone()
                },
            ),
        ] {
            let error = incident::close(&workspace, &context, &admin, id, &request)
                .await
                .unwrap_err();
            assert!(
                matches!(&error, ServiceError::InvalidInput { field: f, .. } if *f == field),
                "{backend} {field}: {error:?}"
            );
        }
        // The EU clock still runs: the report comes before the closing.
        let error = incident::close(&workspace, &context, &admin, id, &close)
            .await
            .unwrap_err();
        assert!(
            chain(&error).contains("eu_mdr_art87 due 2026-04-04"),
            "{backend}: {}",
            chain(&error)
        );
        // Submit the vigilance report through the clock machinery, with the incident's number.
        let number = incident::reference(id);
        aftercare_service::triage::case::record_event(
            &workspace,
            &context,
            &admin,
            "Pump",
            &number,
            &aftercare_service::triage::case::EventInput {
                kind: "eu_mdr_report_submitted".into(),
                reference: Some(number.clone()),
                reason: Some("MIR form sent to BfArM".into()),
                ..Default::default()
            },
            Some(&admin_signs(Meaning::Responsibility)),
        )
        .await
        .unwrap();
        let closed = incident::close(&workspace, &context, &admin, id, &close)
            .await
            .unwrap();
        assert_eq!(closed.incident.state, "closed", "{backend}");
        assert_eq!(closed.clocks[0].state, "met", "{backend}");
        assert_eq!(
            incident::corrective_actions(&closed.incident),
            ["CAPA-2026-014", "CAPA-2026-015"],
            "{backend}"
        );
        assert_eq!(closed.timeline.last().unwrap().kind, "closed", "{backend}");
        // A closed incident is a record: no step changes it.
        let error = incident::link(&workspace, &context, &admin, id, "rollout", "nope")
            .await
            .unwrap_err();
        assert!(
            matches!(error, ServiceError::NotFound { .. }),
            "{backend}: {error:?}"
        );
        let error = incident::classify(
            &workspace,
            &context,
            &admin,
            id,
            &eu("serious_incident"),
            Some(&signs),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, ServiceError::Rule { field: "state", .. }),
            "{backend}: {error:?}"
        );
        let error = incident::close(&workspace, &context, &admin, id, &close)
            .await
            .unwrap_err();
        assert!(
            matches!(error, ServiceError::Rule { field: "state", .. }),
            "{backend}: {error:?}"
        );
        // Nor can the database: never deleted, never changed once closed.
        let pool = workspace.raw_store().pool();
        assert!(
            sqlx::query("DELETE FROM incidents")
                .execute(pool)
                .await
                .is_err(),
            "{backend}"
        );
        assert!(
            sqlx::query("UPDATE incidents SET title = 'x'")
                .execute(pool)
                .await
                .is_err(),
            "{backend}"
        );
        assert!(
            sqlx::query("DELETE FROM incident_entries")
                .execute(pool)
                .await
                .is_err(),
            "{backend}"
        );

        // The annual review's list: the incidents closed in the period, with their lessons.
        let year = |y: i16| {
            Date::constant(y, 1, 1)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp()
        };
        let lessons = incident::lessons(&workspace, &admin, year(2026), year(2027))
            .await
            .unwrap();
        assert_eq!(lessons.len(), 1, "{backend}");
        assert_eq!(
            lessons[0].lessons_learned.as_deref(),
            Some(close.lessons_learned.as_str())
        );
        assert!(
            incident::lessons(&workspace, &admin, year(2025), year(2026))
                .await
                .unwrap()
                .is_empty()
        );

        let actions: Vec<String> = sqlx::query(
            "SELECT action FROM audit_events WHERE entity_type = 'incident' ORDER BY seq",
        )
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String, _>("action").unwrap())
        .collect();
        assert_eq!(
            actions,
            [
                "incident.open",
                "signature.sign",
                "incident.classify",
                "incident.close"
            ],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn reading_needs_finding_read_and_changing_needs_signal_triage() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let context = at(&context, friday());
        let admin = admin(&workspace).await;
        pump(&workspace, &context).await;
        let id = open(&workspace, &context, &admin, "pump reboot")
            .await
            .incident
            .id;
        let viewer = person(&workspace, &context, "vera", "Vera Viewer", &[Role::Viewer]).await;
        let viewer = Principal::local(&viewer).unwrap();
        // A customer (hospital) principal as the server would resolve it.
        let customer = Principal {
            roles: vec![Role::Customer],
            organisation: Some("Northside".into()),
            ..viewer.clone()
        };
        let engineer = person(
            &workspace,
            &context,
            "rea",
            "Rea Release",
            &[Role::ReleaseEngineer],
        )
        .await;
        let engineer = Principal::local(&engineer).unwrap();

        // A viewer reads, a customer does not.
        assert_eq!(
            incident::list(&workspace, &viewer, None, 10)
                .await
                .unwrap()
                .len(),
            1,
            "{backend}"
        );
        incident::show(&workspace, &viewer, id).await.unwrap();
        assert!(
            matches!(
                incident::list(&workspace, &customer, None, 10).await,
                Err(ServiceError::Forbidden { .. })
            ),
            "{backend}"
        );
        assert!(
            matches!(
                incident::show(&workspace, &customer, id).await,
                Err(ServiceError::Forbidden { .. })
            ),
            "{backend}"
        );
        // Neither a viewer nor a release engineer (who may sign, but not triage) changes one.
        for principal in [&viewer, &engineer] {
            let request = OpenRequest {
                title: "x".into(),
                description: "x".into(),
                ..OpenRequest::default()
            };
            assert!(
                matches!(
                    incident::open(&workspace, &context, principal, &request).await,
                    Err(ServiceError::Forbidden { .. })
                ),
                "{backend}"
            );
            assert!(
                matches!(
                    incident::link(&workspace, &context, principal, id, "rollout", "x").await,
                    Err(ServiceError::Forbidden { .. })
                ),
                "{backend}"
            );
            assert!(
                matches!(
                    incident::classify(
                        &workspace,
                        &context,
                        principal,
                        id,
                        &eu("serious_incident"),
                        Some(&admin_signs(Meaning::Responsibility))
                    )
                    .await,
                    Err(ServiceError::Forbidden { .. })
                ),
                "{backend}"
            );
            assert!(
                matches!(
                    incident::close(
                        &workspace,
                        &context,
                        principal,
                        id,
                        &CloseRequest::default()
                    )
                    .await,
                    Err(ServiceError::Forbidden { .. })
                ),
                "{backend}"
            );
        }
        // A security analyst triages, and signs the classification with their own password.
        let analyst = person(
            &workspace,
            &context,
            "sam",
            "Sam Analyst",
            &[Role::SecurityAnalyst],
        )
        .await;
        let analyst = Principal::local(&analyst).unwrap();
        let wrong = aftercare_service::access::signature::SignRequest {
            login: Some("sam".into()),
            password: aftercare_service::access::password::Password::new("not sam's"),
            meaning: Meaning::Responsibility,
            reason: None,
        };
        let error = incident::classify(
            &workspace,
            &context,
            &analyst,
            id,
            &eu("serious_incident"),
            Some(&wrong),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, ServiceError::SignatureRefused { .. }),
            "{backend}: {error:?}"
        );
        let right = aftercare_service::access::signature::SignRequest {
            password: aftercare_service::access::password::Password::new("sam-password-1"),
            ..wrong
        };
        let outcome = incident::classify(
            &workspace,
            &context,
            &analyst,
            id,
            &eu("serious_incident"),
            Some(&right),
        )
        .await
        .unwrap();
        assert!(
            outcome.detail.timeline[1]
                .text
                .contains("signed by Sam Analyst"),
            "{backend}"
        );
        assert_eq!(incident::parse_reference("INC-7").unwrap(), 7);
        assert!(matches!(
            incident::parse_reference("INC-x"),
            Err(ServiceError::InvalidInput {
                field: "incident",
                ..
            })
        ));
    }
}

#[tokio::test]
async fn the_clocks_run_on_the_product_of_the_linked_devices_and_one_product_must_be_named() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let context = at(&context, friday());
        let admin = admin(&workspace).await;
        pump(&workspace, &context).await;
        inventory::add_product(&workspace, &context, "Gateway", None)
            .await
            .unwrap();
        for (controller_id, product) in [("pump-1", "Pump"), ("gw-1", "Gateway")] {
            aftercare_service::device::add(
                &workspace,
                &context,
                &admin,
                &aftercare_service::device::NewDeviceRequest {
                    controller_id: controller_id.into(),
                    product: product.into(),
                    serial: format!("SN-{controller_id}"),
                    ..aftercare_service::device::NewDeviceRequest::default()
                },
            )
            .await
            .unwrap();
        }
        let id = open(&workspace, &context, &admin, "ward 3")
            .await
            .incident
            .id;
        let linked = incident::link(&workspace, &context, &admin, id, "device", "pump-1")
            .await
            .unwrap();
        assert_eq!(linked.links[0].label, "pump-1", "{backend}");
        let error = incident::link(&workspace, &context, &admin, id, "device", "no-such")
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                ServiceError::NotFound {
                    entity: "device",
                    ..
                }
            ),
            "{backend}: {error:?}"
        );
        let unnamed = ClassifyRequest {
            product: None,
            ..eu("serious_incident")
        };
        let signs = admin_signs(Meaning::Responsibility);
        // One product among the links: its case holds the clock.
        let outcome = incident::classify(&workspace, &context, &admin, id, &unnamed, Some(&signs))
            .await
            .unwrap();
        assert_eq!(
            outcome.detail.case,
            Some(("Pump".into(), incident::reference(id))),
            "{backend}"
        );

        // Two products among the links: the classification asks which.
        let other = open(&workspace, &context, &admin, "both wards")
            .await
            .incident
            .id;
        for device in ["pump-1", "gw-1"] {
            incident::link(&workspace, &context, &admin, other, "device", device)
                .await
                .unwrap();
        }
        let error = incident::classify(&workspace, &context, &admin, other, &unnamed, Some(&signs))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ServiceError::InvalidInput { field: "product", message } if message.contains("Gateway, Pump")),
            "{backend}: {error:?}"
        );
        let named = ClassifyRequest {
            product: Some("Gateway".into()),
            ..unnamed
        };
        let outcome = incident::classify(&workspace, &context, &admin, other, &named, Some(&signs))
            .await
            .unwrap();
        assert_eq!(outcome.detail.case.unwrap().0, "Gateway", "{backend}");
    }
}
