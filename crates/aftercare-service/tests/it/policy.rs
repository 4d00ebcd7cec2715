//! The policy on both backends: the warnings of a policy that deviates from the law, and the
//! upgrade of a workspace whose stored revision is format 1 (before issue 12): the error says
//! what to do, and a signed format 2 revision replaces it.

use aftercare_service::access::signature::Meaning;
use aftercare_service::audit;
use aftercare_service::triage::policy::{self, PolicyChange};
use aftercare_service::{ServiceError, Workspace};
use aftercare_store::audit::AuditFilter;
use aftercare_store::policy::PolicyRow;

use crate::intel::admin;
use crate::{admin_signs, chain, workspaces};

/// The default policy with the 803 clock made longer than the law, with its rationale.
fn laxer_than_the_law() -> String {
    let text = aftercare_risk::policy::DEFAULT_POLICY_TOML.replacen(
        "[clock.mdr_803]\ndays = 30",
        "[clock.mdr_803]\ndays = 45\ndeviation_rationale = \"FDA's written extension of 2026-02-10 (letter on file, RA-88)\"",
        1,
    );
    assert_ne!(text, aftercare_risk::policy::DEFAULT_POLICY_TOML);
    text
}

#[test]
fn a_policy_longer_than_the_law_warns_with_its_rationale() {
    let checked = policy::check(&laxer_than_the_law(), "test").unwrap();
    let warnings: Vec<String> = checked.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "clock.mdr_803.days: 45 days is longer than the law's 30 calendar days (21 CFR \
          803.50(a)); deviation rationale: FDA's written extension of 2026-02-10 (letter on \
          file, RA-88)"
        ]
    );
    assert!(
        policy::check(aftercare_risk::policy::DEFAULT_POLICY_TOML, "default")
            .unwrap()
            .warnings()
            .is_empty()
    );
}

/// Stores a format 1 revision directly, as a workspace created before format 2 holds one.
async fn store_format_1(workspace: &Workspace) -> PolicyRow {
    let text = aftercare_risk::policy::DEFAULT_POLICY_TOML
        .replacen("format = 2", "format = 1", 1)
        .replacen("id = \"aftercare-default\"", "id = \"acme-postmarket\"", 1);
    let mut tx = workspace.raw_store().begin().await.unwrap();
    let row = aftercare_store::policy::insert(
        &mut tx,
        &PolicyRow {
            id: 0,
            revision: 0,
            policy_id: "acme-postmarket".into(),
            policy_version: "1.4.0".into(),
            digest: "f1".repeat(32),
            source_sha256: "f2".repeat(32),
            source: text,
            created_at: String::new(),
            created_by: "user:admin".into(),
            reason: Some("stored before format 2".into()),
        },
        "2025-06-01T09:00:00Z",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    row
}

#[tokio::test]
async fn a_format_1_revision_says_what_to_do_and_a_signed_format_2_one_replaces_it() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let principal = admin(&workspace).await;
        let old = store_format_1(&workspace).await;
        assert_eq!(old.revision, 2, "{backend}: after init's built-in revision");

        let error = policy::current(&workspace).await.unwrap_err();
        assert!(
            matches!(error, ServiceError::PolicyUnreadable { revision: 2, .. }),
            "{backend}: {error:?}"
        );
        let message = chain(&error);
        for words in [
            "the policy in force (revision 2, acme-postmarket version 1.4.0) cannot be read",
            "aftercare policy set policy/default.toml",
            "format 1 is no longer read",
        ] {
            assert!(message.contains(words), "{backend}: {message}");
        }
        // The history still lists it, as unreadable.
        let history = policy::history(&workspace).await.unwrap();
        assert_eq!(history.len(), 2, "{backend}");
        assert!(history[0].unreadable.is_some() && history[0].policy.is_none());
        assert!(history[1].unreadable.is_none() && history[1].policy.is_some());

        // Replaced only with a signature (the workspace requires one; without, refused).
        let change = |signature| PolicyChange {
            text: aftercare_risk::policy::DEFAULT_POLICY_TOML.to_string(),
            reason: "replace the format 1 policy with the default format 2 one".into(),
            signature,
        };
        let unsigned = policy::change(
            &workspace,
            &context,
            &principal,
            &change(None),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(unsigned, ServiceError::SignatureRefused { .. }),
            "{backend}: {unsigned:?}"
        );
        // The default's content equals init's revision 1, but what is in force is revision
        // 2, which nothing can be compared with: the replacement is accepted.
        let row = policy::change(
            &workspace,
            &context,
            &principal,
            &change(Some(admin_signs(Meaning::Approval))),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        assert_eq!(row.revision, 3, "{backend}");
        let current = policy::current_signed(&workspace).await.unwrap();
        assert_eq!(current.current.revision.unwrap().revision, 3);
        assert_eq!(current.signatures.len(), 1, "{backend}");

        // The audit event records the replaced row as stored.
        let events = audit::list(
            &workspace,
            &AuditFilter {
                entity_type: Some("policy".into()),
                entity_id: Some("3".into()),
                limit: 10,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let change_event = events
            .iter()
            .find(|e| e.event.action == "policy.change")
            .expect("a policy.change event");
        let old_value: serde_json::Value =
            serde_json::from_str(change_event.event.old_value.as_deref().unwrap()).unwrap();
        assert_eq!(old_value["revision"], 2, "{backend}");
        assert_eq!(old_value["id"], "acme-postmarket");
        assert_eq!(old_value["version"], "1.4.0");
        assert_eq!(old_value["digest"], "f1".repeat(32));
        assert!(
            old_value["unreadable"]
                .as_str()
                .unwrap()
                .contains("format 1 is no longer read"),
            "{old_value}"
        );
        assert!(audit::verify(&workspace).await.unwrap().is_intact());
    }
}

#[tokio::test]
async fn a_policy_with_warnings_is_stored_and_keeps_them() {
    for (test, workspace, context) in workspaces().await {
        let principal = admin(&workspace).await;
        policy::change(
            &workspace,
            &context,
            &principal,
            &PolicyChange {
                text: laxer_than_the_law(),
                reason: "FDA granted a longer 803 period in writing".into(),
                signature: Some(admin_signs(Meaning::Approval)),
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        let current = policy::current(&workspace).await.unwrap();
        assert_eq!(
            current
                .policy
                .warnings()
                .iter()
                .map(|w| w.key.as_str())
                .collect::<Vec<_>>(),
            ["clock.mdr_803.days"],
            "{}",
            test.backend().as_str()
        );
    }
}
