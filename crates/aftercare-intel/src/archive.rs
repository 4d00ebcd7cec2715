//! Reading many documents at once: zip archives (osv.dev's per-ecosystem `all.zip`, vendor
//! bundles) and folders (osv.dev's `<Ecosystem>/` layout, `--advisories PATH`), with caps
//! against hostile input.
//!
//! Archives are treated as untrusted. Before any member is decompressed the central directory
//! is checked: the number of members, every path (absolute paths and `..` are refused), every
//! declared size and compression ratio, and their sum. While a member is decompressed it may
//! not grow past its declared size. Any of these is an error for the whole archive, and so is
//! a truncated or corrupt archive: a partial read would look like a feed that lost records.
//!
//! A member that is readable but not a supported document (an OSV record written as YAML, a
//! JSON schema lying next to the data) is a [`Warning`], not an error: one bad record does
//! not stop a feed. Signature and checksum side files (`.asc`, `.sha512` …) and listings
//! (`index.txt`, `changes.csv`) are skipped silently and counted.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::error::IntelError;
use crate::warning::{Warning, WarningKind};
use crate::{Parsed, read_document_with};

/// Caps on what one read may decompress. The defaults let the largest real feeds through
/// (an osv.dev `all.zip` of several hundred MiB, Red Hat advisories of 25 MiB) and stop
/// decompression bombs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest single document, decompressed. Default 256 MiB.
    pub max_document_bytes: u64,
    /// The largest sum of all documents of one archive or folder, decompressed. Default 8 GiB.
    pub max_total_bytes: u64,
    /// The most members of one archive, or files of one folder. Default 2,000,000.
    pub max_entries: u64,
    /// The highest compression ratio (decompressed / compressed) accepted for a document
    /// larger than 1 MiB. Default 1,000: real JSON deflates about 30 times and xz-compresses
    /// up to about 400 times; deflate bombs reach 1,032.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_document_bytes: 256 << 20,
            max_total_bytes: 8 << 30,
            max_entries: 2_000_000,
            max_ratio: 1_000,
        }
    }
}

/// Documents smaller than this are not checked for their compression ratio: tiny inputs
/// can have any ratio and are harmless.
const RATIO_FLOOR: u64 = 1 << 20;

impl Limits {
    /// Checks a decompressed size against the document size and ratio caps.
    pub(crate) fn check_document(
        &self,
        name: &str,
        compressed: u64,
        size: u64,
    ) -> Result<(), IntelError> {
        if size > self.max_document_bytes {
            return Err(IntelError::Limit {
                name: name.to_string(),
                what: format!("the decompressed size ({size} bytes)"),
                limit: self.max_document_bytes,
            });
        }
        if size > RATIO_FLOOR && size / compressed.max(1) > self.max_ratio {
            return Err(IntelError::Limit {
                name: name.to_string(),
                what: format!("the compression ratio ({size} bytes from {compressed})"),
                limit: self.max_ratio,
            });
        }
        Ok(())
    }
}

/// One document met while reading an archive or folder.
#[derive(Debug)]
pub struct Entry<'a> {
    /// Its name: the path inside the folder, or `archive.zip!member`.
    pub name: &'a str,
    /// Its bytes as stored (a `.json.xz` member's xz bytes): what storage keeps.
    pub bytes: &'a [u8],
    /// The document read from them, or why it could not be.
    pub result: Result<Parsed, IntelError>,
}

/// What a read of an archive or folder met, besides the documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Documents handed to the visitor.
    pub documents: u64,
    /// Side files skipped by name (signatures, checksums, listings, hidden files).
    pub skipped: Vec<String>,
    /// Warnings about the archive or folder itself (a symbolic link not followed …).
    pub warnings: Vec<Warning>,
}

/// Everything read from an archive or folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// The documents that could be read.
    pub documents: Vec<Parsed>,
    /// Warnings: those of the documents, one per unreadable member, and the summary's.
    pub warnings: Vec<Warning>,
    /// Side files skipped by name.
    pub skipped: Vec<String>,
}

