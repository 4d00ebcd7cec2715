//! Benchmark of `aftercare_sbom::read` (a benchmark, not a test: timings depend on the
//! machine).
//!
//! ```text
//! cargo run --release -p aftercare-sbom --example sbom_bench
//! ```
//!
//! Generates CycloneDX 1.6 JSON SBOMs of 10,000 and 50,000 realistic components (purls of
//! six ecosystems, licenses, hashes, properties, a dependency graph) in memory, times
//! `read` (median of 7 runs) and measures the peak memory of one read against the file
//! size; then does the same for the largest real SBOM of the shared data. Targets: 10,000
//! components < 100 ms, 50,000 < 500 ms, peak memory < 10× the file size.
//!
//! Memory is the growth of the peak resident set size (Linux `VmHWM`) during one read,
//! measured in a fresh child process per document that only reads the document from a
//! temporary file, so that memory freed by generating it or by an earlier run cannot hide
//! the read's (the workspace forbids `unsafe`, so no counting allocator).

use std::io::Read;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use serde_json::json;

const RUNS: usize = 7;

/// A small deterministic generator (no `rand` dependency needed for test data).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// A CycloneDX 1.6 JSON SBOM with `count` components, pretty-printed as most generators
/// write them.
fn generate(count: usize) -> Vec<u8> {
    let mut random = Lcg(42);
    let ecosystems = [
        ("npm", Some("@acme"), "MIT"),
        ("maven", Some("org.example"), "Apache-2.0"),
        ("pypi", None, "BSD-3-Clause"),
        ("golang", Some("github.com/example"), "MIT OR Apache-2.0"),
        ("deb", Some("debian"), "GPL-2.0-only"),
        ("rpm", Some("redhat"), "LGPL-2.1-or-later"),
    ];
    let mut components = Vec::with_capacity(count);
    let mut references = Vec::with_capacity(count);
    for index in 0..count {
        let (ty, namespace, license) = ecosystems[index % ecosystems.len()];
        let name = format!("package-{index}");
        let version = format!(
            "{}.{}.{}",
            random.below(20),
            random.below(50),
            random.below(100)
        );
        let purl = match namespace {
            Some(namespace) => format!(
                "pkg:{ty}/{}/{name}@{version}",
                namespace.replace('@', "%40")
            ),
            None => format!("pkg:{ty}/{name}@{version}"),
        };
        let digest: String = (0..4).map(|_| format!("{:016x}", random.next())).collect();
        let licenses = if license.contains(' ') {
            json!([{ "expression": license }])
        } else {
            json!([{ "license": { "id": license, "url": format!("https://spdx.org/licenses/{license}.html") } }])
        };
        components.push(json!({
            "bom-ref": purl,
            "type": "library",
            "group": namespace,
            "name": name,
            "version": version,
            "description": format!("A realistic description of {name}, long enough to look like one."),
            "hashes": [
                { "alg": "SHA-256", "content": digest },
                { "alg": "SHA-1", "content": &digest[..40] }
            ],
            "licenses": licenses,
            "purl": purl,
            "externalReferences": [
                { "type": "website", "url": format!("https://example.com/{name}") },
                { "type": "vcs", "url": format!("https://github.com/example/{name}.git") }
            ],
            "properties": [
                { "name": "cdx:package:path", "value": format!("node_modules/{name}") },
                { "name": "syft:package:foundBy", "value": "javascript-package-cataloger" }
            ]
        }));
        references.push(purl);
    }
    let mut dependencies = vec![json!({
        "ref": "app",
        "dependsOn": references.iter().take(50).collect::<Vec<_>>()
    })];
    for (index, reference) in references.iter().enumerate() {
        let depends_on: Vec<&String> = (0..3)
            .map(|_| &references[random.below(count as u64) as usize])
            .filter(|target| *target != reference)
            .collect();
        if index % 4 != 3 {
            dependencies.push(json!({ "ref": reference, "dependsOn": depends_on }));
        }
    }
    let document = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "timestamp": "2025-01-01T00:00:00Z",
            "tools": { "components": [{ "type": "application", "name": "bench", "version": "1" }] },
            "authors": [{ "name": "Acme PSIRT" }],
            "component": { "bom-ref": "app", "type": "firmware", "name": "pump", "version": "4.2" }
        },
        "components": components,
        "dependencies": dependencies
    });
    serde_json::to_vec_pretty(&document).unwrap_or_default()
}

