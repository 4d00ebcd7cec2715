//! Artifacts at the command line, with `.swu` images built by the real `openssl` and `cpio`
//! tools exactly as `build_swu.sh` of the DDI reference note (Appendix C) builds them: a test
//! PKI (a CA; a signer with extended key usage emailProtection, SWUpdate's default purpose), a
//! CMS signature of sw-description (`openssl cms -sign … -outform DER -nosmimecap -binary`),
//! and `cpio -o -H crc` of sw-description, its signature and the payload.
//!
//! `product trust-ca` sets the CA (a file that is not a certificate refused); a signed image
//! is accepted with its signer shown and its digests equal to what `sha256sum`, `sha1sum` and
//! `md5sum` say; an image signed by a self-signed stranger is refused with the reason and
//! nothing stored; a file named `.swu` that is not a cpio archive is refused; a RAUC bundle is
//! stored unchecked; a database workspace without `AFTERCARE_ARTIFACT_DIR` is told to set it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{aftercare, describe};

fn ok(output: Output) -> Output {
    assert!(output.status.success(), "{}", describe(&output));
    output
}

fn json(output: Output) -> serde_json::Value {
    let output = ok(output);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&output)))
}

fn refused(output: Output) -> String {
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    String::from_utf8(output.stderr).unwrap()
}

/// Runs a tool in a directory; it must succeed.
fn run(dir: &Path, program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        describe(&output)
    );
    output
}

/// Runs a shell command line in a directory; it must succeed.
fn sh(dir: &Path, script: &str) -> Output {
    run(dir, "sh", &["-c", script])
}

