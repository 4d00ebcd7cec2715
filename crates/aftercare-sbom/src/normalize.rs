//! Normalization of component fields that every format shares: package URLs, CPEs, hash
//! algorithm names, license expressions and SPDX's "no value" words; and the label that names
//! a component in the readers' messages.
//!
//! Each function takes what the document wrote and returns the normalized value, or a
//! message for a warning: the readers decide the location and the reference.

use aftercare_model::{Cpe, Purl};

use crate::model::Hash;

/// SPDX's words for "no value": `NOASSERTION` and `NONE` (any case), and blanks.
pub(crate) fn present(value: Option<&str>) -> Option<&str> {
    let value = value?.trim();
    if value.is_empty()
        || value.eq_ignore_ascii_case("NOASSERTION")
        || value.eq_ignore_ascii_case("NONE")
    {
        None
    } else {
        Some(value)
    }
}

/// Parses a package URL; the error message names the value and says what was wrong.
pub(crate) fn purl(raw: &str) -> Result<Purl, String> {
    raw.trim()
        .parse::<Purl>()
        .map_err(|error| format!("invalid package URL {raw:?} ({error}); read without it"))
}

/// Parses a CPE (2.2 URI or 2.3 formatted string).
pub(crate) fn cpe(raw: &str) -> Result<Cpe, String> {
    raw.trim()
        .parse::<Cpe>()
        .map_err(|error| format!("invalid CPE {raw:?} ({error}); read without it"))
}

/// Normalizes a hash: the algorithm uppercase with dashes (`sha256` and `SHA256` become
/// `SHA-256`, `SHA3_256` becomes `SHA3-256`), the digest lowercase hex.
pub(crate) fn hash(algorithm: &str, value: &str) -> Result<Hash, String> {
    let algorithm = hash_algorithm(algorithm);
    if algorithm.is_empty() {
        return Err("a hash without algorithm; ignored".to_string());
    }
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(format!(
            "{algorithm} hash {value:?} is not hexadecimal; ignored"
        ));
    }
    let value = if value.bytes().any(|byte| byte.is_ascii_uppercase()) {
        value.to_ascii_lowercase()
    } else {
        value.to_string()
    };
    Ok(Hash { algorithm, value })
}

fn hash_algorithm(raw: &str) -> String {
    // The common spellings, already normalized, without allocating twice.
    const CANONICAL: &[&str] = &[
        "SHA-1", "SHA-256", "SHA-384", "SHA-512", "SHA3-256", "SHA3-384", "SHA3-512", "MD5",
        "BLAKE3",
    ];
    let raw = raw.trim();
    if let Some(canonical) = CANONICAL.iter().find(|canonical| **canonical == raw) {
        return (*canonical).to_string();
    }
    let upper = raw.to_ascii_uppercase().replace(['_', ' '], "-");
    // `SHA256` → `SHA-256`, `SHA1` → `SHA-1`; `SHA3-256` and `SHA-256` stay as they are.
    if let Some(rest) = upper.strip_prefix("SHA")
        && !rest.starts_with('3')
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return format!("SHA-{rest}");
    }
    // `BLAKE2B256` → `BLAKE2B-256`.
    if let Some(rest) = upper.strip_prefix("BLAKE2B")
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return format!("BLAKE2B-{rest}");
    }
    if let Some(rest) = upper.strip_prefix("SHA3")
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return format!("SHA3-{rest}");
    }
    upper
}

/// Collects the license terms of one component and joins them into one SPDX expression.
#[derive(Debug, Default)]
pub(crate) struct Licenses {
    terms: Vec<String>,
}

impl Licenses {
    /// Adds an SPDX license id as written.
    pub(crate) fn id(&mut self, id: &str) {
        self.push(id.trim().to_string());
    }

