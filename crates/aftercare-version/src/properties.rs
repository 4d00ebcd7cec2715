//! Property tests for every scheme: the order is total and agrees with equality, and the
//! canonical form parses back to an equal version.
//!
//! Strings come from a per-scheme pattern that mixes valid shapes with noise; strings the
//! scheme refuses are skipped, which is why each pattern leans towards valid versions.

use std::cmp::Ordering;

use proptest::prelude::*;

use crate::{Scheme, Version, parse};

/// Version-shaped strings for `scheme`: its typical forms and some noise.
fn strings(scheme: Scheme) -> BoxedStrategy<String> {
    let semver = "[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}(-[0-9A-Za-z-]{1,4}(\\.[0-9A-Za-z-]{1,4}){0,2})?(\\+[0-9A-Za-z-]{1,4})?";
    let patterns: &[&str] = match scheme {
        Scheme::PyPI => &[
            "v?([0-9]!)?[0-9]{1,3}(\\.[0-9]{1,3}){0,3}((a|b|rc|c|alpha|beta|pre|preview)[0-9]{0,2})?(\\.post[0-9]{0,2})?(\\.dev[0-9]{0,2})?(\\+[a-z0-9]{1,3}(\\.[a-z0-9]{1,3}){0,2})?",
            "[0-9a-z._+-]{1,10}",
        ],
        Scheme::Npm => &[
            "(v|=)?[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}(-[0-9A-Za-z-]{1,4}(\\.[0-9A-Za-z-]{1,4}){0,2})?(\\+[0-9A-Za-z-]{1,4})?",
        ],
        Scheme::CratesIo | Scheme::Hex => &[semver],
        Scheme::Semver => &[
            semver,
            "v?[0-9]{1,2}(\\.[0-9]{1,2}){0,2}(-[0-9A-Za-z.]{0,6})?",
        ],
        Scheme::Go => &[
            "v?[0-9]{1,2}(\\.[0-9]{1,2}(\\.[0-9]{1,2}(-[0-9A-Za-z-]{1,4}(\\.[0-9A-Za-z-]{1,4}){0,2})?(\\+incompatible)?)?)?",
            "v0\\.0\\.0-20[0-9]{12}-[0-9a-f]{12}",
        ],
        Scheme::Maven => &[
            "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}([.-]?(alpha|beta|a|b|m|rc|cr|snapshot|ga|final|release|sp|jre|x)[0-9]{0,2})?(-[0-9]{1,2})?",
            "[0-9a-zA-Z.-]{1,12}",
        ],
        Scheme::NuGet => &[
            "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(-[0-9A-Za-z-]{1,4}(\\.[0-9A-Za-z-]{1,4}){0,2})?(\\+[0-9A-Za-z]{1,3})?",
        ],
        Scheme::RubyGems => &[
            "[0-9]{1,2}(\\.[0-9a-zA-Z]{1,3}){0,4}(-[0-9A-Za-z-]{1,4}(\\.[0-9A-Za-z-]{1,3}){0,2})?",
        ],
        Scheme::Packagist => &[
            "v?[0-9]{1,3}(\\.[0-9]{1,2}){0,3}([-.]?(alpha|beta|RC|rc|a|b|p|pl|patch|stable)[0-9]{0,2})?(-dev)?",
            "[0-9]{1,2}(\\.[0-9]{1,2})?\\.x-dev",
            "20[0-9]{2}[.-]?[0-9]{2}([.-]?[0-9]{2})?",
        ],
        Scheme::Pub => &[
            "[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}(-[0-9A-Za-z-]{1,4}(\\.[0-9A-Za-z-]{1,4}){0,2})?(\\+[0-9A-Za-z-]{1,4}(\\.[0-9A-Za-z-]{1,4})?)?",
        ],
        Scheme::Hackage => &["[0-9]{1,3}(\\.[0-9]{1,3}){0,4}"],
        Scheme::Cran => &["[0-9]{1,3}([.-][0-9]{1,3}){1,4}"],
        Scheme::Debian => &[
            "([0-9]:)?[0-9][0-9a-zA-Z.+~]{0,8}(-[0-9a-zA-Z.+~]{1,6})?",
            "[0-9a-z.+~:-]{1,10}",
        ],
        Scheme::Rpm => &["([0-9]:)?[0-9a-zA-Z.~^_+]{1,10}(-[0-9a-zA-Z.~^_]{1,6})?"],
        Scheme::Alpine => &[
            "[0-9]{1,2}(\\.[0-9]{1,3}){0,3}[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]{0,3}){0,2}(-r[0-9]{1,2})?",
            "[0-9a-z._-]{1,10}",
        ],
        Scheme::Generic => &["[0-9a-zA-Z.~_-]{1,12}"],
    };
    let strategies: Vec<BoxedStrategy<String>> = patterns
        .iter()
        .map(|pattern| proptest::string::string_regex(pattern).unwrap().boxed())
        .collect();
    proptest::strategy::Union::new(strategies).boxed()
}

