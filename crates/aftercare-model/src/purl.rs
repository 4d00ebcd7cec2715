//! Package URLs: parsing, validation and the canonical form.
//!
//! We parse purls ourselves instead of through the `packageurl` crate: that crate fails 16 of
//! the 59 cases of the official test suite (it rejects `.`/`..` subpath segments instead of
//! dropping them, percent-encodes `/` and `:` inside qualifier values, and knows outdated
//! per-type rules). The algorithm below is the one in the purl specification ("How to parse a
//! purl string in its components"), with the per-type rules of the specification's type
//! definitions and of its test suite. See `docs/adr/0002-sbom-readers.md`.

use std::fmt;
use std::str::FromStr;

/// A parsed, validated and canonicalized package URL.
///
/// Two purls that name the same package the same way compare equal: the type, and for
/// case-insensitive types the namespace and name, are lowercased; qualifiers are sorted;
/// empty qualifiers and `.`/`..` subpath segments are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
    subpath: Option<String>,
}

/// Why a string is not a valid package URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurlError {
    /// The string does not start with the `pkg:` scheme.
    #[error("a package URL starts with `pkg:`")]
    MissingScheme,
    /// The type is missing or has characters the specification does not allow.
    #[error(
        "invalid package URL type {0:?}: use ASCII letters, digits, `.`, `+` and `-`, not starting with a digit"
    )]
    InvalidType(String),
    /// The name is empty.
    #[error("the package URL has no name")]
    MissingName,
    /// A qualifier key is not allowed.
    #[error(
        "invalid qualifier key {0:?}: use ASCII letters, digits, `.`, `-` and `_`, not starting with a digit"
    )]
    InvalidQualifierKey(String),
    /// A percent-escape is malformed or does not decode to UTF-8.
    #[error("invalid percent-encoding in {0:?}")]
    InvalidEncoding(String),
    /// A rule of the package type is broken.
    #[error("invalid `{ty}` package URL: {rule}")]
    TypeRule {
        /// The package type.
        ty: String,
        /// The rule that was broken, in words.
        rule: &'static str,
    },
}

impl Purl {
    /// The package type (`npm`, `pypi`, `maven`, …), lowercase.
    pub fn ty(&self) -> &str {
        &self.ty
    }

    /// The namespace (Maven group, npm scope, Debian vendor…), if any.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The package name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version, if any.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The qualifiers, sorted by key.
    pub fn qualifiers(&self) -> &[(String, String)] {
        &self.qualifiers
    }

    /// The value of one qualifier.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(candidate, _)| candidate == key)
            .map(|(_, value)| value.as_str())
    }

    /// The subpath, if any.
    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }

    /// The same package without version, qualifiers and subpath: what identifies a package
    /// across its versions.
    pub fn without_version(&self) -> Purl {
        Purl {
            ty: self.ty.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            version: None,
            qualifiers: Vec::new(),
            subpath: None,
        }
    }

    /// Builds a purl from its parts, applying the same validation and normalization as
    /// parsing does.
    pub fn from_parts(
        ty: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
    ) -> Result<Purl, PurlError> {
        let mut purl = Purl {
            ty: ty.to_ascii_lowercase(),
            namespace: namespace
                .map(|ns| ns.trim_matches('/').to_string())
                .filter(|ns| !ns.is_empty()),
            name: name.to_string(),
            version: version.filter(|v| !v.is_empty()).map(str::to_string),
            qualifiers: Vec::new(),
            subpath: None,
        };
        validate_type(&purl.ty)?;
        if purl.name.is_empty() {
            return Err(PurlError::MissingName);
        }
        apply_type_rules(&mut purl)?;
        Ok(purl)
    }
}

impl FromStr for Purl {
    type Err = PurlError;