/// The largest real SBOM of the shared data (by decompressed size): its name and bytes.
fn largest_real() -> Option<(String, Vec<u8>, usize)> {
    let mut best: Option<(String, Vec<u8>, usize)> = None;
    for zip in aftercare_testdata::zips_in("sbom") {
        for entry in aftercare_testdata::zip_entries(&zip) {
            let size = decompressed_size(&entry.bytes);
            // Only SBOMs count: maubot-spdx.json is a license list, not an SBOM.
            if aftercare_sbom::read(&entry.name, &entry.bytes).is_err() {
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(_, _, best_size)| size > *best_size)
            {
                best = Some((entry.name, entry.bytes, size));
            }
        }
    }
    best
}

fn decompressed_size(bytes: &[u8]) -> usize {
    let mut out = Vec::new();
    let result = if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map(|_| ())
    } else if bytes.starts_with(b"BZh") {
        bzip2::read::MultiBzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map(|_| ())
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut out)
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))
    } else {
        return bytes.len();
    };
    match result {
        Ok(()) => out.len(),
        Err(_) => bytes.len(),
    }
}

fn decompressed(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0])
        && lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut out).is_ok()
    {
        return out;
    }
    bytes.to_vec()
}

/// The CPU time this thread has run so far (Linux `schedstat`, nanoseconds): on a machine
/// shared with other work, wall time measures the neighbours too.
fn cpu_time() -> Option<Duration> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanoseconds: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanoseconds))
}

/// A measurement: median wall time and median CPU time of `read` over [`RUNS`] runs, and
/// the component count.
struct Timing {
    wall: Duration,
    cpu: Option<Duration>,
    components: usize,
}

fn time(bytes: &[u8]) -> Result<Timing, String> {
    let mut walls = Vec::with_capacity(RUNS);
    let mut cpus = Vec::with_capacity(RUNS);
    let mut components = 0;
    for _ in 0..RUNS {
        let cpu_started = cpu_time();
        let started = Instant::now();
        let outcome =
            aftercare_sbom::read("bench.json", bytes).map_err(|error| error.to_string())?;
        walls.push(started.elapsed());
        if let (Some(before), Some(after)) = (cpu_started, cpu_time()) {
            cpus.push(after.saturating_sub(before));
        }
        components = outcome.sbom.components.len();
        drop(outcome);
    }
    walls.sort();
    cpus.sort();
    Ok(Timing {
        wall: walls[RUNS / 2],
        cpu: cpus.get(RUNS / 2).copied(),
        components,
    })
}

/// A `/proc/self/status` value in bytes (Linux).
fn status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(key))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

/// In a child process: load the document, reset the peak, read once, print the growth of
/// the peak resident set size in bytes.
fn measure(path: &str) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|error| format!("{path}: {error}"))?;
    // Writing 5 to clear_refs resets the peak (VmHWM) to the current resident size.
    std::fs::write("/proc/self/clear_refs", "5").map_err(|error| format!("clear_refs: {error}"))?;
    let before = status_bytes("VmRSS:").ok_or("no VmRSS")?;
    let outcome = aftercare_sbom::read("bench.json", &bytes).map_err(|error| error.to_string())?;
    let peak = status_bytes("VmHWM:").ok_or("no VmHWM")?;
    println!("{}", peak.saturating_sub(before));
    drop(outcome);
    Ok(())
}

