//! The metric tables of every CVSS version and the version-independent vector: which metrics
//! exist, in which canonical order, with which values, and how a vector string is read and
//! printed.
//!
//! One table per version drives parsing, printing and validation, so the three cannot drift
//! apart. A vector stores one byte per metric: `0` for absent or Not Defined, otherwise the
//! position of the value in the metric's value list plus one. Scoring code reads these bytes
//! through the index constants of each version module.

use std::fmt;

use crate::error::CvssError;
use crate::version::CvssVersion;

/// The group a metric belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricGroup {
    /// Intrinsic characteristics; mandatory in every vector.
    Base,
    /// CVSS v2 and v3: characteristics that change over time (E, RL, RC).
    Temporal,
    /// CVSS v4: the threat metric (E).
    Threat,
    /// Characteristics of the user's environment: security requirements and modified base
    /// metrics (and, in v2, collateral damage and target distribution).
    Environmental,
    /// CVSS v4 supplemental metrics: carried and printed, never scored.
    Supplemental,
}

/// One metric of one CVSS version, as [`CvssVersion::metrics`] lists them: what a form for
/// rescoring needs to offer.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Metric {
    /// The abbreviation used in vector strings, e.g. `AV`.
    pub key: &'static str,
    /// The metric's group.
    pub group: MetricGroup,
    /// The defined values as abbreviations, in the order the scoring tables of the version
    /// module use. The Not Defined value (`X`, or `ND` in v2) is not listed; every metric
    /// outside the base group also takes it.
    pub values: &'static [&'static str],
}

