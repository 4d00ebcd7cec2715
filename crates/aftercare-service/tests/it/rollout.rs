//! Rollouts through storage, on each backend, over the device side of DDI as the service
//! offers it (the HTTP shell is tested in the server's and the CLI's suites, with the real
//! SWUpdate client): the approval gate at creation; a three-wave rollout whose canary finishes
//! and starts the next wave by itself; a closed action answering "gone"; a wave above its error
//! threshold pausing the rollout with the counts; a cancellation offered to the device and
//! acknowledged; SWUpdate's "Skipped Update." recorded as skipped, not installed; the second
//! rollout that offers the patch to every remaining device records the distribution and meets
//! the remediation clock; a revocation cancels the rollout and the offer disappears; a policy
//! whose `[patch.fix_distributed]` asks for 75 % installed records the distribution only once
//! that share is reached, after the rollout finished.
//!
//! The patch is the one `patch.rs` builds by hand on the RustSec records of the shared data:
//! Pump 2.2.1 moves hyper from 0.14.2 past the fix of CVE-2021-21299 (0.14.3), approved on
//! day 30 by a reviewer after the policy's evidence.

use aftercare_model::Role;
use aftercare_risk::{ClockKind, ClockState};
use aftercare_service::access::auth::Principal;
use aftercare_service::access::signature::Meaning;
use aftercare_service::device::{self, DeviceToken, NewDeviceRequest};
use aftercare_service::patch::plan::{self, NewPlan, PlanUpdate};
use aftercare_service::patch::release::{self, NewEvidence};
use aftercare_service::rollout::ddi::{self, FeedbackBody, PollLink};
use aftercare_service::rollout::{self, NewRollout};
use aftercare_service::triage::assessment::{self, AssessmentInput};
use aftercare_service::triage::case;
use aftercare_service::{Context, ServiceError, Workspace, flow};
use aftercare_store::device::DeviceRow;

use crate::intel::admin;
use crate::patch::{VULN, at, day, evidence, hyper_findings, sbom, session, setup, signs};
use crate::{chain, person, workspaces};

/// Sets up the approved patch Pump 2.2.1 (day 30) as `patch.rs` does, without its detours.
pub(crate) async fn approved_patch(workspace: &Workspace, context: &Context) -> Principal {
    setup(workspace, context).await;
    let admin = admin(workspace).await;
    person(
        workspace,
        context,
        "rita",
        "Rita Reviewer",
        &[Role::Reviewer],
    )
    .await;
    person(
        workspace,
        context,
        "tess",
        "Tess Tester",
        &[Role::ReleaseEngineer],
    )
    .await;
    let findings = hyper_findings(workspace, "Pump").await;
    assessment::assess(
        workspace,
        &at(context, 3),
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
                "A request smuggled past the gateway could reach the infusion controller.".into(),
            ),
            scope: Some("product".into()),
            ..AssessmentInput::default()
        },
        Some(&crate::admin_signs(Meaning::Authorship)),
        day(3),
    )
    .await
    .unwrap();
    let created = plan::create(
        workspace,
        &at(context, 5),
        &admin,
        &NewPlan {
            product: "Pump".into(),
            vulnerabilities: vec![VULN.into()],
            target_version: "2.2.1".into(),
            cycle: "out_of_cycle".into(),
            owner: "tess".into(),
            ..NewPlan::default()
        },
    )
    .await
    .unwrap();
    plan::update(
        workspace,
        &at(context, 6),
        &admin,
        created.row.id,
        &PlanUpdate {
            start: true,
            ..PlanUpdate::default()
        },
    )
    .await
    .unwrap();
    flow::import_patch_release(
        workspace,
        &at(context, 20),
        &admin,
        "Pump",
        "2.2.1",
        Some(&sbom("pump", "2.2.1", "0.14.28")),
        &[created.row.id],
    )
    .await
    .unwrap();
    let (tess, tess_at_22) = session(workspace, "tess", 22).await;
    for kind in [
        "regression",
        "impact_assessment",
        "verification",
        "validation",
    ] {
        let item: NewEvidence = evidence(kind, "pass", &["tess"], 22);
        release::add_evidence(workspace, &tess_at_22, &tess, "Pump", "2.2.1", &item)
            .await
            .unwrap();
    }
    let (rita, rita_at_30) = session(workspace, "rita", 30).await;
    release::approve(
        workspace,
        &rita_at_30,
        &rita,
        "Pump",
        "2.2.1",
        &signs("rita", Meaning::Approval),
    )
    .await
    .unwrap();
    admin
}

