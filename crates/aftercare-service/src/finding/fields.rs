//! This run's matches as the store keeps them: a matcher finding resolved onto the stored
//! vulnerability it belongs to (the one its id belongs to, else the one its first record is
//! attached to), with its severity basis, KEV, fixed versions and reasons as stored JSON; two
//! matcher vulnerabilities the store keeps as one merged into one finding; and the words of
//! a finding's history (what changed, a summary of its reasons).

use std::collections::{BTreeSet, HashMap, HashSet};

use aftercare_match::{Basis, Component, Finding, Reason};
use aftercare_model::{Cpe, Severity};
use aftercare_store::finding::MatchFields;
use aftercare_store::intel;
use serde_json::{Value, json};

use super::candidates::{CandidateIndex, InPlay};
use super::mirror::{self, Mirror};
use crate::{ServiceError, Workspace};

/// A match of an identity: what is stored of it, its digest, and its canonical id as the
/// mirror knows it (interned; `None` for an id never stored).
pub(super) struct Matched {
    pub fields: MatchFields,
    pub digest: u128,
    pub name: Option<u32>,
}

/// Matches each identity once, grouped by platform (NVD "running on" configurations look
/// for theirs among the CPEs of the same release), and resolves the matches onto stored
/// vulnerabilities; by identity. A feed delta's run keeps only the matches of its own
/// vulnerabilities.
pub(super) async fn matches(
    workspace: &Workspace,
    mirror: &Mirror,
    prepared: &CandidateIndex,
    identities: &[u32],
    in_play: Option<&InPlay>,
) -> Result<Vec<Vec<Matched>>, ServiceError> {
    let mut by_platform: HashMap<&[Cpe], Vec<u32>> = HashMap::new();
    for identity in identities {
        let platform = mirror.identities[*identity as usize].platform.as_slice();
        by_platform.entry(platform).or_default().push(*identity);
    }
    let mut scans: Vec<(Vec<u32>, aftercare_match::Scan)> = Vec::new();
    for (platform, members) in by_platform {
        let components: Vec<Component> = members
            .iter()
            .map(|i| mirror.identities[*i as usize].component.clone())
            .collect();
        let scan = prepared.index.scan(&components, platform);
        scans.push((members, scan));
    }
    // The stored vulnerability of each matched id: the one the id belongs to (not merely
    // shares), else the one its first record belongs to.
    let canonical_ids: Vec<String> = scans
        .iter()
        .flat_map(|(_, scan)| scan.findings.iter().map(|f| f.vulnerability.to_string()))
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    let mut by_alias: HashMap<String, i64> = HashMap::new();
    for (alias, id, _shared) in intel::aliases_in(workspace.store(), &canonical_ids).await? {
        by_alias.entry(alias).or_insert(id);
    }
    let mut canonical_of = prepared.canonical_ids();
    for id in by_alias.values() {
        if !canonical_of.contains_key(id)
            && let Some(row) = intel::vulnerability(workspace.store().pool(), *id).await?
        {
            canonical_of.insert(*id, row.canonical);
        }
    }
    let kev = super::candidates::kev_cves(workspace).await?;
    let resolved = Resolved {
        by_alias: &by_alias,
        canonical_of: &canonical_of,
        prepared,
        kev: &kev,
    };
    let mut matched: HashMap<u32, Vec<MatchFields>> = HashMap::new();
    for (members, scan) in &scans {
        for finding in &scan.findings {
            let found = fields(finding, &resolved);
            if let Some(in_play) = in_play
                && found
                    .vulnerability_id
                    .is_some_and(|id| !in_play.ids.contains(&id))
            {
                // Another vulnerability a shared record also belongs to: not re-evaluated
                // here (not every record of it is loaded).
                continue;
            }
            let list = matched.entry(members[finding.component]).or_default();
            // Two matcher vulnerabilities the store keeps as one are one finding.
            match list
                .iter_mut()
                .find(|f| f.vulnerability == found.vulnerability)
            {
                Some(existing) => merge(existing, found),
                None => list.push(found),
            }
        }
    }
    let mut by_identity: Vec<Vec<Matched>> = Vec::new();
    by_identity.resize_with(mirror.identities.len(), Vec::new);
    for (identity, list) in matched {
        by_identity[identity as usize] = list
            .into_iter()
            .map(|fields| Matched {
                digest: mirror::digest_value(&fields.digest()),
                name: mirror.interned(&fields.vulnerability),
                fields,
            })
            .collect();
    }
    Ok(by_identity)
}

/// Whether a match lists a stored canonical id among its aliases (a finding stored under an
/// id that was merged into another since still names the same vulnerability).
pub(super) fn lists_alias(found: &MatchFields, stored: &str) -> bool {
    serde_json::from_str::<Vec<String>>(&found.aliases)
        .is_ok_and(|aliases| aliases.iter().any(|alias| alias == stored))
}

pub(super) fn summary_of(fields: &MatchFields) -> Value {
    let reasons: Value = serde_json::from_str(&fields.reasons).unwrap_or(Value::Null);
    json!({
        "severity": fields.severity,
        "kev": fields.kev,
        "fixed_versions": serde_json::from_str::<Value>(&fields.fixed_versions).unwrap_or(Value::Null),
        "reasons": reasons
            .as_array()
            .map(|list| list.iter().filter_map(|r| r.get("text").cloned()).collect::<Vec<_>>()),
    })
}

