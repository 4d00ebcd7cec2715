//! The worked examples of FIRST's CVSS documents, each with its source.
//!
//! The v3.x and v4.0 example documents were read through transcriptions in public test suites
//! (their vectors and scores, not their prose); every case below also agrees with the
//! independent Python calculator used for `tests/data/vectors.tsv`.

use aftercare_cvss::{CvssVersion, Severity};

use crate::{parse, show};

/// Checks base, temporal-or-threat and environmental scores; `None` means the vector has no
/// metric of that group.
fn check(vector: &str, base: f64, temporal: Option<f64>, environmental: Option<f64>) {
    let cvss = parse(vector);
    let actual = (
        show(Some(cvss.base_score())),
        show(cvss.temporal_score().or(cvss.threat_score())),
        show(cvss.environmental_score()),
    );
    let expected = (show(Some(base)), show(temporal), show(environmental));
    assert_eq!(
        actual, expected,
        "{vector}: (base, temporal or threat, environmental)"
    );
}

/// Checks the most specific score of a vector, as the v4.0 examples give it.
fn check_score(vector: &str, score: f64) {
    let cvss = parse(vector);
    assert_eq!(show(Some(cvss.score())), show(Some(score)), "{vector}");
}

/// FIRST, "A Complete Guide to the Common Vulnerability Scoring System Version 2.0",
/// section 3.3 "Examples" (https://www.first.org/cvss/v2/guide), with the guide's upper
/// environmental setting CDP:H/TD:H.
#[test]
fn v2_guide_section_3_3() {
    // 3.3.1 CVE-2002-0392 (Apache chunked encoding memory corruption). The guide's 9.2 needs
    // exact decimal rounding of 9.15; binary floating point gives 9.1 (as NVD's calculator).
    check(
        "AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H",
        7.8,
        Some(6.4),
        Some(9.2),
    );
    // 3.3.2 CVE-2003-0818 (Microsoft Windows ASN.1 library integer handling).
    check(
        "AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:L",
        10.0,
        Some(8.3),
        Some(9.0),
    );
    // 3.3.3 CVE-2003-0062 (buffer overflow in NOD32 antivirus).
    check(
        "AV:L/AC:H/Au:N/C:C/I:C/A:C/E:POC/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:M",
        6.2,
        Some(4.9),
        Some(7.5),
    );
    // The same base vectors as NVD writes them.
    check("(AV:N/AC:L/Au:N/C:N/I:N/A:C)", 7.8, None, None);
    check("(AV:L/AC:H/Au:N/C:C/I:C/A:C)", 6.2, None, None);
}

/// FIRST, "Common Vulnerability Scoring System v3.0: Examples"
/// (https://www.first.org/cvss/v3.0/examples): examples that v3.1 rescored or dropped.
#[test]
fn v3_0_examples() {
    // phpMyAdmin reflected cross-site scripting, CVE-2013-1937.
    check(
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        6.1,
        None,
        None,
    );
    // DokuWiki reflected cross-site scripting, CVE-2014-9253.
    check(
        "CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
        5.4,
        None,
        None,
    );
    // Cisco IOS arbitrary command execution, CVE-2012-0384 (v3.1 rescored PR:L to PR:H).
    check(
        "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        8.8,
        None,
        None,
    );
}

