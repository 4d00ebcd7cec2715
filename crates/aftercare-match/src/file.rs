//! The compiled index file: an [`Index`] written once (`aftercare index build`) and read
//! lazily by every scan, so that a scan decodes only the packages its SBOM names.
//!
//! Our own compact binary format (see `docs/adr/0007-matching.md` for why not a serde
//! format): little-endian, variable-length integers (LEB128) and length-prefixed UTF-8
//! strings. Layout:
//!
//! ```text
//! header    magic "AFTERCARE-INDEX\0", format version (u32), reserved (u32),
//!           offset and length of the summary, the directory and the record table (u64 each)
//! blobs     one per directory key: the entries found under it, records by file number
//! records   one blob per record (id, aliases, ratings, KEV mark, vulnerabilities)
//! table     record file number → (offset u64, length u32) of its blob, fixed width
//! directory sorted fixed-width entries (key offset u32, key length u32, blob offset u64,
//!           blob length u32) followed by the key bytes
//! summary   format version, inputs (name, SHA-256, size), counts
//! ```
//!
//! Directory keys start with a letter naming what they find: `p` OSV packages by package
//! key, `c` NVD configurations by CPE vendor and product (`c*`: wildcard criteria), `s` CSAF
//! statements, `v`/`w` CVE 5 products by package key / CPE, `u` a vulnerability by canonical
//! id, `a` the canonical ids of an id a CSAF statement names.
//!
//! Reading goes through [`ReadAt`] so that this crate does no I/O: the command line reads
//! the whole file into memory once and every section is then borrowed from it, without a
//! copy; another source may read ranges (`pread`) into buffers. Opening reads the header, the
//! summary and the directory (one read each); [`IndexFile::load`] then reads the blobs of the
//! keys the components name, the records they reference and those records' vulnerabilities.
//! Every read is bounds-checked: a truncated or corrupt file is a [`MatchError`], never a
//! panic.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aftercare_intel::csaf::ProductStatus;
use aftercare_intel::record::{
    AffectedProduct, Configuration, Container, CpeMatch, Node, Operator, Source, VersionBound,
    VersionChange, VersionStatement, VersionStatus,
};
use aftercare_model::{Cpe, Ecosystem, PackageKey, Severity, VulnerabilityId};
use aftercare_version::RangeEvent;

use crate::component::{Component, FileHash};
use crate::csaf::{CsafKey, CsafStatement, Helper};
use crate::error::MatchError;
use crate::index::{
    Index, Parts, RecordInfo, RecordKey, StoredConfiguration, StoredEntry, StoredProduct,
    Vulnerability,
};
use crate::nvd::CpeKey;
use crate::osv::{PackageEntry, RangeType, StoredPackage};
use crate::severity::{Assessment, Basis, CvssVersion, Rating};

/// The magic bytes a compiled index starts with.
pub const MAGIC: &[u8; 16] = b"AFTERCARE-INDEX\0";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LENGTH: usize = 16 + 4 + 4 + 6 * 8;
const DIRECTORY_ENTRY: usize = 4 + 4 + 8 + 4;
const TABLE_ENTRY: usize = 8 + 4;

/// One input the index was built from: what staleness is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as given to `index build`.
    pub name: String,
    /// The SHA-256 of its bytes (of a folder: of its files' names and digests), hex.
    pub digest: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// What a compiled index says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The format version.
    pub format_version: u32,
    /// The version of aftercare that wrote it.
    pub written_by: String,
    /// The inputs it was built from.
    pub inputs: Vec<Input>,
    /// Records indexed.
    pub records: u64,
    /// Vulnerabilities.
    pub vulnerabilities: u64,
    /// Distinct OSV package keys.
    pub packages: u64,
    /// Directory keys.
    pub keys: u64,
    /// Warnings met while indexing.
    pub warnings: u64,
}

/// Random access to the bytes of an index file.
pub trait ReadAt {
    /// Reads exactly `length` bytes at `offset`: borrowed when the bytes are in memory.
    fn read_at(&self, offset: u64, length: usize) -> std::io::Result<Cow<'_, [u8]>>;
    /// The total length.
    fn length(&self) -> std::io::Result<u64>;
}

impl ReadAt for [u8] {
    fn read_at(&self, offset: u64, length: usize) -> std::io::Result<Cow<'_, [u8]>> {
        let start = usize::try_from(offset).map_err(std::io::Error::other)?;
        let end = start
            .checked_add(length)
            .filter(|end| *end <= self.len())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        Ok(Cow::Borrowed(&self[start..end]))
    }

    fn length(&self) -> std::io::Result<u64> {
        Ok(self.len() as u64)
    }
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn read_at(&self, offset: u64, length: usize) -> std::io::Result<Cow<'_, [u8]>> {
        (**self).read_at(offset, length)
    }

    fn length(&self) -> std::io::Result<u64> {
        (**self).length()
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, offset: u64, length: usize) -> std::io::Result<Cow<'_, [u8]>> {
        self.as_slice().read_at(offset, length)
    }

    fn length(&self) -> std::io::Result<u64> {
        Ok(self.len() as u64)
    }
}

// ---------------------------------------------------------------------------------------
// Encoding.

