//! The target filter: which devices a rollout targets, from the text of `--filter`, and the
//! device facts it is matched against.
//!
//! Grammar: terms separated by blanks, each `key=value`, with the keys `product`, `release`
//! (the installed version), `site`, `organisation`, `tag` and `hw` (the hardware revision).
//! A value with blanks is written in double quotes (`site="St Mary ICU"`; `\"` and `\\`
//! inside). A value ending in `*` matches by prefix (`release=2.1.*`), and `*` alone matches
//! any device that has the attribute; a `*` anywhere else is refused.
//!
//! Meaning: **terms of different keys are AND'd, repeated keys are OR'd**:
//! `product=pump site=a site=b` is a pump at site a or b. Repeating a key can only widen
//! it (a device has one product, one release, one site), so OR is the only useful reading —
//! except for `tag`, where a device has several: `tag=icu tag=nicu` means *either* tag;
//! requiring both is not expressible, on purpose, to keep one rule for every key.
//! Comparisons are exact (case matters): names are the stored ones. A device without the
//! attribute (no site, no known release) matches no term of that key.
//!
//! An empty filter is refused: an empty `--filter` (a shell variable that was not set)
//! must not mean "every device". The rollout's release names the product anyway; the
//! service ANDs it in.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::RolloutError;
use crate::vocabulary::vocabulary;

/// A device's controller id: the `{controllerId}` of its DDI path, how people name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ControllerId(String);

impl ControllerId {
    /// The longest id (hawkBit's `controllerId` column).
    pub const MAX_CHARS: usize = 256;

    /// Checks the id: 1 to 256 characters, no blanks, no `/`, no control characters (it is a
    /// path segment).
    pub fn new(id: &str) -> Result<ControllerId, RolloutError> {
        let length = id.chars().count();
        if length == 0
            || length > ControllerId::MAX_CHARS
            || id
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            return Err(RolloutError::ControllerIdInvalid { id: id.to_string() });
        }
        Ok(ControllerId(id.to_string()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ControllerId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// What a filter looks at on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceFacts {
    /// Its product.
    pub product: String,
    /// The version it reports installed, if known.
    pub release: Option<String>,
    /// Its site, if known.
    pub site: Option<String>,
    /// The organisation that owns it, if known.
    pub organisation: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its hardware revision, if known.
    pub hw: Option<String>,
}

vocabulary! {
    /// A key of the target filter.
    pub enum FilterKey as "filter key" {
        /// The device's product.
        Product = "product",
        /// The version installed on the device.
        Release = "release",
        /// The device's site.
        Site = "site",
        /// The organisation that owns the device.
        Organisation = "organisation",
        /// One of the device's tags.
        Tag = "tag",
        /// The device's hardware revision.
        Hw = "hw",
    }
}

/// One value of a term.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Pattern {
    /// Equal to the value.
    Exact(String),
    /// Starts with the value (written with a trailing `*`).
    Prefix(String),
}

impl Pattern {
    fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Exact(expected) => value == expected,
            Pattern::Prefix(prefix) => value.starts_with(prefix.as_str()),
        }
    }
}

/// A parsed target filter: per key, the values any of which may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFilter {
    terms: BTreeMap<FilterKey, Vec<Pattern>>,
}

impl TargetFilter {
    /// Whether the device matches: for every key of the filter, one of its values.
    pub fn matches(&self, device: &DeviceFacts) -> bool {
        self.terms.iter().all(|(key, patterns)| {
            let any = |value: Option<&String>| {
                value.is_some_and(|value| patterns.iter().any(|p| p.matches(value)))
            };
            match key {
                FilterKey::Product => any(Some(&device.product)),
                FilterKey::Release => any(device.release.as_ref()),
                FilterKey::Site => any(device.site.as_ref()),
                FilterKey::Organisation => any(device.organisation.as_ref()),
                FilterKey::Hw => any(device.hw.as_ref()),
                FilterKey::Tag => device.tags.iter().any(|tag| any(Some(tag))),
            }
        })
    }

    /// The values given for a key (`*` marks a prefix), in the order written.
    pub fn values(&self, key: FilterKey) -> Vec<String> {
        self.terms
            .get(&key)
            .map(|patterns| patterns.iter().map(pattern_text).collect())
            .unwrap_or_default()
    }
}

