//! Matching throughput on the shared real data.
//!
//! `cargo run --release -p aftercare-match --example match_bench` reads every OSV zip of
//! `$AFTERCARE_SHARED_DATA/osv` (default `../shared/data/osv`), builds the index, writes and
//! lazily reads the compiled index file, scans generated SBOMs, matches a generated portfolio
//! of 1,000 releases × 1,000 components (each distinct component once) and compares every
//! release's stored findings with the matches (the pure finding comparison of a full re-match). Every step runs three times and the best run is shown (wall clock, one thread).
//!
//! The portfolio is 20 products × 50 releases; each product starts from 1,000 packages (half
//! named by the OSV records at versions their ranges mention, half without any record) and
//! each release upgrades 2 % of its predecessor's components, as real product lines do.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aftercare_intel::Record;
use aftercare_intel::record::RangeEvent;
use aftercare_match::file::{self, IndexFile};
use aftercare_match::reconcile::{Found, Outcome, Stored, reconcile};
use aftercare_match::{Component, Index};
use aftercare_model::{Ecosystem, PackageKey};

fn data_dir() -> PathBuf {
    std::env::var_os("AFTERCARE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn best<T>(runs: usize, mut step: impl FnMut() -> T) -> (Duration, T) {
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = step();
        let elapsed = start.elapsed();
        if best.as_ref().is_none_or(|(time, _)| elapsed < *time) {
            best = Some((elapsed, value));
        }
    }
    match best {
        Some(found) => found,
        None => (Duration::ZERO, step()),
    }
}

fn row(step: &str, items: String, time: Duration) {
    println!(
        "| {step:<58} | {items:>26} | {:>10.1} ms |",
        time.as_secs_f64() * 1000.0
    );
}

/// A small deterministic generator (no dependency, same numbers on every machine).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

/// Real packages with versions their records mention.
fn candidates(records: &[Record]) -> Vec<(PackageKey, Vec<String>)> {
    let mut by_key: BTreeMap<PackageKey, Vec<String>> = BTreeMap::new();
    for record in records {
        for package in &record.packages {
            let Some(key) = &package.key else {
                continue;
            };
            if matches!(key.ecosystem, Ecosystem::OssFuzz | Ecosystem::Other(_)) {
                continue;
            }
            let versions = by_key.entry(key.clone()).or_default();
            for range in &package.ranges {
                for event in &range.events {
                    if let RangeEvent::Introduced(v)
                    | RangeEvent::Fixed(v)
                    | RangeEvent::LastAffected(v) = event
                        && v != "0"
                        && versions.len() < 6
                    {
                        versions.push(v.clone());
                    }
                }
            }
            versions.extend(package.versions.iter().take(2).cloned());
        }
    }
    by_key
        .into_iter()
        .filter(|(_, versions)| !versions.is_empty())
        .collect()
}

fn synthetic(number: usize) -> (PackageKey, Vec<String>) {
    let ecosystem = [Ecosystem::PyPI, Ecosystem::Npm, Ecosystem::CratesIo][number % 3].clone();
    (
        PackageKey::new(ecosystem, &format!("bench-package-{number:05}")),
        vec![
            "1.0.0".into(),
            "1.1.0".into(),
            "2.0.0".into(),
            "2.1.3".into(),
        ],
    )
}

