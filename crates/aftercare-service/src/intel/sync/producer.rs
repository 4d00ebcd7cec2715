//! The producer of a run: the reading side, on a blocking thread. It walks the plan's units
//! from the run's checkpoint on, downloads each file (spooled and checked before anything of
//! it is used), reads its documents through `aftercare-intel`'s capped readers, classifies
//! each (records to apply, unchanged, KEV, EPSS, skipped with a warning) and hands them to
//! the applier through a bounded channel ([`Item`]), which gives back-pressure and bounded
//! memory. It never opens a transaction.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aftercare_intel::{Content, IntelError, KevCatalog, Limits, Parsed, Warning, WarningKind};
use aftercare_store::feed::{FeedFile, RunRow};
use serde::Deserialize;
use sha2::Digest as _;
use tokio::sync::mpsc;

use super::options::SyncOptions;
use super::plan::{FileState, Unit, is_zip, validators_of};
use crate::ServiceError;
use crate::fetch::{Client, FetchError, Fetched};
use crate::intel::normalize::normalize;
use crate::intel::state::{BatchDocument, Prepared};

/// What the reading thread hands to the applier.
pub(super) enum Item {
    /// A document at a position of a unit.
    Document {
        unit: usize,
        position: i64,
        unit_sha256: Option<String>,
        produced: Produced,
    },
    /// A unit is done.
    UnitDone {
        unit: usize,
        file: Option<FileState>,
        unchanged_records: i64,
    },
    /// Reading failed; nothing of the unit after the last batch is applied.
    Failed(ServiceError),
}

/// A read document, classified for the applier.
pub(super) enum Produced {
    /// A document of records to apply.
    Records(BatchDocument, Vec<Warning>),
    /// A stored document of the feed: its records, counted as unchanged.
    Unchanged(i64, Vec<Warning>),
    /// The KEV catalog, and its document.
    Kev(Box<KevCatalog>, BatchDocument, Vec<Warning>),
    /// An EPSS file's scores (its bytes are not kept).
    Epss(Box<aftercare_intel::EpssScores>, Vec<Warning>),
    /// Nothing to apply: unreadable, or a discovery document.
    Skipped(Vec<Warning>),
}

/// Reads the units of a plan and sends their documents to the applier.
pub(super) struct Producer {
    units: Vec<Unit>,
    start_unit: usize,
    start_position: i64,
    start_sha256: Option<String>,
    files: HashMap<String, FeedFile>,
    known: HashSet<String>,
    client: Client,
    limits: Limits,
    nvd_key: Option<String>,
    nvd_delay: Duration,
    nvd_page_size: u32,
    cancel: Arc<AtomicBool>,
    sender: mpsc::Sender<Item>,
}

/// The reading stopped: the applier went away (interrupted), or reading failed (already
/// reported).
struct Stop;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NvdPageHeader {
    total_results: Option<u64>,
}

impl Producer {
    /// A producer of `units` from the run's checkpoint on (its unit, the position in it and
    /// the unit's digest when it was checkpointed), sending into `sender`. `files` are the
    /// feed's stored validators and `known` the digests of its stored documents: what is
    /// unchanged is told, not applied again.
    pub(super) fn new(
        units: Vec<Unit>,
        run: &RunRow,
        files: HashMap<String, FeedFile>,
        known: HashSet<String>,
        client: Client,
        options: &SyncOptions,
        sender: mpsc::Sender<Item>,
    ) -> Producer {
        Producer {
            units,
            start_unit: usize::try_from(run.unit).unwrap_or(0),
            start_position: run.position,
            start_sha256: run.unit_sha256.clone(),
            files,
            known,
            client,
            limits: options.limits.clone(),
            nvd_key: options
                .nvd_api_key
                .as_ref()
                .map(|key| key.expose().to_string()),
            nvd_delay: options
                .nvd_request_delay
                .unwrap_or(if options.nvd_api_key.is_some() {
                    Duration::from_millis(600)
                } else {
                    Duration::from_secs(6)
                }),
            nvd_page_size: options.nvd_page_size.clamp(1, 2_000),
            cancel: options.cancel.clone(),
            sender,
        }
    }

