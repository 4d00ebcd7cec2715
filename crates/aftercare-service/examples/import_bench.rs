//! Benchmark: import (read + store, one transaction with its audit event) of generated
//! CycloneDX SBOMs into SQLite and, when `AFTERCARE_BENCH_POSTGRES_URL` is set, PostgreSQL.
//!
//! `cargo run --release -p aftercare-service --example import_bench [COMPONENTS…]`
//! (default 10000). Prints the median of 5 runs per size and backend.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use aftercare_service::access::account;
use aftercare_service::access::password::Password;
use aftercare_service::inventory::{self, SbomFile};
use aftercare_service::{Context, Workspace, WorkspaceLocation};

/// A CycloneDX 1.5 JSON SBOM of `n` components across several ecosystems, with licenses,
/// hashes and a dependency chain.
fn generate(n: usize) -> Vec<u8> {
    let ecosystems = ["npm", "pypi", "maven", "cargo", "golang"];
    let mut components = Vec::with_capacity(n);
    let mut dependencies = Vec::with_capacity(n);
    for i in 0..n {
        let ty = ecosystems[i % ecosystems.len()];
        let purl = match ty {
            "maven" => format!(
                "pkg:maven/org.example.group{}/artifact-{i}@1.{}.{}",
                i % 50,
                i % 7,
                i % 13
            ),
            "golang" => format!(
                "pkg:golang/github.com/example{}/module-{i}@v1.{}.{}",
                i % 40,
                i % 9,
                i % 11
            ),
            _ => format!("pkg:{ty}/package-{i}@{}.{}.{}", i % 5, i % 17, i % 23),
        };
        components.push(serde_json::json!({
            "type": "library",
            "bom-ref": purl,
            "name": format!("package-{i}"),
            "version": format!("{}.{}.{}", i % 5, i % 17, i % 23),
            "purl": purl,
            "supplier": {"name": format!("Supplier {}", i % 97)},
            "licenses": [{"license": {"id": "MIT"}}],
            "hashes": [{"alg": "SHA-256", "content": format!("{:064x}", i)}],
        }));
        if i > 0 {
            dependencies.push(
                serde_json::json!({"ref": components[i - 1]["bom-ref"], "dependsOn": [purl]}),
            );
        }
    }
    serde_json::to_vec(&serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {"timestamp": "2026-01-01T00:00:00Z", "authors": [{"name": "bench"}],
            "component": {"type": "application", "bom-ref": "app", "name": "app", "version": "1.0"}},
        "components": components,
        "dependencies": dependencies,
    }))
    .unwrap()
}

async fn fresh(url: &str) -> (Workspace, Context) {
    let workspace = Workspace::open(WorkspaceLocation::Database(url.to_string()))
        .await
        .unwrap();
    let admin = aftercare_service::flow::init(
        &workspace,
        "bench",
        "Bench",
        &Password::new("bench-password-1"),
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    (
        workspace,
        Context::new(account::actor_of(&admin), jiff::Timestamp::now()),
    )
}

async fn time_import(url: &str, bytes: &[u8]) -> Duration {
    let (workspace, context) = fresh(url).await;
    inventory::add_product(&workspace, &context, "bench", None)
        .await
        .unwrap();
    let file = SbomFile {
        name: "bench.json".into(),
        bytes: bytes.to_vec(),
    };
    let start = Instant::now();
    aftercare_service::flow::import_release(&workspace, &context, "bench", "1.0", Some(&file))
        .await
        .unwrap();
    let elapsed = start.elapsed();
    workspace.raw_store().close().await;
    elapsed
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000]
    } else {
        sizes
    };
    let postgres = std::env::var("AFTERCARE_BENCH_POSTGRES_URL").ok();
    println!("| components | SBOM bytes | backend | import (median of 5) |");
    println!("| --- | --- | --- | --- |");
    for size in sizes {
        let bytes = generate(size);
        let mut samples = Vec::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            );
            samples.push(time_import(&url, &bytes).await);
        }
        println!(
            "| {size} | {} | SQLite | {:.0} ms |",
            bytes.len(),
            median(samples).as_secs_f64() * 1000.0
        );
        if let Some(base) = &postgres {
            let mut samples = Vec::new();
            for run in 0..5 {
                let schema = format!("bench_{}_{run}", std::process::id());
                {
                    use sqlx::Connection;
                    sqlx::any::install_default_drivers();
                    let mut admin = sqlx::AnyConnection::connect(base).await.unwrap();
                    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut admin)
                        .await
                        .unwrap();
                    sqlx::query(&format!("CREATE SCHEMA {schema}"))
                        .execute(&mut admin)
                        .await
                        .unwrap();
                }
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
                samples.push(time_import(&url, &bytes).await);
                let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(base)
                    .await
                    .unwrap();
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
            println!(
                "| {size} | {} | PostgreSQL | {:.0} ms |",
                bytes.len(),
                median(samples).as_secs_f64() * 1000.0
            );
        }
    }
}