const fn metric(key: &'static str, group: MetricGroup, values: &'static [&'static str]) -> Metric {
    Metric { key, group, values }
}

use MetricGroup::{Base, Environmental, Supplemental, Temporal, Threat};

/// The most metrics any version has (v4.0: 11 base, 1 threat, 14 environmental, 6
/// supplemental).
pub(crate) const MAX_METRICS: usize = 32;

/// CVSS v2.0, in the order the v2 guide lists the metrics and NVD writes them.
const V2_TABLE: [Metric; 14] = [
    metric("AV", Base, &["L", "A", "N"]),
    metric("AC", Base, &["H", "M", "L"]),
    metric("Au", Base, &["M", "S", "N"]),
    metric("C", Base, &["N", "P", "C"]),
    metric("I", Base, &["N", "P", "C"]),
    metric("A", Base, &["N", "P", "C"]),
    metric("E", Temporal, &["U", "POC", "F", "H"]),
    metric("RL", Temporal, &["OF", "TF", "W", "U"]),
    metric("RC", Temporal, &["UC", "UR", "C"]),
    metric("CDP", Environmental, &["N", "L", "LM", "MH", "H"]),
    metric("TD", Environmental, &["N", "L", "M", "H"]),
    metric("CR", Environmental, &["L", "M", "H"]),
    metric("IR", Environmental, &["L", "M", "H"]),
    metric("AR", Environmental, &["L", "M", "H"]),
];

/// CVSS v3.0 and v3.1, in the preferred order of the v3.1 specification's Table 15.
const V3_TABLE: [Metric; 22] = [
    metric("AV", Base, &["N", "A", "L", "P"]),
    metric("AC", Base, &["L", "H"]),
    metric("PR", Base, &["N", "L", "H"]),
    metric("UI", Base, &["N", "R"]),
    metric("S", Base, &["U", "C"]),
    metric("C", Base, &["H", "L", "N"]),
    metric("I", Base, &["H", "L", "N"]),
    metric("A", Base, &["H", "L", "N"]),
    metric("E", Temporal, &["U", "P", "F", "H"]),
    metric("RL", Temporal, &["O", "T", "W", "U"]),
    metric("RC", Temporal, &["U", "R", "C"]),
    metric("CR", Environmental, &["L", "M", "H"]),
    metric("IR", Environmental, &["L", "M", "H"]),
    metric("AR", Environmental, &["L", "M", "H"]),
    metric("MAV", Environmental, &["N", "A", "L", "P"]),
    metric("MAC", Environmental, &["L", "H"]),
    metric("MPR", Environmental, &["N", "L", "H"]),
    metric("MUI", Environmental, &["N", "R"]),
    metric("MS", Environmental, &["U", "C"]),
    metric("MC", Environmental, &["H", "L", "N"]),
    metric("MI", Environmental, &["H", "L", "N"]),
    metric("MA", Environmental, &["H", "L", "N"]),
];

/// CVSS v4.0, in the order of the v4.0 specification's vector string (section 7).
const V4_TABLE: [Metric; 32] = [
    metric("AV", Base, &["N", "A", "L", "P"]),
    metric("AC", Base, &["L", "H"]),
    metric("AT", Base, &["N", "P"]),
    metric("PR", Base, &["N", "L", "H"]),
    metric("UI", Base, &["N", "P", "A"]),
    metric("VC", Base, &["H", "L", "N"]),
    metric("VI", Base, &["H", "L", "N"]),
    metric("VA", Base, &["H", "L", "N"]),
    metric("SC", Base, &["H", "L", "N"]),
    metric("SI", Base, &["H", "L", "N"]),
    metric("SA", Base, &["H", "L", "N"]),
    metric("E", Threat, &["A", "P", "U"]),
    metric("CR", Environmental, &["H", "M", "L"]),
    metric("IR", Environmental, &["H", "M", "L"]),
    metric("AR", Environmental, &["H", "M", "L"]),
    metric("MAV", Environmental, &["N", "A", "L", "P"]),
    metric("MAC", Environmental, &["L", "H"]),
    metric("MAT", Environmental, &["N", "P"]),
    metric("MPR", Environmental, &["N", "L", "H"]),
    metric("MUI", Environmental, &["N", "P", "A"]),
    metric("MVC", Environmental, &["H", "L", "N"]),
    metric("MVI", Environmental, &["H", "L", "N"]),
    metric("MVA", Environmental, &["H", "L", "N"]),
    metric("MSC", Environmental, &["H", "L", "N"]),
    // Safety (S) exists only as a modified value of the subsequent-system integrity and
    // availability impacts.
    metric("MSI", Environmental, &["S", "H", "L", "N"]),
    metric("MSA", Environmental, &["S", "H", "L", "N"]),
    metric("S", Supplemental, &["N", "P"]),
    metric("AU", Supplemental, &["N", "Y"]),
    metric("R", Supplemental, &["A", "U", "I"]),
    metric("V", Supplemental, &["D", "C"]),
    metric("RE", Supplemental, &["L", "M", "H"]),
    metric("U", Supplemental, &["Clear", "Green", "Amber", "Red"]),
];

pub(crate) static V2: [Metric; 14] = V2_TABLE;
pub(crate) static V3: [Metric; 22] = V3_TABLE;
pub(crate) static V4: [Metric; 32] = V4_TABLE;

/// The most values a metric has (v2 CDP: N, L, LM, MH, H).
const MAX_VALUES: usize = 5;

/// A metric's key and values packed into integers, so that parsing compares integers instead
/// of calling `memcmp` for every one- or two-letter token (which dominated parsing time).
#[derive(Debug)]
struct Packed {
    key: u64,
    /// Unused positions hold `NO_TOKEN`.
    values: [u64; MAX_VALUES],
}

/// What `pack` gives for a token that is not in any table (longer than seven bytes).
const NO_TOKEN: u64 = u64::MAX;

/// A token of at most seven bytes as an integer: one byte per byte, and the length in the top
/// byte, so that distinct tokens pack to distinct integers even if the input holds NUL bytes.
const fn pack(token: &str) -> u64 {
    let bytes = token.as_bytes();
    if bytes.len() > 7 {
        return NO_TOKEN;
    }
    let mut packed = (bytes.len() as u64) << 56;
    let mut index = 0;
    while index < bytes.len() {
        packed |= (bytes[index] as u64) << (8 * index);
        index += 1;
    }
    packed
}

const fn pack_table<const N: usize>(table: &[Metric; N]) -> [Packed; N] {
    let mut packed = [const {
        Packed {
            key: NO_TOKEN,
            values: [NO_TOKEN; MAX_VALUES],
        }
    }; N];
    let mut index = 0;
    while index < N {
        packed[index].key = pack(table[index].key);
        let mut value = 0;
        while value < table[index].values.len() && value < MAX_VALUES {
            packed[index].values[value] = pack(table[index].values[value]);
            value += 1;
        }
        index += 1;
    }
    packed
}

static V2_PACKED: [Packed; 14] = pack_table(&V2_TABLE);
static V3_PACKED: [Packed; 22] = pack_table(&V3_TABLE);
static V4_PACKED: [Packed; 32] = pack_table(&V4_TABLE);

fn packed(version: CvssVersion) -> &'static [Packed] {
    match version {
        CvssVersion::V2 => &V2_PACKED,
        CvssVersion::V3_0 | CvssVersion::V3_1 => &V3_PACKED,
        CvssVersion::V4_0 => &V4_PACKED,
    }
}

