//! Support addenda: small hand-written CSV and JSON samples applied to a small SBOM.

use aftercare_sbom::{SbomError, SupportTarget, apply_addendum, read, read_addendum};

const SBOM: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.6",
  "metadata":{"component":{"bom-ref":"pump","type":"firmware","name":"pump-fw","version":"4.2"}},
  "components":[
    {"bom-ref":"ssl-x86","type":"library","name":"openssl","version":"3.0.13","purl":"pkg:rpm/redhat/openssl@3.0.13?arch=x86_64"},
    {"bom-ref":"ssl-arm","type":"library","name":"openssl","version":"3.0.13","purl":"pkg:rpm/redhat/openssl@3.0.13?arch=aarch64"},
    {"bom-ref":"zlib","type":"library","name":"zlib","version":"1.3","purl":"pkg:generic/zlib@1.3"},
    {"bom-ref":"busybox","type":"library","name":"BusyBox","version":"1.36.1"}]}"#;

/// A component's reference, level of support and end-of-support date.
type Fields = (String, Option<String>, Option<String>);

/// Reads the addendum, applies it to [`SBOM`] and returns the support fields per component
/// plus every warning as text.
fn apply(name: &str, addendum: &str) -> (Vec<Fields>, Vec<String>) {
    let mut sbom = read("sbom.json", SBOM.as_bytes()).unwrap().sbom;
    let (entries, mut warnings) = read_addendum(name, addendum.as_bytes()).unwrap();
    warnings.extend(apply_addendum(&mut sbom, &entries));
    let fields = sbom
        .components
        .iter()
        .map(|c| {
            (
                c.reference.clone(),
                c.level_of_support.clone(),
                c.end_of_support.clone(),
            )
        })
        .collect();
    (fields, warnings.iter().map(ToString::to_string).collect())
}

fn field(reference: &str, level: Option<&str>, end: Option<&str>) -> Fields {
    (
        reference.to_string(),
        level.map(str::to_string),
        end.map(str::to_string),
    )
}

#[test]
fn csv_by_purl_reference_and_name() {
    let (fields, warnings) = apply(
        "support.csv",
        "purl,bom-ref,name,version,Level of Support,End of Support,comment\n\
         pkg:rpm/redhat/openssl,,,,supported,2029-05-31,all architectures (no version: every version)\n\
         ,pump,,,supported,2032-06-30,the device software itself\n\
         ,,busybox,1.36.1,community,,\"name, case-insensitive\"\n\
         pkg:generic/zlib@1.2,,,,none,,wrong version: matches nothing\n\
         ,,,,supported,2030-01-01,no component named\n\
         pkg:generic/zlib@1.3,,,,\"end-of-life\",31/12/2024,bad date\n",
    );
    assert_eq!(
        fields,
        [
            field("pump", Some("supported"), Some("2032-06-30")),
            field("ssl-x86", Some("supported"), Some("2029-05-31")),
            field("ssl-arm", Some("supported"), Some("2029-05-31")),
            field("zlib", Some("end-of-life"), None),
            field("busybox", Some("community"), None),
        ]
    );
    assert_eq!(
        warnings,
        [
            "line 1: column \"comment\" is not an addendum column; ignored",
            "line 6: the row names no component (purl, bom-ref/reference or name); ignored",
            "line 7: end-of-support \"31/12/2024\" is not a YYYY-MM-DD date; ignored",
            "line 5: package URL pkg:generic/zlib@1.2 matches no component of the SBOM",
        ]
    );
}

#[test]
fn csv_with_semicolons_and_qualifiers() {
    let (fields, warnings) = apply(
        "support.csv",
        "PURL;levelOfSupport;endOfSupport\r\npkg:rpm/redhat/openssl@3.0.13?arch=aarch64;vendor;2028-01-31\r\n",
    );
    assert_eq!(
        fields[2],
        field("ssl-arm", Some("vendor"), Some("2028-01-31"))
    );
    assert_eq!(
        fields[1],
        field("ssl-x86", None, None),
        "the qualifier narrows the match"
    );
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn json_addendum() {
    let (fields, warnings) = apply(
        "support.json",
        r#"[
          {"reference": "zlib", "level_of_support": "community", "end_of_support": "2030-12-31"},
          {"name": "openssl", "version": "3.0.13", "aftercare:end_of_support": "2029-05-31T00:00:00Z"},
          {"purl": "not a purl", "level_of_support": "x"},
          {"bom-ref": "nothing-here", "level_of_support": "x"},
          {"bom-ref": "pump", "owner": "team-a", "level_of_support": 3},
          "not an object"
        ]"#,
    );
    assert_eq!(
        fields[3],
        field("zlib", Some("community"), Some("2030-12-31"))
    );
    assert_eq!(fields[1], field("ssl-x86", None, Some("2029-05-31")));
    assert_eq!(fields[0], field("pump", Some("3"), None));
    assert_eq!(
        warnings,
        [
            "[1]: end-of-support \"2029-05-31T00:00:00Z\" is not a YYYY-MM-DD date; its date 2029-05-31 is kept",
            "[2]: invalid package URL \"not a purl\" (a package URL starts with `pkg:`)",
            "[2]: the row names no component (purl, bom-ref/reference or name); ignored",
            "[4]: key \"owner\" is not an addendum key; ignored",
            "[5]: expected an object; ignored",
            "[3]: reference \"nothing-here\" matches no component of the SBOM",
        ]
    );
}

#[test]
fn entries_say_what_they_target() {
    let (entries, _) = read_addendum(
        "a.csv",
        b"name,version,end_of_support\nBusyBox,,2030-01-01\n",
    )
    .unwrap();
    assert_eq!(
        entries[0].target,
        SupportTarget::NameVersion {
            name: "BusyBox".to_string(),
            version: None
        }
    );
    assert_eq!(entries[0].location, "line 2");
}

#[test]
fn unreadable_addenda_are_errors() {
    let check = |name: &str, text: &str, part: &str| {
        let error = read_addendum(name, text.as_bytes()).unwrap_err();
        assert!(matches!(error, SbomError::Addendum { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains(part), "{message} lacks {part:?}");
        assert!(message.starts_with(&format!("{name}: ")), "{message}");
        assert!(message.contains("docs/sbom-support-fields.md"), "{message}");
    };
    check("a.csv", "", "the addendum is empty");
    check(
        "a.csv",
        "component_id,owner\nx,y\n",
        "line 1: the header names no component column",
    );
    check(
        "a.csv",
        "purl,owner\nx,y\n",
        "neither a level_of_support nor an end_of_support column",
    );
    check(
        "a.csv",
        "purl,level_of_support\n\"pkg:npm/a,x\n",
        "line 2: a quoted cell is never closed",
    );
    check("a.json", "[{\"purl\": ]", "line 1, column 11: invalid JSON");
    check(
        "a.json",
        "{\"purl\": \"x\"}",
        "a JSON addendum is an array of objects",
    );
}
