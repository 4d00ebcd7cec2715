//! CPE matching on real records: the NVD medical-device CVEs (fkie-cad feed files) against
//! components with CPEs, and CISA's CVE 5 ADP products.

use aftercare_intel::Record;
use aftercare_match::{Component, Index, Matched};
use aftercare_model::Cpe;

fn nvd_record(path: &str) -> Record {
    let entry = aftercare_testdata::zip_entries("nvd/nvd-api-2.0-files.zip")
        .into_iter()
        .find(|entry| entry.name == path)
        .unwrap_or_else(|| panic!("no {path}"));
    aftercare_intel::read_document(path, &entry.bytes)
        .unwrap()
        .into_records()
        .remove(0)
}

fn cve5_record(path: &str) -> Record {
    let entry = aftercare_testdata::zip_entries("cve5/vulnrichment-sample.zip")
        .into_iter()
        .find(|entry| entry.name == path)
        .unwrap_or_else(|| panic!("no {path}"));
    aftercare_intel::read_document(path, &entry.bytes)
        .unwrap()
        .into_records()
        .remove(0)
}

fn device_index() -> Index {
    Index::build(
        [
            "fkie-cad/nvd-json-data-feeds/CVE-2020/CVE-2020-251xx/CVE-2020-25165.json",
            "fkie-cad/nvd-json-data-feeds/CVE-2021/CVE-2021-384xx/CVE-2021-38400.json",
            "fkie-cad/nvd-json-data-feeds/CVE-2022/CVE-2022-402xx/CVE-2022-40263.json",
            "fkie-cad/nvd-json-data-feeds/CVE-2023/CVE-2023-72xx/CVE-2023-7238.json",
            "fkie-cad/nvd-json-data-feeds/CVE-2024/CVE-2024-221xx/CVE-2024-22100.json",
        ]
        .into_iter()
        .map(nvd_record),
    )
}

fn cpe(text: &str) -> Cpe {
    text.parse().unwrap()
}

fn component(cpes: &[&str], version: Option<&str>) -> Component {
    let mut component = Component::new("device software", version);
    component.cpes = cpes.iter().map(|text| cpe(text)).collect();
    component
}

/// The CVE ids found for a component on a platform.
fn check(index: &Index, own: &[&str], version: Option<&str>, platform: &[&str], expected: &[&str]) {
    let component = component(own, version);
    let platform: Vec<Cpe> = platform.iter().map(|text| cpe(text)).collect();
    let scan = index.scan(std::slice::from_ref(&component), &platform);
    let found: Vec<&str> = scan
        .findings
        .iter()
        .map(|finding| finding.vulnerability.as_str())
        .collect();
    assert_eq!(found, expected, "{own:?} {version:?} on {platform:?}");
    for finding in &scan.findings {
        for reason in &finding.reasons {
            assert!(
                matches!(reason.matched, Matched::Cpe { .. } | Matched::Cve5 { .. }),
                "{reason:?}"
            );
            assert!(reason.confidence < aftercare_match::Confidence::High);
        }
    }
}

const ZOOM_FIRMWARE: &str = "cpe:2.3:o:bostonscientific:zoom_latitude_pogrammer\\/recorder\\/monitor_3120_firmware:2.0:*:*:*:*:*:*:*";
const ZOOM_HARDWARE: &str =
    "cpe:2.3:h:bostonscientific:zoom_latitude_pogrammer\\/recorder\\/monitor_3120:-:*:*:*:*:*:*:*";

#[test]
fn boston_scientific_zoom_latitude_cve_2021_38400() {
    let index = device_index();
    // Every firmware version (criterion version ANY, no bounds), on its hardware.
    check(
        &index,
        &[ZOOM_FIRMWARE],
        None,
        &[ZOOM_HARDWARE],
        &["CVE-2021-38400"],
    );
    // The escaped `/` written as a CPE 2.2 URI (`%2f`) is the same name.
    check(
        &index,
        &["cpe:/o:bostonscientific:zoom_latitude_pogrammer%2frecorder%2fmonitor_3120_firmware:2.0"],
        None,
        &["cpe:/h:bostonscientific:zoom_latitude_pogrammer%2frecorder%2fmonitor_3120:-"],
        &["CVE-2021-38400"],
    );
    // "Running on": without the hardware in the SBOM the configuration does not hold.
    check(&index, &[ZOOM_FIRMWARE], None, &[], &[]);
    // The hardware itself is the platform, not vulnerable.
    check(&index, &[ZOOM_HARDWARE], None, &[ZOOM_FIRMWARE], &[]);
}