/// The metric table of a version, in canonical order.
pub(crate) fn definitions(version: CvssVersion) -> &'static [Metric] {
    match version {
        CvssVersion::V2 => &V2,
        CvssVersion::V3_0 | CvssVersion::V3_1 => &V3,
        CvssVersion::V4_0 => &V4,
    }
}

// A version's metric list is defined here, beside the tables, so that the version type needs
// nothing from this module and the two do not import each other.
impl CvssVersion {
    /// The version's metrics in the specification's canonical order.
    pub fn metrics(self) -> &'static [Metric] {
        definitions(self)
    }
}

/// Something a reader should know about a vector that was still accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseWarning {
    /// A CVSS v4.0 metric appeared before a metric that the specification lists ahead of it.
    /// The v4.0 specification gives one fixed order (section 7); we accept any order, as
    /// v3.x readers must, and print the canonical order.
    OutOfOrder {
        /// The metric that came too late in the canonical order's terms.
        metric: &'static str,
    },
}

impl fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseWarning::OutOfOrder { metric } => write!(
                f,
                "metric {metric} is out of the CVSS v4.0 specification's order; \
                 accepted and printed in canonical order"
            ),
        }
    }
}

/// The metric values of one vector, independent of the version's scoring.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Metrics {
    version: CvssVersion,
    /// Per metric of the version's table: 0 when absent or Not Defined, else value index + 1.
    values: [u8; MAX_METRICS],
}

impl Metrics {
    /// The version these metrics belong to.
    pub(crate) fn version(&self) -> CvssVersion {
        self.version
    }

    /// The raw value at a table index: 0 for Not Defined, else value index + 1.
    #[inline]
    pub(crate) fn raw(&self, index: usize) -> u8 {
        self.values.get(index).copied().unwrap_or(0)
    }

