//! Artifacts through storage and the object store, on each backend: a product's update CA set
//! and audited; a `.swu` signed by a signer of that CA stored with its signer, digests and
//! bytes, in one transaction with its audit event; refused, with nothing stored and no staging
//! file left, when the CA is missing, the signer is a self-signed stranger or the file is not a
//! cpio archive; a file name used twice in a release refused; a RAUC bundle stored without a
//! check; the same bytes stored once; permissions; and the DDI read-backs with no principal.
//!
//! The images are built here with the `openssl` crate (certificates, the CMS signature as
//! `openssl cms -sign -binary -nosmimecap -outform DER` makes it) and a cpio writer of the
//! newc format; the command line's tests build them with the real `openssl` and `cpio` tools.
//! Expected digests come from OpenSSL's hash functions, not from the code under test.

use std::path::{Path, PathBuf};

use aftercare_model::Role;
use aftercare_service::access::auth::Principal;
use aftercare_service::artifact::{self, ObjectStore};
use aftercare_service::{ArtifactError, Context, ServiceError, Workspace, inventory};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use openssl::x509::{X509, X509Builder, X509NameBuilder};
use sqlx::Row;

use crate::intel::admin;
use crate::{person, workspaces};

struct Signer {
    certificate: X509,
    key: PKey<Private>,
}

