//! Snapshots of normalized records, one per source, reviewed by hand. The data is fixed, so
//! nothing is redacted.

use aftercare_intel::Content;

use crate::common::{file, member};

#[test]
fn osv_go_record() {
    let parsed = member("osv/Go.zip", "GO-2020-0001.json");
    insta::assert_debug_snapshot!(parsed.records()[0]);
}

#[test]
fn osv_bitnami_record_with_cpes() {
    let parsed = member("osv/Bitnami.zip", "BIT-activemq-2020-11998.json");
    insta::assert_debug_snapshot!(parsed.records()[0]);
}

#[test]
fn nvd_medical_device_record() {
    let parsed = member(
        "nvd/nvd-api-2.0-files.zip",
        "fkie-cad/nvd-json-data-feeds/CVE-2022/CVE-2022-402xx/CVE-2022-40263.json",
    );
    insta::assert_debug_snapshot!(parsed.records()[0]);
}

#[test]
fn cve5_record_with_vulnrichment() {
    let parsed = member(
        "cve5/vulnrichment-sample.zip",
        "2022/36xxx/CVE-2022-36352.json",
    );
    insta::assert_debug_snapshot!(parsed.records()[0]);
}

#[test]
fn kev_entry() {
    let parsed = file("kev/known_exploited_vulnerabilities.json");
    let Content::Kev(catalog) = parsed.content else {
        panic!()
    };
    let entry = catalog
        .entries
        .iter()
        .find(|entry| entry.cve.as_str() == "CVE-2023-44487")
        .unwrap();
    insta::assert_debug_snapshot!(entry);
}

#[test]
fn csaf_vex_record() {
    let parsed = file("csaf/oasis-csaf-2.0/examples/csaf/csaf_vex/2022-evd-uc-01-a-001.json");
    insta::assert_debug_snapshot!(parsed.records()[0]);
}

#[test]
fn csaf_medical_advisory() {
    let parsed = file("csaf/cisa-icsma/OT/white/2022/icsma-22-277-01.json");
    insta::assert_debug_snapshot!(parsed.records()[0]);
}
