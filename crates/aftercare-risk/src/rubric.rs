//! The MITRE/MDIC *Rubric for Applying CVSS to Medical Devices* (MITRE 2020, qualified by FDA
//! as a Medical Device Development Tool) as a versioned questionnaire: decision-flow questions
//! per CVSS v3.0 base metric, with impact judged per clinical category, loaded from
//! `policy/rubric/mitre-2020.toml` (embedded as the default).
//!
//! # File format
//!
//! `[rubric]` names the rubric (`id`, `version`, `title`, `source`), the CVSS version it scores
//! (`cvss_version = "3.0"`) and the prefix of its extended vector. Each `[[metric]]` is one
//! CVSS base metric (`AV`, `AC`, `PR`, `UI`, `S`, `C`, `I`, `A`, in this order) with its
//! `values` ordered from least to most severe and the `roots` of its decision flow. Each
//! `[[question]]` has an `id` (the rubric's extended-vector element, e.g. `XAVN`), the `metric`
//! it belongs to, its `number` in the rubric, an optional clinical `category`, its `text`, and
//! `[[question.option]]`s, each with a `code`, a `label` and either `next` (the next question)
//! or `value` (the metric value it sets).
//!
//! # Scoring
//!
//! For each metric, every root is walked from question to question by the answers until an
//! option sets a value; the metric's value is the most severe value any of its roots reached.
//! For the exploitability metrics there is one root, so this is the leaf of the decision flow;
//! for C, I and A there is one root per clinical category, so the worst category decides, as
//! the rubric asks. Answers to questions off the path are refused, so that the stored extended
//! vector says exactly which path was taken.
//!
//! # Extended vector
//!
//! `PREFIX:VERSION/ID:CODE/ID:CODE/...`, e.g. `MDR:1.0/XAVN:Y/XAVT:Y/XACL:Y/...`: the answered
//! questions in the rubric file's order, each as its id and the code of the chosen option. Ids
//! are `[A-Z0-9._]`, codes `[A-Z0-9]`, so `/` and `:` never occur inside them. The version is
//! the rubric file's version: a vector is parsed only by the rubric version that wrote it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::RiskError;

/// The MITRE 2020 rubric as shipped.
pub const MITRE_2020_TOML: &str = include_str!("../../../policy/rubric/mitre-2020.toml");

/// The CVSS v3.0 base metrics in vector order, with their allowed values.
const BASE_METRICS: [(&str, &[&str]); 8] = [
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "R"]),
    ("S", &["U", "C"]),
    ("C", &["N", "L", "H"]),
    ("I", &["N", "L", "H"]),
    ("A", &["N", "L", "H"]),
];

/// A validated rubric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rubric {
    id: String,
    version: String,
    title: String,
    source: String,
    extended_vector_prefix: String,
    metrics: Vec<RubricMetric>,
    questions: Vec<Question>,
}

/// One CVSS base metric and the roots of its decision flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubricMetric {
    /// The metric's abbreviation (`AV`).
    pub name: String,
    /// Its name (`Attack Vector`).
    pub title: String,
    /// Its values, least severe first.
    pub values: Vec<String>,
    /// The first question of each decision flow.
    pub roots: Vec<String>,
}

/// One question of the rubric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The extended-vector element (`XAVN`).
    pub id: String,
    /// The metric it belongs to.
    pub metric: String,
    /// Its number in the rubric (`Q1`, `Q1.1.C`).
    pub number: String,
    /// The clinical category, for impact questions.
    pub category: Option<String>,
    /// The question.
    pub text: String,
    /// The answer options.
    pub options: Vec<AnswerOption>,
}

/// One answer option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerOption {
    /// The code stored in the extended vector (`Y`).
    pub code: String,
    /// The answer in words.
    pub label: String,
    /// Where the answer leads.
    pub outcome: OptionOutcome,
}

/// Where an answer leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionOutcome {
    /// To another question.
    Next(String),
    /// To a metric value.
    Value(String),
}

/// Answers by question id: the code of the chosen option.
pub type Answers = BTreeMap<String, String>;

/// The result of answering the rubric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubricResult {
    /// The CVSS v3.0 base vector (`CVSS:3.0/AV:N/AC:L/...`).
    pub base_vector: String,
    /// The extended vector of the answers (see the module documentation).
    pub extended_vector: String,
    /// Each base metric and its value, in vector order.
    pub metrics: Vec<(String, String)>,
}

