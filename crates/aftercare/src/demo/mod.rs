//! The demo workspace's data, written by the project for the project: a fictional device
//! product line (an infusion pump and its hospital gateway, three releases each) whose SBOMs
//! are generated here as CycloneDX 1.6 JSON.
//!
//! The companies, products and hashes are invented. The open-source components and versions
//! are real packages at real versions, chosen so that later steps of the loop (matching,
//! triage) have something to find.
//!
//! [`advisories`] are OSV records the project wrote for the demo (`advisories.json`): each
//! summarizes a real public advisory about one of those packages (its id among the aliases,
//! the fixed version, the CVSS vector), so that the demo has findings without a network.
//! They are not the advisories themselves; their ids start with `AFTERCARE-DEMO-`.

use serde_json::{Value, json};

/// The demo's OSV records as (file name, bytes), one document each.
pub fn advisories() -> Vec<(String, Vec<u8>)> {
    let list: Vec<Value> =
        serde_json::from_str(include_str!("advisories.json")).unwrap_or_default();
    list.iter()
        .map(|record| {
            let id = record["id"].as_str().unwrap_or("record");
            (
                format!("{id}.json"),
                serde_json::to_vec_pretty(record).unwrap_or_default(),
            )
        })
        .collect()
}

/// One demo product.
#[derive(Debug, Clone)]
pub struct DemoProduct {
    /// The product's name.
    pub name: &'static str,
    /// Its description.
    pub description: &'static str,
    /// Its releases, oldest first.
    pub releases: Vec<DemoRelease>,
}

/// One demo release with its generated SBOM.
#[derive(Debug, Clone)]
pub struct DemoRelease {
    /// The version.
    pub version: &'static str,
    /// The SBOM file's name.
    pub file_name: String,
    /// The SBOM (CycloneDX 1.6 JSON).
    pub sbom: Vec<u8>,
}

/// A component line of a demo SBOM: (purl type, namespace, name, version, license,
/// supplier, level of support, end of support).
type Line = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

const PUMP_BASE: &[Line] = &[
    (
        "cargo",
        None,
        "tokio",
        "1.18.0",
        "MIT",
        "Tokio Contributors",
        Some("community"),
        None,
    ),
    (
        "cargo",
        None,
        "hyper",
        "0.14.9",
        "MIT",
        "Hyper Contributors",
        Some("community"),
        None,
    ),
    (
        "cargo",
        None,
        "smallvec",
        "1.6.0",
        "MIT OR Apache-2.0",
        "Servo Project",
        Some("community"),
        None,
    ),
    (
        "cargo",
        None,
        "time",
        "0.1.43",
        "MIT OR Apache-2.0",
        "Time Contributors",
        Some("end-of-life"),
        Some("2023-12-31"),
    ),
    (
        "cargo",
        None,
        "regex",
        "1.5.4",
        "MIT OR Apache-2.0",
        "The Rust Project",
        Some("community"),
        None,
    ),
    (
        "cargo",
        None,
        "serde",
        "1.0.130",
        "MIT OR Apache-2.0",
        "Serde Contributors",
        Some("community"),
        None,
    ),
    (
        "cargo",
        None,
        "serde_json",
        "1.0.68",
        "MIT OR Apache-2.0",
        "Serde Contributors",
        Some("community"),
        None,
    ),
    (
        "cargo",
        None,
        "rustls",
        "0.20.0",
        "Apache-2.0 OR ISC OR MIT",
        "Rustls Contributors",
        Some("community"),
        None,
    ),
    (
        "generic",
        Some("acme-medical"),
        "pump-motor-controller",
        "4.2.0",
        "LicenseRef-ACME-Proprietary",
        "ACME Medical Devices Inc.",
        Some("supported"),
        Some("2031-06-30"),
    ),
    (
        "generic",
        Some("acme-medical"),
        "drug-library-engine",
        "3.0.1",
        "LicenseRef-ACME-Proprietary",
        "ACME Medical Devices Inc.",
        Some("supported"),
        Some("2031-06-30"),
    ),
];

