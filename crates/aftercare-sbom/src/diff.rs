//! The diff of two SBOMs' components: what a patch release added, removed, upgraded and
//! downgraded.
//!
//! **Identity.** Two components are the same package when both have a package URL and
//! their purls without version, qualifiers and subpath are equal; otherwise (one or both
//! without purl) when their group and name are equal (case-insensitive). Two components
//! with different purls are never the same package, even with the same name.
//!
//! **Several versions of one package** (common in npm trees, and RPMs per architecture):
//! equal versions pair first and count as unchanged; of the rest, each new version,
//! highest first, pairs with the closest lower old version (an upgrade), else with the
//! closest higher one (a downgrade); what is left over is added or removed.
//!
//! **Order.** Versions compare with a [`VersionOrder`]: [`diff`] uses [`EcosystemOrder`],
//! the rules of the package's ecosystem from its purl type (`aftercare-version`: Maven's
//! `ComparableVersion`, node-semver, PEP 440, rpmvercmp, dpkg, Go…); [`diff_with`] takes
//! any order. When the ecosystem is unknown (no purl, or a type without a scheme) or a
//! version does not parse under it, the [`NaturalOrder`] decides (digit runs as numbers).

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::model::Component;

/// Orders two versions of one package.
pub trait VersionOrder {
    /// Compares `a` and `b`, versions of a package of purl type `purl_type` (`None` when
    /// the component has no purl). `None` when they cannot be compared under the
    /// ecosystem's rules.
    fn compare(&self, purl_type: Option<&str>, a: &str, b: &str) -> Option<Ordering>;
}

impl<F> VersionOrder for F
where
    F: Fn(Option<&str>, &str, &str) -> Option<Ordering>,
{
    fn compare(&self, purl_type: Option<&str>, a: &str, b: &str) -> Option<Ordering> {
        self(purl_type, a, b)
    }
}

/// Each ecosystem's own version order, chosen by purl type (see `aftercare-version`).
#[derive(Debug, Clone, Copy, Default)]
pub struct EcosystemOrder;

impl VersionOrder for EcosystemOrder {
    fn compare(&self, purl_type: Option<&str>, a: &str, b: &str) -> Option<Ordering> {
        let scheme = aftercare_version::Scheme::from_purl_type(purl_type?)?;
        let a = aftercare_version::parse(scheme, a).ok()?;
        let b = aftercare_version::parse(scheme, b).ok()?;
        Some(a.cmp(&b))
    }
}

/// The ecosystem-blind fallback order: runs of digits compare as numbers, other runs as
/// text, so `1.10` comes after `1.9`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NaturalOrder;

impl VersionOrder for NaturalOrder {
    fn compare(&self, _: Option<&str>, a: &str, b: &str) -> Option<Ordering> {
        Some(natural(a, b))
    }
}

/// Compares two strings with digit runs as numbers.
pub fn natural(a: &str, b: &str) -> Ordering {
    let (mut left, mut right) = (a.as_bytes(), b.as_bytes());
    loop {
        match (left.first(), right.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let split =
                    |s: &'_ [u8]| -> usize { s.iter().take_while(|c| c.is_ascii_digit()).count() };
                let (len_left, len_right) = (split(left), split(right));
                let trim = |digits: &'_ [u8]| -> usize {
                    digits
                        .iter()
                        .take_while(|c| **c == b'0')
                        .count()
                        .min(digits.len().saturating_sub(1))
                };
                let number_left = &left[trim(&left[..len_left])..len_left];
                let number_right = &right[trim(&right[..len_right])..len_right];
                let ordering = number_left
                    .len()
                    .cmp(&number_right.len())
                    .then_with(|| number_left.cmp(number_right));
                if ordering != Ordering::Equal {
                    return ordering;
                }
                left = &left[len_left..];
                right = &right[len_right..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                left = &left[1..];
                right = &right[1..];
            }
        }
    }
}

