//! Benchmark: `audit verify` over a large trail, and the cost of writing one audit event.
//!
//! `cargo run --release -p aftercare-service --example audit_bench [EVENTS]` (default
//! 1,000,000). The trail is built by the chain function itself, inserted in bulk (building it
//! through use cases would take hours and is not what is measured), then verified with
//! `aftercare_service::audit::verify`. With `AFTERCARE_BENCH_POSTGRES_URL` it runs on
//! PostgreSQL too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use aftercare_model::AuditEvent;
use aftercare_service::access::account;
use aftercare_service::access::password::Password;
use aftercare_service::{Workspace, WorkspaceLocation};
use aftercare_store::Backend;

async fn fill(workspace: &Workspace, events: i64) {
    let pool = workspace.raw_store().pool();
    let backend = workspace.raw_store().backend();
    // Continue the chain `init` started.
    let head = aftercare_store::audit::head(pool).await.unwrap();
    let mut previous = head.hash;
    let mut seq = head.seq;
    let chunk = 2_000;
    let mut tx = pool.begin().await.unwrap();
    while seq < events {
        let rows = (events - seq).min(chunk);
        let mut batch = Vec::with_capacity(rows as usize);
        for _ in 0..rows {
            seq += 1;
            let event = AuditEvent {
                seq,
                at: format!(
                    "2026-01-01T00:{:02}:{:02}.{:06}Z",
                    (seq / 60) % 60,
                    seq % 60,
                    seq % 1_000_000
                ),
                actor: "system:bench".into(),
                action: "product.create".into(),
                entity_type: "product".into(),
                entity_id: Some(seq.to_string()),
                old_value: None,
                new_value: Some(format!("{{\"name\":\"product {seq}\"}}")),
                reason: None,
                request_id: None,
            };
            let hash = event.chain_hash(&previous);
            batch.push((event, previous.clone(), hash.clone()));
            previous = hash;
        }
        let placeholders = match backend {
            Backend::Sqlite => vec!["(?,?,?,?,?,?,?,?,?,?,?,?)"; batch.len()].join(","),
            Backend::Postgres => (0..batch.len())
                .map(|i| {
                    let b = i * 12;
                    format!(
                        "(${},${},${},${},${},${},${},${},${},${},${},${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8,
                        b + 9,
                        b + 10,
                        b + 11,
                        b + 12
                    )
                })
                .collect::<Vec<_>>()
                .join(","),
        };
        let sql = format!(
            "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, old_value, \
             new_value, reason, request_id, prev_hash, hash) VALUES {placeholders}"
        );
        let mut query = sqlx::query(&sql);
        for (event, prev, hash) in &batch {
            query = query
                .bind(event.seq)
                .bind(&event.at)
                .bind(&event.actor)
                .bind(&event.action)
                .bind(&event.entity_type)
                .bind(&event.entity_id)
                .bind(&event.old_value)
                .bind(&event.new_value)
                .bind(&event.reason)
                .bind(&event.request_id)
                .bind(prev)
                .bind(hash);
        }
        query.execute(&mut *tx).await.unwrap();
    }
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&previous)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// This process's CPU time (user + system) in seconds, from /proc (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields 14 and 15 (utime, stime) after the command name in parentheses.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

async fn run(label: &str, url: &str, events: i64) {
    let workspace = Workspace::open(WorkspaceLocation::Database(url.to_string()))
        .await
        .unwrap();
    let admin = aftercare_service::flow::init(
        &workspace,
        "bench",
        "Bench",
        &Password::new("bench-password-1"),
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    let context =
        aftercare_service::Context::new(account::actor_of(&admin), jiff::Timestamp::now());

    // One audit event inside a use case's transaction: time 2,000 of them.
    let start = Instant::now();
    let writes = 2_000;
    for i in 0..writes {
        let mut tx = workspace.raw_store().begin().await.unwrap();
        aftercare_service::audit::record(
            &mut tx,
            &context,
            aftercare_service::audit::Change {
                // Any action: the bench times the write.
                action: aftercare_service::audit::AuditAction::ProductCreate,
                entity_type: "bench",
                entity_id: Some(i.to_string()),
                old_value: None,
                new_value: Some(serde_json::json!({"i": i})),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let per_event = start.elapsed().as_secs_f64() * 1000.0 / f64::from(writes);

    let start = Instant::now();
    fill(&workspace, events).await;
    let filled = start.elapsed();
    let start = Instant::now();
    let cpu = cpu_seconds();
    let verification = aftercare_service::audit::verify(&workspace).await.unwrap();
    let verified = start.elapsed();
    let cpu = cpu_seconds() - cpu;
    assert!(verification.is_intact(), "{verification:?}");
    println!(
        "| {label} | {} | {:.2} s wall, {cpu:.2} s CPU of this process | {:.3} ms (own transaction, commit included) | {:.1} s |",
        verification.events,
        verified.as_secs_f64(),
        per_event,
        filled.as_secs_f64()
    );
    workspace.raw_store().close().await;
}

#[tokio::main]
async fn main() {
    let events: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    println!(
        "| backend | events verified | audit verify | one audit event | (bulk fill, not measured) |"
    );
    println!("| --- | --- | --- | --- | --- |");
    let dir = tempfile::tempdir().unwrap();
    // `AFTERCARE_BENCH_DB` keeps the SQLite file for inspection.
    let file = std::env::var("AFTERCARE_BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("audit.db"));
    let url = format!("sqlite://{}?mode=rwc", file.display());
    run("SQLite", &url, events).await;
    if let Ok(base) = std::env::var("AFTERCARE_BENCH_POSTGRES_URL") {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let schema = format!("audit_bench_{}", std::process::id());
        let mut admin = sqlx::AnyConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let separator = if base.contains('?') { '&' } else { '?' };
        run(
            "PostgreSQL",
            &format!("{base}{separator}options=-c%20search_path%3D{schema}"),
            events,
        )
        .await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}
