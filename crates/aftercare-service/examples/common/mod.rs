//! What the workspace benchmarks share: the synthetic portfolio built from the shared OSV
//! records (real package names at versions their records enumerate).

use std::collections::{BTreeMap, BTreeSet};

/// Packages named by the shared OSV records with versions their lists enumerate: (purl type,
/// name, versions).
pub fn packages() -> Vec<(String, String, Vec<String>)> {
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for zip in aftercare_testdata::zips_in("osv") {
        for entry in aftercare_testdata::zip_entries(&zip) {
            let Ok(value) = serde_json::from_slice::<serde_json::Value>(&entry.bytes) else {
                continue;
            };
            for affected in value["affected"].as_array().into_iter().flatten() {
                let ecosystem = affected["package"]["ecosystem"].as_str().unwrap_or("");
                let name = affected["package"]["name"].as_str().unwrap_or("");
                let ty = match ecosystem {
                    "PyPI" => "pypi",
                    "crates.io" => "cargo",
                    "npm" => "npm",
                    "Go" => "golang",
                    _ => continue,
                };
                if name.is_empty() || name.contains('@') {
                    continue;
                }
                let versions = out.entry((ty.to_string(), name.to_string())).or_default();
                for v in affected["versions"].as_array().into_iter().flatten() {
                    if let Some(v) = v.as_str() {
                        versions.insert(v.to_string());
                    }
                }
                // The versions the ranges name (a fixed version is not affected by its own
                // range: about half the components end up vulnerable).
                for range in affected["ranges"].as_array().into_iter().flatten() {
                    if range["type"] == "GIT" {
                        continue;
                    }
                    for event in range["events"].as_array().into_iter().flatten() {
                        for key in ["introduced", "fixed", "last_affected"] {
                            if let Some(v) = event[key].as_str().filter(|v| *v != "0") {
                                versions.insert(v.to_string());
                            }
                        }
                    }
                }
            }
        }
    }
    out.into_iter()
        .filter(|(_, versions)| versions.len() >= 2)
        .map(|((ty, name), versions)| (ty, name, versions.into_iter().collect()))
        .collect()
}

/// The SBOM of release `index`: the first `count` packages, each at a version of its list
/// (2 % of the packages move to another version from one release to the next).
pub fn sbom(packages: &[(String, String, Vec<String>)], count: usize, index: usize) -> Vec<u8> {
    let components: Vec<serde_json::Value> = packages
        .iter()
        .take(count)
        .enumerate()
        .map(|(i, (ty, name, versions))| {
            let moves = (0..=index).filter(|r| (i + r * 7) % 50 == 0).count();
            let version = &versions[moves % versions.len()];
            let purl = if ty == "golang" {
                format!("pkg:golang/{name}@{version}")
            } else {
                format!("pkg:{ty}/{name}@{version}")
            };
            serde_json::json!({
                "type": "library", "bom-ref": format!("c{i}"), "name": name,
                "version": version, "purl": purl,
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"component": {"type": "firmware", "name": "bench-device", "version": index.to_string()}},
        "components": components,
    }))
    .unwrap()
}
