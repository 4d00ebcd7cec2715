//! CVE JSON 5 records (cvelistV5 and CISA's vulnrichment): the CNA container and the ADP
//! containers, including CISA's SSVC decisions, KEV marks and CPE-enriched `affected` data.

use aftercare_model::{Ecosystem, PackageKey};
use serde::Deserialize;

use crate::date::{date_field, timestamp_field};
use crate::field::{self, CvssInput, nullable};
use crate::record::{
    AffectedProduct, Container, Credit, KevMark, RatingSystem, Record, Reference, Source, Ssvc,
    VersionChange, VersionStatement, VersionStatus, Withdrawn,
};
use crate::warning::{WarningKind, Warnings};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    cve_metadata: Metadata,
    #[serde(default, deserialize_with = "nullable")]
    containers: Containers,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    cve_id: Option<String>,
    assigner_short_name: Option<String>,
    state: Option<String>,
    date_published: Option<String>,
    date_updated: Option<String>,
    date_rejected: Option<String>,
}

#[derive(Deserialize, Default)]
struct Containers {
    cna: Option<RawContainer>,
    #[serde(default, deserialize_with = "nullable")]
    adp: Vec<RawContainer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawContainer {
    title: Option<String>,
    provider_metadata: Option<ProviderMetadata>,
    #[serde(default, deserialize_with = "nullable")]
    descriptions: Vec<Text>,
    #[serde(default, deserialize_with = "nullable")]
    rejected_reasons: Vec<Text>,
    #[serde(default, deserialize_with = "nullable")]
    affected: Vec<RawAffected>,
    #[serde(default, deserialize_with = "nullable")]
    metrics: Vec<RawMetric>,
    #[serde(default, deserialize_with = "nullable")]
    problem_types: Vec<ProblemType>,
    #[serde(default, deserialize_with = "nullable")]
    references: Vec<RawReference>,
    #[serde(default, deserialize_with = "nullable")]
    credits: Vec<Text>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProviderMetadata {
    short_name: Option<String>,
}

#[derive(Deserialize)]
struct Text {
    lang: Option<String>,
    value: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAffected {
    vendor: Option<String>,
    product: Option<String>,
    package_name: Option<String>,
    #[serde(rename = "collectionURL")]
    collection_url: Option<String>,
    repo: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    cpes: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    platforms: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    versions: Vec<RawVersion>,
    default_status: Option<String>,
}

/// A CVE 5 version statement as written; NVD copies the same shape.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawVersion {
    version: Option<String>,
    less_than: Option<String>,
    less_than_or_equal: Option<String>,
    status: Option<String>,
    version_type: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    changes: Vec<RawChange>,
}

#[derive(Deserialize)]
struct RawChange {
    at: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
struct RawMetric {
    #[serde(rename = "cvssV2_0")]
    v2: Option<CvssData>,
    #[serde(rename = "cvssV3_0")]
    v30: Option<CvssData>,
    #[serde(rename = "cvssV3_1")]
    v31: Option<CvssData>,
    #[serde(rename = "cvssV4_0")]
    v40: Option<CvssData>,
    other: Option<Other>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssData {
    vector_string: Option<String>,
    base_score: Option<f64>,
    base_severity: Option<String>,
}

#[derive(Deserialize)]
struct Other {
    #[serde(rename = "type")]
    kind: Option<String>,
    content: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ProblemType {
    #[serde(default, deserialize_with = "nullable")]
    descriptions: Vec<ProblemDescription>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProblemDescription {
    cwe_id: Option<String>,
}

#[derive(Deserialize)]
struct RawReference {
    url: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    tags: Vec<String>,
}

/// Reads one CVE 5 record.
pub(crate) fn read(
    bytes: &[u8],
    warnings: &mut Warnings<'_>,
) -> Result<Vec<Record>, serde_json::Error> {
    let raw: Raw = serde_json::from_slice(bytes)?;
    Ok(convert(raw, warnings).into_iter().collect())
}

fn convert(raw: Raw, warnings: &mut Warnings<'_>) -> Option<Record> {
    let metadata = raw.cve_metadata;
    let Some(raw_id) = metadata.cve_id.as_deref() else {
        warnings.push(
            WarningKind::SkippedRecord,
            "CVE 5 record without `cveMetadata.cveId`; skipped",
        );
        return None;
    };
    warnings.set_record(Some(raw_id.to_string()));
    let id = field::id(warnings, "cveMetadata.cveId", raw_id)?;
    let mut record = Record::new(Source::Cve5, id);
    record.assigner = metadata.assigner_short_name;
    record.published = timestamp_field(
        warnings,
        "datePublished",
        metadata.date_published.as_deref(),
    );
    record.modified = timestamp_field(warnings, "dateUpdated", metadata.date_updated.as_deref());
    let cna = raw.containers.cna;
    if metadata.state.as_deref() == Some("REJECTED") {
        let reason = cna.as_ref().and_then(|cna| {
            field::english(
                cna.rejected_reasons
                    .iter()
                    .filter_map(|text| Some((text.lang.as_deref(), text.value.as_deref()?))),
            )
        });
        let at = timestamp_field(warnings, "dateRejected", metadata.date_rejected.as_deref())
            .or(record.modified);
        record.withdrawn = Some(Withdrawn { at, reason });
    }
    record.status = metadata.state;
    if let Some(cna) = &cna {
        record.summary = cna.title.clone().filter(|title| !title.trim().is_empty());
        record.description = field::english(
            cna.descriptions
                .iter()
                .filter_map(|text| Some((text.lang.as_deref(), text.value.as_deref()?))),
        );
        for credit in &cna.credits {
            if let Some(name) = credit.value.as_deref().filter(|v| !v.trim().is_empty()) {
                record.credits.push(Credit {
                    name: name.to_string(),
                    role: credit.kind.clone(),
                    contact: Vec::new(),
                });
            }
        }
    }
    let cna_name = record.assigner.clone();
    let containers = cna
        .into_iter()
        .map(|container| (Container::Cna, container))
        .chain(raw.containers.adp.into_iter().map(|container| {
            let name = container
                .provider_metadata
                .as_ref()
                .and_then(|provider| provider.short_name.clone())
                .or_else(|| container.title.clone())
                .unwrap_or_else(|| "ADP".to_string());
            (Container::Adp(name), container)
        }));
    for (who, container) in containers {
        read_container(warnings, &mut record, &who, cna_name.as_deref(), container);
    }
    warnings.set_record(None);
    Some(record.finish())
}

fn read_container(
    warnings: &mut Warnings<'_>,
    record: &mut Record,
    who: &Container,
    cna_name: Option<&str>,
    container: RawContainer,
) {
    let (source, primary) = match who {
        Container::Cna => (cna_name.map(str::to_string), true),
        Container::Adp(name) | Container::Nvd(name) => (Some(name.clone()), false),
    };
    for metric in container.metrics {
        for (declared, data, name) in [
            (RatingSystem::CvssV2, &metric.v2, "cvssV2_0"),
            (RatingSystem::CvssV30, &metric.v30, "cvssV3_0"),
            (RatingSystem::CvssV31, &metric.v31, "cvssV3_1"),
            (RatingSystem::CvssV40, &metric.v40, "cvssV4_0"),
        ] {
            if let Some(data) = data {
                let rating = field::cvss_rating(
                    warnings,
                    name,
                    CvssInput {
                        declared: Some(declared),
                        vector: data.vector_string.as_deref(),
                        base_score: data.base_score,
                        label: data.base_severity.as_deref(),
                        source: source.clone(),
                        primary,
                    },
                );
                record.ratings.extend(rating);
            }
        }
        if let Some(other) = metric.other {
            read_other(warnings, record, other);
        }
    }
    for problem in container.problem_types {
        for description in problem.descriptions {
            if let Some(cwe) = description.cwe_id.filter(|cwe| !cwe.trim().is_empty()) {
                record.weaknesses.push(cwe);
            }
        }
    }
    for reference in container.references {
        let Some(url) = reference.url.filter(|url| !url.trim().is_empty()) else {
            continue;
        };
        record.references.push(Reference {
            url,
            tags: reference.tags,
            summary: reference.name,
        });
    }
    for affected in container.affected {
        record
            .products
            .push(affected_product(warnings, who.clone(), affected));
    }
}

fn read_other(warnings: &mut Warnings<'_>, record: &mut Record, other: Other) {
    let Some(content) = other.content else {
        return;
    };
    let text = |key: &str| {
        content
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    match other.kind.as_deref() {
        Some("ssvc") => {
            let options = content.get("options").and_then(|v| v.as_array());
            let option = |wanted: &str| {
                options?.iter().find_map(|option| {
                    option.as_object()?.iter().find_map(|(key, value)| {
                        let key: String = key.chars().filter(|c| c.is_ascii_alphabetic()).collect();
                        key.eq_ignore_ascii_case(wanted)
                            .then(|| value.as_str().map(str::to_string))
                            .flatten()
                    })
                })
            };
            record.ssvc.push(Ssvc {
                role: text("role"),
                exploitation: option("exploitation"),
                automatable: option("automatable"),
                technical_impact: option("technicalimpact"),
                timestamp: timestamp_field(
                    warnings,
                    "ssvc timestamp",
                    text("timestamp").as_deref(),
                ),
            });
        }
        Some("kev") => {
            record.kev = Some(KevMark {
                date_added: date_field(warnings, "kev dateAdded", text("dateAdded").as_deref()),
                due_date: None,
                required_action: None,
                name: None,
                reference: text("reference"),
            });
        }
        _ => {}
    }
}

fn affected_product(
    warnings: &mut Warnings<'_>,
    container: Container,
    raw: RawAffected,
) -> AffectedProduct {
    let key = match (raw.collection_url.as_deref(), raw.package_name.as_deref()) {
        (Some(collection), Some(name)) if !name.trim().is_empty() => {
            registry(collection).map(|ecosystem| PackageKey::new(ecosystem, name.trim()))
        }
        _ => None,
    };
    AffectedProduct {
        container,
        vendor: raw.vendor.filter(|v| !v.trim().is_empty() && v != "n/a"),
        product: raw.product.filter(|v| !v.trim().is_empty() && v != "n/a"),
        package_name: raw.package_name,
        collection_url: raw.collection_url,
        key,
        repo: raw.repo,
        cpes: raw
            .cpes
            .iter()
            .filter_map(|cpe| field::cpe(warnings, "affected.cpes", cpe))
            .collect(),
        platforms: raw.platforms,
        versions: raw
            .versions
            .into_iter()
            .filter_map(version_statement)
            .collect(),
        default_status: raw.default_status.as_deref().map(VersionStatus::parse),
    }
}

/// A version statement; one without `version` or `status` says nothing and is dropped.
pub(crate) fn version_statement(raw: RawVersion) -> Option<VersionStatement> {
    Some(VersionStatement {
        version: raw.version?,
        less_than: raw.less_than,
        less_than_or_equal: raw.less_than_or_equal,
        status: VersionStatus::parse(raw.status.as_deref()?),
        version_type: raw.version_type,
        changes: raw
            .changes
            .into_iter()
            .filter_map(|change| {
                Some(VersionChange {
                    at: change.at?,
                    status: VersionStatus::parse(change.status.as_deref()?),
                })
            })
            .collect(),
    })
}

/// The ecosystem of a package registry named by a CVE 5 `collectionURL`.
fn registry(collection: &str) -> Option<Ecosystem> {
    let host = collection
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let ecosystem = match host.as_str() {
        "pypi.org" | "pypi.python.org" | "pypi.org/project" => Ecosystem::PyPI,
        "npmjs.com" | "www.npmjs.com" | "registry.npmjs.org" | "www.npmjs.com/package" => {
            Ecosystem::Npm
        }
        "crates.io" | "crates.io/crates" => Ecosystem::CratesIo,
        "pkg.go.dev" | "proxy.golang.org" => Ecosystem::Go,
        "repo.maven.apache.org/maven2" | "repo1.maven.org/maven2" | "search.maven.org" => {
            Ecosystem::Maven
        }
        "nuget.org" | "www.nuget.org" | "www.nuget.org/packages" => Ecosystem::NuGet,
        "rubygems.org" | "rubygems.org/gems" => Ecosystem::RubyGems,
        "packagist.org" | "packagist.org/packages" => Ecosystem::Packagist,
        "hex.pm" | "hex.pm/packages" => Ecosystem::Hex,
        "pub.dev" | "pub.dev/packages" => Ecosystem::Pub,
        "hackage.haskell.org" => Ecosystem::Hackage,
        "cran.r-project.org" => Ecosystem::Cran,
        _ => return None,
    };
    Some(ecosystem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(collection: &str, expected: Option<Ecosystem>) {
        assert_eq!(registry(collection), expected, "{collection}");
    }

    #[test]
    fn registries() {
        check("https://pypi.org", Some(Ecosystem::PyPI));
        check("https://pypi.python.org/", Some(Ecosystem::PyPI));
        check("https://www.npmjs.com/package", Some(Ecosystem::Npm));
        check(
            "https://repo.maven.apache.org/maven2",
            Some(Ecosystem::Maven),
        );
        check("https://wordpress.org/plugins", None);
    }
}
