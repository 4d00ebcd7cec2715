//! OSV affected ranges: the schema's evaluation algorithm over parsed versions.
//!
//! An OSV range is a list of events (`introduced`, `fixed`, `last_affected`, `limit`) in
//! any order. Following the schema (<https://ossf.github.io/osv-schema/#evaluation>):
//! the events are sorted by version, with `introduced: "0"` before everything; walking
//! them, an `introduced` at or below the version makes it affected, a `fixed` at or below
//! it or a `last_affected` strictly below it makes it unaffected; when `limit` events
//! exist, only versions below one of them can be affected. Several ranges of one package
//! are OR-ed by the caller (or by [`evaluate_ranges`]).
//!
//! Events with equal versions keep their order in the record (a stable sort, as osv.dev
//! does), so `introduced X, fixed X` is empty while `fixed X, introduced X` resumes at X.
//!
//! `SEMVER` ranges are ordered by SemVer whatever the ecosystem, `ECOSYSTEM` ranges by the
//! ecosystem's scheme, and `GIT` ranges are not evaluated: [`Range::new`] refuses them with
//! [`VersionError::GitRange`] and the caller resolves them on the repository.
//!
//! A [`Range`] is built once (its versions parsed and sorted) and evaluated many times.

use crate::{Scheme, Version, VersionError};

/// The `type` of an OSV range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeType {
    /// `SEMVER`: versions are SemVer 2.0, whatever the ecosystem.
    Semver,
    /// `ECOSYSTEM`: versions are ordered by the ecosystem's own scheme.
    Ecosystem,
    /// `GIT`: versions are commit hashes; not evaluated by this crate.
    Git,
}

impl RangeType {
    /// The range type for OSV's `ranges[].type` string, or `None` for an unknown type.
    pub fn from_osv(text: &str) -> Option<RangeType> {
        match text {
            "SEMVER" => Some(RangeType::Semver),
            "ECOSYSTEM" => Some(RangeType::Ecosystem),
            "GIT" => Some(RangeType::Git),
            _ => None,
        }
    }

    /// The scheme that orders a range of this type in an ecosystem of `ecosystem`'s
    /// scheme: SemVer for `SEMVER`, the ecosystem's for `ECOSYSTEM`, an error for `GIT`.
    pub fn scheme(self, ecosystem: Scheme) -> Result<Scheme, VersionError> {
        match self {
            RangeType::Semver => Ok(Scheme::Semver),
            RangeType::Ecosystem => Ok(ecosystem),
            RangeType::Git => Err(VersionError::GitRange),
        }
    }
}

/// One event of an OSV range, as written in the record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeEvent {
    /// `introduced`: the first affected version; `"0"` means before every version.
    Introduced(String),
    /// `fixed`: the first version with the fix.
    Fixed(String),
    /// `last_affected`: the last affected version.
    LastAffected(String),
    /// `limit`: versions at or above every limit are not affected; `"*"` is infinity.
    Limit(String),
}

/// A parsed event, in the sorted order the evaluation walks.
#[derive(Debug, Clone)]
pub enum Event {
    /// `introduced`; `None` is OSV's `"0"`, before every version.
    Introduced(Option<Version>),
    /// `fixed`.
    Fixed(Version),
    /// `last_affected`.
    LastAffected(Version),
}

impl Event {
    fn version(&self) -> Option<&Version> {
        match self {
            Event::Introduced(version) => version.as_ref(),
            Event::Fixed(version) | Event::LastAffected(version) => Some(version),
        }
    }
}

/// The bound that ends the affected interval a version fell into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound<'a> {
    /// The next `fixed` version: upgrading to it (or later) leaves the interval.
    Fixed(&'a Version),
    /// The `last_affected` version: versions after it are not affected.
    LastAffected(&'a Version),
}

/// Why a version is affected: the interval of the range it lies in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Affected<'a> {
    /// The `introduced` event that opened the interval; `None` for `"0"`.
    pub introduced: Option<&'a Version>,
    /// The event that closes the interval, `None` when nothing after it is fixed.
    pub until: Option<Bound<'a>>,
}

