//! `aftercare cvss VECTOR`: score a CVSS vector.

use serde::Serialize;

use crate::Outcome;
use crate::cli::OutputFormat;
use crate::output::emit;

/// The scores of a vector (`--format json`).
#[derive(Debug, Serialize)]
struct Scores {
    version: &'static str,
    vector: String,
    base_score: f64,
    base_severity: String,
    temporal_score: Option<f64>,
    threat_score: Option<f64>,
    environmental_score: Option<f64>,
    score: f64,
    severity: String,
}

pub(crate) fn run(vector: &str, format: OutputFormat) -> anyhow::Result<Outcome> {
    let (cvss, warnings) = aftercare_cvss::parse_with_warnings(vector)?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let scores = Scores {
        version: cvss.version().as_str(),
        vector: cvss.vector(),
        base_score: cvss.base_score(),
        base_severity: cvss.base_severity().as_str().to_lowercase(),
        temporal_score: cvss.temporal_score(),
        threat_score: cvss.threat_score(),
        environmental_score: cvss.environmental_score(),
        score: cvss.score(),
        severity: cvss.severity().as_str().to_lowercase(),
    };
    emit(format, &scores, || {
        let optional = |value: Option<f64>| value.map_or("-".to_string(), |v| format!("{v:.1}"));
        format!(
            "version:             {}\nvector:              {}\nbase score:          {:.1} ({})\n\
             temporal score:      {}\nthreat score:        {}\nenvironmental score: {}\n\
             severity:            {}\n",
            scores.version,
            scores.vector,
            scores.base_score,
            scores.base_severity,
            optional(scores.temporal_score),
            optional(scores.threat_score),
            optional(scores.environmental_score),
            scores.severity,
        )
    })?;
    Ok(Outcome::Ok)
}
