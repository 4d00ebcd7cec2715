//! The FDA's two extra component fields, level of support and end-of-support date: the
//! names accepted for them in CycloneDX properties, SPDX annotations and support addenda,
//! and the date rule. `docs/sbom-support-fields.md` lists the same names for users.

use crate::model::Component;

/// One of the FDA support fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SupportField {
    /// `level_of_support`.
    Level,
    /// `end_of_support`.
    End,
}

/// Namespaces that may precede a name (`aftercare:`, `fda:`…); stripped before matching.
const PREFIXES: &[&str] = &["aftercare", "fda", "sbom", "cdx", "spdx"];

/// Recognizes a support field name: case, `-`, `_`, `:`, `.` and spaces are ignored, and
/// one namespace prefix of [`PREFIXES`] may precede the name.
pub(crate) fn field(name: &str) -> Option<SupportField> {
    // Every accepted name contains `support` or `eos` (any case); most property names of a
    // real SBOM (`syft:package:foundBy`…) contain neither and are rejected without
    // allocating.
    let mentions = |needle: &[u8]| {
        name.as_bytes()
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
    };
    if !mentions(b"support") && !mentions(b"eos") {
        return None;
    }
    let folded: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let bare = |candidate: &str| match candidate {
        "levelofsupport" | "supportlevel" => Some(SupportField::Level),
        "endofsupport" | "endofsupportdate" | "supportend" | "supportenddate" | "eos"
        | "eosdate" => Some(SupportField::End),
        _ => None,
    };
    bare(&folded).or_else(|| {
        PREFIXES
            .iter()
            .find_map(|prefix| folded.strip_prefix(prefix).and_then(bare))
    })
}

/// Checks an end-of-support date. A `YYYY-MM-DD` calendar date is taken as it is; a
/// timestamp that starts with one (`2027-12-31T00:00:00Z`) keeps its date with a message;
/// anything else is dropped with a message.
pub(crate) fn date(value: &str) -> (Option<String>, Option<String>) {
    let value = value.trim();
    if is_calendar_date(value) {
        return (Some(value.to_string()), None);
    }
    if let Some(head) = value.get(..10)
        && is_calendar_date(head)
        && value[10..].starts_with(['T', 't', ' '])
    {
        return (
            Some(head.to_string()),
            Some(format!(
                "end-of-support {value:?} is not a YYYY-MM-DD date; its date {head} is kept"
            )),
        );
    }
    (
        None,
        Some(format!(
            "end-of-support {value:?} is not a YYYY-MM-DD date; ignored"
        )),
    )
}

/// A real calendar date written `YYYY-MM-DD` (so `2023-02-29` is not one).
pub(crate) fn is_calendar_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = value.get(range)?;
        if part.bytes().all(|byte| byte.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// Sets a support field on a component if `name` is one; returns whether it was, and
/// passes a message for a warning to `warn` when the value had to be corrected or dropped.
pub(crate) fn apply(
    component: &mut Component,
    name: &str,
    value: &str,
    mut warn: impl FnMut(String),
) -> bool {
    let Some(field) = field(name) else {
        return false;
    };
    let value = value.trim();
    if value.is_empty() {
        return true;
    }
    match field {
        SupportField::Level => component.level_of_support = Some(value.to_string()),
        SupportField::End => {
            let (date, message) = date(value);
            if let Some(message) = message {
                warn(message);
            }
            if date.is_some() {
                component.end_of_support = date;
            }
        }
    }
    true
}

/// Reads support fields from the lines of an SPDX annotation comment: each line
/// `name: value` (or `name = value`) whose name is a support field name. Returns whether any
/// line was one.
pub(crate) fn apply_comment(
    component: &mut Component,
    comment: &str,
    mut warn: impl FnMut(String),
) -> bool {
    let mut found = false;
    for line in comment.lines() {
        let line = line.trim();
        // The name itself may hold a `:` (`aftercare:end_of_support: 2027-01-01`), so every
        // separator is tried until the part before it is a support field name.
        for (at, _) in line.match_indices([':', '=']) {
            let (name, value) = (&line[..at], &line[at + 1..]);
            if field(name).is_some() {
                found |= apply(component, name, value, &mut warn);
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_field(name: &str, expected: Option<SupportField>) {
        assert_eq!(field(name), expected, "{name}");
    }

    #[test]
    fn accepted_names() {
        use SupportField::{End, Level};
        check_field("aftercare:level_of_support", Some(Level));
        check_field("levelOfSupport", Some(Level));
        check_field("level-of-support", Some(Level));
        check_field("Level of Support", Some(Level));
        check_field("support:level", Some(Level));
        check_field("fda:levelOfSupport", Some(Level));
        check_field("LEVEL_OF_SUPPORT", Some(Level));
        check_field("aftercare:end_of_support", Some(End));
        check_field("endOfSupport", Some(End));
        check_field("end-of-support", Some(End));
        check_field("end_of_support_date", Some(End));
        check_field("fda:endOfSupport", Some(End));
        check_field("support:end", Some(End));
        check_field("eos", Some(End));
        check_field("endOfLife", None);
        check_field("support", None);
        check_field("syft:package:type", None);
    }

    fn check_date(value: &str, expected: Option<&str>, warns: bool) {
        let (date, message) = date(value);
        assert_eq!(date.as_deref(), expected, "{value}");
        assert_eq!(message.is_some(), warns, "{value}: {message:?}");
    }

    #[test]
    fn dates() {
        check_date("2027-12-31", Some("2027-12-31"), false);
        check_date(" 2024-02-29 ", Some("2024-02-29"), false);
        check_date("2023-02-29", None, true);
        check_date("2027-13-01", None, true);
        check_date("2027-12-31T00:00:00Z", Some("2027-12-31"), true);
        check_date("31.12.2027", None, true);
        check_date("2027-1-1", None, true);
        check_date("December 2027", None, true);
    }

    #[test]
    fn annotation_comment_lines() {
        let mut component = Component::new("r", "n");
        let mut warnings = Vec::new();
        let found = apply_comment(
            &mut component,
            "Reviewed by QA.\naftercare:level_of_support: community\n end-of-support = 2026-06-30 \n",
            |message| warnings.push(message),
        );
        assert!(found);
        assert_eq!(component.level_of_support.as_deref(), Some("community"));
        assert_eq!(component.end_of_support.as_deref(), Some("2026-06-30"));
        assert!(warnings.is_empty());

        let mut other = Component::new("r", "n");
        assert!(!apply_comment(&mut other, "note: nothing here", |_| {}));
        assert!(apply_comment(&mut other, "endOfSupport: soon", |message| {
            warnings.push(message)
        }));
        assert_eq!(other.end_of_support, None);
        assert_eq!(warnings.len(), 1);
    }
}
