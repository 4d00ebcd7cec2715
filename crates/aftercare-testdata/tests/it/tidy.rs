//! Tidy checks of the workspace's layering, read from every `crates/*/Cargo.toml` and from the
//! pure crates' sources.
//!
//! The layering (STYLE.md §1–2, ARCHITECTURE.md) is: the binary → server → service → store and
//! the pure crates → model, with the pure crates in layers of their own (model ← version, cvss
//! ← sbom, intel, risk ← match; risk ← patch). It held so far by goodwill; these tests make a forbidden edge
//! fail with the crate, the edge and the rule it breaks.
//!
//! To add a rule, add one row to [`CRATE_RULES`] (or [`NEVER_DERIVED`]) with the reason it
//! exists. Only normal dependencies count: dev-dependencies may differ (a pure crate's tests
//! may read real data through this crate, for instance).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The functional core: synchronous code over in-memory data.
const PURE: &[&str] = &[
    "aftercare-model",
    "aftercare-version",
    "aftercare-cvss",
    "aftercare-sbom",
    "aftercare-intel",
    "aftercare-risk",
    "aftercare-match",
    "aftercare-patch",
    "aftercare-rollout",
    "aftercare-fleet",
];

/// The crates above the core: storage, use cases, HTTP and the command line.
const SHELL: &[&str] = &[
    "aftercare-store",
    "aftercare-service",
    "aftercare-api",
    "aftercare-server",
    "aftercare",
];

/// Runtime, storage, HTTP and wire-format crates.
const INFRASTRUCTURE: &[&str] = &["tokio", "sqlx", "axum", "ureq", "utoipa"];

/// One rule of the layering: `crates` never have a normal dependency on any of `never`.
#[derive(Debug)]
struct Rule {
    crates: &'static [&'static str],
    never: &'static [&'static str],
    why: &'static str,
}

const fn rule(
    crates: &'static [&'static str],
    never: &'static [&'static str],
    why: &'static str,
) -> Rule {
    Rule { crates, never, why }
}

/// The crate edges that must not exist, one rule a row, each with why it exists.
#[rustfmt::skip]
const CRATE_RULES: &[Rule] = &[
    // The functional core.
    rule(PURE, SHELL, "the pure core is called by the shells and never calls them: that keeps it fast, fuzzable and testable with plain check() helpers (STYLE.md §1)"),
    rule(PURE, INFRASTRUCTURE, "the pure core does no async, storage, HTTP or wire format; those are adapters around it (STYLE.md §1, §6)"),
    rule(&["aftercare-model"], &["aftercare-version", "aftercare-cvss", "aftercare-sbom", "aftercare-intel", "aftercare-risk", "aftercare-match", "aftercare-patch", "aftercare-rollout", "aftercare-fleet"], "the shared words are the ground floor: every crate uses them and they use no other crate of ours"),
    rule(&["aftercare-version", "aftercare-cvss"], &["aftercare-sbom", "aftercare-intel", "aftercare-risk", "aftercare-match", "aftercare-patch"], "version and CVSS semantics are read by the formats and rules above them, never the reverse"),
    rule(&["aftercare-sbom", "aftercare-intel", "aftercare-risk"], &["aftercare-match"], "the readers and the risk rules feed the matcher, never the reverse"),
    rule(&["aftercare-sbom", "aftercare-intel", "aftercare-risk", "aftercare-match"], &["aftercare-patch"], "patch management stands on the policy and the risk rules and reads match results as data; nothing below it knows patches"),
    rule(&["aftercare-rollout"], &["aftercare-match", "aftercare-intel", "aftercare-sbom"], "rollouts decide waves, thresholds and actions from facts the service passes in; what a release fixes is patch management's answer, read by the service (ADR 0013)"),
    rule(&["aftercare-fleet"], &["aftercare-model", "aftercare-match", "aftercare-intel", "aftercare-sbom", "aftercare-patch", "aftercare-rollout", "aftercare-risk"], "fleet monitoring's rules see telemetry and series only; which device runs what, what a rollout is and which clock an incident opens are the service's to join (issue 15)"),
    rule(&["aftercare-patch"], &["aftercare-match"], "fix evidence reads the matcher's outcome, which the service passes in (ADR 0012); evaluating ranges here would be a second matcher that could disagree with the findings"),
    // The shell.
    rule(&["aftercare-store"], &["aftercare-service", "aftercare-server", "aftercare", "axum"], "storage is an adapter below the use cases: it knows rows and queries, not use cases or HTTP"),
    rule(&["aftercare-service"], &["aftercare-server", "aftercare", "axum", "utoipa"], "the use cases serve both shells (HTTP and the CLI) and know neither; HTTP, its errors and its wire types are the server's (STYLE.md §6, §13)"),
    rule(&["aftercare-server"], &["aftercare"], "the binary starts the server, never the reverse"),
    rule(&["aftercare-api"], &["aftercare-server", "aftercare", "axum", "tokio", "sqlx"], "the wire types are shared by the server and the CLI and know no HTTP, runtime or SQL (ADR 0011)"),
    rule(&["aftercare-service", "aftercare-store"], &["aftercare-api"], "the use cases and storage know no wire format; the API crate converts from them"),
];

