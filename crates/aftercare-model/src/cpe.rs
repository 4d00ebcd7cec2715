//! Common Platform Enumeration names: the CPE 2.3 formatted string and the CPE 2.2 URI.
//!
//! A [`Cpe`] is the well-formed name of NIST IR 7695: eleven attributes, each a logical value
//! (ANY, NA) or a string that may carry the `*` and `?` wildcards. Matching names against each
//! other (NIST IR 7696) is the matcher's business; this module only parses and prints.

use std::fmt;
use std::str::FromStr;

/// One attribute value of a CPE name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CpeValue {
    /// ANY (`*` in a formatted string, empty in a URI): every value matches.
    Any,
    /// NA (`-`): the attribute does not apply.
    Na,
    /// A value, unescaped, lowercase. Unquoted `*` and `?` in the source are wildcards and
    /// are kept as such; escaped ones are literal and stored with their backslash.
    Value(String),
}

impl CpeValue {
    /// The value as a string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            CpeValue::Value(value) => Some(value),
            CpeValue::Any | CpeValue::Na => None,
        }
    }

    /// Whether the value carries an unescaped wildcard (`*` or `?`).
    pub fn has_wildcard(&self) -> bool {
        match self {
            CpeValue::Value(value) => {
                let mut escaped = false;
                for c in value.chars() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '*' || c == '?' {
                        return true;
                    }
                }
                false
            }
            CpeValue::Any | CpeValue::Na => false,
        }
    }

    /// The literal text of the value with escapes removed (wildcards left as they are).
    pub fn unescaped(&self) -> Option<String> {
        let value = self.as_str()?;
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
        Some(out)
    }
}

/// The part of a CPE: application, operating system or hardware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CpePart {
    /// `a`: an application.
    Application,
    /// `o`: an operating system.
    OperatingSystem,
    /// `h`: a hardware device.
    Hardware,
    /// `*`: any part.
    Any,
}

impl CpePart {
    fn letter(self) -> &'static str {
        match self {
            CpePart::Application => "a",
            CpePart::OperatingSystem => "o",
            CpePart::Hardware => "h",
            CpePart::Any => "*",
        }
    }
}

/// A parsed CPE name (well-formed name of NIST IR 7695).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cpe {
    /// Application, operating system or hardware.
    pub part: CpePart,
    /// The vendor.
    pub vendor: CpeValue,
    /// The product.
    pub product: CpeValue,
    /// The version.
    pub version: CpeValue,
    /// The update (patch level).
    pub update: CpeValue,
    /// The (legacy) edition.
    pub edition: CpeValue,
    /// The language tag.
    pub language: CpeValue,
    /// The software edition.
    pub sw_edition: CpeValue,
    /// The target software.
    pub target_sw: CpeValue,
    /// The target hardware.
    pub target_hw: CpeValue,
    /// Anything else.
    pub other: CpeValue,
}

/// Why a string is not a CPE name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpeError {
    /// Neither `cpe:2.3:` nor `cpe:/` starts the string.
    #[error("a CPE starts with `cpe:2.3:` (formatted string) or `cpe:/` (URI)")]
    UnknownBinding,
    /// A formatted string does not have eleven attributes.
    #[error("a CPE 2.3 formatted string has 11 attributes after `cpe:2.3:`, found {0}")]
    AttributeCount(usize),
    /// The part is not `a`, `o`, `h` or `*`.
    #[error("invalid CPE part {0:?}: expected `a`, `o` or `h`")]
    InvalidPart(String),
    /// A percent-encoded URI component is malformed.
    #[error("invalid percent-encoding in CPE URI component {0:?}")]
    InvalidEncoding(String),
}

impl Cpe {
    /// The eleven attributes after the part, in binding order.
    pub fn attributes(&self) -> [&CpeValue; 10] {
        [
            &self.vendor,
            &self.product,
            &self.version,
            &self.update,
            &self.edition,
            &self.language,
            &self.sw_edition,
            &self.target_sw,
            &self.target_hw,
            &self.other,
        ]
    }

