//! Redaction of the JSON outputs that snapshot tests (insta) pin: what differs from one run,
//! or one backend, to the next — row ids, timestamps, hashes over them, request ids, token
//! secrets, elapsed times — becomes a placeholder, so that a snapshot holds only what the
//! code decides.
//!
//! One set of rules for the API's and the CLI's outputs, applied at every depth and inside
//! the JSON that some fields carry as text (an audit event's `old_value` and `new_value`, a
//! case event's `detail`), which insta's selectors cannot reach. A `null` stays `null`: an
//! absent time is a fact worth pinning.

use serde_json::Value;

/// Keys whose numbers are row ids.
const IDS: &[&str] = &[
    "id",
    "account_id",
    "case_id",
    "product_id",
    "release_id",
    "component_id",
    "finding_id",
    "vulnerability_id",
    "signature_id",
    "decision_id",
    "run_id",
    "row_id",
    "decision",
    "made_on_finding",
    "seq",
    "head_seq",
    "broken_at",
    "redirected_from",
    "entity_id",
    "release",
    "product",
];

/// Keys whose lists of numbers are row ids (the same keys hold counts elsewhere: a count
/// stays).
const ID_LISTS: &[&str] = &[
    "decisions",
    "inherited",
    "flagged",
    "opened",
    "reopened",
    "changed",
    "closed",
    "vulnerabilities",
    "findings",
];

/// Keys whose strings are instants or dates of the run.
const TIMES: &[&str] = &[
    "at",
    "created_at",
    "imported_at",
    "first_seen",
    "last_seen",
    "closed_at",
    "signed_at",
    "made_at",
    "fetched_at",
    "started_at",
    "finished_at",
    "last_used_at",
    "expires_at",
    "locked_until",
    "satisfied_at",
    "recorded_at",
    "start",
    "deadline_day",
    "deadline_end",
    "awareness_date",
    "last_attempt_at",
    "last_success_at",
    "correction_started",
    "date",
    "now",
];

/// Keys whose values are derived from ids or times (hashes, manifestations), or secret.
const DERIVED: &[&str] = &[
    "hash",
    "prev_hash",
    "head_hash",
    "content_sha256",
    "inputs_sha256",
    "manifestation",
    "request_id",
    "prefix",
    "secret",
    "token",
    "elapsed_ms",
];

/// Keys whose strings are JSON documents of their own.
const EMBEDDED: &[&str] = &["old_value", "new_value", "detail"];

/// The value with every run-dependent value replaced by a placeholder (`[id]`, `[time]`,
/// `[derived]`), at every depth.
pub fn redact(mut value: Value) -> Value {
    walk(&mut value);
    value
}

/// [`redact`], after replacing a folder of the run (a temporary directory) by a name in every
/// string that holds it.
pub fn redact_folder(value: Value, folder: &std::path::Path, name: &str) -> Value {
    let text = value.to_string();
    // The folder as JSON escapes it inside a string, without the quotes.
    let escaped = Value::from(folder.display().to_string()).to_string();
    let escaped = escaped.trim_matches('"');
    let replaced = text.replace(escaped, name);
    redact(serde_json::from_str(&replaced).unwrap_or(value))
}

fn walk(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                redact_field(key, field);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk),
        _ => {}
    }
}

fn redact_field(key: &str, field: &mut Value) {
    if IDS.contains(&key) {
        match field {
            Value::Number(_) => *field = Value::from("[id]"),
            Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                *field = Value::from("[id]")
            }
            _ => walk(field),
        }
    } else if ID_LISTS.contains(&key)
        && let Value::Array(items) = field
    {
        for item in items.iter_mut() {
            if item.is_number() {
                *item = Value::from("[id]");
            } else {
                walk(item);
            }
        }
    } else if TIMES.contains(&key) && field.is_string() {
        *field = Value::from("[time]");
    } else if DERIVED.contains(&key) && !field.is_null() {
        *field = Value::from("[derived]");
    } else if EMBEDDED.contains(&key)
        && let Value::String(text) = field
        && let Ok(inner) = serde_json::from_str::<Value>(text)
    {
        *field = Value::from(redact(inner).to_string());
    } else {
        walk(field);
    }
}

#[cfg(test)]
mod tests {
    use super::redact;
    use serde_json::json;

    #[test]
    fn ids_times_and_embedded_json_are_redacted_and_nulls_kept() {
        let value = json!({
            "id": 12, "name": "Pump", "created_at": "2026-01-01T00:00:00Z", "closed_at": null,
            "vulnerability": {"id": "CVE-2021-23337", "row_id": 7},
            "opened": [1, 2], "inherited": false, "changed": 3,
            "items": [{"seq": 3, "new_value": "{\"id\":4,\"at\":\"x\",\"name\":\"n\"}"}],
            "hash": "ab", "entity_id": "12",
        });
        assert_eq!(
            redact(value),
            json!({
                "id": "[id]", "name": "Pump", "created_at": "[time]", "closed_at": null,
                "vulnerability": {"id": "CVE-2021-23337", "row_id": "[id]"},
                "opened": ["[id]", "[id]"], "inherited": false, "changed": 3,
                "items": [{"seq": "[id]", "new_value": "{\"at\":\"[time]\",\"id\":\"[id]\",\"name\":\"n\"}"}],
                "hash": "[derived]", "entity_id": "[id]",
            })
        );
    }
}