/// An OSV range parsed once, to be evaluated against many versions.
#[derive(Debug, Clone)]
pub struct Range {
    scheme: Scheme,
    events: Box<[Event]>,
    /// `None` when the range has no `limit` (an implicit `"*"`); `Some` with the finite
    /// limits otherwise, or an empty list when one of them is `"*"`.
    limits: Option<Box<[Version]>>,
}

impl Range {
    /// Parses and sorts a range's events. `ecosystem` is the scheme of the package's
    /// ecosystem; `SEMVER` ranges use [`Scheme::Semver`] instead. `GIT` ranges are refused
    /// with [`VersionError::GitRange`]; a version that does not parse is an error naming
    /// it.
    pub fn new(
        range_type: RangeType,
        ecosystem: Scheme,
        events: &[RangeEvent],
    ) -> Result<Range, VersionError> {
        Range::with_scheme(range_type.scheme(ecosystem)?, events)
    }

    /// Parses and sorts events ordered by `scheme`.
    pub fn with_scheme(scheme: Scheme, events: &[RangeEvent]) -> Result<Range, VersionError> {
        let mut parsed = Vec::with_capacity(events.len());
        let mut limits: Option<Vec<Version>> = None;
        let mut unbounded = false;
        for event in events {
            match event {
                RangeEvent::Introduced(text) if text == "0" => parsed.push(Event::Introduced(None)),
                RangeEvent::Introduced(text) => {
                    parsed.push(Event::Introduced(Some(crate::parse(scheme, text)?)));
                }
                RangeEvent::Fixed(text) => parsed.push(Event::Fixed(crate::parse(scheme, text)?)),
                RangeEvent::LastAffected(text) => {
                    parsed.push(Event::LastAffected(crate::parse(scheme, text)?));
                }
                RangeEvent::Limit(text) => {
                    let limits = limits.get_or_insert_with(Vec::new);
                    if text.contains('*') {
                        unbounded = true;
                    } else {
                        limits.push(crate::parse(scheme, text)?);
                    }
                }
            }
        }
        // Stable: events at equal versions keep the record's order. "0" sorts first.
        parsed.sort_by(|left, right| left.version().cmp(&right.version()));
        Ok(Range {
            scheme,
            events: parsed.into_boxed_slice(),
            limits: limits.map(|limits| {
                if unbounded {
                    Box::default()
                } else {
                    limits.into_boxed_slice()
                }
            }),
        })
    }

    /// The scheme versions must be parsed with to be evaluated against this range.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The events, sorted as the evaluation walks them.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The `fixed` versions of the range, ascending.
    pub fn fixed(&self) -> impl Iterator<Item = &Version> {
        self.events.iter().filter_map(|event| match event {
            Event::Fixed(version) => Some(version),
            _ => None,
        })
    }

    /// Whether `version` is in the range.
    pub fn contains(&self, version: &Version) -> Result<bool, VersionError> {
        self.evaluate(version).map(|affected| affected.is_some())
    }

