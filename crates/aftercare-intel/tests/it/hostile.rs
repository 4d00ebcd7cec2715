//! Hostile input: unsafe member paths, decompression bombs, sizes that lie, truncated
//! archives, caps on size and count, and folders with links and side files.

use std::io::{Cursor, Write};

use aftercare_intel::archive::{self, Limits};
use aftercare_intel::{IntelError, read_document_with};
use zip::write::SimpleFileOptions;

/// A zip of `(name, bytes)` members, deflated.
fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

const OSV: &[u8] = br#"{"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2024-0001"]}"#;

fn read(bytes: &[u8], limits: &Limits) -> Result<archive::Batch, IntelError> {
    archive::read_zip("test.zip", Cursor::new(bytes), limits)
}

#[test]
fn a_plain_archive_reads() {
    let bytes = zip_of(&[
        ("GHSA-aaaa-bbbb-cccc.json", OSV),
        ("x.json.asc", b"signature"),
    ]);
    let batch = read(&bytes, &Limits::default()).unwrap();
    assert_eq!(batch.records().count(), 1);
    assert_eq!(batch.skipped, ["test.zip!x.json.asc"]);
}

#[test]
fn unsafe_paths_are_refused() {
    for name in ["../evil.json", "a/../../evil.json", "/etc/evil.json"] {
        let bytes = zip_of(&[("ok.json", OSV), (name, OSV)]);
        let error = read(&bytes, &Limits::default()).unwrap_err();
        assert!(
            matches!(error, IntelError::UnsafePath { .. }),
            "{name}: {error}"
        );
    }
}

