//! Snapshots of the CLI's outputs (insta): the scan report in each format on a small device
//! SBOM that reaches every part of a report (a KEV finding, CSAF findings and a supplier
//! statement, an unrated record, versions that cannot be compared), and the `--format json`
//! of the workspace commands, with ids and timestamps redacted.
//!
//! A snapshot fails when an output changes: review the change, then accept it with
//! `INSTA_UPDATE=always` (or `cargo insta review`).

use std::path::Path;

use aftercare_testdata::redact::redact;

use crate::{aftercare, describe, extract};

const GHSA: &str = "osv/GHSA-and-fixtures.zip";
const REDHAT: &str = "csaf/redhat-csaf.zip";

/// A device SBOM: each component is there for one part of the report.
const DEVICE_SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5",
 "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "version": 1,
 "metadata": {"timestamp": "2025-01-01T00:00:00Z",
   "component": {"bom-ref": "pump", "type": "device", "name": "infusion-pump", "version": "4.2.0"}},
 "components": [
  {"bom-ref": "lodash", "type": "library", "name": "lodash", "version": "4.17.19", "purl": "pkg:npm/lodash@4.17.19"},
  {"bom-ref": "minimist", "type": "library", "name": "minimist", "version": "latest", "purl": "pkg:npm/minimist@latest"},
  {"bom-ref": "left-pad", "type": "library", "name": "left-pad", "purl": "pkg:npm/left-pad"},
  {"bom-ref": "tiny", "type": "library", "group": "@acme", "name": "tiny-unrated", "version": "1.0.0", "purl": "pkg:npm/tiny-unrated@1.0.0"},
  {"bom-ref": "gnutls-new", "type": "library", "name": "gnutls", "version": "3.6.16-5.el8_6.4", "purl": "pkg:rpm/redhat/gnutls@3.6.16-5.el8_6.4?arch=aarch64"},
  {"bom-ref": "gnutls-old", "type": "library", "name": "gnutls", "version": "3.6.16-4.el8", "purl": "pkg:rpm/redhat/gnutls@3.6.16-4.el8?arch=x86_64", "cpe": "cpe:2.3:a:gnu:gnutls:3.6.16:*:*:*:*:*:*:*"},
  {"bom-ref": "mediawiki", "type": "application", "name": "mediawiki", "version": "1.31.1-1.el7", "purl": "pkg:rpm/redhat/mediawiki@1.31.1-1.el7?arch=noarch"}
 ],
 "dependencies": [{"ref": "pump", "dependsOn": ["lodash", "minimist", "left-pad", "tiny", "gnutls-new", "gnutls-old", "mediawiki"]}]}"#;

/// A record no source rates (unknown severity), naming a package without a version too.
const UNRATED_RECORD: &str = r#"{"id": "AFTERCARE-TEST-0001", "modified": "2024-01-01T00:00:00Z", "summary": "An unrated flaw",
 "affected": [{"package": {"ecosystem": "npm", "name": "tiny-unrated"},
   "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]},
  {"package": {"ecosystem": "npm", "name": "left-pad"},
   "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]}]}"#;

/// A KEV catalog of one entry: lodash's CVE.
const KEV: &str = r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2025.01.01",
 "dateReleased": "2025-01-01T00:00:00.000Z", "count": 1,
 "vulnerabilities": [{"cveID": "CVE-2021-23337", "vendorProject": "lodash", "product": "lodash",
   "vulnerabilityName": "Lodash Command Injection", "dateAdded": "2024-06-01", "shortDescription": "A test entry.",
   "requiredAction": "Update.", "dueDate": "2024-06-22", "knownRansomwareCampaignUse": "Unknown", "notes": ""}]}"#;

/// Writes the device SBOM, its advisories folder and the KEV catalog into `dir`; the scan
/// runs there with relative paths, so that no temporary path reaches a report.
fn device_fixture(dir: &Path) {
    std::fs::write(dir.join("device.cdx.json"), DEVICE_SBOM).unwrap();
    std::fs::write(dir.join("kev.json"), KEV).unwrap();
    let advisories = dir.join("advisories");
    std::fs::create_dir_all(&advisories).unwrap();
    std::fs::write(advisories.join("AFTERCARE-TEST-0001.json"), UNRATED_RECORD).unwrap();
    for (zip, member) in [
        (
            GHSA,
            "github/advisory-database/advisories/github-reviewed/2021/05/GHSA-35jh-r3h4-6jhm/GHSA-35jh-r3h4-6jhm.json",
        ),
        (
            GHSA,
            "github/advisory-database/advisories/github-reviewed/2022/03/GHSA-xvch-5gv4-984h/GHSA-xvch-5gv4-984h.json",
        ),
        (REDHAT, "trustify/etc/test-data/csaf/CVE-2024-34500.json"),
        (
            REDHAT,
            "trustify/etc/datasets/ds3/csaf/2024/cve-2024-28834.json",
        ),
    ] {
        let name = member.rsplit('/').next().unwrap();
        extract(zip, member, &advisories, name);
    }
}

/// The scan report of the device fixture in a format, as written (pretty), with the tool's
/// version redacted (it changes with every release, the report does not).
fn scan(format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    device_fixture(dir.path());
    let output = aftercare(
        dir.path(),
        &[
            "scan",
            "device.cdx.json",
            "--advisories",
            "advisories",
            "--kev",
            "kev.json",
            "--format",
            format,
            "--pretty",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    String::from_utf8(output.stdout)
        .unwrap()
        .replace(env!("CARGO_PKG_VERSION"), "[version]")
}

#[test]
fn scan_table() {
    insta::assert_snapshot!(scan("table"));
}

#[test]
fn scan_json() {
    insta::assert_snapshot!(scan("json"));
}

#[test]
fn scan_sarif() {
    insta::assert_snapshot!(scan("sarif"));
}

#[test]
fn scan_cyclonedx_vdr() {
    insta::assert_snapshot!(scan("cyclonedx"));
}

/// The binary in a directory, on the directory's SQLite workspace or on a database.
struct Workspace<'a> {
    dir: &'a Path,
    database: Option<&'a str>,
}

impl Workspace<'_> {
    /// Runs the binary as the workspace's administrator, who also signs.
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_aftercare"));
        command
            .args(args)
            .current_dir(self.dir)
            .env("AFTERCARE_ADMIN_PASSWORD", "correct horse battery")
            .env("AFTERCARE_SIGNER_PASSWORD", "correct horse battery")
            .env_remove("AFTERCARE_WORKSPACE")
            .env_remove("AFTERCARE_DATABASE_URL")
            .env_remove("AFTERCARE_FORMAT");
        if let Some(url) = self.database {
            command.env("AFTERCARE_DATABASE_URL", url);
        }
        command.output().unwrap()
    }

    /// Runs a command with `--format json` and returns its output.
    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let output = self.run(&all);
        assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|error| panic!("{error}: {}", describe(&output)))
    }
}

