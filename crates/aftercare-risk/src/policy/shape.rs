//! The policy file's shape as Rust data, and the checker that walks a parsed TOML document
//! against it.
//!
//! This is the Rust mirror of `policy/policy.schema.json`: the same keys, the same required
//! keys, types, bounds and label lists. A unit test walks both and fails when they disagree, so
//! the committed schema and the loader cannot drift apart. Checking the shape before serde
//! deserializes gives errors that name the full dotted key (`clock.remediation.days`), which
//! serde's own messages do not.

use crate::RiskError;

/// The shape of a value.
#[derive(Debug)]
pub(crate) enum Shape {
    /// A table with these keys and no others.
    Table(&'static [Field]),
    /// A table with exactly one of these keys (a condition of the exploitability rule).
    OneKeyOf(&'static [Field]),
    /// A string of at least this many characters.
    String { min_length: usize },
    /// A string from this list.
    Label(&'static [&'static str]),
    /// A `YYYY-MM-DD` date, as a string.
    Date,
    /// An integer within bounds.
    Integer { minimum: i64, maximum: i64 },
    /// A number (integer or float) within bounds.
    Number { minimum: f64, maximum: f64 },
    /// `true` or `false`.
    Boolean,
    /// An array of items, with a minimum length, optionally without duplicates.
    Array {
        items: &'static Shape,
        min_items: usize,
        unique: bool,
    },
}

/// A key of a table.
#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) required: bool,
    pub(crate) shape: &'static Shape,
}

const fn required(name: &'static str, shape: &'static Shape) -> Field {
    Field {
        name,
        required: true,
        shape,
    }
}

const fn optional(name: &'static str, shape: &'static Shape) -> Field {
    Field {
        name,
        required: false,
        shape,
    }
}

static TEXT: Shape = Shape::String { min_length: 1 };
static BOOLEAN: Shape = Shape::Boolean;
static IDENTIFIER: Shape = Shape::String { min_length: 1 };
static PROBABILITY: Shape = Shape::Number {
    minimum: 0.0,
    maximum: 1.0,
};
static RISK_CLASS: Shape = Shape::Label(&["controlled", "uncontrolled"]);

/// Weekday names accepted in `calendar.weekend`.
pub(crate) const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// CVSS severities accepted in `patch.out_of_cycle_cvss_severity`.
pub(crate) const CVSS_SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];

/// Exploit maturity codes accepted in `exploit_maturity_in`.
pub(crate) const EXPLOIT_MATURITY_CODES: &[&str] = &["U", "P", "F", "H", "A"];

static HEADER: Shape = Shape::Table(&[
    required("id", &IDENTIFIER),
    required("version", &TEXT),
    required(
        "format",
        &Shape::Integer {
            minimum: 2,
            maximum: 2,
        },
    ),
    required("description", &TEXT),
]);

static WEEKDAY: Shape = Shape::Label(WEEKDAYS);
static DATE: Shape = Shape::Date;

/// Years a holiday rule or a coverage may name: from 1600 (Easter is Gregorian) to 2999.
static YEAR: Shape = Shape::Integer {
    minimum: 1600,
    maximum: 2999,
};

static HOLIDAY: Shape = Shape::Table(&[
    required("name", &TEXT),
    optional("date", &Shape::String { min_length: 5 }),
    optional(
        "month",
        &Shape::Integer {
            minimum: 1,
            maximum: 12,
        },
    ),
    optional("weekday", &WEEKDAY),
    optional(
        "nth",
        &Shape::Integer {
            minimum: -1,
            maximum: 5,
        },
    ),
    optional(
        "easter_offset",
        &Shape::Integer {
            minimum: -200,
            maximum: 200,
        },
    ),
    optional(
        "observed",
        &Shape::Label(&["on_the_day", "nearest_weekday"]),
    ),
    optional("from_year", &YEAR),
    optional("until_year", &YEAR),
]);

static CLOSURE: Shape = Shape::Table(&[required("date", &DATE), required("reason", &TEXT)]);

