//! `aftercare account|token|audit` end to end.

use crate::{aftercare, describe};

#[test]
fn accounts_tokens_and_an_audit_trail_that_verifies_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        aftercare(d, &["init", "--admin-name", "Ada Admin"])
            .status
            .success()
    );
    let password = d.join("password");
    std::fs::write(&password, "rita-password-1\n").unwrap();
    let add = aftercare(
        d,
        &[
            "account",
            "add",
            "rita",
            "--name",
            "Rita Reviewer",
            "--role",
            "reviewer",
            "--password-file",
            password.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert!(add.status.success(), "{}", describe(&add));
    let account: serde_json::Value = serde_json::from_slice(&add.stdout).unwrap();
    assert_eq!(account["roles"][0], "reviewer");
    let bad_role = aftercare(
        d,
        &[
            "account",
            "add",
            "x",
            "--name",
            "X",
            "--role",
            "root",
            "--password-file",
            password.to_str().unwrap(),
        ],
    );
    assert_eq!(bad_role.status.code(), Some(2), "{}", describe(&bad_role));

    let token = aftercare(
        d,
        &[
            "token",
            "create",
            "--name",
            "ci",
            "--account",
            "rita",
            "--format",
            "json",
        ],
    );
    assert!(token.status.success(), "{}", describe(&token));
    let token: serde_json::Value = serde_json::from_slice(&token.stdout).unwrap();
    assert!(token["secret"].as_str().unwrap().starts_with("aft_"));
    let listed = aftercare(d, &["token", "list", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(
        listed[0].get("secret").is_none(),
        "the secret is shown once only"
    );

    let verify = aftercare(d, &["audit", "verify", "--format", "json"]);
    assert_eq!(verify.status.code(), Some(0), "{}", describe(&verify));
    let verification: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(verification["intact"], true);
    assert_eq!(verification["events"], 4, "init, policy, account, token");

    let export = aftercare(
        d,
        &["audit", "export", "--as", "csv", "--entity-type", "account"],
    );
    assert!(export.status.success(), "{}", describe(&export));
    let csv = String::from_utf8(export.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("seq,at,actor,action"));
    assert_eq!(lines.len(), 3, "header plus the two account events: {csv}");
    assert!(
        lines[2].contains("account.create") && lines[2].contains("\"{\"\"disabled\"\""),
        "JSON values are quoted: {}",
        lines[2]
    );
    let jsonl = aftercare(d, &["audit", "export", "--since", "2000-01-01"]);
    assert_eq!(String::from_utf8(jsonl.stdout).unwrap().lines().count(), 4);
}
