//! Feeds and vulnerabilities at the command line: add a local mirror, sync it, look up by
//! alias, search, and the exit code of a feed that cannot be read.

use crate::{aftercare, describe};

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", describe(output)))
}

#[test]
fn a_mirror_synced_then_looked_up_by_alias_and_searched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = aftercare_testdata::path("osv/GHSA-and-fixtures.zip");
    let mirror = mirror.to_str().unwrap();
    assert!(aftercare(d, &["init"]).status.success());
    let add = aftercare(
        d,
        &["feed", "add", "ghsa", "--kind", "osv", "--path", mirror],
    );
    assert!(add.status.success(), "{}", describe(&add));
    let missing = aftercare(d, &["feed", "add", "nvd-copy", "--kind", "cve5"]);
    assert_eq!(missing.status.code(), Some(2), "{}", describe(&missing));

    let sync = aftercare(d, &["feed", "sync", "ghsa", "--format", "json"]);
    assert!(sync.status.success(), "{}", describe(&sync));
    let reports = json(&sync);
    assert_eq!(reports[0]["status"], "completed");
    assert!(reports[0]["new"].as_i64().unwrap() > 40);
    // Quiet in JSON: no progress line on stderr.
    assert!(!String::from_utf8_lossy(&sync.stderr).contains("records ("));
    let again = aftercare(d, &["feed", "sync"]);
    assert!(again.status.success(), "{}", describe(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("ghsa: unchanged"),
        "{}",
        describe(&again)
    );

    let list = aftercare(d, &["feed", "list"]);
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("ghsa"),
        "{}",
        describe(&list)
    );
    let show = aftercare(d, &["feed", "show", "ghsa"]);
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains("YAML is not supported"),
        "the YAML members are warnings: {text}"
    );

    let search = aftercare(
        d,
        &["vuln", "search", "--package", "lodash", "--format", "json"],
    );
    assert!(search.status.success(), "{}", describe(&search));
    let page = json(&search);
    let canonical = page["items"][0]["canonical"].as_str().unwrap().to_string();
    let show = aftercare(d, &["vuln", "show", &canonical, "--format", "json"]);
    let found = json(&show);
    let ids = found["vulnerabilities"][0]["ids"]
        .as_array()
        .unwrap()
        .clone();
    assert!(ids.len() >= 2, "{found}");
    for id in ids {
        let id = id.as_str().unwrap();
        let again = aftercare(d, &["vuln", "show", id]);
        assert!(again.status.success(), "{}", describe(&again));
        assert!(String::from_utf8_lossy(&again.stdout).contains(&canonical));
    }
    let unknown = aftercare(d, &["vuln", "show", "CVE-1999-99999"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", describe(&unknown));

    // A feed whose mirror disappeared fails with exit 2 and says why; `feed show` keeps it.
    let broken = d.join("broken.zip");
    std::fs::write(&broken, b"PK\x03\x04 not really a zip").unwrap();
    let add = aftercare(
        d,
        &[
            "feed",
            "add",
            "broken",
            "--kind",
            "osv",
            "--path",
            broken.to_str().unwrap(),
        ],
    );
    assert!(add.status.success(), "{}", describe(&add));
    let failed = aftercare(d, &["feed", "sync", "broken"]);
    assert_eq!(failed.status.code(), Some(2), "{}", describe(&failed));
    let show = aftercare(d, &["feed", "show", "broken", "--format", "json"]);
    assert_eq!(json(&show)["feed"]["last_status"], "failed");

    let remove = aftercare(d, &["feed", "remove", "ghsa"]);
    assert!(remove.status.success(), "{}", describe(&remove));
    let still = aftercare(d, &["vuln", "show", &canonical]);
    assert!(
        still.status.success(),
        "records stay after the feed is removed"
    );
}
