//! The search over vulnerabilities: text, KEV, EPSS, ecosystem, package and publication
//! filters, one page at a time.

use sqlx::Row;

use super::vulnerability::{VULNERABILITY_COLUMNS, VulnerabilityRow, vulnerability_from_row};
use crate::StoreError;

/// Which vulnerabilities a search wants.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    /// Text in an id, summary or description (case-insensitive).
    pub text: Option<String>,
    /// Only vulnerabilities in the KEV catalog.
    pub kev: bool,
    /// Only those whose latest EPSS score is above this.
    pub epss_above: Option<f64>,
    /// Only those affecting a package of this ecosystem (its OSV name, `PyPI`).
    pub ecosystem: Option<String>,
    /// Only those affecting this package key exactly (`PyPI/django`).
    pub package_key: Option<String>,
    /// Only those affecting a package of this name in any ecosystem (normalized lowercase).
    pub package_name: Option<String>,
    /// Only those published at or after this time (stored text).
    pub published_since: Option<String>,
    /// Include withdrawn vulnerabilities.
    pub include_withdrawn: bool,
    /// Skip this many.
    pub offset: i64,
    /// Return at most this many.
    pub limit: i64,
}

fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Searches active vulnerabilities; returns the total number of matches and one page, newest
/// publication first. Only the filters given become SQL conditions (a generic plan for
/// `$1 IS NULL OR …` made PostgreSQL scan the affected index once per vulnerability).
pub async fn search(
    pool: &sqlx::AnyPool,
    filter: &SearchFilter,
) -> Result<(i64, Vec<VulnerabilityRow>), StoreError> {
    let mut conditions = vec!["v.status = 'active'".to_string()];
    let mut values: Vec<Option<String>> = Vec::new();
    let next = |value: String, values: &mut Vec<Option<String>>| {
        values.push(Some(value));
        format!("${}", values.len())
    };
    if !filter.include_withdrawn {
        conditions.push("v.withdrawn = 0".to_string());
    }
    if let Some(text) = &filter.text {
        let p = next(
            format!("%{}%", like_escape(&text.to_lowercase())),
            &mut values,
        );
        conditions.push(format!(
            "(LOWER(COALESCE(v.summary, '')) LIKE {p} ESCAPE '\\' \
             OR v.id IN (SELECT a.vulnerability_id FROM aliases a WHERE LOWER(a.alias) LIKE {p} ESCAPE '\\') \
             OR v.id IN (SELECT vr.vulnerability_id FROM vulnerability_records vr JOIN records r ON r.id = vr.record_id \
                         WHERE LOWER(COALESCE(r.summary, '')) LIKE {p} ESCAPE '\\' \
                         OR LOWER(COALESCE(r.description, '')) LIKE {p} ESCAPE '\\'))"
        ));
    }
    if filter.kev {
        conditions.push("v.canonical IN (SELECT k.cve FROM kev_entries k)".to_string());
    }
    let epss_position = filter.epss_above.map(|_| values.len() + 1);
    if let Some(position) = epss_position {
        values.push(None);
        conditions.push(format!(
            "v.canonical IN (SELECT e.cve FROM epss_scores e WHERE e.epss > ${position})"
        ));
    }
    let packages = |condition: String| {
        format!(
            "v.id IN (SELECT vr.vulnerability_id FROM vulnerability_records vr \
             JOIN affected_packages ap ON ap.record_id = vr.record_id WHERE {condition})"
        )
    };
    if let Some(key) = &filter.package_key {
        let p = next(key.clone(), &mut values);
        conditions.push(packages(format!("ap.package_key = {p}")));
    }
    if let Some(ecosystem) = &filter.ecosystem {
        let p = next(format!("{}/%", like_escape(ecosystem)), &mut values);
        conditions.push(packages(format!("ap.package_key LIKE {p} ESCAPE '\\'")));
    }
    if let Some(name) = &filter.package_name {
        let p = next(
            format!("%/{}", like_escape(&name.to_lowercase())),
            &mut values,
        );
        conditions.push(packages(format!(
            "LOWER(ap.package_key) LIKE {p} ESCAPE '\\'"
        )));
    }
    if let Some(since) = &filter.published_since {
        let p = next(since.clone(), &mut values);
        conditions.push(format!("v.published >= {p}"));
    }
    let condition = conditions.join(" AND ");
    macro_rules! bind {
        ($sql:expr) => {{
            let mut query = sqlx::query($sql);
            for (index, value) in values.iter().enumerate() {
                query = match (value, epss_position) {
                    (None, Some(position)) if position == index + 1 => {
                        query.bind(filter.epss_above.unwrap_or(0.0))
                    }
                    _ => query.bind(value.clone()),
                };
            }
            query
        }};
    }
    let count_sql =
        format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM vulnerabilities v WHERE {condition}");
    let total: i64 = bind!(&count_sql)
        .fetch_one(pool)
        .await
        .and_then(|row| row.try_get("n"))
        .map_err(StoreError::query("count vulnerabilities"))?;
    let columns: Vec<String> = VULNERABILITY_COLUMNS
        .split(", ")
        .map(|column| format!("v.{column}"))
        .collect();
    let page_sql = format!(
        "SELECT {} FROM vulnerabilities v WHERE {condition} \
         ORDER BY (v.published IS NULL), v.published DESC, v.id LIMIT {} OFFSET {}",
        columns.join(", "),
        filter.limit.max(0),
        filter.offset.max(0)
    );
    let rows = bind!(&page_sql)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("search vulnerabilities"))?;
    let page = rows
        .iter()
        .map(vulnerability_from_row)
        .collect::<Result<_, _>>()
        .map_err(StoreError::query("search vulnerabilities"))?;
    Ok((total, page))
}
