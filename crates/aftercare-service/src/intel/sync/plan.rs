//! The plan of a run: which files, windows or documents it fetches ([`Plan`], a list of
//! [`Unit`]s), fixed when the run starts and stored with it, so that a resumed run fetches
//! what the interrupted one would have. Planning may need the network (CSAF discovery:
//! provider metadata, then ROLIE feeds, then the entries whose `updated` changed) or only the
//! clock (NVD windows of at most 120 days from the cursor); it runs before any transaction
//! opens. The validators of what was fetched ([`FileState`]) are recorded here too, as the
//! discovery documents' part of the plan and the units' part of each batch.

use std::collections::{BTreeMap, HashMap};

use aftercare_intel::{Content, Limits};
use aftercare_store::feed::{FeedFile, FeedRow};
use serde::{Deserialize, Serialize};

use crate::ServiceError;
use crate::fetch::{Client, Download, FetchError, Fetched, Validators};
use crate::intel::{FeedKind, defaults};

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Unit {
    /// A file over HTTP: a zip archive or one document.
    Url {
        /// The URL.
        url: String,
    },
    /// A local file or folder.
    Path {
        /// The path.
        path: String,
    },
    /// One CSAF document listed by a ROLIE feed.
    Csaf {
        /// The URL.
        url: String,
        /// The entry's `updated`.
        updated: Option<String>,
    },
    /// One window of the NVD API (no bounds: everything).
    Nvd {
        /// The API's base URL.
        base: String,
        /// `lastModStartDate`.
        start: Option<String>,
        /// `lastModEndDate`.
        end: Option<String>,
    },
}

/// What a run fetches, fixed when it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Plan {
    /// The units, in order.
    pub units: Vec<Unit>,
    /// Discovery documents' validators, recorded when the run completes.
    pub discovery: Vec<FileState>,
    /// The cursor the feed moves to when the run completes.
    pub cursor: Option<String>,
    /// Warnings met while planning.
    pub warnings: Vec<String>,
}

/// What is recorded of a fetched file (mirrors `feed_files`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FileState {
    pub location: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub sha256: Option<String>,
    pub updated: Option<String>,
    pub record_count: i64,
}

impl FileState {
    /// What is recorded of a file downloaded from `location` (its validators and digest),
    /// with the entry's `updated` of a CSAF document and the records the file held.
    pub(super) fn downloaded(
        location: &str,
        download: &Download,
        updated: Option<String>,
        record_count: i64,
    ) -> FileState {
        FileState {
            location: location.to_string(),
            etag: download.validators.etag.clone(),
            last_modified: download.validators.last_modified.clone(),
            sha256: Some(download.sha256.clone()),
            updated,
            record_count,
        }
    }

    /// The stored row.
    pub(super) fn to_row(&self) -> FeedFile {
        FeedFile {
            location: self.location.clone(),
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
            sha256: self.sha256.clone(),
            updated: self.updated.clone(),
            record_count: self.record_count,
        }
    }
}

/// What a new run of a feed fetches; NVD's windows end at `now`, the sync's instant (the
/// feed's cursor moves there when the run completes).
pub(super) async fn make_plan(
    feed: &FeedRow,
    kind: FeedKind,
    files: &HashMap<String, FeedFile>,
    client: &Client,
    limits: &Limits,
    now: jiff::Timestamp,
) -> Result<Plan, ServiceError> {
    if let Some(path) = &feed.path {
        return Ok(Plan {
            units: vec![Unit::Path { path: path.clone() }],
            ..Plan::default()
        });
    }
    let url = match &feed.url {
        Some(url) => url.clone(),
        None => defaults::url(kind, feed.ecosystem.as_deref()).ok_or_else(|| {
            ServiceError::invalid(
                "feed",
                format!("feed {:?} has neither a URL nor a path", feed.name),
            )
        })?,
    };
    match kind {
        FeedKind::Nvd => Ok(nvd_plan(&url, feed.cursor.as_deref(), now)),
        FeedKind::Csaf => {
            let client = client.clone();
            let files = files.clone();
            let limits = limits.clone();
            tokio::task::spawn_blocking(move || csaf_plan(&client, &url, &files, &limits))
                .await
                .map_err(|_| ServiceError::Background {
                    operation: "discover CSAF documents",
                })?
        }
        _ => Ok(Plan {
            units: vec![Unit::Url { url }],
            ..Plan::default()
        }),
    }
}

