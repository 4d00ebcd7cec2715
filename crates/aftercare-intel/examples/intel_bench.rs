//! Throughput of the readers and the alias merge on the shared real data.
//!
//! `cargo run --release -p aftercare-intel --example intel_bench` reads every OSV zip of
//! `$AFTERCARE_SHARED_DATA/osv` (default `../shared/data/osv`) into normalized records, merges
//! their aliases, reads the CISA CSAF zip, and prints a table. Timings are wall-clock on one
//! thread; each step is run three times and the best run is shown, as wall-clock time and as
//! the thread's CPU time (Linux only), which is the fairer measure on a shared machine.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aftercare_intel::alias::{self, AliasEntry, AliasGraph, Change};
use aftercare_intel::archive::{self, Limits};

fn data_dir() -> PathBuf {
    std::env::var_os("AFTERCARE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// The CPU time this thread has used, from Linux's `/proc/thread-self/schedstat` (in
/// nanoseconds); `None` elsewhere. On a shared machine the CPU time tells the cost of a
/// step better than the wall clock, which also counts the time other processes ran.
fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanoseconds: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanoseconds))
}

/// A step's best wall time and best CPU time over some runs.
struct Timing {
    wall: Duration,
    cpu: Option<Duration>,
}

fn best<T>(runs: usize, mut step: impl FnMut() -> T) -> (Timing, T) {
    let mut timing = Timing {
        wall: Duration::MAX,
        cpu: None,
    };
    let mut value = None;
    for _ in 0..runs.max(1) {
        let (start, cpu_start) = (Instant::now(), cpu_time());
        let result = step();
        let wall = start.elapsed();
        let cpu = cpu_time()
            .zip(cpu_start)
            .map(|(end, start)| end.saturating_sub(start));
        timing.wall = timing.wall.min(wall);
        timing.cpu = match (timing.cpu, cpu) {
            (Some(known), Some(found)) => Some(known.min(found)),
            (known, found) => known.or(found),
        };
        value = Some(result);
    }
    match value {
        Some(value) => (timing, value),
        None => (timing, step()),
    }
}

