//! Tamper tests on both backends: an edited event, a deleted event and a removed tail are
//! each found by `verify`, at the right event.

use aftercare_service::audit;
use aftercare_service::inventory;
use aftercare_store::Backend;
use aftercare_store::testing::TestStore;

use crate::workspaces;

/// Verifies the way `audit verify` does (on SQLite one rusqlite walk), and through the
/// segmented walk split in 1 to 4 segments; every way must give the same answer.
async fn verify(workspace: &aftercare_service::Workspace) -> audit::Verification {
    let sequential = audit::verify(workspace).await.unwrap();
    for segments in 1..=4 {
        let split = audit::verify_in_segments(workspace, segments)
            .await
            .unwrap();
        assert_eq!(split.broken, sequential.broken, "{segments} segments");
        assert_eq!(
            split.is_intact(),
            sequential.is_intact(),
            "{segments} segments"
        );
    }
    sequential
}

/// Five products: five chained events after `init`'s.
async fn trail(workspace: &aftercare_service::Workspace, context: &aftercare_service::Context) {
    for name in ["a", "b", "c", "d", "e"] {
        inventory::add_product(workspace, context, name, None)
            .await
            .unwrap();
    }
}

/// Runs a statement with the append-only trigger out of the way, as someone with direct
/// database access would.
async fn tamper(test: &TestStore, statement: &str) {
    let pool = test.store.pool();
    match test.backend() {
        Backend::Sqlite => {
            sqlx::query("DROP TRIGGER audit_events_no_update")
                .execute(pool)
                .await
                .unwrap();
            sqlx::query("DROP TRIGGER audit_events_no_delete")
                .execute(pool)
                .await
                .unwrap();
            sqlx::query(statement).execute(pool).await.unwrap();
        }
        Backend::Postgres => {
            // Refused while the trigger is on.
            assert!(
                sqlx::query(statement).execute(pool).await.is_err(),
                "the trigger refuses: {statement}"
            );
            sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER USER")
                .execute(pool)
                .await
                .unwrap();
            sqlx::query(statement).execute(pool).await.unwrap();
            sqlx::query("ALTER TABLE audit_events ENABLE TRIGGER USER")
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn an_intact_trail_verifies() {
    for (test, workspace, context) in workspaces().await {
        trail(&workspace, &context).await;
        let verification = verify(&workspace).await;
        assert!(
            verification.is_intact(),
            "{:?}: {verification:?}",
            test.backend()
        );
        assert_eq!(verification.events, 7, "init, policy and five products");
    }
}

#[tokio::test]
async fn an_edited_event_breaks_the_chain_at_that_event() {
    for (test, workspace, context) in workspaces().await {
        trail(&workspace, &context).await;
        tamper(
            &test,
            "UPDATE audit_events SET new_value = '{\"name\":\"z\"}' WHERE seq = 4",
        )
        .await;
        let verification = verify(&workspace).await;
        let broken = verification.broken.expect("broken");
        assert_eq!(broken.seq, 4, "{:?}", test.backend());
        assert!(broken.reason.contains("altered"), "{}", broken.reason);
    }
}

#[tokio::test]
async fn a_deleted_event_breaks_the_chain() {
    for (test, workspace, context) in workspaces().await {
        trail(&workspace, &context).await;
        tamper(&test, "DELETE FROM audit_events WHERE seq = 3").await;
        let broken = verify(&workspace).await.broken.expect("broken");
        assert_eq!(
            broken.seq,
            4,
            "{:?}: the event after the gap",
            test.backend()
        );
        assert!(broken.reason.contains("missing"), "{}", broken.reason);
    }
}

#[tokio::test]
async fn removing_the_newest_events_is_caught_by_the_head() {
    for (test, workspace, context) in workspaces().await {
        trail(&workspace, &context).await;
        tamper(&test, "DELETE FROM audit_events WHERE seq >= 5").await;
        let broken = verify(&workspace).await.broken.expect("broken");
        assert_eq!(broken.seq, 7, "{:?}: the head", test.backend());
        assert!(broken.reason.contains("head"), "{}", broken.reason);
    }
}

#[tokio::test]
async fn values_with_control_characters_and_backslashes_verify() {
    for (test, workspace, context) in workspaces().await {
        let reason = "tab\there, newline\nthere, a backslash \\ and \\N, carriage\rreturn, é";
        let context = context.with_reason(Some(reason.to_string()));
        inventory::add_product(
            &workspace,
            &context,
            "odd \\ name",
            Some("line one\nline two"),
        )
        .await
        .unwrap();
        let verification = verify(&workspace).await;
        assert!(
            verification.is_intact(),
            "{:?}: {verification:?}",
            test.backend()
        );
        let events = aftercare_store::audit::page(test.store.pool(), 0, 10)
            .await
            .unwrap();
        assert_eq!(events.last().unwrap().event.reason.as_deref(), Some(reason));
    }
}
