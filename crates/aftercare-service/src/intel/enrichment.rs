//! Applying the enrichments keyed by CVE: the CISA KEV catalog (the current catalog replaces
//! the stored one entry by entry) and FIRST EPSS scores (the current score per CVE, plus a
//! history row whenever the score of a CVE aftercare knows changes).

use std::collections::{HashMap, HashSet};

use aftercare_intel::kev::Ransomware;
use aftercare_intel::{EpssScores, KevCatalog};
use aftercare_store::Tx;
use aftercare_store::intel::{self, EpssRow, KevRow};

use super::state::BatchOutcome;
use crate::ServiceError;

fn ransomware(value: &Ransomware) -> String {
    match value {
        Ransomware::Known => "Known".to_string(),
        Ransomware::Unknown => "Unknown".to_string(),
        Ransomware::Other(text) => text.clone(),
    }
}

/// The catalog's entries as rows.
pub(crate) fn kev_rows(catalog: &KevCatalog, feed_id: i64, run_id: i64) -> Vec<KevRow> {
    let mut rows: Vec<KevRow> = catalog
        .entries
        .iter()
        .map(|entry| KevRow {
            cve: entry.cve.to_string(),
            vendor_project: entry.vendor_project.clone(),
            product: entry.product.clone(),
            vulnerability_name: entry.vulnerability_name.clone(),
            date_added: entry.date_added.map(|d| d.to_string()),
            due_date: entry.due_date.map(|d| d.to_string()),
            ransomware: entry.known_ransomware_campaign_use.as_ref().map(ransomware),
            required_action: entry.required_action.clone(),
            short_description: entry.short_description.clone(),
            notes: entry.notes.clone(),
            cwes: entry.cwes.clone(),
            catalog_version: catalog.version.clone(),
            feed_id,
            run_id,
        })
        .collect();
    rows.sort_by(|a, b| a.cve.cmp(&b.cve));
    rows.dedup_by(|a, b| a.cve == b.cve);
    rows
}

/// Whether two entries say the same (the run and catalog version that stored them aside).
fn same_entry(a: &KevRow, b: &KevRow) -> bool {
    KevRow {
        feed_id: 0,
        run_id: 0,
        catalog_version: None,
        ..a.clone()
    } == KevRow {
        feed_id: 0,
        run_id: 0,
        catalog_version: None,
        ..b.clone()
    }
}

/// Replaces the stored catalog with this one: new and changed entries are written, entries no
/// longer listed are removed (counted as withdrawn). The delta names each CVE that changed.
pub(crate) async fn apply_kev(
    tx: &mut Tx,
    rows: Vec<KevRow>,
) -> Result<BatchOutcome, ServiceError> {
    let mut outcome = BatchOutcome::default();
    let stored: HashMap<String, KevRow> = intel::kev_entries(tx.conn())
        .await?
        .into_iter()
        .map(|row| (row.cve.clone(), row))
        .collect();
    let listed: HashSet<&str> = rows.iter().map(|row| row.cve.as_str()).collect();
    let mut write = Vec::new();
    for row in &rows {
        match stored.get(&row.cve) {
            None => {
                outcome.counts.new += 1;
                outcome.changes.push(("kev", row.cve.clone()));
                write.push(row.clone());
            }
            Some(old) if !same_entry(old, row) => {
                outcome.counts.updated += 1;
                outcome.changes.push(("kev", row.cve.clone()));
                write.push(row.clone());
            }
            Some(_) => outcome.counts.unchanged += 1,
        }
    }
    let mut gone: Vec<String> = stored
        .keys()
        .filter(|cve| !listed.contains(cve.as_str()))
        .cloned()
        .collect();
    gone.sort();
    outcome.counts.withdrawn += gone.len() as i64;
    outcome
        .changes
        .extend(gone.iter().map(|cve| ("kev", cve.clone())));
    intel::upsert_kev(tx, &write).await?;
    intel::delete_kev(tx, &gone).await?;
    Ok(outcome)
}

/// Applies a day of EPSS scores: the current score of each CVE is replaced when it changed,
/// and a history row is added for CVEs that name a stored vulnerability (the daily file
/// scores every published CVE; keeping all of it every day would dwarf the rest of the
/// database). The delta names the score date, not each CVE.
pub(crate) async fn apply_epss(
    tx: &mut Tx,
    scores: &EpssScores,
) -> Result<BatchOutcome, ServiceError> {
    let mut outcome = BatchOutcome::default();
    let score_date = scores
        .score_date
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "unknown".to_string());
    let stored: HashMap<String, (f64, f64, String)> = intel::epss_scores(tx.conn())
        .await?
        .into_iter()
        .map(|row| (row.cve, (row.epss, row.percentile, row.score_date)))
        .collect();
    let known: HashSet<String> = intel::known_cves(tx.conn()).await?.into_iter().collect();
    let mut current = Vec::new();
    let mut history = Vec::new();
    let mut seen = HashSet::new();
    for score in &scores.scores {
        let cve = score.cve.to_string();
        if !seen.insert(cve.clone()) {
            continue;
        }
        let row = EpssRow {
            cve: cve.clone(),
            score_date: score_date.clone(),
            epss: score.epss,
            percentile: score.percentile,
            model_version: scores.model_version.clone(),
        };
        let changed = match stored.get(&cve) {
            None => {
                outcome.counts.new += 1;
                true
            }
            Some((epss, percentile, date)) => {
                if *epss != score.epss || *percentile != score.percentile || *date != score_date {
                    outcome.counts.updated += 1;
                    true
                } else {
                    outcome.counts.unchanged += 1;
                    false
                }
            }
        };
        if changed {
            let epss_moved = stored
                .get(&cve)
                .is_none_or(|(epss, _, _)| *epss != score.epss);
            if known.contains(&cve) && epss_moved {
                history.push(row.clone());
            }
            current.push(row);
        }
    }
    intel::upsert_epss(tx, &current).await?;
    intel::insert_epss_history(tx, &history).await?;
    if !current.is_empty() {
        outcome.changes.push(("epss", score_date));
    }
    Ok(outcome)
}