/// The NVD windows from the cursor to `now`, each at most 120 days (the API's limit); the
/// first sync fetches everything in one paged unit.
fn nvd_plan(base: &str, cursor: Option<&str>, now: jiff::Timestamp) -> Plan {
    let end_text = aftercare_store::timestamp_text(now);
    let Some(start) = cursor.and_then(|c| c.parse::<jiff::Timestamp>().ok()) else {
        return Plan {
            units: vec![Unit::Nvd {
                base: base.to_string(),
                start: None,
                end: None,
            }],
            cursor: Some(end_text),
            ..Plan::default()
        };
    };
    let step = jiff::SignedDuration::from_hours(120 * 24);
    let mut units = Vec::new();
    let mut from = start;
    while from < now {
        let to = from.checked_add(step).unwrap_or(now).min(now);
        units.push(Unit::Nvd {
            base: base.to_string(),
            start: Some(aftercare_store::timestamp_text(from)),
            end: Some(aftercare_store::timestamp_text(to)),
        });
        from = to;
    }
    Plan {
        units,
        cursor: Some(end_text),
        ..Plan::default()
    }
}

/// Resolves a link of a document fetched from `base`.
fn join_url(base: &str, link: &str) -> String {
    if link.contains("://") {
        return link.to_string();
    }
    if let Some(rest) = link.strip_prefix('/')
        && let Some(scheme_end) = base.find("://")
    {
        {
            let host_end = base[scheme_end + 3..]
                .find('/')
                .map_or(base.len(), |at| scheme_end + 3 + at);
            return format!("{}/{rest}", &base[..host_end]);
        }
    }
    match base.rfind('/') {
        Some(at) => format!("{}/{link}", &base[..at]),
        None => link.to_string(),
    }
}

pub(super) fn validators_of(file: Option<&FeedFile>) -> Option<Validators> {
    file.map(|file| Validators {
        etag: file.etag.clone(),
        last_modified: file.last_modified.clone(),
    })
}

