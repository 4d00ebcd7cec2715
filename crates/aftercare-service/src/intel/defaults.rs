//! The official sources, so that a feed needs only its kind (and, for OSV, an ecosystem).

use super::FeedKind;

/// osv.dev's per-ecosystem dumps: `<base>/<Ecosystem>/all.zip`.
pub const OSV_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// The NVD CVE API 2.0.
pub const NVD_API: &str = "https://services.nvd.nist.gov/rest/json/cves/2.0";
/// CISA's KEV catalog as JSON.
pub const KEV_JSON: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// FIRST EPSS: today's scores of every CVE.
pub const EPSS_CSV: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";
/// The variable that carries the NVD API key.
pub const NVD_API_KEY_ENV: &str = "AFTERCARE_NVD_API_KEY";

/// The default URL of a kind, if it has one (CVE 5 and CSAF have none: name the provider).
pub fn url(kind: FeedKind, ecosystem: Option<&str>) -> Option<String> {
    match kind {
        FeedKind::Osv => ecosystem.map(|ecosystem| {
            let escaped: String = ecosystem
                .chars()
                .map(|c| match c {
                    ' ' => "%20".to_string(),
                    other => other.to_string(),
                })
                .collect();
            format!("{OSV_BASE}/{escaped}/all.zip")
        }),
        FeedKind::Nvd => Some(NVD_API.to_string()),
        FeedKind::Kev => Some(KEV_JSON.to_string()),
        FeedKind::Epss => Some(EPSS_CSV.to_string()),
        FeedKind::Cve5 | FeedKind::Csaf => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        assert_eq!(
            url(FeedKind::Osv, Some("PyPI")).as_deref(),
            Some("https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip")
        );
        assert_eq!(
            url(FeedKind::Osv, Some("Red Hat")).as_deref(),
            Some("https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip")
        );
        assert_eq!(url(FeedKind::Osv, None), None);
        assert_eq!(url(FeedKind::Csaf, None), None);
        assert!(url(FeedKind::Epss, None).unwrap().ends_with(".csv.gz"));
    }
}
