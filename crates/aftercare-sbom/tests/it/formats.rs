//! Hand-written documents for the cases the real corpus lacks: newer versions, malformed
//! fields, broken syntax, FDA fields, encodings. Each `check_*` helper takes the input and
//! what must come out.

use std::io::Write;

use aftercare_sbom::{ComponentKind, Encoding, Format, ReadOutcome, SbomError, Scope, read};

fn read_ok(text: &str) -> ReadOutcome {
    read("test.json", text.as_bytes()).unwrap_or_else(|error| panic!("{error}"))
}

/// Reads and checks the warnings as `location: message-part` pairs, in order.
fn check_warnings(text: &str, expected: &[(&str, &str)]) -> ReadOutcome {
    let outcome = read_ok(text);
    let actual: Vec<String> = outcome.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(actual.len(), expected.len(), "{actual:#?}");
    for (warning, (location, part)) in outcome.warnings.iter().zip(expected) {
        assert_eq!(&warning.location, location, "{actual:#?}");
        assert!(warning.message.contains(part), "{warning} lacks {part:?}");
    }
    outcome
}

/// Reads and checks the error message contains each part.
fn check_error(name: &str, bytes: &[u8], parts: &[&str]) -> SbomError {
    let error = read(name, bytes).expect_err("must not read");
    let message = error.to_string();
    for part in parts {
        assert!(message.contains(part), "{message:?} lacks {part:?}");
    }
    assert!(message.starts_with(&format!("{name}: ")), "{message}");
    assert!(
        message.contains("supported: CycloneDX 1.0–1.6 XML"),
        "{message}"
    );
    error
}

#[test]
fn cyclonedx_1_7_is_read_with_the_1_6_rules_and_names_unknown_fields() {
    let outcome = check_warnings(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.7","citations":[],
            "metadata":{"timestamp":"2025-10-01T00:00:00Z","distributionConstraints":{}},
            "components":[{"type":"library","name":"a","version":"1","purl":"pkg:npm/a@1",
                           "isExternal":false,
                           "components":[{"type":"library","name":"b","patentAssertions":[]}]}]}"#,
        &[(
            "specVersion",
            "CycloneDX 1.7 is newer than 1.6, the newest version this reader knows; read with the 1.6 rules; fields it did not know (ignored): citations, components[].components[].patentAssertions, components[].isExternal, metadata.distributionConstraints",
        )],
    );
    assert_eq!(outcome.sbom.spec_version, "1.7");
    assert_eq!(outcome.sbom.components.len(), 2);
    assert_eq!(outcome.sbom.components[1].parent, Some(0));

    let xml = r#"<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.7" version="1">
  <citations/>
  <components>
    <component type="library"><name>a</name><isExternal>false</isExternal></component>
  </components>
</bom>"#;
    let outcome = read("bom.xml", xml.as_bytes()).unwrap();
    assert_eq!(outcome.sbom.encoding, Encoding::Xml);
    assert_eq!(outcome.warnings.len(), 1);
    assert!(
        outcome.warnings[0]
            .message
            .ends_with("fields it did not know (ignored): citations, components[].isExternal"),
        "{}",
        outcome.warnings[0]
    );
}

#[test]
fn unsupported_and_unrecognized_documents_are_errors() {
    check_error(
        "bom.json",
        br#"{"bomFormat":"CycloneDX","specVersion":"2.0"}"#,
        &["CycloneDX JSON 2.0 is not supported"],
    );
    check_error(
        "x.json",
        br#"{"bomFormat":"SWID"}"#,
        &["bomFormat \"SWID\""],
    );
    check_error(
        "x.json",
        br#"{"spdxVersion":"SPDX-3.0"}"#,
        &["SPDX JSON SPDX-3.0 is not supported"],
    );
    check_error(
        "x.json",
        br#"{"@context":"https://www.w3.org/ns/activitystreams"}"#,
        &["JSON-LD with @context"],
    );
    check_error(
        "x.rdf",
        br#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>"#,
        &["root element is <RDF>"],
    );
    check_error(
        "x.xml",
        br#"<bom xmlns="http://cyclonedx.org/schema/bom/2.0"/>"#,
        &["CycloneDX XML 2.0 is not supported"],
    );
    check_error("empty.json", b"  \n ", &["the document is empty"]);
    check_error("x.txt", b"hello", &["not a recognized SBOM", "\"hello\""]);
    check_error("x.json", b"[]", &["a JSON array"]);
}

