//! The support addendum: a per-release file the manufacturer keeps next to the SBOM with the
//! FDA's level of support and end-of-support date of each component, for SBOMs whose
//! generator cannot write them.
//!
//! Two formats, told apart by content: CSV with a header row (`,`, `;` or tab separated,
//! RFC 4180 quoting), or a JSON array of objects with the same keys. Each row names its
//! component by `purl`, else by `bom-ref`/`reference`, else by `name` (+ `version`), and sets
//! `level_of_support` and/or `end_of_support`. Column names follow the same lenient rules as
//! the SBOM property names (see `docs/sbom-support-fields.md`).

use aftercare_model::Purl;
use serde_json::Value;

use crate::error::SbomError;
use crate::model::{Component, Sbom, Warning};
use crate::support::{self, SupportField};

/// How an addendum row names its component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupportTarget {
    /// By package URL. Without a version it names every version of the package; with
    /// qualifiers, only components with those qualifiers.
    Purl(Purl),
    /// By the component's reference in the SBOM (CycloneDX `bom-ref`, SPDX `SPDXID`).
    Reference(String),
    /// By name (case-insensitive) and, if given, exact version.
    NameVersion {
        /// The component name.
        name: String,
        /// The version, if the row gives one.
        version: Option<String>,
    },
}

/// One row of a support addendum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportEntry {
    /// Where the row was read: `line 3` (CSV) or `[2]` (JSON).
    pub location: String,
    /// The component(s) the row is about.
    pub target: SupportTarget,
    /// The level of support, as written.
    pub level_of_support: Option<String>,
    /// The end-of-support date, `YYYY-MM-DD`.
    pub end_of_support: Option<String>,
}

/// The meaning of a column or key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Purl,
    Reference,
    Name,
    Version,
    Level,
    End,
}

fn column(name: &str) -> Option<Column> {
    let folded: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match folded.as_str() {
        "purl" | "packageurl" => Some(Column::Purl),
        "bomref" | "reference" | "ref" | "spdxid" => Some(Column::Reference),
        "name" | "component" | "componentname" => Some(Column::Name),
        "version" | "componentversion" => Some(Column::Version),
        _ => match support::field(name) {
            Some(SupportField::Level) => Some(Column::Level),
            Some(SupportField::End) => Some(Column::End),
            None => None,
        },
    }
}

/// Reads a support addendum (CSV or JSON, told apart by content).
pub fn read_addendum(
    name: &str,
    bytes: &[u8],
) -> Result<(Vec<SupportEntry>, Vec<Warning>), SbomError> {
    let bytes = bytes.strip_prefix(&[0xef, 0xbb, 0xbf][..]).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|error| SbomError::Addendum {
        file: name.to_string(),
        location: format!("line {}", crate::input::line_of(bytes, error.valid_up_to())),
        message: "the text is not valid UTF-8".to_string(),
    })?;
    match text.trim_start().chars().next() {
        None => Err(SbomError::Addendum {
            file: name.to_string(),
            location: "line 1".to_string(),
            message: "the addendum is empty".to_string(),
        }),
        Some('[' | '{') => read_json(name, text),
        Some(_) => read_csv(name, text),
    }
}

/// The cells of one row, by column, before they become an entry.
#[derive(Debug, Default)]
struct Row {
    purl: Option<String>,
    reference: Option<String>,
    name: Option<String>,
    version: Option<String>,
    level: Option<String>,
    end: Option<String>,
}

impl Row {
    fn set(&mut self, column: Column, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let slot = match column {
            Column::Purl => &mut self.purl,
            Column::Reference => &mut self.reference,
            Column::Name => &mut self.name,
            Column::Version => &mut self.version,
            Column::Level => &mut self.level,
            Column::End => &mut self.end,
        };
        *slot = Some(value.to_string());
    }

    fn into_entry(self, location: String, warnings: &mut Vec<Warning>) -> Option<SupportEntry> {
        let mut warn = |message: String| {
            warnings.push(Warning {
                location: location.clone(),
                reference: None,
                message,
            })
        };
        let mut target = None;
        if let Some(raw) = &self.purl {
            match raw.parse::<Purl>() {
                Ok(purl) => target = Some(SupportTarget::Purl(purl)),
                Err(error) => warn(format!("invalid package URL {raw:?} ({error})")),
            }
        }
        if target.is_none() {
            target = self
                .reference
                .clone()
                .map(SupportTarget::Reference)
                .or_else(|| {
                    self.name.clone().map(|name| SupportTarget::NameVersion {
                        name,
                        version: self.version.clone(),
                    })
                });
        }
        let Some(target) = target else {
            warn(
                "the row names no component (purl, bom-ref/reference or name); ignored".to_string(),
            );
            return None;
        };
        let end_of_support = self.end.as_deref().and_then(|raw| {
            let (date, message) = support::date(raw);
            if let Some(message) = message {
                warn(message);
            }
            date
        });
        if self.level.is_none() && end_of_support.is_none() {
            warn("the row sets neither level_of_support nor end_of_support; ignored".to_string());
            return None;
        }
        Some(SupportEntry {
            location,
            target,
            level_of_support: self.level,
            end_of_support,
        })
    }
}

