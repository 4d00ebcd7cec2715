//! The caller's time: every column a store write stamps holds the instant the caller gave
//! (`at`), never the wall clock, on each backend. The instant is years away from any clock
//! the suite runs under, so a write that stamped its own time could not pass.

use aftercare_store::account::{self, NewAccount};
use aftercare_store::audit::{self, NewAuditEvent};
use aftercare_store::case::{self, CaseRow};
use aftercare_store::feed::{self, NewFeed};
use aftercare_store::finding::{self, MatchFields, NewFinding};
use aftercare_store::intel::{self, NewDocument, Redirect, VulnerabilityRow};
use aftercare_store::policy::{self, PolicyRow};
use aftercare_store::sbom::{self, ComponentRecord, NewSbom};
use aftercare_store::session::{self, NewToken};
use aftercare_store::testing::each_backend;
use aftercare_store::{Store, alert, document, product, release, setting, training};
use sqlx::Row;

/// The instant every write of the test is given.
const AT: &str = "2030-01-02T03:04:05.000000Z";

/// Every column a write stamps with its caller's instant, as (table, column).
const STAMPED: &[(&str, &str)] = &[
    ("accounts", "created_at"),
    ("api_tokens", "created_at"),
    ("trainings", "recorded_at"),
    ("settings", "updated_at"),
    ("security_alerts", "at"),
    ("policies", "created_at"),
    ("products", "created_at"),
    ("releases", "created_at"),
    ("documents", "created_at"),
    ("sboms", "imported_at"),
    ("findings", "first_seen"),
    ("findings", "last_seen"),
    ("cases", "created_at"),
    ("cases", "updated_at"),
    ("case_events", "recorded_at"),
    ("feeds", "created_at"),
    ("feeds", "last_success_at"),
    ("feeds", "removed_at"),
    ("sync_runs", "started_at"),
    ("sync_runs", "finished_at"),
    ("vulnerability_redirects", "at"),
    ("audit_events", "at"),
];

#[tokio::test]
async fn every_stamped_column_holds_the_callers_instant() {
    for test in each_backend().await {
        let backend = test.backend().as_str();
        write_everything(&test.store).await;
        for (table, column) in STAMPED {
            let sql = format!(
                "SELECT DISTINCT {column} AS t FROM {table} WHERE {column} IS NOT NULL ORDER BY t"
            );
            let values: Vec<String> = sqlx::query(&sql)
                .fetch_all(test.store.pool())
                .await
                .unwrap()
                .iter()
                .map(|row| row.get("t"))
                .collect();
            assert_eq!(values, vec![AT.to_string()], "{backend}: {table}.{column}");
        }
    }
}

