//! ROLIE (RFC 8322) JSON documents as CSAF providers publish them: feeds listing advisories,
//! and service documents listing feeds. A sync reads a feed to learn which documents exist
//! and which changed since its last checkpoint (`updated`).

use jiff::Timestamp;
use serde::Deserialize;

use crate::date::timestamp_field;
use crate::field::nullable;
use crate::warning::{WarningKind, Warnings};

/// A ROLIE feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// The feed's id.
    pub id: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// When it last changed.
    pub updated: Option<Timestamp>,
    /// Its own URL (`link` with `rel: self`).
    pub url: Option<String>,
    /// The entries, one per document.
    pub entries: Vec<FeedEntry>,
}

/// One document of a ROLIE feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The entry's id (the advisory's tracking id).
    pub id: String,
    /// Its title.
    pub title: Option<String>,
    /// When the document was published.
    pub published: Option<Timestamp>,
    /// When it last changed.
    pub updated: Option<Timestamp>,
    /// Where the document is: `content.src`, else the `self` link.
    pub url: Option<String>,
    /// The URL of its hash file (`rel: hash`).
    pub hash_url: Option<String>,
    /// The URL of its signature (`rel: signature`).
    pub signature_url: Option<String>,
}

/// A ROLIE service document: the collections (feeds) of a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The feed URLs, with their titles.
    pub collections: Vec<(String, Option<String>)>,
}

#[derive(Deserialize)]
struct RawFeedDocument {
    feed: RawFeed,
}

#[derive(Deserialize)]
struct RawFeed {
    id: Option<String>,
    title: Option<String>,
    updated: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    link: Vec<RawLink>,
    #[serde(default, deserialize_with = "nullable")]
    entry: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawLink {
    rel: Option<String>,
    href: Option<String>,
}

#[derive(Deserialize)]
struct RawEntry {
    id: Option<String>,
    title: Option<String>,
    published: Option<String>,
    updated: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    link: Vec<RawLink>,
    content: Option<RawContent>,
}

#[derive(Deserialize)]
struct RawContent {
    src: Option<String>,
}

fn link(links: &[RawLink], rel: &str) -> Option<String> {
    links
        .iter()
        .find(|link| link.rel.as_deref() == Some(rel))
        .and_then(|link| link.href.clone())
}

/// Reads a feed.
pub(crate) fn read_feed(
    bytes: &[u8],
    warnings: &mut Warnings<'_>,
) -> Result<Feed, serde_json::Error> {
    let raw: RawFeedDocument = serde_json::from_slice(bytes)?;
    let feed = raw.feed;
    let mut entries = Vec::with_capacity(feed.entry.len());
    for entry in feed.entry {
        let Some(id) = entry.id else {
            warnings.push(
                WarningKind::MissingField,
                "a feed entry without `id`; dropped",
            );
            continue;
        };
        warnings.set_record(Some(id.clone()));
        entries.push(FeedEntry {
            title: entry.title,
            published: timestamp_field(warnings, "published", entry.published.as_deref()),
            updated: timestamp_field(warnings, "updated", entry.updated.as_deref()),
            url: entry
                .content
                .and_then(|content| content.src)
                .or_else(|| link(&entry.link, "self")),
            hash_url: link(&entry.link, "hash"),
            signature_url: link(&entry.link, "signature"),
            id,
        });
    }
    warnings.set_record(None);
    Ok(Feed {
        id: feed.id,
        title: feed.title,
        updated: timestamp_field(warnings, "feed.updated", feed.updated.as_deref()),
        url: link(&feed.link, "self"),
        entries,
    })
}

#[derive(Deserialize)]
struct RawServiceDocument {
    service: RawService,
}

#[derive(Deserialize)]
struct RawService {
    #[serde(default, deserialize_with = "nullable")]
    workspace: Vec<RawWorkspace>,
}

#[derive(Deserialize)]
struct RawWorkspace {
    #[serde(default, deserialize_with = "nullable")]
    collection: Vec<RawCollection>,
}

#[derive(Deserialize)]
struct RawCollection {
    title: Option<String>,
    href: Option<String>,
}

/// Reads a service document.
pub(crate) fn read_service(bytes: &[u8]) -> Result<Service, serde_json::Error> {
    let raw: RawServiceDocument = serde_json::from_slice(bytes)?;
    Ok(Service {
        collections: raw
            .service
            .workspace
            .into_iter()
            .flat_map(|workspace| workspace.collection)
            .filter_map(|collection| Some((collection.href?, collection.title)))
            .collect(),
    })
}

/// A ROLIE category document: the terms a provider files documents under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Categories {
    /// The terms.
    pub terms: Vec<String>,
}

#[derive(Deserialize)]
struct RawCategoriesDocument {
    categories: RawCategories,
}

#[derive(Deserialize)]
struct RawCategories {
    #[serde(default, deserialize_with = "nullable")]
    category: Vec<RawTerm>,
}

#[derive(Deserialize)]
struct RawTerm {
    term: Option<String>,
}

/// Reads a category document.
pub(crate) fn read_categories(bytes: &[u8]) -> Result<Categories, serde_json::Error> {
    let raw: RawCategoriesDocument = serde_json::from_slice(bytes)?;
    Ok(Categories {
        terms: raw
            .categories
            .category
            .into_iter()
            .filter_map(|t| t.term)
            .collect(),
    })
}
