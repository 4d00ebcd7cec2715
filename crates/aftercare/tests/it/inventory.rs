//! Workspace commands: init, products, releases, components — and bad input.

use crate::{aftercare, describe, extract};

#[test]
fn a_workspace_from_init_to_component_search() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sbom = extract(
        "sbom/cyclonedx-bom-examples.zip",
        "SBOM/juice-shop/v11.1.2/bom.xml",
        d,
        "juice-shop.xml",
    );
    let not_initialized = aftercare(d, &["product", "list"]);
    assert_eq!(
        not_initialized.status.code(),
        Some(2),
        "{}",
        describe(&not_initialized)
    );
    assert!(String::from_utf8_lossy(&not_initialized.stderr).contains("aftercare init"));

    let init = aftercare(d, &["init"]);
    assert!(init.status.success(), "{}", describe(&init));
    let twice = aftercare(d, &["init"]);
    assert_eq!(twice.status.code(), Some(2), "{}", describe(&twice));

    let add = aftercare(
        d,
        &[
            "product",
            "add",
            "Juice shop",
            "--description",
            "demo",
            "--format",
            "json",
        ],
    );
    assert!(add.status.success(), "{}", describe(&add));
    let release = aftercare(
        d,
        &[
            "release",
            "add",
            "Juice shop",
            "11.1.2",
            "--sbom",
            sbom.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(release.status.success(), "{}", describe(&release));
    let imported: serde_json::Value = serde_json::from_slice(&release.stdout).unwrap();
    assert_eq!(imported["duplicate"], false);
    assert_eq!(imported["release"]["sbom"]["encoding"], "xml");

    let again = aftercare(
        d,
        &[
            "release",
            "add",
            "Juice shop",
            "11.1.2",
            "--sbom",
            sbom.to_str().unwrap(),
        ],
    );
    assert!(again.status.success(), "{}", describe(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already imported"),
        "{}",
        describe(&again)
    );

    let components = aftercare(
        d,
        &[
            "component",
            "list",
            "--release",
            "Juice shop@11.1.2",
            "--search",
            "jsonwebtoken",
            "--format",
            "json",
        ],
    );
    assert!(components.status.success(), "{}", describe(&components));
    let page: serde_json::Value = serde_json::from_slice(&components.stdout).unwrap();
    let versions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["version"].as_str().unwrap())
        .collect();
    assert!(
        versions.contains(&"0.4.0"),
        "juice-shop 11.1.2 ships jsonwebtoken 0.4.0: {versions:?}"
    );

    let original = aftercare(d, &["release", "sbom", "Juice shop", "11.1.2"]);
    assert_eq!(
        original.stdout,
        std::fs::read(&sbom).unwrap(),
        "the original bytes"
    );
}

#[test]
fn a_corrupt_sbom_is_exit_2_and_leaves_no_release() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(aftercare(d, &["init"]).status.success());
    assert!(aftercare(d, &["product", "add", "Pump"]).status.success());
    let corrupt = d.join("corrupt.xml");
    std::fs::write(&corrupt, "<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">\n<components>\n<component type=\"library\"><name>x</name>\n</bom>\n").unwrap();
    let output = aftercare(
        d,
        &[
            "release",
            "add",
            "Pump",
            "1.0",
            "--sbom",
            corrupt.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("corrupt.xml"), "{stderr}");
    let list = aftercare(d, &["release", "list", "--format", "json"]);
    let releases: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(
        releases.as_array().unwrap().len(),
        0,
        "nothing half-written"
    );
}

#[test]
fn the_demo_imports_two_products_with_three_releases_each_and_two_patches() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = aftercare(d, &["demo", "--no-serve", "--workspace", "demo"]);
    assert!(demo.status.success(), "{}", describe(&demo));
    let list = aftercare(
        d,
        &["release", "list", "--workspace", "demo", "--format", "json"],
    );
    let releases: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    // Three releases of each product, and a patch release of each: the pump's 2.2.1
    // (distributed) and the gateway's 1.4.1 (awaiting approval).
    assert_eq!(releases.as_array().unwrap().len(), 8, "{}", describe(&list));
    let show = |release: &str| {
        let out = aftercare(
            d,
            &[
                "patch",
                "show",
                release,
                "--workspace",
                "demo",
                "--format",
                "json",
            ],
        );
        assert!(out.status.success(), "{}", describe(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let pump = show("VitaFlow IP-300 infusion pump@2.2.1");
    assert_eq!(pump["patch"]["approval"], "matching", "{pump}");
    assert_eq!(pump["patch"]["distributions"].as_array().unwrap().len(), 1);
    let hyper_chain = &pump["links"][0];
    assert_eq!(hyper_chain["vulnerability"], "CVE-2021-32714");
    assert_eq!(hyper_chain["clock"]["state"], "met", "{hyper_chain}");
    assert!(
        hyper_chain["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|step| step["status"] == "done"),
        "{hyper_chain}"
    );
    let gateway = show("VitaLink hospital gateway@1.4.1");
    assert_eq!(gateway["patch"]["approval"], "none", "{gateway}");
    assert_eq!(gateway["patch"]["gate"]["cleared"], false);
    assert_eq!(
        gateway["patch"]["missing_evidence"],
        serde_json::json!(["validation", "regression"])
    );
    // The installed base: 7 pumps — two on 2.2.1 (field service installed it), five on 2.1.0
    // that the rollout of 2.2.1 reaches wave by wave — and 4 gateways, two of them on 1.4.0,
    // the one gateway release with the open urllib3 finding (CVE-2021-33503; 1.5.0 and 2.0.0
    // ship urllib3 past its fix).
    let devices = |extra: &[&str]| {
        let mut args = vec!["device", "list", "--workspace", "demo", "--format", "json"];
        args.extend_from_slice(extra);
        let out = aftercare(d, &args);
        assert!(out.status.success(), "{}", describe(&out));
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ids: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|device| device["controller_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    // The demo's eleven devices, and 24 simulated pumps (`sim-000001` …) that sent telemetry.
    let all = devices(&[]);
    let simulated = all.iter().filter(|id| id.starts_with("sim-")).count();
    assert_eq!((all.len() - simulated, simulated), (11, 24));
    let devices = |extra: &[&str]| -> Vec<String> {
        devices(extra)
            .into_iter()
            .filter(|id| !id.starts_with("sim-"))
            .collect()
    };
    assert_eq!(
        devices(&["--exposed-to", "CVE-2021-33503"]),
        ["vl-gw-kn-01", "vl-gw-sa-01"]
    );
    // The pump's hyper finding (CVE-2021-32714, open on 2.1.0) is fixed in 2.2.1: the
    // rollout installed it on the canary (ip300-kn-its-02) and on one of wave 2
    // (ip300-sa-icu-02); the three others still run 2.1.0.
    assert_eq!(
        devices(&["--exposed-to", "CVE-2021-32714"]),
        ["ip300-sa-icu-03", "ip300-sa-onc-01", "ip300-sa-onc-02"]
    );
    let out = aftercare(
        d,
        &[
            "rollout",
            "status",
            "ip300-2.2.1-field",
            "--workspace",
            "demo",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let rollout: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (rollout["state"].as_str(), rollout["wave"].as_i64()),
        (Some("running"), Some(2))
    );
    let sizes: Vec<i64> = rollout["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["devices"].as_i64().unwrap())
        .collect();
    assert_eq!(
        sizes,
        [1, 2, 2],
        "waves of 1, up to 3, the rest of five: {rollout}"
    );
    assert_eq!(rollout["totals"]["finished"], 2, "{rollout}");
    // The release it delivers has a file to download: the demo's generated image, unsigned
    // (no .swu: the demo product has no update CA).
    let out = aftercare(
        d,
        &[
            "artifact",
            "list",
            "VitaFlow IP-300 infusion pump@2.2.1",
            "--workspace",
            "demo",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let artifacts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            artifacts[0]["filename"].as_str(),
            artifacts[0]["size"].as_i64(),
            artifacts.as_array().map(Vec::len)
        ),
        (Some("vitaflow-ip300-2.2.1.img"), Some(65_536), Some(1)),
        "{artifacts}"
    );
    assert!(artifacts[0]["signer"].is_null(), "{artifacts}");
    assert_eq!(
        rollout["waves"][1]["counts"]["running"], 1,
        "one still installing: {rollout}"
    );
    // The simulated fleet's faults became signals: the 3σ step in sim-000001's battery
    // temperature, the login burst on sim-000003 (now an incident), the silent sim-000004.
    let signal_list = |state: &str| {
        let out = aftercare(
            d,
            &[
                "signal",
                "list",
                "--workspace",
                "demo",
                "--state",
                state,
                "--format",
                "json",
            ],
        );
        assert!(out.status.success(), "{}", describe(&out));
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                format!(
                    "{} {} {}",
                    s["kind"].as_str().unwrap(),
                    s["device"].as_str().unwrap_or("-"),
                    s["subject"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    let open = signal_list("open");
    for expected in [
        "step sim-000001 battery.temp",
        "silence sim-000004 heartbeat",
    ] {
        assert!(
            open.contains(&expected.to_string()),
            "{expected} in {open:?}"
        );
    }
    assert_eq!(
        signal_list("incident"),
        ["rate sim-000003 security.auth_failure"]
    );
    let out = aftercare(
        d,
        &[
            "incident",
            "show",
            "INC-1",
            "--workspace",
            "demo",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let incident: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(incident["incident"]["state"], "classified", "{incident}");
    // Its regulatory cases are dated relative to today: the dashboard always has clocks that
    // are overdue and due within 30 days.
    let clocks = |extra: &[&str]| {
        let mut args = vec!["clock", "list", "--workspace", "demo", "--format", "json"];
        args.extend_from_slice(extra);
        let out = aftercare(d, &args);
        assert!(out.status.success(), "{}", describe(&out));
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    c["vulnerability"].as_str().unwrap(),
                    c["kind"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    // The gateway's customer communication lapsed before the determination was recorded: it
    // is missed, and the 806 report's clock runs.
    let missed = clocks(&["--state", "missed"]);
    assert!(
        missed.contains(&"CVE-2021-33503 customer_communication".to_string()),
        "{missed:?}"
    );
    let due = clocks(&["--due-within", "30d"]);
    for expected in [
        "CVE-2022-24713 remediation",
        "CVE-2021-33503 remediation",
        "CVE-2021-33503 report_806",
    ] {
        assert!(due.contains(&expected.to_string()), "{expected}: {due:?}");
    }
    // Its own advisories matched the releases, and two findings were triaged: the pump's
    // hyper overflow (affected, signed determination, inherited by 2.1.0 whose hyper is the
    // same) and the gateway's PyYAML (not affected in any release with PyYAML below 5.4).
    let findings = |extra: &[&str]| {
        let mut args = vec!["finding", "list", "--workspace", "demo", "--format", "json"];
        args.extend_from_slice(extra);
        let out = aftercare(d, &args);
        assert!(out.status.success(), "{}", describe(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let all = findings(&["--limit", "1000"]);
    // regex < 1.5.5 is in pump 2.0.0 and 2.1.0; 2.2.0 has 1.5.5.
    let regex: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["vulnerability"]["id"] == "CVE-2022-24713")
        .map(|f| f["release"].as_str().unwrap())
        .collect();
    assert_eq!(regex.len(), 2, "{regex:?}");
    assert!(!regex.contains(&"2.2.0"));
    let hyper = findings(&["--vulnerability", "CVE-2021-32714"]);
    assert_eq!(hyper["total"], 2, "{hyper}");
    for f in hyper["items"].as_array().unwrap() {
        assert_eq!(f["vex_status"], "affected", "{f}");
        assert_eq!(f["inherited"], f["release"] == "2.1.0", "{f}");
    }
    let pyyaml = findings(&["--vulnerability", "CVE-2020-14343"]);
    assert_eq!(
        pyyaml["total"], 3,
        "gateway 1.4.0, 1.5.0 and the patch 1.4.1: {pyyaml}"
    );
    assert_eq!(
        findings(&["--assessment", "not_affected"])["total"],
        3,
        "every PyYAML finding, the patch's inherited"
    );
    let id = hyper["items"][0]["id"].as_i64().unwrap().to_string();
    let shown = aftercare(
        d,
        &[
            "finding",
            "show",
            &id,
            "--workspace",
            "demo",
            "--format",
            "json",
        ],
    );
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert!(
        shown["triage"]["determination"]["signature_id"].is_i64(),
        "{shown}"
    );
    // Running it again replaces its own workspace.
    let again = aftercare(d, &["demo", "--no-serve", "--workspace", "demo"]);
    assert!(again.status.success(), "{}", describe(&again));
    // It refuses to replace a directory that is not a demo.
    std::fs::create_dir(d.join("precious")).unwrap();
    let refused = aftercare(d, &["demo", "--no-serve", "--workspace", "precious"]);
    assert_eq!(refused.status.code(), Some(2), "{}", describe(&refused));
}