    /// Reads every unit left, until the end, a stop, or a failure (sent as [`Item::Failed`]).
    pub(super) fn run(self) {
        for (index, unit) in self.units.iter().enumerate().skip(self.start_unit) {
            if self.cancel.load(Ordering::Relaxed) {
                return;
            }
            let skip = if index == self.start_unit {
                self.start_position
            } else {
                0
            };
            let result = match unit {
                Unit::Url { url } => self.url_unit(index, url, skip),
                Unit::Path { path } => self.path_unit(index, path, skip),
                Unit::Csaf { url, updated } => self.csaf_unit(index, url, updated.clone()),
                Unit::Nvd { base, start, end } => {
                    self.nvd_unit(index, base, start.as_deref(), end.as_deref(), skip)
                }
            };
            match result {
                Ok(()) => {}
                Err(Ok(Stop)) => return,
                Err(Err(error)) => {
                    let _ = self.sender.blocking_send(Item::Failed(error));
                    return;
                }
            }
        }
    }

    fn send(&self, item: Item) -> Result<(), Result<Stop, ServiceError>> {
        self.sender.blocking_send(item).map_err(|_| Ok(Stop))
    }

    /// Classifies a read document.
    fn produce(&self, name: &str, bytes: &[u8], result: Result<Parsed, IntelError>) -> Produced {
        let parsed = match result {
            Ok(parsed) => parsed,
            Err(error) => {
                let kind = match &error {
                    IntelError::DetectFormat { reason, .. } if reason.starts_with("YAML") => {
                        WarningKind::Unsupported
                    }
                    _ => WarningKind::SkippedRecord,
                };
                return Produced::Skipped(vec![Warning {
                    document: name.to_string(),
                    record: None,
                    kind,
                    message: format!("skipped: {error}"),
                }]);
            }
        };
        let sha256 = parsed.digest.to_hex();
        let warnings = parsed.warnings.clone();
        match parsed.content {
            Content::Records(records) => {
                if self.known.contains(&sha256) {
                    return Produced::Unchanged(records.len() as i64, warnings);
                }
                let records = records
                    .into_iter()
                    .map(|record| Prepared {
                        source: record.source.as_str(),
                        normalized: normalize(&record),
                        id: record.id,
                        aliases: record.aliases,
                        related: record.related,
                    })
                    .collect();
                Produced::Records(
                    BatchDocument {
                        name: name.to_string(),
                        sha256,
                        bytes: bytes.to_vec(),
                        records,
                    },
                    warnings,
                )
            }
            Content::Kev(catalog) => Produced::Kev(
                Box::new(catalog),
                BatchDocument {
                    name: name.to_string(),
                    sha256,
                    bytes: bytes.to_vec(),
                    records: Vec::new(),
                },
                warnings,
            ),
            Content::Epss(scores) => Produced::Epss(Box::new(scores), warnings),
            // Discovery documents lying in a mirror hold no records.
            _ => Produced::Skipped(warnings),
        }
    }

    /// Visits the documents of downloaded or local bytes (a zip or one document), sending
    /// those from position `skip` on; returns how many records they held.
    fn visit(
        &self,
        unit: usize,
        name: &str,
        file: &mut std::fs::File,
        sha256: &str,
        skip: i64,
    ) -> Result<i64, Result<Stop, ServiceError>> {
        let mut head = [0u8; 4];
        let read = std::io::Read::read(file, &mut head).map_err(|source| {
            Err(ServiceError::from(FetchError::Spool {
                url: name.to_string(),
                source,
            }))
        })?;
        std::io::Seek::rewind(file).map_err(|source| {
            Err(ServiceError::from(FetchError::Spool {
                url: name.to_string(),
                source,
            }))
        })?;
        let mut position: i64 = 0;
        let mut records: i64 = 0;
        let mut stopped = false;
        if is_zip(&head[..read]) {
            aftercare_intel::archive::visit_zip(name, &mut *file, &self.limits, |entry| {
                if stopped || self.cancel.load(Ordering::Relaxed) {
                    stopped = true;
                    return;
                }
                records += entry
                    .result
                    .as_ref()
                    .map_or(0, |p| p.records().len() as i64);
                if position >= skip {
                    let produced = self.produce(entry.name, entry.bytes, entry.result);
                    let item = Item::Document {
                        unit,
                        position,
                        unit_sha256: Some(sha256.to_string()),
                        produced,
                    };
                    if self.sender.blocking_send(item).is_err() {
                        stopped = true;
                    }
                }
                position += 1;
            })
            .map_err(|error| Err(ServiceError::from(error)))?;
        } else {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(|source| {
                Err(ServiceError::from(FetchError::Spool {
                    url: name.to_string(),
                    source,
                }))
            })?;
            let result = aftercare_intel::read_document_with(name, &bytes, &self.limits);
            records += result.as_ref().map_or(0, |p| p.records().len() as i64);
            if skip == 0 {
                let produced = self.produce(name, &bytes, result);
                self.send(Item::Document {
                    unit,
                    position: 0,
                    unit_sha256: Some(sha256.to_string()),
                    produced,
                })?;
            }
        }
        if stopped {
            return Err(Ok(Stop));
        }
        Ok(records)
    }

