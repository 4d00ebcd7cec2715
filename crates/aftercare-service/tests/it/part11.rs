//! 21 CFR Part 11 on both backends: every signed record shows its signatures (a policy
//! revision, a clock waiver), and `audit verify` compares each signature row with its chained
//! `signature.sign` event, so that editing the signer, meaning or time of a signature in the
//! database — or adding or removing one there — is reported, naming the signature.

use aftercare_risk::{Event, EventKind};
use aftercare_service::access::signature::Meaning;
use aftercare_service::audit;
use aftercare_service::triage::case::{self, ClockQuery};
use aftercare_service::triage::policy::{self, PolicyChange};
use aftercare_service::triage::waiver;
use aftercare_service::{Workspace, inventory};

use crate::intel::admin;
use crate::{admin_signs, workspaces};

/// Two signed records: policy revision 2 and the waiver of a disclosure acknowledgement clock.
/// Returns the waived clock's id.
async fn signed_records(workspace: &Workspace, context: &aftercare_service::Context) -> i64 {
    let principal = admin(workspace).await;
    let text = aftercare_risk::policy::DEFAULT_POLICY_TOML.replacen(
        "[clock.customer_communication]\ndays = 30",
        "[clock.customer_communication]\ndays = 21",
        1,
    );
    policy::change(
        workspace,
        context,
        &principal,
        &PolicyChange {
            text,
            reason: "customers asked for three weeks".into(),
            signature: Some(admin_signs(Meaning::Approval)),
        },
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    inventory::add_product(workspace, context, "Pump", None)
        .await
        .unwrap();
    case::apply_unchecked(
        workspace,
        context,
        "Pump",
        "CVE-2021-44228",
        Event {
            at: jiff::Timestamp::now(),
            kind: EventKind::ReportReceived {
                reference: "R-17".into(),
            },
        },
    )
    .await
    .unwrap();
    let clock = case::clocks(workspace, &ClockQuery::default(), jiff::Timestamp::now())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.clock.kind() == aftercare_risk::ClockKind::DisclosureAck)
        .expect("a report opens the acknowledgement clock");
    case::waive(
        workspace,
        context,
        &principal,
        clock.listing.clock.id,
        "the reporter withdrew the report the same day, in writing (mail of R-17)",
        Some(&admin_signs(Meaning::Responsibility)),
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    clock.listing.clock.id
}

#[tokio::test]
async fn policy_revisions_and_waivers_show_their_signatures() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let clock_id = signed_records(&workspace, &context).await;

        let signed = policy::current_signed(&workspace).await.unwrap();
        assert_eq!(signed.signatures.len(), 1, "{backend}");
        let manifestation =
            aftercare_service::access::signature::manifestation(&signed.signatures[0].signature);
        assert!(
            manifestation.starts_with("Signed by Ada Admin on ")
                && manifestation.ends_with(" (UTC) — approval"),
            "{backend}: {manifestation}"
        );
        assert_eq!(signed.signatures[0].state.as_str(), "valid");
        let history = policy::history(&workspace).await.unwrap();
        assert_eq!(history.len(), 2, "{backend}");
        assert_eq!(
            history[0].signatures.len(),
            1,
            "{backend}: revision 2 is signed"
        );
        assert!(
            history[1].signatures.is_empty(),
            "{backend}: the built-in revision of init is not"
        );

        let (view, _) = case::case(&workspace, "Pump", "CVE-2021-44228")
            .await
            .unwrap();
        let signatures = waiver::of_case(&workspace, &view).await.unwrap();
        let of_clock = &signatures[&clock_id];
        assert_eq!(of_clock.len(), 1, "{backend}");
        assert_eq!(of_clock[0].state.as_str(), "valid", "{backend}");
        assert_eq!(of_clock[0].signature.meaning, "responsibility");
        assert_eq!(signatures.len(), 1, "{backend}: only the waived clock");
    }
}

/// Runs a statement on the store directly, as someone with database access would.
async fn tamper(test: &aftercare_store::testing::TestStore, statement: &str) {
    sqlx::query(statement)
        .execute(test.store.pool())
        .await
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
}