static CALENDAR: Shape = Shape::Table(&[
    required("time_zone", &TEXT),
    required(
        "weekend",
        &Shape::Array {
            items: &WEEKDAY,
            min_items: 0,
            unique: true,
        },
    ),
    required(
        "holidays",
        &Shape::Array {
            items: &HOLIDAY,
            min_items: 0,
            unique: false,
        },
    ),
    required(
        "closures",
        &Shape::Array {
            items: &CLOSURE,
            min_items: 0,
            unique: false,
        },
    ),
    required("coverage_from_year", &YEAR),
    required("coverage_until_year", &YEAR),
    required(
        "deadline_on_non_working_day",
        &Shape::Label(&["keep", "next_working_day"]),
    ),
    required("source", &TEXT),
]);

static JURISDICTIONS: Shape = Shape::Table(&[required("us", &CALENDAR), required("eu", &CALENDAR)]);

static HARM_SEVERITY: Shape = Shape::Table(&[
    required("negligible", &TEXT),
    required("minor", &TEXT),
    required("serious", &TEXT),
    required("critical", &TEXT),
    required("catastrophic", &TEXT),
    required("source", &TEXT),
]);

static LEVEL: Shape = Shape::Table(&[required("id", &IDENTIFIER), required("label", &TEXT)]);

static CONDITION_LIST: Shape = Shape::Array {
    items: &CONDITION,
    min_items: 1,
    unique: false,
};
static MATURITY_CODE: Shape = Shape::Label(EXPLOIT_MATURITY_CODES);

/// The values of each CVSS exploitability metric a `cvss` condition may name (the union of
/// v3.x and v4.0; `X` for the temporal and threat metrics a vector may leave out).
const CVSS_AV: &[&str] = &["N", "A", "L", "P"];
const CVSS_AC: &[&str] = &["L", "H"];
const CVSS_AT: &[&str] = &["N", "P"];
const CVSS_PR: &[&str] = &["N", "L", "H"];
const CVSS_UI: &[&str] = &["N", "R", "P", "A"];
const CVSS_S: &[&str] = &["U", "C"];
const CVSS_E: &[&str] = &["X", "U", "P", "F", "H", "A"];
const CVSS_RL: &[&str] = &["X", "O", "T", "W", "U"];
const CVSS_RC: &[&str] = &["X", "U", "R", "C"];

const fn metric_values(labels: &'static Shape) -> Shape {
    Shape::Array {
        items: labels,
        min_items: 1,
        unique: true,
    }
}

static CVSS_CONDITION: Shape = Shape::Table(&[
    optional("AV", &metric_values(&Shape::Label(CVSS_AV))),
    optional("AC", &metric_values(&Shape::Label(CVSS_AC))),
    optional("AT", &metric_values(&Shape::Label(CVSS_AT))),
    optional("PR", &metric_values(&Shape::Label(CVSS_PR))),
    optional("UI", &metric_values(&Shape::Label(CVSS_UI))),
    optional("S", &metric_values(&Shape::Label(CVSS_S))),
    optional("E", &metric_values(&Shape::Label(CVSS_E))),
    optional("RL", &metric_values(&Shape::Label(CVSS_RL))),
    optional("RC", &metric_values(&Shape::Label(CVSS_RC))),
]);

/// A condition: a table with exactly one of these keys; `any` and `all` nest.
pub(crate) static CONDITION: Shape = Shape::OneKeyOf(&[
    optional("kev", &BOOLEAN),
    optional("kev_ransomware", &BOOLEAN),
    optional("epss_score_at_least", &PROBABILITY),
    optional("epss_percentile_at_least", &PROBABILITY),
    optional("epss_rise_at_least", &PROBABILITY),
    optional(
        "exploit_maturity_in",
        &Shape::Array {
            items: &MATURITY_CODE,
            min_items: 1,
            unique: true,
        },
    ),
    optional(
        "public_exploits_at_least",
        &Shape::Integer {
            minimum: 1,
            maximum: 1_000_000,
        },
    ),
    optional("cvss", &CVSS_CONDITION),
    optional(
        "cvss_exploitability_at_least",
        &Shape::Number {
            minimum: 0.0,
            maximum: 3.9,
        },
    ),
    optional("any", &CONDITION_LIST),
    optional("all", &CONDITION_LIST),
]);

