//! Times parsing and comparison per scheme on real version strings.
//!
//! Run with `cargo run --release -p aftercare-version --example version_bench`. Inputs are every
//! version string of the shared OSV data (versions lists and range events) of the
//! ecosystems that have data, and a fixed list of real versions for the others. Prints
//! nanoseconds per parse, per comparison, and per range evaluation.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use aftercare_version::range::Range;
use aftercare_version::{RangeEvent, Scheme, Version, parse};
use serde_json::Value;

/// Real versions for schemes without OSV data in the shared folder.
const SAMPLES: &[(Scheme, &[&str])] = &[
    (
        Scheme::Npm,
        &[
            "4.17.21",
            "1.2.6",
            "2.29.4",
            "0.4.0",
            "11.1.2",
            "5.0.0-beta.3",
            "1.0.0-rc.1",
        ],
    ),
    (
        Scheme::NuGet,
        &[
            "13.0.1",
            "4.7.2",
            "6.0.0-preview.7.21377.19",
            "1.0.0.1",
            "2.29.2",
        ],
    ),
    (
        Scheme::RubyGems,
        &[
            "7.0.4.3",
            "6.1.7.1",
            "2.0.0.rc1",
            "1.13.10",
            "3.2.0.pre.beta.1",
        ],
    ),
    (
        Scheme::Packagist,
        &[
            "v4.1.13",
            "4.3beta2",
            "9.5.1",
            "2.0.0-RC1",
            "1.x-dev",
            "10.4.13-p1",
        ],
    ),
    (Scheme::Hex, &["0.7.2", "1.14.0-rc.1", "2.0.3", "0.19.1"]),
    (Scheme::Pub, &["1.0.0-dev.29", "2.3.4+5", "0.13.6", "3.1.0"]),
    (
        Scheme::Debian,
        &[
            "1:2.30-4+deb12u1",
            "3.20230808.1~deb11u1",
            "2.4.57-2",
            "1.1.1n-0+deb11u5",
        ],
    ),
    (
        Scheme::Rpm,
        &[
            "2:8.2.2637-20.el9_1",
            "1.1.1k-9.el8_7",
            "3.0.7-16.el9_2",
            "1.0^git1-1.fc38",
        ],
    ),
    (
        Scheme::Alpine,
        &[
            "3.1.4-r5",
            "1.36.1-r2",
            "8.4.0_rc1-r0",
            "2.4.57_git20230101-r1",
        ],
    ),
];

fn ecosystem_versions() -> BTreeMap<Scheme, Vec<String>> {
    let mut versions: BTreeMap<Scheme, Vec<String>> = BTreeMap::new();
    for zip in aftercare_testdata::zips_in("osv") {
        for entry in aftercare_testdata::zip_entries(&zip) {
            let Ok(record) = serde_json::from_slice::<Value>(&entry.bytes) else {
                continue;
            };
            for affected in record["affected"].as_array().into_iter().flatten() {
                let Some(scheme) = affected["package"]["ecosystem"]
                    .as_str()
                    .and_then(Scheme::from_osv_ecosystem)
                else {
                    continue;
                };
                let list = versions.entry(scheme).or_default();
                for version in affected["versions"].as_array().into_iter().flatten() {
                    list.extend(version.as_str().map(str::to_owned));
                }
                for range in affected["ranges"].as_array().into_iter().flatten() {
                    if range["type"] == "GIT" {
                        continue;
                    }
                    for event in range["events"].as_array().into_iter().flatten() {
                        for value in event
                            .as_object()
                            .into_iter()
                            .flat_map(|object| object.values())
                        {
                            list.extend(
                                value
                                    .as_str()
                                    .filter(|text| *text != "0")
                                    .map(str::to_owned),
                            );
                        }
                    }
                }
            }
        }
    }
    for (scheme, samples) in SAMPLES {
        versions
            .entry(*scheme)
            .or_default()
            .extend(samples.iter().map(|text| (*text).to_owned()));
    }
    versions
}

fn nanoseconds_per(operations: usize, start: Instant) -> f64 {
    start.elapsed().as_nanos() as f64 / operations as f64
}

fn main() {
    let inputs = ecosystem_versions();
    println!(
        "{:<10} {:>8} {:>12} {:>12} {:>14}",
        "scheme", "inputs", "parse ns/op", "cmp ns/op", "range ns/eval"
    );
    for (scheme, texts) in &inputs {
        let parsed: Vec<Version> = texts
            .iter()
            .filter_map(|text| parse(*scheme, text).ok())
            .collect();
        if parsed.is_empty() {
            continue;
        }
        // At least about a million operations per figure, whatever the input size.
        let rounds = (1_000_000 / texts.len()).max(1);

        let start = Instant::now();
        for _ in 0..rounds {
            for text in texts {
                let _ = black_box(parse(*scheme, black_box(text)));
            }
        }
        let parse_ns = nanoseconds_per(rounds * texts.len(), start);

        // Compare each version with one far away in the list, so branches do not learn.
        let length = parsed.len();
        let rounds = (2_000_000 / length).max(1);
        let start = Instant::now();
        let mut less = 0_usize;
        for round in 0..rounds {
            for index in 0..length {
                let other = (index * 7 + round + 1) % length;
                less += usize::from(black_box(&parsed[index]) < black_box(&parsed[other]));
            }
        }
        let compare_ns = nanoseconds_per(rounds * length, start);
        black_box(less);

        // A typical range: introduced at the lower quartile, fixed at the median.
        let mut sorted = parsed.clone();
        sorted.sort();
        let events = [
            RangeEvent::Introduced(sorted[length / 4].as_str().to_owned()),
            RangeEvent::Fixed(sorted[length / 2].as_str().to_owned()),
            RangeEvent::Introduced(sorted[3 * length / 4].as_str().to_owned()),
            RangeEvent::Fixed(sorted[length - 1].as_str().to_owned()),
        ];
        let range = Range::with_scheme(*scheme, &events).expect("events come from parsed versions");
        let start = Instant::now();
        let mut affected = 0_usize;
        for _ in 0..rounds {
            for version in &parsed {
                affected += usize::from(range.contains(black_box(version)).unwrap());
            }
        }
        let range_ns = nanoseconds_per(rounds * length, start);
        black_box(affected);

        println!(
            "{:<10} {:>8} {:>12.1} {:>12.1} {:>14.1}",
            scheme.name(),
            texts.len(),
            parse_ns,
            compare_ns,
            range_ns
        );
    }
}