#[tokio::test]
async fn audit_verify_finds_an_edited_added_or_removed_signature() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        signed_records(&workspace, &context).await;
        let intact = audit::verify(&workspace).await.unwrap();
        assert!(intact.is_intact(), "{backend}: {intact:?}");
        assert_eq!(intact.signatures_checked, 2, "{backend}");
        let (policy_signature, signed_at): (i64, String) = sqlx::query_as(
            "SELECT CAST(id AS BIGINT), signed_at FROM signatures WHERE entity_type = 'policy'",
        )
        .fetch_one(test.store.pool())
        .await
        .unwrap();
        let restore_time =
            format!("UPDATE signatures SET signed_at = '{signed_at}' WHERE entity_type = 'policy'");

        // Each edit of a signature row, the words the report must contain, and the undo.
        for (edit, expected, undo) in [
            (
                "UPDATE signatures SET meaning = 'authorship' WHERE entity_type = 'policy'",
                "the meaning is \"authorship\" but the event recorded \"approval\"",
                "UPDATE signatures SET meaning = 'approval' WHERE entity_type = 'policy'",
            ),
            (
                "UPDATE signatures SET printed_name = 'Mallory' WHERE entity_type = 'policy'",
                "the printed name is \"Mallory\" but the event recorded \"Ada Admin\"",
                "UPDATE signatures SET printed_name = 'Ada Admin' WHERE entity_type = 'policy'",
            ),
            (
                "UPDATE signatures SET login = 'mallory' WHERE entity_type = 'policy'",
                "the signer's login is \"mallory\" but the event recorded \"admin\"",
                "UPDATE signatures SET login = 'admin' WHERE entity_type = 'policy'",
            ),
            (
                "UPDATE signatures SET signed_at = '2020-01-01T00:00:00Z' WHERE entity_type = 'policy'",
                "the time is \"2020-01-01T00:00:00Z\"",
                restore_time.as_str(),
            ),
            (
                "UPDATE signatures SET entity_id = '1' WHERE entity_type = 'policy'",
                "the signed record's id is \"1\" but the event recorded \"2\"",
                "UPDATE signatures SET entity_id = '2' WHERE entity_type = 'policy'",
            ),
        ] {
            tamper(&test, edit).await;
            let verification = audit::verify(&workspace).await.unwrap();
            assert!(!verification.is_intact(), "{backend}: {edit}");
            assert!(
                verification.broken.is_none(),
                "{backend}: the chain itself is intact"
            );
            assert_eq!(
                verification.signature_mismatches.len(),
                1,
                "{backend}: {edit}: {:?}",
                verification.signature_mismatches
            );
            let mismatch = &verification.signature_mismatches[0];
            assert_eq!(mismatch.signature_id, policy_signature, "{backend}");
            assert!(
                mismatch
                    .reason
                    .starts_with(&format!("signature {policy_signature} of policy ")),
                "{backend}: {}",
                mismatch.reason
            );
            assert!(
                mismatch.reason.contains(expected),
                "{backend}: {edit}: {}",
                mismatch.reason
            );
            tamper(&test, undo).await;
            assert!(
                audit::verify(&workspace).await.unwrap().is_intact(),
                "{backend}: undone: {edit}"
            );
        }

        // A signature added in the database has no event; one removed leaves its event.
        tamper(
            &test,
            "INSERT INTO signatures (entity_type, entity_id, account_id, login, printed_name, \
             meaning, signed_at, content_sha256) SELECT entity_type, entity_id, account_id, \
             login, printed_name, 'review', signed_at, content_sha256 FROM signatures \
             WHERE entity_type = 'policy'",
        )
        .await;
        tamper(&test, "DELETE FROM signatures WHERE entity_type = 'clock'").await;
        let verification = audit::verify(&workspace).await.unwrap();
        let reasons: Vec<&str> = verification
            .signature_mismatches
            .iter()
            .map(|m| m.reason.as_str())
            .collect();
        assert_eq!(reasons.len(), 2, "{backend}: {reasons:?}");
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("has no signature.sign event in the audit trail")),
            "{backend}: {reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("is missing from the signatures")),
            "{backend}: {reasons:?}"
        );
    }
}