fn read_json(name: &str, text: &str) -> Result<(Vec<SupportEntry>, Vec<Warning>), SbomError> {
    let value: Value = serde_json::from_str(text).map_err(|error| SbomError::Addendum {
        file: name.to_string(),
        location: format!("line {}, column {}", error.line(), error.column()),
        message: format!("invalid JSON: {}", crate::error::json_message(&error)),
    })?;
    let Value::Array(items) = value else {
        return Err(SbomError::Addendum {
            file: name.to_string(),
            location: "line 1".to_string(),
            message: "a JSON addendum is an array of objects".to_string(),
        });
    };
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let location = format!("[{index}]");
        let Value::Object(object) = item else {
            warnings.push(Warning {
                location,
                reference: None,
                message: "expected an object; ignored".to_string(),
            });
            continue;
        };
        let mut row = Row::default();
        for (key, value) in object {
            let Some(column) = column(key) else {
                warnings.push(Warning {
                    location: location.clone(),
                    reference: None,
                    message: format!("key {key:?} is not an addendum key; ignored"),
                });
                continue;
            };
            match value {
                Value::String(text) => row.set(column, text),
                Value::Number(number) => row.set(column, &number.to_string()),
                Value::Null => {}
                _ => warnings.push(Warning {
                    location: location.clone(),
                    reference: None,
                    message: format!("key {key:?} is not a string; ignored"),
                }),
            }
        }
        entries.extend(row.into_entry(location, &mut warnings));
    }
    Ok((entries, warnings))
}

fn read_csv(name: &str, text: &str) -> Result<(Vec<SupportEntry>, Vec<Warning>), SbomError> {
    let header_line = text.lines().next().unwrap_or_default();
    // Spreadsheets in many locales save with `;`; tab-separated exports exist too.
    let delimiter = [',', ';', '\t']
        .into_iter()
        .max_by_key(|delimiter| header_line.matches(*delimiter).count())
        .unwrap_or(',');
    let records = records(text, delimiter).map_err(|(line, message)| SbomError::Addendum {
        file: name.to_string(),
        location: format!("line {line}"),
        message,
    })?;
    let mut records = records.into_iter();
    let Some((header_line, header)) = records.next() else {
        return Err(SbomError::Addendum {
            file: name.to_string(),
            location: "line 1".to_string(),
            message: "the CSV has no header row".to_string(),
        });
    };
    let mut warnings = Vec::new();
    let columns: Vec<Option<Column>> = header
        .iter()
        .map(|cell| {
            let column = column(cell);
            if column.is_none() && !cell.trim().is_empty() {
                warnings.push(Warning {
                    location: format!("line {header_line}"),
                    reference: None,
                    message: format!(
                        "column {:?} is not an addendum column; ignored",
                        cell.trim()
                    ),
                });
            }
            column
        })
        .collect();
    let has = |wanted: &[Column]| {
        columns
            .iter()
            .flatten()
            .any(|column| wanted.contains(column))
    };
    if !has(&[Column::Purl, Column::Reference, Column::Name]) {
        return Err(SbomError::Addendum {
            file: name.to_string(),
            location: format!("line {header_line}"),
            message: "the header names no component column: purl, bom-ref (or reference) or name"
                .to_string(),
        });
    }
    if !has(&[Column::Level, Column::End]) {
        return Err(SbomError::Addendum {
            file: name.to_string(),
            location: format!("line {header_line}"),
            message: "the header has neither a level_of_support nor an end_of_support column"
                .to_string(),
        });
    }
    let mut entries = Vec::new();
    for (line, cells) in records {
        if cells.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let mut row = Row::default();
        for (index, cell) in cells.iter().enumerate() {
            match columns.get(index) {
                Some(Some(column)) => row.set(*column, cell),
                Some(None) => {}
                None => {
                    if !cell.trim().is_empty() {
                        warnings.push(Warning {
                            location: format!("line {line}"),
                            reference: None,
                            message: format!(
                                "more cells than header columns; {:?} is ignored",
                                cell.trim()
                            ),
                        });
                    }
                }
            }
        }
        entries.extend(row.into_entry(format!("line {line}"), &mut warnings));
    }
    Ok((entries, warnings))
}

/// Splits CSV text into records (RFC 4180: quoted cells may hold the delimiter, newlines
/// and doubled quotes), each with the line it starts on.
/// A CSV record: the line it starts on and its cells.
type Record = (usize, Vec<String>);

/// Where and why CSV cannot be split: the line and the message.
type CsvError = (usize, String);

