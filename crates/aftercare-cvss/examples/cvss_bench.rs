//! Parse-and-score throughput per CVSS version, without a benchmark framework:
//! `cargo run --release -p aftercare-cvss --example cvss_bench`.
//!
//! The vectors are those of `tests/data/vectors.tsv` (random base, temporal or threat and
//! environmental metrics). One operation parses a vector and computes every score it has;
//! the rustsec `cvss` crate is timed on the same vectors for comparison.
//!
//! On Linux the time is the thread's CPU time (from /proc/thread-self/schedstat), so that other
//! work on a busy machine does not inflate the figures; elsewhere it is wall-clock time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aftercare_cvss::CvssVersion;

/// How long each measurement runs at least.
const TARGET: Duration = Duration::from_millis(500);

/// Nanoseconds of CPU time this thread has used, if the kernel tells.
fn thread_cpu_nanoseconds() -> Option<u64> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    schedstat.split_whitespace().next()?.parse().ok()
}

/// Runs `operation` over `vectors` repeatedly for about `TARGET`; nanoseconds per vector.
fn measure(vectors: &[&str], mut operation: impl FnMut(&str) -> f64) -> f64 {
    // Warm up caches and branch predictors.
    for vector in vectors {
        black_box(operation(black_box(vector)));
    }
    let mut operations: u64 = 0;
    let start = Instant::now();
    let start_cpu = thread_cpu_nanoseconds();
    while start.elapsed() < TARGET {
        for vector in vectors {
            black_box(operation(black_box(vector)));
        }
        operations += vectors.len() as u64;
    }
    let elapsed = match (start_cpu, thread_cpu_nanoseconds()) {
        (Some(start), Some(end)) => end.saturating_sub(start) as f64,
        _ => start.elapsed().as_nanos() as f64,
    };
    elapsed / operations as f64
}

/// Every score of one vector, summed so that none is optimized away.
fn ours(vector: &str) -> f64 {
    match aftercare_cvss::parse(vector) {
        Ok(cvss) => {
            cvss.base_score()
                + cvss.temporal_score().unwrap_or(0.0)
                + cvss.threat_score().unwrap_or(0.0)
                + cvss.environmental_score().unwrap_or(0.0)
        }
        Err(_) => -1.0,
    }
}

/// The rustsec crate's scores of one vector (v4.0: only the score of the vector as written).
fn rustsec(vector: &str) -> f64 {
    match vector.parse::<cvss::Cvss>() {
        Ok(cvss::Cvss::CvssV20(vector)) => {
            vector.score().value()
                + vector.temporal_score().value()
                + vector.environmental_score().value()
        }
        Ok(cvss::Cvss::CvssV30(vector) | cvss::Cvss::CvssV31(vector)) => {
            vector.base_score().value()
                + vector.temporal_score().value()
                + vector.environmental_score().value()
        }
        Ok(other) => other.score(),
        Err(_) => -1.0,
    }
}

fn main() {
    let data = include_str!("../tests/data/vectors.tsv");
    println!("version  vectors  aftercare-cvss ns/op  rustsec cvss ns/op");
    for version in CvssVersion::ALL {
        // Normalized forms, so that both crates read every vector.
        let normalized: Vec<String> = data
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| aftercare_cvss::parse(line.split('\t').next()?).ok())
            .filter(|cvss| cvss.version() == version)
            .map(|cvss| cvss.vector())
            .collect();
        let vectors: Vec<&str> = normalized.iter().map(String::as_str).collect();
        let ours = measure(&vectors, ours);
        let theirs = measure(&vectors, rustsec);
        println!(
            "{:<8} {:>7}  {:>20.0}  {:>18.0}",
            version.to_string(),
            vectors.len(),
            ours,
            theirs
        );
    }
}