/// CSAF discovery: provider metadata → ROLIE feeds → the entries whose `updated` changed.
fn csaf_plan(
    client: &Client,
    url: &str,
    files: &HashMap<String, FeedFile>,
    limits: &Limits,
) -> Result<Plan, ServiceError> {
    let mut plan = Plan::default();
    let mut download = match client.get(url, None, &[])? {
        Fetched::Body(download) => download,
        Fetched::NotModified => return Ok(plan),
    };
    let bytes = download.read_all().map_err(|source| FetchError::Spool {
        url: url.to_string(),
        source,
    })?;
    if is_zip(&bytes) {
        plan.units.push(Unit::Url {
            url: url.to_string(),
        });
        return Ok(plan);
    }
    let parsed = aftercare_intel::read_document_with(url, &bytes, limits)?;
    let feeds: Vec<String> = match parsed.content {
        Content::ProviderMetadata(metadata) => {
            if metadata.feeds.is_empty() && !metadata.directories.is_empty() {
                plan.warnings.push(format!(
                    "{url}: the provider publishes only directories ({}); aftercare reads ROLIE feeds",
                    metadata.directories.join(", ")
                ));
            }
            metadata
                .feeds
                .iter()
                .map(|feed| join_url(url, &feed.url))
                .collect()
        }
        Content::RolieFeed(_) => vec![url.to_string()],
        Content::Records(_) => {
            plan.units.push(Unit::Url {
                url: url.to_string(),
            });
            return Ok(plan);
        }
        other => {
            return Err(ServiceError::invalid(
                "feed",
                format!(
                    "{url} is a {} document, not CSAF provider metadata, a ROLIE feed or CSAF",
                    content_name(&other)
                ),
            ));
        }
    };
    let mut units = BTreeMap::new();
    for feed_url in feeds {
        let fetched = if feed_url == url {
            // The URL named a ROLIE feed directly: read it again conditionally next time.
            Fetched::Body(Download {
                sha256: download.sha256.clone(),
                validators: download.validators.clone(),
                length: download.length,
                file: download
                    .file
                    .try_clone()
                    .map_err(|source| FetchError::Spool {
                        url: url.to_string(),
                        source,
                    })?,
            })
        } else {
            client.get(&feed_url, validators_of(files.get(&feed_url)).as_ref(), &[])?
        };
        let mut feed_download = match fetched {
            Fetched::NotModified => continue,
            Fetched::Body(download) => download,
        };
        let feed_bytes = feed_download
            .read_all()
            .map_err(|source| FetchError::Spool {
                url: feed_url.clone(),
                source,
            })?;
        let parsed = aftercare_intel::read_document_with(&feed_url, &feed_bytes, limits)?;
        let Content::RolieFeed(rolie) = parsed.content else {
            plan.warnings
                .push(format!("{feed_url}: not a ROLIE feed; skipped"));
            continue;
        };
        for entry in rolie.entries {
            let Some(link) = entry.url else { continue };
            let document_url = join_url(&feed_url, &link);
            let updated = entry.updated.map(aftercare_store::timestamp_text);
            let known = files
                .get(&document_url)
                .and_then(|file| file.updated.clone());
            if known.is_none() || known != updated {
                units.insert(document_url.clone(), updated);
            }
        }
        plan.discovery
            .push(FileState::downloaded(&feed_url, &feed_download, None, 0));
    }
    plan.units.extend(
        units
            .into_iter()
            .map(|(url, updated)| Unit::Csaf { url, updated }),
    );
    Ok(plan)
}

fn content_name(content: &Content) -> &'static str {
    match content {
        Content::Records(_) => "records",
        Content::Kev(_) => "KEV catalog",
        Content::Epss(_) => "EPSS",
        Content::RolieFeed(_) => "ROLIE feed",
        Content::RolieService(_) => "ROLIE service",
        Content::RolieCategories(_) => "ROLIE category",
        Content::ProviderMetadata(_) => "CSAF provider metadata",
        Content::Aggregator(_) => "CSAF aggregator",
    }
}

pub(super) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvd_windows_are_at_most_120_days() {
        let now: jiff::Timestamp = "2024-12-31T00:00:00Z".parse().unwrap();
        let plan = nvd_plan("https://nvd", Some("2024-01-01T00:00:00.000000Z"), now);
        assert_eq!(plan.units.len(), 4);
        assert_eq!(
            plan.units[0],
            Unit::Nvd {
                base: "https://nvd".into(),
                start: Some("2024-01-01T00:00:00.000000Z".into()),
                end: Some("2024-04-30T00:00:00.000000Z".into()),
            }
        );
        assert_eq!(plan.cursor.as_deref(), Some("2024-12-31T00:00:00.000000Z"));
        let first = nvd_plan("https://nvd", None, now);
        assert_eq!(first.units.len(), 1);
    }

    #[test]
    fn links_resolve_against_their_document() {
        for (base, link, expected) in [
            (
                "https://a.example/csaf/feed.json",
                "https://b.example/x.json",
                "https://b.example/x.json",
            ),
            (
                "https://a.example/csaf/feed.json",
                "2024/x.json",
                "https://a.example/csaf/2024/x.json",
            ),
            (
                "https://a.example/csaf/feed.json",
                "/other/x.json",
                "https://a.example/other/x.json",
            ),
        ] {
            assert_eq!(join_url(base, link), expected, "{link}");
        }
    }
}