#[test]
fn a_zip_bomb_is_refused_by_ratio_and_by_size() {
    let zeros = vec![b' '; 8 << 20];
    let bytes = zip_of(&[("bomb.json", &zeros)]);
    let error = read(
        &bytes,
        &Limits {
            max_ratio: 100,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("compression ratio"), "{error}");
    let error = read(
        &bytes,
        &Limits {
            max_document_bytes: 1 << 20,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("decompressed size"), "{error}");
    let error = read(
        &bytes,
        &Limits {
            max_total_bytes: 1 << 20,
            max_ratio: u64::MAX,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("total decompressed size"),
        "{error}"
    );
}

#[test]
fn too_many_members_are_refused() {
    let bytes = zip_of(&[("a.json", OSV), ("b.json", OSV), ("c.json", OSV)]);
    let error = read(
        &bytes,
        &Limits {
            max_entries: 2,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("number of members"), "{error}");
}

/// Rewrites the uncompressed size of the only member, in its local header and in the
/// central directory.
fn lie_about_size(mut bytes: Vec<u8>, size: u32) -> Vec<u8> {
    let patch = |bytes: &mut Vec<u8>, signature: &[u8; 4], offset: usize| {
        let start = bytes.windows(4).position(|w| w == signature).unwrap();
        bytes[start + offset..start + offset + 4].copy_from_slice(&size.to_le_bytes());
    };
    patch(&mut bytes, b"PK\x03\x04", 22);
    patch(&mut bytes, b"PK\x01\x02", 24);
    bytes
}

#[test]
fn a_member_larger_than_declared_is_refused() {
    let bytes = lie_about_size(zip_of(&[("a.json", OSV)]), 10);
    let error = read(&bytes, &Limits::default()).unwrap_err();
    assert!(matches!(error, IntelError::ReadMember { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("declares 10 bytes but decompresses to more"),
        "{error}"
    );
}

#[test]
fn a_truncated_archive_is_an_error_not_a_partial_read() {
    let bytes = zip_of(&[("a.json", OSV), ("b.json", OSV)]);
    for cut in [bytes.len() - 10, bytes.len() / 2, 30] {
        let error = read(&bytes[..cut], &Limits::default()).unwrap_err();
        assert!(
            matches!(error, IntelError::ReadArchive { .. }),
            "cut at {cut}: {error}"
        );
    }
    // A real archive, truncated.
    let real = aftercare_testdata::read("osv/CRAN.zip");
    let error = read(&real[..real.len() - 100], &Limits::default()).unwrap_err();
    assert!(matches!(error, IntelError::ReadArchive { .. }), "{error}");
}

#[test]
fn compressed_documents_are_capped() {
    let big = vec![b' '; 4 << 20];
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&big).unwrap();
    let gzipped = encoder.finish().unwrap();
    let error = read_document_with(
        "big.json.gz",
        &gzipped,
        &Limits {
            max_ratio: 100,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("compression ratio"), "{error}");
    let error = read_document_with(
        "big.json.gz",
        &gzipped,
        &Limits {
            max_document_bytes: 1 << 20,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("decompressed size"), "{error}");
}

#[test]
fn a_folder_is_walked_in_the_osv_layout() {
    let dir = std::env::temp_dir().join(format!("aftercare-intel-walk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("PyPI")).unwrap();
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    std::fs::write(dir.join("PyPI/GHSA-aaaa-bbbb-cccc.json"), OSV).unwrap();
    std::fs::write(dir.join("PyPI/GHSA-aaaa-bbbb-cccc.json.sha512"), b"x").unwrap();
    std::fs::write(
        dir.join("PyPI/PYSEC-2024-55.yaml"),
        b"id: PYSEC-2024-55\nmodified: x\n",
    )
    .unwrap();
    std::fs::write(dir.join(".git/config"), b"[core]").unwrap();
    std::fs::write(
        dir.join("bundle.zip"),
        zip_of(&[(
            "GO-2024-0001.json",
            br#"{"id": "GO-2024-0001", "modified": "2024-01-01T00:00:00Z"}"#,
        )]),
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc", dir.join("PyPI/link")).unwrap();
    let batch = archive::read_path(&dir, &Limits::default()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let ids: Vec<String> = batch
        .records()
        .map(|record| record.id.to_string())
        .collect();
    assert_eq!(ids, ["GHSA-aaaa-bbbb-cccc", "GO-2024-0001"]);
    let kinds: Vec<_> = batch.warnings.iter().map(|warning| warning.kind).collect();
    let expected_yaml = aftercare_intel::WarningKind::Unsupported;
    assert!(
        kinds.iter().filter(|kind| **kind == expected_yaml).count() >= 1,
        "{kinds:?}"
    );
    assert_eq!(batch.skipped.len(), 2, "{:?}", batch.skipped);
}

/// Truncated and corrupted documents never panic: they read, warn, or fail with an error.
#[test]
fn mangled_documents_never_panic() {
    let mut documents: Vec<Vec<u8>> = vec![
        aftercare_testdata::read("csaf/cisa-icsma/OT/white/2022/icsma-22-277-01.json"),
        aftercare_testdata::read("nvd/nvd-api-2.0-cves.jsonl")[..20_000].to_vec(),
    ];
    for (zip, name) in [
        ("osv/Go.zip", "GO-2020-0001.json"),
        ("osv/Bitnami.zip", "BIT-activemq-2020-11998.json"),
        (
            "cve5/vulnrichment-sample.zip",
            "2022/36xxx/CVE-2022-36352.json",
        ),
        ("nvd/nvd-api-2.0-files.zip", "vunnel/single-entry.json"),
    ] {
        let entry = aftercare_testdata::zip_entries(zip)
            .into_iter()
            .find(|e| e.name == name)
            .unwrap();
        documents.push(entry.bytes);
    }
    let mut outcomes = [0usize; 2];
    for document in &documents {
        let step = (document.len() / 97).max(1);
        for cut in (0..document.len()).step_by(step) {
            outcomes[usize::from(
                read_document_with("cut", &document[..cut], &Limits::default()).is_ok(),
            )] += 1;
            let mut flipped = document.clone();
            for byte in flipped.iter_mut().skip(cut).step_by(step.max(7)) {
                *byte = byte.wrapping_add(0x5f);
            }
            outcomes[usize::from(
                read_document_with("flipped", &flipped, &Limits::default()).is_ok(),
            )] += 1;
        }
    }
    // Both outcomes occur: the loop really exercised errors and partial successes.
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}