    /// The value abbreviation of a metric given by key, if the metric is defined.
    pub(crate) fn get(&self, key: &str) -> Option<&'static str> {
        let definitions = definitions(self.version);
        let index = definitions
            .iter()
            .position(|definition| definition.key == key)?;
        self.value_at(index)
    }

    /// The value abbreviation at a table index, if defined.
    pub(crate) fn value_at(&self, index: usize) -> Option<&'static str> {
        let definition = definitions(self.version).get(index)?;
        let raw = self.raw(index);
        if raw == 0 {
            return None;
        }
        definition.values.get(usize::from(raw) - 1).copied()
    }

    /// True when any metric of the group has a defined value.
    pub(crate) fn any_defined(&self, group: MetricGroup) -> bool {
        definitions(self.version)
            .iter()
            .zip(self.values.iter())
            .any(|(definition, raw)| definition.group == group && *raw != 0)
    }

    /// Every defined metric in canonical order, as (key, value) pairs.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        definitions(self.version)
            .iter()
            .enumerate()
            .filter_map(|(index, definition)| Some((definition.key, self.value_at(index)?)))
    }

    /// A copy with every metric of the given groups set to Not Defined.
    pub(crate) fn without(&self, groups: &[MetricGroup]) -> Metrics {
        let mut copy = *self;
        for (definition, raw) in definitions(self.version).iter().zip(copy.values.iter_mut()) {
            if groups.contains(&definition.group) {
                *raw = 0;
            }
        }
        copy
    }

    /// Sets one metric; `X` (or `ND` in v2) clears it. Base metrics cannot be changed:
    /// a rescoring describes the device's context, not a different vulnerability.
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Result<(), CvssError> {
        let version = self.version;
        let definitions = definitions(version);
        let Some(index) = definitions
            .iter()
            .position(|definition| definition.key == key)
        else {
            return Err(CvssError::UnknownMetric {
                vector: self.to_string(),
                version,
                metric: key.to_owned(),
            });
        };
        let definition = &definitions[index];
        if definition.group == MetricGroup::Base {
            return Err(CvssError::BaseMetricNotModifiable {
                vector: self.to_string(),
                metric: definition.key,
            });
        }
        let raw = value_index(version, index, value).ok_or_else(|| CvssError::BadValue {
            vector: self.to_string(),
            metric: definition.key,
            value: value.to_owned(),
            expected: expected_values(version, definition),
        })?;
        if let Some(slot) = self.values.get_mut(index) {
            *slot = raw;
        }
        Ok(())
    }

    /// Parses the metric part of a vector (after any prefix) for a version.
    ///
    /// `vector` is the whole input, kept for error messages.
    pub(crate) fn parse(
        version: CvssVersion,
        vector: &str,
        body: &str,
        warnings: &mut Vec<ParseWarning>,
    ) -> Result<Metrics, CvssError> {
        let definitions = definitions(version);
        let packed = packed(version);
        let mut metrics = Metrics {
            version,
            values: [0; MAX_METRICS],
        };
        // Tracks presence separately from the values, because an explicit Not Defined is
        // stored as 0 and must still count for duplicate detection.
        let mut seen: u64 = 0;
        let mut previous_index: Option<usize> = None;
        // One pass over the bytes per component instead of `split` and `split_once`, which
        // were a third of the parsing time: '/' and ':' are ASCII, so every slice boundary
        // found here is a character boundary.
        let bytes = body.as_bytes();
        let mut start = 0;
        while !body.is_empty() && start <= bytes.len() {
            let mut end = start;
            let mut colon = None;
            let mut colons = 0;
            while let Some(&byte) = bytes.get(end) {
                if byte == b'/' {
                    break;
                }
                if byte == b':' {
                    colons += 1;
                    colon = colon.or(Some(end));
                }
                end += 1;
            }
            let component_start = start;
            start = end + 1;
            // Exactly one colon, with a key before it.
            let parts = match colon {
                Some(colon) if colons == 1 && colon > component_start => body
                    .get(component_start..colon)
                    .zip(body.get(colon + 1..end)),
                _ => None,
            };
            let Some((key, value)) = parts else {
                return Err(CvssError::MalformedComponent {
                    vector: vector.to_owned(),
                    component: body
                        .get(component_start..end)
                        .unwrap_or_default()
                        .to_owned(),
                });
            };
            let found = find(packed, pack(key), previous_index.map_or(0, |i| i + 1))
                .and_then(|index| Some((index, definitions.get(index)?, packed.get(index)?)));
            let Some((index, definition, packed_metric)) = found else {
                return Err(CvssError::UnknownMetric {
                    vector: vector.to_owned(),
                    version,
                    metric: key.to_owned(),
                });
            };
            if seen & (1 << index) != 0 {
                return Err(CvssError::DuplicateMetric {
                    vector: vector.to_owned(),
                    metric: definition.key,
                });
            }
            seen |= 1 << index;
            let raw = packed_value_index(version, definition.group, packed_metric, pack(value))
                .ok_or_else(|| CvssError::BadValue {
                    vector: vector.to_owned(),
                    metric: definition.key,
                    value: value.to_owned(),
                    expected: expected_values(version, definition),
                })?;
            if let Some(slot) = metrics.values.get_mut(index) {
                *slot = raw;
            }
            if version == CvssVersion::V4_0 && previous_index.is_some_and(|last| index < last) {
                warnings.push(ParseWarning::OutOfOrder {
                    metric: definition.key,
                });
            }
            previous_index = Some(index);
        }
        if let Some((_, definition)) = definitions.iter().enumerate().find(|(index, definition)| {
            definition.group == MetricGroup::Base && seen & (1 << index) == 0
        }) {
            return Err(CvssError::MissingBaseMetric {
                vector: vector.to_owned(),
                version,
                metric: definition.key,
            });
        }
        Ok(metrics)
    }
}