fn certificate(
    subject: &str,
    key: &PKey<Private>,
    issuer: Option<&Signer>,
    ca: bool,
    serial: u32,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("O", "Example MedTech Test")
        .unwrap();
    name.append_entry_by_text("CN", subject).unwrap();
    let name = name.build();
    let mut builder = X509Builder::new().unwrap();
    builder.set_version(2).unwrap();
    builder
        .set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    builder.set_subject_name(&name).unwrap();
    builder
        .set_issuer_name(issuer.map_or(&name, |i| i.certificate.subject_name()))
        .unwrap();
    builder.set_pubkey(key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    if ca {
        builder
            .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        builder
            .append_extension(KeyUsage::new().critical().key_cert_sign().build().unwrap())
            .unwrap();
    } else {
        builder
            .append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        builder
            .append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
            .unwrap();
    }
    builder
        .sign(issuer.map_or(key, |i| &i.key), MessageDigest::sha256())
        .unwrap();
    builder.build()
}

fn party(subject: &str, issuer: Option<&Signer>, ca: bool, serial: u32) -> Signer {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    Signer {
        certificate: certificate(subject, &key, issuer, ca, serial),
        key,
    }
}

/// A cpio entry in the newc format, as `cpio -o -H newc` writes it.
fn entry(name: &str, data: &[u8]) -> Vec<u8> {
    let name_size = name.len() + 1;
    let mut out = format!(
        "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
        1,
        0o100644,
        0,
        0,
        1,
        0,
        data.len(),
        0,
        0,
        0,
        0,
        name_size,
        0
    )
    .into_bytes();
    out.extend(name.as_bytes());
    out.push(0);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out.extend(data);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

/// A `.swu`: sw-description, its detached CMS signature by `signer`, a payload.
fn swu(version: &str, signer: &Signer) -> Vec<u8> {
    let description = format!("software = {{ version = \"{version}\"; }};\n");
    let signature = CmsContentInfo::sign(
        Some(&signer.certificate),
        Some(&signer.key),
        None,
        Some(description.as_bytes()),
        CMSOptions::BINARY | CMSOptions::DETACHED | CMSOptions::NOSMIMECAP,
    )
    .unwrap()
    .to_der()
    .unwrap();
    let mut out = entry("sw-description", description.as_bytes());
    out.extend(entry("sw-description.sig", &signature));
    out.extend(entry(
        "payload.txt",
        format!("hello from {version}\n").as_bytes(),
    ));
    out.extend(entry("TRAILER!!!", b""));
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
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

async fn count(workspace: &Workspace, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(workspace.raw_store().pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

async fn events(workspace: &Workspace, action: &str) -> Vec<aftercare_model::AuditEvent> {
    aftercare_store::audit::page(workspace.raw_store().pool(), 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|stored| stored.event)
        .filter(|event| event.action == action)
        .collect()
}

fn hex_of(digest: MessageDigest, bytes: &[u8]) -> String {
    hex::encode(hash(digest, bytes).unwrap())
}

async fn setup(workspace: &Workspace, context: &Context) {
    inventory::add_product(workspace, context, "Pump", None)
        .await
        .unwrap();
    for version in ["1.0", "1.1"] {
        inventory::add_release(workspace, context, "Pump", version, None)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn artifacts_are_checked_stored_and_read_back_on_each_backend() {
    for (test, workspace, context) in workspaces().await {
        let backend = test.backend().as_str();
        let scratch = tempfile::tempdir().unwrap();
        let objects_dir = scratch.path().join("objects");
        let admin = admin(&workspace).await;
        setup(&workspace, &context).await;
        let ca = party("Test Update Root CA", None, true, 1);
        let signer = party("swu-test-signer", Some(&ca), false, 2);
        let rogue = party("rogue", None, false, 3);
        let good = write(scratch.path(), "pump-1.0.swu", &swu("1.0", &signer));
        let bundle = write(
            scratch.path(),
            "pump-1.0.raucb",
            b"not a cpio archive: RAUC",
        );

        // A database workspace without an artifact directory names the variable.
        let error = artifact::add(&workspace, &context, &admin, "Pump", "1.0", &bundle)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                ServiceError::Artifact(ArtifactError::NoArtifactDir {
                    variable: "AFTERCARE_ARTIFACT_DIR"
                })
            ),
            "{backend}: {error}"
        );
        let workspace = workspace.with_artifact_dir(Some(objects_dir.clone()));
        assert_eq!(
            ObjectStore::of(&workspace).unwrap().root(),
            objects_dir.as_path()
        );

        // A .swu needs the product's update CA.
        let error = artifact::add(&workspace, &context, &admin, "Pump", "1.0", &good)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "pump-1.0.swu: product Pump has no update CA to check a .swu signature against: \
             run `aftercare product trust-ca Pump CA.pem` first",
            "{backend}"
        );
        assert!(files(&objects_dir).is_empty(), "{backend}: nothing stored");

        // The CA: a file that is not a certificate is refused; the real one is kept, audited.
        let error = artifact::trust_ca(&workspace, &context, &admin, "Pump", "notes.txt", b"hi")
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("notes.txt: not a PEM certificate"),
            "{backend}: {error}"
        );
        let trusted = artifact::trust_ca(
            &workspace,
            &context,
            &admin,
            "Pump",
            "ca.pem",
            &ca.certificate.to_pem().unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(trusted.certificates.len(), 1, "{backend}");
        assert_eq!(
            trusted.certificates[0].subject,
            "/O=Example MedTech Test/CN=Test Update Root CA"
        );
        assert_eq!(
            trusted.certificates[0].sha256,
            hex_of(MessageDigest::sha256(), &ca.certificate.to_der().unwrap()),
            "{backend}: the fingerprint of the DER"
        );
        assert_eq!(
            artifact::trusted_ca(&workspace, "Pump").await.unwrap(),
            Some(trusted.clone()),
            "{backend}: read back"
        );
        let set = events(&workspace, "product.trust_ca").await;
        assert_eq!(set.len(), 1, "{backend}");
        assert!(
            set[0]
                .new_value
                .as_deref()
                .unwrap()
                .contains(&trusted.certificates[0].sha256),
            "{backend}"
        );

        // A signed image: stored with its signer and digests, its bytes by SHA-256.
        let bytes = std::fs::read(&good).unwrap();
        let row = artifact::add(&workspace, &context, &admin, "Pump", "1.0", &good)
            .await
            .unwrap();
        let sha256 = hex_of(MessageDigest::sha256(), &bytes);
        assert_eq!(row.filename, "pump-1.0.swu", "{backend}");
        assert_eq!(row.size, bytes.len() as i64, "{backend}");
        assert_eq!(row.sha256, sha256, "{backend}");
        assert_eq!(row.sha1, hex_of(MessageDigest::sha1(), &bytes), "{backend}");
        assert_eq!(row.md5, hex_of(MessageDigest::md5(), &bytes), "{backend}");
        assert_eq!(
            row.signer.as_deref(),
            Some("/O=Example MedTech Test/CN=swu-test-signer"),
            "{backend}"
        );
        assert_eq!(row.created_by, context.actor.to_string(), "{backend}");
        assert_eq!(
            files(&objects_dir),
            [format!("sha256/{}/{sha256}", &sha256[..2])],
            "{backend}: one object, no staging file"
        );
        let (located, path) = artifact::locate(&workspace, row.id).await.unwrap();
        assert_eq!(located, row, "{backend}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{backend}");
        let added = events(&workspace, "artifact.add").await;
        assert_eq!(added.len(), 1, "{backend}");
        let recorded: serde_json::Value =
            serde_json::from_str(added[0].new_value.as_deref().unwrap()).unwrap();
        assert_eq!(recorded["sha256"], sha256, "{backend}");
        assert_eq!(
            recorded["signer"], "/O=Example MedTech Test/CN=swu-test-signer",
            "{backend}"
        );
        assert_eq!(
            added[0].entity_id.as_deref(),
            Some(row.id.to_string().as_str())
        );

        // The same name again in the release: refused before anything is copied.
        let error = artifact::add(&workspace, &context, &admin, "Pump", "1.0", &good)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "artifact \"pump-1.0.swu of release Pump@1.0\" already exists",
            "{backend}"
        );

        // Refusals leave no row, no object and no staging file.
        let rogue_dir = tempfile::tempdir().unwrap();
        let forged = write(rogue_dir.path(), "pump-1.1.swu", &swu("1.1", &rogue));
        let error = artifact::add(&workspace, &context, &admin, "Pump", "1.1", &forged)
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with(
                "pump-1.1.swu: the signer /O=Example MedTech Test/CN=rogue is not trusted by \
                 the update CA of product Pump: certificate verify error (Verify error:"
            ),
            "{backend}: {text}"
        );
        let junk = write(rogue_dir.path(), "junk.swu", b"this is not an image");
        let error = artifact::add(&workspace, &context, &admin, "Pump", "1.1", &junk)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ServiceError::Artifact(ArtifactError::NotCpio { file }) if file == "junk.swu"),
            "{backend}: {error}"
        );
        assert_eq!(
            files(&objects_dir).len(),
            1,
            "{backend}: {:?}",
            files(&objects_dir)
        );
        assert_eq!(
            count(&workspace, "SELECT COUNT(*) FROM artifacts").await,
            1,
            "{backend}"
        );
        assert_eq!(
            events(&workspace, "artifact.add").await.len(),
            1,
            "{backend}"
        );

        // A RAUC bundle: no signature check, no signer.
        let stored = artifact::add(&workspace, &context, &admin, "Pump", "1.0", &bundle)
            .await
            .unwrap();
        assert_eq!(stored.signer, None, "{backend}");
        // The same bytes as another release's artifact: one object.
        let copy = write(rogue_dir.path(), "pump-1.1.swu", &bytes);
        let again = artifact::add(&workspace, &context, &admin, "Pump", "1.1", &copy)
            .await
            .unwrap();
        assert_eq!(again.sha256, row.sha256, "{backend}");
        assert_eq!(files(&objects_dir).len(), 2, "{backend}: bundle + image");

        // Reading: by release (by name), with device.read; the DDI reads with no principal.
        let listed = artifact::list(&workspace, &admin, "Pump", "1.0")
            .await
            .unwrap();
        let names: Vec<&str> = listed.iter().map(|a| a.filename.as_str()).collect();
        assert_eq!(names, ["pump-1.0.raucb", "pump-1.0.swu"], "{backend}");
        let release = inventory::release(&workspace, "Pump", "1.0").await.unwrap();
        assert_eq!(
            artifact::of_release(&workspace, release.id).await.unwrap(),
            listed,
            "{backend}"
        );
        let error = artifact::locate(&workspace, 999_999).await.unwrap_err();
        assert!(matches!(error, ServiceError::NotFound { .. }), "{backend}");
        std::fs::remove_file(artifact::locate(&workspace, stored.id).await.unwrap().1).unwrap();
        let error = artifact::locate(&workspace, stored.id).await.unwrap_err();
        assert!(
            error.to_string().starts_with(&format!(
                "artifact {} (pump-1.0.raucb) is missing from the artifact store: ",
                stored.id
            )),
            "{backend}: {error}"
        );

        // Permissions: a viewer reads but does not add; a customer does not read.
        let viewer = person(&workspace, &context, "vera", "Vera Viewer", &[Role::Viewer]).await;
        let viewer = Principal::local(&viewer).unwrap();
        assert_eq!(
            artifact::list(&workspace, &viewer, "Pump", "1.0")
                .await
                .unwrap()
                .len(),
            2
        );
        let error = artifact::add(&workspace, &context, &viewer, "Pump", "1.0", &bundle)
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "permission rollout.manage is required");
        let error = artifact::trust_ca(&workspace, &context, &viewer, "Pump", "ca.pem", b"")
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "permission rollout.manage is required");
        let engineer = person(
            &workspace,
            &context,
            "rene",
            "Rene Release",
            &[Role::ReleaseEngineer],
        )
        .await;
        let engineer = Principal::local(&engineer).unwrap();
        let image = write(rogue_dir.path(), "pump-1.1-b.swu", &swu("1.1", &signer));
        artifact::add(&workspace, &context, &engineer, "Pump", "1.1", &image)
            .await
            .unwrap();
        let customer = aftercare_service::access::account::create(
            &workspace,
            &context,
            &admin,
            &aftercare_service::access::account::NewAccountRequest {
                login: "cora".into(),
                display_name: "Cora Customer".into(),
                password: aftercare_service::access::password::Password::new("cora-password-1"),
                roles: vec![Role::Customer],
                organisation: Some("St Mary".into()),
            },
        )
        .await
        .unwrap();
        let customer = Principal::local(&customer).unwrap();
        let error = artifact::content(&workspace, &customer, row.id)
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "permission device.read is required");
    }
}

#[tokio::test]
async fn a_directory_workspace_keeps_its_artifacts_inside() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = Workspace::open(aftercare_service::WorkspaceLocation::Directory(
        dir.path().to_path_buf(),
    ))
    .await
    .unwrap();
    assert_eq!(
        ObjectStore::of(&workspace).unwrap().root(),
        dir.path().join("artifacts")
    );
    let elsewhere = dir.path().join("elsewhere");
    let workspace = workspace.with_artifact_dir(Some(elsewhere.clone()));
    assert_eq!(ObjectStore::of(&workspace).unwrap().root(), elsewhere);
}