    /// Adds a license name. A name that is a valid SPDX id-string (`Apache-2.0`, `MIT`) is
    /// kept; any other name (`Apache License 2.0`) becomes `LicenseRef-` plus the name with
    /// every character outside letters, digits, `.` and `-` replaced by `-`, which keeps
    /// the joined value a valid SPDX expression and the name recognizable.
    pub(crate) fn name(&mut self, name: &str) {
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        if is_id_string(name) {
            self.push(name.to_string());
        } else {
            let mut reference = String::from("LicenseRef-");
            let mut last_dash = true;
            for c in name.chars() {
                if c.is_ascii_alphanumeric() || c == '.' {
                    reference.push(c);
                    last_dash = false;
                } else if !last_dash {
                    reference.push('-');
                    last_dash = true;
                }
            }
            while reference.ends_with('-') {
                reference.pop();
            }
            if reference.len() > "LicenseRef-".len() {
                self.push(reference);
            }
        }
    }

    /// Adds an SPDX expression; returns a message when it looks malformed (unbalanced
    /// parentheses), in which case it is kept as written.
    pub(crate) fn expression(&mut self, expression: &str) -> Option<String> {
        let expression = expression.trim();
        if expression.is_empty() {
            return None;
        }
        let mut depth = 0_i32;
        for c in expression.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                break;
            }
        }
        self.push(expression.to_string());
        (depth != 0).then(|| {
            format!("license expression {expression:?} has unbalanced parentheses; kept as written")
        })
    }

    fn push(&mut self, term: String) {
        if !term.is_empty() && !self.terms.contains(&term) {
            self.terms.push(term);
        }
    }

    /// The joined expression: one term as it is, several joined with `AND`, compound terms
    /// in parentheses so that the result means what the list meant.
    pub(crate) fn finish(self) -> Option<String> {
        match self.terms.len() {
            0 => None,
            1 => self.terms.into_iter().next(),
            _ => Some(
                self.terms
                    .iter()
                    .map(|term| {
                        if term.contains(char::is_whitespace)
                            && !(term.starts_with('(') && term.ends_with(')'))
                        {
                            format!("({term})")
                        } else {
                            term.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" AND "),
            ),
        }
    }
}

/// An SPDX id-string: letters, digits, `.`, `-` and `+` (the "or later" suffix).
fn is_id_string(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+')
}

/// An SPDX agent (`Organization: Red Hat`, `Person: Jane (jane@example.com)`, `Tool: x`)
/// split into its kind and name; a value without a known prefix is a name of unknown kind.
pub(crate) fn agent(raw: &str) -> (Option<AgentKind>, String) {
    let raw = raw.trim();
    for (prefix, kind) in [
        ("Organization:", AgentKind::Organization),
        ("Person:", AgentKind::Person),
        ("Tool:", AgentKind::Tool),
    ] {
        if raw.len() >= prefix.len() && raw[..prefix.len()].eq_ignore_ascii_case(prefix) {
            let name = raw[prefix.len()..].trim();
            let name = name.strip_suffix("()").unwrap_or(name).trim();
            return (Some(kind), name.to_string());
        }
    }
    (None, raw.to_string())
}

/// The kind of an SPDX agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AgentKind {
    Organization,
    Person,
    Tool,
}