#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    fn u8(&mut self, value: u8) {
        self.bytes.push(value);
    }

    fn number(&mut self, mut value: u64) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.bytes.push(byte);
                return;
            }
            self.bytes.push(byte | 0x80);
        }
    }

    fn bool(&mut self, value: bool) {
        self.u8(u8::from(value));
    }

    fn text(&mut self, value: &str) {
        self.number(value.len() as u64);
        self.bytes.extend_from_slice(value.as_bytes());
    }

    fn option_text(&mut self, value: Option<&str>) {
        match value {
            Some(text) => {
                self.u8(1);
                self.text(text);
            }
            None => self.u8(0),
        }
    }

    fn id(&mut self, id: &VulnerabilityId) {
        self.text(id.as_str());
    }

    fn option_id(&mut self, id: Option<&VulnerabilityId>) {
        self.option_text(id.map(VulnerabilityId::as_str));
    }

    fn ids(&mut self, ids: &[VulnerabilityId]) {
        self.number(ids.len() as u64);
        for id in ids {
            self.id(id);
        }
    }

    fn texts(&mut self, texts: &[String]) {
        self.number(texts.len() as u64);
        for text in texts {
            self.text(text);
        }
    }

    fn f64(&mut self, value: f64) {
        self.bytes.extend_from_slice(&value.to_bits().to_le_bytes());
    }

    fn package_key(&mut self, key: &PackageKey) {
        self.text(key.ecosystem.osv_name());
        self.text(&key.name);
    }

    fn severity(&mut self, severity: Severity) {
        let position = Severity::ALL
            .iter()
            .position(|known| *known == severity)
            .unwrap_or(0);
        self.u8(position as u8);
    }

    fn source(&mut self, source: Source) {
        self.u8(match source {
            Source::Osv => 0,
            Source::Nvd => 1,
            Source::NvdLegacy => 2,
            Source::Cve5 => 3,
            Source::Csaf => 4,
        });
    }

    fn cvss_version(&mut self, version: CvssVersion) {
        self.u8(match version {
            CvssVersion::V2 => 0,
            CvssVersion::V3_0 => 1,
            CvssVersion::V3_1 => 2,
            CvssVersion::V4_0 => 3,
        });
    }

    fn rating(&mut self, rating: &Rating) {
        match rating {
            Rating::Cvss {
                version,
                vector,
                score,
                severity,
                vulnerability,
            } => {
                self.u8(0);
                self.cvss_version(*version);
                self.text(vector);
                self.f64(*score);
                self.severity(*severity);
                self.option_id(vulnerability.as_ref());
            }
            Rating::Label {
                label,
                severity,
                vulnerability,
            } => {
                self.u8(1);
                self.text(label);
                self.severity(*severity);
                self.option_id(vulnerability.as_ref());
            }
        }
    }

    fn assessment(&mut self, assessment: &Assessment) {
        self.severity(assessment.severity);
        match &assessment.basis {
            Basis::Cvss {
                record,
                version,
                vector,
                score,
            } => {
                self.u8(0);
                self.id(record);
                self.cvss_version(*version);
                self.text(vector);
                self.f64(*score);
            }
            Basis::Label { record, label } => {
                self.u8(1);
                self.id(record);
                self.text(label);
            }
            Basis::Unknown => self.u8(2),
        }
    }

    fn record(&mut self, info: &RecordInfo) {
        self.source(info.key.source);
        self.id(&info.key.id);
        self.ids(&info.aliases);
        self.ids(&info.related);
        self.bool(info.withdrawn);
        self.option_text(info.summary.as_deref());
        self.number(info.ratings.len() as u64);
        for rating in &info.ratings {
            self.rating(rating);
        }
        self.bool(info.kev);
        self.ids(&info.vulnerabilities);
    }

    fn vulnerability(&mut self, vulnerability: &Vulnerability, records: &HashMap<&RecordKey, u32>) {
        self.id(&vulnerability.id);
        self.ids(&vulnerability.aliases);
        self.ids(&vulnerability.shared);
        self.ids(&vulnerability.related);
        self.number(vulnerability.records.len() as u64);
        for key in &vulnerability.records {
            self.source(key.source);
            self.id(&key.id);
            // The record's file number plus one; zero for a record not in the file.
            self.number(records.get(key).map_or(0, |number| u64::from(*number) + 1));
        }
        self.assessment(&vulnerability.severity);
        self.bool(vulnerability.kev);
        self.bool(vulnerability.withdrawn);
        self.option_text(vulnerability.summary.as_deref());
    }

    fn event(&mut self, event: &RangeEvent) {
        let (tag, text) = match event {
            RangeEvent::Introduced(text) => (0, text),
            RangeEvent::Fixed(text) => (1, text),
            RangeEvent::LastAffected(text) => (2, text),
            RangeEvent::Limit(text) => (3, text),
        };
        self.u8(tag);
        self.text(text);
    }

    /// An entry; its listed versions as classes of the package's presorted table.
    fn package(&mut self, record: u32, entry: &PackageEntry, class_of: &HashMap<u32, u32>) {
        let stored = &entry.stored;
        self.number(u64::from(record));
        self.number(u64::from(stored.affected));
        self.package_key(&stored.key);
        self.text(&stored.ecosystem);
        self.option_text(stored.release.as_deref());
        self.text(&stored.name);
        self.number(stored.ranges.len() as u64);
        for (position, kind, events) in &stored.ranges {
            self.number(u64::from(*position));
            self.u8(match kind {
                RangeType::Semver => 0,
                RangeType::Ecosystem => 1,
            });
            self.number(events.len() as u64);
            for event in events {
                self.event(event);
            }
        }
        let classes: Vec<u32> = entry
            .listed
            .iter()
            .filter_map(|id| class_of.get(id).copied())
            .collect();
        self.number(classes.len() as u64);
        for class in classes {
            self.number(u64::from(class));
        }
        self.texts(&entry.listed_text);
    }

    /// A package's version table: texts in version order with their classes.
    fn table(&mut self, texts: &[&str], classes: &[u32]) {
        self.number(texts.len() as u64);
        for (text, class) in texts.iter().zip(classes) {
            self.text(text);
            self.number(u64::from(*class));
        }
    }

    fn operator(&mut self, operator: Operator) {
        self.u8(match operator {
            Operator::And => 0,
            Operator::Or => 1,
        });
    }

    fn bound(&mut self, bound: Option<&VersionBound>) {
        match bound {
            None => self.u8(0),
            Some(VersionBound::Including(text)) => {
                self.u8(1);
                self.text(text);
            }
            Some(VersionBound::Excluding(text)) => {
                self.u8(2);
                self.text(text);
            }
        }
    }

    fn node(&mut self, node: &Node) {
        self.operator(node.operator);
        self.bool(node.negate);
        self.number(node.matches.len() as u64);
        for criterion in &node.matches {
            self.bool(criterion.vulnerable);
            self.text(&criterion.criteria.to_string());
            self.bound(criterion.version_start.as_ref());
            self.bound(criterion.version_end.as_ref());
            self.option_text(criterion.match_criteria_id.as_deref());
        }
        self.number(node.children.len() as u64);
        for child in &node.children {
            self.node(child);
        }
    }

    fn configuration(&mut self, record: u32, stored: &StoredConfiguration) {
        self.number(u64::from(record));
        self.number(u64::from(stored.position));
        let configuration = &stored.configuration;
        self.operator(configuration.operator);
        self.bool(configuration.negate);
        self.number(configuration.nodes.len() as u64);
        for node in &configuration.nodes {
            self.node(node);
        }
    }

    fn statement(&mut self, record: u32, statement: &CsafStatement) {
        self.number(u64::from(record));
        self.option_id(statement.vulnerability.as_ref());
        let status = ProductStatus::ALL
            .iter()
            .position(|known| *known == statement.status)
            .unwrap_or(0);
        self.u8(status as u8);
        self.text(&statement.product);
        self.text(&statement.product_name);
        match &statement.helper {
            Helper::Purl(purl) => {
                self.u8(0);
                self.text(&purl.to_string());
            }
            Helper::Cpe(cpe) => {
                self.u8(1);
                self.text(&cpe.to_string());
            }
            Helper::Hash(hash) => {
                self.u8(2);
                self.text(&hash.algorithm);
                self.text(&hash.value);
            }
        }
        self.option_text(statement.justification.as_deref());
    }

    fn status(&mut self, status: &VersionStatus) {
        match status {
            VersionStatus::Affected => self.u8(0),
            VersionStatus::Unaffected => self.u8(1),
            VersionStatus::Unknown => self.u8(2),
            VersionStatus::Other(text) => {
                self.u8(3);
                self.text(text);
            }
        }
    }

    fn product(&mut self, record: u32, stored: &StoredProduct) {
        self.number(u64::from(record));
        self.number(u64::from(stored.position));
        let product = &stored.product;
        match &product.container {
            Container::Cna => self.u8(0),
            Container::Adp(name) => {
                self.u8(1);
                self.text(name);
            }
            Container::Nvd(name) => {
                self.u8(2);
                self.text(name);
            }
        }
        self.option_text(product.vendor.as_deref());
        self.option_text(product.product.as_deref());
        self.option_text(product.package_name.as_deref());
        self.option_text(product.collection_url.as_deref());
        match &product.key {
            Some(key) => {
                self.u8(1);
                self.package_key(key);
            }
            None => self.u8(0),
        }
        self.option_text(product.repo.as_deref());
        self.number(product.cpes.len() as u64);
        for cpe in &product.cpes {
            self.text(&cpe.to_string());
        }
        self.texts(&product.platforms);
        self.number(product.versions.len() as u64);
        for statement in &product.versions {
            self.text(&statement.version);
            self.option_text(statement.less_than.as_deref());
            self.option_text(statement.less_than_or_equal.as_deref());
            self.status(&statement.status);
            self.option_text(statement.version_type.as_deref());
            self.number(statement.changes.len() as u64);
            for change in &statement.changes {
                self.text(&change.at);
                self.status(&change.status);
            }
        }
        match &product.default_status {
            Some(status) => {
                self.u8(1);
                self.status(status);
            }
            None => self.u8(0),
        }
    }
}

