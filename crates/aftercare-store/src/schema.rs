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
    Migration {
        version: 4,
        name: "intelligence: feeds, sync runs, records, vulnerabilities, aliases, affected index, KEV, EPSS",
        shared: r#"
CREATE TABLE feeds (
    id {id},
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT,
    path TEXT,
    ecosystem TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    removed_at TEXT,
    cursor TEXT,
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_status TEXT,
    last_error TEXT,
    lease_owner TEXT,
    lease_until TEXT
);
CREATE UNIQUE INDEX feeds_active_name ON feeds (name) WHERE removed_at IS NULL;
CREATE TABLE feed_files (
    feed_id BIGINT NOT NULL REFERENCES feeds(id),
    location TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    sha256 TEXT,
    updated TEXT,
    record_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (feed_id, location)
);
CREATE TABLE sync_runs (
    id {id},
    feed_id BIGINT NOT NULL REFERENCES feeds(id),
    actor TEXT NOT NULL,
    status TEXT NOT NULL,
    plan TEXT NOT NULL,
    unit BIGINT NOT NULL DEFAULT 0,
    unit_sha256 TEXT,
    position BIGINT NOT NULL DEFAULT 0,
    batches BIGINT NOT NULL DEFAULT 0,
    documents BIGINT NOT NULL DEFAULT 0,
    new_count BIGINT NOT NULL DEFAULT 0,
    updated_count BIGINT NOT NULL DEFAULT 0,
    withdrawn_count BIGINT NOT NULL DEFAULT 0,
    unchanged_count BIGINT NOT NULL DEFAULT 0,
    warning_count BIGINT NOT NULL DEFAULT 0,
    delta_digest TEXT,
    attempts BIGINT NOT NULL DEFAULT 1,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX sync_runs_feed ON sync_runs (feed_id, id);
CREATE TABLE sync_run_changes (
    run_id BIGINT NOT NULL REFERENCES sync_runs(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, kind, value)
);
CREATE TABLE sync_warnings (
    run_id BIGINT NOT NULL REFERENCES sync_runs(id),
    position BIGINT NOT NULL,
    document TEXT NOT NULL,
    record TEXT,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (run_id, position)
);
CREATE TABLE records (
    id BIGINT PRIMARY KEY,
    source TEXT NOT NULL,
    record_id TEXT NOT NULL,
    feed_id BIGINT NOT NULL REFERENCES feeds(id),
    run_id BIGINT NOT NULL REFERENCES sync_runs(id),
    document_id BIGINT NOT NULL REFERENCES documents(id),
    digest TEXT NOT NULL,
    modified TEXT,
    published TEXT,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    withdrawn_at TEXT,
    withdrawn_reason TEXT,
    summary TEXT,
    description TEXT,
    severity TEXT,
    ratings TEXT NOT NULL,
    aliases TEXT NOT NULL,
    related TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    UNIQUE (source, record_id)
);
CREATE INDEX records_document ON records (document_id);
CREATE INDEX records_feed ON records (feed_id);
CREATE TABLE vulnerabilities (
    id BIGINT PRIMARY KEY,
    canonical TEXT NOT NULL,
    status TEXT NOT NULL,
    withdrawn BIGINT NOT NULL DEFAULT 0,
    published TEXT,
    modified TEXT,
    summary TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX vulnerabilities_canonical ON vulnerabilities (canonical);
CREATE INDEX vulnerabilities_published ON vulnerabilities (published);
CREATE TABLE vulnerability_records (
    vulnerability_id BIGINT NOT NULL REFERENCES vulnerabilities(id),
    record_id BIGINT NOT NULL REFERENCES records(id),
    PRIMARY KEY (vulnerability_id, record_id)
);
CREATE INDEX vulnerability_records_record ON vulnerability_records (record_id);
CREATE TABLE aliases (
    alias TEXT NOT NULL,
    vulnerability_id BIGINT NOT NULL REFERENCES vulnerabilities(id),
    shared BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (alias, vulnerability_id)
);
CREATE INDEX aliases_vulnerability ON aliases (vulnerability_id);
CREATE TABLE vulnerability_redirects (
    from_id BIGINT NOT NULL REFERENCES vulnerabilities(id),
    to_id BIGINT NOT NULL REFERENCES vulnerabilities(id),
    reason TEXT NOT NULL,
    run_id BIGINT REFERENCES sync_runs(id),
    at TEXT NOT NULL,
    PRIMARY KEY (from_id, to_id)
);
CREATE TABLE affected_packages (
    record_id BIGINT NOT NULL REFERENCES records(id),
    package_key TEXT NOT NULL,
    PRIMARY KEY (record_id, package_key)
);
CREATE INDEX affected_packages_key ON affected_packages (package_key);
CREATE TABLE affected_products (
    record_id BIGINT NOT NULL REFERENCES records(id),
    vendor TEXT NOT NULL,
    product TEXT NOT NULL,
    PRIMARY KEY (record_id, vendor, product)
);
CREATE INDEX affected_products_vendor_product ON affected_products (vendor, product);
CREATE TABLE kev_entries (
    cve TEXT PRIMARY KEY,
    vendor_project TEXT,
    product TEXT,
    vulnerability_name TEXT,
    date_added TEXT,
    due_date TEXT,
    ransomware TEXT,
    required_action TEXT,
    short_description TEXT,
    notes TEXT,
    cwes TEXT NOT NULL,
    catalog_version TEXT,
    feed_id BIGINT NOT NULL REFERENCES feeds(id),
    run_id BIGINT NOT NULL REFERENCES sync_runs(id)
);
CREATE TABLE epss_scores (
    cve TEXT PRIMARY KEY,
    score_date TEXT NOT NULL,
    epss DOUBLE PRECISION NOT NULL,
    percentile DOUBLE PRECISION NOT NULL,
    model_version TEXT
);
CREATE INDEX epss_scores_epss ON epss_scores (epss);
CREATE TABLE epss_history (
    cve TEXT NOT NULL,
    score_date TEXT NOT NULL,
    epss DOUBLE PRECISION NOT NULL,
    percentile DOUBLE PRECISION NOT NULL,
    model_version TEXT,
    PRIMARY KEY (cve, score_date)
);
CREATE TABLE intel_state (
    id BIGINT PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO intel_state (id, generation) VALUES (1, 0);
"#,
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 5,
        name: "findings: (release, component, vulnerability) with their reasons and history",
        shared: r#"
CREATE TABLE findings (
    id {id},
    product_id BIGINT NOT NULL REFERENCES products(id),
    release_id BIGINT NOT NULL REFERENCES releases(id),
    component_id BIGINT NOT NULL REFERENCES components(id),
    vulnerability TEXT NOT NULL,
    vulnerability_id BIGINT REFERENCES vulnerabilities(id),
    aliases TEXT NOT NULL,
    summary TEXT,
    state TEXT NOT NULL,
    severity TEXT NOT NULL,
    score DOUBLE PRECISION,
    severity_basis TEXT NOT NULL,
    kev BIGINT NOT NULL DEFAULT 0,
    confidence TEXT NOT NULL,
    matched_version TEXT,
    fixed_versions TEXT NOT NULL,
    reasons TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    closed_at TEXT,
    close_reason TEXT,
    UNIQUE (release_id, component_id, vulnerability)
);
CREATE INDEX findings_component ON findings (component_id);
CREATE INDEX findings_vulnerability ON findings (vulnerability);
CREATE INDEX findings_vulnerability_id ON findings (vulnerability_id);
CREATE INDEX findings_product_state ON findings (product_id, state);
CREATE TABLE finding_events (
    id {id},
    finding_id BIGINT NOT NULL REFERENCES findings(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX finding_events_finding ON finding_events (finding_id);
"#,
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 6,
        name: "triage: decisions, assessments of findings, determinations",
        shared: r#"
CREATE TABLE decisions (
    id {id},
    finding_id BIGINT NOT NULL REFERENCES findings(id),
    scope TEXT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products(id),
    vulnerability TEXT NOT NULL,
    component_key TEXT NOT NULL,
    versions TEXT NOT NULL,
    status TEXT NOT NULL,
    justification TEXT,
    impact_statement TEXT,
    responses TEXT NOT NULL,
    action_statement TEXT,
    details TEXT,
    assignee TEXT,
    cvss_vector TEXT,
    cvss_score DOUBLE PRECISION,
    rubric_vector TEXT,
    harm_severity TEXT,
    ecp_affected BIGINT,
    controls TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX decisions_vulnerability_component ON decisions (vulnerability, component_key);
CREATE TABLE assessments (
    finding_id BIGINT PRIMARY KEY REFERENCES findings(id),
    decision_id BIGINT NOT NULL REFERENCES decisions(id),
    inherited BIGINT NOT NULL,
    review_required BIGINT NOT NULL,
    review_reason TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX assessments_decision ON assessments (decision_id);
CREATE TABLE determinations (
    id {id},
    product_id BIGINT NOT NULL REFERENCES products(id),
    vulnerability TEXT NOT NULL,
    decision_id BIGINT REFERENCES decisions(id),
    outcome TEXT NOT NULL,
    computed TEXT NOT NULL,
    exploitability_level TEXT NOT NULL,
    exploitability_reasons TEXT NOT NULL,
    harm_severity TEXT NOT NULL,
    ecp_affected BIGINT NOT NULL,
    override_rationale TEXT,
    patch_path TEXT NOT NULL,
    inputs TEXT NOT NULL,
    inputs_digest TEXT NOT NULL,
    policy_digest TEXT NOT NULL,
    signature_id BIGINT REFERENCES signatures(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX determinations_product_vulnerability ON determinations (product_id, vulnerability);
"#,
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 7,
        name: "matching: a digest of each finding's match, the matcher's generation and its last full confirmation, records by run",
        shared: r#"
ALTER TABLE findings ADD COLUMN match_digest TEXT;
CREATE INDEX records_run ON records (run_id);
CREATE TABLE match_state (
    id BIGINT PRIMARY KEY,
    generation BIGINT NOT NULL,
    confirmed_at TEXT
);
INSERT INTO match_state (id, generation) VALUES (1, 0);
"#,
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 8,
        name: "triage: a decision's generated action statement, a determination's verified controls and its steps",
        shared: r#"
ALTER TABLE decisions ADD COLUMN action_statement_generated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE determinations ADD COLUMN controls TEXT NOT NULL DEFAULT '[]';
ALTER TABLE determinations ADD COLUMN steps TEXT NOT NULL DEFAULT '[]';
"#,
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 9,
        name: "patch management: remediation plans, patch releases, evidence, distributions; when an SBOM was matched",
        shared: r#"
ALTER TABLE sboms ADD COLUMN matched_at TEXT;
UPDATE sboms SET matched_at = imported_at WHERE EXISTS (SELECT 1 FROM findings f WHERE f.release_id = sboms.release_id);
CREATE TABLE plans (
    id {id},
    product_id BIGINT NOT NULL REFERENCES products(id),
    target_version TEXT NOT NULL,
    cycle TEXT NOT NULL,
    owner TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    change_requests TEXT NOT NULL,
    problem_reports TEXT NOT NULL,
    controls TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE plan_findings (
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    finding_id BIGINT NOT NULL REFERENCES findings(id),
    PRIMARY KEY (plan_id, finding_id)
);
CREATE INDEX plan_findings_finding ON plan_findings (finding_id);
CREATE TABLE plan_events (
    id {id},
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX plan_events_plan ON plan_events (plan_id);
CREATE TABLE patches (
    release_id BIGINT PRIMARY KEY REFERENCES releases(id),
    created_at TEXT NOT NULL
);
CREATE TABLE patch_decisions (
    id {id},
    release_id BIGINT NOT NULL REFERENCES patches(release_id),
    kind TEXT NOT NULL,
    digest TEXT,
    decided_by TEXT NOT NULL,
    reason TEXT,
    at TEXT NOT NULL
);
CREATE INDEX patch_decisions_release ON patch_decisions (release_id);
CREATE TABLE patch_plans (
    release_id BIGINT NOT NULL REFERENCES patches(release_id),
    plan_id BIGINT NOT NULL REFERENCES plans(id),
    PRIMARY KEY (release_id, plan_id)
);
CREATE INDEX patch_plans_plan ON patch_plans (plan_id);
CREATE TABLE evidence (
    id {id},
    release_id BIGINT NOT NULL REFERENCES releases(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    result TEXT NOT NULL,
    executed_by TEXT NOT NULL,
    executed_on TEXT NOT NULL,
    detail TEXT NOT NULL,
    supersedes BIGINT REFERENCES evidence(id),
    digest TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX evidence_release ON evidence (release_id);
CREATE TABLE evidence_files (
    evidence_id BIGINT NOT NULL REFERENCES evidence(id),
    document_id BIGINT NOT NULL REFERENCES documents(id),
    name TEXT NOT NULL,
    PRIMARY KEY (evidence_id, document_id)
);
CREATE TABLE distributions (
    id {id},
    release_id BIGINT NOT NULL REFERENCES releases(id),
    channel TEXT NOT NULL,
    distributed_on TEXT NOT NULL,
    organisation TEXT,
    document_id BIGINT REFERENCES documents(id),
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX distributions_release ON distributions (release_id);
"#,
        // Evidence, decisions and distributions are records of what happened: never changed.
        sqlite: &[
            "CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence \
         BEGIN SELECT RAISE(ABORT, 'evidence is never edited: record a correction that supersedes it'); END",
            "CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence \
         BEGIN SELECT RAISE(ABORT, 'evidence is never deleted'); END",
            "CREATE TRIGGER evidence_files_no_change BEFORE UPDATE ON evidence_files \
         BEGIN SELECT RAISE(ABORT, 'evidence is never edited'); END",
            "CREATE TRIGGER evidence_files_no_delete BEFORE DELETE ON evidence_files \
         BEGIN SELECT RAISE(ABORT, 'evidence is never deleted'); END",
            "CREATE TRIGGER distributions_no_update BEFORE UPDATE ON distributions \
         BEGIN SELECT RAISE(ABORT, 'distributions are never changed'); END",
            "CREATE TRIGGER patch_decisions_no_update BEFORE UPDATE ON patch_decisions \
         BEGIN SELECT RAISE(ABORT, 'a patch decision is never changed: record a new one'); END",
            "CREATE TRIGGER patch_decisions_no_delete BEFORE DELETE ON patch_decisions \
         BEGIN SELECT RAISE(ABORT, 'a patch decision is never deleted'); END",
            "CREATE TRIGGER distributions_no_delete BEFORE DELETE ON distributions \
         BEGIN SELECT RAISE(ABORT, 'distributions are never deleted'); END",
        ],
        postgres: &[
            "CREATE TRIGGER evidence_no_change BEFORE UPDATE OR DELETE ON evidence \
         FOR EACH ROW EXECUTE FUNCTION aftercare_refuse_change()",
            "CREATE TRIGGER evidence_files_no_change BEFORE UPDATE OR DELETE ON evidence_files \
         FOR EACH ROW EXECUTE FUNCTION aftercare_refuse_change()",
            "CREATE TRIGGER distributions_no_change BEFORE UPDATE OR DELETE ON distributions \
         FOR EACH ROW EXECUTE FUNCTION aftercare_refuse_change()",
            "CREATE TRIGGER patch_decisions_no_change BEFORE UPDATE OR DELETE ON patch_decisions \
         FOR EACH ROW EXECUTE FUNCTION aftercare_refuse_change()",
        ],
    },
    Migration {
        version: 10,
        name: "device registry: organisations, sites, devices with their tags",
        // The installed release is kept with its source (`import`, `manual`, later `action`),
        // and what a device reports itself (configData, later) beside it, never merged into
        // it: the two can disagree, and a disagreement is shown, not resolved.
        shared: r#"
CREATE TABLE organisations (
    id {id},
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE sites (
    id {id},
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL UNIQUE,
    timezone TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE devices (
    id {id},
    controller_id TEXT NOT NULL UNIQUE,
    token_sha256 TEXT NOT NULL UNIQUE,
    product_id BIGINT NOT NULL REFERENCES products(id),
    serial TEXT NOT NULL,
    hardware TEXT,
    site_id BIGINT REFERENCES sites(id),
    organisation_id BIGINT REFERENCES organisations(id),
    installed_release_id BIGINT REFERENCES releases(id),
    installed_source TEXT,
    installed_at TEXT,
    reported_version TEXT,
    reported_source TEXT,
    reported_at TEXT,
    state TEXT NOT NULL,
    decommission_reason TEXT,
    last_poll_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (product_id, serial)
);
CREATE INDEX devices_installed_release ON devices (installed_release_id);
CREATE TABLE device_tags (
    device_id BIGINT NOT NULL REFERENCES devices(id),
    tag TEXT NOT NULL,
    PRIMARY KEY (device_id, tag)
);
CREATE INDEX device_tags_tag ON device_tags (tag);
"#,
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 11,
        name: "rollouts over DDI: artifacts, rollouts with their waves and devices, actions \
               with their status entries",
        // Artifact bytes live in the object store by SHA-256; the row keeps what DDI
        // announces (size, SHA-1, MD5, SHA-256) and the signer a `.swu` was checked against.
        // Action ids stay below 2^31 (SWUpdate reads them as a 32-bit int): the CHECK is the
        // safety net under the identity's range. "One active action per device" is a partial
        // unique index on both backends, the net under `aftercare_rollout::assignments`.
        shared: r#"
ALTER TABLE devices ADD COLUMN client_kind TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE devices ADD COLUMN attributes TEXT;
CREATE TABLE artifacts (
    id {id},
    release_id BIGINT NOT NULL REFERENCES releases(id),
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha1 TEXT NOT NULL,
    md5 TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    signer TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (release_id, filename)
);
CREATE TABLE rollouts (
    id {id},
    name TEXT NOT NULL UNIQUE,
    release_id BIGINT NOT NULL REFERENCES releases(id),
    filter_text TEXT NOT NULL,
    kind TEXT NOT NULL,
    rationale TEXT,
    update_type TEXT NOT NULL,
    waves_text TEXT NOT NULL,
    waves BIGINT NOT NULL,
    holds_after TEXT NOT NULL,
    success_hundredths BIGINT NOT NULL,
    error_hundredths BIGINT NOT NULL,
    window_text TEXT,
    dynamic BIGINT NOT NULL,
    state TEXT NOT NULL,
    wave BIGINT NOT NULL,
    pause_reason TEXT,
    distribution_id BIGINT REFERENCES distributions(id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX rollouts_release ON rollouts (release_id);
CREATE TABLE rollout_waves (
    rollout_id BIGINT NOT NULL REFERENCES rollouts(id),
    wave BIGINT NOT NULL,
    devices BIGINT NOT NULL,
    started_at TEXT,
    decision TEXT,
    decided_by TEXT,
    decided_at TEXT,
    signature_id BIGINT,
    PRIMARY KEY (rollout_id, wave)
);
CREATE TABLE rollout_devices (
    rollout_id BIGINT NOT NULL REFERENCES rollouts(id),
    device_id BIGINT NOT NULL REFERENCES devices(id),
    wave BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, device_id)
);
CREATE INDEX rollout_devices_wave ON rollout_devices (rollout_id, wave);
CREATE TABLE actions (
    id {id},
    rollout_id BIGINT NOT NULL REFERENCES rollouts(id),
    device_id BIGINT NOT NULL REFERENCES devices(id),
    release_id BIGINT NOT NULL REFERENCES releases(id),
    wave BIGINT NOT NULL,
    assignment TEXT NOT NULL,
    state TEXT NOT NULL,
    update_type TEXT NOT NULL,
    active BIGINT NOT NULL,
    skip_offered BIGINT NOT NULL,
    progressed BIGINT NOT NULL,
    status_entries BIGINT NOT NULL,
    last_detail TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    CHECK (id < 2147483648)
);
CREATE UNIQUE INDEX actions_one_active ON actions (device_id) WHERE active = 1;
CREATE INDEX actions_rollout ON actions (rollout_id, device_id);
CREATE INDEX actions_device ON actions (device_id, id);
CREATE TABLE action_status (
    id {id},
    action_id BIGINT NOT NULL REFERENCES actions(id),
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    execution TEXT,
    result TEXT,
    code BIGINT,
    details TEXT NOT NULL,
    details_dropped BIGINT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX action_status_action ON action_status (action_id, id);
"#,
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 12,
        name: "a timeforced rollout's instant from which its offers are forced",
        shared: r#"
ALTER TABLE rollouts ADD COLUMN forced_at TEXT;
"#,
        sqlite: &[],
        postgres: &[],
    },
    Migration {
        version: 13,
        name: "fleet monitoring: telemetry events, rollups per device and cohort, each \
               device's telemetry state, signals, each device's history of releases, rollouts' \
               health rules",
        // Telemetry times are milliseconds since the epoch as integers (the server's receive
        // time; the device's own time beside it): the volume is large and every window is a
        // range. Raw events are kept for a configured period; on PostgreSQL the table is
        // partitioned by day so that retention drops a partition, on SQLite it deletes a
        // range. Rollups are per device by hour and day, per cohort (product, release, site;
        // 0 for no site) by minute, hour and day — a per-device minute would be the raw
        // stream again. A security event is rolled up as the metric `security.<kind>` with
        // its count. Signals are regulated records (they may open an incident): retention
        // never touches them, and one open signal per detector and series keeps a repeating
        // alarm one row.
        shared: r#"
CREATE TABLE device_telemetry (
    device_id BIGINT PRIMARY KEY REFERENCES devices(id),
    first_ms BIGINT NOT NULL,
    last_ms BIGINT NOT NULL,
    last_heartbeat_ms BIGINT,
    reported_release TEXT,
    firmware_sha256 TEXT,
    uptime_s BIGINT,
    skew_ms BIGINT,
    events BIGINT NOT NULL,
    rejected BIGINT NOT NULL
);
CREATE TABLE device_rollups (
    device_id BIGINT NOT NULL REFERENCES devices(id),
    metric TEXT NOT NULL,
    grain TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    samples BIGINT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    minimum DOUBLE PRECISION NOT NULL,
    maximum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (device_id, metric, grain, start_ms)
);
CREATE TABLE cohort_rollups (
    product_id BIGINT NOT NULL,
    release_id BIGINT NOT NULL,
    site_id BIGINT NOT NULL,
    metric TEXT NOT NULL,
    grain TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    samples BIGINT NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    minimum DOUBLE PRECISION NOT NULL,
    maximum DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (product_id, release_id, site_id, metric, grain, start_ms)
);
CREATE TABLE signals (
    id {id},
    kind TEXT NOT NULL,
    device_id BIGINT REFERENCES devices(id),
    rollout_id BIGINT REFERENCES rollouts(id),
    subject TEXT NOT NULL,
    state TEXT NOT NULL,
    summary TEXT NOT NULL,
    evidence TEXT NOT NULL,
    occurrences BIGINT NOT NULL,
    raised_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    reason TEXT
);
CREATE UNIQUE INDEX signals_one_open ON signals (kind, subject, device_id) WHERE state = 'open';
CREATE INDEX signals_state ON signals (state, id);
CREATE INDEX signals_device ON signals (device_id, id);
CREATE TABLE device_history (
    device_id BIGINT NOT NULL REFERENCES devices(id),
    at TEXT NOT NULL,
    release_id BIGINT,
    state TEXT NOT NULL
);
CREATE INDEX device_history_device ON device_history (device_id, at);
CREATE INDEX device_history_release ON device_history (release_id);
INSERT INTO device_history (device_id, at, release_id, state)
    SELECT id, COALESCE(installed_at, created_at), installed_release_id, state FROM devices;
CREATE INDEX devices_exposure ON devices (installed_release_id, state, product_id, organisation_id, site_id);
CREATE TABLE rollout_health (
    rollout_id BIGINT PRIMARY KEY REFERENCES rollouts(id),
    rules TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);
"#,
        sqlite: &[
            "CREATE TABLE telemetry_events (device_id BIGINT NOT NULL, received_ms BIGINT NOT NULL, \
             sent_ms BIGINT, kind TEXT NOT NULL, name TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, \
             detail TEXT)",
            "CREATE INDEX telemetry_events_device ON telemetry_events (device_id, received_ms)",
            "CREATE INDEX telemetry_events_received ON telemetry_events (received_ms)",
            // A device's history: every change of its installed release or of whether it is
            // decommissioned, from every path that writes a device (the exposure curve).
            "CREATE TRIGGER device_history_insert AFTER INSERT ON devices BEGIN \
             INSERT INTO device_history (device_id, at, release_id, state) \
             VALUES (NEW.id, NEW.created_at, NEW.installed_release_id, NEW.state); END",
            "CREATE TRIGGER device_history_update AFTER UPDATE OF installed_release_id, state ON devices \
             WHEN OLD.installed_release_id IS NOT NEW.installed_release_id \
             OR ((OLD.state = 'decommissioned') <> (NEW.state = 'decommissioned')) BEGIN \
             INSERT INTO device_history (device_id, at, release_id, state) \
             VALUES (NEW.id, NEW.updated_at, NEW.installed_release_id, NEW.state); END",
        ],
        postgres: &[
            "CREATE TABLE telemetry_events (device_id BIGINT NOT NULL, received_ms BIGINT NOT NULL, \
             sent_ms BIGINT, kind TEXT NOT NULL, name TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, \
             detail TEXT) PARTITION BY RANGE (received_ms)",
            "CREATE INDEX telemetry_events_device ON telemetry_events (device_id, received_ms)",
            "CREATE FUNCTION device_history_record() RETURNS trigger AS $$ BEGIN \
             IF TG_OP = 'INSERT' OR NEW.installed_release_id IS DISTINCT FROM OLD.installed_release_id \
             OR ((OLD.state = 'decommissioned') <> (NEW.state = 'decommissioned')) THEN \
             INSERT INTO device_history (device_id, at, release_id, state) VALUES (NEW.id, \
             CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE NEW.updated_at END, \
             NEW.installed_release_id, NEW.state); END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER device_history AFTER INSERT OR UPDATE ON devices \
             FOR EACH ROW EXECUTE FUNCTION device_history_record()",
        ],
    },
    Migration {
        version: 14,
        name: "incidents: investigations with their links and timeline",
        // Regulated records: an incident is never deleted and never changes once closed; a
        // link or a timeline entry is never changed or deleted (triggers on both backends).
        // A link names its row by kind and id, with the label a person reads kept as it was
        // when linked; the clocks an incident opens live on a case (`case_id`).
        shared: r#"
CREATE TABLE incidents (
    id {id},
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    state TEXT NOT NULL,
    source TEXT NOT NULL,
    source_reference TEXT,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    aware_on TEXT NOT NULL,
    classification TEXT,
    fda_event_type TEXT,
    remedial_action BIGINT NOT NULL,
    eu_category TEXT,
    rationale TEXT,
    classified_by TEXT,
    classified_at TEXT,
    signature_id BIGINT,
    case_id BIGINT REFERENCES cases(id),
    root_cause TEXT,
    corrective_actions TEXT,
    lessons_learned TEXT,
    closed_by TEXT,
    closed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX incidents_state ON incidents (state, id);
CREATE INDEX incidents_closed ON incidents (closed_at);
CREATE TABLE incident_links (
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    label TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (incident_id, kind, target_id)
);
CREATE INDEX incident_links_target ON incident_links (kind, target_id);
CREATE TABLE incident_entries (
    id {id},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX incident_entries_incident ON incident_entries (incident_id, id);
"#,
        sqlite: &[
            "CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents \
         BEGIN SELECT RAISE(ABORT, 'incidents are never deleted'); END",
            "CREATE TRIGGER incidents_closed_no_update BEFORE UPDATE ON incidents \
         WHEN OLD.state = 'closed' \
         BEGIN SELECT RAISE(ABORT, 'a closed incident is never changed'); END",
            "CREATE TRIGGER incident_links_no_update BEFORE UPDATE ON incident_links \
         BEGIN SELECT RAISE(ABORT, 'an incident link is never changed'); END",
            "CREATE TRIGGER incident_links_no_delete BEFORE DELETE ON incident_links \
         BEGIN SELECT RAISE(ABORT, 'an incident link is never deleted'); END",
            "CREATE TRIGGER incident_entries_no_update BEFORE UPDATE ON incident_entries \
         BEGIN SELECT RAISE(ABORT, 'an incident timeline entry is never changed'); END",
            "CREATE TRIGGER incident_entries_no_delete BEFORE DELETE ON incident_entries \
         BEGIN SELECT RAISE(ABORT, 'an incident timeline entry is never deleted'); END",
        ],
        postgres: &[
            "CREATE FUNCTION aftercare_refuse_incident_change() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'incidents, their links and timelines are regulated records: never deleted, never changed once written or closed'; END $$",
            "CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents \
         FOR EACH ROW EXECUTE FUNCTION aftercare_refuse_incident_change()",
            "CREATE TRIGGER incidents_closed_no_update BEFORE UPDATE ON incidents \
         FOR EACH ROW WHEN (OLD.state = 'closed') EXECUTE FUNCTION aftercare_refuse_incident_change()",
            "CREATE TRIGGER incident_links_no_change BEFORE UPDATE OR DELETE ON incident_links \
         FOR EACH ROW EXECUTE FUNCTION aftercare_refuse_incident_change()",
            "CREATE TRIGGER incident_entries_no_change BEFORE UPDATE OR DELETE ON incident_entries \
         FOR EACH ROW EXECUTE FUNCTION aftercare_refuse_incident_change()",
        ],
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
        // The one wall-clock read of this crate: a migration runs when a store opens, before
        // any use case (and its instant) exists, and its time is the schema's own bookkeeping,
        // never shown as a record's time.
        .bind(crate::timestamp_text(jiff::Timestamp::now()))
        .execute(tx.conn())
        .await
        .map_err(fail)?;
    }
    tx.commit().await
}