/// Registers a SWUpdate device on a Pump release; answers its stored row (as the DDI routes
/// authenticate it).
async fn pump(
    workspace: &Workspace,
    context: &Context,
    admin: &Principal,
    id: &str,
    release: &str,
) -> DeviceRow {
    let registered = device::add(
        workspace,
        context,
        admin,
        &NewDeviceRequest {
            controller_id: id.into(),
            product: "Pump".into(),
            serial: format!("SN-{id}"),
            release: Some(release.into()),
            client: Some("swupdate".into()),
            ..NewDeviceRequest::default()
        },
    )
    .await
    .unwrap();
    device::authenticate(workspace, id, &DeviceToken::new(registered.token.expose()))
        .await
        .unwrap()
}

fn closed(finished: &str, detail: &str) -> FeedbackBody {
    FeedbackBody {
        execution: "closed".into(),
        finished: finished.into(),
        details: vec![detail.into()],
        code: None,
    }
}

fn proceeding(detail: &str) -> FeedbackBody {
    FeedbackBody {
        execution: "proceeding".into(),
        finished: "none".into(),
        details: vec![detail.into()],
        code: None,
    }
}

/// The action the device's poll links for deployment, if any.
async fn offered(workspace: &Workspace, context: &Context, device: &DeviceRow) -> Option<i64> {
    match ddi::poll(workspace, context, device).await.unwrap().link {
        PollLink::Deployment { action_id, .. } => Some(action_id),
        _ => None,
    }
}

/// Installs as SWUpdate does: fetch, progress, "All Chunks Installed.", then after the reboot
/// `closed/success` "Update Installed.".
async fn install(workspace: &Workspace, context: &Context, device: &DeviceRow, ok: bool) {
    let action = offered(workspace, context, device)
        .await
        .unwrap_or_else(|| panic!("{} is offered the patch", device.controller_id));
    let deployment = ddi::deployment(workspace, context, device, action)
        .await
        .unwrap();
    assert_eq!(
        (deployment.product.as_str(), deployment.version.as_str()),
        ("Pump", "2.2.1")
    );
    ddi::feedback(
        workspace,
        context,
        device,
        action,
        false,
        &proceeding("Installing Update Chunk Artifacts."),
    )
    .await
    .unwrap();
    let last = if ok {
        closed("success", "Update Installed.")
    } else {
        closed(
            "failure",
            "ERROR : Image invalid or corrupted. Not installing ...",
        )
    };
    ddi::feedback(workspace, context, device, action, false, &last)
        .await
        .unwrap();
    // The rollout moves on at the server's tick.
    flow::rollout_tick(workspace, context).await.unwrap();
}

fn counts(view: &rollout::RolloutView, wave: usize, state: &str) -> i64 {
    view.counts[wave].get(state).copied().unwrap_or(0)
}