const GATEWAY_BASE: &[Line] = &[
    (
        "pypi",
        None,
        "django",
        "3.2.4",
        "BSD-3-Clause",
        "Django Software Foundation",
        Some("community"),
        Some("2024-04-30"),
    ),
    (
        "pypi",
        None,
        "requests",
        "2.25.1",
        "Apache-2.0",
        "Python Software Foundation",
        Some("community"),
        None,
    ),
    (
        "pypi",
        None,
        "urllib3",
        "1.26.4",
        "MIT",
        "urllib3 maintainers",
        Some("community"),
        None,
    ),
    (
        "pypi",
        None,
        "jinja2",
        "2.11.2",
        "BSD-3-Clause",
        "Pallets",
        Some("community"),
        None,
    ),
    (
        "pypi",
        None,
        "pyyaml",
        "5.3.1",
        "MIT",
        "The YAML Project",
        Some("community"),
        None,
    ),
    (
        "pypi",
        None,
        "cryptography",
        "3.3.1",
        "Apache-2.0 OR BSD-3-Clause",
        "Python Cryptographic Authority",
        Some("community"),
        None,
    ),
    (
        "pypi",
        None,
        "pillow",
        "8.1.0",
        "HPND",
        "Pillow maintainers",
        Some("community"),
        None,
    ),
    (
        "npm",
        None,
        "lodash",
        "4.17.19",
        "MIT",
        "OpenJS Foundation",
        Some("community"),
        None,
    ),
    (
        "npm",
        None,
        "moment",
        "2.27.0",
        "MIT",
        "Moment.js contributors",
        Some("end-of-life"),
        Some("2020-09-01"),
    ),
    (
        "generic",
        Some("acme-medical"),
        "hl7-bridge",
        "1.4.0",
        "LicenseRef-ACME-Proprietary",
        "ACME Medical Devices Inc.",
        Some("supported"),
        Some("2030-12-31"),
    ),
];

/// Upgrades per release: (name, new version); `None` removes the component.
type Change = (&'static str, Option<&'static str>);

const PUMP_CHANGES: &[(&str, &[Change])] = &[
    ("2.0.0", &[]),
    (
        "2.1.0",
        &[
            ("tokio", Some("1.20.4")),
            ("smallvec", Some("1.6.1")),
            ("drug-library-engine", Some("3.1.0")),
        ],
    ),
    (
        "2.2.0",
        &[
            ("tokio", Some("1.20.4")),
            ("smallvec", Some("1.6.1")),
            ("hyper", Some("0.14.28")),
            ("time", None),
            ("regex", Some("1.5.5")),
            ("drug-library-engine", Some("3.2.0")),
        ],
    ),
];

const GATEWAY_CHANGES: &[(&str, &[Change])] = &[
    ("1.4.0", &[]),
    (
        "1.5.0",
        &[
            ("django", Some("3.2.13")),
            ("urllib3", Some("1.26.5")),
            ("hl7-bridge", Some("1.5.0")),
        ],
    ),
    (
        "2.0.0",
        &[
            ("django", Some("4.2.1")),
            ("urllib3", Some("1.26.18")),
            ("jinja2", Some("3.1.2")),
            ("pyyaml", Some("6.0.1")),
            ("moment", None),
            ("hl7-bridge", Some("2.0.0")),
        ],
    ),
];

/// The demo product line.
pub fn products() -> Vec<DemoProduct> {
    vec![
        DemoProduct {
            name: "VitaFlow IP-300 infusion pump",
            description: "Volumetric infusion pump (fictional demo device); Rust firmware",
            releases: releases("vitaflow-ip300", "pump firmware", PUMP_BASE, PUMP_CHANGES),
        },
        DemoProduct {
            name: "VitaLink hospital gateway",
            description: "Gateway between pumps and the hospital EHR (fictional demo device)",
            releases: releases(
                "vitalink-gateway",
                "gateway software",
                GATEWAY_BASE,
                GATEWAY_CHANGES,
            ),
        },
    ]
}

