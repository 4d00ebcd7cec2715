//! CPE name matching as NIST IR 7696 defines it.
//!
//! Two well-formed names are compared attribute by attribute (§6.1, Table 6-2): each pair
//! is [`Relation::Superset`], [`Relation::Subset`], [`Relation::Equal`],
//! [`Relation::Disjoint`] or [`Relation::Undefined`] (a wildcard in the *target*). The name
//! relation follows (§6.2): disjoint if any attribute is, equal if all are, superset if all
//! are superset or equal, subset likewise, and undefined otherwise. A *source* name (an NVD
//! criterion, a CSAF product CPE) matches a *target* (a component's CPE) when it is a
//! superset of it or equal to it.
//!
//! Wildcards follow the string comparison of §6.3: a leading or trailing unquoted `*` stands
//! for any number of characters, each leading or trailing unquoted `?` for zero or one
//! character; escaped characters are literal. Values are compared lowercase (the parser
//! lowercased them).

use aftercare_model::{Cpe, CpePart, CpeValue};

/// How one attribute value of a source name relates to the target's (NIST IR 7696 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The source's value set contains the target's.
    Superset,
    /// The source's value set is contained in the target's.
    Subset,
    /// The same value set.
    Equal,
    /// No value in common.
    Disjoint,
    /// The target carries a wildcard: the comparison is not defined.
    Undefined,
}

/// Compares one attribute value of a source name with the target's (Table 6-2).
pub fn compare_values(source: &CpeValue, target: &CpeValue) -> Relation {
    if target.has_wildcard() {
        return Relation::Undefined;
    }
    match (source, target) {
        (CpeValue::Any, CpeValue::Any) => Relation::Equal,
        (CpeValue::Any, _) => Relation::Superset,
        (CpeValue::Na, CpeValue::Any) => Relation::Subset,
        (CpeValue::Na, CpeValue::Na) => Relation::Equal,
        (CpeValue::Na, CpeValue::Value(_)) => Relation::Disjoint,
        (CpeValue::Value(_), CpeValue::Any) => Relation::Subset,
        (CpeValue::Value(_), CpeValue::Na) => Relation::Disjoint,
        (CpeValue::Value(pattern), CpeValue::Value(value)) => {
            if source.has_wildcard() {
                if wildcard_match(pattern, value) {
                    Relation::Superset
                } else {
                    Relation::Disjoint
                }
            } else if unescape(pattern) == unescape(value) {
                Relation::Equal
            } else {
                Relation::Disjoint
            }
        }
    }
}

fn part_value(part: CpePart) -> CpeValue {
    match part {
        CpePart::Application => CpeValue::Value("a".to_string()),
        CpePart::OperatingSystem => CpeValue::Value("o".to_string()),
        CpePart::Hardware => CpeValue::Value("h".to_string()),
        CpePart::Any => CpeValue::Any,
    }
}

/// The relations of all eleven attributes, part first.
pub fn compare_attributes(source: &Cpe, target: &Cpe) -> [Relation; 11] {
    let mut relations = [Relation::Equal; 11];
    relations[0] = compare_values(&part_value(source.part), &part_value(target.part));
    for (index, (left, right)) in source
        .attributes()
        .iter()
        .zip(target.attributes().iter())
        .enumerate()
    {
        relations[index + 1] = compare_values(left, right);
    }
    relations
}

/// How two names relate as a whole (NIST IR 7696 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameRelation {
    /// CPE_EQUAL: every attribute is equal.
    Equal,
    /// CPE_SUPERSET: every attribute of the source is a superset of, or equal to, the target's.
    Superset,
    /// CPE_SUBSET: every attribute of the source is a subset of, or equal to, the target's.
    Subset,
    /// CPE_DISJOINT: some attribute is disjoint.
    Disjoint,
    /// None of the above (mixed superset and subset, or a wildcard in the target).
    Undefined,
}

/// The name relation of a source and a target.
pub fn compare_names(source: &Cpe, target: &Cpe) -> NameRelation {
    let relations = compare_attributes(source, target);
    name_relation(&relations)
}

