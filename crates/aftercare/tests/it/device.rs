//! The device registry at the command line, on the real GHSA record of lodash's CVE-2021-23337
//! (fixed in 4.17.21): organisations and sites; a device added with its token printed once; a
//! duplicate refused (exit 2); a CSV import with its tokens written to a 0600 file; a CSV with
//! a bad row refused naming file, line and field, with nothing registered; `device list
//! --exposed-to` (Pump 1.0 ships lodash 4.17.19, Pump 1.1 ships 4.17.21: only devices on 1.0
//! are exposed); update and decommission.

use std::process::Output;

use crate::{aftercare, describe};

fn ok(output: Output) -> Output {
    assert!(output.status.success(), "{}", describe(&output));
    output
}

fn json(output: Output) -> serde_json::Value {
    let output = ok(output);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&output)))
}

fn sbom(version: &str, lodash: &str) -> String {
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {{"component": {{"type": "firmware", "name": "pump-ui", "version": "{version}"}}}},
  "components": [{{"type": "library", "bom-ref": "lodash", "name": "lodash",
    "version": "{lodash}", "purl": "pkg:npm/lodash@{lodash}"}}]}}"#
    )
}

fn controller_ids(list: &serde_json::Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| d["controller_id"].as_str().unwrap())
        .collect()
}

