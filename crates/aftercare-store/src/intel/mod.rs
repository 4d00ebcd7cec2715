//! Vulnerability intelligence as stored: records (each pointing at its original document),
//! vulnerabilities with stable row ids, the alias table that finds them by any name, the
//! redirects left by merges and splits, the affected index (package keys, CPE vendor and
//! product) that finds candidate records for the matcher, and the KEV and EPSS enrichments.
//!
//! Row ids of records and vulnerabilities are assigned by the caller (the sync holds the
//! intelligence lock, see [`bump_generation`]), not by a sequence: PostgreSQL sequences do not
//! roll back, and an interrupted sync that is resumed must leave the same ids as a clean one.
//!
//! One module per table group; every item is re-exported here, so that callers name them
//! `intel::X` whatever file holds them.

mod affected;
mod alias;
mod epss;
mod kev;
mod record;
mod search;
mod state;
mod vulnerability;

pub use affected::{
    affected_index_of, affected_of, delete_affected, insert_affected, records_by_package,
    records_by_product,
};
pub use alias::{aliases_in, aliases_of, all_aliases, known_cves, resolve_alias};
pub use epss::{EpssRow, epss_history, epss_score, epss_scores, insert_epss_history, upsert_epss};
pub use kev::{KevRow, delete_kev, kev_entries, kev_entry, upsert_kev};
pub use record::{
    AttachedRecord, NewDocument, RecordMeta, RecordRow, document_ids, feed_document_digests,
    put_documents, record_by_key, record_digests, record_documents, record_metas, records_of,
    upsert_records,
};
pub use search::{SearchFilter, search};
pub use state::{analyze, bump_generation, counts, generation, max_ids};
pub use vulnerability::{
    Membership, Redirect, VulnerabilityRow, active_vulnerabilities, delete_memberships,
    insert_memberships, insert_redirects, record_facts, records_of_vulnerabilities, redirects_from,
    retire_vulnerabilities, sibling_records, upsert_vulnerabilities, vulnerability,
};

/// A JSON array stored as text (aliases, related ids, CWEs), read back; text that is not one
/// reads as empty.
fn list_from(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A list as the JSON array text it is stored as.
fn list_to(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_string())
}
