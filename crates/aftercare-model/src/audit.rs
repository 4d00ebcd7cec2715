//! Audit events and the hash chain that makes the trail tamper-evident.
//!
//! Each event's hash is the SHA-256 of the previous event's hash followed by the event's
//! canonical bytes, so editing any stored event, or removing one from the middle, breaks
//! every later link; removing the newest events is caught by comparing with the chain's head,
//! which is kept outside the events table.

use crate::Sha256;

/// The hash that precedes the first event: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit event as it is chained: every field that the hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// The position in the chain, from 1.
    pub seq: i64,
    /// When, as stored (RFC 3339 UTC, fixed width).
    pub at: String,
    /// Who (`user:alice`, `token:ci`, `system:feed-sync`).
    pub actor: String,
    /// What was done (`product.create`, `release.import_sbom`).
    pub action: String,
    /// The kind of record changed (`product`, `release`).
    pub entity_type: String,
    /// Its id.
    pub entity_id: Option<String>,
    /// The value before the change (JSON), if there was one.
    pub old_value: Option<String>,
    /// The value after the change (JSON), if there is one.
    pub new_value: Option<String>,
    /// Why, as the actor gave it.
    pub reason: Option<String>,
    /// The request that caused it, to correlate with logs.
    pub request_id: Option<String>,
}

impl AuditEvent {
    /// The canonical bytes the hash covers: each field as `name=length:value` (or `name=-`
    /// when absent) on its own line, in a fixed order. Length prefixes make the encoding
    /// unambiguous whatever the values contain.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        let mut field = |name: &str, value: Option<&str>| {
            out.extend_from_slice(name.as_bytes());
            out.push(b'=');
            match value {
                Some(value) => {
                    out.extend_from_slice(value.len().to_string().as_bytes());
                    out.push(b':');
                    out.extend_from_slice(value.as_bytes());
                }
                None => out.push(b'-'),
            }
            out.push(b'\n');
        };
        let seq = self.seq.to_string();
        field("seq", Some(&seq));
        field("at", Some(&self.at));
        field("actor", Some(&self.actor));
        field("action", Some(&self.action));
        field("entity_type", Some(&self.entity_type));
        field("entity_id", self.entity_id.as_deref());
        field("old_value", self.old_value.as_deref());
        field("new_value", self.new_value.as_deref());
        field("reason", self.reason.as_deref());
        field("request_id", self.request_id.as_deref());
        out
    }

    /// The event's chained hash, given the previous event's hash (hex).
    pub fn chain_hash(&self, previous_hash: &str) -> String {
        let mut bytes = Vec::with_capacity(previous_hash.len() + 1 + 256);
        bytes.extend_from_slice(previous_hash.as_bytes());
        bytes.push(b'\n');
        bytes.extend_from_slice(&self.canonical_bytes());
        Sha256::of(&bytes).to_hex()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64, reason: Option<&str>) -> AuditEvent {
        AuditEvent {
            seq,
            at: "2026-01-01T00:00:00.000000Z".into(),
            actor: "user:admin".into(),
            action: "product.create".into(),
            entity_type: "product".into(),
            entity_id: Some("1".into()),
            old_value: None,
            new_value: Some(r#"{"name":"pump"}"#.into()),
            reason: reason.map(str::to_string),
            request_id: None,
        }
    }

    #[test]
    fn hash_depends_on_every_field_and_the_previous_hash() {
        let base = event(1, None).chain_hash(GENESIS_HASH);
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            event(1, None).chain_hash(GENESIS_HASH),
            "deterministic"
        );
        assert_ne!(base, event(2, None).chain_hash(GENESIS_HASH));
        assert_ne!(base, event(1, Some("why")).chain_hash(GENESIS_HASH));
        assert_ne!(base, event(1, None).chain_hash(&"1".repeat(64)));
    }

    #[test]
    fn encoding_is_unambiguous() {
        // Moving text between adjacent fields must change the bytes.
        let mut a = event(1, Some("ab"));
        a.request_id = Some("c".into());
        let mut b = event(1, Some("a"));
        b.request_id = Some("bc".into());
        assert_ne!(a.canonical_bytes(), b.canonical_bytes());
        let mut absent = event(1, None);
        absent.reason = None;
        let mut dash = event(1, Some("-"));
        dash.request_id = None;
        assert_ne!(absent.canonical_bytes(), dash.canonical_bytes());
    }
}