static RULE: Shape = Shape::Table(&[
    required("id", &IDENTIFIER),
    required("description", &TEXT),
    required("level", &IDENTIFIER),
    required("when", &CONDITION),
]);

static EXPLOITABILITY: Shape = Shape::Table(&[
    required("default", &IDENTIFIER),
    required(
        "epss_trend_window_days",
        &Shape::Integer {
            minimum: 1,
            maximum: 3650,
        },
    ),
    required("source", &TEXT),
    required(
        "level",
        &Shape::Array {
            items: &LEVEL,
            min_items: 2,
            unique: false,
        },
    ),
    required(
        "rule",
        &Shape::Array {
            items: &RULE,
            min_items: 0,
            unique: false,
        },
    ),
]);

static MATRIX_ROW: Shape = Shape::Table(&[
    required("exploitability", &IDENTIFIER),
    required("negligible", &RISK_CLASS),
    required("minor", &RISK_CLASS),
    required("serious", &RISK_CLASS),
    required("critical", &RISK_CLASS),
    required("catastrophic", &RISK_CLASS),
]);

static DETERMINATION: Shape = Shape::Table(&[
    required("safety_and_essential_performance_required", &BOOLEAN),
    required(
        "compensating_control_exploitability_steps",
        &Shape::Integer {
            minimum: 0,
            maximum: 10,
        },
    ),
    required(
        "compensating_control_severity_steps",
        &Shape::Integer {
            minimum: 0,
            maximum: 4,
        },
    ),
    required("kev_floor", &IDENTIFIER),
    required("source", &TEXT),
    required(
        "matrix",
        &Shape::Array {
            items: &MATRIX_ROW,
            min_items: 2,
            unique: false,
        },
    ),
]);

static RATIONALE: Shape = Shape::Table(&[
    required(
        "min_chars",
        &Shape::Integer {
            minimum: 1,
            maximum: 10_000,
        },
    ),
    required("source", &TEXT),
]);

/// Evidence kinds accepted in `patch.evidence.controlled` and `.uncontrolled` (the labels of
/// [`crate::EvidenceKind`]; a test keeps the two lists equal).
pub(crate) const EVIDENCE_KINDS: &[&str] = &[
    "verification",
    "validation",
    "regression",
    "security_test",
    "impact_assessment",
];

static EVIDENCE_KIND_LIST: Shape = Shape::Array {
    items: &Shape::Label(EVIDENCE_KINDS),
    min_items: 1,
    unique: true,
};

/// The largest evidence file a policy may allow: evidence files are stored in the database,
/// and SQLite's default maximum length of a BLOB is 1,000,000,000 bytes (PostgreSQL's `bytea`
/// holds at most 1 GB).
pub(crate) const MAX_EVIDENCE_FILE_BYTES: i64 = 1_000_000_000;

static PATCH_EVIDENCE: Shape = Shape::Table(&[
    required("controlled", &EVIDENCE_KIND_LIST),
    required("uncontrolled", &EVIDENCE_KIND_LIST),
    required(
        "max_file_bytes",
        &Shape::Integer {
            minimum: 1,
            maximum: MAX_EVIDENCE_FILE_BYTES,
        },
    ),
    required("segregation_of_duties", &BOOLEAN),
    required("source", &TEXT),
]);

/// When a rollout's delivery counts as the patch's distribution; optional, so that a policy
/// written before it keeps loading (as `when = "offered"`).
static FIX_DISTRIBUTED: Shape = Shape::Table(&[
    required("when", &Shape::Label(&["offered", "installed"])),
    optional(
        "share",
        &Shape::Number {
            minimum: 0.0,
            maximum: 1.0,
        },
    ),
    required("source", &TEXT),
]);

