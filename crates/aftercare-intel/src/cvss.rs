//! The shape of CVSS vectors: version prefix, every base metric present once, known values.
//!
//! Only the shape is checked here, so that a truncated or garbled vector (real feeds have
//! them) is reported and dropped instead of reaching scoring. Scores are computed by the
//! `aftercare-cvss` crate; this crate stays independent of it and keeps the scores the
//! sources state.

use crate::record::RatingSystem;

/// Metric keys with their allowed values; `true` marks a mandatory base metric.
type Table = &'static [(&'static str, &'static str, bool)];

const V2: Table = &[
    ("AV", "LAN", true),
    ("AC", "HML", true),
    ("Au", "MSN", true),
    ("C", "NPC", true),
    ("I", "NPC", true),
    ("A", "NPC", true),
    ("E", "U|POC|F|H|ND", false),
    ("RL", "OF|TF|W|U|ND", false),
    ("RC", "UC|UR|C|ND", false),
    ("CDP", "N|L|LM|MH|H|ND", false),
    ("TD", "N|L|M|H|ND", false),
    ("CR", "L|M|H|ND", false),
    ("IR", "L|M|H|ND", false),
    ("AR", "L|M|H|ND", false),
];

const V3: Table = &[
    ("AV", "NALP", true),
    ("AC", "LH", true),
    ("PR", "NLH", true),
    ("UI", "NR", true),
    ("S", "UC", true),
    ("C", "HLN", true),
    ("I", "HLN", true),
    ("A", "HLN", true),
    ("E", "XHFPU", false),
    ("RL", "XUWTO", false),
    ("RC", "XCRU", false),
    ("CR", "XHML", false),
    ("IR", "XHML", false),
    ("AR", "XHML", false),
    ("MAV", "XNALP", false),
    ("MAC", "XLH", false),
    ("MPR", "XNLH", false),
    ("MUI", "XNR", false),
    ("MS", "XUC", false),
    ("MC", "XHLN", false),
    ("MI", "XHLN", false),
    ("MA", "XHLN", false),
];

const V4: Table = &[
    ("AV", "NALP", true),
    ("AC", "LH", true),
    ("AT", "NP", true),
    ("PR", "NLH", true),
    ("UI", "NPA", true),
    ("VC", "HLN", true),
    ("VI", "HLN", true),
    ("VA", "HLN", true),
    ("SC", "HLN", true),
    ("SI", "HLN", true),
    ("SA", "HLN", true),
    ("E", "XAPU", false),
    ("CR", "XHML", false),
    ("IR", "XHML", false),
    ("AR", "XHML", false),
    ("MAV", "XNALP", false),
    ("MAC", "XLH", false),
    ("MAT", "XNP", false),
    ("MPR", "XNLH", false),
    ("MUI", "XNPA", false),
    ("MVC", "XHLN", false),
    ("MVI", "XHLN", false),
    ("MVA", "XHLN", false),
    ("MSC", "XHLN", false),
    ("MSI", "XSHLN", false),
    ("MSA", "XSHLN", false),
    ("S", "XNP", false),
    ("AU", "XNY", false),
    ("R", "XAUI", false),
    ("V", "XDC", false),
    ("RE", "XLMH", false),
    ("U", "X|Clear|Green|Amber|Red", false),
];

/// Why a vector is not well-formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VectorError {
    /// No known `CVSS:x.y/` prefix and not a v2 vector.
    UnknownVersion,
    /// A component is not `KEY:VALUE`, its key is unknown, or it repeats.
    Component(String),
    /// A value is not allowed for its key.
    Value(String),
    /// A base metric is missing.
    Missing(&'static str),
}

impl std::fmt::Display for VectorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VectorError::UnknownVersion => {
                f.write_str("no CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/ prefix and not a v2 vector")
            }
            VectorError::Component(component) => {
                write!(f, "unknown or repeated metric {component:?}")
            }
            VectorError::Value(component) => write!(f, "invalid value in {component:?}"),
            VectorError::Missing(key) => write!(f, "base metric {key} is missing"),
        }
    }
}

/// Checks a vector's shape and tells its version. The vector is taken as written, with
/// surrounding whitespace (and the parentheses some CSAF generators add) removed.
pub(crate) fn check_vector(vector: &str) -> Result<RatingSystem, VectorError> {
    let vector = vector.trim().trim_start_matches('(').trim_end_matches(')');
    let (system, table, body) = if let Some(body) = vector.strip_prefix("CVSS:3.1/") {
        (RatingSystem::CvssV31, V3, body)
    } else if let Some(body) = vector.strip_prefix("CVSS:3.0/") {
        (RatingSystem::CvssV30, V3, body)
    } else if let Some(body) = vector.strip_prefix("CVSS:4.0/") {
        (RatingSystem::CvssV40, V4, body)
    } else if let Some(body) = vector.strip_prefix("CVSS:2.0/") {
        (RatingSystem::CvssV2, V2, body)
    } else if vector.starts_with("AV:") {
        (RatingSystem::CvssV2, V2, vector)
    } else {
        return Err(VectorError::UnknownVersion);
    };
    let mut seen = [false; 40];
    for component in body.split('/') {
        let Some((key, value)) = component.split_once(':') else {
            return Err(VectorError::Component(component.to_string()));
        };
        let Some(index) = table.iter().position(|(name, _, _)| *name == key) else {
            return Err(VectorError::Component(component.to_string()));
        };
        if seen[index] {
            return Err(VectorError::Component(component.to_string()));
        }
        seen[index] = true;
        let allowed = table[index].1;
        let valid = if allowed.contains('|') {
            allowed.split('|').any(|candidate| candidate == value)
        } else {
            value.len() == 1 && allowed.contains(value)
        };
        if !valid {
            return Err(VectorError::Value(component.to_string()));
        }
    }
    for (index, (key, _, mandatory)) in table.iter().enumerate() {
        if *mandatory && !seen[index] {
            return Err(VectorError::Missing(key));
        }
    }
    Ok(system)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(vector: &str, expected: Result<RatingSystem, VectorError>) {
        assert_eq!(check_vector(vector), expected, "{vector}");
    }

    #[test]
    fn vectors() {
        use RatingSystem::*;
        check("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Ok(CvssV31));
        check("CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", Ok(CvssV30));
        check(
            "(CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N)",
            Ok(CvssV30),
        );
        check("AV:N/AC:H/Au:N/C:P/I:N/A:N", Ok(CvssV2));
        check(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:H/SC:N/SI:N/SA:N",
            Ok(CvssV40),
        );
        check(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/U:Red",
            Ok(CvssV40),
        );
        check(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C",
            Ok(CvssV31),
        );
        check("CVSS:3.1/AV:N/AC:L", Err(VectorError::Missing("PR")));
        check(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q",
            Err(VectorError::Value("A:Q".into())),
        );
        check(
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            Err(VectorError::Component("AV:N".into())),
        );
        check("CVSS:5.0/AV:N", Err(VectorError::UnknownVersion));
        check("", Err(VectorError::UnknownVersion));
    }
}
