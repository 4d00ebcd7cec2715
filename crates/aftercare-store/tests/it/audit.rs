//! The audit chain on both backends: appends chain, the head moves, direct edits are refused.

use aftercare_model::audit::GENESIS_HASH;
use aftercare_store::Backend;
use aftercare_store::audit::{self, NewAuditEvent};
use aftercare_store::testing::each_backend;

/// When the test's events happen.
const AT: &str = "2030-01-02T03:04:05.000000Z";

fn event(action: &str) -> NewAuditEvent {
    NewAuditEvent {
        actor: "user:admin".into(),
        action: action.into(),
        entity_type: "product".into(),
        entity_id: Some("1".into()),
        new_value: Some("{}".into()),
        ..NewAuditEvent::default()
    }
}

#[tokio::test]
async fn events_chain_and_the_head_follows() {
    for test in each_backend().await {
        let backend = test.backend().as_str();
        let mut tx = test.store.begin().await.unwrap();
        let first = audit::append(&mut tx, event("product.create"), AT)
            .await
            .unwrap();
        let second = audit::append(&mut tx, event("product.update"), AT)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(first.event.seq, 1, "{backend}");
        assert_eq!(first.prev_hash, GENESIS_HASH, "{backend}");
        assert_eq!(second.prev_hash, first.hash, "{backend}");
        assert_eq!(
            second.hash,
            second.event.chain_hash(&first.hash),
            "{backend}"
        );
        let head = audit::head(test.store.pool()).await.unwrap();
        assert_eq!((head.seq, head.hash), (2, second.hash.clone()), "{backend}");
        let page = audit::page(test.store.pool(), 0, 10).await.unwrap();
        assert_eq!(page, vec![first, second], "{backend}: stored as appended");
    }
}

#[tokio::test]
async fn a_rolled_back_change_leaves_no_event_and_no_head_move() {
    for test in each_backend().await {
        let backend = test.backend().as_str();
        let mut tx = test.store.begin().await.unwrap();
        audit::append(&mut tx, event("product.create"), AT)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        let head = audit::head(test.store.pool()).await.unwrap();
        assert_eq!(head.seq, 0, "{backend}");
        assert!(
            audit::page(test.store.pool(), 0, 10)
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn direct_updates_and_deletes_of_audit_events_are_refused() {
    for test in each_backend().await {
        let backend = test.backend();
        let mut tx = test.store.begin().await.unwrap();
        audit::append(&mut tx, event("product.create"), AT)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let pool = test.store.pool();
        let update = sqlx::query("UPDATE audit_events SET actor = 'user:mallory' WHERE seq = 1")
            .execute(pool)
            .await;
        assert!(update.is_err(), "{backend:?}: UPDATE must be refused");
        let delete = sqlx::query("DELETE FROM audit_events WHERE seq = 1")
            .execute(pool)
            .await;
        assert!(delete.is_err(), "{backend:?}: DELETE must be refused");
        if backend == Backend::Postgres {
            let truncate = sqlx::query("TRUNCATE audit_events").execute(pool).await;
            assert!(truncate.is_err(), "TRUNCATE must be refused");
        }
        assert_eq!(audit::page(pool, 0, 10).await.unwrap().len(), 1);
    }
}