    fn url_unit(
        &self,
        unit: usize,
        url: &str,
        skip: i64,
    ) -> Result<(), Result<Stop, ServiceError>> {
        let stored = self.files.get(url);
        let validators = if skip == 0 {
            validators_of(stored)
        } else {
            None
        };
        let fetched = self
            .client
            .get(url, validators.as_ref(), &[])
            .map_err(|error| Err(ServiceError::from(error)))?;
        let mut download = match fetched {
            Fetched::NotModified => {
                return self.send(Item::UnitDone {
                    unit,
                    file: None,
                    unchanged_records: stored.map_or(0, |file| file.record_count),
                });
            }
            Fetched::Body(download) => download,
        };
        let same = stored.and_then(|file| file.sha256.as_deref()) == Some(download.sha256.as_str());
        if skip == 0 && same {
            let record_count = stored.map_or(0, |file| file.record_count);
            return self.send(Item::UnitDone {
                unit,
                file: Some(FileState::downloaded(url, &download, None, record_count)),
                unchanged_records: record_count,
            });
        }
        // A resumed unit whose bytes changed meanwhile is read from its start again (what was
        // applied of it is applied again idempotently).
        let skip = if skip > 0 && self.start_sha256.as_deref() != Some(download.sha256.as_str()) {
            0
        } else {
            skip
        };
        let records = self.visit(unit, url, &mut download.file, &download.sha256, skip)?;
        self.send(Item::UnitDone {
            unit,
            file: Some(FileState::downloaded(url, &download, None, records)),
            unchanged_records: 0,
        })
    }

    fn path_unit(
        &self,
        unit: usize,
        path: &str,
        skip: i64,
    ) -> Result<(), Result<Stop, ServiceError>> {
        let location = PathBuf::from(path);
        let io_error = |source: std::io::Error| {
            Err(ServiceError::from(IntelError::ReadPath {
                path: location.clone(),
                source,
            }))
        };
        let metadata = std::fs::metadata(&location).map_err(io_error)?;
        if metadata.is_file() {
            let mut file = std::fs::File::open(&location).map_err(io_error)?;
            let mut hasher = sha2::Sha256::new();
            std::io::copy(&mut file, &mut hasher).map_err(io_error)?;
            let sha256 = hex::encode(hasher.finalize());
            std::io::Seek::rewind(&mut file).map_err(io_error)?;
            let stored = self.files.get(path);
            if skip == 0 && stored.and_then(|f| f.sha256.as_deref()) == Some(sha256.as_str()) {
                let record_count = stored.map_or(0, |f| f.record_count);
                return self.send(Item::UnitDone {
                    unit,
                    file: None,
                    unchanged_records: record_count,
                });
            }
            let skip = if skip > 0 && self.start_sha256.as_deref() != Some(sha256.as_str()) {
                0
            } else {
                skip
            };
            let records = self.visit(unit, path, &mut file, &sha256, skip)?;
            return self.send(Item::UnitDone {
                unit,
                file: Some(FileState {
                    location: path.to_string(),
                    sha256: Some(sha256),
                    record_count: records,
                    ..FileState::default()
                }),
                unchanged_records: 0,
            });
        }
        let mut position: i64 = 0;
        let mut stopped = false;
        aftercare_intel::archive::visit_path(&location, &self.limits, |entry| {
            if stopped || self.cancel.load(Ordering::Relaxed) {
                stopped = true;
                return;
            }
            if position >= skip {
                let produced = self.produce(entry.name, entry.bytes, entry.result);
                let item = Item::Document {
                    unit,
                    position,
                    unit_sha256: None,
                    produced,
                };
                if self.sender.blocking_send(item).is_err() {
                    stopped = true;
                }
            }
            position += 1;
        })
        .map_err(|error| Err(ServiceError::from(error)))?;
        if stopped {
            return Err(Ok(Stop));
        }
        self.send(Item::UnitDone {
            unit,
            file: None,
            unchanged_records: 0,
        })
    }

