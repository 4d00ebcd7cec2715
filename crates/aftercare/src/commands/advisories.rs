//! Reading `--advisories PATH…` into an index: zips, folders and single files, in parallel,
//! reading in full only the OSV records a scan needs.
//!
//! Every document is visited (archive caps and path checks are `aftercare-intel`'s). An OSV
//! record is first *peeked at* (ids and packages only): when it names a package the scan looks
//! for, or shares an id with a record that does (so that a vulnerability's severity sees every
//! record of it), it is read in full; otherwise it only takes part in the alias merge. Other
//! formats (NVD, CVE 5, CSAF, KEV) are read in full. `index build` reads everything.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use aftercare_intel::archive::{self, Limits};
use aftercare_intel::{Content, KevCatalog, Record, Warning};
use aftercare_match::file::Input;
use aftercare_match::{IndexBuilder, RecordKey};
use aftercare_model::{PackageKey, Sha256, VulnerabilityId};
use anyhow::Context as _;

/// What reading the advisories produced.
pub(crate) struct Loaded {
    /// The records, ready to build.
    pub builder: IndexBuilder,
    /// KEV catalogs met among the documents.
    pub kev: Vec<KevCatalog>,
    /// Warnings of documents and archives.
    pub warnings: Vec<Warning>,
    /// The inputs and their digests (for `index build`).
    pub inputs: Vec<Input>,
    /// Records read in full.
    pub read: usize,
    /// Records only peeked at.
    pub peeked: usize,
}

/// One document's bytes.
struct Document {
    name: String,
    bytes: Vec<u8>,
}

/// The outcome of one document.
enum Outcome {
    Records(Vec<Record>, Vec<Warning>),
    Peeked(aftercare_intel::Peek, usize),
    Kev(KevCatalog),
    Other,
    Failed(Warning),
}

/// Reads the advisories. `wanted`: the package keys a scan looks for (`None`: read every
/// record in full, as `index build` does).
/// `digests`: compute the inputs' digests (for the index file; a scan does not need them).
pub(crate) fn load(
    paths: &[PathBuf],
    wanted: Option<&HashSet<PackageKey>>,
    digests: bool,
) -> anyhow::Result<Loaded> {
    let limits = Limits::default();
    let mut documents: Vec<Document> = Vec::new();
    let mut warnings: Vec<Warning> = Vec::new();
    let mut inputs = Vec::new();
    for path in paths {
        let start = documents.len();
        let summary = archive::visit_path_bytes(path, &limits, |name, bytes| {
            documents.push(Document {
                name: name.to_string(),
                bytes: bytes.to_vec(),
            });
        })
        .with_context(|| format!("reading advisories from {}", path.display()))?;
        warnings.extend(summary.warnings);
        if digests {
            inputs.push(input(path, &documents[start..])?);
        }
    }
    tracing::debug!("{} documents visited", documents.len());
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let chunk = documents.len().div_ceil(threads).max(1);
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let limits = &limits;
        let workers: Vec<_> = documents
            .chunks(chunk)
            .enumerate()
            .map(|(number, part)| {
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(offset, document)| {
                            first_pass(document, number * chunk + offset, limits, wanted)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap_or_default())
            .collect()
    });
    tracing::debug!("first pass (peek or read) done");
    let mut loaded = Loaded {
        builder: IndexBuilder::new(),
        kev: Vec::new(),
        warnings,
        inputs,
        read: 0,
        peeked: 0,
    };
    // Ids of the records read: a peeked record sharing one joins them (see the module doc).
    let mut ids: HashSet<VulnerabilityId> = HashSet::new();
    let mut peeked: Vec<(aftercare_intel::Peek, usize)> = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Records(records, warnings) => {
                loaded.warnings.extend(warnings);
                for record in records {
                    ids.insert(record.id.clone());
                    ids.extend(record.aliases.iter().cloned());
                    loaded.read += 1;
                    loaded.builder.add(record);
                }
            }
            Outcome::Peeked(peek, position) => peeked.push((peek, position)),
            Outcome::Kev(catalog) => loaded.kev.push(catalog),
            Outcome::Other => {}
            Outcome::Failed(warning) => loaded.warnings.push(warning),
        }
    }
    // Follow alias links until no peeked record joins: chains (GHSA → PYSEC → CVE) included.
    loop {
        let (join, stay): (Vec<_>, Vec<_>) = peeked.into_iter().partition(|(peek, _)| {
            ids.contains(&peek.id) || peek.aliases.iter().any(|alias| ids.contains(alias))
        });
        peeked = stay;
        if join.is_empty() {
            break;
        }
        for (_, position) in join {
            let Some(document) = documents.get(position) else {
                continue;
            };
            match aftercare_intel::read_document_with(&document.name, &document.bytes, &limits) {
                Ok(parsed) => {
                    loaded.warnings.extend(parsed.warnings.iter().cloned());
                    for record in parsed.into_records() {
                        ids.insert(record.id.clone());
                        ids.extend(record.aliases.iter().cloned());
                        loaded.read += 1;
                        loaded.builder.add(record);
                    }
                }
                Err(error) => loaded.warnings.push(unreadable(&document.name, &error)),
            }
        }
    }
    for (peek, _) in peeked {
        loaded.peeked += 1;
        let key = RecordKey {
            source: aftercare_intel::Source::Osv,
            id: peek.id.clone(),
        };
        loaded.builder.add_alias_only(peek.alias_entry(key));
    }
    Ok(loaded)
}

fn first_pass(
    document: &Document,
    position: usize,
    limits: &Limits,
    wanted: Option<&HashSet<PackageKey>>,
) -> Outcome {
    if let Some(wanted) = wanted
        && let Some(peek) = aftercare_intel::peek(&document.bytes)
        && !peek.packages.iter().any(|package| wanted.contains(package))
    {
        return Outcome::Peeked(peek, position);
    }
    match aftercare_intel::read_document_with(&document.name, &document.bytes, limits) {
        Ok(parsed) => match parsed.content {
            Content::Records(records) => Outcome::Records(records, parsed.warnings),
            Content::Kev(catalog) => Outcome::Kev(catalog),
            _ => Outcome::Other,
        },
        Err(error) => Outcome::Failed(unreadable(&document.name, &error)),
    }
}

fn unreadable(name: &str, error: &aftercare_intel::IntelError) -> Warning {
    Warning {
        document: name.to_string(),
        record: None,
        kind: aftercare_intel::WarningKind::SkippedRecord,
        message: format!("skipped: {error}"),
    }
}

/// The digest of an input: of a file, its bytes; of a folder, its documents' names and
/// digests in walk order.
fn input(path: &Path, documents: &[Document]) -> anyhow::Result<Input> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if metadata.is_file() {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return Ok(Input {
            name: path.display().to_string(),
            digest: Sha256::of(&bytes).to_hex(),
            bytes: bytes.len() as u64,
        });
    }
    let mut listing = String::new();
    let mut total = 0u64;
    for document in documents {
        listing.push_str(&document.name);
        listing.push('\0');
        listing.push_str(&Sha256::of(&document.bytes).to_hex());
        listing.push('\n');
        total += document.bytes.len() as u64;
    }
    Ok(Input {
        name: path.display().to_string(),
        digest: Sha256::of(listing.as_bytes()).to_hex(),
        bytes: total,
    })
}