/// FIRST, "Common Vulnerability Scoring System v3.1: Examples"
/// (https://www.first.org/cvss/v3.1/examples), section by section: (CVE, vector, base score).
#[test]
fn v3_1_examples() {
    let examples = [
        (
            "CVE-2013-0375 MySQL stored SQL injection",
            "AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
            6.4,
        ),
        (
            "CVE-2014-3566 SSLv3 POODLE",
            "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
            3.1,
        ),
        (
            "CVE-2012-1516 VMware guest to host escape",
            "AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H",
            9.9,
        ),
        (
            "CVE-2009-0783 Apache Tomcat XML parser",
            "AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L",
            4.2,
        ),
        (
            "CVE-2012-0384 Cisco IOS command execution",
            "AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
            7.2,
        ),
        (
            "CVE-2015-1098 Apple iWork denial of service",
            "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
            7.8,
        ),
        (
            "CVE-2014-0160 OpenSSL Heartbleed",
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            7.5,
        ),
        (
            "CVE-2008-1447 DNS Kaminsky bug",
            "AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N",
            6.8,
        ),
        (
            "CVE-2014-2005 Sophos login screen bypass",
            "AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            6.8,
        ),
        (
            "CVE-2010-0467 Joomla directory traversal",
            "AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N",
            5.8,
        ),
        (
            "CVE-2012-1342 Cisco access control bypass",
            "AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N",
            5.8,
        ),
        (
            "CVE-2013-6014 Juniper proxy ARP denial of service",
            "AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H",
            9.3,
        ),
        (
            "CVE-2011-1265 Windows Bluetooth code execution",
            "AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            8.8,
        ),
        (
            "CVE-2014-2019 Apple iOS security control bypass",
            "AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N",
            4.6,
        ),
        (
            "CVE-2015-0970 SearchBlox cross-site request forgery",
            "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
            8.8,
        ),
        (
            "CVE-2014-0224 SSL/TLS man in the middle",
            "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N",
            7.4,
        ),
        (
            "CVE-2012-5376 Google Chrome sandbox bypass",
            "AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
            9.6,
        ),
        (
            "CVE-2016-0128 Badlock (SAMR/LSAD downgrade)",
            "AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N",
            6.8,
        ),
        (
            "CVE-2016-2118 Badlock (SAMR/LSAD downgrade)",
            "AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H",
            7.5,
        ),
        (
            "CVE-2019-7551 Cantemo Portal stored XSS",
            "AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H",
            9.0,
        ),
        (
            "CVE-2017-5942 WordPress mail plugin reflected XSS",
            "AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
            6.1,
        ),
        (
            "CVE-2016-5558 Oracle Outside In code execution",
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:L",
            8.6,
        ),
        (
            "CVE-2016-5729 Lenovo ThinkPwn",
            "AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H",
            8.2,
        ),
        (
            "CVE-2015-2890 failure to lock flash on resume",
            "AV:L/AC:L/PR:H/UI:N/S:U/C:N/I:H/A:H",
            6.0,
        ),
        (
            "CVE-2018-3652 Intel DCI issue",
            "AV:P/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            7.6,
        ),
        (
            "CVE-2019-0884 scripting engine memory corruption",
            "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N",
            4.2,
        ),
    ];
    for (name, metrics, base) in examples {
        let vector = format!("CVSS:3.1/{metrics}");
        let cvss = parse(&vector);
        assert_eq!(cvss.version(), CvssVersion::V3_1);
        assert_eq!(
            show(Some(cvss.base_score())),
            show(Some(base)),
            "{name}: {vector}"
        );
    }
}

/// The formula change of the v3.1 user guide, section 2.6
/// (https://www.first.org/cvss/v3.1/user-guide): the environmental ModifiedImpact for a changed
/// modified scope differs between 3.0 and 3.1, so the same metrics score differently (values
/// confirmed with the Python calculator).
#[test]
fn v3_0_and_v3_1_differ_for_changed_modified_scope() {
    let metrics = "AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H/CR:H/IR:H/AR:H";
    check(&format!("CVSS:3.0/{metrics}"), 9.6, None, Some(9.6));
    check(&format!("CVSS:3.1/{metrics}"), 9.6, None, Some(9.7));
}