/// A package present in both SBOMs with another version.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionChange<'a> {
    /// The component in the old SBOM.
    pub old: &'a Component,
    /// The component in the new SBOM.
    pub new: &'a Component,
}

/// What changed between two SBOMs' components.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SbomDiff<'a> {
    /// Packages only in the new SBOM.
    pub added: Vec<&'a Component>,
    /// Packages only in the old SBOM.
    pub removed: Vec<&'a Component>,
    /// Packages with a higher version in the new SBOM.
    pub upgraded: Vec<VersionChange<'a>>,
    /// Packages with a lower version in the new SBOM.
    pub downgraded: Vec<VersionChange<'a>>,
    /// Packages whose version appeared or disappeared (one side has none), so that no
    /// order applies.
    pub changed: Vec<VersionChange<'a>>,
    /// How many packages are the same version in both.
    pub unchanged: usize,
}

/// Diffs two SBOMs' components with each ecosystem's version order ([`EcosystemOrder`]).
pub fn diff<'a>(old: &'a [Component], new: &'a [Component]) -> SbomDiff<'a> {
    diff_with(old, new, &EcosystemOrder)
}

/// Diffs two SBOMs' components with a given version order.
pub fn diff_with<'a>(
    old: &'a [Component],
    new: &'a [Component],
    order: &dyn VersionOrder,
) -> SbomDiff<'a> {
    let mut result = SbomDiff::default();

    // Round one: by purl without version, for components that have one.
    let mut old_by_purl: HashMap<String, Vec<&'a Component>> = HashMap::new();
    let mut new_by_purl: HashMap<String, Vec<&'a Component>> = HashMap::new();
    let mut old_rest = Vec::new();
    let mut new_rest = Vec::new();
    for component in old {
        match &component.purl {
            Some(purl) => old_by_purl
                .entry(purl.without_version().to_string())
                .or_default()
                .push(component),
            None => old_rest.push(component),
        }
    }
    for component in new {
        match &component.purl {
            Some(purl) => new_by_purl
                .entry(purl.without_version().to_string())
                .or_default()
                .push(component),
            None => new_rest.push(component),
        }
    }
    let mut keys: Vec<&String> = old_by_purl.keys().collect();
    keys.sort();
    for key in keys {
        let olds = &old_by_purl[key];
        match new_by_purl.remove(key) {
            Some(news) => {
                // What does not pair here may still pair by name with a component that
                // has no purl on the other side.
                let (left_old, left_new) = pair_collect(olds.clone(), news, order, &mut result);
                old_rest.extend(left_old);
                new_rest.extend(left_new);
            }
            None => old_rest.extend(olds.iter().copied()),
        }
    }
    let mut leftover_new: Vec<(&String, Vec<&'a Component>)> =
        new_by_purl.iter().map(|(k, v)| (k, v.clone())).collect();
    leftover_new.sort_by(|a, b| a.0.cmp(b.0));
    for (_, news) in leftover_new {
        new_rest.extend(news);
    }

    // Round two: by (group, name), never pairing two components that both have a purl
    // (their purls differ, so they are different packages).
    let name_key = |component: &Component| {
        (
            component
                .group
                .as_deref()
                .unwrap_or_default()
                .to_lowercase(),
            component.name.to_lowercase(),
        )
    };
    let mut old_by_name: HashMap<(String, String), Vec<&'a Component>> = HashMap::new();
    for component in old_rest {
        old_by_name
            .entry(name_key(component))
            .or_default()
            .push(component);
    }
    let mut new_by_name: HashMap<(String, String), Vec<&'a Component>> = HashMap::new();
    for component in new_rest {
        new_by_name
            .entry(name_key(component))
            .or_default()
            .push(component);
    }
    let mut names: Vec<(String, String)> = old_by_name
        .keys()
        .chain(new_by_name.keys())
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        let olds = old_by_name.remove(&name).unwrap_or_default();
        let news = new_by_name.remove(&name).unwrap_or_default();
        let (old_purl, old_bare): (Vec<_>, Vec<_>) =
            olds.into_iter().partition(|c| c.purl.is_some());
        let (new_purl, new_bare): (Vec<_>, Vec<_>) =
            news.into_iter().partition(|c| c.purl.is_some());
        // Old components without purl pair with any new one; old ones with a purl only with
        // new ones without.
        let mut new_any: Vec<&'a Component> = new_bare;
        new_any.extend(new_purl);
        let (left_old, left_new) = pair_collect(old_bare, new_any, order, &mut result);
        let (new_with_purl, new_without): (Vec<_>, Vec<_>) =
            left_new.into_iter().partition(|c| c.purl.is_some());
        let (left_old_purl, left_new_bare) =
            pair_collect(old_purl, new_without, order, &mut result);
        result.removed.extend(left_old);
        result.removed.extend(left_old_purl);
        result.added.extend(new_with_purl);
        result.added.extend(left_new_bare);
    }
    result
}