/// What the pure crates' sources never derive: (trait, why).
#[rustfmt::skip]
const NEVER_DERIVED: &[(&str, &str)] = &[
    ("Serialize", "domain types are not serialized for an API's sake; the boundary crate owns the wire format (STYLE.md §6)"),
    ("ToSchema", "OpenAPI schemas describe wire types, which live in the server (STYLE.md §6)"),
];

/// Pure crates that may derive `Serialize`, with the reason. Not an API's wire type: a format
/// the crate itself owns, as `aftercare-sbom` owns CycloneDX.
const SERIALIZE_ALLOWED: &[(&str, &str)] = &[(
    "aftercare-fleet",
    "it owns the telemetry line format devices send (written by `telemetry::to_line` for the \
     simulator) and the evidence a detector or the health gate keeps with a signal — a record \
     whose form is the rule's, stored as it was computed (ADR 0015)",
)];

/// One crate of the workspace, as its manifest declares it.
#[derive(Debug)]
struct Manifest {
    /// `package.name`.
    name: String,
    /// The manifest's path, for messages.
    path: PathBuf,
    /// The crates of its normal dependencies (`[dependencies]` and per-target ones), by their
    /// real names (a `package = "…"` rename resolved).
    dependencies: BTreeSet<String>,
    /// Every crate it names in any dependency table, dev- and build-dependencies included.
    named: BTreeSet<String>,
}

fn workspace_root() -> &'static Path {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.ancestors().nth(2).unwrap_or(crate_dir)
}

/// A path as messages show it: from the workspace root.
fn shown(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn read_toml(path: &Path) -> toml::Table {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: not TOML: {e}", path.display()))
}

/// The real crate names of one dependency table; `renamed` maps the workspace's own renames.
fn crate_names(table: Option<&toml::Value>, renamed: &BTreeMap<String, String>) -> Vec<String> {
    let Some(table) = table.and_then(toml::Value::as_table) else {
        return Vec::new();
    };
    table
        .iter()
        .map(|(key, value)| {
            let inherited = value.get("workspace").and_then(toml::Value::as_bool) == Some(true);
            match value.get("package").and_then(toml::Value::as_str) {
                Some(package) => package.to_string(),
                None if inherited => renamed.get(key).cloned().unwrap_or_else(|| key.clone()),
                None => key.clone(),
            }
        })
        .collect()
}

/// Every `crates/*/Cargo.toml`, in name order.
fn manifests() -> Vec<Manifest> {
    let root = workspace_root();
    let workspace = read_toml(&root.join("Cargo.toml"));
    let renamed: BTreeMap<String, String> = workspace
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
        .filter_map(|(key, value)| {
            let package = value.get("package")?.as_str()?;
            Some((key.clone(), package.to_string()))
        })
        .collect();
    let mut paths: Vec<PathBuf> = fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("Cargo.toml"))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let manifest = read_toml(&path);
            let name = manifest
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(toml::Value::as_str)
                .unwrap_or_else(|| panic!("{}: no package.name", path.display()))
                .to_string();
            let targets: Vec<&toml::Value> = manifest
                .get("target")
                .and_then(toml::Value::as_table)
                .into_iter()
                .flat_map(|targets| targets.values())
                .collect();
            let mut dependencies = BTreeSet::new();
            let mut named = BTreeSet::new();
            for table in ["dependencies", "dev-dependencies", "build-dependencies"] {
                let tables = std::iter::once(manifest.get(table))
                    .chain(targets.iter().map(|target| target.get(table)));
                for found in tables.map(|t| crate_names(t, &renamed)) {
                    if table == "dependencies" {
                        dependencies.extend(found.iter().cloned());
                    }
                    named.extend(found);
                }
            }
            Manifest {
                name,
                path,
                dependencies,
                named,
            }
        })
        .collect()
}