/// The demo's patch releases, (product, release): the pump's 2.2.1, built from 2.2.0 for the
/// hyper plan (hyper at 0.14.28, past the fix of CVE-2021-32714, and tokio's next patch), and
/// the gateway's 1.4.1 for the urllib3 plan (urllib3 at 1.26.5, the fixed version).
pub fn patches() -> Vec<(&'static str, DemoRelease)> {
    const PUMP_PATCH: &[(&str, &[Change])] = &[(
        "2.2.1",
        &[
            ("tokio", Some("1.20.5")),
            ("smallvec", Some("1.6.1")),
            ("hyper", Some("0.14.28")),
            ("time", None),
            ("regex", Some("1.5.5")),
            ("drug-library-engine", Some("3.2.1")),
        ],
    )];
    const GATEWAY_PATCH: &[(&str, &[Change])] = &[("1.4.1", &[("urllib3", Some("1.26.5"))])];
    let mut out = Vec::new();
    for (product, slug, subject, base, changes) in [
        (
            "VitaFlow IP-300 infusion pump",
            "vitaflow-ip300",
            "pump firmware",
            PUMP_BASE,
            PUMP_PATCH,
        ),
        (
            "VitaLink hospital gateway",
            "vitalink-gateway",
            "gateway software",
            GATEWAY_BASE,
            GATEWAY_PATCH,
        ),
    ] {
        for mut release in releases(slug, subject, base, changes) {
            // Serial numbers apart from the releases of `products`.
            let mut document: Value = serde_json::from_slice(&release.sbom).unwrap_or_default();
            if let Some(serial) = document.get_mut("serialNumber") {
                *serial = json!(format!(
                    "urn:uuid:00000000-0000-4000-8000-{:012}",
                    if product.starts_with("VitaFlow") {
                        150
                    } else {
                        250
                    }
                ));
            }
            release.sbom = serde_json::to_vec_pretty(&document).unwrap_or_default();
            out.push((product, release));
        }
    }
    out
}