fn package_directory_key(key: &PackageKey) -> String {
    format!("p{}\0{}", key.ecosystem.osv_name(), key.name)
}

fn cpe_directory_key(prefix: char, key: &CpeKey) -> String {
    match key {
        Some((vendor, product)) => format!("{prefix}{vendor}\0{product}"),
        None => format!("{prefix}*"),
    }
}

fn csaf_directory_key(key: &CsafKey) -> String {
    match key {
        CsafKey::Purl(ty, namespace, name) => {
            format!("sp{ty}\0{}\0{name}", namespace.as_deref().unwrap_or(""))
        }
        CsafKey::Cpe(pair) => format!("sc{}", cpe_directory_key(':', pair)),
        CsafKey::Hash(algorithm, value) => format!("sh{algorithm}\0{value}"),
    }
}

/// Writes an index to bytes, with the inputs it was built from and the writer's version.
pub fn write(index: &Index, inputs: &[Input], written_by: &str) -> Vec<u8> {
    // File numbers for records: slots in order, holes skipped.
    let mut numbers: HashMap<u32, u32> = HashMap::new();
    let mut records: Vec<&RecordInfo> = Vec::new();
    for (slot, info) in index.slots() {
        numbers.insert(slot, records.len() as u32);
        records.push(info);
    }
    let number_of_key: HashMap<&RecordKey, u32> = records
        .iter()
        .enumerate()
        .map(|(number, info)| (&info.key, number as u32))
        .collect();
    let number = |slot: u32| numbers.get(&slot).copied().unwrap_or(u32::MAX);

    // Directory contents: key → blob.
    let mut blobs: BTreeMap<String, Writer> = BTreeMap::new();
    let mut entry_counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut add = |key: String, encode: &mut dyn FnMut(&mut Writer)| {
        let writer = blobs.entry(key.clone()).or_default();
        encode(writer);
        *entry_counts.entry(key).or_default() += 1;
    };
    let mut package_keys: Vec<&PackageKey> = index.packages.keys().collect();
    package_keys.sort();
    // A package's blob: its entry count, its version table, then its entries.
    let mut package_blobs: Vec<(String, Writer)> = Vec::with_capacity(package_keys.len());
    for key in &package_keys {
        let Some(package) = index.packages.get(*key) else {
            continue;
        };
        let (texts, classes, class_of) = package.versions.presorted();
        let mut writer = Writer::default();
        writer.number(package.entries.len() as u64);
        writer.table(&texts, &classes);
        for (slot, entry) in &package.entries {
            writer.package(number(*slot), entry, &class_of);
        }
        package_blobs.push((package_directory_key(key), writer));
    }
    let mut configuration_keys: Vec<&CpeKey> = index.configurations.keys().collect();
    configuration_keys.sort();
    for key in configuration_keys {
        for stored in index.configurations.get(key).into_iter().flatten() {
            add(cpe_directory_key('c', key), &mut |writer| {
                writer.configuration(number(stored.record), stored)
            });
        }
    }
    let mut about: Vec<&VulnerabilityId> = Vec::new();
    let mut csaf_keys: Vec<&CsafKey> = index.csaf.keys().collect();
    csaf_keys.sort();
    for key in csaf_keys {
        for (slot, statement) in index.csaf.get(key).into_iter().flatten() {
            if let Some(id) = &statement.vulnerability {
                about.push(id);
            }
            add(csaf_directory_key(key), &mut |writer| {
                writer.statement(number(*slot), statement)
            });
        }
    }
    let mut cve5_package_keys: Vec<&PackageKey> = index.cve5_packages.keys().collect();
    cve5_package_keys.sort();
    for key in cve5_package_keys {
        for stored in index.cve5_packages.get(key).into_iter().flatten() {
            add(
                format!("v{}", &package_directory_key(key)[1..]),
                &mut |writer| writer.product(number(stored.record), stored),
            );
        }
    }
    let mut cve5_cpe_keys: Vec<&CpeKey> = index.cve5_cpes.keys().collect();
    cve5_cpe_keys.sort();
    for key in cve5_cpe_keys {
        for stored in index.cve5_cpes.get(key).into_iter().flatten() {
            add(cpe_directory_key('w', key), &mut |writer| {
                writer.product(number(stored.record), stored)
            });
        }
    }
    for vulnerability in index.vulnerabilities() {
        add(format!("u{}", vulnerability.id), &mut |writer| {
            writer.vulnerability(vulnerability, &number_of_key)
        });
    }
    about.sort();
    about.dedup();
    for id in about {
        let canonical = index.canonical(id).to_vec();
        add(format!("a{id}"), &mut |writer| writer.ids(&canonical));
    }

    // Assemble: header, blobs (count-prefixed), records, table, directory, summary.
    let mut out = vec![0u8; HEADER_LENGTH];
    let mut all: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (key, writer) in &blobs {
        let mut blob = Writer::default();
        blob.number(entry_counts.get(key).copied().unwrap_or(0));
        blob.bytes.extend_from_slice(&writer.bytes);
        all.insert(key.clone(), blob.bytes);
    }
    for (key, writer) in package_blobs {
        all.insert(key, writer.bytes);
    }
    let mut directory: Vec<(String, u64, u32)> = Vec::with_capacity(all.len());
    for (key, blob) in &all {
        directory.push((key.clone(), out.len() as u64, blob.len() as u32));
        out.extend_from_slice(blob);
    }
    let mut table = Vec::with_capacity(records.len() * TABLE_ENTRY);
    for info in &records {
        let mut writer = Writer::default();
        writer.record(info);
        table.extend_from_slice(&(out.len() as u64).to_le_bytes());
        table.extend_from_slice(&(writer.bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&writer.bytes);
    }
    let table_offset = out.len() as u64;
    out.extend_from_slice(&table);
    let directory_offset = out.len() as u64;
    let mut keys_area = Vec::new();
    let mut entries = Vec::with_capacity(directory.len() * DIRECTORY_ENTRY);
    for (key, offset, length) in &directory {
        entries.extend_from_slice(&(keys_area.len() as u32).to_le_bytes());
        entries.extend_from_slice(&(key.len() as u32).to_le_bytes());
        entries.extend_from_slice(&offset.to_le_bytes());
        entries.extend_from_slice(&length.to_le_bytes());
        keys_area.extend_from_slice(key.as_bytes());
    }
    let mut directory_bytes = Writer::default();
    directory_bytes.number(directory.len() as u64);
    directory_bytes.bytes.extend_from_slice(&entries);
    directory_bytes.bytes.extend_from_slice(&keys_area);
    out.extend_from_slice(&directory_bytes.bytes);
    let summary_offset = out.len() as u64;
    let mut summary = Writer::default();
    summary.number(u64::from(FORMAT_VERSION));
    summary.text(written_by);
    summary.number(inputs.len() as u64);
    for input in inputs {
        summary.text(&input.name);
        summary.text(&input.digest);
        summary.number(input.bytes);
    }
    summary.number(records.len() as u64);
    summary.number(index.vulnerability_count() as u64);
    summary.number(package_keys.len() as u64);
    summary.number(directory.len() as u64);
    summary.number(index.warnings().len() as u64);
    out.extend_from_slice(&summary.bytes);

    let mut header = Vec::with_capacity(HEADER_LENGTH);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    for value in [
        summary_offset,
        summary.bytes.len() as u64,
        directory_offset,
        directory_bytes.bytes.len() as u64,
        table_offset,
        records.len() as u64,
    ] {
        header.extend_from_slice(&value.to_le_bytes());
    }
    out[..HEADER_LENGTH].copy_from_slice(&header);
    out
}

// ---------------------------------------------------------------------------------------
// Decoding.

struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    /// The file offset of `bytes[0]`, for error messages.
    base: u64,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], base: u64) -> Reader<'a> {
        Reader {
            bytes,
            position: 0,
            base,
        }
    }

    fn corrupt(&self, what: &'static str) -> MatchError {
        MatchError::Corrupt {
            what,
            offset: self.base + self.position as u64,
        }
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, MatchError> {
        let value = *self
            .bytes
            .get(self.position)
            .ok_or_else(|| self.corrupt(what))?;
        self.position += 1;
        Ok(value)
    }

    fn number(&mut self, what: &'static str) -> Result<u64, MatchError> {
        let mut value: u64 = 0;
        let mut shift = 0;
        loop {
            let byte = self.u8(what)?;
            if shift >= 64 {
                return Err(self.corrupt(what));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, MatchError> {
        u32::try_from(self.number(what)?).map_err(|_| self.corrupt(what))
    }

    fn count(&mut self, what: &'static str) -> Result<usize, MatchError> {
        let count = self.number(what)?;
        // Every element takes at least one byte: a larger count is corrupt.
        if count > (self.bytes.len() - self.position) as u64 {
            return Err(self.corrupt(what));
        }
        Ok(count as usize)
    }

    fn bool(&mut self, what: &'static str) -> Result<bool, MatchError> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.corrupt(what)),
        }
    }

    fn text(&mut self, what: &'static str) -> Result<String, MatchError> {
        let length = self.count(what)?;
        let end = self.position + length;
        let bytes = self
            .bytes
            .get(self.position..end)
            .ok_or_else(|| self.corrupt(what))?;
        let text = std::str::from_utf8(bytes).map_err(|_| self.corrupt(what))?;
        self.position = end;
        Ok(text.to_string())
    }

    fn option_text(&mut self, what: &'static str) -> Result<Option<String>, MatchError> {
        match self.u8(what)? {
            0 => Ok(None),
            1 => self.text(what).map(Some),
            _ => Err(self.corrupt(what)),
        }
    }

    /// An id, parsed from the file's bytes (not from a copy of them).
    fn id(&mut self, what: &'static str) -> Result<VulnerabilityId, MatchError> {
        let text = self.str(what)?;
        text.parse().map_err(|_| self.corrupt(what))
    }

    fn option_id(&mut self, what: &'static str) -> Result<Option<VulnerabilityId>, MatchError> {
        match self.u8(what)? {
            0 => Ok(None),
            1 => self.id(what).map(Some),
            _ => Err(self.corrupt(what)),
        }
    }

    fn ids(&mut self, what: &'static str) -> Result<Vec<VulnerabilityId>, MatchError> {
        let count = self.count(what)?;
        (0..count).map(|_| self.id(what)).collect()
    }

    fn texts(&mut self, what: &'static str) -> Result<Vec<String>, MatchError> {
        let count = self.count(what)?;
        (0..count).map(|_| self.text(what)).collect()
    }

    fn f64(&mut self, what: &'static str) -> Result<f64, MatchError> {
        let bytes = self
            .bytes
            .get(self.position..self.position + 8)
            .ok_or_else(|| self.corrupt(what))?;
        let mut array = [0u8; 8];
        array.copy_from_slice(bytes);
        self.position += 8;
        Ok(f64::from_bits(u64::from_le_bytes(array)))
    }

    fn package_key(&mut self, what: &'static str) -> Result<PackageKey, MatchError> {
        let ecosystem = Ecosystem::from_osv(self.str(what)?).0;
        let name = self.text(what)?;
        Ok(PackageKey { ecosystem, name })
    }

    fn severity(&mut self, what: &'static str) -> Result<Severity, MatchError> {
        let position = self.u8(what)?;
        Severity::ALL
            .get(position as usize)
            .copied()
            .ok_or_else(|| self.corrupt(what))
    }

    fn source(&mut self) -> Result<Source, MatchError> {
        Ok(match self.u8("record source")? {
            0 => Source::Osv,
            1 => Source::Nvd,
            2 => Source::NvdLegacy,
            3 => Source::Cve5,
            4 => Source::Csaf,
            _ => return Err(self.corrupt("record source")),
        })
    }

    fn cvss_version(&mut self) -> Result<CvssVersion, MatchError> {
        Ok(match self.u8("CVSS version")? {
            0 => CvssVersion::V2,
            1 => CvssVersion::V3_0,
            2 => CvssVersion::V3_1,
            3 => CvssVersion::V4_0,
            _ => return Err(self.corrupt("CVSS version")),
        })
    }

    fn rating(&mut self) -> Result<Rating, MatchError> {
        Ok(match self.u8("rating")? {
            0 => Rating::Cvss {
                version: self.cvss_version()?,
                vector: self.text("CVSS vector")?,
                score: self.f64("CVSS score")?,
                severity: self.severity("rating severity")?,
                vulnerability: self.option_id("rating vulnerability")?,
            },
            1 => Rating::Label {
                label: self.text("label")?,
                severity: self.severity("rating severity")?,
                vulnerability: self.option_id("rating vulnerability")?,
            },
            _ => return Err(self.corrupt("rating")),
        })
    }

    fn assessment(&mut self) -> Result<Assessment, MatchError> {
        let severity = self.severity("severity")?;
        let basis = match self.u8("severity basis")? {
            0 => Basis::Cvss {
                record: self.id("severity record")?,
                version: self.cvss_version()?,
                vector: self.text("severity vector")?,
                score: self.f64("severity score")?,
            },
            1 => Basis::Label {
                record: self.id("severity record")?,
                label: self.text("severity label")?,
            },
            2 => Basis::Unknown,
            _ => return Err(self.corrupt("severity basis")),
        };
        Ok(Assessment { severity, basis })
    }

    fn record(&mut self) -> Result<RecordInfo, MatchError> {
        let source = self.source()?;
        let id = self.id("record id")?;
        let aliases = self.ids("record aliases")?;
        let related = self.ids("record related")?;
        let withdrawn = self.bool("record withdrawn")?;
        let summary = self.option_text("record summary")?;
        let count = self.count("record ratings")?;
        let ratings = (0..count)
            .map(|_| self.rating())
            .collect::<Result<_, _>>()?;
        let kev = self.bool("record KEV mark")?;
        let vulnerabilities = self.ids("record vulnerabilities")?;
        Ok(RecordInfo {
            key: RecordKey { source, id },
            aliases,
            related,
            withdrawn,
            summary,
            ratings,
            kev,
            vulnerabilities,
        })
    }

    fn vulnerability(&mut self) -> Result<Vulnerability, MatchError> {
        let id = self.id("vulnerability id")?;
        let aliases = self.ids("vulnerability aliases")?;
        let shared = self.ids("vulnerability shared ids")?;
        let related = self.ids("vulnerability related")?;
        let count = self.count("vulnerability records")?;
        let mut records = Vec::with_capacity(count);
        for _ in 0..count {
            let source = self.source()?;
            let record = self.id("vulnerability record")?;
            let _number = self.number("vulnerability record number")?;
            records.push(RecordKey { source, id: record });
        }
        Ok(Vulnerability {
            id,
            aliases,
            shared,
            related,
            records,
            severity: self.assessment()?,
            kev: self.bool("vulnerability KEV mark")?,
            withdrawn: self.bool("vulnerability withdrawn")?,
            summary: self.option_text("vulnerability summary")?,
        })
    }

    fn event(&mut self) -> Result<RangeEvent, MatchError> {
        let tag = self.u8("range event")?;
        let text = self.text("range event")?;
        Ok(match tag {
            0 => RangeEvent::Introduced(text),
            1 => RangeEvent::Fixed(text),
            2 => RangeEvent::LastAffected(text),
            3 => RangeEvent::Limit(text),
            _ => return Err(self.corrupt("range event")),
        })
    }

    fn package(&mut self) -> Result<StoredEntry, MatchError> {
        let record = self.u32("package record")?;
        let affected = self.u32("package entry")?;
        let key = self.package_key("package key")?;
        let ecosystem = self.text("package ecosystem")?;
        let release = self.option_text("package release")?;
        let name = self.text("package name")?;
        let count = self.count("package ranges")?;
        let mut ranges = Vec::with_capacity(count);
        for _ in 0..count {
            let position = self.u32("range position")?;
            let kind = match self.u8("range type")? {
                0 => RangeType::Semver,
                1 => RangeType::Ecosystem,
                _ => return Err(self.corrupt("range type")),
            };
            let events = self.count("range events")?;
            let events = (0..events)
                .map(|_| self.event())
                .collect::<Result<_, _>>()?;
            ranges.push((position, kind, events));
        }
        let count = self.count("listed versions")?;
        let listed = (0..count)
            .map(|_| self.u32("listed version"))
            .collect::<Result<_, _>>()?;
        let listed_text = self.texts("listed versions")?;
        Ok(StoredEntry {
            record,
            stored: StoredPackage {
                affected,
                key,
                ecosystem,
                release,
                name,
                ranges,
                versions: Vec::new(),
            },
            listed,
            listed_text,
        })
    }

    /// A text without copying it out.
    fn str(&mut self, what: &'static str) -> Result<&'a str, MatchError> {
        let length = self.count(what)?;
        let end = self.position + length;
        let bytes = self
            .bytes
            .get(self.position..end)
            .ok_or_else(|| self.corrupt(what))?;
        let text = std::str::from_utf8(bytes).map_err(|_| self.corrupt(what))?;
        self.position = end;
        Ok(text)
    }

    /// A package's version table: one buffer of texts, their ends, their classes.
    fn table(&mut self) -> Result<(String, Vec<u32>, Vec<u32>), MatchError> {
        let count = self.count("version table")?;
        let mut buffer = String::new();
        let mut ends = Vec::with_capacity(count);
        let mut classes = Vec::with_capacity(count);
        for _ in 0..count {
            buffer.push_str(self.str("version table")?);
            ends.push(u32::try_from(buffer.len()).map_err(|_| self.corrupt("version table"))?);
            classes.push(self.u32("version table")?);
        }
        Ok((buffer, ends, classes))
    }

    fn operator(&mut self) -> Result<Operator, MatchError> {
        match self.u8("operator")? {
            0 => Ok(Operator::And),
            1 => Ok(Operator::Or),
            _ => Err(self.corrupt("operator")),
        }
    }

    fn bound(&mut self) -> Result<Option<VersionBound>, MatchError> {
        Ok(match self.u8("version bound")? {
            0 => None,
            1 => Some(VersionBound::Including(self.text("version bound")?)),
            2 => Some(VersionBound::Excluding(self.text("version bound")?)),
            _ => return Err(self.corrupt("version bound")),
        })
    }

    fn cpe(&mut self, what: &'static str) -> Result<Cpe, MatchError> {
        let text = self.text(what)?;
        text.parse().map_err(|_| self.corrupt(what))
    }

    fn node(&mut self, depth: usize) -> Result<Node, MatchError> {
        if depth > 32 {
            return Err(self.corrupt("configuration depth"));
        }
        let operator = self.operator()?;
        let negate = self.bool("node negate")?;
        let count = self.count("node criteria")?;
        let mut matches = Vec::with_capacity(count);
        for _ in 0..count {
            matches.push(CpeMatch {
                vulnerable: self.bool("criterion vulnerable")?,
                criteria: self.cpe("criterion")?,
                version_start: self.bound()?,
                version_end: self.bound()?,
                match_criteria_id: self.option_text("criterion id")?,
            });
        }
        let count = self.count("node children")?;
        let children = (0..count)
            .map(|_| self.node(depth + 1))
            .collect::<Result<_, _>>()?;
        Ok(Node {
            operator,
            negate,
            matches,
            children,
        })
    }

    fn configuration(&mut self) -> Result<StoredConfiguration, MatchError> {
        let record = self.u32("configuration record")?;
        let position = self.u32("configuration position")?;
        let operator = self.operator()?;
        let negate = self.bool("configuration negate")?;
        let count = self.count("configuration nodes")?;
        let nodes = (0..count).map(|_| self.node(0)).collect::<Result<_, _>>()?;
        Ok(StoredConfiguration {
            record,
            position,
            configuration: Configuration {
                operator,
                negate,
                nodes,
            },
        })
    }

    fn statement(&mut self) -> Result<(u32, CsafStatement), MatchError> {
        let record = self.u32("statement record")?;
        let vulnerability = self.option_id("statement vulnerability")?;
        let status = *ProductStatus::ALL
            .get(self.u8("statement status")? as usize)
            .ok_or_else(|| self.corrupt("statement status"))?;
        let product = self.text("statement product")?;
        let product_name = self.text("statement product name")?;
        let helper = match self.u8("statement helper")? {
            0 => {
                let text = self.text("statement purl")?;
                Helper::Purl(text.parse().map_err(|_| self.corrupt("statement purl"))?)
            }
            1 => Helper::Cpe(self.cpe("statement CPE")?),
            2 => Helper::Hash(FileHash {
                algorithm: self.text("statement hash")?,
                value: self.text("statement hash")?,
            }),
            _ => return Err(self.corrupt("statement helper")),
        };
        let justification = self.option_text("statement justification")?;
        Ok((
            record,
            CsafStatement {
                vulnerability,
                status,
                product,
                product_name,
                helper,
                justification,
            },
        ))
    }

    fn status(&mut self) -> Result<VersionStatus, MatchError> {
        Ok(match self.u8("version status")? {
            0 => VersionStatus::Affected,
            1 => VersionStatus::Unaffected,
            2 => VersionStatus::Unknown,
            3 => VersionStatus::Other(self.text("version status")?),
            _ => return Err(self.corrupt("version status")),
        })
    }

    fn product(&mut self) -> Result<StoredProduct, MatchError> {
        let record = self.u32("product record")?;
        let position = self.u32("product position")?;
        let container = match self.u8("product container")? {
            0 => Container::Cna,
            1 => Container::Adp(self.text("product container")?),
            2 => Container::Nvd(self.text("product container")?),
            _ => return Err(self.corrupt("product container")),
        };
        let vendor = self.option_text("product vendor")?;
        let product = self.option_text("product name")?;
        let package_name = self.option_text("product package")?;
        let collection_url = self.option_text("product collection")?;
        let key = match self.u8("product key")? {
            0 => None,
            1 => Some(self.package_key("product key")?),
            _ => return Err(self.corrupt("product key")),
        };
        let repo = self.option_text("product repository")?;
        let count = self.count("product CPEs")?;
        let cpes = (0..count)
            .map(|_| self.cpe("product CPE"))
            .collect::<Result<_, _>>()?;
        let platforms = self.texts("product platforms")?;
        let count = self.count("product versions")?;
        let mut versions = Vec::with_capacity(count);
        for _ in 0..count {
            let version = self.text("statement version")?;
            let less_than = self.option_text("statement lessThan")?;
            let less_than_or_equal = self.option_text("statement lessThanOrEqual")?;
            let status = self.status()?;
            let version_type = self.option_text("statement versionType")?;
            let changes = self.count("statement changes")?;
            let changes = (0..changes)
                .map(|_| {
                    Ok(VersionChange {
                        at: self.text("change")?,
                        status: self.status()?,
                    })
                })
                .collect::<Result<_, MatchError>>()?;
            versions.push(VersionStatement {
                version,
                less_than,
                less_than_or_equal,
                status,
                version_type,
                changes,
            });
        }
        let default_status = match self.u8("product default status")? {
            0 => None,
            1 => Some(self.status()?),
            _ => return Err(self.corrupt("product default status")),
        };
        Ok(StoredProduct {
            record,
            position,
            product: AffectedProduct {
                container,
                vendor,
                product,
                package_name,
                collection_url,
                key,
                repo,
                cpes,
                platforms,
                versions,
                default_status,
            },
        })
    }
}

/// A compiled index opened for lazy reading.
#[derive(Debug)]
pub struct IndexFile<R> {
    source: R,
    summary: Summary,
    directory: Vec<u8>,
    directory_offset: u64,
    entries_start: usize,
    entries: usize,
    keys_start: usize,
    table_offset: u64,
    record_count: u64,
}

fn read<R: ReadAt + ?Sized>(
    source: &R,
    offset: u64,
    length: u64,
) -> Result<Cow<'_, [u8]>, MatchError> {
    let size = usize::try_from(length).map_err(|_| MatchError::Corrupt {
        what: "section length",
        offset,
    })?;
    source.read_at(offset, size).map_err(|error| {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            MatchError::Corrupt {
                what: "a section beyond the end of the file",
                offset,
            }
        } else {
            MatchError::Read {
                offset,
                length,
                source: error,
            }
        }
    })
}

fn le_u64(bytes: &[u8], at: usize) -> u64 {
    let mut array = [0u8; 8];
    if let Some(slice) = bytes.get(at..at + 8) {
        array.copy_from_slice(slice);
    }
    u64::from_le_bytes(array)
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    let mut array = [0u8; 4];
    if let Some(slice) = bytes.get(at..at + 4) {
        array.copy_from_slice(slice);
    }
    u32::from_le_bytes(array)
}

impl<R: ReadAt> IndexFile<R> {
    /// Opens an index: reads and checks the header, the summary and the directory.
    pub fn open(source: R) -> Result<IndexFile<R>, MatchError> {
        let total = source.length().map_err(|error| MatchError::Read {
            offset: 0,
            length: 0,
            source: error,
        })?;
        if total < HEADER_LENGTH as u64 {
            return Err(MatchError::NotAnIndex {
                expected: "AFTERCARE-INDEX",
            });
        }
        let header = read(&source, 0, HEADER_LENGTH as u64)?;
        if header.get(..16) != Some(&MAGIC[..]) {
            return Err(MatchError::NotAnIndex {
                expected: "AFTERCARE-INDEX",
            });
        }
        let version = le_u32(&header, 16);
        if version != FORMAT_VERSION {
            return Err(MatchError::FormatVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let field = |position: usize| le_u64(&header, 24 + position * 8);
        let (summary_offset, summary_length) = (field(0), field(1));
        let (directory_offset, directory_length) = (field(2), field(3));
        let (table_offset, record_count) = (field(4), field(5));
        for (offset, length) in [
            (summary_offset, summary_length),
            (directory_offset, directory_length),
            (
                table_offset,
                record_count.saturating_mul(TABLE_ENTRY as u64),
            ),
        ] {
            if offset.checked_add(length).is_none_or(|end| end > total) {
                return Err(MatchError::Corrupt {
                    what: "a section beyond the end of the file",
                    offset,
                });
            }
        }
        let summary_bytes = read(&source, summary_offset, summary_length)?;
        let mut reader = Reader::new(&summary_bytes, summary_offset);
        let format_version = reader.u32("summary version")?;
        let written_by = reader.text("summary writer")?;
        let count = reader.count("summary inputs")?;
        let mut inputs = Vec::with_capacity(count);
        for _ in 0..count {
            inputs.push(Input {
                name: reader.text("summary input")?,
                digest: reader.text("summary input")?,
                bytes: reader.number("summary input")?,
            });
        }
        let summary = Summary {
            format_version,
            written_by,
            inputs,
            records: reader.number("summary counts")?,
            vulnerabilities: reader.number("summary counts")?,
            packages: reader.number("summary counts")?,
            keys: reader.number("summary counts")?,
            warnings: reader.number("summary counts")?,
        };
        let directory = read(&source, directory_offset, directory_length)?.into_owned();
        let mut reader = Reader::new(&directory, directory_offset);
        let entries = reader.count("directory size")?;
        let keys_start = reader.position + entries * DIRECTORY_ENTRY;
        if keys_start > directory.len() {
            return Err(MatchError::Corrupt {
                what: "directory entries",
                offset: directory_offset,
            });
        }
        Ok(IndexFile {
            source,
            summary,
            directory_offset,
            entries_start: reader.position,
            directory,
            entries,
            keys_start,
            table_offset,
            record_count,
        })
    }

    /// What the index says about itself.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The directory key at a position.
    fn key_at(&self, position: usize) -> Option<&[u8]> {
        let at = self.entries_start + position * DIRECTORY_ENTRY;
        let offset = le_u32(&self.directory, at) as usize;
        let length = le_u32(&self.directory, at + 4) as usize;
        let start = self.keys_start.checked_add(offset)?;
        self.directory.get(start..start.checked_add(length)?)
    }

    /// The blob of a directory key, if the key exists.
    fn find(&self, key: &str) -> Result<Option<Cow<'_, [u8]>>, MatchError> {
        let wanted = key.as_bytes();
        let (mut low, mut high) = (0, self.entries);
        while low < high {
            let middle = low + (high - low) / 2;
            let found = self.key_at(middle).ok_or(MatchError::Corrupt {
                what: "directory key",
                offset: self.directory_offset,
            })?;
            match found.cmp(wanted) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => {
                    let at = self.entries_start + middle * DIRECTORY_ENTRY;
                    let offset = le_u64(&self.directory, at + 8);
                    let length = u64::from(le_u32(&self.directory, at + 16));
                    return read(&self.source, offset, length).map(Some);
                }
            }
        }
        Ok(None)
    }

    /// Every directory key with a prefix (for `load_all`).
    fn keys_with_prefix(&self, prefix: u8) -> Vec<String> {
        (0..self.entries)
            .filter_map(|position| self.key_at(position))
            .filter(|key| key.first() == Some(&prefix))
            .filter_map(|key| std::str::from_utf8(key).ok().map(str::to_string))
            .collect()
    }

    /// Reads a record by file number.
    fn record(&self, number: u32) -> Result<RecordInfo, MatchError> {
        if u64::from(number) >= self.record_count {
            return Err(MatchError::Corrupt {
                what: "record number",
                offset: self.table_offset,
            });
        }
        let at = self.table_offset + u64::from(number) * TABLE_ENTRY as u64;
        let entry = read(&self.source, at, TABLE_ENTRY as u64)?;
        let offset = le_u64(&entry, 0);
        let length = u64::from(le_u32(&entry, 8));
        let bytes = read(&self.source, offset, length)?;
        Reader::new(&bytes, offset).record()
    }

    /// Loads the part of the index that can match these components: the OSV packages,
    /// CVE 5 products, NVD configurations and CSAF statements found under their package keys,
    /// CPEs, purls and hashes, the records those reference and their vulnerabilities.
    pub fn load(&self, components: &[Component]) -> Result<Index, MatchError> {
        let mut keys: Vec<String> = Vec::new();
        for component in components {
            if let Some(package) = component.package_key() {
                let key = package_directory_key(&package);
                keys.push(format!("v{}", &key[1..]));
                keys.push(key);
            }
            if let Some(purl) = &component.purl {
                keys.push(csaf_directory_key(&crate::csaf::purl_key(purl)));
            }
            for cpe in &component.cpes {
                let pair = crate::nvd::cpe_key(cpe);
                keys.push(cpe_directory_key('c', &pair));
                keys.push(cpe_directory_key('w', &pair));
                keys.push(csaf_directory_key(&CsafKey::Cpe(pair)));
            }
            if !component.cpes.is_empty() {
                keys.push(cpe_directory_key('c', &None));
                keys.push(cpe_directory_key('w', &None));
                keys.push(csaf_directory_key(&CsafKey::Cpe(None)));
            }
            for hash in &component.hashes {
                keys.push(csaf_directory_key(&CsafKey::Hash(
                    hash.algorithm.clone(),
                    hash.value.clone(),
                )));
            }
        }
        keys.sort();
        keys.dedup();
        self.load_keys(&keys)
    }

    /// Loads the whole index, every record included (for a full portfolio match).
    pub fn load_all(&self) -> Result<Index, MatchError> {
        let mut keys = Vec::new();
        for prefix in [b'p', b'c', b's', b'v', b'w'] {
            keys.extend(self.keys_with_prefix(prefix));
        }
        self.load_keys_and(&keys, true)
    }

    fn load_keys(&self, keys: &[String]) -> Result<Index, MatchError> {
        self.load_keys_and(keys, false)
    }

    /// Loads the keys' blobs and the records they reference (`every_record`: all records).
    fn load_keys_and(&self, keys: &[String], every_record: bool) -> Result<Index, MatchError> {
        let mut parts = Parts::default();
        // File record number → local slot.
        let mut slots: HashMap<u32, u32> = HashMap::new();
        let mut wanted: Vec<u32> = Vec::new();
        let mut local = |number: u32, wanted: &mut Vec<u32>| -> u32 {
            *slots.entry(number).or_insert_with(|| {
                wanted.push(number);
                (wanted.len() - 1) as u32
            })
        };
        let mut seen_configurations: std::collections::HashSet<(u32, u32)> = Default::default();
        let mut seen_products: std::collections::HashSet<(u32, u32)> = Default::default();
        let mut about: Vec<VulnerabilityId> = Vec::new();
        for key in keys {
            let Some(blob) = self.find(key)? else {
                continue;
            };
            let mut reader = Reader::new(&blob, 0);
            let count = reader.count("blob entries")?;
            let kind = key.as_bytes().first().copied().unwrap_or(0);
            if kind == b'p' {
                let (buffer, ends, classes) = reader.table()?;
                let mut entries = Vec::with_capacity(count);
                for _ in 0..count {
                    let mut entry = reader.package()?;
                    entry.record = local(entry.record, &mut wanted);
                    entries.push(entry);
                }
                parts.packages.push((buffer, ends, classes, entries));
                continue;
            }
            for _ in 0..count {
                match kind {
                    b'c' => {
                        let mut stored = reader.configuration()?;
                        if seen_configurations.insert((stored.record, stored.position)) {
                            stored.record = local(stored.record, &mut wanted);
                            for cpe_key in crate::nvd::keys(&stored.configuration) {
                                parts
                                    .configurations
                                    .push((cpe_key, Arc::new(stored.clone())));
                            }
                        }
                    }
                    b's' => {
                        let (number, statement) = reader.statement()?;
                        let slot = local(number, &mut wanted);
                        if let Some(id) = &statement.vulnerability {
                            about.push(id.clone());
                        }
                        parts.csaf.push((slot, Arc::new(statement)));
                    }
                    b'v' | b'w' => {
                        let mut stored = reader.product()?;
                        if seen_products.insert((stored.record, stored.position)) {
                            stored.record = local(stored.record, &mut wanted);
                            parts.cve5.push(Arc::new(stored));
                        }
                    }
                    _ => {
                        return Err(MatchError::Corrupt {
                            what: "directory key kind",
                            offset: self.directory_offset,
                        });
                    }
                }
            }
        }
        if every_record {
            for number in 0..self.record_count {
                let number = u32::try_from(number).map_err(|_| MatchError::Corrupt {
                    what: "record count",
                    offset: self.table_offset,
                })?;
                local(number, &mut wanted);
            }
        }
        // The records, and the vulnerabilities they are attached to.
        let mut vulnerabilities: Vec<VulnerabilityId> = Vec::with_capacity(wanted.len() * 2);
        parts.records.reserve_exact(wanted.len());
        for number in &wanted {
            let info = self.record(*number)?;
            vulnerabilities.extend(info.vulnerabilities.iter().cloned());
            parts.records.push(info);
        }
        about.sort();
        about.dedup();
        for id in about {
            if let Some(blob) = self.find(&format!("a{id}"))? {
                let mut reader = Reader::new(&blob, 0);
                let count = reader.count("blob entries")?;
                for _ in 0..count {
                    let canonical = reader.ids("canonical ids")?;
                    vulnerabilities.extend(canonical.iter().cloned());
                    parts.canonical_of.push((id.clone(), canonical));
                }
            }
        }
        vulnerabilities.sort_unstable();
        vulnerabilities.dedup();
        parts.vulnerabilities.reserve_exact(vulnerabilities.len());
        for id in vulnerabilities {
            if let Some(blob) = self.find(&format!("u{id}"))? {
                let mut reader = Reader::new(&blob, 0);
                let count = reader.count("blob entries")?;
                for _ in 0..count {
                    parts.vulnerabilities.push(reader.vulnerability()?);
                }
            }
        }
        Ok(Index::from_parts(parts))
    }
}
