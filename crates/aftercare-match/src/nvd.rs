//! NVD applicability configurations evaluated against a component's CPEs.
//!
//! A configuration is a tree: its nodes combine by the configuration's operator (`AND` for
//! "running on/with" configurations: a vulnerable firmware *and* the hardware it runs on),
//! each node combines its CPE criteria and children by its own operator, and `negate` inverts
//! a node or configuration. A criterion is tested with NIST IR 7696 name matching on every
//! attribute but the version; the version is tested as a version:
//!
//! * a criterion whose version is ANY takes its range from `versionStart/End{Including,
//!   Excluding}` (no bound: every version);
//! * a criterion with a concrete version matches an equal version (as text, or as a version:
//!   `1.0` equals `1.0.0`), a wildcard version by IR 7696 string matching;
//! * the component's version is its CPE's version, or — when the CPE's version is ANY — the
//!   component's own version;
//! * versions compare under the component's purl scheme when both sides parse in it, else
//!   under the generic scheme (`aftercare-version`'s documented fallback).
//!
//! A criterion marked `vulnerable` is what makes a finding: a configuration yields a finding
//! for a component when it holds and at least one vulnerable criterion matched one of the
//! component's own CPEs. The other criteria (the platform: hardware, operating system) may be
//! met by any CPE of the same SBOM — the *platform* the caller passes.

use aftercare_intel::record::{Configuration, CpeMatch, Node, Operator, VersionBound};
use aftercare_model::{Cpe, CpeValue};
use aftercare_version::{Scheme, Version};

use crate::cpe::{Relation, compare_values, matches_except_version};

/// A CPE's exact (vendor, product), or `None` for a vendor or product with a wildcard.
pub(crate) type CpeKey = Option<(String, String)>;

/// A component CPE with the version to compare and the scheme to compare it in.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'a> {
    pub cpe: &'a Cpe,
    /// The CPE's version, or the component's when the CPE's is ANY.
    pub version: Option<&'a str>,
    /// The component's purl scheme, if any.
    pub scheme: Option<Scheme>,
}

/// A vulnerable criterion that matched one of the component's CPEs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CriterionHit {
    /// The criterion as NVD writes it.
    pub criterion: String,
    /// The component CPE it matched.
    pub matched: String,
    /// The version bounds, as `>= 1.0, < 2.0`.
    pub bounds: Option<String>,
    /// The component version compared.
    pub version: Option<String>,
    /// The version scheme the comparison used (`generic` when the purl scheme did not fit).
    pub scheme: Option<Scheme>,
    /// The `versionEndExcluding` bound: the first version outside the range.
    pub fixed: Option<String>,
}