/// `component "name" version`: how every reader names a component in a warning.
pub(crate) fn component_label(name: &str, version: Option<&str>) -> String {
    match version {
        Some(version) => format!("component {name:?} {version}"),
        None => format!("component {name:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_hash(algorithm: &str, value: &str, expected: Result<(&str, &str), &str>) {
        let actual = hash(algorithm, value);
        match (actual, expected) {
            (Ok(hash), Ok((algorithm, value))) => {
                assert_eq!(
                    (hash.algorithm.as_str(), hash.value.as_str()),
                    (algorithm, value)
                )
            }
            (Err(message), Err(part)) => assert!(message.contains(part), "{message}"),
            (actual, expected) => panic!("{algorithm} {value}: {actual:?} vs {expected:?}"),
        }
    }

    #[test]
    fn hash_algorithms_are_normalized() {
        check_hash("SHA-256", "AB12", Ok(("SHA-256", "ab12")));
        check_hash("sha256", "ab12", Ok(("SHA-256", "ab12")));
        check_hash("SHA1", "ab12", Ok(("SHA-1", "ab12")));
        check_hash("sha_512", "ab12", Ok(("SHA-512", "ab12")));
        check_hash("SHA3-256", "ab12", Ok(("SHA3-256", "ab12")));
        check_hash("sha3_384", "ab12", Ok(("SHA3-384", "ab12")));
        check_hash("SHA3256", "ab12", Ok(("SHA3-256", "ab12")));
        check_hash("BLAKE2b-256", "ab12", Ok(("BLAKE2B-256", "ab12")));
        check_hash("blake2b512", "ab12", Ok(("BLAKE2B-512", "ab12")));
        check_hash("BLAKE3", "ab12", Ok(("BLAKE3", "ab12")));
        check_hash("md5", " AB12 ", Ok(("MD5", "ab12")));
        check_hash("SHA-256", "not hex", Err("not hexadecimal"));
        check_hash("", "ab", Err("without algorithm"));
    }

    fn check_licenses(terms: &[(&str, &str)], expected: Option<&str>) {
        let mut licenses = Licenses::default();
        for (kind, value) in terms {
            match *kind {
                "id" => licenses.id(value),
                "name" => licenses.name(value),
                _ => {
                    licenses.expression(value);
                }
            }
        }
        assert_eq!(licenses.finish().as_deref(), expected, "{terms:?}");
    }

    #[test]
    fn licenses_join_into_one_expression() {
        check_licenses(&[], None);
        check_licenses(&[("id", "MIT")], Some("MIT"));
        check_licenses(
            &[("id", "MIT"), ("id", "Apache-2.0")],
            Some("MIT AND Apache-2.0"),
        );
        check_licenses(&[("id", "MIT"), ("id", "MIT")], Some("MIT"));
        check_licenses(&[("name", "Apache-2.0")], Some("Apache-2.0"));
        check_licenses(
            &[("name", "custom license foobar")],
            Some("LicenseRef-custom-license-foobar"),
        );
        check_licenses(&[("name", " ")], None);
        check_licenses(
            &[("name", "BSD (3 clause)")],
            Some("LicenseRef-BSD-3-clause"),
        );
        check_licenses(
            &[(
                "expression",
                "EPL-2.0 OR GPL-2.0 WITH Classpath-exception-2.0",
            )],
            Some("EPL-2.0 OR GPL-2.0 WITH Classpath-exception-2.0"),
        );
        check_licenses(
            &[("expression", "MIT OR Apache-2.0"), ("id", "BSD-3-Clause")],
            Some("(MIT OR Apache-2.0) AND BSD-3-Clause"),
        );
        check_licenses(
            &[("expression", "(MIT OR Apache-2.0)"), ("id", "ISC")],
            Some("(MIT OR Apache-2.0) AND ISC"),
        );
    }

    #[test]
    fn malformed_expression_is_kept_with_a_message() {
        let mut licenses = Licenses::default();
        let message = licenses.expression("(invalid");
        assert!(message.unwrap().contains("unbalanced"));
        assert_eq!(licenses.finish().as_deref(), Some("(invalid"));
    }

    #[test]
    fn agents_lose_their_prefix() {
        assert_eq!(
            agent("Organization: Red Hat"),
            (Some(AgentKind::Organization), "Red Hat".to_string())
        );
        assert_eq!(
            agent("Person: Jane Doe (jane@example.com)"),
            (
                Some(AgentKind::Person),
                "Jane Doe (jane@example.com)".to_string()
            )
        );
        assert_eq!(
            agent("Person: Jane ()"),
            (Some(AgentKind::Person), "Jane".to_string())
        );
        assert_eq!(
            agent("Tool: syft-0.59.0"),
            (Some(AgentKind::Tool), "syft-0.59.0".to_string())
        );
        assert_eq!(agent("Trustify"), (None, "Trustify".to_string()));
    }

    #[test]
    fn spdx_no_value_words_are_absent() {
        for value in ["NOASSERTION", "noassertion", "NONE", "  ", ""] {
            assert_eq!(present(Some(value)), None, "{value}");
        }
        assert_eq!(present(Some(" MIT ")), Some("MIT"));
        assert_eq!(present(None), None);
    }
}