fn name_relation(relations: &[Relation]) -> NameRelation {
    if relations.contains(&Relation::Disjoint) {
        NameRelation::Disjoint
    } else if relations.iter().all(|r| *r == Relation::Equal) {
        NameRelation::Equal
    } else if relations
        .iter()
        .all(|r| matches!(r, Relation::Equal | Relation::Superset))
    {
        NameRelation::Superset
    } else if relations
        .iter()
        .all(|r| matches!(r, Relation::Equal | Relation::Subset))
    {
        NameRelation::Subset
    } else {
        NameRelation::Undefined
    }
}

/// Whether `source` matches `target`: it is a superset of it or equal to it.
pub fn is_match(source: &Cpe, target: &Cpe) -> bool {
    matches!(
        compare_names(source, target),
        NameRelation::Superset | NameRelation::Equal
    )
}

/// Whether `source` matches `target` on every attribute but the version, which the caller
/// decides (NVD criteria carry their version as bounds, or a version the caller compares as
/// a version rather than as text).
pub(crate) fn matches_except_version(source: &Cpe, target: &Cpe) -> bool {
    let mut relations = compare_attributes(source, target);
    // Index 3 is the version (part, vendor, product, version, …).
    relations[3] = Relation::Equal;
    matches!(
        name_relation(&relations),
        NameRelation::Superset | NameRelation::Equal
    )
}