    /// The interval of the range `version` lies in, or `None` when it is not affected.
    /// The version must have been parsed with [`Range::scheme`].
    pub fn evaluate(&self, version: &Version) -> Result<Option<Affected<'_>>, VersionError> {
        if version.scheme() != self.scheme {
            return Err(VersionError::SchemeMismatch {
                range: self.scheme,
                version: version.scheme(),
            });
        }
        if let Some(limits) = &self.limits {
            // An empty list stands for a `"*"` limit, which every version is below.
            if !limits.is_empty() && !limits.iter().any(|limit| version < limit) {
                return Ok(None);
            }
        }
        let mut opened_by = None;
        for (index, event) in self.events.iter().enumerate() {
            match event {
                Event::Introduced(None) => opened_by = Some(index),
                Event::Introduced(Some(start)) if version >= start => opened_by = Some(index),
                Event::Fixed(fixed) if version >= fixed => opened_by = None,
                Event::LastAffected(last) if version > last => opened_by = None,
                // Events are sorted: once they pass the version, none can change the state.
                _ if event.version().is_some_and(|at| at > version) => break,
                _ => {}
            }
        }
        Ok(opened_by.map(|index| {
            let introduced = self.events.get(index).and_then(Event::version);
            let until = self
                .events
                .iter()
                .skip(index + 1)
                .find_map(|event| match event {
                    Event::Fixed(version) => Some(Bound::Fixed(version)),
                    Event::LastAffected(version) => Some(Bound::LastAffected(version)),
                    Event::Introduced(_) => None,
                });
            Affected { introduced, until }
        }))
    }
}

/// Evaluates a one-off range; build a [`Range`] to evaluate the same range many times.
/// `scheme` orders the events ([`Scheme::Semver`] for `SEMVER` ranges) and `version` must
/// have been parsed with it.
pub fn is_affected(
    scheme: Scheme,
    events: &[RangeEvent],
    version: &Version,
) -> Result<bool, VersionError> {
    Range::with_scheme(scheme, events)?.contains(version)
}

/// Which range of a package affects a version, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeMatch<'a> {
    /// The position of the range in the slice given to [`evaluate_ranges`].
    pub range: usize,
    /// The interval the version lies in.
    pub affected: Affected<'a>,
}