fn versions(scheme: Scheme) -> impl Strategy<Value = Version> {
    strings(scheme).prop_filter_map("refused by the scheme", move |text| {
        parse(scheme, &text).ok()
    })
}

/// Antisymmetry, agreement with `==`, and transitivity over every ordering of the triple.
fn check_total_order(a: &Version, b: &Version, c: &Version) -> Result<(), TestCaseError> {
    for (x, y) in [(a, b), (b, c), (a, c)] {
        prop_assert_eq!(x.cmp(y), y.cmp(x).reverse(), "antisymmetry: {} vs {}", x, y);
        prop_assert_eq!(
            x == y,
            x.cmp(y) == Ordering::Equal,
            "equality: {} vs {}",
            x,
            y
        );
    }
    for [x, y, z] in [
        [a, b, c],
        [a, c, b],
        [b, a, c],
        [b, c, a],
        [c, a, b],
        [c, b, a],
    ] {
        if x <= y && y <= z {
            prop_assert!(
                x <= z,
                "transitivity: {} <= {} <= {} but not {} <= {}",
                x,
                y,
                z,
                x,
                z
            );
        }
    }
    Ok(())
}

fn check_canonical(version: &Version) -> Result<(), TestCaseError> {
    // Maven's and Composer's own canonical forms are lossy on odd inputs (see their
    // modules); every other scheme's must parse back to an equal version.
    if !matches!(version.scheme(), Scheme::Maven | Scheme::Packagist) {
        let own = version.scheme_canonical();
        let reparsed = parse(version.scheme(), &own);
        prop_assert!(
            reparsed.as_ref().is_ok_and(|reparsed| reparsed == version),
            "{} -> {}",
            version,
            own
        );
    }
    let canonical = version.canonical();
    let reparsed = parse(version.scheme(), &canonical);
    prop_assert!(
        reparsed.is_ok(),
        "{} -> {} does not parse",
        version,
        canonical
    );
    if let Ok(reparsed) = reparsed {
        prop_assert_eq!(&reparsed, version, "{} -> {}", version, canonical);
        prop_assert_eq!(reparsed.canonical(), canonical);
    }
    Ok(())
}

macro_rules! scheme_properties {
    ($($name:ident => $scheme:expr),* $(,)?) => {
        $(
            mod $name {
                use super::*;

                proptest! {
                    #[test]
                    fn order_is_total(a in versions($scheme), b in versions($scheme), c in versions($scheme)) {
                        check_total_order(&a, &b, &c)?;
                    }

                    #[test]
                    fn canonical_form_round_trips(a in versions($scheme)) {
                        check_canonical(&a)?;
                    }
                }
            }
        )*
    };
}

scheme_properties! {
    pypi => Scheme::PyPI,
    npm => Scheme::Npm,
    crates_io => Scheme::CratesIo,
    go => Scheme::Go,
    maven => Scheme::Maven,
    nuget => Scheme::NuGet,
    rubygems => Scheme::RubyGems,
    packagist => Scheme::Packagist,
    hex => Scheme::Hex,
    pub_dev => Scheme::Pub,
    hackage => Scheme::Hackage,
    cran => Scheme::Cran,
    debian => Scheme::Debian,
    rpm => Scheme::Rpm,
    alpine => Scheme::Alpine,
    semver => Scheme::Semver,
    generic => Scheme::Generic,
}
