//! The committed OpenAPI document must be the one the code generates.

#[test]
fn committed_openapi_document_is_current() {
    let generated = aftercare_server::openapi::document();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("AFTERCARE_UPDATE_REFERENCES").is_some() {
        std::fs::write(&path, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "docs/openapi.json is stale: run `AFTERCARE_UPDATE_REFERENCES=1 cargo test -p aftercare-server --test it openapi` and commit it"
    );
}