/// The text of a value with its escapes removed (wildcards left as they are).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// §6.3 string comparison: `pattern` may start and end with `*` (any run) or with `?`s (each
/// zero or one character); the rest, escapes removed, must occur in `value`.
fn wildcard_match(pattern: &str, value: &str) -> bool {
    // Split the pattern into logical characters, marking unescaped wildcards.
    let mut tokens: Vec<(char, bool)> = Vec::with_capacity(pattern.len());
    let mut escaped = false;
    for c in pattern.chars() {
        if escaped {
            tokens.push((c, false));
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            tokens.push((c, c == '*' || c == '?'));
        }
    }
    // Leading wildcards: `None` is unbounded, `Some(n)` at most n characters.
    let mut start = 0;
    let begins = match tokens.first() {
        Some(('*', true)) => {
            start = 1;
            None
        }
        _ => {
            while tokens.get(start) == Some(&('?', true)) {
                start += 1;
            }
            Some(start)
        }
    };
    let mut end = tokens.len();
    let ends = if end > start && tokens.get(end - 1) == Some(&('*', true)) {
        end -= 1;
        None
    } else {
        let mut count = 0;
        while end > start && tokens.get(end - 1) == Some(&('?', true)) {
            end -= 1;
            count += 1;
        }
        Some(count)
    };
    let middle: Vec<char> = tokens[start..end].iter().map(|(c, _)| *c).collect();
    let value: Vec<char> = unescape(value).chars().collect();
    if middle.len() > value.len() {
        return false;
    }
    (0..=value.len() - middle.len()).any(|index| {
        value[index..index + middle.len()] == middle[..]
            && begins.is_none_or(|most| index <= most)
            && ends.is_none_or(|most| value.len() - index - middle.len() <= most)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> CpeValue {
        match text {
            "ANY" => CpeValue::Any,
            "NA" => CpeValue::Na,
            other => CpeValue::Value(other.to_string()),
        }
    }

    /// One row of NIST IR 7696 Table 6-2 (or of its §6.3 examples).
    fn check(source: &str, target: &str, expected: Relation) {
        assert_eq!(
            compare_values(&value(source), &value(target)),
            expected,
            "{source} vs {target}"
        );
    }

    #[test]
    fn table_6_2() {
        use Relation::*;
        check("ANY", "ANY", Equal); // 1
        check("ANY", "NA", Superset); // 2
        check("ANY", "foo", Superset); // 3
        check("ANY", "fo*", Undefined); // 4
        check("NA", "ANY", Subset); // 5
        check("NA", "NA", Equal); // 6
        check("NA", "foo", Disjoint); // 7
        check("NA", "fo?", Undefined); // 8
        check("foo", "foo", Equal); // 9
        check("foo", "bar", Disjoint); // 10
        check("foo", "f*", Undefined); // 11
        check("foo", "NA", Disjoint); // 12
        check("foo", "ANY", Subset); // 13
        check("fo*", "fo*", Undefined); // 14
        check("fo*", "ANY", Subset); // 15
        check("fo*", "NA", Disjoint); // 16
        check("fo*", "foobar", Superset); // 17
        check("fo*", "bar", Disjoint); // 17
    }

    #[test]
    fn wildcards() {
        use Relation::*;
        check("*bar", "foobar", Superset);
        check("*bar", "bar", Superset);
        check("*bar*", "foobarbaz", Superset);
        check("?bar", "xbar", Superset);
        check("?bar", "bar", Superset);
        check("?bar", "xybar", Disjoint);
        check("??bar", "xybar", Superset);
        check("bar?", "bar1", Superset);
        check("bar?", "bar12", Disjoint);
        check("8.0.*", "8.0.6001", Superset);
        check("8.0.*", "8.1.0", Disjoint);
        // An escaped wildcard is a literal.
        check("foo\\*", "foo\\*", Equal);
        check("foo\\*", "foobar", Disjoint);
        // Escapes do not change the value.
        check("a\\/b", "a\\/b", Equal);
    }

    fn cpe(text: &str) -> Cpe {
        text.parse().unwrap()
    }

    #[test]
    fn names() {
        use NameRelation::*;
        let check = |source: &str, target: &str, expected: NameRelation| {
            assert_eq!(
                compare_names(&cpe(source), &cpe(target)),
                expected,
                "{source} vs {target}"
            );
        };
        // IR 7696 §6.2 examples.
        check(
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
            Equal,
        );
        check(
            "cpe:2.3:a:microsoft:internet_explorer:*:beta:*:*:*:*:*:*",
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
            Superset,
        );
        check(
            "cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*",
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
            Disjoint,
        );
        check(
            "cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*",
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:sp1:*:*:*:*:*:*",
            Superset,
        );
        check(
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
            "cpe:2.3:a:microsoft:internet_explorer:*:beta:*:*:*:*:*:*",
            Subset,
        );
        check(
            "cpe:2.3:a:adobe:*:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
            Disjoint,
        );
        check(
            "cpe:2.3:a:microsoft:internet_explorer:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:microsoft:*:8.0:*:*:*:*:*:*:*",
            Undefined,
        );
        check(
            "cpe:2.3:*:microsoft:*:*:*:*:*:*:*:*:*",
            "cpe:2.3:o:microsoft:windows_7:-:sp1:*:*:*:*:*:*",
            Superset,
        );
        check(
            "cpe:2.3:h:bd:alaris_8015_pcu:-:*:*:*:*:*:*:*",
            "cpe:2.3:h:bd:alaris_8015_pcu:-:*:*:*:*:*:*:*",
            Equal,
        );
        check(
            "cpe:2.3:h:bd:alaris_8015_pcu:-:*:*:*:*:*:*:*",
            "cpe:2.3:h:bd:alaris_8015_pcu:1.0:*:*:*:*:*:*:*",
            Disjoint,
        );
        // The escaped slash of CVE-2021-38400, as 2.3 string and as 2.2 URI.
        check(
            "cpe:2.3:o:bostonscientific:zoom_latitude_pogrammer\\/recorder\\/monitor_3120_firmware:*:*:*:*:*:*:*:*",
            "cpe:/o:bostonscientific:zoom_latitude_pogrammer%2frecorder%2fmonitor_3120_firmware:2.0",
            Superset,
        );
        assert!(is_match(
            &cpe("cpe:2.3:a:*:openssl:1.1.*:*:*:*:*:*:*:*"),
            &cpe("cpe:2.3:a:openssl:openssl:1.1.1k:*:*:*:*:*:*:*")
        ));
    }
}