impl Rubric {
    /// Loads and validates a rubric from TOML; `origin` goes into messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Rubric, RiskError> {
        let file: RubricFile = toml::from_str(text).map_err(|source| RiskError::RubricSyntax {
            origin: origin.to_string(),
            source: Box::new(source),
        })?;
        let rubric = Rubric {
            id: file.rubric.id,
            version: file.rubric.version,
            title: file.rubric.title,
            source: file.rubric.source,
            extended_vector_prefix: file.rubric.extended_vector_prefix,
            metrics: file
                .metric
                .into_iter()
                .map(|metric| RubricMetric {
                    name: metric.name,
                    title: metric.title,
                    values: metric.values,
                    roots: metric.roots,
                })
                .collect(),
            questions: file
                .question
                .into_iter()
                .map(|question| {
                    let options = question
                        .option
                        .into_iter()
                        .map(|option| {
                            let outcome = match (option.next, option.value) {
                                (Some(next), None) => OptionOutcome::Next(next),
                                (None, Some(value)) => OptionOutcome::Value(value),
                                _ => {
                                    return Err(invalid(
                                        format!("question {} option {}", question.id, option.code),
                                        "needs exactly one of `next` and `value`",
                                    ));
                                }
                            };
                            Ok(AnswerOption {
                                code: option.code,
                                label: option.label,
                                outcome,
                            })
                        })
                        .collect::<Result<Vec<_>, RiskError>>()?;
                    Ok(Question {
                        id: question.id,
                        metric: question.metric,
                        number: question.number,
                        category: question.category,
                        text: question.text,
                        options,
                    })
                })
                .collect::<Result<Vec<_>, RiskError>>()?,
        };
        if file.rubric.cvss_version != "3.0" {
            return Err(invalid(
                "rubric.cvss_version",
                format!(
                    "{:?}: this rubric format scores CVSS 3.0",
                    file.rubric.cvss_version
                ),
            ));
        }
        rubric.validate()?;
        Ok(rubric)
    }

    /// The MITRE 2020 rubric shipped with aftercare.
    pub fn mitre_2020() -> Result<Rubric, RiskError> {
        Rubric::from_toml(MITRE_2020_TOML, "built-in policy/rubric/mitre-2020.toml")
    }

    /// The rubric's id (`mitre-2020`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The version of the rubric file; it is part of the extended vector.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The rubric's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Where the rubric comes from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The prefix of its extended vectors (`MDR`), followed by `:` and the version.
    pub fn extended_vector_prefix(&self) -> &str {
        &self.extended_vector_prefix
    }

    /// The metrics in vector order.
    pub fn metrics(&self) -> &[RubricMetric] {
        &self.metrics
    }

    /// The questions in file order.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|question| question.id == id)
    }

    fn validate(&self) -> Result<(), RiskError> {
        if !is_token(&self.extended_vector_prefix, false) || !is_version(&self.version) {
            return Err(invalid(
                "rubric.extended_vector_prefix / rubric.version",
                "the prefix is [A-Z0-9._] and the version [0-9.] (they start the extended vector)",
            ));
        }
        let names: Vec<&str> = self.metrics.iter().map(|m| m.name.as_str()).collect();
        let expected: Vec<&str> = BASE_METRICS.iter().map(|(name, _)| *name).collect();
        if names != expected {
            return Err(invalid(
                "metric",
                format!(
                    "expected the CVSS v3.0 base metrics {} in this order, found {}",
                    expected.join(", "),
                    names.join(", ")
                ),
            ));
        }
        let mut ids = BTreeSet::new();
        for question in &self.questions {
            if !is_token(&question.id, false) {
                return Err(invalid(
                    format!("question {:?}", question.id),
                    "an id is one or more of A-Z, 0-9, '.', '_'",
                ));
            }
            if !ids.insert(question.id.as_str()) {
                return Err(invalid(
                    format!("question {}", question.id),
                    "defined twice",
                ));
            }
        }
        for (metric, (_, allowed)) in self.metrics.iter().zip(BASE_METRICS) {
            let location = format!("metric {}", metric.name);
            if metric.values.is_empty() || metric.roots.is_empty() {
                return Err(invalid(location, "needs values and roots"));
            }
            let mut seen = BTreeSet::new();
            for value in &metric.values {
                if !allowed.contains(&value.as_str()) || !seen.insert(value) {
                    return Err(invalid(
                        location,
                        format!(
                            "value {value:?} is not a CVSS v3.0 value of it or repeats (allowed: {})",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
            for root in &metric.roots {
                match self.question(root) {
                    Some(question) if question.metric == metric.name => {}
                    _ => {
                        return Err(invalid(
                            location,
                            format!("root {root:?} is not a question of this metric"),
                        ));
                    }
                }
            }
        }
        for question in &self.questions {
            let location = format!("question {}", question.id);
            let metric = self
                .metrics
                .iter()
                .find(|metric| metric.name == question.metric)
                .ok_or_else(|| {
                    invalid(&location, format!("unknown metric {:?}", question.metric))
                })?;
            if question.options.is_empty() {
                return Err(invalid(location, "has no options"));
            }
            let mut codes = BTreeSet::new();
            for option in &question.options {
                if !is_token(&option.code, true) || !codes.insert(option.code.as_str()) {
                    return Err(invalid(
                        &location,
                        format!("option code {:?} is not [A-Z0-9]+ or repeats", option.code),
                    ));
                }
                match &option.outcome {
                    OptionOutcome::Next(next) => match self.question(next) {
                        Some(target) if target.metric == question.metric => {}
                        _ => {
                            return Err(invalid(
                                &location,
                                format!(
                                    "option {} leads to {next:?}, not a question of metric {}",
                                    option.code, question.metric
                                ),
                            ));
                        }
                    },
                    OptionOutcome::Value(value) => {
                        if !metric.values.contains(value) {
                            return Err(invalid(
                                &location,
                                format!(
                                    "option {} sets {value:?}, not a value of metric {}",
                                    option.code, question.metric
                                ),
                            ));
                        }
                    }
                }
            }
        }
        // Every question must be reachable from a root, and no flow may loop.
        let mut reached = BTreeSet::new();
        for metric in &self.metrics {
            for root in &metric.roots {
                self.walk_all(root, &mut Vec::new(), &mut reached)?;
            }
        }
        if let Some(orphan) = self
            .questions
            .iter()
            .find(|question| !reached.contains(question.id.as_str()))
        {
            return Err(invalid(
                format!("question {}", orphan.id),
                "is not reachable from any root of its metric",
            ));
        }
        Ok(())
    }

    fn walk_all<'a>(
        &'a self,
        id: &'a str,
        stack: &mut Vec<&'a str>,
        reached: &mut BTreeSet<&'a str>,
    ) -> Result<(), RiskError> {
        if stack.contains(&id) {
            return Err(invalid(
                format!("question {id}"),
                format!("the decision flow loops: {} -> {id}", stack.join(" -> ")),
            ));
        }
        reached.insert(id);
        let Some(question) = self.question(id) else {
            return Ok(());
        };
        stack.push(id);
        for option in &question.options {
            if let OptionOutcome::Next(next) = &option.outcome {
                self.walk_all(next, stack, reached)?;
            }
        }
        stack.pop();
        Ok(())
    }
}

/// Answers the rubric: the CVSS v3.0 base vector and the extended vector of the answers.
///
/// Errors name the first unanswered question on the path (with its text), an unknown question
/// or option, or an answer off the path.
pub fn answer(rubric: &Rubric, answers: &Answers) -> Result<RubricResult, RiskError> {
    for (id, code) in answers {
        let question = rubric
            .question(id)
            .ok_or_else(|| RiskError::RubricUnknownQuestion {
                question: id.clone(),
            })?;
        if !question.options.iter().any(|option| option.code == *code) {
            return Err(RiskError::RubricUnknownOption {
                question: id.clone(),
                answer: code.clone(),
                expected: question
                    .options
                    .iter()
                    .map(|option| option.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let mut on_path = BTreeSet::new();
    let mut metrics = Vec::new();
    for metric in &rubric.metrics {
        let mut worst: Option<usize> = None;
        for root in &metric.roots {
            let value = follow(rubric, root, answers, &mut on_path)?;
            let rank = metric
                .values
                .iter()
                .position(|known| *known == value)
                .unwrap_or(metric.values.len());
            worst = Some(worst.map_or(rank, |worst| worst.max(rank)));
        }
        let value = worst
            .and_then(|rank| metric.values.get(rank))
            .cloned()
            .ok_or_else(|| invalid(format!("metric {}", metric.name), "produced no value"))?;
        metrics.push((metric.name.clone(), value));
    }
    if let Some(off) = answers.keys().find(|id| !on_path.contains(id.as_str())) {
        return Err(RiskError::RubricAnswerOffPath {
            question: off.clone(),
        });
    }
    let base_vector = std::iter::once("CVSS:3.0".to_string())
        .chain(
            metrics
                .iter()
                .map(|(name, value)| format!("{name}:{value}")),
        )
        .collect::<Vec<_>>()
        .join("/");
    let extended_vector = std::iter::once(format!(
        "{}:{}",
        rubric.extended_vector_prefix, rubric.version
    ))
    .chain(rubric.questions.iter().filter_map(|question| {
        answers
            .get(&question.id)
            .map(|code| format!("{}:{code}", question.id))
    }))
    .collect::<Vec<_>>()
    .join("/");
    Ok(RubricResult {
        base_vector,
        extended_vector,
        metrics,
    })
}

/// Walks one decision flow from `root` by the answers to the value it sets.
fn follow<'a>(
    rubric: &'a Rubric,
    root: &'a str,
    answers: &Answers,
    on_path: &mut BTreeSet<&'a str>,
) -> Result<String, RiskError> {
    let mut id = root;
    // A validated rubric has no loops; the bound only guards against a broken invariant.
    for _ in 0..=rubric.questions.len() {
        let question = rubric
            .question(id)
            .ok_or_else(|| RiskError::RubricUnknownQuestion {
                question: id.to_string(),
            })?;
        let code = answers
            .get(id)
            .ok_or_else(|| RiskError::RubricAnswerMissing {
                question: question.id.clone(),
                text: question.text.clone(),
            })?;
        on_path.insert(question.id.as_str());
        let option = question
            .options
            .iter()
            .find(|option| option.code == *code)
            .ok_or_else(|| RiskError::RubricUnknownOption {
                question: id.to_string(),
                answer: code.clone(),
                expected: String::new(),
            })?;
        match &option.outcome {
            OptionOutcome::Value(value) => return Ok(value.clone()),
            OptionOutcome::Next(next) => id = next,
        }
    }
    Err(invalid(
        format!("question {root}"),
        "the decision flow loops",
    ))
}

/// Parses an extended vector written by this rubric version back into answers.
pub fn parse_extended_vector(rubric: &Rubric, vector: &str) -> Result<Answers, RiskError> {
    let error = |problem: String| RiskError::ExtendedVector {
        vector: vector.to_string(),
        problem,
    };
    let mut parts = vector.trim().split('/');
    let head = parts.next().unwrap_or_default();
    let expected = format!("{}:{}", rubric.extended_vector_prefix, rubric.version);
    if head != expected {
        return Err(error(format!(
            "starts with {head:?}; this rubric ({} version {}) reads vectors starting with {expected:?}",
            rubric.id, rubric.version
        )));
    }
    let mut answers = Answers::new();
    for part in parts {
        let (id, code) = part
            .split_once(':')
            .ok_or_else(|| error(format!("{part:?} is not ID:CODE")))?;
        if rubric.question(id).is_none() {
            return Err(error(format!("{id:?} is not a question of this rubric")));
        }
        if answers.insert(id.to_string(), code.to_string()).is_some() {
            return Err(error(format!("{id} is answered twice")));
        }
    }
    Ok(answers)
}

fn invalid(location: impl Into<String>, problem: impl Into<String>) -> RiskError {
    RiskError::RubricInvalid {
        location: location.into(),
        problem: problem.into(),
    }
}

/// Whether a string is a vector token: `[A-Z0-9]+`, plus `.` and `_` unless `code_only`.
fn is_token(text: &str, code_only: bool) -> bool {
    !text.is_empty()
        && text.chars().all(|c| {
            c.is_ascii_uppercase() || c.is_ascii_digit() || (!code_only && (c == '.' || c == '_'))
        })
}

fn is_version(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.')
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RubricFile {
    rubric: RubricHeaderFile,
    metric: Vec<MetricFile>,
    question: Vec<QuestionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RubricHeaderFile {
    id: String,
    version: String,
    title: String,
    source: String,
    cvss_version: String,
    extended_vector_prefix: String,
    #[allow(dead_code, reason = "for people reading the file")]
    notes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricFile {
    name: String,
    title: String,
    values: Vec<String>,
    roots: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    id: String,
    metric: String,
    number: String,
    category: Option<String>,
    text: String,
    option: Vec<OptionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionFile {
    code: String,
    label: String,
    next: Option<String>,
    value: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(vector: &str) -> Answers {
        vector
            .split('/')
            .map(|pair| {
                let (id, code) = pair.split_once(':').unwrap();
                (id.to_string(), code.to_string())
            })
            .collect()
    }

    /// Answers (as `ID:CODE/...`) → the base vector and its CVSS v3.0 base score.
    fn check(given: &str, base_vector: &str, base_score: f64) {
        let rubric = Rubric::mitre_2020().unwrap();
        let result = answer(&rubric, &answers(given)).unwrap();
        assert_eq!(result.base_vector, base_vector, "{given}");
        // The vector is a valid CVSS v3.0 vector; its score was computed by hand from the
        // v3.0 specification's equations and is checked by the CVSS crate.
        let cvss = aftercare_cvss::parse(&result.base_vector).unwrap();
        assert_eq!(cvss.base_score(), base_score, "{base_vector}");
        // The extended vector reads back to the same answers.
        let parsed = parse_extended_vector(&rubric, &result.extended_vector).unwrap();
        assert_eq!(parsed, answers(given));
        assert_eq!(answer(&rubric, &parsed).unwrap(), result);
    }

    const NO_OTHER_IMPACT: &str =
        "XCW:N/XCS:N/XCO:N/XIP:N/XIW:N/XIS:N/XIO:N/XAP:N/XAW:N/XAS:N/XAO:N";

    #[test]
    fn worked_examples() {
        // Hand-checked against the decision flow. An insulin pump over Bluetooth LE (range
        // over 10 feet, no login) whose vulnerability lets an attacker change and stop dosing
        // and read some therapy settings.
        check(
            &format!(
                "XAVN:Y/XAVT:N/XAVW:Y/XAVR:N/XACL:Y/XPRL:N/XUI:N/XS:N/XCP:N/XCD:N/XCT:L/\
                 XID:N/XIT:H/XAD:N/XAT:H/{NO_OTHER_IMPACT}"
            ),
            "CVSS:3.0/AV:A/AC:L/PR:N/UI:N/S:U/C:L/I:H/A:H",
            8.3,
        );
        // A patient monitor on the hospital IP network; an authenticated clinician-level user
        // can read the PHI of more than 500 patients and alter and suppress vital signs.
        check(
            &format!(
                "XAVN:Y/XAVT:Y/XACL:Y/XPRL:Y/XPRZ:Y/XPRS:N/XUI:N/XS:N/XCP:Y/XCPM:Y/XCD:N/XCT:N/\
                 XID:H/XIT:N/XAD:H/XAT:N/{NO_OTHER_IMPACT}"
            ),
            "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            8.8,
        );
        // A service port that needs the case opened, an administrator, a technician's help and
        // special conditions; it leaks some system data of another component.
        check(
            "XAVN:N/XAVP:Y/XAVPA:N/XACL:N/XPRL:Y/XPRZ:Y/XPRS:Y/XUI:Y/XS:Y/XCP:N/XCD:N/XCT:N/\
             XCW:N/XCS:L/XCO:N/XIP:N/XID:N/XIT:N/XIW:N/XIS:N/XIO:N/XAP:N/XAD:N/XAT:N/XAW:N/\
             XAS:N/XAO:N",
            "CVSS:3.0/AV:P/AC:H/PR:H/UI:R/S:C/C:L/I:N/A:N",
            1.8,
        );
        // Unknown answers score the worst case.
        check(
            "XAVN:X/XACL:X/XPRL:X/XUI:X/XS:X/XCP:X/XCD:N/XCT:N/XCW:N/XCS:N/XCO:N/XIP:N/XID:N/\
             XIT:N/XIW:N/XIS:N/XIO:N/XAP:N/XAD:N/XAT:N/XAW:N/XAS:N/XAO:N",
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N",
            8.6,
        );
    }

    #[test]
    fn extended_vector_format() {
        let rubric = Rubric::mitre_2020().unwrap();
        let result = answer(
            &rubric,
            &answers(&format!(
                "XAVN:Y/XAVT:Y/XACL:Y/XPRL:N/XUI:N/XS:N/XCP:N/XCD:N/XCT:N/XID:N/XIT:N/XAD:N/XAT:N/\
                 {NO_OTHER_IMPACT}"
            )),
        )
        .unwrap();
        assert_eq!(
            result.extended_vector,
            "MDR:1.0/XAVN:Y/XAVT:Y/XACL:Y/XPRL:N/XUI:N/XS:N/XCP:N/XCD:N/XCT:N/XCW:N/XCS:N/\
             XCO:N/XIP:N/XID:N/XIT:N/XIW:N/XIS:N/XIO:N/XAP:N/XAD:N/XAT:N/XAW:N/XAS:N/XAO:N"
        );
        assert_eq!(result.metrics[0], ("AV".to_string(), "N".to_string()));
        for (vector, problem) in [
            ("MDR:2.0/XAVN:Y", "reads vectors starting with \"MDR:1.0\""),
            ("MDR:1.0/XAVN", "is not ID:CODE"),
            ("MDR:1.0/XQQ:Y", "\"XQQ\" is not a question"),
            ("MDR:1.0/XAVN:Y/XAVN:N", "XAVN is answered twice"),
        ] {
            let error = parse_extended_vector(&rubric, vector)
                .unwrap_err()
                .to_string();
            assert!(error.contains(problem), "{vector}: {error}");
        }
    }

    #[test]
    fn answer_errors_name_the_question() {
        let rubric = Rubric::mitre_2020().unwrap();
        for (given, expected) in [
            (
                "XAVN:Y",
                "question XAVT is not answered: Does the network use OSI layer 3 or 4",
            ),
            ("XAVN:Y/XAVT:Y", "question XACL is not answered"),
            (
                "XAVN:Q",
                "\"Q\" is not an answer to rubric question XAVN (options: Y, N, X)",
            ),
            ("XAVN:Y/XAVZ:Y", "rubric has no question XAVZ"),
        ] {
            let error = answer(&rubric, &answers(given)).unwrap_err().to_string();
            assert!(error.contains(expected), "{given}: {error}");
        }
        // An answer off the path the other answers take.
        let off_path = format!(
            "XAVN:Y/XAVT:Y/XAVP:Y/XACL:Y/XPRL:N/XUI:N/XS:N/XCP:N/XCD:N/XCT:N/XID:N/XIT:N/XAD:N/\
             XAT:N/{NO_OTHER_IMPACT}"
        );
        let error = answer(&rubric, &answers(&off_path))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("XAVP was answered but is not on the path"),
            "{error}"
        );
    }

    /// An edit of the shipped rubric and the text its validation error must contain.
    fn check_invalid(from: &str, to: &str, expected: &str) {
        assert!(MITRE_2020_TOML.contains(from), "{from}");
        let edited = MITRE_2020_TOML.replacen(from, to, 1);
        let error = Rubric::from_toml(&edited, "edited")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(expected),
            "{error:?} does not contain {expected:?}"
        );
    }

    #[test]
    fn rubric_validation() {
        let rubric = Rubric::mitre_2020().unwrap();
        assert_eq!(rubric.questions().len(), 31);
        assert_eq!(rubric.id(), "mitre-2020");
        check_invalid(
            "{ code = \"Y\", label = \"Yes: AV Network\", value = \"N\" }",
            "{ code = \"Y\", label = \"Yes\", next = \"XAVN\" }",
            "the decision flow loops",
        );
        check_invalid(
            "{ code = \"Y\", label = \"Yes\", next = \"XAVR\" }",
            "{ code = \"Y\", label = \"Yes\", next = \"XACL\" }",
            "not a question of metric AV",
        );
        check_invalid(
            "{ code = \"N\", label = \"No: AV Adjacent\", value = \"A\" }",
            "{ code = \"N\", label = \"No\", value = \"H\" }",
            "sets \"H\", not a value of metric AV",
        );
        check_invalid(
            "{ code = \"N\", label = \"No: AV Adjacent\", value = \"A\" }",
            "{ code = \"N\", label = \"No\", value = \"A\", next = \"XAVR\" }",
            "exactly one of `next` and `value`",
        );
        check_invalid(
            "roots = [\"XACL\"]",
            "roots = [\"XAVN\"]",
            "not a question of this metric",
        );
        check_invalid("name = \"UI\"", "name = \"UX\"", "CVSS v3.0 base metrics");
        check_invalid(
            "{ code = \"Y\", label = \"Yes\", next = \"XAVPA\" }",
            "{ code = \"Y\", label = \"Yes\", value = \"P\" }",
            "question XAVPA: is not reachable",
        );
        check_invalid(
            "cvss_version = \"3.0\"",
            "cvss_version = \"3.1\"",
            "scores CVSS 3.0",
        );
        check_invalid("id = \"XAVT\"", "id = \"XAVN\"", "defined twice");
    }
}
