//! The scan report as SARIF 2.1.0 (`aftercare scan --format sarif`): one rule per
//! vulnerability, one result per finding, with a fingerprint per (component, vulnerability)
//! so that a code-scanning dashboard follows a finding from one run to the next.

use std::collections::BTreeMap;

use aftercare_match::{Basis, Reason};
use aftercare_model::Severity;

use super::{ScannedSbom, ordered, purl_text};

/// The SARIF log of a scan of one or several SBOMs; `tool_version` is the version of the
/// tool that ran the scan.
pub fn report(sboms: &[ScannedSbom], tool_version: &str) -> serde_json::Value {
    use serde_json::json;
    let mut rules: Vec<serde_json::Value> = Vec::new();
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::new();
    for sbom in sboms {
        for finding in ordered(&sbom.scan) {
            let id = finding.vulnerability.to_string();
            let index = *rule_index.entry(id.clone()).or_insert_with(|| {
                let score = match &finding.severity.basis {
                    Basis::Cvss { score, .. } => *score,
                    _ => match finding.severity.severity {
                        Severity::Critical => 9.5,
                        Severity::High => 8.0,
                        Severity::Medium => 5.5,
                        Severity::Low => 2.0,
                        Severity::None | Severity::Unknown => 0.0,
                    },
                };
                let text = finding.summary.clone().unwrap_or_else(|| id.clone());
                rules.push(json!({
                    "id": id,
                    "name": id,
                    "shortDescription": {"text": text},
                    "fullDescription": {"text": text},
                    "helpUri": format!("https://osv.dev/vulnerability/{id}"),
                    "help": {"text": format!("{id}: {text}. Aliases: {}", if finding.aliases.is_empty() { "none".to_string() } else { finding.aliases.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ") })},
                    "properties": {
                        "security-severity": format!("{score:.1}"),
                        "tags": ["security", "vulnerability", finding.severity.severity.as_str()],
                        "aliases": finding.aliases.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    }
                }));
                rules.len() - 1
            });
            let component = &sbom.components[finding.component];
            let level = match finding.severity.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                _ => "note",
            };
            let name = purl_text(component).unwrap_or_else(|| component.name.clone());
            let message = format!(
                "{} {} is affected by {id} ({}){}. Matched by {}.",
                component.name,
                component.effective_version().unwrap_or("(no version)"),
                finding.severity.severity,
                if finding.fixed_versions.is_empty() {
                    String::new()
                } else {
                    format!("; fixed in {}", finding.fixed_versions.join(", "))
                },
                finding
                    .reasons
                    .iter()
                    .map(Reason::describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            results.push(json!({
                "ruleId": id,
                "ruleIndex": index,
                "level": level,
                "message": {"text": message},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": sbom.path}},
                    "logicalLocations": [{"name": name, "kind": "package"}]
                }],
                "partialFingerprints": {"aftercare/component-vulnerability/v1": format!("{name}|{id}")},
                "properties": {
                    "severity": finding.severity.severity.as_str(),
                    "kev": finding.kev,
                    "fixedVersions": finding.fixed_versions,
                    "confidence": finding.confidence.as_str(),
                }
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "aftercare",
                "version": tool_version,
                "informationUri": "https://github.com/aftercare/aftercare",
                "rules": rules,
            }},
            "results": results,
        }]
    })
}