    fn parse_formatted(body: &str) -> Result<Cpe, CpeError> {
        // Split on ':' that is not escaped with a backslash.
        let mut fields: Vec<String> = Vec::with_capacity(11);
        let mut current = String::new();
        let mut escaped = false;
        for c in body.chars() {
            if escaped {
                // `.`, `-` and `_` are written unquoted in a formatted string (NIST IR 7695
                // 6.2.2.2), so a needless backslash before them is dropped.
                if !matches!(c, '.' | '-' | '_') {
                    current.push('\\');
                }
                current.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == ':' {
                fields.push(std::mem::take(&mut current));
            } else {
                current.push(c);
            }
        }
        if escaped {
            current.push('\\');
        }
        fields.push(current);
        if fields.len() != 11 {
            return Err(CpeError::AttributeCount(fields.len()));
        }
        let value = |raw: &str| match raw {
            "*" | "" => CpeValue::Any,
            "-" => CpeValue::Na,
            other => CpeValue::Value(other.to_lowercase()),
        };
        Ok(Cpe {
            part: parse_part(&fields[0])?,
            vendor: value(&fields[1]),
            product: value(&fields[2]),
            version: value(&fields[3]),
            update: value(&fields[4]),
            edition: value(&fields[5]),
            language: value(&fields[6]),
            sw_edition: value(&fields[7]),
            target_sw: value(&fields[8]),
            target_hw: value(&fields[9]),
            other: value(&fields[10]),
        })
    }

    fn parse_uri(body: &str) -> Result<Cpe, CpeError> {
        let components: Vec<&str> = body.split(':').collect();
        let get = |index: usize| components.get(index).copied().unwrap_or("");
        let value = |raw: &str| -> Result<CpeValue, CpeError> {
            match raw {
                "" | "*" => Ok(CpeValue::Any),
                "-" => Ok(CpeValue::Na),
                other => Ok(CpeValue::Value(uri_to_formatted(other)?)),
            }
        };
        let part = match get(0) {
            "" => CpePart::Any,
            other => parse_part(other)?,
        };
        let mut cpe = Cpe {
            part,
            vendor: value(get(1))?,
            product: value(get(2))?,
            version: value(get(3))?,
            update: value(get(4))?,
            edition: CpeValue::Any,
            language: value(get(6))?,
            sw_edition: CpeValue::Any,
            target_sw: CpeValue::Any,
            target_hw: CpeValue::Any,
            other: CpeValue::Any,
        };
        // A packed edition (`~edition~sw_edition~target_sw~target_hw~other`) carries the
        // extended attributes of CPE 2.3 in a 2.2 URI.
        let edition = get(5);
        if let Some(packed) = edition.strip_prefix('~') {
            let packed: Vec<&str> = packed.split('~').collect();
            let field = |index: usize| packed.get(index).copied().unwrap_or("");
            cpe.edition = value(field(0))?;
            cpe.sw_edition = value(field(1))?;
            cpe.target_sw = value(field(2))?;
            cpe.target_hw = value(field(3))?;
            cpe.other = value(field(4))?;
        } else {
            cpe.edition = value(edition)?;
        }
        Ok(cpe)
    }

    /// The CPE 2.2 URI binding (`cpe:/a:vendor:product:version`), trailing ANY attributes
    /// dropped.
    pub fn to_uri(&self) -> String {
        let component = |value: &CpeValue| match value {
            CpeValue::Any => String::new(),
            CpeValue::Na => "-".to_string(),
            CpeValue::Value(text) => formatted_to_uri(text),
        };
        let extended = [
            &self.sw_edition,
            &self.target_sw,
            &self.target_hw,
            &self.other,
        ];
        let edition = if extended.iter().all(|v| **v == CpeValue::Any) {
            component(&self.edition)
        } else {
            format!(
                "~{}~{}~{}~{}~{}",
                component(&self.edition),
                component(&self.sw_edition),
                component(&self.target_sw),
                component(&self.target_hw),
                component(&self.other)
            )
        };
        let part = match self.part {
            CpePart::Any => "",
            other => other.letter(),
        };
        let mut components = vec![
            part.to_string(),
            component(&self.vendor),
            component(&self.product),
            component(&self.version),
            component(&self.update),
            edition,
            component(&self.language),
        ];
        while components.len() > 1 && components.last().is_some_and(|c| c.is_empty()) {
            components.pop();
        }
        format!("cpe:/{}", components.join(":"))
    }
}

fn parse_part(raw: &str) -> Result<CpePart, CpeError> {
    match raw.to_ascii_lowercase().as_str() {
        "a" => Ok(CpePart::Application),
        "o" => Ok(CpePart::OperatingSystem),
        "h" => Ok(CpePart::Hardware),
        "*" => Ok(CpePart::Any),
        _ => Err(CpeError::InvalidPart(raw.to_string())),
    }
}

/// Converts a URI component (percent-encoded, with `%01`/`%02` wildcards) into the formatted
/// string form (backslash escapes, `?`/`*` wildcards).
fn uri_to_formatted(raw: &str) -> Result<String, CpeError> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'%' {
            let code = raw
                .get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| CpeError::InvalidEncoding(raw.to_string()))?;
            match code {
                0x01 => out.push('?'),
                0x02 => out.push('*'),
                other if other.is_ascii_alphanumeric() || matches!(other, b'_' | b'.' | b'-') => {
                    out.push(other.to_ascii_lowercase() as char)
                }
                other => {
                    out.push('\\');
                    out.push(other as char);
                }
            }
            index += 3;
        } else {
            let c = byte.to_ascii_lowercase() as char;
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                out.push(c);
            } else {
                // Punctuation that the URI leaves unencoded (`.`, `-`, `~` …) is literal.
                out.push('\\');
                out.push(c);
            }
            index += 1;
        }
    }
    Ok(out)
}