impl Batch {
    /// Every record of every document.
    pub fn records(&self) -> impl Iterator<Item = &crate::Record> {
        self.documents
            .iter()
            .flat_map(|document| document.records())
    }

    fn collect(summary: Summary, mut documents: Vec<Parsed>, mut warnings: Vec<Warning>) -> Batch {
        warnings.extend(summary.warnings);
        for document in &mut documents {
            warnings.append(&mut document.warnings);
        }
        Batch {
            documents,
            warnings,
            skipped: summary.skipped,
        }
    }
}

/// The warning for a member that could not be read.
fn unreadable(name: &str, error: &IntelError) -> Warning {
    let kind = match error {
        IntelError::DetectFormat { reason, .. } if reason.starts_with("YAML") => {
            WarningKind::Unsupported
        }
        _ => WarningKind::SkippedRecord,
    };
    Warning {
        document: name.to_string(),
        record: None,
        kind,
        message: format!("skipped: {error}"),
    }
}

fn collector<'a>(
    documents: &'a mut Vec<Parsed>,
    warnings: &'a mut Vec<Warning>,
) -> impl FnMut(Entry<'_>) + 'a {
    move |entry: Entry<'_>| match entry.result {
        Ok(parsed) => documents.push(parsed),
        Err(error) => warnings.push(unreadable(entry.name, &error)),
    }
}

/// Reads every document of a zip archive.
pub fn read_zip<R: Read + Seek>(
    name: &str,
    reader: R,
    limits: &Limits,
) -> Result<Batch, IntelError> {
    let mut documents = Vec::new();
    let mut warnings = Vec::new();
    let summary = visit_zip(
        name,
        reader,
        limits,
        collector(&mut documents, &mut warnings),
    )?;
    Ok(Batch::collect(summary, documents, warnings))
}

/// Reads a file (a zip archive or one document) or a folder (recursively).
pub fn read_path(path: &Path, limits: &Limits) -> Result<Batch, IntelError> {
    let mut documents = Vec::new();
    let mut warnings = Vec::new();
    let summary = visit_path(path, limits, collector(&mut documents, &mut warnings))?;
    Ok(Batch::collect(summary, documents, warnings))
}

/// Whether a file name is a side file that is never a document.
fn is_side_file(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let lower = base.to_ascii_lowercase();
    base.starts_with('.')
        || matches!(
            lower.as_str(),
            "changes.csv" | "index.txt" | "license" | "readme"
        )
        || [
            ".asc", ".sig", ".sha256", ".sha512", ".md5", ".md", ".txt", ".html", ".htm", ".pdf",
            ".png", ".svg",
        ]
        .iter()
        .any(|extension| lower.ends_with(extension))
}

/// Whether a member path is absolute or climbs out of the archive.
fn is_unsafe_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/')
        || path.starts_with('\\')
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
        || path.split(['/', '\\']).any(|segment| segment == "..")
        || path.contains('\0')
}