/// The `--format json` of the workspace commands, from a feed sync to a signed determination
/// and the clocks it leaves, on the device fixture: the same shapes as the API's (one wire
/// crate), run by the real binary, on a SQLite workspace and on PostgreSQL when it is
/// configured — one snapshot for both.
#[test]
fn workspace_commands_json() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let postgres = runtime.block_on(aftercare_store::testing::postgres());
    workspace_commands_on(None);
    if let Some(store) = &postgres {
        workspace_commands_on(Some(&store.url));
    }
}

fn workspace_commands_on(database: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let workspace = Workspace { dir: d, database };
    device_fixture(d);
    // The OSV records of the fixture as a local feed (the CSAF documents are another kind).
    let osv = d.join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    for name in [
        "AFTERCARE-TEST-0001.json",
        "GHSA-35jh-r3h4-6jhm.json",
        "GHSA-xvch-5gv4-984h.json",
    ] {
        std::fs::copy(d.join("advisories").join(name), osv.join(name)).unwrap();
    }
    let init = workspace.run(&["init"]);
    assert!(init.status.success(), "{}", describe(&init));
    let added = workspace.run(&[
        "feed",
        "add",
        "advisories",
        "--kind",
        "osv",
        "--path",
        "osv",
    ]);
    assert!(added.status.success(), "{}", describe(&added));
    let snapshot = |name: &str, args: &[&str]| {
        let value = redact(workspace.json(args));
        insta::assert_json_snapshot!(name, value);
    };
    snapshot("feed_sync", &["feed", "sync", "advisories"]);
    snapshot(
        "product_add",
        &[
            "product",
            "add",
            "Infusion pump",
            "--description",
            "A large-volume infusion pump",
        ],
    );
    snapshot(
        "release_add",
        &[
            "release",
            "add",
            "Infusion pump",
            "4.2.0",
            "--sbom",
            "device.cdx.json",
        ],
    );
    snapshot("product_show", &["product", "show", "Infusion pump"]);
    snapshot(
        "release_show",
        &["release", "show", "Infusion pump", "4.2.0"],
    );
    snapshot(
        "component_list",
        &["component", "list", "--release", "Infusion pump@4.2.0"],
    );
    let page = workspace.json(&["finding", "list"]);
    insta::assert_json_snapshot!("finding_list", redact(page.clone()));
    let lodash = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["vulnerability"]["id"] == "CVE-2021-23337")
        .unwrap()["id"]
        .to_string();
    snapshot(
        "finding_assess",
        &[
            "finding",
            "assess",
            &lodash,
            "--status",
            "affected",
            "--response",
            "update",
            "--harm",
            "serious",
        ],
    );
    snapshot("finding_show", &["finding", "show", &lodash]);
    snapshot("vuln_show", &["vuln", "show", "CVE-2021-23337"]);
    snapshot("clock_list", &["clock", "list"]);
    snapshot(
        "clock_show",
        &["clock", "show", "Infusion pump", "CVE-2021-23337"],
    );
    snapshot("policy_show", &["policy", "show"]);
    snapshot("audit_verify", &["audit", "verify"]);
}