static PATCH: Shape = Shape::Table(&[
    required("out_of_cycle_when_kev", &BOOLEAN),
    required("out_of_cycle_cvss_severity", &Shape::Label(CVSS_SEVERITIES)),
    required("source", &TEXT),
    required("evidence", &PATCH_EVIDENCE),
    optional("fix_distributed", &FIX_DISTRIBUTED),
]);

static ISAO: Shape = Shape::Table(&[
    required("member", &BOOLEAN),
    optional("name", &TEXT),
    required("source", &TEXT),
]);

static EVENT_TIME: Shape = Shape::Table(&[
    required(
        "future_tolerance_minutes",
        &Shape::Integer {
            minimum: 0,
            maximum: 60,
        },
    ),
    required(
        "backdating_after_hours",
        &Shape::Integer {
            minimum: 1,
            maximum: 720,
        },
    ),
    required("source", &TEXT),
]);

static VEX: Shape = Shape::Table(&[
    required("customer_controls_may_justify_not_affected", &BOOLEAN),
    required("source", &TEXT),
]);

static CLOCK_RULE: Shape = Shape::Table(&[
    required(
        "days",
        &Shape::Integer {
            minimum: 0,
            maximum: 3650,
        },
    ),
    required("day_kind", &Shape::Label(&["calendar", "working"])),
    required("enabled", &BOOLEAN),
    required("source", &TEXT),
    optional("deviation_rationale", &TEXT),
]);

static CLOCKS: Shape = Shape::Table(&[
    required("customer_communication", &CLOCK_RULE),
    required("remediation", &CLOCK_RULE),
    required("isao_sharing", &CLOCK_RULE),
    required("report_806", &CLOCK_RULE),
    required("regular_patch_cycle", &CLOCK_RULE),
    required("mdr_803", &CLOCK_RULE),
    required("mdr_803_5day", &CLOCK_RULE),
    required("mdr_803_supplemental", &CLOCK_RULE),
    required("eu_mdr_art87", &CLOCK_RULE),
    required("eu_mdr_art87_public_health_threat", &CLOCK_RULE),
    required("eu_mdr_art87_death_or_serious_deterioration", &CLOCK_RULE),
    required("disclosure_ack", &CLOCK_RULE),
]);

/// The whole policy file.
pub(crate) static POLICY: Shape = Shape::Table(&[
    required("policy", &HEADER),
    required("jurisdiction", &JURISDICTIONS),
    required("harm_severity", &HARM_SEVERITY),
    required("exploitability", &EXPLOITABILITY),
    required("determination", &DETERMINATION),
    required("rationale", &RATIONALE),
    required("patch", &PATCH),
    required("isao", &ISAO),
    required("event_time", &EVENT_TIME),
    required("vex", &VEX),
    required("clock", &CLOCKS),
]);