/// Visits every document of a zip archive, in archive order.
///
/// The central directory is checked against the limits before anything is decompressed. A
/// member that cannot be decompressed completely ends the visit with an error; the visitor
/// may already have seen earlier members, so a caller that stores them must do so in one
/// transaction and roll it back on error.
pub fn visit_zip<R: Read + Seek>(
    name: &str,
    reader: R,
    limits: &Limits,
    mut visitor: impl FnMut(Entry<'_>),
) -> Result<Summary, IntelError> {
    visit_zip_bytes(name, reader, limits, |member, bytes| {
        let result = read_document_with(member, bytes, limits);
        visitor(Entry {
            name: member,
            bytes,
            result,
        });
    })
}

/// Visits the bytes of every document of a zip archive, in archive order, without reading
/// them: the caller decides what to read (a scan reads only the records that name its
/// packages, see [`crate::peek`]). The archive is checked against the limits exactly as
/// [`visit_zip`] does; the bytes are the member's as stored (a `.json.xz` member is still
/// xz-compressed).
pub fn visit_zip_bytes<R: Read + Seek>(
    name: &str,
    reader: R,
    limits: &Limits,
    mut visitor: impl FnMut(&str, &[u8]),
) -> Result<Summary, IntelError> {
    let archive_error = |source| IntelError::ReadArchive {
        name: name.to_string(),
        source,
    };
    let mut archive = zip::ZipArchive::new(reader).map_err(archive_error)?;
    if archive.len() as u64 > limits.max_entries {
        return Err(IntelError::Limit {
            name: name.to_string(),
            what: format!("the number of members ({})", archive.len()),
            limit: limits.max_entries,
        });
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let member = archive.by_index_raw(index).map_err(archive_error)?;
        let member_name = member.name().to_string();
        if is_unsafe_path(&member_name) {
            return Err(IntelError::UnsafePath {
                archive: name.to_string(),
                member: member_name,
            });
        }
        if member.is_dir() {
            continue;
        }
        limits.check_document(
            &format!("{name}!{member_name}"),
            member.compressed_size(),
            member.size(),
        )?;
        total = total.saturating_add(member.size());
        if total > limits.max_total_bytes {
            return Err(IntelError::Limit {
                name: name.to_string(),
                what: format!("the total decompressed size ({total} bytes)"),
                limit: limits.max_total_bytes,
            });
        }
    }
    let mut summary = Summary::default();
    let mut buffer = Vec::new();
    for index in 0..archive.len() {
        let mut member = archive.by_index(index).map_err(archive_error)?;
        if member.is_dir() {
            continue;
        }
        let member_name = member.name().to_string();
        let full_name = format!("{name}!{member_name}");
        if is_side_file(&member_name) {
            summary.skipped.push(full_name);
            continue;
        }
        let declared = member.size();
        buffer.clear();
        // Never read past the declared size: a member that inflates to more is a bomb.
        (&mut member)
            .take(declared.saturating_add(1))
            .read_to_end(&mut buffer)
            .map_err(|source| IntelError::ReadMember {
                archive: name.to_string(),
                member: member_name.clone(),
                source,
            })?;
        if buffer.len() as u64 != declared {
            return Err(IntelError::ReadMember {
                archive: name.to_string(),
                member: member_name,
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "declares {declared} bytes but decompresses to {}{} bytes",
                        if buffer.len() as u64 > declared {
                            "more than "
                        } else {
                            ""
                        },
                        buffer.len().min(declared as usize)
                    ),
                ),
            });
        }
        summary.documents += 1;
        visitor(&full_name, &buffer);
    }
    Ok(summary)
}

/// Visits every document of a file or folder. A folder is walked recursively in name order;
/// hidden entries and symbolic links are not followed; zip archives inside it are visited
/// member by member (`folder/x.zip!member`).
pub fn visit_path(
    path: &Path,
    limits: &Limits,
    mut visitor: impl FnMut(Entry<'_>),
) -> Result<Summary, IntelError> {
    visit_path_bytes(path, limits, |name, bytes| {
        let result = read_document_with(name, bytes, limits);
        visitor(Entry {
            name,
            bytes,
            result,
        });
    })
}

/// Visits the bytes of every document of a file or folder without reading them, with the
/// same walk and checks as [`visit_path`]; see [`visit_zip_bytes`].
pub fn visit_path_bytes(
    path: &Path,
    limits: &Limits,
    mut visitor: impl FnMut(&str, &[u8]),
) -> Result<Summary, IntelError> {
    let mut summary = Summary::default();
    let mut walk = Walk {
        limits,
        total: 0,
        entries: 0,
    };
    let root_name = path.display().to_string();
    walk.visit(path, &root_name, &mut summary, &mut visitor)?;
    Ok(summary)
}

struct Walk<'a> {
    limits: &'a Limits,
    total: u64,
    entries: u64,
}