fn records(text: &str, delimiter: char) -> Result<Vec<Record>, CsvError> {
    let mut records = Vec::new();
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut quoted = false;
    let mut quote_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    cell.push('\n');
                }
                _ => cell.push(c),
            }
            continue;
        }
        match c {
            '"' if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
                quote_line = line;
            }
            '\r' => {}
            '\n' => {
                cells.push(std::mem::take(&mut cell));
                records.push((record_line, std::mem::take(&mut cells)));
                line += 1;
                record_line = line;
            }
            c if c == delimiter => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    if quoted {
        return Err((quote_line, "a quoted cell is never closed".to_string()));
    }
    if !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        records.push((record_line, cells));
    }
    Ok(records)
}

/// Applies addendum entries to an SBOM's components: each entry sets the fields it has on
/// every component it names; later entries win over earlier ones and over values the SBOM
/// carried. An entry that names no component is a warning.
pub fn apply_addendum(sbom: &mut Sbom, entries: &[SupportEntry]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for entry in entries {
        let mut matched = 0;
        for component in sbom.components.iter_mut() {
            if !matches(&entry.target, component) {
                continue;
            }
            matched += 1;
            if let Some(level) = &entry.level_of_support {
                component.level_of_support = Some(level.clone());
            }
            if let Some(end) = &entry.end_of_support {
                component.end_of_support = Some(end.clone());
            }
        }
        if matched == 0 {
            warnings.push(Warning {
                location: entry.location.clone(),
                reference: None,
                message: format!(
                    "{} matches no component of the SBOM",
                    describe(&entry.target)
                ),
            });
        }
    }
    warnings
}

fn matches(target: &SupportTarget, component: &Component) -> bool {
    match target {
        SupportTarget::Purl(wanted) => component.purl.as_ref().is_some_and(|purl| {
            purl.without_version() == wanted.without_version()
                && wanted
                    .version()
                    .is_none_or(|version| purl.version() == Some(version))
                && wanted
                    .qualifiers()
                    .iter()
                    .all(|(key, value)| purl.qualifier(key) == Some(value.as_str()))
        }),
        SupportTarget::Reference(reference) => &component.reference == reference,
        SupportTarget::NameVersion { name, version } => {
            component.name.eq_ignore_ascii_case(name)
                && version
                    .as_deref()
                    .is_none_or(|version| component.version.as_deref() == Some(version))
        }
    }
}

fn describe(target: &SupportTarget) -> String {
    match target {
        SupportTarget::Purl(purl) => format!("package URL {purl}"),
        SupportTarget::Reference(reference) => format!("reference {reference:?}"),
        SupportTarget::NameVersion {
            name,
            version: Some(version),
        } => format!("component {name:?} {version}"),
        SupportTarget::NameVersion {
            name,
            version: None,
        } => format!("component {name:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_records(text: &str, expected: &[(usize, &[&str])]) {
        let records = records(text, ',').unwrap();
        let actual: Vec<(usize, Vec<&str>)> = records
            .iter()
            .map(|(line, cells)| (*line, cells.iter().map(String::as_str).collect()))
            .collect();
        let expected: Vec<(usize, Vec<&str>)> = expected
            .iter()
            .map(|(line, cells)| (*line, cells.to_vec()))
            .collect();
        assert_eq!(actual, expected, "{text:?}");
    }

    #[test]
    fn csv_records() {
        check_records("a,b\n1,2\n", &[(1, &["a", "b"]), (2, &["1", "2"])]);
        check_records("a,b\r\n1,2", &[(1, &["a", "b"]), (2, &["1", "2"])]);
        check_records("a\n\"x, \"\"y\"\"\"\n", &[(1, &["a"]), (2, &["x, \"y\""])]);
        check_records(
            "a,b\n\"multi\nline\",2\nz,3\n",
            &[
                (1, &["a", "b"]),
                (2, &["multi\nline", "2"]),
                (4, &["z", "3"]),
            ],
        );
        check_records("a,,c\n", &[(1, &["a", "", "c"])]);
        assert_eq!(
            records("a\n\"open\n", ','),
            Err((2, "a quoted cell is never closed".to_string()))
        );
    }

    fn check_column(name: &str, expected: Option<Column>) {
        assert_eq!(column(name), expected, "{name}");
    }

    #[test]
    fn column_names() {
        check_column("purl", Some(Column::Purl));
        check_column("Package URL", Some(Column::Purl));
        check_column("bom-ref", Some(Column::Reference));
        check_column("reference", Some(Column::Reference));
        check_column("SPDXID", Some(Column::Reference));
        check_column("Name", Some(Column::Name));
        check_column("version", Some(Column::Version));
        check_column("level_of_support", Some(Column::Level));
        check_column("Level of Support", Some(Column::Level));
        check_column("end-of-support", Some(Column::End));
        check_column("endOfSupport", Some(Column::End));
        check_column("comment", None);
    }
}