fn row(step: &str, items: usize, unit: &str, timing: Timing) {
    let rate = |time: Duration| {
        let seconds = time.as_secs_f64();
        if seconds > 0.0 {
            items as f64 / seconds
        } else {
            0.0
        }
    };
    // The scheduler accounts CPU time in ticks: below a few milliseconds it says nothing.
    let cpu = match timing.cpu {
        Some(cpu) if cpu >= Duration::from_millis(5) => format!(
            "{:>8.1} ms | {:>9.0} {unit}/s",
            cpu.as_secs_f64() * 1000.0,
            rate(cpu)
        ),
        _ => format!("{:>11} | {:>9} {unit}/s", "-", "-"),
    };
    println!(
        "| {step:<40} | {items:>6} {unit:<9} | {:>8.1} ms | {:>9.0} {unit}/s | {cpu} |",
        timing.wall.as_secs_f64() * 1000.0,
        rate(timing.wall),
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = data_dir();
    let limits = Limits::default();
    let mut zips: Vec<PathBuf> = std::fs::read_dir(data.join("osv"))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "zip"))
        .collect();
    zips.sort();
    // Read the files once so that the timings measure parsing, not the disk.
    let bytes: Vec<(String, Vec<u8>)> = zips
        .iter()
        .map(|path| Ok((path.display().to_string(), std::fs::read(path)?)))
        .collect::<Result<_, std::io::Error>>()?;

    println!(
        "| step                                     | items            | wall time   | wall rate                | CPU time    | CPU rate                 |"
    );
    println!(
        "|------------------------------------------|------------------|-------------|--------------------------|-------------|--------------------------|"
    );
    // The floor: decompressing the members without reading them.
    let (time, members) = best(3, || {
        let mut members = 0usize;
        let mut buffer = Vec::new();
        for (_, bytes) in &bytes {
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
            for index in 0..archive.len() {
                let mut member = archive.by_index(index)?;
                buffer.clear();
                std::io::Read::read_to_end(&mut member, &mut buffer)?;
                members += 1;
            }
        }
        Ok::<usize, Box<dyn std::error::Error>>(members)
    });
    row("unzip only (the floor)", members?, "members", time);
    // What a sync does: visit each document, hand its records on, drop them.
    let (time, count) = best(3, || {
        let mut count = 0usize;
        for (name, bytes) in &bytes {
            archive::visit_zip(name, std::io::Cursor::new(bytes), &limits, |entry| {
                if let Ok(parsed) = entry.result {
                    count += parsed.records().len();
                }
            })?;
        }
        Ok::<usize, aftercare_intel::IntelError>(count)
    });
    row("read OSV zips, streaming", count?, "records", time);
    let (time, batches) = best(3, || {
        bytes
            .iter()
            .map(|(name, bytes)| archive::read_zip(name, std::io::Cursor::new(bytes), &limits))
            .collect::<Result<Vec<_>, _>>()
    });
    let batches = batches?;
    let records: Vec<&aftercare_intel::Record> =
        batches.iter().flat_map(|batch| batch.records()).collect();
    row(
        "read OSV zips, all kept in memory",
        records.len(),
        "records",
        time,
    );

    let entries: Vec<AliasEntry<usize>> = records
        .iter()
        .enumerate()
        .map(|(index, record)| AliasEntry::from_record(index, record))
        .collect();
    let (time, groups) = best(3, || alias::merge(entries.clone()));
    row(
        "alias merge of the OSV records",
        entries.len(),
        "records",
        time,
    );
    println!("|   → {} vulnerabilities", groups.len());
    let (time, _) = best(3, || {
        let mut graph = AliasGraph::new();
        for batch in entries.chunks(1000) {
            graph.apply(batch.iter().cloned().map(Change::Upsert));
        }
        graph
    });
    row(
        "alias merge, incremental, 1000 a batch",
        entries.len(),
        "records",
        time,
    );
    let mut graph = AliasGraph::new();
    graph.apply(entries.iter().cloned().map(Change::Upsert));
    let changed: Vec<AliasEntry<usize>> = entries.iter().step_by(17).take(100).cloned().collect();
    let (time, _) = best(3, || {
        for entry in &changed {
            graph.apply([Change::Upsert(entry.clone())]);
        }
    });
    row(
        "alias merge, 100 single-record updates",
        changed.len(),
        "updates",
        time,
    );

    if std::env::args().any(|argument| argument == "--osv-only") {
        return Ok(());
    }
    let csaf = std::fs::read(data.join("csaf/cisa-csaf-icsa-va.zip"))?;
    let (time, batch) = best(3, || {
        archive::read_zip(
            "cisa-csaf-icsa-va.zip",
            std::io::Cursor::new(&csaf),
            &limits,
        )
    });
    let batch = batch?;
    row(
        "read CISA CSAF zip",
        batch.documents.len(),
        "documents",
        time,
    );

    let redhat = std::fs::read(data.join("csaf/redhat-csaf.zip"))?;
    let (time, batch) = best(3, || {
        archive::read_zip("redhat-csaf.zip", std::io::Cursor::new(&redhat), &limits)
    });
    let batch = batch?;
    row(
        "read Red Hat CSAF zip (incl. 9 .xz)",
        batch.documents.len(),
        "documents",
        time,
    );

    let cve5 = std::fs::read(data.join("cve5/vulnrichment-sample.zip"))?;
    let (time, batch) = best(3, || {
        archive::read_zip(
            "vulnrichment-sample.zip",
            std::io::Cursor::new(&cve5),
            &limits,
        )
    });
    let batch = batch?;
    row("read CVE 5 zip", batch.records().count(), "records", time);
    Ok(())
}
