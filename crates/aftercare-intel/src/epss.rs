//! FIRST EPSS scores (CSV, optionally gzipped): an enrichment keyed by CVE.
//!
//! The daily file starts with a comment line naming the model and the score date, then a
//! header, then one row per CVE:
//!
//! ```text
//! #model_version:v2023.03.01,score_date:2023-03-19T00:00:00+0000
//! cve,epss,percentile
//! CVE-1999-0001,0.01167,0.83132
//! ```

use aftercare_model::VulnerabilityId;
use jiff::Timestamp;

use crate::date::timestamp_field;
use crate::field;
use crate::warning::{WarningKind, Warnings};

/// The scores of one EPSS file.
#[derive(Debug, Clone, PartialEq)]
pub struct EpssScores {
    /// The model version (`v2023.03.01`).
    pub model_version: Option<String>,
    /// The date the scores were computed for.
    pub score_date: Option<Timestamp>,
    /// One score per CVE, in file order.
    pub scores: Vec<EpssScore>,
}

/// The EPSS score of one CVE.
#[derive(Debug, Clone, PartialEq)]
pub struct EpssScore {
    /// The CVE.
    pub cve: VulnerabilityId,
    /// The probability of exploitation activity in the next 30 days, 0–1.
    pub epss: f64,
    /// The score's percentile among all scored CVEs, 0–1.
    pub percentile: f64,
}

/// Whether bytes look like an EPSS file: the comment line or the header comes first.
pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.starts_with(b"#model_version") || bytes.starts_with(b"cve,epss")
}

/// Reads an EPSS CSV file; `Err` names what is missing when the header is not there.
pub(crate) fn read(bytes: &[u8], warnings: &mut Warnings<'_>) -> Result<EpssScores, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|error| format!("not UTF-8: {error}"))?;
    let mut lines = text.lines().enumerate().peekable();
    let mut model_version = None;
    let mut score_date = None;
    if let Some((_, line)) = lines.peek()
        && let Some(comment) = line.strip_prefix('#')
    {
        for part in comment.split(',') {
            match part.split_once(':') {
                Some(("model_version", value)) => model_version = Some(value.trim().to_string()),
                Some(("score_date", value)) => {
                    score_date = timestamp_field(warnings, "score_date", Some(value));
                }
                _ => warnings.push(
                    WarningKind::UnknownValue,
                    format!("unknown part {part:?} in the EPSS comment line"),
                ),
            }
        }
        lines.next();
    }
    let Some((_, header)) = lines.next() else {
        return Err("the header `cve,epss,percentile` is missing".to_string());
    };
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let position = |name: &str| columns.iter().position(|column| *column == name);
    let (Some(cve_column), Some(epss_column), Some(percentile_column)) =
        (position("cve"), position("epss"), position("percentile"))
    else {
        return Err(format!(
            "the header {header:?} lacks one of the columns cve, epss, percentile"
        ));
    };
    let mut scores = Vec::new();
    for (index, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let cell = |column: usize| cells.get(column).copied().unwrap_or("");
        warnings.set_record(Some(format!("line {}", index + 1)));
        let Some(cve) = field::id(warnings, "cve", cell(cve_column)) else {
            continue;
        };
        if !cve.is_cve() {
            warnings.push(
                WarningKind::InvalidId,
                format!("{cve} is not a CVE id; row skipped"),
            );
            continue;
        }
        let number = |raw: &str| raw.parse::<f64>().ok().filter(|n| (0.0..=1.0).contains(n));
        match (number(cell(epss_column)), number(cell(percentile_column))) {
            (Some(epss), Some(percentile)) => scores.push(EpssScore {
                cve,
                epss,
                percentile,
            }),
            _ => warnings.push(
                WarningKind::InvalidNumber,
                format!("{cve}: epss and percentile must be numbers from 0 to 1; row skipped"),
            ),
        }
    }
    warnings.set_record(None);
    Ok(EpssScores {
        model_version,
        score_date,
        scores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_reports_bad_ones() {
        let text = "#model_version:v2023.03.01,score_date:2023-03-19T00:00:00+0000\n\
                    cve,epss,percentile\n\
                    CVE-1999-0001,0.5,0.9\n\
                    CVE-1999-0002,1.5,0.9\n\
                    not-a-cve,0.1,0.1\n";
        let mut warnings = Warnings::new("epss.csv");
        let scores = read(text.as_bytes(), &mut warnings).unwrap();
        assert_eq!(scores.model_version.as_deref(), Some("v2023.03.01"));
        assert_eq!(
            scores.score_date.map(|d| d.to_string()).as_deref(),
            Some("2023-03-19T00:00:00Z")
        );
        assert_eq!(scores.scores.len(), 1);
        let kinds: Vec<WarningKind> = warnings.into_vec().iter().map(|w| w.kind).collect();
        assert_eq!(
            kinds,
            vec![WarningKind::InvalidNumber, WarningKind::InvalidId]
        );
    }

    #[test]
    fn header_is_required() {
        let mut warnings = Warnings::new("epss.csv");
        assert!(read(b"#model_version:v1\n", &mut warnings).is_err());
        assert!(read(b"cve,score\nCVE-2020-0001,1\n", &mut warnings).is_err());
    }
}
