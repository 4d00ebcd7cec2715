//! The schema and its migrations, for both backends.
//!
//! Each migration is written once in the SQL both dialects share, with two markers replaced
//! per backend: `{id}` (an auto-numbered primary key) and `{blob}` (raw bytes). Statements
//! that only one dialect can express (triggers) come as per-backend lists. Migrations run in
//! one transaction each, in order, and are recorded in `schema_migrations`.

use sqlx::Row;

use crate::{Backend, Store, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    /// Shared SQL, statements separated by `;` at the end of a line.
    shared: &'static str,
    sqlite: &'static [&'static str],
    postgres: &'static [&'static str],
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "inventory, accounts and audit trail",
        shared: r#"
CREATE TABLE accounts (
    id {id},
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    local_admin BIGINT NOT NULL DEFAULT 0,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE documents (
    id {id},
    sha256 TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT,
    size BIGINT NOT NULL,
    content {blob} NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE products (
    id {id},
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE releases (
    id {id},
    product_id BIGINT NOT NULL REFERENCES products(id),
    version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (product_id, version)
);
CREATE TABLE sboms (
    id {id},
    release_id BIGINT NOT NULL UNIQUE REFERENCES releases(id),
    document_id BIGINT NOT NULL REFERENCES documents(id),
    format TEXT NOT NULL,
    encoding TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    serial_number TEXT,
    name TEXT,
    created TEXT,
    authors TEXT NOT NULL,
    tools TEXT NOT NULL,
    subject_position BIGINT,
    component_count BIGINT NOT NULL,
    dependency_count BIGINT NOT NULL,
    warning_count BIGINT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE TABLE components (
    id {id},
    sbom_id BIGINT NOT NULL REFERENCES sboms(id),
    release_id BIGINT NOT NULL REFERENCES releases(id),
    position BIGINT NOT NULL,
    reference TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    grp TEXT,
    version TEXT,
    purl TEXT,
    package_key TEXT,
    cpes TEXT NOT NULL,
    swid TEXT,
    supplier TEXT,
    author TEXT,
    hashes TEXT NOT NULL,
    licenses TEXT,
    scope TEXT,
    level_of_support TEXT,
    end_of_support TEXT,
    parent_position BIGINT,
    direct BIGINT,
    UNIQUE (sbom_id, position)
);
CREATE INDEX components_release ON components (release_id);
CREATE INDEX components_package_key ON components (package_key);
CREATE TABLE dependencies (
    sbom_id BIGINT NOT NULL REFERENCES sboms(id),
    from_position BIGINT NOT NULL,
    to_position BIGINT NOT NULL,
    PRIMARY KEY (sbom_id, from_position, to_position)
);
CREATE TABLE sbom_warnings (
    id {id},
    sbom_id BIGINT NOT NULL REFERENCES sboms(id),
    location TEXT NOT NULL,
    reference TEXT,
    message TEXT NOT NULL
);
CREATE INDEX sbom_warnings_sbom ON sbom_warnings (sbom_id);
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    old_value TEXT,
    new_value TEXT,
    reason TEXT,
    request_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
"#,
        sqlite: &[
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events \
         BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
            "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events \
         BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
        ],
        postgres: &[
            "CREATE FUNCTION aftercare_refuse_change() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$",
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events \
         FOR EACH ROW EXECUTE FUNCTION aftercare_refuse_change()",
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events \
         FOR EACH STATEMENT EXECUTE FUNCTION aftercare_refuse_change()",
        ],
    },
    Migration {
        version: 2,
        name: "access control: sessions, API tokens, trainings, signatures, settings, alerts",
        shared: r#"
ALTER TABLE accounts ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN locked_until TEXT;
ALTER TABLE accounts ADD COLUMN failed_signatures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN organisation TEXT;
CREATE TABLE sessions (
    id {id},
    token_hash TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    revoked_at TEXT,
    signed BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE api_tokens (
    id {id},
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    roles TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE TABLE trainings (
    id {id},
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    topic TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    expires_on TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX trainings_account ON trainings (account_id);
CREATE TABLE signatures (
    id {id},
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    login TEXT NOT NULL,
    printed_name TEXT NOT NULL,
    meaning TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX signatures_entity ON signatures (entity_type, entity_id);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE security_alerts (
    id {id},
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    account_id BIGINT,
    message TEXT NOT NULL
);
"#,
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 3,
        name: "triage: policy revisions, regulatory cases, clocks and their events",
        shared: r#"
CREATE TABLE policies (
    id {id},
    revision BIGINT NOT NULL UNIQUE,
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    digest TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    reason TEXT
);
CREATE TABLE cases (
    id {id},
    product_id BIGINT NOT NULL REFERENCES products(id),
    vulnerability TEXT NOT NULL,
    record TEXT NOT NULL,
    awareness_date TEXT,
    risk TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (product_id, vulnerability)
);
CREATE TABLE clocks (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    position BIGINT NOT NULL,
    kind TEXT NOT NULL,
    reference TEXT,
    state TEXT NOT NULL,
    start_day TEXT NOT NULL,
    deadline_day TEXT NOT NULL,
    deadline_end TEXT NOT NULL,
    record TEXT NOT NULL,
    UNIQUE (case_id, position)
);
CREATE INDEX clocks_state_deadline ON clocks (state, deadline_end);
CREATE TABLE case_events (
    id {id},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    actor TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id);
"#,
        sqlite: &[],
        postgres: &[],
    },
];

/// The newest schema version this build knows.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

fn dialect(sql: &str, backend: Backend) -> String {
    let (id, blob) = match backend {
        Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"),
        Backend::Postgres => (
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            "BYTEA",
        ),
    };
    sql.replace("{id}", id).replace("{blob}", blob)
}

/// Brings the schema up to date. Safe to run from several processes at once: on PostgreSQL
/// an advisory lock serializes them; on SQLite the immediate transaction does.
pub(crate) async fn migrate(store: &Store) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    if store.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7311)")
            .execute(tx.conn())
            .await
            .map_err(StoreError::query("lock the schema for migration"))?;
    }
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
         version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(tx.conn())
    .await
    .map_err(StoreError::query("create the migrations table"))?;
    let current: i64 =
        sqlx::query("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM schema_migrations")
            .fetch_one(tx.conn())
            .await
            .and_then(|row| row.try_get("v"))
            .map_err(StoreError::query("read the schema version"))?;
    if current > latest_version() {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known: latest_version(),
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        let fail = |source| StoreError::Migrate {
            version: migration.version,
            name: migration.name,
            source,
        };
        let shared = dialect(migration.shared, store.backend);
        for statement in shared.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(statement)
                .execute(tx.conn())
                .await
                .map_err(fail)?;
        }
        let specific = match store.backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        for statement in specific {
            sqlx::query(statement)
                .execute(tx.conn())
                .await
                .map_err(fail)?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(crate::now_text())
        .execute(tx.conn())
        .await
        .map_err(fail)?;
    }
    tx.commit().await
}
