//! Benchmark: import every OSV record of the shared data into a fresh workspace (SQLite, and
//! PostgreSQL when `AFTERCARE_BENCH_POSTGRES_URL` is set), re-sync it without change, and
//! look vulnerabilities up by alias from the warm in-memory map.
//!
//! `cargo run --release -p aftercare-service --example intel_import_bench [RUNS]` (default 3;
//! the median is printed). Wall time counts everything the machine did meanwhile; CPU time is
//! this process's (user + system, all threads, from `/proc/self/stat`; the PostgreSQL server's
//! own CPU is not in it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use aftercare_service::access::account;
use aftercare_service::access::auth::Principal;
use aftercare_service::access::password::Password;
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::lookup::{self, AliasIndex};
use aftercare_service::intel::sync::{self, NoProgress, SyncOptions, SyncReport};
use aftercare_service::{Context, Workspace, WorkspaceLocation};

/// This process's CPU time (user + system, every thread), Linux only.
fn cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = text.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the line (utime, stime) are 12 and 13 after the command name.
    let ticks: u64 = fields
        .get(11..13)
        .map(|f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn fresh(url: &str) -> (Workspace, Context, Principal) {
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
    let principal = Principal::local(&admin).unwrap();
    (
        workspace,
        Context::new(account::actor_of(&admin), jiff::Timestamp::now()),
        principal,
    )
}

async fn timed_sync(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    name: &str,
) -> (SyncReport, Duration, Duration) {
    let (start, cpu) = (Instant::now(), cpu_time());
    let report = aftercare_service::flow::sync(
        workspace,
        context,
        principal,
        name,
        &SyncOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap()
    .sync;
    (report, start.elapsed(), cpu_time().saturating_sub(cpu))
}

struct Row {
    backend: &'static str,
    step: &'static str,
    records: i64,
    wall: Duration,
    cpu: Duration,
}

async fn bench(backend: &'static str, urls: Vec<String>, rows: &mut Vec<Row>) {
    let osv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/osv");
    let osv = std::env::var("AFTERCARE_SHARED_DATA")
        .map(|d| std::path::PathBuf::from(d).join("osv"))
        .unwrap_or(osv);
    let (mut imports, mut import_cpu, mut records) = (Vec::new(), Vec::new(), 0);
    let (mut same, mut members, mut lookups, mut shows, mut db_lookups) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut same_cpu = Vec::new();
    let mut member_cpu = Vec::new();
    let mut alias_count = 0;
    for url in &urls {
        let (workspace, context, principal) = fresh(url).await;
        feed::add(
            &workspace,
            &context,
            &principal,
            &NewFeedRequest {
                name: "osv".into(),
                kind: FeedKind::Osv,
                url: None,
                path: Some(osv.display().to_string()),
                ecosystem: None,
            },
        )
        .await
        .unwrap();
        let (report, wall, cpu) = timed_sync(&workspace, &context, &principal, "osv").await;
        let c = report.counts;
        records = c.new + c.updated + c.withdrawn + c.unchanged;
        imports.push(wall);
        import_cpu.push(cpu);

        // No change: the mirror's files have the digests of the last sync.
        let (report, wall, cpu) = timed_sync(&workspace, &context, &principal, "osv").await;
        assert_eq!(report.status, sync::SyncStatus::Unchanged);
        same.push(wall);
        same_cpu.push(cpu);

        // No change, without file digests (a server that sends no validators and a file
        // that was rewritten): every member is read and recognized by its digest.
        sqlx::query("DELETE FROM feed_files")
            .execute(workspace.raw_store().pool())
            .await
            .unwrap();
        let (report, wall, cpu) = timed_sync(&workspace, &context, &principal, "osv").await;
        assert_eq!(report.status, sync::SyncStatus::Unchanged);
        members.push(wall);
        member_cpu.push(cpu);

        // Look-up by alias from the warm map, and the same through the database.
        let index = AliasIndex::new();
        index.refresh(&workspace).await.unwrap();
        let aliases: Vec<String> =
            aftercare_store::intel::all_aliases(workspace.raw_store().pool())
                .await
                .unwrap()
                .into_iter()
                .map(|(alias, _, _)| alias)
                .collect();
        alias_count = aliases.len();
        let start = Instant::now();
        let mut found = 0;
        for alias in &aliases {
            found += lookup::resolve(&workspace, Some(&index), alias)
                .await
                .unwrap()
                .len();
        }
        assert!(found >= aliases.len());
        lookups.push(start.elapsed() / aliases.len() as u32);
        let sample: Vec<&String> = aliases.iter().step_by(aliases.len() / 200 + 1).collect();
        let start = Instant::now();
        for alias in &sample {
            lookup::resolve(&workspace, None, alias).await.unwrap();
        }
        db_lookups.push(start.elapsed() / sample.len() as u32);
        let start = Instant::now();
        for alias in &sample {
            lookup::show(&workspace, Some(&index), alias).await.unwrap();
        }
        shows.push(start.elapsed() / sample.len() as u32);
        workspace.raw_store().close().await;
    }
    let push = |rows: &mut Vec<Row>, step, records, wall: Vec<Duration>, cpu: Vec<Duration>| {
        rows.push(Row {
            backend,
            step,
            records,
            wall: median(wall),
            cpu: median(cpu),
        })
    };
    push(rows, "import all OSV records", records, imports, import_cpu);
    push(
        rows,
        "no-change re-sync (file digests)",
        records,
        same,
        same_cpu,
    );
    push(
        rows,
        "no-change re-sync (member digests)",
        records,
        members,
        member_cpu,
    );
    rows.push(Row {
        backend,
        step: "alias look-up, warm map",
        records: alias_count as i64,
        wall: median(lookups),
        cpu: Duration::ZERO,
    });
    rows.push(Row {
        backend,
        step: "alias look-up, database",
        records: 0,
        wall: median(db_lookups),
        cpu: Duration::ZERO,
    });
    rows.push(Row {
        backend,
        step: "vuln show (records re-read)",
        records: 0,
        wall: median(shows),
        cpu: Duration::ZERO,
    });
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let mut rows = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Vec<String> = (0..runs)
        .map(|run| format!("sqlite://{}/bench-{run}.db?mode=rwc", dir.path().display()))
        .collect();
    bench("SQLite", sqlite, &mut rows).await;
    if let Ok(url) = std::env::var("AFTERCARE_BENCH_POSTGRES_URL") {
        // A fresh schema per run.
        sqlx::any::install_default_drivers();
        let mut urls = Vec::new();
        for run in 0..runs {
            use sqlx::Connection;
            let schema = format!("bench_{}_{run}", std::process::id());
            let mut admin = sqlx::AnyConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut admin)
                .await
                .unwrap();
            let separator = if url.contains('?') { '&' } else { '?' };
            urls.push(format!(
                "{url}{separator}options=-c%20search_path%3D{schema}"
            ));
        }
        bench("PostgreSQL", urls, &mut rows).await;
    }
    println!("| backend | step | records | wall | wall rate | CPU (this process) |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for row in rows {
        let rate = if row.records > 0 && row.step.starts_with("import") {
            format!(
                "{:.0} records/s",
                row.records as f64 / row.wall.as_secs_f64()
            )
        } else {
            "-".to_string()
        };
        let wall = if row.wall < Duration::from_millis(1) {
            format!("{:.1} µs", row.wall.as_secs_f64() * 1e6)
        } else {
            format!("{:.1} ms", row.wall.as_secs_f64() * 1e3)
        };
        let cpu = if row.cpu.is_zero() {
            "-".to_string()
        } else {
            format!("{:.0} ms", row.cpu.as_secs_f64() * 1e3)
        };
        println!(
            "| {} | {} | {} | {wall} | {rate} | {cpu} |",
            row.backend, row.step, row.records
        );
    }
}
