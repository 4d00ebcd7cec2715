//! The committed CLI reference must be the one the clap definitions generate.

use clap::CommandFactory;

#[test]
fn clap_definitions_are_consistent() {
    aftercare::cli::Cli::command().debug_assert();
}

#[test]
fn committed_cli_reference_is_current() {
    let generated = aftercare::reference::markdown();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md");
    if std::env::var_os("AFTERCARE_UPDATE_REFERENCES").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/cli.md is stale: run `AFTERCARE_UPDATE_REFERENCES=1 cargo test -p aftercare --test it reference` and commit it"
    );
}