/// Runs [`measure`] in a fresh process on a temporary copy of the document.
fn peak_memory(bytes: &[u8]) -> Option<u64> {
    let path =
        std::env::temp_dir().join(format!("aftercare-sbom-bench-{}.bin", std::process::id()));
    std::fs::write(&path, bytes).ok()?;
    let exe = std::env::current_exe().ok()?;
    let output = Command::new(exe).arg("--measure").arg(&path).output().ok();
    let _ = std::fs::remove_file(&path);
    String::from_utf8(output?.stdout).ok()?.trim().parse().ok()
}

fn row(label: &str, size: usize, timing: &Timing, memory: Option<u64>, target: Option<Duration>) {
    let megabytes = size as f64 / 1_048_576.0;
    let milliseconds = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let cpu = match timing.cpu {
        Some(cpu) => format!("{:>8.1} ms", milliseconds(cpu)),
        None => "     n/a   ".to_string(),
    };
    let memory = match memory {
        Some(bytes) => format!(
            "{:>7.1} MiB {:>4.1}×",
            bytes as f64 / 1_048_576.0,
            bytes as f64 / size as f64
        ),
        None => "      n/a       ".to_string(),
    };
    let verdict = match target {
        Some(target) => {
            let measured = timing.cpu.unwrap_or(timing.wall);
            let memory_ok = memory_ratio_ok(memory.as_str());
            if measured <= target && memory_ok {
                format!("< {} ms, < 10×: met", target.as_millis())
            } else {
                format!("< {} ms, < 10×: MISSED", target.as_millis())
            }
        }
        None => String::new(),
    };
    println!(
        "{label:<46} {megabytes:>7.1} MiB {:>7} {:>8.1} ms {cpu} {memory}  {verdict}",
        timing.components,
        milliseconds(timing.wall),
    );
}

/// Whether the printed memory column shows less than 10× the file size.
fn memory_ratio_ok(column: &str) -> bool {
    column
        .split_whitespace()
        .last()
        .and_then(|ratio| ratio.trim_end_matches('×').parse::<f64>().ok())
        .is_some_and(|ratio| ratio < 10.0)
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().collect();
    if arguments.get(1).map(String::as_str) == Some("--profile") {
        // Reads one generated document many times, for `perf record`.
        let count = arguments
            .get(2)
            .and_then(|count| count.parse().ok())
            .unwrap_or(50_000);
        let bytes = generate(count);
        for _ in 0..20 {
            if let Err(error) = aftercare_sbom::read("bench.json", &bytes) {
                eprintln!("{error}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    if arguments.get(1).map(String::as_str) == Some("--measure") {
        return match measure(arguments.get(2).map(String::as_str).unwrap_or_default()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{error}");
                ExitCode::FAILURE
            }
        };
    }
    println!(
        "{:<46} {:>11} {:>7} {:>11} {:>11} {:>16}  target (CPU time)",
        "document", "size", "comps", "wall", "CPU", "peak memory"
    );
    for (count, target) in [(10_000, 100), (50_000, 500)] {
        let bytes = generate(count);
        match time(&bytes) {
            Ok(timing) => row(
                &format!("generated CycloneDX 1.6 JSON, {count} comps"),
                bytes.len(),
                &timing,
                peak_memory(&bytes),
                Some(Duration::from_millis(target)),
            ),
            Err(error) => eprintln!("{count}: {error}"),
        }
    }
    match largest_real() {
        Some((name, bytes, size)) => {
            match time(&bytes) {
                Ok(timing) => row(
                    &format!("largest real: {}", name.rsplit('/').next().unwrap_or(&name)),
                    size,
                    &timing,
                    peak_memory(&bytes),
                    None,
                ),
                Err(error) => eprintln!("{name}: {error}"),
            }
            if bytes.len() != size {
                let plain = decompressed(&bytes);
                if let Ok(timing) = time(&plain) {
                    row(
                        "  the same, decompressed beforehand",
                        plain.len(),
                        &timing,
                        peak_memory(&plain),
                        None,
                    );
                }
                println!(
                    "  ({} bytes xz-compressed; sizes are decompressed; the difference is lzma-rs)",
                    bytes.len()
                );
            }
        }
        None => eprintln!("no real SBOM found in the shared data"),
    }
    ExitCode::SUCCESS
}