/// Runs every write that stamps a time, each given [`AT`], in one transaction.
async fn write_everything(store: &Store) {
    let mut tx = store.begin().await.unwrap();

    // Access: an account, its token, a training, a setting, an alert; the policy.
    let ada = account::insert(
        &mut tx,
        &NewAccount {
            login: "ada",
            display_name: "Ada",
            password_hash: "$argon2id$…",
            roles: "administrator",
            local_admin: true,
            organisation: None,
        },
        AT,
    )
    .await
    .unwrap();
    session::create_token(
        &mut tx,
        &NewToken {
            name: "ci",
            token_hash: "ab",
            prefix: "act_ab",
            account_id: ada.id,
            roles: "administrator",
            expires_at: None,
        },
        AT,
    )
    .await
    .unwrap();
    training::insert(&mut tx, ada.id, "part11", "2030-01-01", None, AT)
        .await
        .unwrap();
    setting::set(&mut tx, "access", "{}", AT).await.unwrap();
    alert::raise(&mut tx, "login.lockout", Some(ada.id), "locked", AT)
        .await
        .unwrap();
    policy::insert(
        &mut tx,
        &PolicyRow {
            id: 0,
            revision: 0,
            policy_id: "builtin".into(),
            policy_version: "1".into(),
            digest: "cd".into(),
            source_sha256: "ef".into(),
            source: "[policy]".into(),
            created_at: String::new(),
            created_by: "user:ada".into(),
            reason: None,
        },
        AT,
    )
    .await
    .unwrap();

    // Inventory: a product, a release, its SBOM document and rows; a finding.
    let pump = product::insert(&mut tx, "Infusion pump", None, AT)
        .await
        .unwrap();
    let release_id = release::insert(&mut tx, pump.id, "1.0", AT).await.unwrap();
    let put = document::put(&mut tx, "sbom", Some("bom.json"), b"{}", AT)
        .await
        .unwrap();
    let sbom_id = sbom::insert(
        &mut tx,
        &NewSbom {
            release_id,
            document_id: put.id,
            format: "cyclonedx".into(),
            encoding: "json".into(),
            spec_version: "1.6".into(),
            serial_number: None,
            name: None,
            created: None,
            authors: vec![],
            tools: vec![],
            subject_position: None,
        },
        &[ComponentRecord {
            reference: "lodash".into(),
            kind: "library".into(),
            name: "lodash".into(),
            version: Some("4.17.19".into()),
            ..ComponentRecord::default()
        }],
        &[],
        &[],
        AT,
    )
    .await
    .unwrap();
    let component = sbom::components(tx.conn(), sbom_id).await.unwrap()[0].id;
    finding::insert(
        &mut tx,
        &[NewFinding {
            product_id: pump.id,
            release_id,
            component_id: component,
            fields: MatchFields {
                vulnerability: "CVE-2021-23337".into(),
                vulnerability_id: None,
                aliases: "[]".into(),
                summary: None,
                severity: "high".into(),
                score: Some(7.2),
                severity_basis: "{}".into(),
                kev: false,
                confidence: "high".into(),
                matched_version: Some("4.17.19".into()),
                fixed_versions: "[]".into(),
                reasons: "[]".into(),
            },
        }],
        AT,
    )
    .await
    .unwrap();

    // Triage: a case opened, updated, told an event and renamed.
    let mut case_row = CaseRow {
        id: 0,
        product_id: pump.id,
        vulnerability: "GHSA-35jh-r3h4-6jhm".into(),
        record: "{}".into(),
        awareness_date: Some("2030-01-02".into()),
        risk: None,
        created_at: String::new(),
        updated_at: String::new(),
    };
    case_row.id = case::save_case(&mut tx, &case_row, AT).await.unwrap();
    case::save_case(&mut tx, &case_row, AT).await.unwrap();
    case::insert_event(
        &mut tx,
        case_row.id,
        AT,
        "finding_first_seen",
        "{}",
        "user:ada",
        AT,
    )
    .await
    .unwrap();
    let renamed = case::rename_case(
        &mut tx,
        pump.id,
        "GHSA-35jh-r3h4-6jhm",
        "CVE-2021-23337",
        AT,
    )
    .await
    .unwrap();
    assert!(renamed);

    // Intelligence: a feed and its run from start to end, a record document, a redirect
    // between two vulnerabilities; the feed removed.
    let ghsa = feed::insert(
        &mut tx,
        &NewFeed {
            name: "ghsa",
            kind: "osv",
            url: None,
            path: Some("/mirror"),
            ecosystem: None,
            created_by: "user:ada",
        },
        AT,
    )
    .await
    .unwrap();
    let run = feed::insert_run(&mut tx, ghsa.id, "user:ada", "{}", AT)
        .await
        .unwrap();
    intel::put_documents(
        &mut tx,
        &[NewDocument {
            sha256: "0123",
            kind: "record",
            name: "GHSA-35jh-r3h4-6jhm.json",
            bytes: b"[]",
        }],
        AT,
    )
    .await
    .unwrap();
    let vulnerability = |id: i64, canonical: &str| VulnerabilityRow {
        id,
        canonical: canonical.into(),
        status: "active".into(),
        withdrawn: false,
        published: None,
        modified: None,
        summary: None,
        created_at: AT.into(),
        updated_at: AT.into(),
    };
    intel::upsert_vulnerabilities(
        &mut tx,
        &[vulnerability(1, "GHSA-1"), vulnerability(2, "CVE-1")],
    )
    .await
    .unwrap();
    intel::insert_redirects(
        &mut tx,
        &[Redirect {
            from_id: 1,
            to_id: 2,
            reason: "merged".into(),
            run_id: Some(run.id),
        }],
        AT,
    )
    .await
    .unwrap();
    feed::finish_run(&mut tx, run.id, "completed", "digest", AT)
        .await
        .unwrap();
    feed::record_success(&mut tx, ghsa.id, "completed", None, AT)
        .await
        .unwrap();
    feed::remove(&mut tx, ghsa.id, AT).await.unwrap();

    // The audit trail.
    audit::append(
        &mut tx,
        NewAuditEvent {
            actor: "user:ada".into(),
            action: "workspace.init".into(),
            entity_type: "account".into(),
            ..NewAuditEvent::default()
        },
        AT,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}