#[test]
fn syntax_errors_name_line_and_column() {
    let error = check_error(
        "bom.xml",
        b"<?xml version=\"1.0\"?>\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">\n  <components>\n</bom>\n",
        &["line 4, column 1: invalid XML: expected 'components' tag, not 'bom' ("],
    );
    assert!(
        matches!(
            error,
            SbomError::Syntax {
                syntax: "XML",
                line: 4,
                column: 1,
                ..
            }
        ),
        "{error:?}"
    );
    let error = check_error(
        "bom.json",
        b"{\n  \"bomFormat\": \"CycloneDX\",\n  \"components\": [ {\"name\": \"a\",} ]\n}",
        &["line 3, column 32: invalid JSON: trailing comma ("],
    );
    assert!(
        matches!(
            error,
            SbomError::Syntax {
                syntax: "JSON",
                line: 3,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn malformed_fields_are_warnings_and_the_rest_is_read() {
    let outcome = check_warnings(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5",
            "components":[
              {"type":"library","name":"ok","version":"1.0"},
              {"type":"library","bom-ref":"n","name":"numeric","version":1.10,"purl":"pkg:npm/numeric"},
              {"type":"library","name":{"wrong":1},"version":"2"},
              {"type":"library","name":"dup","name":"twice"},
              "not a component",
              {"type":"library","name":"bad","purl":"npm/bad@1","cpe":"cpe:bad","scope":"sometimes",
               "hashes":[{"alg":"SHA-256","content":"xyz"}],
               "properties":[{"name":"aftercare:end_of_support","value":"31.12.2027"}]}
            ],
            "dependencies":[{"ref":"n","dependsOn":["ghost","ghost"]},{"dependsOn":["n"]}]}"#,
        &[
            (
                "components[1].version",
                "expected a string, found a number; read as \"1.1\"",
            ),
            (
                "components[2].name",
                "expected a string, found an object; ignored",
            ),
            ("components[2].name", "the component has no name"),
            (
                "components[3]",
                "the key \"name\" appears twice; its last value is used",
            ),
            (
                "components[4]",
                "expected a component object, found a string; skipped",
            ),
            (
                "components[5].purl",
                "component \"bad\": invalid package URL \"npm/bad@1\"",
            ),
            ("components[5].cpe", "invalid CPE \"cpe:bad\""),
            (
                "components[5].hashes[0]",
                "SHA-256 hash \"xyz\" is not hexadecimal",
            ),
            ("components[5].scope", "unknown scope \"sometimes\""),
            (
                "components[5].properties[0]",
                "end-of-support \"31.12.2027\" is not a YYYY-MM-DD date; ignored",
            ),
            ("dependencies[1]", "a dependency without `ref`"),
            (
                "dependencies[0]",
                "dependency reference \"ghost\" matches no component; the edge is ignored (2 edges name it)",
            ),
        ],
    );
    let names: Vec<&str> = outcome
        .sbom
        .components
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["ok", "numeric", "", "twice", "bad"]);
    assert_eq!(outcome.sbom.components[1].version.as_deref(), Some("1.1"));
    assert_eq!(outcome.warnings[5].reference, None);
    assert_eq!(outcome.warnings[1].reference, None);
}

#[test]
fn cyclonedx_structure_subject_nesting_graph_and_fields() {
    let outcome = check_warnings(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:1",
            "metadata":{"timestamp":"2024-05-01T10:00:00Z",
              "tools":{"components":[{"type":"application","group":"@cyclonedx","name":"cdxgen","version":"10.0"}],
                       "services":[{"name":"sbom-service","provider":{"name":"Acme"}}]},
              "authors":[{"email":"psirt@example.com"}],
              "component":{"bom-ref":"app","type":"firmware","name":"infusion-pump","version":"4.2",
                "properties":[{"name":"levelOfSupport","value":"supported"},{"name":"fda:endOfSupport","value":"2032-06-30"}]}},
            "components":[
              {"bom-ref":"lib","type":"library","name":"openssl","version":"3.0.13","scope":"required",
               "licenses":[{"license":{"id":"Apache-2.0"}},{"license":{"name":"OpenSSL License"}}],
               "hashes":[{"alg":"sha256","content":"AB"}],
               "components":[{"bom-ref":"inner","type":"file","name":"libcrypto.so"}]},
              {"bom-ref":"zlib","type":"library","name":"zlib","version":"1.3",
               "licenses":[{"expression":"Zlib OR MIT"}]},
              {"bom-ref":"orphan","type":"library","name":"orphan"}],
            "services":[{"bom-ref":"svc","name":"cloud"}],
            "dependencies":[{"ref":"app","dependsOn":["lib","svc","urn:cdx:other/1#x"]},{"ref":"lib","dependsOn":["zlib"]}]}"#,
        &[],
    );
    let sbom = &outcome.sbom;
    assert_eq!(sbom.name.as_deref(), Some("infusion-pump"));
    assert_eq!(sbom.authors, ["psirt@example.com"]);
    assert_eq!(
        sbom.tools,
        ["cdxgen 10.0 (@cyclonedx)", "sbom-service (Acme)"]
    );
    let subject = &sbom.components[sbom.subject.unwrap()];
    assert_eq!(subject.kind, ComponentKind::Firmware);
    assert_eq!(subject.level_of_support.as_deref(), Some("supported"));
    assert_eq!(subject.end_of_support.as_deref(), Some("2032-06-30"));
    let by_reference = |reference: &str| {
        sbom.components
            .iter()
            .find(|c| c.reference == reference)
            .unwrap()
    };
    let openssl = by_reference("lib");
    assert_eq!(
        openssl.licenses.as_deref(),
        Some("Apache-2.0 AND LicenseRef-OpenSSL-License")
    );
    assert_eq!(
        (
            openssl.hashes[0].algorithm.as_str(),
            openssl.hashes[0].value.as_str()
        ),
        ("SHA-256", "ab")
    );
    assert_eq!(openssl.scope, Some(Scope::Required));
    assert_eq!(openssl.direct, Some(true));
    assert_eq!(by_reference("inner").parent, Some(1));
    assert_eq!(
        by_reference("inner").direct,
        None,
        "nesting is not a dependency edge"
    );
    assert_eq!(by_reference("zlib").direct, Some(false));
    assert_eq!(
        by_reference("zlib").licenses.as_deref(),
        Some("Zlib OR MIT")
    );
    assert_eq!(by_reference("orphan").direct, None);
    assert_eq!(sbom.dependencies.len(), 2);
}

#[test]
fn spdx_json_fields_and_annotations() {
    let outcome = check_warnings(
        r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"pump","documentNamespace":"https://example.com/pump",
            "creationInfo":{"created":"2024-05-01T10:00:00Z","creators":["Organization: Acme Medical","Tool: syft-1.0","Person: Jane Roe ()"]},
            "documentDescribes":["SPDXRef-app"],
            "packages":[
              {"SPDXID":"SPDXRef-app","name":"pump-firmware","versionInfo":"4.2","supplier":"Organization: Acme Medical",
               "primaryPackagePurpose":"FIRMWARE","licenseConcluded":"NOASSERTION","licenseDeclared":"LicenseRef-Acme",
               "annotations":[{"annotationType":"OTHER","annotator":"Person: QA","annotationDate":"2024-05-01T10:00:00Z",
                               "comment":"level_of_support: supported\nend_of_support: 2032-06-30T00:00:00Z"}]},
              {"SPDXID":"SPDXRef-ssl","name":"openssl","versionInfo":"NOASSERTION","originator":"Organization: OpenSSL",
               "checksums":[{"algorithm":"SHA1","checksumValue":"ABCDEF"}],
               "externalRefs":[{"referenceCategory":"SECURITY","referenceType":"cpe22Type","referenceLocator":"cpe:/a:openssl:openssl:3.0.13"},
                               {"referenceCategory":"PACKAGE_MANAGER","referenceType":"purl","referenceLocator":"pkg:generic/openssl@3.0.13"},
                               {"referenceCategory":"SECURITY","referenceType":"swid","referenceLocator":"swid-openssl"}]},
              {"SPDXID":"SPDXRef-dev","name":"pytest","versionInfo":"8.0"}],
            "files":[{"SPDXID":"SPDXRef-file","fileName":"./a"}],
            "relationships":[
              {"spdxElementId":"SPDXRef-ssl","relationshipType":"DEPENDENCY_OF","relatedSpdxElement":"SPDXRef-app"},
              {"spdxElementId":"SPDXRef-dev","relationshipType":"DEV_DEPENDENCY_OF","relatedSpdxElement":"SPDXRef-ssl"},
              {"spdxElementId":"SPDXRef-app","relationshipType":"CONTAINS","relatedSpdxElement":"SPDXRef-file"},
              {"spdxElementId":"SPDXRef-app","relationshipType":"GENERATED_FROM","relatedSpdxElement":"SPDXRef-dev"},
              {"spdxElementId":"SPDXRef-app","relationshipType":"DEPENDS_ON","relatedSpdxElement":"DocumentRef-other:SPDXRef-x"},
              {"spdxElementId":"SPDXRef-app","relationshipType":"DEPENDS_ON","relatedSpdxElement":"NONE"},
              {"spdxElementId":"SPDXRef-app","relationshipType":"BUNDLES","relatedSpdxElement":"SPDXRef-ssl"}]}"#,
        &[
            (
                "packages[0].annotations[0]",
                "end-of-support \"2032-06-30T00:00:00Z\" is not a YYYY-MM-DD date; its date 2032-06-30 is kept",
            ),
            ("relationships[6]", "unknown relationship type \"BUNDLES\""),
        ],
    );
    let sbom = &outcome.sbom;
    assert_eq!(
        (sbom.format, sbom.encoding, sbom.spec_version.as_str()),
        (Format::Spdx, Encoding::Json, "2.3")
    );
    assert_eq!(sbom.authors, ["Acme Medical", "Jane Roe"]);
    assert_eq!(sbom.tools, ["syft-1.0"]);
    let app = &sbom.components[0];
    assert_eq!(app.kind, ComponentKind::Firmware);
    assert_eq!(app.licenses.as_deref(), Some("LicenseRef-Acme"));
    assert_eq!(app.supplier.as_deref(), Some("Acme Medical"));
    assert_eq!(app.level_of_support.as_deref(), Some("supported"));
    assert_eq!(app.end_of_support.as_deref(), Some("2032-06-30"));
    let ssl = &sbom.components[1];
    assert_eq!(ssl.version, None);
    assert_eq!(ssl.author.as_deref(), Some("OpenSSL"));
    assert_eq!(
        ssl.cpes[0].to_string(),
        "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*"
    );
    assert_eq!(ssl.swid.as_deref(), Some("swid-openssl"));
    assert_eq!(ssl.hashes[0].algorithm, "SHA-1");
    assert_eq!(ssl.direct, Some(true));
    assert_eq!(
        sbom.components[2].direct,
        Some(false),
        "a dev dependency is an edge too"
    );
    assert_eq!(sbom.dependencies.len(), 2);
}