#[tokio::test]
async fn a_rollout_runs_wave_by_wave_pauses_on_errors_and_its_offer_meets_the_clock() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = approved_patch(&workspace, &context).await;
        let day31 = at(&context, 31);
        let mut pumps = Vec::new();
        for n in 0..10 {
            pumps.push(pump(&workspace, &day31, &admin, &format!("pump-{n:02}"), "2.0.0").await);
        }
        pumps.push(pump(&workspace, &day31, &admin, "pump-10", "2.1.0").await);
        // One already runs the patch: in sync, not targeted.
        pump(&workspace, &day31, &admin, "pump-11", "2.2.1").await;

        // The gate: a release that is not an approved patch is no rollout's subject.
        let mut new = NewRollout {
            name: "hyper-fix".into(),
            product: "Pump".into(),
            version: "2.1.0".into(),
            filter: "product=Pump".into(),
            waves: "10%,50%,100%".into(),
            success: "100%".into(),
            error: "20%".into(),
            update_type: "forced".into(),
            ..NewRollout::default()
        };
        let refused = rollout::create(&workspace, &day31, &admin, &new)
            .await
            .unwrap_err();
        assert!(
            chain(&refused).contains("2.1.0"),
            "{backend}: {}",
            chain(&refused)
        );
        // A downgrade is refused unless it is a rollback with a rationale.
        new.version = "2.0.0".into();
        let refused = rollout::create(&workspace, &day31, &admin, &new)
            .await
            .unwrap_err();
        assert!(
            chain(&refused).contains("downgrade"),
            "{backend}: {}",
            chain(&refused)
        );
        // A person without rollout.manage cannot create one.
        person(&workspace, &context, "vera", "Vera Viewer", &[Role::Viewer]).await;
        let (vera, _) = session(&workspace, "vera", 31).await;
        new.version = "2.2.1".into();
        assert!(matches!(
            rollout::create(&workspace, &day31, &vera, &new).await,
            Err(ServiceError::Forbidden { .. })
        ));

        let created = rollout::create(&workspace, &day31, &admin, &new)
            .await
            .unwrap();
        assert_eq!(created.row.state, "created", "{backend}");
        // Nothing is offered before it starts.
        assert_eq!(offered(&workspace, &day31, &pumps[0]).await, None);

        // 11 devices need it: waves of ceil(10 %) = 2, then up to ceil(50 %) = 6, then all.
        let started = flow::start_rollout(&workspace, &day31, &admin, "hyper-fix")
            .await
            .unwrap();
        assert!(!started.offered_all, "{backend}: two waves wait");
        let view = rollout::show(&workspace, &admin, "hyper-fix")
            .await
            .unwrap();
        let sizes: Vec<i64> = view.waves.iter().map(|w| w.devices).collect();
        assert_eq!(sizes, vec![2, 4, 5], "{backend}");
        assert_eq!(view.row.state, "running");
        // By controller id: pump-00 and pump-01 are the canary; pump-02 is not offered yet.
        assert!(offered(&workspace, &day31, &pumps[0]).await.is_some());
        assert!(offered(&workspace, &day31, &pumps[1]).await.is_some());
        assert_eq!(
            offered(&workspace, &day31, &pumps[2]).await,
            None,
            "{backend}"
        );

        // The canary installs; the second wave starts by itself.
        install(&workspace, &day31, &pumps[0], true).await;
        let view = rollout::show(&workspace, &admin, "hyper-fix")
            .await
            .unwrap();
        assert_eq!(view.row.wave, 0, "{backend}: one of two is not 100 %");
        install(&workspace, &day31, &pumps[1], true).await;
        let view = rollout::show(&workspace, &admin, "hyper-fix")
            .await
            .unwrap();
        assert_eq!(
            (view.row.wave, view.row.state.as_str()),
            (1, "running"),
            "{backend}"
        );
        assert_eq!(counts(&view, 0, "finished"), 2);
        let installed = device::show(&workspace, &admin, "pump-00")
            .await
            .unwrap()
            .row;
        assert_eq!(
            (
                installed.installed_version.as_deref(),
                installed.installed_source.as_deref(),
                installed.state.as_str()
            ),
            (Some("2.2.1"), Some("action"), "in_sync"),
            "{backend}"
        );
        // Feedback on the closed action is gone (410 on the wire).
        let history = rollout::history(&workspace, &admin, "pump-00")
            .await
            .unwrap();
        let first = history[0].0.id;
        assert_eq!(history[0].2.len(), 2, "{backend}: both status entries kept");
        let gone = ddi::feedback(
            &workspace,
            &day31,
            &pumps[0],
            first,
            false,
            &proceeding("late"),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(gone, ServiceError::Gone { .. }),
            "{backend}: {gone}"
        );
        // Another device's action is unknown to this one.
        let foreign = ddi::deployment(&workspace, &day31, &pumps[5], first)
            .await
            .unwrap_err();
        assert!(
            matches!(foreign, ServiceError::NotFound { .. }),
            "{backend}"
        );

        // Wave 2 (pump-02 … pump-05): SWUpdate skips one (outside its window: nothing
        // installed), one fails: 1 of 4 = 25 % > 20 %: the rollout pauses by itself.
        install(&workspace, &day31, &pumps[2], true).await;
        let skipped = offered(&workspace, &day31, &pumps[3]).await.unwrap();
        ddi::feedback(
            &workspace,
            &day31,
            &pumps[3],
            skipped,
            false,
            &closed("success", "Skipped Update."),
        )
        .await
        .unwrap();
        let after_skip = device::show(&workspace, &admin, "pump-03")
            .await
            .unwrap()
            .row;
        assert_eq!(
            after_skip.installed_version.as_deref(),
            Some("2.0.0"),
            "{backend}: a skipped update installs nothing"
        );
        install(&workspace, &day31, &pumps[4], false).await;
        let view = rollout::show(&workspace, &admin, "hyper-fix")
            .await
            .unwrap();
        assert_eq!(view.row.state, "paused", "{backend}");
        let reason = view.row.pause_reason.clone().unwrap_or_default();
        assert!(reason.contains("wave 2"), "{backend}: {reason}");
        assert_eq!(
            (
                counts(&view, 1, "finished"),
                counts(&view, 1, "error"),
                counts(&view, 1, "skipped")
            ),
            (1, 1, 1),
            "{backend}"
        );
        // Paused: nothing new is assigned, not even to the skipped device.
        rollout::tick(&workspace, &day31).await.unwrap();
        assert_eq!(
            offered(&workspace, &day31, &pumps[3]).await,
            None,
            "{backend}"
        );
        // pump-05 was offered before the pause: its offer stands.
        let open = offered(&workspace, &day31, &pumps[5])
            .await
            .expect("still offered");

        // Canceled: the open offer becomes a cancelAction the device acknowledges.
        rollout::cancel(
            &workspace,
            &day31,
            &admin,
            "hyper-fix",
            "regression in the field",
        )
        .await
        .unwrap();
        let poll = ddi::poll(&workspace, &day31, &pumps[5]).await.unwrap();
        assert_eq!(poll.link, PollLink::Cancel { action_id: open }, "{backend}");
        assert_eq!(
            ddi::cancel_action(&workspace, &pumps[5], open)
                .await
                .unwrap(),
            open
        );
        ddi::feedback(
            &workspace,
            &day31,
            &pumps[5],
            open,
            true,
            &closed("success", "cancellation acknowledged."),
        )
        .await
        .unwrap();
        assert_eq!(
            ddi::poll(&workspace, &day31, &pumps[5]).await.unwrap().link,
            PollLink::Nothing
        );
        let history = rollout::history(&workspace, &admin, "pump-05")
            .await
            .unwrap();
        assert_eq!(history[0].0.state, "canceled", "{backend}");

        // The remediation clock is not met by a rollout that offered the patch to some.
        let (view, _) = case::case(&workspace, "Pump", VULN).await.unwrap();
        let clock = view.case.clock(ClockKind::Remediation, None).unwrap();
        assert_eq!(clock.state(), ClockState::Open, "{backend}");

        // Day 32: a second rollout offers the patch to every device that still needs it in
        // one wave: the distribution is recorded, and the clock is met that day.
        let day32 = at(&context, 32);
        let second = NewRollout {
            name: "hyper-fix-2".into(),
            waves: "100%".into(),
            success: "90%".into(),
            ..new.clone()
        };
        rollout::create(&workspace, &day32, &admin, &second)
            .await
            .unwrap();
        let moved = flow::start_rollout(&workspace, &day32, &admin, "hyper-fix-2")
            .await
            .unwrap();
        assert!(moved.offered_all, "{backend}");
        let view = rollout::show(&workspace, &admin, "hyper-fix-2")
            .await
            .unwrap();
        // 12 pumps, 3 on 2.2.1 (pump-11, and two canaries, one of wave 2): 8 need it.
        assert_eq!(view.waves[0].devices, 8, "{backend}");
        assert!(view.row.distribution_id.is_some(), "{backend}");
        let state = release::state(&workspace, "Pump", "2.2.1").await.unwrap();
        assert_eq!(state.distributions.len(), 1, "{backend}");
        assert_eq!(state.distributions[0].channel, "ota");
        let (view, _) = case::case(&workspace, "Pump", VULN).await.unwrap();
        let clock = view.case.clock(ClockKind::Remediation, None).unwrap();
        assert_eq!(clock.state(), ClockState::Met, "{backend}");

        // The skipped device gets a new action in the new rollout (its old one is closed).
        assert!(
            offered(&workspace, &day32, &pumps[3]).await.is_some(),
            "{backend}"
        );

        // Revoked: the rollout is canceled on the next tick and its offer disappears.
        let (rita, rita_at_33) = session(&workspace, "rita", 33).await;
        release::decide_against(
            &workspace,
            &rita_at_33,
            &rita,
            "Pump",
            "2.2.1",
            "the pump's watchdog resets under load with 2.2.1",
            true,
        )
        .await
        .unwrap();
        let deployment = ddi::deployment(
            &workspace,
            &rita_at_33,
            &pumps[6],
            offered(&workspace, &rita_at_33, &pumps[6]).await.unwrap(),
        )
        .await;
        assert!(
            matches!(deployment, Err(ServiceError::NotFound { .. })),
            "{backend}: a revoked patch is not served"
        );
        rollout::tick(&workspace, &rita_at_33).await.unwrap();
        let view = rollout::show(&workspace, &admin, "hyper-fix-2")
            .await
            .unwrap();
        assert_eq!(view.row.state, "canceled", "{backend}");
        assert!(
            view.row
                .pause_reason
                .unwrap_or_default()
                .contains("revoked"),
            "{backend}"
        );
        let poll = ddi::poll(&workspace, &rita_at_33, &pumps[6]).await.unwrap();
        assert!(
            matches!(poll.link, PollLink::Cancel { .. }),
            "{backend}: {poll:?}"
        );
        // Nothing can be started again for it.
        let refused = rollout::create(
            &workspace,
            &rita_at_33,
            &admin,
            &NewRollout {
                name: "hyper-fix-3".into(),
                ..new.clone()
            },
        )
        .await
        .unwrap_err();
        assert!(
            chain(&refused).contains("revoked"),
            "{backend}: {}",
            chain(&refused)
        );
    }
}

