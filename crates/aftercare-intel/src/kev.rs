//! The CISA Known Exploited Vulnerabilities catalog (JSON): an enrichment keyed by CVE.

use aftercare_model::VulnerabilityId;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

use crate::date::{date_field, timestamp_field};
use crate::field::{self, nullable};
use crate::warning::{WarningKind, Warnings};

/// The KEV catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevCatalog {
    /// The catalog's title.
    pub title: Option<String>,
    /// `catalogVersion` (`2025.08.25`).
    pub version: Option<String>,
    /// `dateReleased`.
    pub released: Option<Timestamp>,
    /// The `count` the catalog states (compare with [`KevCatalog::entries`]).
    pub count: Option<u64>,
    /// One entry per CVE.
    pub entries: Vec<KevEntry>,
}

/// Whether a KEV vulnerability is known to be used in ransomware campaigns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ransomware {
    /// `Known`.
    Known,
    /// `Unknown`.
    Unknown,
    /// Another value, as written.
    Other(String),
}

/// One vulnerability of the KEV catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevEntry {
    /// The CVE.
    pub cve: VulnerabilityId,
    /// The vendor or project.
    pub vendor_project: Option<String>,
    /// The product.
    pub product: Option<String>,
    /// CISA's name for the vulnerability.
    pub vulnerability_name: Option<String>,
    /// When CISA added it.
    pub date_added: Option<Date>,
    /// A short description.
    pub short_description: Option<String>,
    /// The action US federal agencies must take.
    pub required_action: Option<String>,
    /// The date by which they must.
    pub due_date: Option<Date>,
    /// Known use in ransomware campaigns.
    pub known_ransomware_campaign_use: Option<Ransomware>,
    /// Notes (usually links).
    pub notes: Option<String>,
    /// Weakness ids.
    pub cwes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    title: Option<String>,
    catalog_version: Option<String>,
    date_released: Option<String>,
    count: Option<u64>,
    #[serde(default, deserialize_with = "nullable")]
    vulnerabilities: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: Option<String>,
    vendor_project: Option<String>,
    product: Option<String>,
    vulnerability_name: Option<String>,
    date_added: Option<String>,
    short_description: Option<String>,
    required_action: Option<String>,
    due_date: Option<String>,
    known_ransomware_campaign_use: Option<String>,
    notes: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    cwes: Vec<String>,
}

/// Reads the catalog.
pub(crate) fn read(
    bytes: &[u8],
    warnings: &mut Warnings<'_>,
) -> Result<KevCatalog, serde_json::Error> {
    let raw: Raw = serde_json::from_slice(bytes)?;
    let released = timestamp_field(warnings, "dateReleased", raw.date_released.as_deref());
    let mut entries = Vec::with_capacity(raw.vulnerabilities.len());
    for entry in raw.vulnerabilities {
        let Some(raw_id) = entry.cve_id.as_deref() else {
            warnings.set_record(None);
            warnings.push(
                WarningKind::SkippedRecord,
                "a KEV entry without `cveID`; skipped",
            );
            continue;
        };
        warnings.set_record(Some(raw_id.to_string()));
        let Some(cve) = field::id(warnings, "cveID", raw_id) else {
            continue;
        };
        entries.push(KevEntry {
            cve,
            vendor_project: entry.vendor_project,
            product: entry.product,
            vulnerability_name: entry.vulnerability_name,
            date_added: date_field(warnings, "dateAdded", entry.date_added.as_deref()),
            short_description: entry.short_description,
            required_action: entry.required_action,
            due_date: date_field(warnings, "dueDate", entry.due_date.as_deref()),
            known_ransomware_campaign_use: entry.known_ransomware_campaign_use.map(|raw| match raw
                .as_str()
            {
                "Known" => Ransomware::Known,
                "Unknown" => Ransomware::Unknown,
                _ => Ransomware::Other(raw),
            }),
            notes: entry.notes.filter(|notes| !notes.trim().is_empty()),
            cwes: entry.cwes,
        });
    }
    warnings.set_record(None);
    if let Some(count) = raw.count
        && count != entries.len() as u64
    {
        warnings.push(
            WarningKind::UnknownValue,
            format!(
                "the catalog states {count} entries but {} were read",
                entries.len()
            ),
        );
    }
    Ok(KevCatalog {
        title: raw.title,
        version: raw.catalog_version,
        released,
        count: raw.count,
        entries,
    })
}