pub(super) fn differences(before: &MatchFields, after: &MatchFields) -> Value {
    let mut out = serde_json::Map::new();
    let mut put = |name: &str, old: Value, new: Value| {
        if old != new {
            out.insert(name.to_string(), json!({"from": old, "to": new}));
        }
    };
    put(
        "vulnerability",
        json!(before.vulnerability),
        json!(after.vulnerability),
    );
    put("severity", json!(before.severity), json!(after.severity));
    put("score", json!(before.score), json!(after.score));
    put("kev", json!(before.kev), json!(after.kev));
    put(
        "confidence",
        json!(before.confidence),
        json!(after.confidence),
    );
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    put(
        "fixed_versions",
        parse(&before.fixed_versions),
        parse(&after.fixed_versions),
    );
    put("aliases", parse(&before.aliases), parse(&after.aliases));
    if before.reasons != after.reasons {
        out.insert("reasons".into(), summary_of(after)["reasons"].clone());
    }
    if before.summary != after.summary {
        out.insert("summary".into(), json!({"to": after.summary}));
    }
    Value::Object(out)
}

fn reason_json(reason: &Reason) -> Value {
    json!({
        "record": reason.record.to_string(),
        "source": reason.record.source.as_str(),
        "id": reason.record.id.to_string(),
        "kind": reason.kind(),
        "text": reason.describe(),
        "about": reason.about.as_ref().map(ToString::to_string),
        "version": reason.version,
        "fixed": reason.fixed,
        "confidence": reason.confidence.as_str(),
    })
}

/// How matcher ids map onto stored vulnerabilities.
struct Resolved<'a> {
    /// Alias → the stored vulnerability it belongs to.
    by_alias: &'a HashMap<String, i64>,
    /// Stored vulnerability → its canonical id.
    canonical_of: &'a HashMap<i64, String>,
    /// Records → the stored vulnerabilities they are attached to.
    prepared: &'a CandidateIndex,
    /// CVEs in the KEV catalog.
    kev: &'a HashSet<String>,
}

fn confidence_rank(confidence: &str) -> usize {
    ["high", "medium", "low"]
        .iter()
        .position(|s| *s == confidence)
        .unwrap_or(2)
}

/// Merges a second match of the same stored vulnerability into the first: the union of
/// aliases, reasons and fixed versions, the worse severity, KEV if either says so, the
/// higher confidence.
fn merge(into: &mut MatchFields, other: MatchFields) {
    let list = |text: &str| serde_json::from_str::<Vec<Value>>(text).unwrap_or_default();
    let union = |a: &str, b: &str| {
        let mut out = list(a);
        for item in list(b) {
            if !out.contains(&item) {
                out.push(item);
            }
        }
        Value::Array(out).to_string()
    };
    into.aliases = union(&into.aliases, &other.aliases);
    into.reasons = sorted_reasons(list(&union(&into.reasons, &other.reasons)));
    into.fixed_versions = union(&into.fixed_versions, &other.fixed_versions);
    let severity = |label: &str| label.parse::<Severity>().unwrap_or(Severity::Unknown);
    if severity(&other.severity) > severity(&into.severity) {
        into.severity = other.severity;
        into.score = other.score;
        into.severity_basis = other.severity_basis;
    }
    into.kev |= other.kev;
    if confidence_rank(&other.confidence) < confidence_rank(&into.confidence) {
        into.confidence = other.confidence;
    }
    if into.summary.is_none() {
        into.summary = other.summary;
    }
    if into.vulnerability_id.is_none() {
        into.vulnerability_id = other.vulnerability_id;
    }
}

/// Reasons in a stable order (record, then what matched), as stored JSON.
fn sorted_reasons(mut reasons: Vec<Value>) -> String {
    reasons.sort_by(|a, b| {
        (a["record"].as_str(), a["text"].as_str()).cmp(&(b["record"].as_str(), b["text"].as_str()))
    });
    Value::Array(reasons).to_string()
}

/// What a matcher finding says, as stored.
fn fields(finding: &Finding, resolved: &Resolved<'_>) -> MatchFields {
    let canonical = finding.vulnerability.to_string();
    let row = resolved.by_alias.get(&canonical).copied().or_else(|| {
        finding
            .reasons
            .iter()
            .find_map(|reason| resolved.prepared.membership(&reason.record))
            .map(|m| m.vulnerability_id)
    });
    let vulnerability = row
        .and_then(|id| resolved.canonical_of.get(&id).cloned())
        .unwrap_or_else(|| canonical.clone());
    let kev = resolved.kev;
    let mut aliases: BTreeSet<String> = finding.aliases.iter().map(ToString::to_string).collect();
    aliases.insert(canonical);
    aliases.remove(&vulnerability);
    let in_kev = finding.kev
        || kev.contains(&vulnerability)
        || aliases.iter().any(|alias| kev.contains(alias));
    let (score, basis) = match &finding.severity.basis {
        Basis::Cvss {
            record,
            version,
            vector,
            score,
        } => (
            Some(*score),
            json!({"source": "cvss", "record": record.to_string(), "version": version.as_str(), "vector": vector, "score": score}),
        ),
        Basis::Label { record, label } => (
            None,
            json!({"source": "label", "record": record.to_string(), "label": label}),
        ),
        Basis::Unknown => (None, json!({"source": "none"})),
    };
    MatchFields {
        vulnerability,
        vulnerability_id: row,
        aliases: json!(aliases).to_string(),
        summary: finding.summary.clone(),
        severity: finding.severity.severity.as_str().to_string(),
        score,
        severity_basis: basis.to_string(),
        kev: in_kev,
        confidence: finding.confidence.as_str().to_string(),
        matched_version: finding.reasons.iter().find_map(|r| r.version.clone()),
        fixed_versions: json!(finding.fixed_versions).to_string(),
        reasons: sorted_reasons(finding.reasons.iter().map(reason_json).collect()),
    }
}