#[tokio::test]
async fn a_hold_point_waits_for_a_signed_go_or_no_go() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = approved_patch(&workspace, &context).await;
        let day31 = at(&context, 31);
        let mut pumps = Vec::new();
        for n in 0..3 {
            pumps.push(pump(&workspace, &day31, &admin, &format!("hold-{n}"), "2.0.0").await);
        }
        let new = NewRollout {
            name: "held".into(),
            product: "Pump".into(),
            version: "2.2.1".into(),
            filter: "product=Pump".into(),
            waves: "1,all".into(),
            success: "100%".into(),
            error: "0%".into(),
            update_type: "forced".into(),
            holds_after: vec![1],
            ..NewRollout::default()
        };
        rollout::create(&workspace, &day31, &admin, &new)
            .await
            .unwrap();
        flow::start_rollout(&workspace, &day31, &admin, "held")
            .await
            .unwrap();
        install(&workspace, &day31, &pumps[0], true).await;
        let view = rollout::show(&workspace, &admin, "held").await.unwrap();
        assert_eq!(view.row.state, "awaiting_decision", "{backend}");
        assert_eq!(
            offered(&workspace, &day31, &pumps[1]).await,
            None,
            "{backend}: held"
        );
        // Neither resume nor a viewer moves it; a wrong password is refused.
        assert!(
            flow::resume_rollout(&workspace, &day31, &admin, "held")
                .await
                .is_err()
        );
        person(&workspace, &context, "vera", "Vera Viewer", &[Role::Viewer]).await;
        let (vera, _) = session(&workspace, "vera", 31).await;
        let refused = rollout::decide(
            &workspace,
            &day31,
            &vera,
            "held",
            true,
            &signs("vera", Meaning::Approval),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(refused, ServiceError::Forbidden { .. }),
            "{backend}: {refused}"
        );
        let (rita, rita_at_31) = session(&workspace, "rita", 31).await;
        let mut wrong = signs("rita", Meaning::Approval);
        wrong.password = aftercare_service::access::password::Password::new("not-her-password");
        assert!(matches!(
            rollout::decide(&workspace, &rita_at_31, &rita, "held", true, &wrong).await,
            Err(ServiceError::SignatureRefused { .. })
        ));
        // Go, signed by the reviewer: the next wave starts; the decision is kept with the wave.
        let moved = flow::decide_rollout(
            &workspace,
            &rita_at_31,
            &rita,
            "held",
            true,
            &signs("rita", Meaning::Approval),
        )
        .await
        .unwrap();
        assert_eq!(
            (moved.rollout.state.as_str(), moved.rollout.wave),
            ("running", 1),
            "{backend}"
        );
        assert!(moved.offered_all, "{backend}: every device offered");
        let view = rollout::show(&workspace, &admin, "held").await.unwrap();
        assert!(
            view.row.distribution_id.is_some(),
            "{backend}: the distribution recorded"
        );
        assert_eq!(view.waves[0].decision.as_deref(), Some("go"));
        assert_eq!(view.waves[0].decided_by.as_deref(), Some("rita"));
        assert!(view.waves[0].signature_id.is_some());
        assert!(
            offered(&workspace, &day31, &pumps[1]).await.is_some(),
            "{backend}"
        );
        // A second decision has no hold point to take.
        assert!(
            rollout::decide(
                &workspace,
                &rita_at_31,
                &rita,
                "held",
                false,
                &signs("rita", Meaning::Approval)
            )
            .await
            .is_err()
        );
    }
}

