//! Benchmark: the exposure of one vulnerability over a large fleet — the devices exposed now,
//! counted by release, organisation and site (`aftercare_store::fleet::exposure_now`, what
//! `aftercare exposure` and `/api/v1/exposure` run first) — on SQLite and, when
//! `AFTERCARE_BENCH_POSTGRES_URL` is set, PostgreSQL.
//!
//! `cargo run --release -p aftercare-service --example exposure_bench [DEVICES [PRODUCTS
//! [RELEASES_PER_PRODUCT]]]` (default 1,000,000 devices, 100 products, 20 releases each: 2,000
//! releases). The devices are spread evenly over the releases and over 50 organisations with 4
//! sites each; the vulnerability affects every 10th release (200 releases, 100,000 devices),
//! passed as the release list its open findings give (the findings look-up is one indexed
//! query and is not part of this figure). Prints the median of 20 warm runs after 3 warm-ups.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use aftercare_service::access::account;
use aftercare_service::access::password::Password;
use aftercare_service::{Context, Workspace, WorkspaceLocation, flow, inventory};

async fn fresh(url: &str) -> (Workspace, Context) {
    let workspace = Workspace::open(WorkspaceLocation::Database(url.to_string()))
        .await
        .unwrap();
    let admin = flow::init(
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

async fn fill(
    workspace: &Workspace,
    context: &Context,
    devices: i64,
    products: i64,
    per: i64,
) -> Vec<i64> {
    for p in 0..products {
        let name = format!("product-{p:03}");
        inventory::add_product(workspace, context, &name, None)
            .await
            .unwrap();
        for r in 0..per {
            flow::import_release(workspace, context, &name, &format!("1.{r}.0"), None)
                .await
                .unwrap();
        }
    }
    let pool = workspace.raw_store().pool();
    let mut tx = pool.begin().await.unwrap();
    for o in 0..50 {
        sqlx::query("INSERT INTO organisations (name, created_at) VALUES ($1, $2)")
            .bind(format!("org-{o:02}"))
            .bind("2026-01-01T00:00:00Z")
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO sites (name, organisation_id, created_at) \
         SELECT 'site-' || CAST(o.id AS TEXT) || '-' || CAST(k.k AS TEXT), o.id, '2026-01-01T00:00:00Z' \
         FROM organisations o CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) k",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let releases: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, product_id FROM releases ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    let sites: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, organisation_id FROM sites ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    // Devices in transactions of 50,000, multi-row inserts of 1,000.
    let chunk = 50_000;
    let mut start = 0;
    while start < devices {
        let end = (start + chunk).min(devices);
        let mut tx = pool.begin().await.unwrap();
        let mut values = Vec::new();
        for i in start..end {
            let (release, product) = releases[(i as usize) % releases.len()];
            let (site, organisation) = sites[(i as usize / 7) % sites.len()];
            values.push(format!(
                "('dev-{i}', 'token-{i}', {product}, 'SN-{i}', {site}, {organisation}, {release}, 'import', \
                 '2026-01-01T00:00:00Z', 'registered', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'unknown')"
            ));
            if values.len() == 1000 || i + 1 == end {
                sqlx::query(&format!(
                    "INSERT INTO devices (controller_id, token_sha256, product_id, serial, site_id, \
                     organisation_id, installed_release_id, installed_source, installed_at, state, \
                     created_at, updated_at, client_kind) VALUES {}",
                    values.join(",")
                ))
                .execute(&mut *tx)
                .await
                .unwrap();
                values.clear();
            }
        }
        tx.commit().await.unwrap();
        start = end;
    }
    // Statistics for the planners.
    let _ = sqlx::query("ANALYZE").execute(pool).await;
    releases.iter().map(|(id, _)| *id).step_by(10).collect()
}

async fn measure(label: &str, url: &str, devices: i64, products: i64, per: i64) {
    let (workspace, context) = fresh(url).await;
    let started = Instant::now();
    let exposed = fill(&workspace, &context, devices, products, per).await;
    eprintln!(
        "{label}: {devices} devices in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut samples: Vec<Duration> = Vec::new();
    let mut total = 0;
    for run in 0..23 {
        let started = Instant::now();
        let counts = aftercare_store::fleet::exposure_now(workspace.raw_store(), &exposed)
            .await
            .unwrap();
        let elapsed = started.elapsed();
        total = counts.iter().map(|c| c.devices).sum::<i64>();
        if run >= 3 {
            samples.push(elapsed);
        }
    }
    samples.sort();
    println!(
        "| {label} | {devices} | {} | {} | {total} | {:.1} ms |",
        products * per,
        exposed.len(),
        samples[samples.len() / 2].as_secs_f64() * 1000.0
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<i64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let devices = args.first().copied().unwrap_or(1_000_000);
    let products = args.get(1).copied().unwrap_or(100);
    let per = args.get(2).copied().unwrap_or(20);
    println!(
        "| backend | devices | releases | exposed releases | exposed devices | exposure now (median of 20 warm) |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    measure("SQLite", &url, devices, products, per).await;
    if let Ok(base) = std::env::var("AFTERCARE_BENCH_POSTGRES_URL") {
        let schema = format!("exposure_bench_{}", std::process::id());
        {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let mut admin = sqlx::AnyConnection::connect(&base).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut admin)
                .await
                .unwrap();
        }
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
        measure("PostgreSQL", &url, devices, products, per).await;
        use sqlx::Connection;
        let mut admin = sqlx::AnyConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}
