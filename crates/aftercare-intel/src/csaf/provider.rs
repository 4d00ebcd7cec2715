//! CSAF provider metadata (`provider-metadata.json`) and aggregator documents
//! (`aggregator.json`): what a sync reads to discover a provider's ROLIE feeds and
//! directories, or an aggregator's providers.

use jiff::Timestamp;
use serde::Deserialize;

use crate::date::timestamp_field;
use crate::field::nullable;
use crate::warning::Warnings;

/// A provider's `provider-metadata.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderMetadata {
    /// Where the document itself lives.
    pub canonical_url: Option<String>,
    /// `metadata_version` (`2.0`).
    pub metadata_version: Option<String>,
    /// `csaf_publisher`, `csaf_provider` or `csaf_trusted_provider`.
    pub role: Option<String>,
    /// The publisher's name.
    pub publisher_name: Option<String>,
    /// The publisher's namespace.
    pub publisher_namespace: Option<String>,
    /// When the metadata last changed.
    pub last_updated: Option<Timestamp>,
    /// ROLIE feeds, from every distribution.
    pub feeds: Vec<FeedLink>,
    /// Directory URLs (`directory_url`), from every distribution.
    pub directories: Vec<String>,
    /// OpenPGP key URLs, to verify signatures.
    pub public_openpgp_keys: Vec<String>,
}

/// A ROLIE feed a provider lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    /// The feed's URL.
    pub url: String,
    /// Its TLP label.
    pub tlp_label: Option<String>,
    /// Its summary.
    pub summary: Option<String>,
}

/// An aggregator's `aggregator.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregator {
    /// Where the document itself lives.
    pub canonical_url: Option<String>,
    /// The aggregator's name.
    pub name: Option<String>,
    /// `lister` or `aggregator`.
    pub category: Option<String>,
    /// When the list last changed.
    pub last_updated: Option<Timestamp>,
    /// The providers' metadata URLs.
    pub providers: Vec<AggregatedProvider>,
}

/// A provider an aggregator lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregatedProvider {
    /// The URL of its `provider-metadata.json`.
    pub metadata_url: String,
    /// Its publisher's name.
    pub publisher_name: Option<String>,
    /// When its metadata last changed.
    pub last_updated: Option<Timestamp>,
    /// URLs of mirrors the aggregator keeps.
    pub mirrors: Vec<String>,
}

#[derive(Deserialize)]
struct RawProvider {
    canonical_url: Option<String>,
    metadata_version: Option<String>,
    role: Option<String>,
    publisher: Option<RawPublisher>,
    last_updated: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    distributions: Vec<RawDistribution>,
    #[serde(default, deserialize_with = "nullable")]
    public_openpgp_keys: Vec<RawKey>,
}

#[derive(Deserialize)]
struct RawPublisher {
    name: Option<String>,
    namespace: Option<String>,
    category: Option<String>,
}

#[derive(Deserialize)]
struct RawDistribution {
    directory_url: Option<String>,
    rolie: Option<RawRolie>,
}

#[derive(Deserialize)]
struct RawRolie {
    #[serde(default, deserialize_with = "nullable")]
    feeds: Vec<RawFeed>,
}

#[derive(Deserialize)]
struct RawFeed {
    url: Option<String>,
    tlp_label: Option<String>,
    summary: Option<String>,
}

#[derive(Deserialize)]
struct RawKey {
    url: Option<String>,
}

/// Reads provider metadata.
pub(crate) fn read_provider(
    bytes: &[u8],
    warnings: &mut Warnings<'_>,
) -> Result<ProviderMetadata, serde_json::Error> {
    let raw: RawProvider = serde_json::from_slice(bytes)?;
    let mut feeds = Vec::new();
    let mut directories = Vec::new();
    for distribution in raw.distributions {
        directories.extend(distribution.directory_url);
        for feed in distribution
            .rolie
            .map(|rolie| rolie.feeds)
            .unwrap_or_default()
        {
            if let Some(url) = feed.url {
                feeds.push(FeedLink {
                    url,
                    tlp_label: feed.tlp_label,
                    summary: feed.summary,
                });
            }
        }
    }
    Ok(ProviderMetadata {
        canonical_url: raw.canonical_url,
        metadata_version: raw.metadata_version,
        role: raw.role,
        publisher_name: raw.publisher.as_ref().and_then(|p| p.name.clone()),
        publisher_namespace: raw.publisher.and_then(|p| p.namespace),
        last_updated: timestamp_field(warnings, "last_updated", raw.last_updated.as_deref()),
        feeds,
        directories,
        public_openpgp_keys: raw
            .public_openpgp_keys
            .into_iter()
            .filter_map(|k| k.url)
            .collect(),
    })
}

#[derive(Deserialize)]
struct RawAggregator {
    canonical_url: Option<String>,
    aggregator: Option<RawPublisher>,
    last_updated: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    csaf_providers: Vec<RawListed>,
    #[serde(default, deserialize_with = "nullable")]
    csaf_publishers: Vec<RawListed>,
}

#[derive(Deserialize)]
struct RawListed {
    metadata: Option<RawListedMetadata>,
    #[serde(default, deserialize_with = "nullable")]
    mirrors: Vec<String>,
}

#[derive(Deserialize)]
struct RawListedMetadata {
    url: Option<String>,
    last_updated: Option<String>,
    publisher: Option<RawPublisher>,
}

/// Reads an aggregator document.
pub(crate) fn read_aggregator(
    bytes: &[u8],
    warnings: &mut Warnings<'_>,
) -> Result<Aggregator, serde_json::Error> {
    let raw: RawAggregator = serde_json::from_slice(bytes)?;
    let mut providers = Vec::new();
    for listed in raw.csaf_providers.into_iter().chain(raw.csaf_publishers) {
        let Some(metadata) = listed.metadata else {
            continue;
        };
        let Some(url) = metadata.url else { continue };
        providers.push(AggregatedProvider {
            metadata_url: url,
            publisher_name: metadata.publisher.and_then(|p| p.name),
            last_updated: timestamp_field(
                warnings,
                "last_updated",
                metadata.last_updated.as_deref(),
            ),
            mirrors: listed.mirrors,
        });
    }
    Ok(Aggregator {
        canonical_url: raw.canonical_url,
        name: raw.aggregator.as_ref().and_then(|a| a.name.clone()),
        category: raw.aggregator.and_then(|a| a.category),
        last_updated: timestamp_field(warnings, "last_updated", raw.last_updated.as_deref()),
        providers,
    })
}