#[tokio::test]
async fn a_timeforced_offer_is_soft_until_its_instant_then_forced() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = approved_patch(&workspace, &context).await;
        let day31 = at(&context, 31);
        let device = pump(&workspace, &day31, &admin, "tf-0", "2.0.0").await;
        let mut new = NewRollout {
            name: "tf".into(),
            product: "Pump".into(),
            version: "2.2.1".into(),
            filter: "product=Pump".into(),
            waves: "100%".into(),
            success: "100%".into(),
            error: "0%".into(),
            update_type: "timeforced".into(),
            ..NewRollout::default()
        };
        let refused = rollout::create(&workspace, &day31, &admin, &new)
            .await
            .unwrap_err();
        assert!(
            chain(&refused).contains("forced_at"),
            "{backend}: {}",
            chain(&refused)
        );
        new.forced_at = Some(day(40).to_string());
        let forced = NewRollout {
            update_type: "forced".into(),
            ..new.clone()
        };
        assert!(
            rollout::create(&workspace, &day31, &admin, &forced)
                .await
                .is_err()
        );
        rollout::create(&workspace, &day31, &admin, &new)
            .await
            .unwrap();
        flow::start_rollout(&workspace, &day31, &admin, "tf")
            .await
            .unwrap();
        let link = |at: &Context| {
            let (workspace, device) = (&workspace, &device);
            let at = at.clone();
            async move { ddi::poll(workspace, &at, device).await.unwrap().link }
        };
        let PollLink::Deployment {
            action_id,
            hash: soft_hash,
        } = link(&day31).await
        else {
            panic!("{backend}: offered");
        };
        let soft = ddi::deployment(&workspace, &day31, &device, action_id)
            .await
            .unwrap();
        assert_eq!(
            (soft.download.as_str(), soft.update.as_str()),
            ("attempt", "attempt"),
            "{backend}: soft before day 40"
        );
        // Fetched, the offer stays linked; its link still says soft until day 40.
        let PollLink::Deployment {
            hash: fetched_hash, ..
        } = link(&day31).await
        else {
            panic!("{backend}: still offered");
        };
        let day41 = at(&context, 41);
        let PollLink::Deployment {
            hash: forced_hash, ..
        } = link(&day41).await
        else {
            panic!("{backend}: still offered");
        };
        assert_ne!(
            soft_hash, forced_hash,
            "{backend}: the link changes when the offer does"
        );
        assert_ne!(fetched_hash, forced_hash, "{backend}: also once fetched");
        let hard = ddi::deployment(&workspace, &day41, &device, action_id)
            .await
            .unwrap();
        assert_eq!(
            (hard.download.as_str(), hard.update.as_str()),
            ("forced", "forced"),
            "{backend}: forced from day 40"
        );
    }
}