fn releases(
    slug: &'static str,
    subject: &'static str,
    base: &[Line],
    changes: &[(&'static str, &[Change])],
) -> Vec<DemoRelease> {
    changes
        .iter()
        .enumerate()
        .map(|(index, (version, changed))| {
            let mut lines: Vec<Line> = Vec::new();
            for line in base {
                match changed.iter().find(|(name, _)| *name == line.2) {
                    Some((_, None)) => {}
                    Some((_, Some(new_version))) => {
                        let mut line = *line;
                        line.3 = new_version;
                        lines.push(line);
                    }
                    None => lines.push(*line),
                }
            }
            let sbom = sbom(slug, subject, version, index, &lines);
            DemoRelease {
                version,
                file_name: format!("{slug}-{version}.cdx.json"),
                sbom: serde_json::to_vec_pretty(&sbom).unwrap_or_default(),
            }
        })
        .collect()
}

fn purl(line: &Line) -> String {
    let (ty, namespace, name, version, ..) = line;
    match namespace {
        Some(namespace) => format!("pkg:{ty}/{namespace}/{name}@{version}"),
        None => format!("pkg:{ty}/{name}@{version}"),
    }
}

/// A stable, invented SHA-256 for a component (the demo has no real files).
fn invented_hash(purl: &str) -> String {
    aftercare_model::Sha256::of(format!("aftercare demo {purl}").as_bytes()).to_hex()
}

fn sbom(slug: &str, subject: &str, version: &str, index: usize, lines: &[Line]) -> Value {
    let subject_ref = format!("{slug}@{version}");
    let components: Vec<Value> = lines
        .iter()
        .map(|line| {
            let purl = purl(line);
            let mut properties = Vec::new();
            if let Some(level) = line.6 {
                properties.push(json!({"name": "aftercare:level_of_support", "value": level}));
            }
            if let Some(end) = line.7 {
                properties.push(json!({"name": "aftercare:end_of_support", "value": end}));
            }
            let mut component = json!({
                "type": "library",
                "bom-ref": purl,
                "name": line.2,
                "version": line.3,
                "purl": purl,
                "supplier": {"name": line.5},
                "hashes": [{"alg": "SHA-256", "content": invented_hash(&purl)}],
                "licenses": [{"expression": line.4}],
                "properties": properties,
            });
            if let (Some(namespace), Some(object)) = (line.1, component.as_object_mut()) {
                object.insert("group".into(), json!(namespace));
            }
            component
        })
        .collect();
    // The subject depends on everything; the runtime crates depend on each other the way
    // the real crates do, so that some components are transitive.
    let refs: Vec<String> = lines.iter().map(purl).collect();
    let find = |name: &str| {
        lines
            .iter()
            .position(|l| l.2 == name)
            .map(|i| refs[i].clone())
    };
    let transitive = ["smallvec", "serde", "urllib3", "rustls"];
    let direct: Vec<String> = lines
        .iter()
        .zip(&refs)
        .filter(|(line, _)| !transitive.contains(&line.2))
        .map(|(_, r)| r.clone())
        .collect();
    let mut dependencies = vec![json!({"ref": subject_ref, "dependsOn": direct})];
    for (parent, child) in [
        ("hyper", "smallvec"),
        ("serde_json", "serde"),
        ("requests", "urllib3"),
        ("hyper", "rustls"),
    ] {
        if let (Some(parent), Some(child)) = (find(parent), find(child)) {
            dependencies.push(json!({"ref": parent, "dependsOn": [child]}));
        }
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:00000000-0000-4000-8000-{:012}", index + if slug.starts_with("vitaflow") { 100 } else { 200 }),
        "version": 1,
        "metadata": {
            "timestamp": format!("2026-0{}-15T09:00:00Z", index + 3),
            "authors": [{"name": "ACME Medical Devices Inc. Product Security"}],
            "supplier": {"name": "ACME Medical Devices Inc."},
            "tools": {"components": [{"type": "application", "name": "acme-sbom-builder", "version": "2.3.0"}]},
            "component": {
                "type": "firmware",
                "bom-ref": subject_ref,
                "name": format!("{slug} {subject}"),
                "version": version,
                "supplier": {"name": "ACME Medical Devices Inc."},
                "purl": format!("pkg:generic/acme-medical/{slug}@{version}"),
                "properties": [
                    {"name": "aftercare:level_of_support", "value": "supported"},
                    {"name": "aftercare:end_of_support", "value": "2032-12-31"},
                ],
            },
        },
        "components": components,
        "dependencies": dependencies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_sbom_reads_without_warnings_and_changes_as_declared() {
        for product in products() {
            assert_eq!(product.releases.len(), 3, "{}", product.name);
            for release in &product.releases {
                let outcome = aftercare_sbom::read(&release.file_name, &release.sbom).unwrap();
                assert!(
                    outcome.warnings.is_empty(),
                    "{}: {:?}",
                    release.file_name,
                    outcome.warnings
                );
                // The subject plus the component lines.
                assert!(outcome.sbom.components.len() >= 9, "{}", release.file_name);
                assert!(outcome.sbom.subject.is_some());
            }
        }
        let pump = &products()[0];
        let old = aftercare_sbom::read("a", &pump.releases[0].sbom)
            .unwrap()
            .sbom;
        let new = aftercare_sbom::read("b", &pump.releases[2].sbom)
            .unwrap()
            .sbom;
        let diff = aftercare_sbom::diff(&old.components, &new.components);
        let upgraded: Vec<&str> = diff.upgraded.iter().map(|c| c.new.name.as_str()).collect();
        for name in ["tokio", "hyper", "smallvec", "regex", "drug-library-engine"] {
            assert!(upgraded.contains(&name), "{name} upgraded in {upgraded:?}");
        }
        assert!(diff.removed.iter().any(|c| c.name == "time"));
    }
}