fn formatted_to_uri(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            escaped = false;
            match c {
                '.' | '-' => out.push(c),
                other => {
                    let mut buffer = [0u8; 4];
                    for byte in other.encode_utf8(&mut buffer).bytes() {
                        out.push_str(&format!("%{byte:02x}"));
                    }
                }
            }
        } else if c == '\\' {
            escaped = true;
        } else if c == '?' {
            out.push_str("%01");
        } else if c == '*' {
            out.push_str("%02");
        } else {
            out.push(c);
        }
    }
    out
}

impl FromStr for Cpe {
    type Err = CpeError;

    fn from_str(input: &str) -> Result<Cpe, CpeError> {
        let input = input.trim();
        let lower = input.get(..8).map(str::to_ascii_lowercase);
        if lower.as_deref() == Some("cpe:2.3:") {
            Cpe::parse_formatted(&input[8..])
        } else if input.len() >= 5 && input[..5].eq_ignore_ascii_case("cpe:/") {
            Cpe::parse_uri(&input[5..])
        } else {
            Err(CpeError::UnknownBinding)
        }
    }
}

/// Prints the CPE 2.3 formatted string binding.
impl fmt::Display for Cpe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cpe:2.3:{}", self.part.letter())?;
        for value in self.attributes() {
            match value {
                CpeValue::Any => f.write_str(":*")?,
                CpeValue::Na => f.write_str(":-")?,
                CpeValue::Value(text) => write!(f, ":{text}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, formatted: &str, uri: &str) {
        let cpe: Cpe = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(cpe.to_string(), formatted, "formatted string of {input}");
        assert_eq!(cpe.to_uri(), uri, "URI of {input}");
        let back: Cpe = formatted.parse().unwrap();
        assert_eq!(back, cpe, "{formatted} parses back");
        let back: Cpe = uri.parse().unwrap();
        assert_eq!(back, cpe, "{uri} parses back");
    }

    #[test]
    fn bindings() {
        check(
            "cpe:2.3:a:openssl:openssl:1.1.1:*:*:*:*:*:*:*",
            "cpe:2.3:a:openssl:openssl:1.1.1:*:*:*:*:*:*:*",
            "cpe:/a:openssl:openssl:1.1.1",
        );
        check(
            "cpe:/a:microsoft:internet_explorer:8.0.6001:beta",
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
            "cpe:/a:microsoft:internet_explorer:8.0.6001:beta",
        );
        check(
            "cpe:2.3:o:bostonscientific:zoom_latitude_programming_system_3120:-:*:*:*:*:*:*:*",
            "cpe:2.3:o:bostonscientific:zoom_latitude_programming_system_3120:-:*:*:*:*:*:*:*",
            "cpe:/o:bostonscientific:zoom_latitude_programming_system_3120:-",
        );
        check(
            "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
            "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
            "cpe:/a:hp:insight_diagnostics:7.4.0.1570:-:~~online~win2003~x64~",
        );
    }

    #[test]
    fn escapes_and_wildcards() {
        let cpe: Cpe = "cpe:2.3:a:foo\\:bar:product\\/x:1.*:*:*:*:*:*:*:*"
            .parse()
            .unwrap();
        assert_eq!(cpe.vendor, CpeValue::Value("foo\\:bar".into()));
        assert_eq!(cpe.vendor.unescaped().as_deref(), Some("foo:bar"));
        assert_eq!(cpe.product.unescaped().as_deref(), Some("product/x"));
        assert!(cpe.version.has_wildcard());
        assert!(!cpe.vendor.has_wildcard());
        let uri: Cpe = "cpe:/a:foo%3abar:product%2fx".parse().unwrap();
        assert_eq!(uri.vendor, cpe.vendor);
        assert_eq!(uri.product, cpe.product);
    }

    #[test]
    fn errors() {
        assert_eq!("foo".parse::<Cpe>(), Err(CpeError::UnknownBinding));
        assert_eq!(
            "cpe:2.3:a:b:c".parse::<Cpe>(),
            Err(CpeError::AttributeCount(3))
        );
        assert!(matches!(
            "cpe:2.3:x:b:c:*:*:*:*:*:*:*:*".parse::<Cpe>(),
            Err(CpeError::InvalidPart(_))
        ));
    }
}