#[test]
fn spdx_3_dangling_edges_and_unmapped_types_are_warnings() {
    let outcome = check_warnings(
        r#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[
            {"type":"CreationInfo","@id":"_:c","specVersion":"3.0.1","created":"2024-01-01T00:00:00Z","createdBy":["urn:agent"],"createdUsing":["urn:tool"]},
            {"type":"Organization","spdxId":"urn:agent","name":"Acme","creationInfo":"_:c"},
            {"type":"Tool","spdxId":"urn:tool","name":"builder","creationInfo":"_:c"},
            {"type":"software_Package","spdxId":"urn:app","name":"app","software_packageVersion":"1.0","suppliedBy":"urn:agent",
             "software_primaryPurpose":"operatingSystem",
             "externalIdentifier":[{"type":"ExternalIdentifier","externalIdentifierType":"packageUrl","identifier":"pkg:generic/app@1.0"},
                                   {"type":"ExternalIdentifier","externalIdentifierType":"cpe23","identifier":"cpe:2.3:o:acme:app:1.0:*:*:*:*:*:*:*"}],
             "verifiedUsing":[{"type":"Hash","algorithm":"sha256","hashValue":"AA"}]},
            {"type":"software_Package","spdxId":"urn:lib","name":"lib","software_packageUrl":"pkg:npm/lib@2"},
            {"type":"Annotation","spdxId":"urn:note","subject":"urn:lib","annotationType":"other","statement":"level-of-support: community"},
            {"type":"Relationship","spdxId":"urn:r1","relationshipType":"dependsOn","from":"urn:app","to":["urn:lib","urn:missing"]},
            {"type":"software_Sbom","spdxId":"urn:sbom","rootElement":["urn:app"]},
            {"type":"security_Vulnerability","spdxId":"urn:v"},
            {"type":"SpdxDocument","spdxId":"urn:doc","name":"doc","rootElement":["urn:sbom"],"creationInfo":"_:c"}]}"#,
        &[
            (
                "@graph",
                "1 element(s) of type security_Vulnerability are not read",
            ),
            (
                "@graph[6]",
                "\"urn:missing\" is neither an element of this document nor imported",
            ),
        ],
    );
    let sbom = &outcome.sbom;
    assert_eq!(
        (sbom.encoding, sbom.spec_version.as_str()),
        (Encoding::JsonLd, "3.0.1")
    );
    assert_eq!(
        (sbom.authors.as_slice(), sbom.tools.as_slice()),
        (&["Acme".to_string()][..], &["builder".to_string()][..])
    );
    assert_eq!(sbom.subject, Some(0));
    let app = &sbom.components[0];
    assert_eq!(app.kind, ComponentKind::OperatingSystem);
    assert_eq!(app.supplier.as_deref(), Some("Acme"));
    assert_eq!(app.cpes.len(), 1);
    assert_eq!(app.hashes[0].algorithm, "SHA-256");
    assert_eq!(
        sbom.components[1].level_of_support.as_deref(),
        Some("community")
    );
    assert_eq!(sbom.components[1].direct, Some(true));
}