impl Walk<'_> {
    fn visit(
        &mut self,
        path: &Path,
        name: &str,
        summary: &mut Summary,
        visitor: &mut dyn FnMut(&str, &[u8]),
    ) -> Result<(), IntelError> {
        let read_error = |source| IntelError::ReadPath {
            path: path.to_path_buf(),
            source,
        };
        let metadata = fs::symlink_metadata(path).map_err(read_error)?;
        if metadata.file_type().is_symlink() {
            summary.warnings.push(Warning {
                document: name.to_string(),
                record: None,
                kind: WarningKind::Unsupported,
                message: "symbolic link not followed".to_string(),
            });
            return Ok(());
        }
        if metadata.is_dir() {
            let mut children: Vec<_> = fs::read_dir(path)
                .map_err(read_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(read_error)?;
            children.sort_by_key(|child| child.file_name());
            for child in children {
                let child_name = child.file_name().to_string_lossy().into_owned();
                let display = if name.is_empty() {
                    child_name.clone()
                } else {
                    format!("{name}/{child_name}")
                };
                if child_name.starts_with('.') {
                    summary.skipped.push(display);
                    continue;
                }
                self.visit(&child.path(), &display, summary, visitor)?;
            }
            return Ok(());
        }
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(IntelError::Limit {
                name: name.to_string(),
                what: format!("the number of files ({})", self.entries),
                limit: self.limits.max_entries,
            });
        }
        if is_side_file(name) {
            summary.skipped.push(name.to_string());
            return Ok(());
        }
        if metadata.len() > self.limits.max_document_bytes && !name.ends_with(".zip") {
            return Err(IntelError::Limit {
                name: name.to_string(),
                what: format!("the file size ({} bytes)", metadata.len()),
                limit: self.limits.max_document_bytes,
            });
        }
        let bytes = fs::read(path).map_err(read_error)?;
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            let inner = visit_zip_bytes(
                name,
                std::io::Cursor::new(&bytes),
                self.limits,
                &mut *visitor,
            )?;
            summary.documents += inner.documents;
            summary.skipped.extend(inner.skipped);
            summary.warnings.extend(inner.warnings);
            return Ok(());
        }
        self.total = self.total.saturating_add(bytes.len() as u64);
        if self.total > self.limits.max_total_bytes {
            return Err(IntelError::Limit {
                name: name.to_string(),
                what: format!("the total size ({} bytes)", self.total),
                limit: self.limits.max_total_bytes,
            });
        }
        summary.documents += 1;
        visitor(name, &bytes);
        Ok(())
    }
}

/// A `Write` that keeps at most `limit` bytes and notes when more were offered; the xz
/// decoder writes into it so that a bomb stops at the limit.
#[derive(Debug)]
pub(crate) struct BoundedWriter {
    buffer: Vec<u8>,
    limit: u64,
    exceeded: bool,
}

impl BoundedWriter {
    pub(crate) fn new(limit: u64) -> BoundedWriter {
        BoundedWriter {
            buffer: Vec::new(),
            limit,
            exceeded: false,
        }
    }

    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded
    }

    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.buffer
    }
}

impl Write for BoundedWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buffer.len() as u64 + data.len() as u64 > self.limit {
            self.exceeded = true;
            return Err(std::io::Error::other("decompressed data exceeds the limit"));
        }
        self.buffer.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths() {
        for (path, expected) in [
            ("PyPI/PYSEC-2021-1.json", false),
            ("a/../b.json", true),
            ("../b.json", true),
            ("/etc/passwd", true),
            ("C:/x.json", true),
            ("..\\x.json", true),
            ("a..b.json", false),
        ] {
            assert_eq!(is_unsafe_path(path), expected, "{path}");
        }
    }

    #[test]
    fn side_files() {
        for (path, expected) in [
            ("OT/white/2024/icsa-24-298-03.json.asc", true),
            ("x.json.sha512", true),
            ("OT/white/index.txt", true),
            ("OT/white/changes.csv", true),
            ("epss_scores-2023-03-19.csv", false),
            ("GHSA-x.json", false),
            (".DS_Store", true),
        ] {
            assert_eq!(is_side_file(path), expected, "{path}");
        }
    }
}