    fn csaf_unit(
        &self,
        unit: usize,
        url: &str,
        updated: Option<String>,
    ) -> Result<(), Result<Stop, ServiceError>> {
        let mut download = match self
            .client
            .get(url, None, &[])
            .map_err(|error| Err(ServiceError::from(error)))?
        {
            Fetched::Body(download) => download,
            Fetched::NotModified => {
                return self.send(Item::UnitDone {
                    unit,
                    file: None,
                    unchanged_records: 0,
                });
            }
        };
        let bytes = download.read_all().map_err(|source| {
            Err(ServiceError::from(FetchError::Spool {
                url: url.to_string(),
                source,
            }))
        })?;
        let result = aftercare_intel::read_document_with(url, &bytes, &self.limits);
        let records = result.as_ref().map_or(0, |p| p.records().len() as i64);
        let produced = self.produce(url, &bytes, result);
        self.send(Item::Document {
            unit,
            position: 0,
            unit_sha256: Some(download.sha256.clone()),
            produced,
        })?;
        self.send(Item::UnitDone {
            unit,
            file: Some(FileState::downloaded(url, &download, updated, records)),
            unchanged_records: 0,
        })
    }

    fn nvd_unit(
        &self,
        unit: usize,
        base: &str,
        start: Option<&str>,
        end: Option<&str>,
        skip: i64,
    ) -> Result<(), Result<Stop, ServiceError>> {
        let nvd_time = |text: &str| -> String {
            text.parse::<jiff::Timestamp>()
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3f").to_string())
                .unwrap_or_else(|_| text.to_string())
                + "%2B00:00"
        };
        let separator = if base.contains('?') { '&' } else { '?' };
        let mut page = skip;
        let mut first = true;
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(Ok(Stop));
            }
            if !first && !self.nvd_delay.is_zero() {
                std::thread::sleep(self.nvd_delay);
            }
            first = false;
            let start_index = page * i64::from(self.nvd_page_size);
            let mut url = format!(
                "{base}{separator}resultsPerPage={}&startIndex={start_index}",
                self.nvd_page_size
            );
            if let (Some(start), Some(end)) = (start, end) {
                url.push_str(&format!(
                    "&lastModStartDate={}&lastModEndDate={}",
                    nvd_time(start),
                    nvd_time(end)
                ));
            }
            let headers: Vec<(&str, &str)> = self
                .nvd_key
                .as_deref()
                .map(|key| vec![("apiKey", key)])
                .unwrap_or_default();
            let mut download = match self
                .client
                .get(&url, None, &headers)
                .map_err(|error| Err(ServiceError::from(error)))?
            {
                Fetched::Body(download) => download,
                Fetched::NotModified => break,
            };
            let bytes = download.read_all().map_err(|source| {
                Err(ServiceError::from(FetchError::Spool {
                    url: url.clone(),
                    source,
                }))
            })?;
            let total = serde_json::from_slice::<NvdPageHeader>(&bytes)
                .ok()
                .and_then(|header| header.total_results)
                .unwrap_or(0);
            let result = aftercare_intel::read_document_with(&url, &bytes, &self.limits);
            let produced = self.produce(&url, &bytes, result);
            self.send(Item::Document {
                unit,
                position: page,
                unit_sha256: None,
                produced,
            })?;
            page += 1;
            if (page * i64::from(self.nvd_page_size)) as u64 >= total {
                break;
            }
        }
        self.send(Item::UnitDone {
            unit,
            file: None,
            unchanged_records: 0,
        })
    }
}