/// Evaluates a version string against all ranges of one package (OR-ed, as OSV says),
/// parsing it once per scheme the ranges need. The first affecting range is returned.
///
/// Ranges whose scheme cannot parse the version are skipped (a Maven `SEMVER` range
/// says nothing about `2.0.9.RELEASE`); the parse error is returned only when no range
/// could be evaluated at all.
pub fn evaluate_ranges<'a>(
    ranges: &'a [Range],
    version: &str,
) -> Result<Option<RangeMatch<'a>>, VersionError> {
    let mut parsed: Vec<(Scheme, Result<Version, VersionError>)> = Vec::new();
    let mut first_error = None;
    let mut evaluated = false;
    for (index, range) in ranges.iter().enumerate() {
        let position = match parsed
            .iter()
            .position(|(scheme, _)| *scheme == range.scheme())
        {
            Some(position) => position,
            None => {
                parsed.push((range.scheme(), crate::parse(range.scheme(), version)));
                parsed.len() - 1
            }
        };
        match parsed.get(position).map(|(_, result)| result) {
            Some(Ok(version)) => {
                evaluated = true;
                if let Some(affected) = range.evaluate(version)? {
                    return Ok(Some(RangeMatch {
                        range: index,
                        affected,
                    }));
                }
            }
            Some(Err(error)) => {
                first_error.get_or_insert_with(|| error.clone());
            }
            None => {}
        }
    }
    match first_error {
        Some(error) if !evaluated => Err(error),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    /// Builds events from `"introduced:1.0"`-style words.
    fn events(spec: &str) -> Vec<RangeEvent> {
        spec.split_whitespace()
            .map(|word| {
                let (kind, version) = word.split_once(':').unwrap();
                let version = version.to_owned();
                match kind {
                    "introduced" => RangeEvent::Introduced(version),
                    "fixed" => RangeEvent::Fixed(version),
                    "last_affected" => RangeEvent::LastAffected(version),
                    "limit" => RangeEvent::Limit(version),
                    other => panic!("unknown event {other}"),
                }
            })
            .collect()
    }

    fn check(scheme: Scheme, spec: &str, version: &str, expected: bool) {
        let range = Range::with_scheme(scheme, &events(spec)).unwrap();
        let version = parse(scheme, version).unwrap();
        assert_eq!(
            range.contains(&version).unwrap(),
            expected,
            "{version} in [{spec}]"
        );
    }

    #[test]
    fn schema_examples() {
        let s = Scheme::Semver;
        check(s, "introduced:0", "0.0.0-0", true);
        check(s, "introduced:0", "99.0.0", true);
        check(s, "introduced:0 fixed:1.0.2", "1.0.1", true);
        check(s, "introduced:0 fixed:1.0.2", "1.0.2", false);
        check(s, "introduced:0 fixed:1.0.2", "1.0.3", false);
        let multiple = "introduced:1.0.0 fixed:1.0.2 introduced:3.0.0 fixed:3.2.5";
        check(s, multiple, "0.9.0", false);
        check(s, multiple, "1.0.0", true);
        check(s, multiple, "1.0.2", false);
        check(s, multiple, "2.0.0", false);
        check(s, multiple, "3.2.4", true);
        check(s, multiple, "3.2.5", false);
        check(s, "introduced:1.0.0 last_affected:1.0.2", "1.0.2", true);
        check(s, "introduced:1.0.0 last_affected:1.0.2", "1.0.3", false);
        check(s, "introduced:1.0.0 last_affected:1.0.2", "0.9.9", false);
    }

    #[test]
    fn events_in_any_order() {
        let s = Scheme::Semver;
        let shuffled = "fixed:3.2.5 introduced:3.0.0 fixed:1.0.2 introduced:1.0.0";
        check(s, shuffled, "1.0.1", true);
        check(s, shuffled, "2.0.0", false);
        check(s, shuffled, "3.0.0", true);
        check(s, "fixed:2.0.0 introduced:0", "1.0.0", true);
    }

    #[test]
    fn limits() {
        let s = Scheme::Semver;
        check(s, "introduced:1.0.0 limit:2.0.0", "1.5.0", true);
        check(s, "introduced:1.0.0 limit:2.0.0", "2.0.0", false);
        check(s, "introduced:1.0.0 limit:2.0.0 limit:3.0.0", "2.5.0", true);
        check(s, "introduced:1.0.0 limit:*", "9.0.0", true);
        check(s, "introduced:1.0.0 limit:2.0.0 limit:*", "9.0.0", true);
    }

    #[test]
    fn equal_versions_keep_record_order() {
        let s = Scheme::Semver;
        check(s, "introduced:1.0.0 fixed:1.0.0", "1.0.0", false);
        check(
            s,
            "introduced:0 fixed:1.0.0 introduced:1.0.0 fixed:2.0.0",
            "1.0.0",
            true,
        );
        check(s, "introduced:1.0.0 last_affected:1.0.0", "1.0.0", true);
    }

    #[test]
    fn ecosystem_order_is_used() {
        check(Scheme::Maven, "introduced:0 fixed:2.12.6.1", "2.12.6", true);
        check(
            Scheme::Maven,
            "introduced:0 fixed:2.12.6.1",
            "2.12.6.1",
            false,
        );
        check(
            Scheme::Maven,
            "introduced:3.8.0.CR1 fixed:3.8.0",
            "3.8.0.CR1",
            true,
        );
        check(
            Scheme::Maven,
            "introduced:3.8.0.CR1 fixed:3.8.0",
            "3.8.0.Final",
            false,
        );
        check(Scheme::PyPI, "introduced:0 fixed:2.2.0", "2.2.0rc1", true);
        check(
            Scheme::Debian,
            "introduced:0 fixed:3.20230808.1~deb11u1",
            "3.20230512.1~deb11u1",
            true,
        );
        check(
            Scheme::Packagist,
            "introduced:4.3alpha1 fixed:4.3beta2",
            "4.3beta1",
            true,
        );
        check(Scheme::Go, "introduced:0 fixed:0.3.8", "v0.3.7", true);
    }

    #[test]
    fn reasons() {
        let range = Range::with_scheme(
            Scheme::Semver,
            &events(
                "introduced:0 fixed:1.0.2 introduced:2.0.0 last_affected:2.1.0 introduced:3.0.0",
            ),
        )
        .unwrap();
        let version = |text: &str| parse(Scheme::Semver, text).unwrap();
        let first = range.evaluate(&version("1.0.0")).unwrap().unwrap();
        assert_eq!(first.introduced, None);
        assert_eq!(first.until, Some(Bound::Fixed(&version("1.0.2"))));
        let second = range.evaluate(&version("2.0.5")).unwrap().unwrap();
        assert_eq!(second.introduced, Some(&version("2.0.0")));
        assert_eq!(second.until, Some(Bound::LastAffected(&version("2.1.0"))));
        let third = range.evaluate(&version("3.1.0")).unwrap().unwrap();
        assert_eq!(third.until, None);
        assert_eq!(range.evaluate(&version("2.5.0")).unwrap(), None);
        let fixed: Vec<&str> = range.fixed().map(Version::as_str).collect();
        assert_eq!(fixed, ["1.0.2"]);
    }

    #[test]
    fn range_types() {
        assert_eq!(RangeType::from_osv("SEMVER"), Some(RangeType::Semver));
        assert_eq!(RangeType::from_osv("ECOSYSTEM"), Some(RangeType::Ecosystem));
        assert_eq!(RangeType::from_osv("GIT"), Some(RangeType::Git));
        assert_eq!(RangeType::from_osv("semver"), None);
        let semver = Range::new(RangeType::Semver, Scheme::Npm, &events("introduced:0")).unwrap();
        assert_eq!(semver.scheme(), Scheme::Semver);
        let ecosystem =
            Range::new(RangeType::Ecosystem, Scheme::Npm, &events("introduced:0")).unwrap();
        assert_eq!(ecosystem.scheme(), Scheme::Npm);
        let git = Range::new(RangeType::Git, Scheme::Generic, &events("introduced:0"));
        assert_eq!(git.unwrap_err(), VersionError::GitRange);
    }

    #[test]
    fn errors() {
        let bad = Range::with_scheme(Scheme::CratesIo, &events("introduced:0 fixed:1.0"));
        assert!(matches!(
            bad,
            Err(VersionError::Parse {
                scheme: Scheme::CratesIo,
                ..
            })
        ));
        let range = Range::with_scheme(Scheme::Semver, &events("introduced:0")).unwrap();
        let npm = parse(Scheme::Npm, "1.0.0").unwrap();
        assert_eq!(
            range.contains(&npm).unwrap_err(),
            VersionError::SchemeMismatch {
                range: Scheme::Semver,
                version: Scheme::Npm
            }
        );
    }

    #[test]
    fn one_off_and_many_ranges() {
        let version = parse(Scheme::Semver, "1.5.0").unwrap();
        assert!(
            is_affected(
                Scheme::Semver,
                &events("introduced:1.0.0 fixed:2.0.0"),
                &version
            )
            .unwrap()
        );
        let ranges = [
            Range::new(
                RangeType::Semver,
                Scheme::Maven,
                &events("introduced:0 fixed:1"),
            )
            .unwrap(),
            Range::new(
                RangeType::Ecosystem,
                Scheme::Maven,
                &events("introduced:2 fixed:3"),
            )
            .unwrap(),
        ];
        let hit = evaluate_ranges(&ranges, "2.0.9.RELEASE").unwrap().unwrap();
        assert_eq!(hit.range, 1);
        assert_eq!(
            evaluate_ranges(&ranges, "0.5.0")
                .unwrap()
                .map(|hit| hit.range),
            Some(0)
        );
        assert_eq!(evaluate_ranges(&ranges, "4.0").unwrap(), None);
        let semver_only = [Range::with_scheme(Scheme::Semver, &events("introduced:0")).unwrap()];
        assert!(evaluate_ranges(&semver_only, "not a version").is_err());
    }
}