#[test]
fn bd_alaris_cve_2020_25165() {
    let index = device_index();
    let hardware = "cpe:2.3:h:bd:alaris_8015_pcu:-:*:*:*:*:*:*:*";
    let firmware =
        |version: &str| format!("cpe:2.3:o:bd:alaris_8015_pcu_firmware:{version}:*:*:*:*:*:*:*");
    // versionEndIncluding 9.33.1.
    check(
        &index,
        &[&firmware("9.33.1")],
        None,
        &[hardware],
        &["CVE-2020-25165"],
    );
    check(
        &index,
        &[&firmware("9.5")],
        None,
        &[hardware],
        &["CVE-2020-25165"],
    );
    check(&index, &[&firmware("9.33.2")], None, &[hardware], &[]);
    check(&index, &[&firmware("12.1.0")], None, &[hardware], &[]);
    // The second configuration has no platform: Alaris Systems Manager up to 4.33.
    check(
        &index,
        &["cpe:2.3:a:bd:alaris_systems_manager:4.33:*:*:*:*:*:*:*"],
        None,
        &[],
        &["CVE-2020-25165"],
    );
    check(
        &index,
        &["cpe:2.3:a:bd:alaris_systems_manager:4.34:*:*:*:*:*:*:*"],
        None,
        &[],
        &[],
    );
    // A CPE without a version takes the component's version.
    check(
        &index,
        &["cpe:2.3:a:bd:alaris_systems_manager:*:*:*:*:*:*:*:*"],
        Some("4.1"),
        &[],
        &["CVE-2020-25165"],
    );
    check(
        &index,
        &["cpe:2.3:a:bd:alaris_systems_manager:*:*:*:*:*:*:*:*"],
        None,
        &[],
        &[],
    );
}

#[test]
fn other_device_cves() {
    let index = device_index();
    // MicroDICOM, versionEndExcluding 2024.1.
    check(
        &index,
        &["cpe:2.3:a:microdicom:dicom_viewer:2023.3:*:*:*:*:*:*:*"],
        None,
        &[],
        &["CVE-2024-22100"],
    );
    check(
        &index,
        &["cpe:2.3:a:microdicom:dicom_viewer:2024.1:*:*:*:*:*:*:*"],
        None,
        &[],
        &[],
    );
    // BD Totalys MultiProcessor firmware < 1.71 on its hardware.
    check(
        &index,
        &["cpe:2.3:o:bd:totalys_multiprocessor_firmware:1.70:*:*:*:*:*:*:*"],
        None,
        &["cpe:2.3:h:bd:totalys_multiprocessor:-:*:*:*:*:*:*:*"],
        &["CVE-2022-40263"],
    );
    // Orthanc (CVE-2023-7238) is not analysed yet: no configuration, nothing matches.
    check(
        &index,
        &["cpe:2.3:a:orthanc-server:orthanc:1.0:*:*:*:*:*:*:*"],
        None,
        &[],
        &[],
    );
}

#[test]
fn the_reason_names_the_criterion_and_the_fix() {
    let index = device_index();
    let component = component(
        &["cpe:2.3:a:microdicom:dicom_viewer:2023.3:*:*:*:*:*:*:*"],
        None,
    );
    let scan = index.scan(std::slice::from_ref(&component), &[]);
    let finding = &scan.findings[0];
    assert_eq!(finding.fixed_versions, ["2024.1"]);
    let Matched::Cpe {
        criterion, bounds, ..
    } = &finding.reasons[0].matched
    else {
        panic!("{:?}", finding.reasons[0]);
    };
    assert_eq!(
        criterion,
        "cpe:2.3:a:microdicom:dicom_viewer:*:*:*:*:*:*:*:*"
    );
    assert_eq!(bounds.as_deref(), Some("< 2024.1"));
}

#[test]
fn cisa_adp_cpe_products_of_cve5_records() {
    // CVE-2013-0643 (Flash Player): CISA's ADP container lists the CPE with two ranges.
    let index = Index::build([cve5_record("2013/0xxx/CVE-2013-0643.json")]);
    let flash = |version: &str| format!("cpe:2.3:a:adobe:flash_player:{version}:*:*:*:*:*:*:*");
    check(
        &index,
        &[&flash("11.5.502.146")],
        None,
        &[],
        &["CVE-2013-0643"],
    );
    check(
        &index,
        &[&flash("10.3.183.50")],
        None,
        &[],
        &["CVE-2013-0643"],
    );
    check(&index, &[&flash("11.6.602.171")], None, &[], &[]);
    check(&index, &[&flash("10.3.183.67")], None, &[], &[]);
}