#[tokio::test]
async fn a_policy_that_asks_for_an_installed_share_records_the_distribution_only_then() {
    use aftercare_service::triage::policy::{self, PolicyChange};
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let admin = approved_patch(&workspace, &context).await;
        let day31 = at(&context, 31);
        // The policy: a rollout distributes the patch once it offered it to every targeted
        // device and three in four have it installed.
        let text = aftercare_risk::policy::DEFAULT_POLICY_TOML.replacen(
            "[patch.fix_distributed]\nwhen = \"offered\"\n",
            "[patch.fix_distributed]\nwhen = \"installed\"\nshare = 0.75\n",
            1,
        );
        assert_ne!(text, aftercare_risk::policy::DEFAULT_POLICY_TOML);
        policy::change(
            &workspace,
            &day31,
            &admin,
            &PolicyChange {
                text,
                reason: "a fix counts as distributed once most pumps run it".into(),
                signature: Some(crate::admin_signs(Meaning::Approval)),
            },
            day(31),
        )
        .await
        .unwrap();
        let mut pumps = Vec::new();
        for n in 0..4 {
            pumps.push(pump(&workspace, &day31, &admin, &format!("pump-{n:02}"), "2.0.0").await);
        }
        rollout::create(
            &workspace,
            &day31,
            &admin,
            &NewRollout {
                name: "hyper-fix".into(),
                product: "Pump".into(),
                version: "2.2.1".into(),
                filter: "product=Pump".into(),
                waves: "50%,100%".into(),
                success: "50%".into(),
                error: "50%".into(),
                update_type: "forced".into(),
                ..NewRollout::default()
            },
        )
        .await
        .unwrap();
        flow::start_rollout(&workspace, &day31, &admin, "hyper-fix")
            .await
            .unwrap();
        let remediation = || async {
            let (view, _) = case::case(&workspace, "Pump", VULN).await.unwrap();
            view.case
                .clock(ClockKind::Remediation, None)
                .unwrap()
                .state()
        };

        // One of the canaries installs: the last wave starts, every device is offered the
        // patch, but 1 of 4 installed is below the share: no distribution yet.
        install(&workspace, &day31, &pumps[0], true).await;
        let view = rollout::show(&workspace, &admin, "hyper-fix")
            .await
            .unwrap();
        assert_eq!(
            (view.row.wave, view.row.state.as_str()),
            (1, "running"),
            "{backend}"
        );
        assert_eq!(
            view.row.distribution_id, None,
            "{backend}: offered is not enough"
        );
        assert_eq!(remediation().await, ClockState::Open, "{backend}");

        // A device of the last wave installs: the rollout finishes (its success threshold is
        // 50 %), still with 2 of 4 installed: no distribution.
        install(&workspace, &day31, &pumps[2], true).await;
        let view = rollout::show(&workspace, &admin, "hyper-fix")
            .await
            .unwrap();
        assert_eq!(view.row.state, "finished", "{backend}");
        assert_eq!(view.row.distribution_id, None, "{backend}: 50 % < 75 %");
        assert_eq!(remediation().await, ClockState::Open, "{backend}");
        let state = release::state(&workspace, "Pump", "2.2.1").await.unwrap();
        assert!(state.distributions.is_empty(), "{backend}");

        // The other canary installs after the finish: 3 of 4 reach the share, and the tick
        // records the distribution of the finished rollout, which meets the clock.
        install(&workspace, &day31, &pumps[1], true).await;
        let view = rollout::show(&workspace, &admin, "hyper-fix")
            .await
            .unwrap();
        assert!(view.row.distribution_id.is_some(), "{backend}");
        let state = release::state(&workspace, "Pump", "2.2.1").await.unwrap();
        assert_eq!(state.distributions.len(), 1, "{backend}");
        assert_eq!(state.distributions[0].channel, "ota", "{backend}");
        assert_eq!(remediation().await, ClockState::Met, "{backend}");
        // Once only: the next tick records nothing more.
        flow::rollout_tick(&workspace, &day31).await.unwrap();
        let state = release::state(&workspace, "Pump", "2.2.1").await.unwrap();
        assert_eq!(state.distributions.len(), 1, "{backend}");
    }
}
