//! The scan report of one SBOM as a CycloneDX 1.6 vulnerability disclosure report
//! (`aftercare scan --format cyclonedx`): the SBOM's components, and one vulnerability entry
//! per vulnerability with its ratings, the components it affects and why.

use std::collections::{BTreeMap, BTreeSet};

use aftercare_match::{Basis, Finding};
use aftercare_model::VulnerabilityId;

use super::ScannedSbom;

/// The VDR of one scanned SBOM; `tool_version` is the version of the tool that ran the
/// scan. Its serial number derives from the SBOM's bytes and the number of vulnerabilities,
/// so that the same inputs give the same document.
pub fn report(sbom: &ScannedSbom, tool_version: &str) -> serde_json::Value {
    use serde_json::json;
    // The subject goes into `metadata.component`, the others into `components`.
    let components: Vec<serde_json::Value> = sbom
        .sbom
        .components
        .iter()
        .enumerate()
        .filter(|(position, _)| Some(*position) != sbom.sbom.subject)
        .map(|(_, component)| {
            let mut value = json!({
                "bom-ref": component.reference,
                "type": component.kind.as_str(),
                "name": component.name,
            });
            if let Some(group) = &component.group {
                value["group"] = json!(group);
            }
            if let Some(version) = &component.version {
                value["version"] = json!(version);
            }
            if let Some(purl) = &component.purl {
                value["purl"] = json!(purl.to_string());
            }
            if let Some(cpe) = component.cpes.first() {
                value["cpe"] = json!(cpe.to_string());
            }
            value
        })
        .collect();
    // One vulnerability entry per vulnerability, affecting every component it matched.
    let mut by_vulnerability: BTreeMap<&VulnerabilityId, Vec<&Finding>> = BTreeMap::new();
    for finding in &sbom.scan.findings {
        by_vulnerability
            .entry(&finding.vulnerability)
            .or_default()
            .push(finding);
    }
    let source_of = |id: &VulnerabilityId| match id.kind() {
        aftercare_model::VulnerabilityIdKind::Cve => {
            json!({"name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{id}")})
        }
        aftercare_model::VulnerabilityIdKind::Ghsa => {
            json!({"name": "GitHub", "url": format!("https://github.com/advisories/{id}")})
        }
        _ => json!({"name": "OSV", "url": format!("https://osv.dev/vulnerability/{id}")}),
    };
    let mut vulnerabilities = Vec::new();
    for (id, findings) in by_vulnerability {
        let Some(first) = findings.first() else {
            continue;
        };
        let mut ratings = Vec::new();
        match &first.severity.basis {
            Basis::Cvss {
                record,
                version,
                vector,
                score,
            } => ratings.push(json!({
                "source": source_of(record),
                "score": score,
                "severity": first.severity.severity.as_str(),
                "method": match version {
                    aftercare_match::severity::CvssVersion::V2 => "CVSSv2",
                    aftercare_match::severity::CvssVersion::V3_0 => "CVSSv3",
                    aftercare_match::severity::CvssVersion::V3_1 => "CVSSv31",
                    aftercare_match::severity::CvssVersion::V4_0 => "CVSSv4",
                },
                "vector": vector,
            })),
            Basis::Label { record, .. } => ratings.push(json!({
                "source": source_of(record),
                "severity": first.severity.severity.as_str(),
                "method": "other",
            })),
            Basis::Unknown => ratings.push(json!({"severity": "unknown"})),
        }
        let mut affects = Vec::new();
        let mut fixed: BTreeSet<String> = BTreeSet::new();
        let mut reasons = Vec::new();
        for finding in &findings {
            let component = &sbom.sbom.components[finding.component];
            let mut affect = json!({"ref": component.reference});
            if let Some(version) = sbom.components[finding.component].effective_version() {
                affect["versions"] = json!([{"version": version, "status": "affected"}]);
            }
            affects.push(affect);
            fixed.extend(finding.fixed_versions.iter().cloned());
            for reason in &finding.reasons {
                reasons.push(json!({"name": "aftercare:reason", "value": reason.describe()}));
            }
        }
        let mut value = json!({
            "bom-ref": format!("vulnerability-{id}"),
            "id": id.to_string(),
            "source": source_of(id),
            "references": first.aliases.iter().map(|alias| json!({"id": alias.to_string(), "source": source_of(alias)})).collect::<Vec<_>>(),
            "ratings": ratings,
            "affects": affects,
            "properties": reasons,
        });
        if let Some(summary) = &first.summary {
            value["description"] = json!(summary);
        }
        if !fixed.is_empty() {
            value["recommendation"] = json!(format!(
                "Upgrade to a fixed version: {}",
                fixed.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        if first.kev
            && let Some(list) = value["properties"].as_array_mut()
        {
            list.push(json!({"name": "aftercare:kev", "value": "true"}));
        }
        vulnerabilities.push(value);
    }
    let digest = aftercare_model::Sha256::of(
        format!("{}{}", sbom.bytes_digest, vulnerabilities.len()).as_bytes(),
    )
    .to_hex();
    let serial = format!(
        "urn:uuid:{}-{}-5{}-8{}-{}",
        &digest[0..8],
        &digest[8..12],
        &digest[13..16],
        &digest[17..20],
        &digest[20..32]
    );
    let mut metadata = json!({
        "tools": {"components": [{"type": "application", "name": "aftercare", "version": tool_version}]},
    });
    if let Some(subject) = sbom
        .sbom
        .subject
        .and_then(|index| sbom.sbom.components.get(index))
    {
        let mut component = json!({"bom-ref": subject.reference, "type": subject.kind.as_str(), "name": subject.name});
        if let Some(version) = &subject.version {
            component["version"] = json!(version);
        }
        metadata["component"] = component;
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial,
        "version": 1,
        "metadata": metadata,
        "components": components,
        "vulnerabilities": vulnerabilities,
    })
}