/// Every edge that breaks a rule, as a message naming the crate, the edge and the rule.
fn violations(manifests: &[Manifest], rules: &[Rule]) -> Vec<String> {
    let mut found = Vec::new();
    for manifest in manifests {
        for rule in rules
            .iter()
            .filter(|r| r.crates.contains(&manifest.name.as_str()))
        {
            for dependency in rule
                .never
                .iter()
                .filter(|never| manifest.dependencies.contains(**never))
            {
                found.push(format!(
                    "{crate_} depends on {dependency} ({path} [dependencies]); \
                     rule: {crates:?} never depend on {never:?}, because {why}",
                    crate_ = manifest.name,
                    path = shown(&manifest.path),
                    crates = rule.crates,
                    never = rule.never,
                    why = rule.why,
                ));
            }
        }
    }
    found
}

#[test]
fn crate_edges_follow_the_layering() {
    let found = violations(&manifests(), CRATE_RULES);
    assert!(
        found.is_empty(),
        "forbidden crate edges:\n{}",
        found.join("\n")
    );
}

/// A rule that names a crate nobody is or uses would pass for ever, even after a rename.
#[test]
fn every_crate_a_rule_names_exists() {
    let manifests = manifests();
    let known: BTreeSet<&str> = manifests
        .iter()
        .flat_map(|m| std::iter::once(m.name.as_str()).chain(m.named.iter().map(String::as_str)))
        .collect();
    let unknown: Vec<&str> = CRATE_RULES
        .iter()
        .flat_map(|rule| rule.crates.iter().chain(rule.never))
        .copied()
        .filter(|name| !known.contains(name))
        .collect();
    assert!(
        unknown.is_empty(),
        "rules name crates that no workspace crate is or depends on (renamed?): {unknown:?}"
    );
    for name in PURE {
        assert!(
            manifests.iter().any(|m| m.name == *name),
            "{name} is not a crate of the workspace"
        );
    }
}