    fn from_str(input: &str) -> Result<Purl, PurlError> {
        let input = input.trim();
        // Subpath: everything after the last '#'.
        let (remainder, subpath) = match input.rsplit_once('#') {
            Some((left, right)) => (left, parse_subpath(right)?),
            None => (input, None),
        };
        // Qualifiers: everything after the last '?'.
        let (remainder, qualifiers) = match remainder.rsplit_once('?') {
            Some((left, right)) => (left, parse_qualifiers(right)?),
            None => (remainder, Vec::new()),
        };
        // Scheme.
        let (scheme, remainder) = remainder.split_once(':').ok_or(PurlError::MissingScheme)?;
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(PurlError::MissingScheme);
        }
        let remainder = remainder.trim_start_matches('/');
        // Type.
        let (ty, remainder) = remainder
            .split_once('/')
            .ok_or_else(|| PurlError::InvalidType(remainder.to_string()))?;
        let ty = ty.to_ascii_lowercase();
        validate_type(&ty)?;
        let remainder = remainder.trim_end_matches('/');
        // Version: after the last '@' (an '@' in an npm scope is percent-encoded).
        let (remainder, version) = match remainder.rsplit_once('@') {
            Some((left, right)) => (left, Some(decode(right)?).filter(|v| !v.is_empty())),
            None => (remainder, None),
        };
        // Name: the last segment; namespace: the segments before it.
        let (namespace, name) = match remainder.rsplit_once('/') {
            Some((left, right)) => (Some(left), right),
            None => (None, remainder),
        };
        let name = decode(name)?;
        if name.is_empty() {
            return Err(PurlError::MissingName);
        }
        let namespace = match namespace {
            Some(namespace) => {
                let mut segments = Vec::new();
                for segment in namespace.split('/').filter(|s| !s.is_empty()) {
                    segments.push(decode(segment)?);
                }
                Some(segments.join("/")).filter(|ns| !ns.is_empty())
            }
            None => None,
        };
        let mut purl = Purl {
            ty,
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        };
        apply_type_rules(&mut purl)?;
        Ok(purl)
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(namespace) = &self.namespace {
            for segment in namespace.split('/') {
                write!(f, "{}/", Encoded(segment, Part::Segment))?;
            }
        }
        write!(f, "{}", Encoded(&self.name, Part::Segment))?;
        if let Some(version) = &self.version {
            write!(f, "@{}", Encoded(version, Part::Segment))?;
        }
        for (index, (key, value)) in self.qualifiers.iter().enumerate() {
            let separator = if index == 0 { '?' } else { '&' };
            write!(
                f,
                "{separator}{key}={}",
                Encoded(value, Part::QualifierValue)
            )?;
        }
        if let Some(subpath) = &self.subpath {
            f.write_str("#")?;
            for (index, segment) in subpath.split('/').enumerate() {
                if index > 0 {
                    f.write_str("/")?;
                }
                write!(f, "{}", Encoded(segment, Part::Segment))?;
            }
        }
        Ok(())
    }
}

fn validate_type(ty: &str) -> Result<(), PurlError> {
    let valid = ty
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-'))
        && ty.chars().next().is_some_and(|c| !c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(PurlError::InvalidType(ty.to_string()))
    }
}

fn parse_subpath(raw: &str) -> Result<Option<String>, PurlError> {
    let mut segments = Vec::new();
    for segment in raw.split('/') {
        let segment = decode(segment)?;
        if segment.is_empty() || segment == "." || segment == ".." {
            continue;
        }
        segments.push(segment);
    }
    Ok(Some(segments.join("/")).filter(|s| !s.is_empty()))
}

fn parse_qualifiers(raw: &str) -> Result<Vec<(String, String)>, PurlError> {
    let mut qualifiers = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = key.to_ascii_lowercase();
        let key_valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            && key.chars().next().is_some_and(|c| !c.is_ascii_digit());
        if !key_valid {
            return Err(PurlError::InvalidQualifierKey(key));
        }
        let value = decode(value)?;
        if value.is_empty() {
            continue;
        }
        // A repeated key keeps its last value, as a map would.
        qualifiers.retain(|(existing, _): &(String, String)| existing != &key);
        qualifiers.push((key, value));
    }
    qualifiers.sort();
    Ok(qualifiers)
}