/// 20 products × 50 releases × 1,000 components, as package-keyed components.
fn portfolio_rows(candidates: &[(PackageKey, Vec<String>)]) -> Vec<Vec<Component>> {
    let mut random = Lcg(7);
    let mut releases = Vec::with_capacity(1000);
    for product in 0..20 {
        let mut packages: Vec<(PackageKey, Vec<String>)> = Vec::with_capacity(1000);
        let mut seen = HashSet::new();
        while packages.len() < 1000 {
            let entry = if random.below(2) == 0 {
                candidates[random.below(candidates.len())].clone()
            } else {
                synthetic(product * 1000 + packages.len())
            };
            if seen.insert(entry.0.clone()) {
                packages.push(entry);
            }
        }
        let mut current: Vec<usize> = packages
            .iter()
            .map(|(_, v)| random.below(v.len()))
            .collect();
        for _release in 0..50 {
            for _ in 0..20 {
                let which = random.below(packages.len());
                current[which] = random.below(packages[which].1.len());
            }
            releases.push(
                packages
                    .iter()
                    .zip(&current)
                    .map(|((key, versions), at)| {
                        Component::from_package(key.clone(), Some(&versions[*at]))
                    })
                    .collect(),
            );
        }
    }
    releases
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = data_dir();
    let mut zips: Vec<PathBuf> = std::fs::read_dir(data.join("osv"))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "zip"))
        .collect();
    zips.sort();
    let mut records: Vec<Record> = Vec::new();
    for zip in &zips {
        let batch = aftercare_intel::archive::read_path(zip, &aftercare_intel::Limits::default())?;
        records.extend(
            batch
                .documents
                .into_iter()
                .flat_map(|document| document.into_records()),
        );
    }
    println!(
        "| step                                                       |                      items |       time |"
    );
    println!(
        "|------------------------------------------------------------|----------------------------|------------|"
    );
    let (time, index) = best(3, || Index::build(records.iter().cloned()));
    row(
        "index build (prepare + alias merge + severity)",
        format!("{} records", records.len()),
        time,
    );
    let (time, bytes) = best(3, || file::write(&index, &[], "bench"));
    row("index file write", format!("{} bytes", bytes.len()), time);

    let candidates = candidates(&records);
    let releases = portfolio_rows(&candidates);
    for size in [1000usize, 5000, 50000] {
        let components: Vec<Component> = releases
            .iter()
            .flatten()
            .step_by(19)
            .take(size)
            .cloned()
            .collect();
        let (time, loaded) = best(3, || -> Result<Index, aftercare_match::MatchError> {
            IndexFile::open(bytes.as_slice())?.load(&components)
        });
        let loaded = loaded?;
        row(
            &format!("index file open + lazy load for {size} components"),
            format!("{} records loaded", loaded.len()),
            time,
        );
        let (time, scan) = best(3, || loaded.scan(&components, &[]));
        row(
            &format!("scan of {size} components"),
            format!("{} findings", scan.findings.len()),
            time,
        );
    }

    // The finding comparison of a full re-match of the portfolio: each distinct component is
    // matched once, then every release's stored findings are compared with the matches of its
    // components (one in a hundred stored findings made stale, so that some change).
    let rows: usize = releases.iter().map(Vec::len).sum();
    let (time, (distinct, identities)) = best(3, || {
        let mut known: HashMap<&Component, u32> = HashMap::new();
        let mut distinct: Vec<Component> = Vec::new();
        let identities: Vec<Vec<u32>> = releases
            .iter()
            .map(|release| {
                release
                    .iter()
                    .map(|c| {
                        *known.entry(c).or_insert_with(|| {
                            distinct.push(c.clone());
                            (distinct.len() - 1) as u32
                        })
                    })
                    .collect()
            })
            .collect();
        (distinct, identities)
    });
    row(
        "portfolio: 1,000 releases x 1,000 components -> identities",
        format!("{rows} rows, {} distinct", distinct.len()),
        time,
    );
    let (time, scan) = best(3, || index.scan(&distinct, &[]));
    row(
        "portfolio: match of every distinct component",
        format!("{} pairs", scan.findings.len()),
        time,
    );
    let mut names: HashMap<String, u32> = HashMap::new();
    let mut found: Vec<Vec<Found>> = vec![Vec::new(); distinct.len()];
    for finding in &scan.findings {
        let next = names.len() as u32;
        let name = *names
            .entry(finding.vulnerability.to_string())
            .or_insert(next);
        let digest = u128::from(name) << 64 | finding.fixed_versions.len() as u128;
        found[finding.component].push(Found {
            name: Some(name),
            vulnerability: Some(i64::from(name)),
            digest,
        });
    }
    let mut random = Lcg(11);
    let stored: Vec<Vec<Vec<Stored>>> = identities
        .iter()
        .map(|release| {
            release
                .iter()
                .map(|identity| {
                    found[*identity as usize]
                        .iter()
                        .map(|f| Stored {
                            name: f.name.unwrap_or(0),
                            vulnerability: f.vulnerability,
                            open: true,
                            digest: f.digest ^ u128::from(random.below(100) == 0),
                            in_play: true,
                            held: false,
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let (time, (findings, changed)) = best(3, || {
        let (mut seen, mut out) = (Vec::new(), Vec::new());
        let (mut findings, mut changed) = (0usize, 0usize);
        for (release, stored) in identities.iter().zip(&stored) {
            for (identity, stored) in release.iter().zip(stored) {
                out.clear();
                reconcile(
                    stored,
                    &found[*identity as usize],
                    |_, _| false,
                    &mut seen,
                    &mut out,
                );
                findings += out.len();
                changed += out
                    .iter()
                    .filter(|o| matches!(o, Outcome::Changed { .. }))
                    .count();
            }
        }
        (findings, changed)
    });
    row(
        "portfolio: compare every stored finding (reconcile)",
        format!("{findings} findings, {changed} changed"),
        time,
    );
    Ok(())
}