/// The table index of a packed metric key, searching from `start` onwards first: vectors
/// usually list their metrics in canonical order, so the next metric is most often the one
/// expected.
fn find(packed: &[Packed], key: u64, start: usize) -> Option<usize> {
    let start = start.min(packed.len());
    (start..packed.len())
        .chain(0..start)
        .find(|index| packed.get(*index).is_some_and(|metric| metric.key == key))
}

/// The stored byte for a value token, or `None` when the token is not allowed.
fn value_index(version: CvssVersion, index: usize, value: &str) -> Option<u8> {
    let definition = definitions(version).get(index)?;
    let packed = packed(version).get(index)?;
    packed_value_index(version, definition.group, packed, pack(value))
}

/// `value_index` on packed tokens.
fn packed_value_index(
    version: CvssVersion,
    group: MetricGroup,
    packed: &Packed,
    value: u64,
) -> Option<u8> {
    if value == pack(version.not_defined()) {
        // Base metrics have no Not Defined value: they are what is being scored.
        return (group != MetricGroup::Base).then_some(0);
    }
    if value == NO_TOKEN {
        return None;
    }
    let position = packed
        .values
        .iter()
        .position(|candidate| *candidate == value)?;
    u8::try_from(position + 1).ok()
}

/// The allowed values of a metric, for error messages.
fn expected_values(version: CvssVersion, definition: &Metric) -> String {
    let mut expected = definition.values.join(", ");
    if definition.group != MetricGroup::Base {
        expected.push_str(", ");
        expected.push_str(version.not_defined());
    }
    expected
}

impl fmt::Display for Metrics {
    /// The normalized vector: the version's prefix, then every defined metric in canonical
    /// order; Not Defined metrics are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        if let Some(prefix) = self.version.prefix() {
            f.write_str(prefix)?;
            first = false;
        }
        for (key, value) in self.iter() {
            if !first {
                f.write_str("/")?;
            }
            first = false;
            write!(f, "{key}:{value}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_keeps_tokens_apart() {
        assert_eq!(pack(""), 0);
        assert_eq!(pack("A"), 1 << 56 | u64::from(b'A'));
        assert_ne!(pack("A"), pack("AV"));
        assert_ne!(pack("AV"), pack("VA"));
        assert_ne!(pack("A"), pack("A\0"));
        assert_eq!(pack("Clear"), pack("Clear"));
        assert_ne!(pack("1234567"), NO_TOKEN);
        assert_eq!(pack("12345678"), NO_TOKEN);
    }

    #[test]
    fn every_table_fits_the_storage_has_unique_keys_and_packs_faithfully() {
        for version in CvssVersion::ALL {
            let definitions = definitions(version);
            assert!(definitions.len() <= MAX_METRICS, "{version}");
            for (index, definition) in definitions.iter().enumerate() {
                assert!(
                    definitions[..index]
                        .iter()
                        .all(|other| other.key != definition.key),
                    "{version}: duplicate key {}",
                    definition.key
                );
                assert!(
                    !definition.values.contains(&version.not_defined()),
                    "{version}: {} lists its Not Defined value",
                    definition.key
                );
                // The packed copy parsing compares against must be the same table.
                let packed = &packed(version)[index];
                assert!(definition.key.len() <= 7 && definition.values.len() <= MAX_VALUES);
                assert!(definition.values.iter().all(|value| value.len() <= 7));
                assert_eq!(packed.key, pack(definition.key));
                for (position, value) in packed.values.iter().enumerate() {
                    let expected = definition
                        .values
                        .get(position)
                        .map_or(NO_TOKEN, |v| pack(v));
                    assert_eq!(*value, expected, "{version} {}", definition.key);
                }
            }
        }
    }
}