/// Applies the per-type normalization and requirements of the purl specification.
fn apply_type_rules(purl: &mut Purl) -> Result<(), PurlError> {
    let rule = |rule: &'static str| PurlError::TypeRule {
        ty: purl.ty.clone(),
        rule,
    };
    match purl.ty.as_str() {
        "alpm" | "apk" | "bitbucket" | "brew" | "composer" | "deb" | "github" | "hex"
        | "luarocks" | "vscode-extension" => {
            lowercase(&mut purl.namespace);
            purl.name = purl.name.to_lowercase();
        }
        "bitnami" | "chrome-extension" | "otp" | "oci" | "pub" => {
            purl.name = purl.name.to_lowercase();
        }
        "pypi" => {
            purl.name = purl.name.to_lowercase().replace('_', "-");
        }
        "huggingface" => {
            // Model revisions are commit hashes, which are case-insensitive.
            lowercase(&mut purl.version);
        }
        "mlflow" => {
            // Databricks' MLflow registry is case-insensitive; Azure ML's is not.
            let databricks = purl
                .qualifier("repository_url")
                .is_some_and(|url| url.contains("databricks"));
            if databricks {
                purl.name = purl.name.to_lowercase();
            }
        }
        "cpan" => {
            // Without a namespace the name is a module (`URI::PackageURL`); with one (the
            // author id) it is a distribution (`Perl-Version`). Each form forbids the other's
            // separator.
            match &purl.namespace {
                None if purl.name.contains('-') => {
                    return Err(rule("a module name (without author) cannot contain `-`"));
                }
                Some(_) if purl.name.contains("::") => {
                    return Err(rule(
                        "a distribution name (with author) cannot contain `::`",
                    ));
                }
                _ => {}
            }
        }
        "conan" if purl.namespace.is_some() != purl.qualifier("channel").is_some() => {
            // A namespace (user) and the `channel` qualifier go together.
            return Err(rule(
                "a namespace requires the `channel` qualifier and vice versa",
            ));
        }
        "cran" if purl.version.is_none() => {
            return Err(rule("a version is required"));
        }
        "swift" if purl.namespace.is_none() => {
            return Err(rule("a namespace (the source host and owner) is required"));
        }
        "swift" if purl.version.is_none() => {
            return Err(rule("a version is required"));
        }
        "rpm" => {
            lowercase(&mut purl.namespace);
        }
        _ => {}
    }
    if matches!(purl.ty.as_str(), "maven" | "swift") && purl.namespace.is_none() {
        return Err(PurlError::TypeRule {
            ty: purl.ty.clone(),
            rule: "a namespace is required",
        });
    }
    Ok(())
}

fn lowercase(value: &mut Option<String>) {
    if let Some(value) = value {
        *value = value.to_lowercase();
    }
}

fn decode(raw: &str) -> Result<String, PurlError> {
    if !raw.contains('%') {
        return Ok(raw.to_string());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes
                .get(index + 1..index + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| PurlError::InvalidEncoding(raw.to_string()))?;
            out.push(hex);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PurlError::InvalidEncoding(raw.to_string()))
}

#[derive(Clone, Copy)]
enum Part {
    Segment,
    QualifierValue,
}

struct Encoded<'a>(&'a str, Part);

impl fmt::Display for Encoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0.bytes() {
            let keep = byte.is_ascii_alphanumeric()
                || matches!(byte, b'-' | b'.' | b'_' | b'~' | b':')
                || (byte == b'/' && matches!(self.1, Part::QualifierValue));
            if keep {
                write!(f, "{}", byte as char)?;
            } else {
                write!(f, "%{byte:02X}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let purl: Purl = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(purl.to_string(), expected, "{input}");
        let again: Purl = expected.parse().unwrap();
        assert_eq!(
            again, purl,
            "canonical form of {input} parses back to the same purl"
        );
    }

    fn check_invalid(input: &str) {
        assert!(input.parse::<Purl>().is_err(), "{input} should be invalid");
    }

    #[test]
    fn canonical_forms() {
        check("pkg:npm/lodash@4.17.19", "pkg:npm/lodash@4.17.19");
        check(
            "pkg:npm/%40angular/core@12.0.0",
            "pkg:npm/%40angular/core@12.0.0",
        );
        check(
            "pkg:npm/@angular/core@12.0.0",
            "pkg:npm/%40angular/core@12.0.0",
        );
        check("pkg:pypi/Flask_Login@0.1", "pkg:pypi/flask-login@0.1");
        check(
            "pkg:maven/org.apache/commons-text@1.2?type=jar&classifier=",
            "pkg:maven/org.apache/commons-text@1.2?type=jar",
        );
        check(
            "pkg:deb/debian/openssl@1.1.1n-0+deb11u4?arch=amd64&distro=debian-11",
            "pkg:deb/debian/openssl@1.1.1n-0%2Bdeb11u4?arch=amd64&distro=debian-11",
        );
        check(
            "pkg:golang/github.com/Foo/Bar@v1.2.3",
            "pkg:golang/github.com/Foo/Bar@v1.2.3",
        );
    }

    #[test]
    fn invalid_forms() {
        check_invalid("npm/lodash");
        check_invalid("pkg:npm");
        check_invalid("pkg:npm/");
        check_invalid("pkg:npm/a@1?in%20production=true");
        check_invalid("pkg:maven/commons-text@1.2");
        check_invalid("pkg:npm/%zz@1");
    }

    #[test]
    fn from_parts_normalizes_like_parsing() {
        let built = Purl::from_parts("PyPI", None, "Django_Rest", Some("3.0")).unwrap();
        assert_eq!(built.to_string(), "pkg:pypi/django-rest@3.0");
        assert_eq!(built.without_version().to_string(), "pkg:pypi/django-rest");
    }
}
