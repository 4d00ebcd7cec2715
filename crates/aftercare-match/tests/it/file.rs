//! The compiled index file: what a lazy load matches equals what the in-memory index matches,
//! and a damaged file is an error, never a panic.

use aftercare_match::file::{self, IndexFile, Input};
use aftercare_match::{Component, MatchError};

use crate::common::osv_index;
use crate::sbom::{components, lines};

fn bytes() -> Vec<u8> {
    let inputs = [Input {
        name: "osv".into(),
        digest: "0".repeat(64),
        bytes: 1,
    }];
    file::write(osv_index(), &inputs, "aftercare test")
}

#[test]
fn a_lazy_load_matches_like_the_index_it_was_written_from() {
    let bytes = bytes();
    let file = IndexFile::open(bytes.as_slice()).unwrap();
    assert_eq!(file.summary().written_by, "aftercare test");
    assert_eq!(file.summary().records as usize, osv_index().len());
    assert_eq!(file.summary().inputs[0].name, "osv");
    for (zip, member) in [
        (
            "sbom/cyclonedx-bom-examples.zip",
            "SBOM/juice-shop/v11.1.2/bom.json",
        ),
        (
            "sbom/cyclonedx-bom-examples.zip",
            "SBOM/keycloak-10.0.2/bom.json",
        ),
        (
            "sbom/bom-shelter-in-the-lab-sample.zip",
            "in-the-lab/spdx-popular-containers/data/spdx-syft-pingidentity_pingdirectory-sha256:29f46832f5247a2f05eb86049727167565dc139415eac165b5fa0eb9decfcb78.json",
        ),
    ] {
        let components = components(zip, member);
        let expected = osv_index().scan(&components, &[]);
        let loaded = file.load(&components).unwrap();
        assert!(
            loaded.len() < osv_index().len(),
            "a lazy load reads only what is named"
        );
        let found = loaded.scan(&components, &[]);
        assert_eq!(
            lines(&components, &found),
            lines(&components, &expected),
            "{member}"
        );
        assert_eq!(found.findings, expected.findings, "{member}");
    }
    // Listed versions are compared as versions from the presorted table: `2.1` is listed by
    // PYSEC records of django as `2.1`; the same release written `2.1.0` matches too.
    let listed = |version: &str| {
        let component = Component::from_purl(format!("pkg:pypi/django@{version}").parse().unwrap());
        let loaded = file.load(std::slice::from_ref(&component)).unwrap();
        loaded
            .scan(std::slice::from_ref(&component), &[])
            .findings
            .len()
    };
    assert!(listed("2.1") > 0);
    assert_eq!(listed("2.1"), listed("2.1.0"));
    let all = file.load_all().unwrap();
    assert_eq!(all.len(), osv_index().len());
}

#[test]
fn a_damaged_file_is_an_error() {
    let bytes = bytes();
    let component = Component::from_purl("pkg:pypi/django@2.1".parse().unwrap());
    // Truncated anywhere: opening or loading fails with an error.
    for cut in [
        0,
        10,
        100,
        bytes.len() / 2,
        bytes.len() - 100,
        bytes.len() - 1,
    ] {
        let short = &bytes[..cut];
        let result =
            IndexFile::open(short).and_then(|file| file.load(std::slice::from_ref(&component)));
        assert!(result.is_err(), "cut at {cut}");
    }
    // Flipped bytes in the body: never a panic (an error or a load of what still reads).
    for position in (100..bytes.len()).step_by(bytes.len() / 97) {
        let mut damaged = bytes.clone();
        damaged[position] ^= 0x5a;
        if let Ok(file) = IndexFile::open(damaged.as_slice()) {
            let _ = file.load(std::slice::from_ref(&component));
        }
    }
    let mut other = bytes.clone();
    other[16] = 99;
    assert!(matches!(
        IndexFile::open(other.as_slice()),
        Err(MatchError::FormatVersion { found: 99, .. })
    ));
    assert!(matches!(
        IndexFile::open(&b"PK\x03\x04 not an index at all, just bytes long enough to read"[..]),
        Err(MatchError::NotAnIndex { .. })
    ));
}