/// The traits listed in the `derive(…)` attributes of a Rust source, by their last path
/// segment (`serde::Serialize` is `Serialize`); line comments are left out.
fn derived(source: &str) -> Vec<String> {
    let code: Vec<&str> = source
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect();
    let code = code.join("\n");
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(start) = rest.find("derive(") {
        rest = &rest[start + "derive(".len()..];
        let end = rest.find(')').unwrap_or(rest.len());
        found.extend(
            rest[..end]
                .split(',')
                .filter_map(|path| path.rsplit("::").next())
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_string),
        );
        rest = &rest[end..];
    }
    found
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn pure_crates_never_derive_wire_traits() {
    let root = workspace_root();
    let mut found = Vec::new();
    let mut read = 0;
    for name in PURE {
        let mut files = Vec::new();
        rust_files(&root.join("crates").join(name).join("src"), &mut files);
        for file in files {
            let source = fs::read_to_string(&file).unwrap();
            read += 1;
            for derived in derived(&source) {
                if derived == "Serialize" && SERIALIZE_ALLOWED.iter().any(|(c, _)| c == name) {
                    continue;
                }
                if let Some((_, why)) = NEVER_DERIVED.iter().find(|(t, _)| *t == derived) {
                    found.push(format!(
                        "{} derives {derived} ({name} is a pure crate): {why}",
                        shown(&file)
                    ));
                }
            }
        }
    }
    assert!(read > PURE.len(), "read only {read} source files");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

// The checks of the checks: a tidy test that cannot fail proves nothing.

fn check_edges(name: &str, dependencies: &[&str], expected: &[&str]) {
    let manifest = Manifest {
        name: name.to_string(),
        path: PathBuf::from(format!("crates/{name}/Cargo.toml")),
        dependencies: dependencies.iter().map(|d| d.to_string()).collect(),
        named: BTreeSet::new(),
    };
    let found = violations(&[manifest], CRATE_RULES);
    let edges: Vec<String> = found
        .iter()
        .map(|message| {
            let (edge, _) = message.split_once(" (").unwrap();
            edge.replace(" depends on ", " -> ")
        })
        .collect();
    assert_eq!(edges, expected, "{name} with {dependencies:?}");
    for message in &found {
        assert!(
            message.contains("rule: ") && message.contains("because"),
            "{message}"
        );
    }
}

#[test]
#[rustfmt::skip]
fn forbidden_edges_are_found() {
    check_edges("aftercare-version", &["semver", "thiserror"], &[]);
    check_edges("aftercare-version", &["tokio"], &["aftercare-version -> tokio"]);
    check_edges("aftercare-match", &["aftercare-intel", "aftercare-store"], &["aftercare-match -> aftercare-store"]);
    check_edges("aftercare-model", &["aftercare-version"], &["aftercare-model -> aftercare-version"]);
    check_edges("aftercare-cvss", &["aftercare-risk"], &["aftercare-cvss -> aftercare-risk"]);
    check_edges("aftercare-patch", &["aftercare-risk", "aftercare-model", "jiff"], &[]);
    check_edges("aftercare-patch", &["aftercare-match", "sqlx"], &["aftercare-patch -> sqlx", "aftercare-patch -> aftercare-match"]);
    check_edges("aftercare-risk", &["aftercare-patch"], &["aftercare-risk -> aftercare-patch"]);
    check_edges("aftercare-intel", &["aftercare-match", "ureq"], &["aftercare-intel -> ureq", "aftercare-intel -> aftercare-match"]);
    check_edges("aftercare-store", &["sqlx", "axum"], &["aftercare-store -> axum"]);
    check_edges("aftercare-service", &["aftercare-store", "utoipa"], &["aftercare-service -> utoipa"]);
    check_edges("aftercare-server", &["aftercare-service", "aftercare"], &["aftercare-server -> aftercare"]);
    check_edges("aftercare", &["aftercare-server", "axum", "tokio"], &[]);
}

fn check_derived(source: &str, expected: &[&str]) {
    assert_eq!(derived(source), expected, "{source:?}");
}

#[test]
#[rustfmt::skip]
fn derive_lists_are_read() {
    check_derived("#[derive(Debug, Clone)]", &["Debug", "Clone"]);
    check_derived("#[derive(Deserialize)]", &["Deserialize"]);
    check_derived("#[derive(serde::Serialize, PartialEq)]", &["Serialize", "PartialEq"]);
    check_derived("#[derive(\n    Debug,\n    Serialize,\n)]", &["Debug", "Serialize"]);
    check_derived("#[cfg_attr(test, derive(Serialize))]", &["Serialize"]);
    check_derived("// #[derive(Serialize)] is what we do not do", &[]);
    check_derived("struct Plain;", &[]);
}

// ---------------------------------------------------------------------------------------------
// The slices of `aftercare-service` (ARCHITECTURE.md, "aftercare-service").

/// A slice of the service (a folder or file under `crates/aftercare-service/src`) and the
/// slices it may import. Anything of the service not listed here is the *floor* (`lib.rs`,
/// `workspace.rs`, `audit.rs`, `error.rs`, `fetch.rs`), which imports no slice.
#[rustfmt::skip]
const SLICE_RULES: &[(&str, &[&str], &str)] = &[
    ("access", &[], "who may act and who signed: every slice uses it, it uses none"),
    ("inventory", &["access"], "an import stands on its own; its match is flow's business"),
    ("intel", &["access"], "a sync stands on its own; its re-match is flow's business"),
    ("triage", &["access", "inventory", "intel"], "decisions and clocks read products and signals, never run matches"),
    ("finding", &["access", "inventory", "intel", "triage"], "a run tells cases of first matches and lets decisions reach new findings"),
    ("patch", &["access", "inventory", "intel", "triage", "finding"], "plans remediate findings, under the cases' clocks; a distribution meets them through flow"),
    ("device", &["access", "inventory", "intel"], "the registry reads products, releases and vulnerability aliases; exposure is a join to findings in the store, never a match run"),
    ("artifact", &["access", "inventory"], "artifacts are files of releases; the DDI routes read them by id with no principal, and rollouts will read them, never the reverse"),
    ("rollout", &["access", "inventory", "intel", "triage", "device", "patch", "artifact"], "a rollout reads devices and the patch gate, offers artifacts, and never records a distribution itself: flow does once every device was offered"),
    ("fleet", &["access", "inventory", "device"], "telemetry is stored for authenticated devices and read back; a signal is raised here and triaged here, and the rollouts' health gate reads it through flow"),
    ("incident", &["access", "inventory", "triage", "fleet"], "an investigation reads products, opens its clocks through the cases of triage and moves the signal it came from; nothing imports it but the shells"),
    ("flow", &["access", "inventory", "intel", "triage", "finding", "patch", "rollout", "fleet"], "the one module that chains slices (import → match, sync → re-match, distribution → clock)"),
];

/// The slice a service source file belongs to (`None`: the floor).
fn slice_of(relative: &Path) -> Option<&'static str> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    SLICE_RULES
        .iter()
        .map(|(slice, _, _)| *slice)
        .find(|slice| *slice == name)
}