/// Pairs the components of one package (see the module documentation) and returns what
/// did not pair.
fn pair_collect<'a>(
    mut olds: Vec<&'a Component>,
    mut news: Vec<&'a Component>,
    order: &dyn VersionOrder,
    result: &mut SbomDiff<'a>,
) -> (Vec<&'a Component>, Vec<&'a Component>) {
    let purl_type =
        |component: &Component| component.purl.as_ref().map(|purl| purl.ty().to_string());
    let compare = |a: &Component, b: &Component| -> Option<Ordering> {
        let ty = purl_type(b).or_else(|| purl_type(a));
        match (a.version.as_deref(), b.version.as_deref()) {
            (Some(x), Some(y)) => Some(
                order
                    .compare(ty.as_deref(), x, y)
                    .unwrap_or_else(|| natural(x, y)),
            ),
            (None, None) => Some(Ordering::Equal),
            _ => None,
        }
    };
    // Equal versions first.
    let mut index = 0;
    while index < news.len() {
        let found = olds
            .iter()
            .position(|old| compare(old, news[index]) == Some(Ordering::Equal));
        match found {
            Some(position) => {
                olds.remove(position);
                news.remove(index);
                result.unchanged += 1;
            }
            None => index += 1,
        }
    }
    // The rest: new versions, highest first, take the closest lower old version, else the
    // closest higher one; versionless ones pair with whatever is left, as `changed`.
    let sort_key =
        |a: &&Component, b: &&Component| compare(a, b).unwrap_or_else(|| a.version.cmp(&b.version));
    news.sort_by(|a, b| sort_key(b, a));
    olds.sort_by(sort_key);
    let mut left_new = Vec::new();
    for new in news {
        if olds.is_empty() {
            left_new.push(new);
            continue;
        }
        let lower = olds
            .iter()
            .rposition(|old| compare(old, new) == Some(Ordering::Less));
        let higher = olds
            .iter()
            .position(|old| compare(old, new) == Some(Ordering::Greater));
        match (lower, higher) {
            (Some(position), _) => {
                let old = olds.remove(position);
                result.upgraded.push(VersionChange { old, new });
            }
            (None, Some(position)) => {
                let old = olds.remove(position);
                result.downgraded.push(VersionChange { old, new });
            }
            (None, None) => {
                let old = olds.remove(0);
                result.changed.push(VersionChange { old, new });
            }
        }
    }
    (olds, left_new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(purl: Option<&str>, name: &str, version: Option<&str>) -> Component {
        let mut component = Component::new(name, name);
        component.purl = purl.map(|purl| purl.parse().unwrap());
        component.version = version.map(str::to_string);
        component
    }

    fn npm(name: &str, version: &str) -> Component {
        component(
            Some(&format!("pkg:npm/{name}@{version}")),
            name,
            Some(version),
        )
    }

    fn label(component: &Component) -> String {
        format!(
            "{}@{}",
            component.name,
            component.version.as_deref().unwrap_or("-")
        )
    }

    fn changes(changes: &[VersionChange<'_>]) -> Vec<String> {
        let mut out: Vec<String> = changes
            .iter()
            .map(|change| {
                format!(
                    "{}->{}",
                    label(change.old),
                    change.new.version.as_deref().unwrap_or("-")
                )
            })
            .collect();
        out.sort();
        out
    }

    fn labels(components: &[&Component]) -> Vec<String> {
        let mut out: Vec<String> = components.iter().map(|c| label(c)).collect();
        out.sort();
        out
    }

    /// Diffs and checks: added, removed, upgraded, downgraded, unchanged.
    fn check(
        old: &[Component],
        new: &[Component],
        added: &[&str],
        removed: &[&str],
        upgraded: &[&str],
        downgraded: &[&str],
        unchanged: usize,
    ) {
        let diff = diff(old, new);
        assert_eq!(labels(&diff.added), added, "added");
        assert_eq!(labels(&diff.removed), removed, "removed");
        assert_eq!(changes(&diff.upgraded), upgraded, "upgraded");
        assert_eq!(changes(&diff.downgraded), downgraded, "downgraded");
        assert_eq!(diff.unchanged, unchanged, "unchanged");
    }

    #[test]
    fn simple_changes() {
        check(
            &[
                npm("a", "1.0.0"),
                npm("b", "1.9.0"),
                npm("c", "2.0.0"),
                npm("gone", "1.0.0"),
            ],
            &[
                npm("a", "1.0.0"),
                npm("b", "1.10.0"),
                npm("c", "1.5.0"),
                npm("new", "0.1.0"),
            ],
            &["new@0.1.0"],
            &["gone@1.0.0"],
            &["b@1.9.0->1.10.0"],
            &["c@2.0.0->1.5.0"],
            1,
        );
    }

    #[test]
    fn several_versions_of_one_package() {
        // Exact versions pair first; the rest pair by closeness, upgrades preferred.
        check(
            &[npm("lodash", "3.10.1"), npm("lodash", "4.17.19")],
            &[npm("lodash", "3.10.1"), npm("lodash", "4.17.21")],
            &[],
            &[],
            &["lodash@4.17.19->4.17.21"],
            &[],
            1,
        );
        check(
            &[npm("x", "1.0.0"), npm("x", "2.0.0")],
            &[npm("x", "2.5.0")],
            &[],
            &["x@1.0.0"],
            &["x@2.0.0->2.5.0"],
            &[],
            0,
        );
        check(
            &[npm("x", "2.0.0")],
            &[npm("x", "1.0.0"), npm("x", "3.0.0")],
            &["x@1.0.0"],
            &[],
            &["x@2.0.0->3.0.0"],
            &[],
            0,
        );
        check(
            &[npm("x", "1.0.0"), npm("x", "2.0.0")],
            &[npm("x", "1.5.0"), npm("x", "2.5.0")],
            &[],
            &[],
            &["x@1.0.0->1.5.0", "x@2.0.0->2.5.0"],
            &[],
            0,
        );
    }

    #[test]
    fn identity_by_purl_then_name() {
        // Same name, different purls: different packages.
        check(
            &[component(Some("pkg:npm/util@1.0"), "util", Some("1.0"))],
            &[component(Some("pkg:pypi/util@1.1"), "util", Some("1.1"))],
            &["util@1.1"],
            &["util@1.0"],
            &[],
            &[],
            0,
        );
        // One side without purl: the name decides.
        check(
            &[component(None, "libc", Some("2.31"))],
            &[component(
                Some("pkg:deb/debian/libc@2.36"),
                "libc",
                Some("2.36"),
            )],
            &[],
            &[],
            &["libc@2.31->2.36"],
            &[],
            0,
        );
        // What does not pair by purl still pairs by name with a purl-less twin.
        check(
            &[
                component(Some("pkg:rpm/redhat/x@1?arch=a"), "x", Some("1")),
                component(None, "x", Some("1")),
            ],
            &[
                component(Some("pkg:rpm/redhat/x@2?arch=a"), "x", Some("2")),
                component(Some("pkg:rpm/redhat/x@2?arch=b"), "x", Some("2")),
            ],
            &[],
            &[],
            &["x@1->2", "x@1->2"],
            &[],
            0,
        );
        // Qualifiers do not split a package.
        check(
            &[component(
                Some("pkg:rpm/redhat/openssl@3.0.7-18?arch=x86_64"),
                "openssl",
                Some("3.0.7-18"),
            )],
            &[component(
                Some("pkg:rpm/redhat/openssl@3.0.7-24?arch=x86_64"),
                "openssl",
                Some("3.0.7-24"),
            )],
            &[],
            &[],
            &["openssl@3.0.7-18->3.0.7-24"],
            &[],
            0,
        );
    }

    #[test]
    fn the_ecosystem_order_decides() {
        let old = [npm("a", "1.0.0-rc.1")];
        let new = [npm("a", "1.0.0")];
        // npm (semver): a pre-release comes before its release.
        assert_eq!(diff(&old, &new).upgraded.len(), 1);
        // The natural order puts the longer string last: a downgrade.
        assert_eq!(diff_with(&old, &new, &NaturalOrder).downgraded.len(), 1);
        // Maven: 1.0 and 1.0.0.Final are the same version.
        let maven = |version: &str| {
            component(
                Some(&format!("pkg:maven/g/a@{version}")),
                "a",
                Some(version),
            )
        };
        let (old, new) = ([maven("1.0")], [maven("1.0.0.Final")]);
        assert_eq!(diff(&old, &new).unchanged, 1);
        // Without purl, the natural order.
        let (old, new) = (
            [component(None, "x", Some("1.9"))],
            [component(None, "x", Some("1.10"))],
        );
        assert_eq!(diff(&old, &new).upgraded.len(), 1);
        // Any function can be the order.
        let reversed = |_: Option<&str>, a: &str, b: &str| Some(natural(b, a));
        let (old, new) = ([npm("b", "1.0.0")], [npm("b", "2.0.0")]);
        assert_eq!(diff_with(&old, &new, &reversed).downgraded.len(), 1);
    }

    #[test]
    fn versions_that_do_not_parse_fall_back_to_the_natural_order() {
        assert_eq!(
            EcosystemOrder.compare(Some("npm"), "not a version", "1.0.0"),
            None
        );
        assert_eq!(EcosystemOrder.compare(Some("unknown-type"), "1", "2"), None);
        assert_eq!(
            EcosystemOrder.compare(Some("rpm"), "3.0.7-18.el9", "3.0.7-24.el9"),
            Some(Ordering::Less)
        );
        let (old, new) = ([npm("c", "not a version")], [npm("c", "zzz")]);
        assert_eq!(diff(&old, &new).upgraded.len(), 1);
    }

    #[test]
    fn version_appearing_is_a_change_without_order() {
        let (old, new) = (
            [component(None, "x", None)],
            [component(None, "x", Some("1"))],
        );
        let diff = diff(&old, &new);
        assert_eq!(diff.changed.len(), 1);
        assert!(diff.upgraded.is_empty() && diff.added.is_empty());
    }

    fn check_natural(a: &str, b: &str, expected: Ordering) {
        assert_eq!(natural(a, b), expected, "{a} vs {b}");
    }

    #[test]
    fn natural_order() {
        check_natural("1.9", "1.10", Ordering::Less);
        check_natural("1.10", "1.10", Ordering::Equal);
        check_natural("1.010", "1.10", Ordering::Equal);
        check_natural("2.0", "10.0", Ordering::Less);
        check_natural("1.0a", "1.0b", Ordering::Less);
        check_natural("1.0", "1.0.1", Ordering::Less);
        check_natural("", "0", Ordering::Less);
    }
}
