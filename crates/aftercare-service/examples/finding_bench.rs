//! Benchmark: findings in a workspace. Every OSV record of the shared data is synced into a
//! fresh workspace (SQLite, and PostgreSQL when `AFTERCARE_BENCH_POSTGRES_URL` is set); then
//! RELEASES releases of COMPONENTS components each are imported (the SBOMs name real packages
//! of those records at versions their `versions` lists and range events give, 2 % of the
//! versions changing from one release to the next), each import matched at once, in a
//! workspace that keeps its matcher warm as the server does; then full re-matches
//! (`aftercare match --all`) warm and from a cold process, and the re-match of feed deltas of
//! 100 changed records (hand-made advisories on packages that every release holds: new,
//! changed without effect on the findings, changed to affect other versions).
//!
//! `cargo run --release -p aftercare-service --example finding_bench [RELEASES [COMPONENTS]]`
//! (default 20 × 1,000). Wall time counts everything the machine did meanwhile.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use aftercare_service::access::account;
use aftercare_service::access::auth::Principal;
use aftercare_service::access::password::Password;
use aftercare_service::finding::{self, MatchScope};
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::sync::{NoProgress, SyncOptions};
use aftercare_service::inventory::{self, SbomFile};
use aftercare_service::{Context, Workspace, WorkspaceLocation};

async fn run(url: &str, releases: usize, count: usize, packages: &[(String, String, Vec<String>)]) {
    // As a server keeps it.
    let workspace = Workspace::open(WorkspaceLocation::Database(url.to_string()))
        .await
        .map(finding::keep_warm)
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
    let context = Context::new(account::actor_of(&admin), jiff::Timestamp::now());
    feed::add(
        &workspace,
        &context,
        &principal,
        &NewFeedRequest {
            name: "osv".into(),
            kind: FeedKind::Osv,
            url: None,
            path: Some(aftercare_testdata::path("osv").display().to_string()),
            ecosystem: None,
        },
    )
    .await
    .unwrap();
    let started = Instant::now();
    let report = aftercare_service::flow::sync(
        &workspace,
        &context,
        &principal,
        "osv",
        &SyncOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    println!(
        "  sync of every shared OSV record ({} new): {:.1} s",
        report.sync.counts.new,
        started.elapsed().as_secs_f64()
    );
    inventory::add_product(&workspace, &context, "Bench", None)
        .await
        .unwrap();
    let mut imports = Vec::new();
    let mut matches = Vec::new();
    let mut findings = 0;
    for index in 0..releases {
        let file = SbomFile {
            name: format!("bench-{index}.cdx.json"),
            bytes: common::sbom(packages, count, index),
        };
        let started = Instant::now();
        let outcome = aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Bench",
            &index.to_string(),
            Some(&file),
        )
        .await
        .unwrap();
        imports.push(started.elapsed());
        let matched = outcome.matched.unwrap();
        findings += matched.opened.len();
        matches.push(matched.elapsed);
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    println!(
        "  import + match of one release of {count} components: median {:.0} ms (match alone {:.0} ms); {findings} findings in {releases} releases",
        median(imports).as_secs_f64() * 1e3,
        median(matches).as_secs_f64() * 1e3,
    );
    for pass in ["first", "second"] {
        let started = Instant::now();
        let all = finding::rematch(&workspace, &context, MatchScope::All)
            .await
            .unwrap();
        println!(
            "  full re-match, warm ({pass}): {} components, {} records ({} confirmed, {} changed): {:.0} ms",
            all.components,
            all.records,
            all.confirmed,
            all.changed.len(),
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    // A one-shot process (the CLI's `aftercare match --all`) reads everything first.
    let cold = Workspace::open(WorkspaceLocation::Database(url.to_string()))
        .await
        .unwrap();
    let started = Instant::now();
    let all = finding::rematch(&cold, &context, MatchScope::All)
        .await
        .unwrap();
    println!(
        "  full re-match, cold process: {} components ({} confirmed, {} changed): {:.0} ms",
        all.components,
        all.confirmed,
        all.changed.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    drop(cold);
    // The warm state reloads the findings once after another process matched.
    let started = Instant::now();
    finding::rematch(&workspace, &context, MatchScope::Release(1))
        .await
        .unwrap();
    println!(
        "  (the warm state reloads the findings another process touched: {:.0} ms)",
        started.elapsed().as_secs_f64() * 1e3
    );

    // A feed delta of 100 changed records: 100 advisories on packages of every release.
    let dir = tempfile::tempdir().unwrap();
    let chosen: Vec<&(String, String, Vec<String>)> = packages
        .iter()
        .take(count)
        .step_by((count / 100).max(1))
        .take(100)
        .collect();
    let write = |revision: &str, moved: bool| {
        for (n, (ty, name, versions)) in chosen.iter().enumerate() {
            let ecosystem = match ty.as_str() {
                "pypi" => "PyPI",
                "cargo" => "crates.io",
                "npm" => "npm",
                _ => "Go",
            };
            let half = versions.len() / 2;
            let affected: &[String] = if moved {
                &versions[half..]
            } else {
                &versions[..half.max(1)]
            };
            let record = serde_json::json!({
                "schema_version": "1.6.0",
                "id": format!("BENCH-{n:04}"),
                "modified": revision,
                "summary": format!("benchmark advisory {n}"),
                "affected": [{"package": {"ecosystem": ecosystem, "name": name}, "versions": affected}],
            });
            std::fs::write(
                dir.path().join(format!("BENCH-{n:04}.json")),
                serde_json::to_vec(&record).unwrap(),
            )
            .unwrap();
        }
    };
    write("2026-01-01T00:00:00Z", false);
    feed::add(
        &workspace,
        &context,
        &principal,
        &NewFeedRequest {
            name: "bench-delta".into(),
            kind: FeedKind::Osv,
            url: None,
            path: Some(dir.path().display().to_string()),
            ecosystem: None,
        },
    )
    .await
    .unwrap();
    let delta = |label: &'static str| {
        let workspace = workspace.clone();
        let context = context.clone();
        let principal = principal.clone();
        async move {
            let started = Instant::now();
            let report = aftercare_service::flow::sync(
                &workspace,
                &context,
                &principal,
                "bench-delta",
                &SyncOptions::default(),
                &NoProgress,
            )
            .await
            .unwrap();
            let matched = report.matched.unwrap();
            println!(
                "  delta of 100 records, {label}: sync {:.0} ms, of which the re-match {:.0} ms over {} components ({} opened, {} closed, {} changed, {} confirmed)",
                started.elapsed().as_secs_f64() * 1e3,
                matched.elapsed.as_secs_f64() * 1e3,
                matched.components,
                matched.opened.len(),
                matched.closed.len(),
                matched.changed.len(),
                matched.confirmed,
            );
        }
    };
    delta("new").await;
    write("2026-01-02T00:00:00Z", false);
    delta("changed without effect on the findings").await;
    write("2026-01-03T00:00:00Z", true);
    delta("changed, affecting other versions").await;
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let releases: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let packages = common::packages();
    assert!(
        packages.len() >= count,
        "only {} packages with version lists",
        packages.len()
    );
    let dir = tempfile::tempdir().unwrap();
    println!("SQLite, {releases} releases × {count} components");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    run(&url, releases, count, &packages).await;
    if let Ok(url) = std::env::var("AFTERCARE_BENCH_POSTGRES_URL") {
        println!("PostgreSQL, {releases} releases × {count} components");
        run(&url, releases, count, &packages).await;
    }
}
