//! Benchmark: the fix evidence of a remediation plan that covers 10,000 findings across 100
//! releases of 1,000 components (issue 13: under 1 s on SQLite), and the chain `patch show`
//! prints (under 200 ms; the whole `aftercare patch show` process is timed from outside with
//! farm-bench on the workspace this leaves behind).
//!
//! Every shared OSV record is synced into a fresh workspace; RELEASES releases of COMPONENTS
//! components each are imported (the portfolio of `finding_bench`); the plan names the open
//! findings of the vulnerabilities found in the most releases, up to FINDINGS of them; the
//! patch release (2.0) is the next release with a tenth of those vulnerabilities' packages removed
//! and the rest kept, so that its fix evidence mixes `removed`, `upgraded` and `not fixed`.
//!
//! `cargo run --release -p aftercare-service --example patch_bench [DIR [RELEASES [COMPONENTS [FINDINGS]]]]`
//! (default a temporary directory, 100 × 1,000, 10,000 findings). With DIR the workspace
//! stays there for `aftercare patch show "Bench@2.0" --workspace DIR`; run again on an existing
//! DIR, it measures that workspace again without building it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aftercare_service::access::account;
use aftercare_service::access::auth::Principal;
use aftercare_service::access::password::Password;
use aftercare_service::finding::{self, FindingQuery};
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::sync::{NoProgress, SyncOptions};
use aftercare_service::inventory::{self, SbomFile};
use aftercare_service::patch::{chain, plan, release};
use aftercare_service::{Context, Workspace, WorkspaceLocation};

fn best(mut runs: Vec<Duration>) -> (f64, f64) {
    runs.sort();
    (
        runs[0].as_secs_f64() * 1e3,
        runs[runs.len() / 2].as_secs_f64() * 1e3,
    )
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let temporary = tempfile::tempdir().unwrap();
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temporary.path().join("workspace"));
    let releases: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let wanted: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    if dir.exists() {
        // A workspace an earlier run left: measure it again.
        let workspace = Workspace::open(WorkspaceLocation::Directory(dir.clone()))
            .await
            .unwrap();
        measure(&workspace).await;
        return;
    }
    let packages = common::packages();
    let workspace = Workspace::open(WorkspaceLocation::Directory(dir.clone()))
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
    aftercare_service::flow::sync(
        &workspace,
        &context,
        &principal,
        "osv",
        &SyncOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    inventory::add_product(&workspace, &context, "Bench", None)
        .await
        .unwrap();
    let started = Instant::now();
    for index in 0..releases {
        aftercare_service::flow::import_release(
            &workspace,
            &context,
            "Bench",
            &format!("1.{index}"),
            Some(&SbomFile {
                name: format!("bench-{index}.cdx.json"),
                bytes: common::sbom(&packages, count, index),
            }),
        )
        .await
        .unwrap();
    }
    println!(
        "{releases} releases of {count} components imported and matched in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The vulnerabilities found in the most releases, until the plan holds `wanted` findings.
    let mut open = Vec::new();
    loop {
        let page = finding::list(
            &workspace,
            &FindingQuery {
                state: Some("open".into()),
                limit: 10_000,
                offset: i64::try_from(open.len()).unwrap(),
                ..FindingQuery::default()
            },
        )
        .await
        .unwrap()
        .findings;
        if page.is_empty() {
            break;
        }
        open.extend(page);
    }
    let mut by_vulnerability: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in &open {
        by_vulnerability
            .entry(row.vulnerability.clone())
            .or_default()
            .push(row.id);
    }
    let mut ranked: Vec<(String, Vec<i64>)> = by_vulnerability.into_iter().collect();
    ranked.sort_by_key(|(name, ids)| (std::cmp::Reverse(ids.len()), name.clone()));
    let mut chosen: Vec<String> = Vec::new();
    let mut ids: Vec<i64> = Vec::new();
    for (name, list) in ranked {
        if ids.len() >= wanted {
            break;
        }
        let take = (wanted - ids.len()).min(list.len());
        ids.extend(&list[..take]);
        chosen.push(name);
    }
    let started = Instant::now();
    let created = plan::create(
        &workspace,
        &context,
        &principal,
        &plan::NewPlan {
            product: "Bench".into(),
            findings: ids.clone(),
            target_version: "2.0".into(),
            cycle: "out_of_cycle".into(),
            owner: "bench".into(),
            ..plan::NewPlan::default()
        },
    )
    .await
    .unwrap();
    println!(
        "plan of {} findings ({} vulnerabilities, {} open findings in the workspace) created in {:.0} ms",
        created.findings.len(),
        chosen.len(),
        open.len(),
        started.elapsed().as_secs_f64() * 1e3
    );

    // The patch: the next release, without a tenth of the chosen vulnerabilities' packages.
    let chosen_set: BTreeSet<&str> = chosen.iter().map(String::as_str).collect();
    let packages_of_chosen: BTreeSet<String> = open
        .iter()
        .filter(|row| chosen_set.contains(row.vulnerability.as_str()))
        .map(|row| row.component_name.clone())
        .collect();
    let dropped: BTreeSet<&String> = packages_of_chosen.iter().step_by(10).collect();
    let mut document: serde_json::Value =
        serde_json::from_slice(&common::sbom(&packages, count, releases)).unwrap();
    document["components"]
        .as_array_mut()
        .unwrap()
        .retain(|c| !dropped.contains(&c["name"].as_str().unwrap_or("").to_string()));
    let started = Instant::now();
    aftercare_service::flow::import_patch_release(
        &workspace,
        &context,
        &principal,
        "Bench",
        "2.0",
        Some(&SbomFile {
            name: "bench-patch.cdx.json".into(),
            bytes: serde_json::to_vec(&document).unwrap(),
        }),
        &[created.row.id],
    )
    .await
    .unwrap();
    println!(
        "patch release imported, matched and attached in {:.0} ms ({} packages removed)",
        started.elapsed().as_secs_f64() * 1e3,
        dropped.len()
    );

    measure(&workspace).await;
    if std::env::args().nth(1).is_some() {
        println!(
            "workspace kept at {}: aftercare patch show Bench@2.0 --workspace {}",
            dir.display(),
            dir.display()
        );
    }
}

/// The fix evidence and the chain of the patch release, five times each.
async fn measure(workspace: &Workspace) {
    let workspace = workspace.clone();
    // The fix evidence: read everything the rules need and compute it, five times.
    let mut runs = Vec::new();
    let mut state = None;
    for _ in 0..5 {
        let started = Instant::now();
        state = Some(release::state(&workspace, "Bench", "2.0").await.unwrap());
        runs.push(started.elapsed());
    }
    let state = state.unwrap();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for fix in &state.fixes {
        *outcomes.entry(fix.evidence.label()).or_default() += 1;
    }
    let (min, median) = best(runs);
    println!(
        "fix evidence of {} findings (PatchState: reads + aftercare_patch::plan_fixes): min {min:.0} ms, median {median:.0} ms; {outcomes:?}",
        state.fixes.len()
    );
    let mut runs = Vec::new();
    let mut links = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let chain = chain::chain(&workspace, "Bench", "2.0", jiff::Timestamp::now())
            .await
            .unwrap();
        links = chain.links.len();
        runs.push(started.elapsed());
    }
    let (min, median) = best(runs);
    println!(
        "chain (patch show's read model, {links} vulnerabilities): min {min:.0} ms, median {median:.0} ms"
    );
}