#[test]
fn transport_layers_are_transparent() {
    let json = r#"{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"type":"library","name":"a"}]}"#;
    // UTF-8 byte-order mark.
    let marked = [b"\xef\xbb\xbf".as_slice(), json.as_bytes()].concat();
    assert_eq!(read("a.json", &marked).unwrap().sbom.components.len(), 1);
    // UTF-16LE with byte-order mark, as PowerShell's `>` writes it.
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(json.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(read("a.json", &utf16).unwrap().sbom.components.len(), 1);
    // gzip.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(json.as_bytes()).unwrap();
    let packed = encoder.finish().unwrap();
    assert_eq!(read("a.json.gz", &packed).unwrap().sbom.components.len(), 1);
    // The file name plays no part in detection.
    assert_eq!(
        read("sbom.xml", json.as_bytes()).unwrap().sbom.encoding,
        Encoding::Json
    );
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    // Tens of thousands of nested elements overflow roxmltree's recursive parser; the depth
    // is checked first.
    let depth = 20_000;
    let xml = format!(
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"><components>{}{}</components></bom>",
        "<component type=\"library\"><name>a</name><components>".repeat(depth),
        "</components></component>".repeat(depth)
    );
    let error = check_error(
        "deep.xml",
        xml.as_bytes(),
        &["line 1: the XML nests deeper than 256 elements"],
    );
    assert!(
        matches!(error, SbomError::TooDeep { limit: 256, .. }),
        "{error:?}"
    );
    // JSON stops at serde_json's recursion limit.
    let json = format!(
        "{{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.4\",\"components\":[{}{}]}}",
        "{\"name\":\"a\",\"components\":[".repeat(depth),
        "]}".repeat(depth)
    );
    check_error("deep.json", json.as_bytes(), &["recursion limit exceeded"]);
    // A BOM nested as deep as real ones is read.
    let nested = format!(
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"><components>{}{}</components></bom>",
        "<component type=\"library\"><name>a</name><components>".repeat(40),
        "</components></component>".repeat(40)
    );
    let outcome = read("nested.xml", nested.as_bytes()).unwrap();
    assert_eq!(outcome.sbom.components.len(), 40);
    assert_eq!(outcome.sbom.components[39].parent, Some(38));
}