/// The top-level modules of the crate a source names through `crate::…` paths, `use crate::{…}`
/// groups included.
fn crate_paths(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Comments out, lines joined: a `use crate::{…}` group may span lines.
    let code: Vec<&str> = source
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect();
    let code = code.join(" ");
    {
        let mut rest = code.as_str();
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // A group may span lines; the first segment of each item is what counts.
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.insert(name);
            }
        }
    }
    out
}

/// Edges between service slices that the rules forbid, as messages.
fn slice_violations(files: &[(PathBuf, String)]) -> Vec<String> {
    let slices: Vec<&str> = SLICE_RULES.iter().map(|(slice, _, _)| *slice).collect();
    let mut out = Vec::new();
    for (relative, source) in files {
        let from = slice_of(relative);
        let allowed: &[&str] = match from {
            Some(slice) => SLICE_RULES
                .iter()
                .find(|(name, _, _)| *name == slice)
                .map_or(&[], |(_, allowed, _)| *allowed),
            None if relative == Path::new("lib.rs") => &slices,
            None => &[],
        };
        for target in crate_paths(source) {
            let Some(target) = slices.iter().find(|slice| **slice == target) else {
                continue;
            };
            if Some(*target) == from || allowed.contains(target) {
                continue;
            }
            let why = match from {
                Some(slice) => SLICE_RULES
                    .iter()
                    .find(|(name, _, _)| *name == slice)
                    .map_or("", |(_, _, why)| *why),
                None => {
                    "the floor (workspace, audit, errors, the feed client) stands under every slice and imports none"
                }
            };
            out.push(format!(
                "aftercare-service/src/{} ({}) imports the slice `{target}`: {why}",
                relative.display(),
                from.unwrap_or("floor"),
            ));
        }
    }
    out
}

#[test]
fn service_slices_import_one_way() {
    let root = workspace_root().join("crates/aftercare-service/src");
    let mut paths = Vec::new();
    rust_files(&root, &mut paths);
    let files: Vec<(PathBuf, String)> = paths
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(&root).unwrap_or(path).to_path_buf();
            (relative, fs::read_to_string(path).unwrap_or_default())
        })
        .collect();
    assert!(files.len() > 20, "the service's sources were not found");
    let found = slice_violations(&files);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn forbidden_slice_edges_are_found() {
    let files = |entries: &[(&str, &str)]| -> Vec<(PathBuf, String)> {
        entries
            .iter()
            .map(|(path, source)| (PathBuf::from(path), source.to_string()))
            .collect()
    };
    let check = |entries: &[(&str, &str)], expected: usize| {
        let found = slice_violations(&files(entries));
        assert_eq!(found.len(), expected, "{entries:?}: {found:?}");
    };
    check(&[("inventory/mod.rs", "use crate::finding::rematch;")], 1);
    check(
        &[("intel/sync.rs", "crate::finding::rematch(w, c, s).await")],
        1,
    );
    check(&[("intel/sync.rs", "use crate::{Context, finding};")], 1);
    check(
        &[(
            "intel/sync.rs",
            "use crate::{\n    Context, ServiceError,\n    finding,\n};",
        )],
        1,
    );
    check(&[("workspace.rs", "Option<crate::finding::MatchState>")], 1);
    check(
        &[(
            "access/account.rs",
            "crate::triage::policy::store_builtin()",
        )],
        1,
    );
    check(
        &[("finding/run.rs", "use crate::triage::{assessment, case};")],
        0,
    );
    check(&[("flow.rs", "use crate::{access, finding, triage};")], 0);
    check(
        &[(
            "triage/case.rs",
            "// crate::finding::show is not called here",
        )],
        0,
    );
    check(&[("lib.rs", "pub mod finding;\nuse crate::finding::X;")], 0);
}

/// The shells (server, CLI) reach the store only through use cases: `Workspace::store()` is
/// crate-private, and the tests' `raw_store()` must not appear in their sources.
#[test]
fn shells_never_read_the_store_directly() {
    let mut found = Vec::new();
    for shell in ["crates/aftercare-server/src", "crates/aftercare/src"] {
        let mut paths = Vec::new();
        rust_files(&workspace_root().join(shell), &mut paths);
        for path in paths {
            let source = fs::read_to_string(&path).unwrap_or_default();
            if source.contains("raw_store(") || source.contains(".store().pool()") {
                found.push(shown(&path));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the shells call use cases, never the store: {found:?}"
    );
}