#[test]
fn the_device_registry_at_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    std::fs::write(d.join("pump-1.0.cdx.json"), sbom("1.0", "4.17.19")).unwrap();
    std::fs::write(d.join("pump-1.1.cdx.json"), sbom("1.1", "4.17.21")).unwrap();
    for args in [
        vec!["init", "--admin-name", "Ada Admin"],
        vec![
            "feed",
            "add",
            "ghsa",
            "--kind",
            "osv",
            "--path",
            mirror.to_str().unwrap(),
        ],
        vec!["feed", "sync", "ghsa"],
        vec!["product", "add", "Pump"],
        vec![
            "release",
            "add",
            "Pump",
            "1.0",
            "--sbom",
            "pump-1.0.cdx.json",
        ],
        vec![
            "release",
            "add",
            "Pump",
            "1.1",
            "--sbom",
            "pump-1.1.cdx.json",
        ],
        vec![
            "organisation",
            "add",
            "St Mary",
            "--description",
            "teaching hospital",
        ],
        vec!["organisation", "add", "Northside"],
        vec![
            "site",
            "add",
            "ICU",
            "--organisation",
            "St Mary",
            "--timezone",
            "Europe/Berlin",
        ],
        vec!["site", "add", "OR", "--organisation", "Northside"],
    ] {
        ok(aftercare(d, &args));
    }
    let sites = json(aftercare(
        d,
        &[
            "site",
            "list",
            "--organisation",
            "St Mary",
            "--format",
            "json",
        ],
    ));
    assert_eq!(sites.as_array().unwrap().len(), 1);
    assert_eq!(sites[0]["timezone"], "Europe/Berlin");
    let organisations = json(aftercare(d, &["organisation", "list", "--format", "json"]));
    assert_eq!(organisations[1]["name"], "St Mary", "sorted by name");
    let bad_zone = aftercare(
        d,
        &[
            "site",
            "add",
            "Lab",
            "--organisation",
            "St Mary",
            "--timezone",
            "Mars/Olympus",
        ],
    );
    assert_eq!(bad_zone.status.code(), Some(2), "{}", describe(&bad_zone));

    // One device, its token printed once (table), only its digest stored.
    let added = ok(aftercare(
        d,
        &[
            "device",
            "add",
            "pump-1",
            "--product",
            "Pump",
            "--serial",
            "SN-1",
            "--site",
            "ICU",
            "--tag",
            "icu",
            "--release",
            "1.0",
        ],
    ));
    let stdout = String::from_utf8(added.stdout.clone()).unwrap();
    let token = stdout
        .lines()
        .find_map(|line| line.strip_prefix("token: "))
        .unwrap_or_else(|| panic!("{}", describe(&added)))
        .to_string();
    assert_eq!(token.len(), 64);
    assert!(String::from_utf8_lossy(&added.stderr).contains("shown this once"));
    let shown = json(aftercare(
        d,
        &["device", "show", "pump-1", "--format", "json"],
    ));
    assert_eq!(shown["installed_release"], "1.0");
    assert_eq!(shown["installed_source"], "manual");
    assert_eq!(shown["organisation"], "St Mary");
    assert_eq!(shown["state"], "registered");
    assert!(
        !shown.to_string().contains(&token),
        "show never prints the token"
    );
    let duplicate = aftercare(
        d,
        &[
            "device",
            "add",
            "pump-1",
            "--product",
            "Pump",
            "--serial",
            "SN-9",
        ],
    );
    assert_eq!(duplicate.status.code(), Some(2), "{}", describe(&duplicate));
    assert!(
        String::from_utf8_lossy(&duplicate.stderr).contains("device \"pump-1\" already exists"),
        "{}",
        describe(&duplicate)
    );

    // A CSV with a bad row: refused, named, nothing registered.
    std::fs::write(
        d.join("bad.csv"),
        "controller_id,serial,product,hardware,site,organisation,tags,release\n\
         pump-2,SN-2,Pump,,OR,,,1.1\n\
         pump-3,SN-3,Pump,,Nowhere,,,1.0\n",
    )
    .unwrap();
    let refused = aftercare(
        d,
        &[
            "device",
            "import",
            "bad.csv",
            "--tokens-out",
            "bad-tokens.csv",
        ],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("bad.csv, line 3, field site: site \"Nowhere\" not found"),
        "{stderr}"
    );
    assert!(
        !d.join("bad-tokens.csv").exists(),
        "no tokens file for an import that wrote nothing"
    );
    let all = json(aftercare(d, &["device", "list", "--format", "json"]));
    assert_eq!(controller_ids(&all), vec!["pump-1"]);

    // A good CSV, the tokens in a file of mode 0600.
    std::fs::write(
        d.join("fleet.csv"),
        "controller_id,serial,product,hardware,site,organisation,tags,release\n\
         pump-2,SN-2,Pump,rev-B,OR,,nicu;beta,1.1\n\
         pump-3,SN-3,Pump,,,St Mary,icu,1.0\n",
    )
    .unwrap();
    let imported = json(aftercare(
        d,
        &[
            "device",
            "import",
            "fleet.csv",
            "--tokens-out",
            "tokens.csv",
            "--format",
            "json",
        ],
    ));
    assert_eq!(controller_ids(&imported), vec!["pump-2", "pump-3"]);
    let tokens = std::fs::read_to_string(d.join("tokens.csv")).unwrap();
    let lines: Vec<&str> = tokens.lines().collect();
    assert_eq!(lines.len(), 3, "{tokens}");
    assert_eq!(lines[0], "controller_id,token");
    assert!(
        lines[1].starts_with("pump-2,") && lines[1].len() == "pump-2,".len() + 64,
        "{tokens}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("tokens.csv"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        !String::from_utf8_lossy(&ok(aftercare(d, &["device", "list"])).stdout)
            .contains(&lines[1]["pump-2,".len()..])
    );
    let pump3 = json(aftercare(
        d,
        &["device", "show", "pump-3", "--format", "json"],
    ));
    assert_eq!(pump3["installed_source"], "import");

    // Exposure now: pump-1 and pump-3 run 1.0 (lodash 4.17.19), pump-2 runs 1.1.
    let exposed = json(aftercare(
        d,
        &[
            "device",
            "list",
            "--exposed-to",
            "CVE-2021-23337",
            "--format",
            "json",
        ],
    ));
    assert_eq!(controller_ids(&exposed), vec!["pump-1", "pump-3"]);
    let icu = json(aftercare(
        d,
        &[
            "device",
            "list",
            "--tag",
            "icu",
            "--organisation",
            "St Mary",
            "--format",
            "json",
        ],
    ));
    assert_eq!(controller_ids(&icu), vec!["pump-1", "pump-3"]);
    let table = String::from_utf8(
        ok(aftercare(
            d,
            &["device", "list", "--exposed-to", "CVE-2021-23337"],
        ))
        .stdout,
    )
    .unwrap();
    assert!(
        table.contains("pump-3") && table.contains("1.0 (import)") && !table.contains("pump-2"),
        "{table}"
    );

    // pump-3 updated to 1.1: no longer exposed.
    let updated = json(aftercare(
        d,
        &[
            "device",
            "update",
            "pump-3",
            "--release",
            "1.1",
            "--site",
            "ICU",
            "--format",
            "json",
        ],
    ));
    assert_eq!(updated["installed_source"], "manual");
    assert_eq!(updated["site"], "ICU");
    let exposed = json(aftercare(
        d,
        &[
            "device",
            "list",
            "--exposed-to",
            "CVE-2021-23337",
            "--format",
            "json",
        ],
    ));
    assert_eq!(controller_ids(&exposed), vec!["pump-1"]);

    // Decommission: kept, state decommissioned; a reason is required.
    let no_reason = aftercare(d, &["device", "decommission", "pump-1"]);
    assert_eq!(no_reason.status.code(), Some(2), "{}", describe(&no_reason));
    let gone = json(aftercare(
        d,
        &[
            "device",
            "decommission",
            "pump-1",
            "--reason",
            "returned",
            "--format",
            "json",
        ],
    ));
    assert_eq!(gone["state"], "decommissioned");
    assert_eq!(gone["decommission_reason"], "returned");
    let listed = json(aftercare(
        d,
        &[
            "device",
            "list",
            "--state",
            "decommissioned",
            "--format",
            "json",
        ],
    ));
    assert_eq!(controller_ids(&listed), vec!["pump-1"]);
    let audit = String::from_utf8(ok(aftercare(d, &["audit", "list"])).stdout).unwrap();
    for action in [
        "organisation.add",
        "site.add",
        "device.add",
        "device.import",
        "device.update",
        "device.decommission",
    ] {
        assert!(audit.contains(action), "{action} missing from\n{audit}");
    }
}