/// FIRST, "Common Vulnerability Scoring System v4.0: Examples"
/// (https://www.first.org/cvss/v4.0/examples): every vector of the document with the score
/// it gives (the most specific one: CVSS-B, -BT, -BE or -BTE), in the document's order.
#[test]
fn v4_0_examples() {
    let examples = [
        // CVE-2022-41741 (NGINX mp4 module).
        (
            "AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            7.3,
        ),
        // CVE-2020-3549 (Cisco Firepower), then with its threat metric.
        (
            "AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            7.7,
        ),
        (
            "AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
            5.2,
        ),
        // CVE-2023-3089 (OpenShift FIPS), then with environmental metrics.
        (
            "AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N",
            8.3,
        ),
        (
            "AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L",
            8.1,
        ),
        // CVE-2021-44714 (Adobe Reader).
        (
            "AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
            4.6,
        ),
        // CVE-2022-24682 (Zimbra calendar cross-site scripting).
        (
            "AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
            5.1,
        ),
        // CVE-2022-22186 (Juniper EX4650).
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
            6.9,
        ),
        // CVE-2023-21989 (Oracle VirtualBox).
        (
            "AV:L/AC:L/AT:N/PR:H/UI:N/VC:N/VI:N/VA:N/SC:H/SI:N/SA:N",
            5.9,
        ),
        // CVE-2020-3947 (VMware Workstation and Fusion).
        (
            "AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
            9.4,
        ),
        (
            "AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:H/SA:N/S:P/V:D",
            8.3,
        ),
        // CVE-2014-0160 (Heartbleed) as attacked.
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/E:A",
            8.7,
        ),
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A",
            10.0,
        ),
        // CVE-2021-44228 (Log4Shell) as attacked.
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A",
            9.3,
        ),
        // CVE-2013-6014 (Juniper proxy ARP).
        (
            "AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H",
            6.4,
        ),
        (
            "AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/R:I",
            9.3,
        ),
        (
            "AV:L/AC:L/AT:P/PR:H/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/R:I",
            8.7,
        ),
        (
            "AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
            8.6,
        ),
        (
            "AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
            7.1,
        ),
        (
            "AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
            8.2,
        ),
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L",
            8.7,
        ),
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L/E:U",
            6.6,
        ),
        (
            "AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
            5.1,
        ),
        (
            "AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
            5.1,
        ),
        (
            "AV:N/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            7.7,
        ),
        (
            "AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N",
            8.3,
        ),
        (
            "AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/E:U",
            5.6,
        ),
        (
            "AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            8.5,
        ),
        (
            "AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A",
            9.2,
        ),
        (
            "AV:P/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            5.4,
        ),
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
            8.7,
        ),
        (
            "AV:N/AC:L/AT:N/PR:H/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
            6.9,
        ),
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
        ),
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N",
            6.9,
        ),
        (
            "AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P",
            8.5,
        ),
        (
            "AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/S:P/AU:Y/V:C/RE:L",
            9.4,
        ),
        (
            "AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:L/IR:H/AR:L/MAV:L/MAC:H/MAT:N/MPR:N/MUI:N/MVC:N/MVI:H/MVA:L/MSC:N/MSI:S/MSA:L",
            7.0,
        ),
        // Out of the specification's order, as the document prints it.
        (
            "AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MAV:A/MAC:H/MAT:N/MPR:L/MUI:N/MVC:L/MVI:H/MVA:H/MSC:L/MSI:S/MSA:S/CR:L/IR:H/AR:H/E:P",
            7.4,
        ),
        (
            "AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MAV:N/MAC:H/MAT:N/MPR:L/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:H/CR:M/IR:H/AR:M/E:P",
            8.7,
        ),
        (
            "AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/S:P",
            8.6,
        ),
        (
            "AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/MSI:S/S:P",
            9.7,
        ),
        (
            "AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/V:C",
            8.7,
        ),
    ];
    assert_eq!(examples.len(), 42);
    for (metrics, score) in examples {
        check_score(&format!("CVSS:4.0/{metrics}"), score);
    }
}

/// The v4.0 specification's nomenclature (section 1.3) and its rating scale (section 6), on
/// one of the examples above.
#[test]
fn v4_0_nomenclature_and_severity() {
    let base = "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    let cases = [
        (base.to_owned(), "CVSS-B", Severity::High),
        (format!("{base}/E:U"), "CVSS-BT", Severity::Medium),
        (format!("{base}/MAV:P"), "CVSS-BE", Severity::Medium),
        (format!("{base}/E:U/MAV:P"), "CVSS-BTE", Severity::Low),
        // Not Defined is no metric.
        (format!("{base}/E:X/CR:X"), "CVSS-B", Severity::High),
    ];
    for (vector, nomenclature, severity) in cases {
        let aftercare_cvss::Cvss::V4(v4) = parse(&vector) else {
            panic!("{vector} is not v4");
        };
        assert_eq!(v4.nomenclature(), nomenclature, "{vector}");
        assert_eq!(parse(&vector).severity(), severity, "{vector}");
    }
}