/// Checks a value against a shape; the error names the dotted key.
pub(crate) fn check(value: &toml::Value, shape: &Shape, key: &str) -> Result<(), RiskError> {
    let invalid = |problem: String| RiskError::PolicyInvalid {
        key: if key.is_empty() {
            "(root)".to_string()
        } else {
            key.to_string()
        },
        problem,
    };
    match shape {
        Shape::Table(fields) => {
            let table = value
                .as_table()
                .ok_or_else(|| invalid(format!("expected a table, found {}", kind(value))))?;
            for name in table.keys() {
                if !fields.iter().any(|field| field.name == name) {
                    return Err(RiskError::PolicyInvalid {
                        key: join(key, name),
                        problem: format!(
                            "unknown key (known here: {})",
                            fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
            }
            for field in fields.iter() {
                match table.get(field.name) {
                    Some(child) => check(child, field.shape, &join(key, field.name))?,
                    None if field.required => {
                        return Err(RiskError::PolicyInvalid {
                            key: join(key, field.name),
                            problem: "required key is missing".to_string(),
                        });
                    }
                    None => {}
                }
            }
            Ok(())
        }
        Shape::OneKeyOf(fields) => {
            let table = value.as_table().ok_or_else(|| {
                invalid(format!(
                    "expected a table with one condition, found {}",
                    kind(value)
                ))
            })?;
            let names = || fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", ");
            if table.len() != 1 {
                return Err(invalid(format!(
                    "expected exactly one condition key, found {} (conditions: {})",
                    table.len(),
                    names()
                )));
            }
            for (name, child) in table {
                let field = fields
                    .iter()
                    .find(|field| field.name == name)
                    .ok_or_else(|| RiskError::PolicyInvalid {
                        key: join(key, name),
                        problem: format!("unknown condition (conditions: {})", names()),
                    })?;
                check(child, field.shape, &join(key, name))?;
            }
            Ok(())
        }
        Shape::String { min_length } => {
            let text = value
                .as_str()
                .ok_or_else(|| invalid(format!("expected a string, found {}", kind(value))))?;
            if text.trim().chars().count() < *min_length {
                return Err(invalid(format!(
                    "expected at least {min_length} non-blank character(s)"
                )));
            }
            Ok(())
        }
        Shape::Label(labels) => {
            let text = value
                .as_str()
                .ok_or_else(|| invalid(format!("expected a string, found {}", kind(value))))?;
            if !labels.contains(&text) {
                return Err(invalid(format!(
                    "{text:?} is not one of {}",
                    labels.join(", ")
                )));
            }
            Ok(())
        }
        Shape::Date => {
            let text = value.as_str().ok_or_else(|| {
                invalid(format!(
                    "expected a YYYY-MM-DD string, found {}",
                    kind(value)
                ))
            })?;
            let well_formed = text.len() == 10
                && text.char_indices().all(|(index, c)| {
                    if index == 4 || index == 7 {
                        c == '-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if !well_formed || text.parse::<jiff::civil::Date>().is_err() {
                return Err(invalid(format!("{text:?} is not a YYYY-MM-DD date")));
            }
            Ok(())
        }
        Shape::Integer { minimum, maximum } => {
            let number = value
                .as_integer()
                .ok_or_else(|| invalid(format!("expected an integer, found {}", kind(value))))?;
            if number < *minimum || number > *maximum {
                return Err(invalid(format!(
                    "{number} is outside {minimum}..={maximum}"
                )));
            }
            Ok(())
        }
        Shape::Number { minimum, maximum } => {
            let number = match value {
                toml::Value::Float(number) => *number,
                toml::Value::Integer(number) => *number as f64,
                other => return Err(invalid(format!("expected a number, found {}", kind(other)))),
            };
            if !(number >= *minimum && number <= *maximum) {
                return Err(invalid(format!(
                    "{number} is outside {minimum}..={maximum}"
                )));
            }
            Ok(())
        }
        Shape::Boolean => {
            if value.is_bool() {
                Ok(())
            } else {
                Err(invalid(format!(
                    "expected true or false, found {}",
                    kind(value)
                )))
            }
        }
        Shape::Array {
            items,
            min_items,
            unique,
        } => {
            let array = value
                .as_array()
                .ok_or_else(|| invalid(format!("expected an array, found {}", kind(value))))?;
            if array.len() < *min_items {
                return Err(invalid(format!(
                    "expected at least {min_items} item(s), found {}",
                    array.len()
                )));
            }
            for (index, item) in array.iter().enumerate() {
                check(item, items, &format!("{key}[{index}]"))?;
                if *unique && array[..index].contains(item) {
                    return Err(invalid(format!("item {index} repeats an earlier item")));
                }
            }
            Ok(())
        }
    }
}

fn join(key: &str, name: &str) -> String {
    if key.is_empty() {
        name.to_string()
    } else {
        format!("{key}.{name}")
    }
}

fn kind(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a TOML date-time (write dates as \"YYYY-MM-DD\" strings)",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// Flattens a shape into one line per key path, for comparison with the JSON schema.
/// Recursion through conditions stops after `depth` levels of nesting.
#[cfg(test)]
pub(crate) fn describe(shape: &Shape, path: &str, depth: usize, out: &mut Vec<String>) {
    match shape {
        Shape::Table(fields) | Shape::OneKeyOf(fields) => {
            let one_of = matches!(shape, Shape::OneKeyOf(_));
            out.push(format!(
                "{path}: {}",
                if one_of { "one-key-object" } else { "object" }
            ));
            if depth == 0 {
                return;
            }
            for field in fields.iter() {
                let child = format!("{path}/{}", field.name);
                out.push(format!("{child} required={}", field.required));
                let next = if one_of { depth - 1 } else { depth };
                describe(field.shape, &child, next, out);
            }
        }
        Shape::String { min_length } => out.push(format!("{path}: string minLength={min_length}")),
        Shape::Label(labels) => out.push(format!("{path}: enum {}", labels.join("|"))),
        Shape::Date => out.push(format!("{path}: date")),
        Shape::Integer { minimum, maximum } => {
            out.push(format!("{path}: integer {minimum}..={maximum}"))
        }
        Shape::Number { minimum, maximum } => {
            out.push(format!("{path}: number {minimum}..={maximum}"))
        }
        Shape::Boolean => out.push(format!("{path}: boolean")),
        Shape::Array {
            items,
            min_items,
            unique,
        } => {
            out.push(format!(
                "{path}: array minItems={min_items} unique={unique}"
            ));
            describe(items, &format!("{path}[]"), depth, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Flattens the JSON schema the same way [`describe`] flattens the Rust shape.
    fn describe_schema(
        root: &Value,
        schema: &Value,
        path: &str,
        depth: usize,
        out: &mut Vec<String>,
    ) {
        let schema = match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/$defs/");
                &root["$defs"][name]
            }
            None => schema,
        };
        if let Some(alternatives) = schema.get("oneOf").and_then(Value::as_array) {
            out.push(format!("{path}: one-key-object"));
            if depth == 0 {
                return;
            }
            for alternative in alternatives {
                let properties = alternative["properties"].as_object().unwrap();
                assert_eq!(properties.len(), 1, "{path}: one key per alternative");
                assert_eq!(alternative["additionalProperties"], Value::Bool(false));
                for (name, child) in properties {
                    let child_path = format!("{path}/{name}");
                    out.push(format!("{child_path} required=false"));
                    describe_schema(root, child, &child_path, depth - 1, out);
                }
            }
            return;
        }
        match schema["type"].as_str().unwrap() {
            "object" => {
                assert_eq!(
                    schema["additionalProperties"],
                    Value::Bool(false),
                    "{path}: objects are closed, as the Rust loader is"
                );
                out.push(format!("{path}: object"));
                if depth == 0 {
                    return;
                }
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|name| name.as_str().unwrap())
                    .collect();
                for (name, child) in schema["properties"].as_object().unwrap() {
                    let child_path = format!("{path}/{name}");
                    out.push(format!(
                        "{child_path} required={}",
                        required.contains(&name.as_str())
                    ));
                    describe_schema(root, child, &child_path, depth, out);
                }
            }
            "string" => {
                if let Some(labels) = schema.get("enum").and_then(Value::as_array) {
                    let labels: Vec<&str> = labels.iter().map(|l| l.as_str().unwrap()).collect();
                    out.push(format!("{path}: enum {}", labels.join("|")));
                } else if schema.get("format").and_then(Value::as_str) == Some("date") {
                    out.push(format!("{path}: date"));
                } else {
                    out.push(format!("{path}: string minLength={}", schema["minLength"]));
                }
            }
            "integer" => out.push(format!(
                "{path}: integer {}..={}",
                schema["minimum"], schema["maximum"]
            )),
            "number" => out.push(format!(
                "{path}: number {}..={}",
                schema["minimum"].as_f64().unwrap(),
                schema["maximum"].as_f64().unwrap()
            )),
            "boolean" => out.push(format!("{path}: boolean")),
            "array" => {
                out.push(format!(
                    "{path}: array minItems={} unique={}",
                    schema["minItems"], schema["uniqueItems"]
                ));
                describe_schema(root, &schema["items"], &format!("{path}[]"), depth, out);
            }
            other => panic!("{path}: unexpected schema type {other}"),
        }
    }

    #[test]
    fn committed_schema_and_rust_loader_agree() {
        let schema: Value = serde_json::from_str(crate::policy::POLICY_SCHEMA_JSON).unwrap();
        let mut from_schema = Vec::new();
        describe_schema(&schema, &schema, "", 2, &mut from_schema);
        let mut from_rust = Vec::new();
        describe(&POLICY, "", 2, &mut from_rust);
        from_schema.sort();
        from_rust.sort();
        let only_schema: Vec<_> = from_schema
            .iter()
            .filter(|l| !from_rust.contains(l))
            .collect();
        let only_rust: Vec<_> = from_rust
            .iter()
            .filter(|l| !from_schema.contains(l))
            .collect();
        assert!(
            only_schema.is_empty() && only_rust.is_empty(),
            "schema and loader disagree:\nonly in schema: {only_schema:#?}\nonly in Rust: {only_rust:#?}"
        );
        // Deep enough to cover nested conditions (any / all inside any / all).
        assert!(from_rust.iter().any(|line| line.contains("/any[]/all[]")));
        assert!(from_rust.len() > 150, "{}", from_rust.len());
    }

    #[test]
    fn evidence_kinds_are_the_vocabulary() {
        let labels: Vec<&str> = crate::EvidenceKind::ALL
            .iter()
            .map(|kind| kind.as_str())
            .collect();
        assert_eq!(labels, EVIDENCE_KINDS);
    }

    #[test]
    fn default_policy_uses_every_key_the_schema_names() {
        // Every key of the schema appears in the default policy, so that the default shows a
        // manufacturer every option (conditions are alternatives and are exempt). A required
        // key must be in every table; an optional key (a holiday's `date` or `easter_offset`,
        // a clock's deviation rationale) in at least one table of its shape.
        let document: toml::Value = toml::from_str(crate::policy::DEFAULT_POLICY_TOML).unwrap();
        let mut missing = Vec::new();
        let mut optional_seen: Vec<(usize, &str, bool)> = Vec::new();
        fn walk<'a>(
            value: &toml::Value,
            shape: &'a Shape,
            path: &str,
            missing: &mut Vec<String>,
            optional_seen: &mut Vec<(usize, &'a str, bool)>,
        ) {
            match (shape, value) {
                (Shape::Table(fields), toml::Value::Table(table)) => {
                    let identity = shape as *const Shape as usize;
                    for field in fields.iter() {
                        let child_path = format!("{path}.{}", field.name);
                        let present = table.get(field.name);
                        if !field.required {
                            match optional_seen
                                .iter_mut()
                                .find(|(id, name, _)| *id == identity && *name == field.name)
                            {
                                Some(entry) => entry.2 |= present.is_some(),
                                None => {
                                    optional_seen.push((identity, field.name, present.is_some()))
                                }
                            }
                        }
                        match present {
                            Some(child) => {
                                walk(child, field.shape, &child_path, missing, optional_seen)
                            }
                            None if field.required => missing.push(child_path),
                            None => {}
                        }
                    }
                }
                (Shape::Array { items, .. }, toml::Value::Array(array)) => {
                    for item in array {
                        walk(item, items, &format!("{path}[]"), missing, optional_seen);
                    }
                }
                _ => {}
            }
        }
        walk(&document, &POLICY, "", &mut missing, &mut optional_seen);
        // The default follows the law, so it has no deviation to justify; it records a
        // distribution when the patch is offered, so it names no installed share.
        const NOT_IN_THE_DEFAULT: &[&str] = &["deviation_rationale", "share"];
        missing.extend(
            optional_seen
                .iter()
                .filter(|(_, name, seen)| !seen && !NOT_IN_THE_DEFAULT.contains(name))
                .map(|(_, name, _)| format!("optional key {name}")),
        );
        assert!(missing.is_empty(), "{missing:?}");
    }
}