/// Evaluates one configuration. `own` are the component's CPEs, `platform` every CPE of the
/// SBOM. Returns the vulnerable criteria the component matched when the configuration holds.
pub(crate) fn evaluate(
    configuration: &Configuration,
    own: &[Candidate<'_>],
    platform: &[Candidate<'_>],
) -> Option<Vec<CriterionHit>> {
    if configuration.negate {
        // A negated configuration names what is *not* affected: never a finding.
        return None;
    }
    let mut hits = Vec::new();
    // Every node is evaluated (no short cut) so that the reason names every criterion hit.
    let results: Vec<bool> = configuration
        .nodes
        .iter()
        .map(|node| node_holds(node, own, platform, &mut hits))
        .collect();
    let holds = match configuration.operator {
        Operator::And => !results.is_empty() && results.iter().all(|holds| *holds),
        Operator::Or => results.iter().any(|holds| *holds),
    };
    hits.dedup();
    (holds && !hits.is_empty()).then_some(hits)
}

fn node_holds(
    node: &Node,
    own: &[Candidate<'_>],
    platform: &[Candidate<'_>],
    hits: &mut Vec<CriterionHit>,
) -> bool {
    let mut local = Vec::new();
    let mut outcomes = Vec::with_capacity(node.matches.len() + node.children.len());
    for criterion in &node.matches {
        outcomes.push(criterion_holds(criterion, own, platform, &mut local));
    }
    for child in &node.children {
        outcomes.push(node_holds(child, own, platform, &mut local));
    }
    let holds = match node.operator {
        Operator::And => !outcomes.is_empty() && outcomes.iter().all(|o| *o),
        Operator::Or => outcomes.iter().any(|o| *o),
    };
    if node.negate {
        // What a negated node matched is what it excludes: never a reason.
        !holds
    } else {
        if holds {
            hits.extend(local);
        }
        holds
    }
}

fn criterion_holds(
    criterion: &CpeMatch,
    own: &[Candidate<'_>],
    platform: &[Candidate<'_>],
    hits: &mut Vec<CriterionHit>,
) -> bool {
    if criterion.vulnerable {
        let mut matched = false;
        for candidate in own {
            if let Some(hit) = criterion_matches(criterion, candidate) {
                hits.push(hit);
                matched = true;
            }
        }
        if matched {
            return true;
        }
    }
    own.iter()
        .chain(platform)
        .any(|candidate| criterion_matches(criterion, candidate).is_some())
}

/// Whether a criterion matches one component CPE, with the details for the reason.
pub(crate) fn criterion_matches(
    criterion: &CpeMatch,
    candidate: &Candidate<'_>,
) -> Option<CriterionHit> {
    if !matches_except_version(&criterion.criteria, candidate.cpe) {
        return None;
    }
    let hit = |scheme: Option<Scheme>| CriterionHit {
        criterion: criterion.criteria.to_string(),
        matched: candidate.cpe.to_string(),
        bounds: bounds_text(criterion),
        version: candidate.version.map(str::to_string),
        scheme,
        fixed: match &criterion.version_end {
            Some(VersionBound::Excluding(end)) => Some(end.clone()),
            _ => None,
        },
    };
    match &criterion.criteria.version {
        CpeValue::Any => {
            if criterion.version_start.is_none() && criterion.version_end.is_none() {
                return Some(hit(None));
            }
            let version = candidate.version?;
            let scheme = in_bounds(criterion, version, candidate.scheme)?;
            Some(hit(Some(scheme)))
        }
        CpeValue::Na => match &candidate.cpe.version {
            CpeValue::Na => Some(hit(None)),
            _ => None,
        },
        value @ CpeValue::Value(text) => {
            let target = match &candidate.cpe.version {
                CpeValue::Value(_) => candidate.cpe.version.clone(),
                CpeValue::Any => CpeValue::Value(candidate.version?.to_ascii_lowercase()),
                CpeValue::Na => return None,
            };
            match compare_values(value, &target) {
                Relation::Equal | Relation::Superset => Some(hit(None)),
                _ => {
                    let version = target.unescaped()?;
                    let (left, right, scheme) =
                        parse_pair(&unescape_text(text), &version, candidate.scheme)?;
                    (left == right).then(|| hit(Some(scheme)))
                }
            }
        }
    }
}

fn unescape_text(text: &str) -> String {
    CpeValue::Value(text.to_string())
        .unescaped()
        .unwrap_or_default()
}

/// Parses two versions in the component's scheme if both parse there, else generically.
fn parse_pair(
    left: &str,
    right: &str,
    scheme: Option<Scheme>,
) -> Option<(Version, Version, Scheme)> {
    if let Some(scheme) = scheme
        && let (Ok(a), Ok(b)) = (
            aftercare_version::parse(scheme, left),
            aftercare_version::parse(scheme, right),
        )
    {
        return Some((a, b, scheme));
    }
    let a = aftercare_version::parse(Scheme::Generic, left).ok()?;
    let b = aftercare_version::parse(Scheme::Generic, right).ok()?;
    Some((a, b, Scheme::Generic))
}

/// Whether a version lies within a criterion's bounds; the scheme used when it does.
fn in_bounds(criterion: &CpeMatch, version: &str, scheme: Option<Scheme>) -> Option<Scheme> {
    let bounds: Vec<&str> = [&criterion.version_start, &criterion.version_end]
        .into_iter()
        .flatten()
        .map(|bound| match bound {
            VersionBound::Including(text) | VersionBound::Excluding(text) => text.as_str(),
        })
        .collect();
    let chosen = match scheme {
        Some(scheme)
            if aftercare_version::parse(scheme, version).is_ok()
                && bounds
                    .iter()
                    .all(|bound| aftercare_version::parse(scheme, bound).is_ok()) =>
        {
            scheme
        }
        _ => Scheme::Generic,
    };
    let version = aftercare_version::parse(chosen, version).ok()?;
    if let Some(start) = &criterion.version_start {
        let holds = match start {
            VersionBound::Including(text) => {
                version >= aftercare_version::parse(chosen, text).ok()?
            }
            VersionBound::Excluding(text) => {
                version > aftercare_version::parse(chosen, text).ok()?
            }
        };
        if !holds {
            return None;
        }
    }
    if let Some(end) = &criterion.version_end {
        let holds = match end {
            VersionBound::Including(text) => {
                version <= aftercare_version::parse(chosen, text).ok()?
            }
            VersionBound::Excluding(text) => {
                version < aftercare_version::parse(chosen, text).ok()?
            }
        };
        if !holds {
            return None;
        }
    }
    Some(chosen)
}

fn bounds_text(criterion: &CpeMatch) -> Option<String> {
    let mut parts = Vec::new();
    match &criterion.version_start {
        Some(VersionBound::Including(text)) => parts.push(format!(">= {text}")),
        Some(VersionBound::Excluding(text)) => parts.push(format!("> {text}")),
        None => {}
    }
    match &criterion.version_end {
        Some(VersionBound::Including(text)) => parts.push(format!("<= {text}")),
        Some(VersionBound::Excluding(text)) => parts.push(format!("< {text}")),
        None => {}
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The (vendor, product) keys a configuration is found under: those of its vulnerable
/// criteria. `None` in the list means a criterion whose vendor or product is ANY or a
/// wildcard: the configuration must be tried for every CPE.
pub(crate) fn keys(configuration: &Configuration) -> Vec<CpeKey> {
    fn walk(node: &Node, out: &mut Vec<CpeKey>) {
        for criterion in node.matches.iter().filter(|c| c.vulnerable) {
            out.push(cpe_key(&criterion.criteria));
        }
        for child in &node.children {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    for node in &configuration.nodes {
        walk(node, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// The exact (vendor, product) of a CPE, if both are plain values.
pub(crate) fn cpe_key(cpe: &Cpe) -> CpeKey {
    if cpe.vendor.has_wildcard() || cpe.product.has_wildcard() {
        return None;
    }
    Some((cpe.vendor.unescaped()?, cpe.product.unescaped()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(vulnerable: bool, cpe: &str, start: Option<&str>, end: Option<&str>) -> CpeMatch {
        let bound = |text: &str| {
            let (kind, version) = text.split_at(1);
            match kind {
                "[" => VersionBound::Including(version.to_string()),
                "(" => VersionBound::Excluding(version.to_string()),
                "]" => VersionBound::Including(version.to_string()),
                ")" => VersionBound::Excluding(version.to_string()),
                other => panic!("{other}"),
            }
        };
        CpeMatch {
            vulnerable,
            criteria: cpe.parse().unwrap(),
            version_start: start.map(bound),
            version_end: end.map(bound),
            match_criteria_id: None,
        }
    }

    fn node(operator: Operator, negate: bool, matches: Vec<CpeMatch>) -> Node {
        Node {
            operator,
            negate,
            matches,
            children: Vec::new(),
        }
    }

    fn candidates<'a>(cpes: &'a [Cpe], version: Option<&'a str>) -> Vec<Candidate<'a>> {
        cpes.iter()
            .map(|cpe| Candidate {
                cpe,
                version: cpe.version.as_str().or(version),
                scheme: None,
            })
            .collect()
    }

    fn check(configuration: &Configuration, own: &[&str], platform: &[&str], expected: bool) {
        let own: Vec<Cpe> = own.iter().map(|c| c.parse().unwrap()).collect();
        let platform: Vec<Cpe> = platform.iter().map(|c| c.parse().unwrap()).collect();
        let result = evaluate(
            configuration,
            &candidates(&own, None),
            &candidates(&platform, None),
        );
        assert_eq!(result.is_some(), expected, "{own:?} on {platform:?}");
    }

    /// CVE-2020-25165 (BD Alaris): firmware up to 9.33.1 on the 8015 PCU.
    fn alaris() -> Configuration {
        Configuration {
            operator: Operator::And,
            negate: false,
            nodes: vec![
                node(
                    Operator::Or,
                    false,
                    vec![criterion(
                        true,
                        "cpe:2.3:o:bd:alaris_8015_pcu_firmware:*:*:*:*:*:*:*:*",
                        None,
                        Some("]9.33.1"),
                    )],
                ),
                node(
                    Operator::Or,
                    false,
                    vec![criterion(
                        false,
                        "cpe:2.3:h:bd:alaris_8015_pcu:-:*:*:*:*:*:*:*",
                        None,
                        None,
                    )],
                ),
            ],
        }
    }

    #[test]
    fn running_on_configurations() {
        let firmware = "cpe:2.3:o:bd:alaris_8015_pcu_firmware:9.33.1:*:*:*:*:*:*:*";
        let hardware = "cpe:2.3:h:bd:alaris_8015_pcu:-:*:*:*:*:*:*:*";
        check(&alaris(), &[firmware], &[hardware], true);
        // Without the platform the AND does not hold.
        check(&alaris(), &[firmware], &[], false);
        // A newer firmware is outside the bound.
        check(
            &alaris(),
            &["cpe:2.3:o:bd:alaris_8015_pcu_firmware:9.34:*:*:*:*:*:*:*"],
            &[hardware],
            false,
        );
        // The hardware alone is not vulnerable: no finding for it.
        check(&alaris(), &[hardware], &[firmware], false);
    }

    #[test]
    fn negated_nodes_exclude() {
        // Vulnerable app, but not when running on windows.
        let configuration = Configuration {
            operator: Operator::And,
            negate: false,
            nodes: vec![
                node(
                    Operator::Or,
                    false,
                    vec![criterion(
                        true,
                        "cpe:2.3:a:acme:viewer:*:*:*:*:*:*:*:*",
                        Some("[1.0"),
                        Some(")2.0"),
                    )],
                ),
                node(
                    Operator::Or,
                    true,
                    vec![criterion(
                        false,
                        "cpe:2.3:o:microsoft:windows:*:*:*:*:*:*:*:*",
                        None,
                        None,
                    )],
                ),
            ],
        };
        let viewer = "cpe:2.3:a:acme:viewer:1.5:*:*:*:*:*:*:*";
        check(
            &configuration,
            &[viewer],
            &["cpe:2.3:o:linux:linux_kernel:5.0:*:*:*:*:*:*:*"],
            true,
        );
        check(
            &configuration,
            &[viewer],
            &["cpe:2.3:o:microsoft:windows:10:*:*:*:*:*:*:*"],
            false,
        );
        let negated = Configuration {
            negate: true,
            ..configuration
        };
        check(&negated, &[viewer], &[], false);
    }

    #[test]
    fn versions_compare_as_versions() {
        let configuration = Configuration {
            operator: Operator::Or,
            negate: false,
            nodes: vec![node(
                Operator::Or,
                false,
                vec![criterion(
                    true,
                    "cpe:2.3:a:microdicom:dicom_viewer:*:*:*:*:*:*:*:*",
                    None,
                    Some(")2024.1"),
                )],
            )],
        };
        check(
            &configuration,
            &["cpe:2.3:a:microdicom:dicom_viewer:2023.3:*:*:*:*:*:*:*"],
            &[],
            true,
        );
        check(
            &configuration,
            &["cpe:2.3:a:microdicom:dicom_viewer:2024.1:*:*:*:*:*:*:*"],
            &[],
            false,
        );
        check(
            &configuration,
            &["cpe:2.3:a:microdicom:dicom_viewer:2024.10:*:*:*:*:*:*:*"],
            &[],
            false,
        );
        // ANY version on the component's CPE and no version to take: not decided, no match.
        check(
            &configuration,
            &["cpe:2.3:a:microdicom:dicom_viewer:*:*:*:*:*:*:*:*"],
            &[],
            false,
        );
        let exact = Configuration {
            operator: Operator::Or,
            negate: false,
            nodes: vec![node(
                Operator::Or,
                false,
                vec![criterion(
                    true,
                    "cpe:2.3:a:acme:tool:1.0:*:*:*:*:*:*:*",
                    None,
                    None,
                )],
            )],
        };
        check(
            &exact,
            &["cpe:2.3:a:acme:tool:1.0.0:*:*:*:*:*:*:*"],
            &[],
            true,
        );
        check(
            &exact,
            &["cpe:2.3:a:acme:tool:1.0.1:*:*:*:*:*:*:*"],
            &[],
            false,
        );
    }

    #[test]
    fn keys_are_the_vulnerable_vendor_products() {
        assert_eq!(
            keys(&alaris()),
            vec![Some((
                "bd".to_string(),
                "alaris_8015_pcu_firmware".to_string()
            ))]
        );
    }
}