/// The first word `sha256sum`, `sha1sum` or `md5sum` prints for a file.
fn digest(tool: &str, file: &Path) -> String {
    let output = run(file.parent().unwrap(), tool, &[file.to_str().unwrap()]);
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The test PKI of §2.6: a root CA and a signer for S/MIME signing (RSA 2048 to keep it quick),
/// and a self-signed stranger.
fn pki(keys: &Path) {
    sh(
        keys,
        r#"set -e
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout ca-key.pem -out ca-cert.pem \
  -subj "/O=Example MedTech Test/CN=Test Update Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout signer-key.pem -out signer.csr \
  -subj "/O=Example MedTech Test/CN=swu-test-signer" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\n' > signer.ext
openssl x509 -req -in signer.csr -CA ca-cert.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
  -extfile signer.ext -out signer-cert.pem 2>/dev/null
openssl verify -CAfile ca-cert.pem -purpose smimesign signer-cert.pem
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout rogue-key.pem -out rogue-cert.pem \
  -subj "/O=Attacker/CN=rogue" 2>/dev/null
"#,
    );
}

/// `build_swu.sh VERSION OUT` with the signer `who` (`signer` or `rogue`): a payload, a
/// sw-description pinning its SHA-256, the CMS signature, and the cpio archive in the crc
/// format, built in a fresh directory.
fn build_swu(work: &Path, keys: &Path, who: &str, version: &str, out: &Path) {
    let dir = work.join(format!("swu-{who}-{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        r#"set -e
printf 'hello from update %s\n' "{version}" > payload.txt
SHA=$(sha256sum payload.txt | cut -d' ' -f1)
cat > sw-description <<SWD
software =
{{
	version = "{version}";
	description = "DDI protocol test package (writes one file under /tmp)";
	hardware-compatibility = [ "1.0" ];
	files: (
		{{
			filename = "payload.txt";
			path = "/tmp/aftercare-test-installed/payload.txt";
			sha256 = "${{SHA}}";
			create-destination = true;
		}}
	);
}};
SWD
openssl cms -sign -in sw-description -out sw-description.sig -signer {keys}/{who}-cert.pem \
        -inkey {keys}/{who}-key.pem -outform DER -nosmimecap -binary
printf '%s\n' sw-description sw-description.sig payload.txt | cpio -o -H crc --quiet > {out}
"#,
        keys = keys.display(),
        out = out.display(),
    );
    sh(&dir, &script);
}

/// Every file under a directory, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn artifacts_at_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys = d.join("keys");
    let images = d.join("images");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::create_dir_all(&images).unwrap();
    pki(&keys);
    let good: PathBuf = images.join("test-1.0.1.swu");
    build_swu(d, &keys, "signer", "1.0.1", &good);
    let forged = images.join("test-1.0.2.swu");
    build_swu(d, &keys, "rogue", "1.0.2", &forged);
    let not_cpio = images.join("notes.swu");
    std::fs::write(&not_cpio, "a text file with a .swu name\n".repeat(10)).unwrap();
    let bundle = images.join("pump-1.0.1.raucb");
    std::fs::write(&bundle, b"hsqs a RAUC bundle's squashfs, stored as it is").unwrap();

    for args in [
        vec!["init", "--admin-name", "Ada Admin"],
        vec!["product", "add", "Pump"],
        vec!["release", "add", "Pump", "1.0.1"],
        vec!["release", "add", "Pump", "1.0.2"],
    ] {
        ok(aftercare(d, &args));
    }
    let workspace = d.join("aftercare-data");
    let store = workspace.join("artifacts");

    // No CA yet: a .swu cannot be checked, so it is refused.
    let stderr = refused(aftercare(
        d,
        &["artifact", "add", "Pump@1.0.1", good.to_str().unwrap()],
    ));
    assert!(
        stderr.contains(
            "error: test-1.0.1.swu: product Pump has no update CA to check a .swu signature \
             against: run `aftercare product trust-ca Pump CA.pem` first"
        ),
        "{stderr}"
    );

    // The CA: a key is not a certificate; the CA certificate is kept and shown.
    let stderr = refused(aftercare(
        d,
        &[
            "product",
            "trust-ca",
            "Pump",
            keys.join("ca-key.pem").to_str().unwrap(),
        ],
    ));
    assert!(
        stderr.contains("ca-key.pem: not a PEM certificate"),
        "{stderr}"
    );
    let ca = json(aftercare(
        d,
        &[
            "product",
            "trust-ca",
            "Pump",
            keys.join("ca-cert.pem").to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    assert_eq!(ca["product"], "Pump");
    assert_eq!(
        ca["certificates"][0]["subject"],
        "/O=Example MedTech Test/CN=Test Update Root CA"
    );
    let fingerprint = String::from_utf8(
        run(
            &keys,
            "openssl",
            &[
                "x509",
                "-in",
                "ca-cert.pem",
                "-noout",
                "-fingerprint",
                "-sha256",
            ],
        )
        .stdout,
    )
    .unwrap();
    let fingerprint = fingerprint
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_lowercase();
    assert_eq!(ca["certificates"][0]["sha256"], fingerprint.as_str());

    // A signed image: accepted, with its signer and the digests the tools compute.
    let added = ok(aftercare(
        d,
        &["artifact", "add", "Pump@1.0.1", good.to_str().unwrap()],
    ));
    let table = String::from_utf8(added.stdout).unwrap();
    assert!(
        table.contains("signer    /O=Example MedTech Test/CN=swu-test-signer"),
        "{table}"
    );
    let sha256 = digest("sha256sum", &good);
    let listed = json(aftercare(
        d,
        &["artifact", "list", "Pump@1.0.1", "--format", "json"],
    ));
    let artifact = &listed[0];
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(artifact["filename"], "test-1.0.1.swu");
    assert_eq!(artifact["size"], std::fs::metadata(&good).unwrap().len());
    assert_eq!(artifact["sha256"], sha256.as_str());
    assert_eq!(artifact["sha1"], digest("sha1sum", &good).as_str());
    assert_eq!(artifact["md5"], digest("md5sum", &good).as_str());
    assert_eq!(
        artifact["signer"],
        "/O=Example MedTech Test/CN=swu-test-signer"
    );
    let object = format!("sha256/{}/{sha256}", &sha256[..2]);
    assert_eq!(files(&store), std::slice::from_ref(&object));
    assert_eq!(
        std::fs::read(store.join(&object)).unwrap(),
        std::fs::read(&good).unwrap()
    );
    // The same file name again in the release.
    let stderr = refused(aftercare(
        d,
        &["artifact", "add", "Pump@1.0.1", good.to_str().unwrap()],
    ));
    assert!(
        stderr.contains("artifact \"test-1.0.1.swu of release Pump@1.0.1\" already exists"),
        "{stderr}"
    );

    // Signed by a self-signed stranger: refused with the reason, nothing stored.
    let stderr = refused(aftercare(
        d,
        &["artifact", "add", "Pump@1.0.2", forged.to_str().unwrap()],
    ));
    assert!(
        stderr.contains(
            "error: test-1.0.2.swu: the signer /O=Attacker/CN=rogue is not trusted by the update \
             CA of product Pump: certificate verify error (Verify error: self-signed certificate)"
        ),
        "{stderr}"
    );
    // Not a cpio archive at all.
    let stderr = refused(aftercare(
        d,
        &["artifact", "add", "Pump@1.0.2", not_cpio.to_str().unwrap()],
    ));
    assert!(
        stderr.contains("error: notes.swu is not a cpio archive: a .swu is a cpio archive in the newc or crc format"),
        "{stderr}"
    );
    assert_eq!(
        files(&store),
        std::slice::from_ref(&object),
        "no object, no staging file"
    );
    let listed = json(aftercare(
        d,
        &["artifact", "list", "Pump@1.0.2", "--format", "json"],
    ));
    assert_eq!(listed, serde_json::json!([]));

    // A RAUC bundle: stored as it is, no signer.
    let bundle_row = json(aftercare(
        d,
        &[
            "artifact",
            "add",
            "Pump@1.0.2",
            bundle.to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    assert_eq!(bundle_row["signer"], serde_json::Value::Null);
    assert_eq!(bundle_row["sha256"], digest("sha256sum", &bundle).as_str());
    let table =
        String::from_utf8(ok(aftercare(d, &["artifact", "list", "Pump@1.0.2"])).stdout).unwrap();
    let line = table
        .lines()
        .find(|line| line.contains("pump-1.0.1.raucb"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(line.trim_end().ends_with(" -"), "{table}");

    // Each addition is in the audit trail, and the chain holds.
    let events = json(aftercare(
        d,
        &[
            "audit",
            "list",
            "--entity-type",
            "artifact",
            "--format",
            "json",
        ],
    ));
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["artifact.add", "artifact.add"], "{events}");
    ok(aftercare(d, &["audit", "verify"]));

    // A database workspace keeps no files of its own: it must be told where.
    let database = format!("sqlite://{}?mode=rwc", d.join("db.sqlite").display());
    let url = database.as_str();
    for args in [
        vec!["init", "--database-url", url],
        vec!["product", "add", "Pump", "--database-url", url],
        vec!["release", "add", "Pump", "1.0.2", "--database-url", url],
    ] {
        ok(aftercare(d, &args));
    }
    let stderr = refused(aftercare(
        d,
        &[
            "artifact",
            "add",
            "Pump@1.0.2",
            bundle.to_str().unwrap(),
            "--database-url",
            url,
        ],
    ));
    assert!(
        stderr.contains("set AFTERCARE_ARTIFACT_DIR (or --artifact-dir)"),
        "{stderr}"
    );
    let elsewhere = d.join("shared-artifacts");
    ok(aftercare(
        d,
        &[
            "artifact",
            "add",
            "Pump@1.0.2",
            bundle.to_str().unwrap(),
            "--database-url",
            url,
            "--artifact-dir",
            elsewhere.to_str().unwrap(),
        ],
    ));
    assert_eq!(files(&elsewhere).len(), 1);
}