fn pattern_text(pattern: &Pattern) -> String {
    match pattern {
        Pattern::Exact(value) => value.clone(),
        Pattern::Prefix(prefix) => format!("{prefix}*"),
    }
}

impl fmt::Display for TargetFilter {
    /// The canonical text: keys in [`FilterKey::ALL`] order, values as written, quoted when
    /// needed. It parses back to the same filter.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (key, patterns) in &self.terms {
            for pattern in patterns {
                if !first {
                    formatter.write_str(" ")?;
                }
                first = false;
                let text = pattern_text(pattern);
                if text
                    .chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == '\\')
                {
                    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
                    write!(formatter, "{key}=\"{escaped}\"")?;
                } else {
                    write!(formatter, "{key}={text}")?;
                }
            }
        }
        Ok(())
    }
}

impl FromStr for TargetFilter {
    type Err = RolloutError;

    fn from_str(text: &str) -> Result<TargetFilter, RolloutError> {
        let mut terms: BTreeMap<FilterKey, Vec<Pattern>> = BTreeMap::new();
        for term in split_terms(text)? {
            let (key, value) = term
                .split_once('=')
                .ok_or_else(|| RolloutError::FilterTerm {
                    term: term.clone(),
                    problem: "a term is key=value".to_string(),
                })?;
            let key: FilterKey = key.parse().map_err(|_| RolloutError::FilterTerm {
                term: term.clone(),
                problem: format!(
                    "unknown key {key:?}; the keys are {}",
                    FilterKey::ALL
                        .iter()
                        .map(|key| key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
            let value = unquote(value).ok_or_else(|| RolloutError::FilterTerm {
                term: term.clone(),
                problem: "a quoted value ends with its quote; inside, write \\\" and \\\\"
                    .to_string(),
            })?;
            let pattern = match value.strip_suffix('*') {
                _ if value.is_empty() => {
                    return Err(RolloutError::FilterTerm {
                        term,
                        problem: "the value is empty".to_string(),
                    });
                }
                Some(prefix) if !prefix.contains('*') => Pattern::Prefix(prefix.to_string()),
                None if !value.contains('*') => Pattern::Exact(value),
                _ => {
                    return Err(RolloutError::FilterTerm {
                        term,
                        problem: "only a trailing * is supported (a prefix)".to_string(),
                    });
                }
            };
            let patterns = terms.entry(key).or_default();
            if !patterns.contains(&pattern) {
                patterns.push(pattern);
            }
        }
        if terms.is_empty() {
            return Err(RolloutError::FilterEmpty);
        }
        Ok(TargetFilter { terms })
    }
}

/// Splits on blanks outside double quotes (a backslash escapes the next character inside).
fn split_terms(text: &str) -> Result<Vec<String>, RolloutError> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            '\\' if quoted => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    terms.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err(RolloutError::FilterTerm {
            term: current,
            problem: "a quote is not closed".to_string(),
        });
    }
    if !current.is_empty() {
        terms.push(current);
    }
    Ok(terms)
}

/// The value of a term: as written, or the inside of its quotes with escapes resolved.
/// `None` when a quote is misplaced.
fn unquote(value: &str) -> Option<String> {
    let Some(inner) = value.strip_prefix('"') else {
        return (!value.contains('"')).then(|| value.to_string());
    };
    let inner = inner.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(
        product: &str,
        release: &str,
        site: &str,
        organisation: &str,
        tags: &[&str],
        hw: &str,
    ) -> DeviceFacts {
        let known = |text: &str| (!text.is_empty()).then(|| text.to_string());
        DeviceFacts {
            product: product.to_string(),
            release: known(release),
            site: known(site),
            organisation: known(organisation),
            tags: tags.iter().map(|tag| tag.to_string()).collect(),
            hw: known(hw),
        }
    }

    fn pump() -> DeviceFacts {
        device(
            "infusion-pump",
            "2.1.0",
            "St Mary ICU",
            "st-mary",
            &["icu", "beta"],
            "rev-b",
        )
    }

    /// filter text → whether [`pump`] matches, or the error.
    fn check(filter: &str, expected: &str) {
        let found = match filter.parse::<TargetFilter>() {
            Ok(filter) => filter.matches(&pump()).to_string(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected, "{filter}");
    }

    #[test]
    #[rustfmt::skip]
    fn terms_are_anded_and_repeated_keys_ored() {
        check("product=infusion-pump", "true");
        check("product=infusion-pump release=2.1.0 hw=rev-b", "true");
        check("product=infusion-pump release=2.0.0", "false");
        check("product=infusion-pump release=2.0.0 release=2.1.0", "true");
        check("product=gateway product=infusion-pump", "true");
        check("product=infusion-pump tag=nicu", "false");
        check("product=infusion-pump tag=nicu tag=beta", "true");
        check("organisation=st-mary site=\"St Mary ICU\"", "true");
        check("site=St", "false");
        check("product=Infusion-Pump", "false");
    }

    #[test]
    #[rustfmt::skip]
    fn prefixes() {
        check("release=2.1.*", "true");
        check("release=2.*", "true");
        check("release=3.*", "false");
        check("site=*", "true");
        check("site=\"St Mary*\"", "true");
    }

    #[test]
    fn a_missing_attribute_matches_no_term_of_its_key() {
        let filter: TargetFilter = "site=*".parse().unwrap();
        assert!(!filter.matches(&device("infusion-pump", "", "", "", &[], "")));
        let filter: TargetFilter = "tag=*".parse().unwrap();
        assert!(!filter.matches(&device("infusion-pump", "", "", "", &[], "")));
        let filter: TargetFilter = "product=infusion-pump".parse().unwrap();
        assert!(filter.matches(&device("infusion-pump", "", "", "", &[], "")));
    }

    #[test]
    #[rustfmt::skip]
    fn errors_name_the_term() {
        check("", "the filter is empty: name at least one term (product=…, release=…, site=…, organisation=…, tag=…, hw=…), so that a filter never means every device by accident");
        check("   ", "the filter is empty: name at least one term (product=…, release=…, site=…, organisation=…, tag=…, hw=…), so that a filter never means every device by accident");
        check("product", "filter term \"product\": a term is key=value");
        check("customer=st-mary", "filter term \"customer=st-mary\": unknown key \"customer\"; the keys are product, release, site, organisation, tag, hw");
        check("release=", "filter term \"release=\": the value is empty");
        check("release=2.*.1", "filter term \"release=2.*.1\": only a trailing * is supported (a prefix)");
        check("release=**", "filter term \"release=**\": only a trailing * is supported (a prefix)");
        check("site=\"St Mary", "filter term \"site=\\\"St Mary\": a quote is not closed");
        check("site=a\"b\"", "filter term \"site=a\\\"b\\\"\": a quoted value ends with its quote; inside, write \\\" and \\\\");
    }

    #[test]
    fn the_canonical_text_parses_back() {
        for text in [
            "tag=icu product=infusion-pump site=\"St Mary ICU\" tag=beta release=2.*",
            "site=\"say \\\"hi\\\"\" hw=rev-b",
        ] {
            let filter: TargetFilter = text.parse().unwrap();
            let canonical = filter.to_string();
            assert_eq!(
                canonical.parse::<TargetFilter>().unwrap(),
                filter,
                "{canonical}"
            );
        }
        let filter: TargetFilter = "tag=icu product=infusion-pump site=\"St Mary ICU\" tag=beta"
            .parse()
            .unwrap();
        assert_eq!(
            filter.to_string(),
            "product=infusion-pump site=\"St Mary ICU\" tag=icu tag=beta"
        );
        assert_eq!(filter.values(FilterKey::Tag), ["icu", "beta"]);
    }

    #[test]
    fn controller_ids() {
        assert_eq!(ControllerId::new("dev-0001").unwrap().as_str(), "dev-0001");
        for bad in ["", "dev 1", "dev/1", "dev\n"] {
            assert_eq!(
                ControllerId::new(bad).unwrap_err().to_string(),
                format!(
                    "{bad:?} is not a controller id: 1 to 256 characters, no blanks, no /, no control characters"
                )
            );
        }
        assert!(ControllerId::new(&"x".repeat(256)).is_ok());
        assert!(ControllerId::new(&"x".repeat(257)).is_err());
    }
}
