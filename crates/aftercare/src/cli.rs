//! The command line, as clap definitions. Every setting is a flag with an `AFTERCARE_*`
//! environment variable; the generated reference is committed at `docs/cli.md`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Post-market cybersecurity of medical devices: SBOMs, vulnerabilities, patient risk,
/// regulatory clocks and an audit trail.
#[derive(Debug, Parser)]
#[command(name = "aftercare", version, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read, check and compare SBOM files (no workspace needed).
    #[command(subcommand)]
    Sbom(SbomCommand),
    /// Score a CVSS vector (v2, v3.0, v3.1, v4.0): base, temporal or threat, environmental.
    Cvss {
        /// The vector (`CVSS:3.1/AV:N/AC:L/…`, `CVSS:4.0/…`, or a bare v2 vector).
        vector: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The MITRE/MDIC rubric for applying CVSS to medical devices: its questions, and the
    /// CVSS vector a set of answers gives.
    #[command(subcommand)]
    Rubric(RubricCommand),
    /// Match SBOMs against vulnerability data and report the findings (no workspace needed).
    Scan(ScanArgs),
    /// Compile vulnerability data into an index file that scans read fast.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Create a workspace and its first administrator.
    Init(InitArgs),
    /// Register and look at products (device models).
    #[command(subcommand)]
    Product(ProductCommand),
    /// Register releases of products and import their SBOMs.
    #[command(subcommand)]
    Release(ReleaseCommand),
    /// Look at the components of a release.
    #[command(subcommand)]
    Component(ComponentCommand),
    /// Manage accounts, roles and trainings (administrators).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Create, list and revoke API tokens for automation.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Verify, list and export the tamper-evident audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Show, check and change the policy that sets risk rules and regulatory deadlines.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Regulatory clocks: what is due, what is overdue, and the events that drive them.
    #[command(subcommand)]
    Clock(ClockCommand),
    /// Add, list, show, sync and remove vulnerability feeds (OSV, NVD, CVE 5, KEV, EPSS, CSAF).
    #[command(subcommand)]
    Feed(FeedCommand),
    /// Look up a vulnerability by any of its ids, and search vulnerabilities.
    #[command(subcommand)]
    Vuln(VulnCommand),
    /// Findings: vulnerabilities matched to the components of every release.
    #[command(subcommand)]
    Finding(Box<FindingCommand>),
    /// Remediation plans: the findings a fix remediates, its cycle, owner, due date and state.
    #[command(subcommand)]
    Plan(Box<PlanCommand>),
    /// Patch releases: fix evidence, verification and validation evidence, the signed
    /// approval, distribution, and the chain from finding to distribution.
    #[command(subcommand)]
    Patch(Box<PatchCommand>),
    /// Organisations that own devices.
    #[command(subcommand)]
    Organisation(OrganisationCommand),
    /// Sites of organisations, where devices are.
    #[command(subcommand)]
    Site(SiteCommand),
    /// The device registry: register (one or from a CSV file), list (also by exposure to a
    /// vulnerability), show, update and decommission devices.
    #[command(subcommand)]
    Device(Box<DeviceCommand>),
    /// Staged rollouts of an approved patch release to the devices in the field over
    /// hawkBit's DDI: create (behind the approval gate), start, pause, resume, cancel, retry
    /// the failed, status.
    #[command(subcommand)]
    Rollout(Box<RolloutCommand>),
    /// The files of a release that devices download (a `.swu` checked against its product's
    /// update CA).
    #[command(subcommand)]
    Artifact(ArtifactCommand),
    /// The fleet's signals (a metric's step or drift, a burst of security events, a silent
    /// device, a release or firmware that matches none, a clock skew): list, show with the
    /// evidence, acknowledge, dismiss with a reason.
    #[command(subcommand)]
    Signal(SignalCommand),
    /// Incidents: open (by hand, from a signal, from a report), list, show with links,
    /// timeline and clocks, classify (21 CFR 803 / EU MDR Art. 87, signed: opens the clock
    /// that fits; or not reportable with the rationale), link, close with root cause, CAPA
    /// references and lessons learned, and the lessons of a period.
    #[command(subcommand)]
    Incident(Box<IncidentCommand>),
    /// Re-match the workspace's releases against the stored intelligence and report what
    /// changed (imports and feed syncs already match what they touch).
    Match(MatchArgs),
    /// A vulnerability's exposure across the fleet: devices exposed now (by product, release,
    /// organisation or site), the residual-exposure curve, and each patch's delivery from
    /// approval to install (median, p90: the patching capability).
    Exposure(ExposureArgs),
    /// Simulate a fleet of infusion pumps sending telemetry through the real HTTP or MQTT
    /// path of a running server (started with `--trust-device-time`): registers the devices
    /// if needed, then sends D days up to now, with faults to find.
    SimulateFleet(SimulateFleetArgs),
    /// Serve the REST API (and, later, the web UI) of a workspace.
    Serve(ServeArgs),
    /// Create a demo workspace with a fictional device product line, import it and serve it.
    Demo(DemoArgs),
}

/// How to print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One JSON document for machines.
    Json,
}

/// The output format option every data-printing command takes.
#[derive(Debug, Clone, Args)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, env = "AFTERCARE_FORMAT")]
    pub format: OutputFormat,
}

/// Where the workspace is.
#[derive(Debug, Clone, Args)]
pub struct WorkspaceArgs {
    /// The workspace directory (SQLite database inside).
    #[arg(long, env = "AFTERCARE_WORKSPACE", default_value = "aftercare-data")]
    pub workspace: PathBuf,
    /// A database URL instead of a directory (`postgres://user@host/db`).
    #[arg(long, env = "AFTERCARE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// Where artifact files are kept.
#[derive(Debug, Clone, Args)]
pub struct ArtifactDirArg {
    /// The directory that keeps artifact files by SHA-256. Default: `artifacts/` inside the
    /// workspace directory; required with --database-url (every server node must see the same
    /// directory).
    #[arg(long, env = "AFTERCARE_ARTIFACT_DIR", value_name = "DIR")]
    pub artifact_dir: Option<PathBuf>,
}

/// `aftercare sbom …`.
#[derive(Debug, Subcommand)]
pub enum SbomCommand {
    /// Print the normalized SBOM: subject, components, dependencies, warnings.
    Inspect {
        /// The SBOM file (CycloneDX or SPDX, any encoding, optionally compressed).
        file: PathBuf,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Report the NTIA minimum elements and FDA fields an SBOM covers.
    Check {
        /// The SBOM file.
        file: PathBuf,
        /// Exit with 1 unless every element of this set is present in every component.
        #[arg(long, value_enum)]
        require: Option<RequireArg>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Compare two SBOM files: added, removed, upgraded and downgraded components.
    Diff {
        /// The older SBOM.
        old: PathBuf,
        /// The newer SBOM.
        new: PathBuf,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// The element sets `sbom check --require` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequireArg {
    /// The NTIA minimum elements.
    Ntia,
    /// The NTIA elements plus level of support and end-of-support date.
    Fda,
}

/// `aftercare scan`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("data").required(true).args(["advisories", "index", "workspace", "database_url"])))]
pub struct ScanArgs {
    /// The SBOM files to scan (CycloneDX or SPDX, any encoding, optionally compressed).
    #[arg(required = true, value_name = "SBOM")]
    pub sboms: Vec<PathBuf>,
    /// Vulnerability data: an OSV `all.zip`, a folder of OSV, NVD, CVE 5, CSAF or KEV files
    /// (searched recursively, as osv.dev's `<Ecosystem>/` layout), or one file. One path per
    /// use; repeat the option for several.
    #[arg(
        long,
        value_name = "PATH",
        env = "AFTERCARE_ADVISORIES",
        conflicts_with = "index"
    )]
    pub advisories: Vec<PathBuf>,
    /// A compiled index (`aftercare index build`) instead of raw vulnerability data.
    #[arg(long, value_name = "FILE", env = "AFTERCARE_INDEX")]
    pub index: Option<PathBuf>,
    /// The intelligence of a workspace (its synced feeds and KEV catalog) instead of files:
    /// the workspace directory. Nothing is written to it.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["advisories", "index", "database_url"])]
    pub workspace: Option<PathBuf>,
    /// The intelligence of a workspace on PostgreSQL (`postgres://user@host/db`).
    #[arg(long, value_name = "URL", conflicts_with_all = ["advisories", "index"], hide_env_values = true)]
    pub database_url: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table, env = "AFTERCARE_FORMAT")]
    pub format: ScanFormat,
    /// Indent JSON output (`json`, `sarif`, `cyclonedx`). Without it, JSON is indented when
    /// printed to a terminal and compact when piped or redirected.
    #[arg(long, env = "AFTERCARE_PRETTY")]
    pub pretty: bool,
    /// Exit with 1 when a finding is at or above this severity (`kev`: when a finding's
    /// vulnerability is known exploited). Findings of unknown severity do not count.
    #[arg(long, value_enum, value_name = "LEVEL", env = "AFTERCARE_FAIL_ON")]
    pub fail_on: Option<FailOn>,
    /// Exit with 1 when a finding has unknown severity (no record rates it).
    #[arg(long, env = "AFTERCARE_FAIL_ON_UNKNOWN")]
    pub fail_on_unknown: bool,
    /// The CISA KEV catalog (JSON): marks findings of known exploited vulnerabilities.
    #[arg(long, value_name = "FILE", env = "AFTERCARE_KEV")]
    pub kev: Option<PathBuf>,
}

/// The output formats of `aftercare scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ScanFormat {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One JSON document for machines.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// A CycloneDX 1.6 vulnerability disclosure report (one SBOM only).
    Cyclonedx,
}

/// The `--fail-on` thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Low and above.
    Low,
    /// Medium and above.
    Medium,
    /// High and above.
    High,
    /// Critical only.
    Critical,
    /// Any known exploited vulnerability (CISA KEV).
    Kev,
}

/// `aftercare index …`.
#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Read vulnerability data and write a compiled index file.
    Build {
        /// Vulnerability data, as for `scan --advisories`. One path per use.
        #[arg(
            long,
            value_name = "PATH",
            required = true,
            env = "AFTERCARE_ADVISORIES"
        )]
        advisories: Vec<PathBuf>,
        /// The index file to write.
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Describe an index file; with `--advisories`, exit with 1 when it is stale.
    Info {
        /// The index file.
        file: PathBuf,
        /// The vulnerability data to compare the index's inputs with. One path per use.
        #[arg(long, value_name = "PATH")]
        advisories: Vec<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The administrator's login name.
    #[arg(long, env = "AFTERCARE_ADMIN_LOGIN", default_value = "admin")]
    pub admin_login: String,
    /// The administrator's printed name, shown in electronic signatures.
    #[arg(long, env = "AFTERCARE_ADMIN_NAME", default_value = "Administrator")]
    pub admin_name: String,
    /// A file holding the administrator's password (first line). Without it the password
    /// comes from `AFTERCARE_ADMIN_PASSWORD` or is asked for on the terminal.
    #[arg(long)]
    pub admin_password_file: Option<PathBuf>,
}

/// `aftercare product …`.
#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Register a product.
    Add {
        /// The product's unique name.
        name: String,
        /// A description.
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List products.
    List {
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show a product and its releases.
    Show {
        /// The product's name or id.
        name: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Set the product's update CA, which the signer of every `.swu` must chain to.
    ///
    /// The PEM certificates its devices give SWUpdate with `-k`. Replaces the previous CA;
    /// audited.
    TrustCa {
        /// The product's name or id.
        product: String,
        /// The CA file: one or more PEM certificates.
        #[arg(value_name = "FILE.pem")]
        file: PathBuf,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare release …`.
#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Register a release, importing its SBOM.
    Add {
        /// The product's name or id.
        product: String,
        /// The release's version.
        version: String,
        /// The release's SBOM (CycloneDX or SPDX, any encoding, optionally compressed).
        #[arg(long)]
        sbom: Option<PathBuf>,
        /// The release is the patch of these remediation plans (by id): it is matched at once
        /// and the fix evidence of their findings computed. Refused, with nothing imported,
        /// when a plan is of another product or the release is not newer than a release whose
        /// findings the plan names.
        #[arg(long = "patch-for", value_name = "PLAN")]
        patch_for: Vec<i64>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List releases.
    List {
        /// Only the releases of this product.
        #[arg(long)]
        product: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show a release, its SBOM's summary, quality and warnings.
    Show {
        /// The product's name or id.
        product: String,
        /// The release's version.
        version: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Compare the SBOMs of two releases of a product.
    Diff {
        /// The product's name or id.
        product: String,
        /// The older version.
        old: String,
        /// The newer version.
        new: String,
        /// The newer release belongs to another product (name or id).
        #[arg(long)]
        new_product: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Import a support addendum: the FDA's level of support and end-of-support date per
    /// component, as CSV or JSON (see docs/sbom-support-fields.md).
    Support {
        /// The product's name or id.
        product: String,
        /// The release's version.
        version: String,
        /// The addendum file (CSV with a header row, or a JSON array).
        #[arg(long)]
        addendum: PathBuf,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Write a release's original SBOM document, byte for byte.
    Sbom {
        /// The product's name or id.
        product: String,
        /// The release's version.
        version: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
}

/// `aftercare component …`.
#[derive(Debug, Subcommand)]
pub enum ComponentCommand {
    /// List the components of a release.
    List {
        /// The release, as `PRODUCT@VERSION` or its numeric id.
        #[arg(long)]
        release: String,
        /// Only components whose name, group, version or purl contains this text.
        #[arg(long)]
        search: Option<String>,
        /// Skip this many matches.
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// Print at most this many.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare account …`.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account. The password comes from --password-file, from
    /// `AFTERCARE_ACCOUNT_PASSWORD`, or is asked for on the terminal.
    Add {
        /// The login name.
        login: String,
        /// The printed name shown in electronic signatures.
        #[arg(long)]
        name: String,
        /// A role (repeat for several): administrator, security-analyst, reviewer,
        /// release-engineer, viewer, customer.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The organisation of a customer account.
        #[arg(long)]
        organisation: Option<String>,
        /// A file holding the password (first line).
        #[arg(long)]
        password_file: Option<PathBuf>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List accounts.
    List {
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Change an account's roles, organisation, or disable / enable it.
    Update {
        /// The login name.
        login: String,
        /// Replace the roles with these (repeat for several).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Disable the account (its sessions end).
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        /// Enable the account.
        #[arg(long)]
        enable: bool,
        /// Set the organisation (customer accounts).
        #[arg(long)]
        organisation: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record a completed training (21 CFR 11.10(i)).
    Training {
        /// The login name.
        login: String,
        /// The topic (for example `part11-esignatures`).
        #[arg(long)]
        topic: String,
        /// When it was completed (YYYY-MM-DD).
        #[arg(long)]
        completed: String,
        /// When it expires (YYYY-MM-DD).
        #[arg(long)]
        expires: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
}

/// `aftercare token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; its secret is printed once.
    Create {
        /// The token's name (what uses it: `ci-pipeline`).
        #[arg(long)]
        name: String,
        /// The account it acts for (default: the local administrator).
        #[arg(long)]
        account: Option<String>,
        /// A role it carries (repeat; default: all of the account's).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Days until it expires (default: never).
        #[arg(long)]
        expires_in_days: Option<i64>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List API tokens.
    List {
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Revoke an API token.
    Revoke {
        /// The token's id.
        id: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
}

/// The export formats of the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

/// Which audit events.
#[derive(Debug, Clone, Args)]
pub struct AuditFilterArgs {
    /// Only events at or after this time (RFC 3339, or a date YYYY-MM-DD for its start in
    /// UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// Only events before this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub until: Option<String>,
    /// Only events about this kind of record (`release`, `account`, …).
    #[arg(long)]
    pub entity_type: Option<String>,
    /// Only events about this record (with --entity-type).
    #[arg(long)]
    pub entity_id: Option<String>,
}

/// `aftercare audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole hash chain; exit 1 at the first broken link.
    Verify {
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List audit events.
    List {
        #[command(flatten)]
        filter: AuditFilterArgs,
        /// Print at most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Export audit events for a period or a record, as JSON lines or CSV.
    Export {
        #[command(flatten)]
        filter: AuditFilterArgs,
        /// The export format.
        #[arg(long = "as", value_enum, default_value_t = ExportFormat::Jsonl)]
        export_format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
}

/// Who signs, and what the signature means. The password comes from
/// `AFTERCARE_SIGNER_PASSWORD` or is asked for on the terminal; it is never a flag.
#[derive(Debug, Clone, Args)]
pub struct SignerArgs {
    /// The signer's login (default: the workspace's local administrator).
    #[arg(long, env = "AFTERCARE_SIGNER")]
    pub signer: Option<String>,
    /// The meaning of the signature: authorship, review, approval or responsibility.
    #[arg(long, default_value = "approval")]
    pub meaning: String,
}

/// `aftercare clock event`: see its variant's documentation.
#[derive(Debug, Args)]
pub struct ClockEventArgs {
    /// The product's name or id.
    pub product: String,
    /// The vulnerability's canonical id.
    pub vulnerability: String,
    /// The event: customer_communication_sent, fix_distributed, rollout_started
    /// (--reference), isao_shared, correction_started (--date), awareness_date_entered
    /// (--date), report_received (--reference), report_acknowledged, advisory_received,
    /// serious_adverse_event_known, report_806_submitted (--reference, signed),
    /// correction_recorded (signed), mdr_reportable_event (--reference, --date,
    /// --event-type, --five-day), mdr_supplemental_information, mdr_report_submitted
    /// (--reference, --covers-806, signed), serious_incident (--reference, --date,
    /// --category), eu_mdr_report_submitted (--reference, signed).
    pub kind: String,
    /// When it happened (RFC 3339; default now).
    #[arg(long)]
    pub at: Option<String>,
    /// The date the event carries (YYYY-MM-DD).
    #[arg(long)]
    pub date: Option<String>,
    /// The report, MDR or incident number; for a submitted report, the agency's reference.
    #[arg(long)]
    pub reference: Option<String>,
    /// Why it is recorded (required; for correction_recorded, why the correction is not
    /// reported).
    #[arg(long)]
    pub reason: String,
    /// The evidence of the claimed time (a document id, a ticket): with --reason, for an
    /// event dated more than a day back.
    #[arg(long)]
    pub evidence: Option<String>,
    /// 803 reportable event: death, serious_injury or malfunction.
    #[arg(long)]
    pub event_type: Option<String>,
    /// 803 report: it carries the 806.10(c) data and so covers the 806 report.
    #[arg(long)]
    pub covers_806: bool,
    /// 803: remedial action needed, or FDA asked in writing: the five-work-day report.
    #[arg(long)]
    pub five_day: bool,
    /// EU MDR: serious_incident, public_health_threat, death_or_serious_deterioration.
    #[arg(long)]
    pub category: Option<String>,
    #[command(flatten)]
    pub signer: SignerArgs,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `aftercare policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show the policy in force: revision, id, version, digest, time zone and clock lengths.
    Show {
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Write the policy in force as TOML (to edit and `set` it).
    Export {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
    /// Validate a policy file against the schema (no workspace needed).
    Check {
        /// The policy file (TOML).
        file: PathBuf,
    },
    /// Make a policy file the policy in force, signed by the person who changes it.
    Set {
        /// The policy file (TOML).
        file: PathBuf,
        /// Why the policy changes.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
    /// List the policy's revisions.
    History {
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare clock …`.
#[derive(Debug, Subcommand)]
pub enum ClockCommand {
    /// List clocks, soonest deadline first.
    List {
        /// Only open clocks due within this long (`14d`, or a number of days).
        #[arg(long)]
        due_within: Option<String>,
        /// Only clocks past their deadline and not yet done (open, or missed and unsatisfied).
        #[arg(long)]
        overdue: bool,
        /// Only clocks in this state: open, met, missed, waived.
        #[arg(long)]
        state: Option<String>,
        /// Only clocks of this product.
        #[arg(long)]
        product: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show the case of a product and a vulnerability: awareness, risk, clocks, events.
    Show {
        /// The product's name or id.
        product: String,
        /// The vulnerability's canonical id.
        vulnerability: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record an event that drives the clocks of a product and a vulnerability.
    ///
    /// A determination is made by a finding's signed assessment (`finding assess … --harm`),
    /// never here. A report's submission (report_806_submitted, mdr_report_submitted,
    /// eu_mdr_report_submitted, each with the agency's --reference) and the 21 CFR 806.20
    /// record of a correction not reported (correction_recorded, its rationale in --reason)
    /// are signed: the signer's password is asked. An event dated more than a day back needs
    /// --reason and --evidence.
    Event(Box<ClockEventArgs>),
    /// Waive an open clock with a written rationale, signed.
    Waive {
        /// The clock's id.
        id: i64,
        /// Why the clock does not apply.
        #[arg(long)]
        rationale: String,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
    /// Let time pass: mark clocks whose deadline ended as missed (the server does this on a
    /// schedule).
    Tick {
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
    /// What-if, without a workspace: run the clock engine on a file of events under a policy
    /// and print every clock with its basis, day 0, deadline (local and UTC) and state at
    /// `--now`.
    Simulate(SimulateArgs),
}

/// `aftercare clock simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The events, as JSON lines: `{"kind": "finding_first_seen", "at": "2025-03-03T09:00:00-05:00"}`,
    /// then the fields the kind takes (`risk`, `reference`, `aware_on`, `started_on`, …), and
    /// optionally `recorded_at` with `backdating_reason` and `evidence` to judge the claimed
    /// time.
    #[arg(long)]
    pub events: PathBuf,
    /// The policy file (default: the built-in policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// The instant at which to report the clocks' states (RFC 3339; default now).
    #[arg(long)]
    pub now: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

/// A secret given on the command line or in the environment: never printed.
#[derive(Clone)]
pub struct SecretArg(pub String);

impl std::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretArg(***)")
    }
}

impl std::str::FromStr for SecretArg {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<SecretArg, Self::Err> {
        Ok(SecretArg(text.to_string()))
    }
}

/// The kinds of feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FeedKindArg {
    /// OSV records: osv.dev's `<Ecosystem>/all.zip`, or a mirror (zip, folder, file).
    Osv,
    /// The NVD CVE API 2.0 (incremental by `lastModStartDate` windows), or files of its JSON.
    Nvd,
    /// CVE JSON 5 records (a cvelistV5 zip or a folder).
    Cve5,
    /// CISA's Known Exploited Vulnerabilities catalog (JSON).
    Kev,
    /// FIRST EPSS daily scores (CSV, optionally gzipped).
    Epss,
    /// CSAF 2.0 advisories: a provider's `provider-metadata.json`, a ROLIE feed, or a folder.
    Csaf,
}

/// How syncs run.
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// Records per transaction: larger is faster, smaller loses less work when interrupted.
    #[arg(long, env = "AFTERCARE_SYNC_BATCH_RECORDS", default_value_t = 5_000)]
    pub batch_records: usize,
    /// The NVD API key (raises NVD's rate limit; sent as the `apiKey` header).
    #[arg(long, env = "AFTERCARE_NVD_API_KEY", hide_env_values = true)]
    pub nvd_api_key: Option<SecretArg>,
    /// Seconds between NVD requests (default 6 without a key, 0.6 with one, as NVD asks).
    #[arg(long, env = "AFTERCARE_NVD_REQUEST_DELAY")]
    pub nvd_request_delay: Option<f64>,
    /// Seconds one HTTP request (body included) may take.
    #[arg(long, env = "AFTERCARE_HTTP_TIMEOUT", default_value_t = 600)]
    pub http_timeout: u64,
}

/// `aftercare feed …`.
#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// Add a feed. Without --url or --path it reads the kind's official source (osv needs
    /// --ecosystem; cve5 and csaf need --url or --path).
    Add {
        /// The feed's unique name.
        name: String,
        /// The kind of source.
        #[arg(long, value_enum)]
        kind: FeedKindArg,
        /// The URL (osv: an all.zip; nvd: the API; csaf: provider-metadata.json or a ROLIE feed).
        #[arg(long, conflicts_with = "path")]
        url: Option<String>,
        /// A local mirror instead (a file, a zip or a folder): for air-gapped sites.
        #[arg(long)]
        path: Option<PathBuf>,
        /// The OSV ecosystem for osv.dev's default URL (`PyPI`, `npm`, `Go`, `crates.io` …).
        #[arg(long)]
        ecosystem: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List feeds with their last sync.
    List {
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show a feed: its source, recent runs and the warnings of the last one.
    Show {
        /// The feed's name.
        name: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Sync feeds now (all of them when none is named); an interrupted sync resumes.
    Sync {
        /// The feeds to sync.
        names: Vec<String>,
        #[command(flatten)]
        sync: SyncArgs,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Remove a feed; its records stay.
    Remove {
        /// The feed's name.
        name: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
}

/// `aftercare vuln …`.
#[derive(Debug, Subcommand)]
pub enum VulnCommand {
    /// Show a vulnerability by any alias (CVE, GHSA, PYSEC, RUSTSEC, GO-…, a CSAF document
    /// id) or row id: every source's record, KEV, EPSS, scores, affected packages and products.
    Show {
        /// The id.
        id: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Search vulnerabilities, newest first.
    Search {
        /// Text in an id, summary or description.
        text: Option<String>,
        /// Only those in CISA's KEV catalog.
        #[arg(long)]
        kev: bool,
        /// Only those whose EPSS score is above this (0–1).
        #[arg(long)]
        epss_above: Option<f64>,
        /// Only those affecting a package of this ecosystem (`PyPI`, `npm` …).
        #[arg(long)]
        ecosystem: Option<String>,
        /// Only those affecting a package of this name.
        #[arg(long)]
        package: Option<String>,
        /// Only those published on or after this date (YYYY-MM-DD).
        #[arg(long)]
        published_since: Option<String>,
        /// Include vulnerabilities whose every record is withdrawn.
        #[arg(long)]
        include_withdrawn: bool,
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// Print at most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// The server's settings.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The address to listen on.
    #[arg(long, env = "AFTERCARE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The largest accepted upload, in bytes; larger ones get 413.
    #[arg(long, env = "AFTERCARE_MAX_UPLOAD_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_upload_bytes: usize,
    /// Send the session cookie without `Secure` (only for plain HTTP on a host other than
    /// localhost, in a lab).
    #[arg(long, env = "AFTERCARE_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// How often the server lets time pass for the regulatory clocks, in seconds.
    #[arg(long, env = "AFTERCARE_CLOCK_TICK_SECONDS", default_value_t = 900)]
    pub clock_tick_seconds: u64,
    /// How often feeds are synced in the background (`6h`, `30m`, `90s`; `0` for never).
    /// With several nodes on one database, one node at a time syncs a feed.
    #[arg(long, env = "AFTERCARE_SYNC_INTERVAL", default_value = "6h")]
    pub sync_interval: String,
    #[command(flatten)]
    pub sync: SyncArgs,
    #[command(flatten)]
    pub ddi: DdiArgs,
}

/// The DDI (device) side of the server.
#[derive(Debug, Clone, Args)]
pub struct DdiArgs {
    /// The DDI tenant this workspace answers as (`/{tenant}/controller/v1/…`).
    #[arg(long, env = "AFTERCARE_DDI_TENANT", default_value = "DEFAULT")]
    pub ddi_tenant: String,
    /// How long devices sleep between polls (`config.polling.sleep`, HH:MM:SS).
    #[arg(long, env = "AFTERCARE_DDI_POLL_SLEEP", default_value = "00:05:00")]
    pub ddi_poll_sleep: String,
    /// The public base URL of the DDI links (`https://updates.example.com`); the request's
    /// Host over plain HTTP when unset.
    #[arg(long, env = "AFTERCARE_DDI_PUBLIC_URL")]
    pub ddi_public_url: Option<String>,
    /// The tenant's gateway token (`Authorization: GatewayToken …`); off when unset.
    #[arg(long, env = "AFTERCARE_DDI_GATEWAY_TOKEN", hide_env_values = true)]
    pub ddi_gateway_token: Option<String>,
    /// A reverse proxy whose client-certificate headers (`X-Controller-Id`, `X-Authority`)
    /// are trusted; repeatable.
    #[arg(long, env = "AFTERCARE_DDI_TRUSTED_PROXY", value_delimiter = ',')]
    pub ddi_trusted_proxy: Vec<std::net::IpAddr>,
    /// An issuer hash accepted in `X-Authority` from a trusted proxy; repeatable.
    #[arg(long, env = "AFTERCARE_DDI_AUTHORITY", value_delimiter = ',')]
    pub ddi_authority: Vec<String>,
    /// How often rollouts are evaluated and device polls written, in seconds.
    #[arg(long, env = "AFTERCARE_ROLLOUT_TICK_SECONDS", default_value_t = 5)]
    pub rollout_tick_seconds: u64,
    /// Also receive fleet telemetry over MQTT 5 from this broker (`mqtt://127.0.0.1:1883`):
    /// topic `aftercare/{tenant}/{controllerId}/telemetry`, the device's token in the user
    /// property `authorization`, through the shared subscription of `--mqtt-group`.
    #[arg(long, env = "AFTERCARE_MQTT")]
    pub mqtt: Option<String>,
    /// The shared-subscription group; every node of one deployment uses the same, so each
    /// message is stored by one node.
    #[arg(long, env = "AFTERCARE_MQTT_GROUP", default_value = "aftercare")]
    pub mqtt_group: String,
    /// This node's MQTT client id (unique per node; by default `aftercare-` and the process
    /// id).
    #[arg(long, env = "AFTERCARE_MQTT_CLIENT_ID")]
    pub mqtt_client_id: Option<String>,
    /// Telemetry lines a device may send per minute (HTTP and MQTT together); more is 429.
    #[arg(long, env = "AFTERCARE_TELEMETRY_RATE", default_value_t = 6000)]
    pub telemetry_rate: u32,
    /// Store telemetry batches marked as replays at their lines' own times (`aftercare
    /// simulate-fleet`, a trusted gateway's buffer). Never on a real fleet: a device's clock
    /// would decide its windows.
    #[arg(long, env = "AFTERCARE_TRUST_DEVICE_TIME")]
    pub trust_device_time: bool,
}

/// `aftercare serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub artifacts: ArtifactDirArg,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `aftercare demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The demo workspace directory; it is created afresh (an existing demo there is
    /// replaced).
    #[arg(
        long,
        env = "AFTERCARE_DEMO_WORKSPACE",
        default_value = "aftercare-demo"
    )]
    pub workspace: PathBuf,
    /// Create and import the demo, print what it holds, and exit without serving.
    #[arg(long)]
    pub no_serve: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `aftercare finding …`.
#[derive(Debug, Subcommand)]
pub enum FindingCommand {
    /// List findings, most severe first (KEV first within a severity).
    List {
        /// Only this product (name or id).
        #[arg(long)]
        product: Option<String>,
        /// Only this release of the product (its version; needs --product).
        #[arg(long)]
        release: Option<String>,
        /// Only these severities: critical, high, medium, low, none, unknown (repeat or
        /// separate with commas).
        #[arg(long, value_delimiter = ',')]
        severity: Vec<String>,
        /// Only findings of vulnerabilities in CISA's KEV catalog.
        #[arg(long)]
        kev: bool,
        /// open (default), closed or all.
        #[arg(long, default_value = "open")]
        state: String,
        /// Only this vulnerability, by any of its ids.
        #[arg(long)]
        vulnerability: Option<String>,
        /// Text in the component's name or purl, or in the vulnerability's ids.
        #[arg(long)]
        search: Option<String>,
        /// unassessed, assessed, needs_review, or a VEX status (not_affected, affected, fixed,
        /// under_investigation).
        #[arg(long)]
        assessment: Option<String>,
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// Print at most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Assess findings (several at once with one assessment): VEX status, justification,
    /// response, the device's CVSS vector or the rubric's answers, and — with --harm — the
    /// signed controlled / uncontrolled determination that starts the clocks.
    Assess(Box<AssessArgs>),
    /// Show a finding: why it matched, severity, fixed versions, signals, assessment,
    /// determination, clocks and history.
    Show {
        /// The finding's id.
        id: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare match`.
#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Every release of every product (the default when no release is named).
    #[arg(long, conflicts_with_all = ["product", "release"])]
    pub all: bool,
    /// Only the releases of this product (with --release: only that release).
    #[arg(long)]
    pub product: Option<String>,
    /// Only this release of --product.
    #[arg(long, requires = "product")]
    pub release: Option<String>,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `aftercare finding assess`.
#[derive(Debug, Args)]
pub struct AssessArgs {
    /// The findings' ids.
    #[arg(required = true)]
    pub ids: Vec<i64>,
    /// not_affected, affected, fixed or under_investigation.
    #[arg(long)]
    pub status: String,
    /// For not_affected, one of the nine CycloneDX justifications: code_not_present,
    /// code_not_reachable, requires_configuration, requires_dependency, requires_environment,
    /// protected_by_compiler, protected_at_runtime, protected_at_perimeter,
    /// protected_by_mitigating_control.
    #[arg(long)]
    pub justification: Option<String>,
    /// Why the product is not affected, in words.
    #[arg(long)]
    pub impact: Option<String>,
    /// can_not_fix, will_not_fix, update, rollback, workaround_available (repeat or separate
    /// with commas).
    #[arg(long = "response", value_delimiter = ',')]
    pub responses: Vec<String>,
    /// What users should do, in words.
    #[arg(long)]
    pub action: Option<String>,
    /// Notes.
    #[arg(long)]
    pub details: Option<String>,
    /// Who works on it.
    #[arg(long)]
    pub assignee: Option<String>,
    /// finding (default), product (every release of the product with the same component)
    /// or portfolio (every product).
    #[arg(long)]
    pub scope: Option<String>,
    /// The versions of the component the decision covers (default: exactly the finding's):
    /// `*`, `=1.2.3`, `>=1.0,<2.0`.
    #[arg(long)]
    pub versions: Option<String>,
    /// The CVSS vector rescored for the device.
    #[arg(long)]
    pub vector: Option<String>,
    /// The MITRE/MDIC medical-device rubric's extended vector of answers (gives the CVSS
    /// vector when --vector is not given).
    #[arg(long)]
    pub rubric: Option<String>,
    /// ISO 14971 harm severity: negligible, minor, serious, critical, catastrophic. With it,
    /// the determination of the product and the vulnerability is made and signed.
    #[arg(long)]
    pub harm: Option<String>,
    /// The device's safety and essential performance is not affected (by default it is, with
    /// --harm): the risk is then controlled whatever the matrix says (FDA 2016 final guidance;
    /// the old flag --no-ecp, after the draft's "essential clinical performance", still works).
    #[arg(long = "safety-and-essential-performance-unaffected", alias = "no-ecp")]
    pub safety_and_essential_performance_unaffected: bool,
    /// A compensating control: `DESCRIPTION::EVIDENCE`, or `DESCRIPTION::EVIDENCE::ineffective`
    /// for one that does not hinder this vulnerability (repeat).
    #[arg(long = "control")]
    pub controls: Vec<String>,
    /// Override the determination's outcome: controlled or uncontrolled (needs --rationale).
    #[arg(long = "override")]
    pub override_outcome: Option<String>,
    /// The override's written rationale.
    #[arg(long)]
    pub rationale: Option<String>,
    /// Who signs the determination (default: the workspace's local administrator); the
    /// password comes from AFTERCARE_SIGNER_PASSWORD or the terminal.
    #[arg(long, env = "AFTERCARE_SIGNER")]
    pub signer: Option<String>,
    /// The meaning of the signature: authorship, review, approval or responsibility.
    #[arg(long, default_value = "authorship")]
    pub meaning: String,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `aftercare rubric …`.
#[derive(Debug, Subcommand)]
pub enum RubricCommand {
    /// Print the questions: per CVSS base metric, the decision flow and, for the impacts, one
    /// flow per clinical category.
    Questions {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Score answers given as the rubric's extended vector (`MDR:1.0/XAVN:Y/…`): the CVSS
    /// v3.0 base vector and score they give (what `finding assess --rubric` stores).
    Score {
        /// The extended vector.
        vector: String,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare plan …`.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Create a remediation plan for a product's findings. The policy decides the cycle it
    /// needs: an uncontrolled determination, a KEV entry or a critical score require
    /// `out_of_cycle`, and `regular` is then refused with the reason.
    Create(PlanCreateArgs),
    /// List plans, newest first.
    List {
        /// Only the plans of this product (name or id).
        #[arg(long)]
        product: Option<String>,
        /// Only plans in this state: open, in_progress, patch_built, approved, distributed,
        /// closed, cancelled.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show a plan: its findings, cycle and why, due date from the clocks, interim controls,
    /// patches and history.
    Show {
        /// The plan's id.
        id: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Change a plan: owner, target, cycle, more findings, references, controls; `--start`
    /// moves it to in_progress.
    Update(PlanUpdateArgs),
    /// Close a distributed plan, or cancel one with `--cancel REASON`.
    Close {
        /// The plan's id.
        id: i64,
        /// Cancel the plan (before distribution), with this reason.
        #[arg(long, value_name = "REASON")]
        cancel: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare plan create`: see its variant's documentation.
#[derive(Debug, Args)]
pub struct PlanCreateArgs {
    /// The product's name or id.
    pub product: String,
    /// A vulnerability (any of its ids) whose open findings in the product the plan
    /// remediates; repeatable.
    #[arg(long)]
    pub vulnerability: Vec<String>,
    /// A finding (by id, of the product) the plan remediates; repeatable.
    #[arg(long)]
    pub finding: Vec<i64>,
    /// The version the fix will ship in.
    #[arg(long)]
    pub target: String,
    /// regular or out_of_cycle.
    #[arg(long)]
    pub cycle: String,
    /// The written review that lets a vulnerability without a determination take the
    /// regular cycle.
    #[arg(long)]
    pub cycle_review: Option<String>,
    /// The owner's login.
    #[arg(long)]
    pub owner: String,
    /// A change request, REF or REF=URL; repeatable.
    #[arg(long = "change-request", value_name = "REF=URL")]
    pub change_requests: Vec<String>,
    /// A problem report, REF or REF=URL; repeatable.
    #[arg(long = "problem-report", value_name = "REF=URL")]
    pub problem_reports: Vec<String>,
    /// An interim compensating control, "DESCRIPTION::EVIDENCE"; repeatable.
    #[arg(long = "control", value_name = "DESC::EVIDENCE")]
    pub controls: Vec<String>,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `aftercare plan update`: see its variant's documentation.
#[derive(Debug, Args)]
pub struct PlanUpdateArgs {
    /// The plan's id.
    pub id: i64,
    /// A new owner (login).
    #[arg(long)]
    pub owner: Option<String>,
    /// A new target version.
    #[arg(long)]
    pub target: Option<String>,
    /// A new cycle (checked against the policy).
    #[arg(long)]
    pub cycle: Option<String>,
    /// The written review for the regular cycle.
    #[arg(long)]
    pub cycle_review: Option<String>,
    /// Another finding (by id, of the product); repeatable.
    #[arg(long = "add-finding", value_name = "ID")]
    pub add_findings: Vec<i64>,
    /// Another change request, REF or REF=URL; repeatable.
    #[arg(long = "change-request", value_name = "REF=URL")]
    pub change_requests: Vec<String>,
    /// Another problem report, REF or REF=URL; repeatable.
    #[arg(long = "problem-report", value_name = "REF=URL")]
    pub problem_reports: Vec<String>,
    /// Another interim compensating control, "DESCRIPTION::EVIDENCE"; repeatable.
    #[arg(long = "control", value_name = "DESC::EVIDENCE")]
    pub controls: Vec<String>,
    /// Work on the fix has started (open → in_progress).
    #[arg(long)]
    pub start: bool,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `aftercare artifact …`. A release is named `PRODUCT@VERSION`.
#[derive(Debug, Subcommand)]
pub enum ArtifactCommand {
    /// Add a file to a release, under its own file name.
    ///
    /// A `.swu` must be a cpio archive whose first entries are sw-description and its CMS
    /// signature, signed by a certificate of the product's update CA (`product trust-ca`) with
    /// the S/MIME signing purpose, as SWUpdate requires by default; other files (a RAUC bundle)
    /// are stored as they are. The file is kept by SHA-256 in the artifact directory.
    Add {
        /// PRODUCT@VERSION.
        release: String,
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        artifacts: ArtifactDirArg,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List the files of a release, with their size, digests and verified signer.
    List {
        /// PRODUCT@VERSION.
        release: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare patch …`. A patch release is named `PRODUCT@VERSION`.
#[derive(Debug, Subcommand)]
pub enum PatchCommand {
    /// Attach a release to the plans it serves (or use `release add --patch-for`).
    Attach {
        /// PRODUCT@VERSION.
        release: String,
        /// A plan (by id); repeatable.
        #[arg(long = "plan", value_name = "ID", required = true)]
        plans: Vec<i64>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show a patch release and, per vulnerability, the chain: finding → assessment →
    /// determination → plan → change request → patch release → fix evidence → V&V evidence →
    /// approval → distribution, with the clock each step met or missed.
    Show {
        /// PRODUCT@VERSION.
        release: String,
        /// List the fix evidence of every finding (a plan of more than 50 findings is summed
        /// by vulnerability otherwise; JSON always lists every one).
        #[arg(long)]
        findings: bool,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Verification and validation evidence: never edited; a correction supersedes.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Approve a patch release for distribution with an electronic signature (21 CFR 11):
    /// refused, with every reason, when required evidence is missing or failed, a finding is
    /// not fixed, or the signer alone executed the validation. The password comes from
    /// AFTERCARE_SIGNER_PASSWORD or the terminal.
    Approve {
        /// PRODUCT@VERSION.
        release: String,
        #[command(flatten)]
        signer: SignerArgs,
        /// Why, recorded with the signature.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Reject a patch release, with a reason.
    Reject {
        /// PRODUCT@VERSION.
        release: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Revoke (recall) a patch release, with a reason: the gate never passes it again.
    Revoke {
        /// PRODUCT@VERSION.
        release: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Record that an approved patch was made available to customers: the gate decides;
    /// the `fix_distributed` event of every case its plans cover meets the remediation clock.
    Distribute {
        /// PRODUCT@VERSION.
        release: String,
        /// field_service, customer_download or ota.
        #[arg(long)]
        channel: String,
        /// The day it was made available (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
        /// The organisation it went to.
        #[arg(long)]
        organisation: Option<String>,
        /// A file as evidence of the distribution.
        #[arg(long)]
        evidence_file: Option<PathBuf>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare patch evidence …`.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Record evidence for a patch release; its files are stored by SHA-256 in the database.
    Add(Box<EvidenceAddArgs>),
    /// List a patch release's evidence, superseded items marked.
    List {
        /// PRODUCT@VERSION.
        release: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show one evidence item with its files.
    Show {
        /// The item's id.
        id: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Write an evidence file, checked against its recorded SHA-256.
    Download {
        /// The item's id.
        id: i64,
        /// The file's name (default: the item's only file).
        #[arg(long)]
        file: Option<String>,
        /// Where to write it (default: its name, in the current directory).
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
}

/// `aftercare patch evidence add`: see its variant's documentation.
#[derive(Debug, Args)]
pub struct EvidenceAddArgs {
    /// PRODUCT@VERSION.
    pub release: String,
    /// verification, validation, regression, security_test or impact_assessment.
    #[arg(long)]
    pub kind: String,
    /// Its title.
    #[arg(long)]
    pub title: String,
    /// pass, fail or deviation.
    #[arg(long)]
    pub result: String,
    /// Who executed it (login or name); repeatable.
    #[arg(long = "executed-by", required = true)]
    pub executed_by: Vec<String>,
    /// The day it was executed (YYYY-MM-DD).
    #[arg(long)]
    pub executed_on: String,
    /// A file of it (report, log); repeatable.
    #[arg(long = "file")]
    pub files: Vec<PathBuf>,
    /// The item this one corrects (it stays, marked superseded).
    #[arg(long)]
    pub supersedes: Option<i64>,
    /// Impact assessment: does the change affect safety and essential performance (yes/no).
    #[arg(long, value_name = "yes|no")]
    pub safety_affected: Option<String>,
    /// Impact assessment: a verification re-run for the change; repeatable.
    #[arg(long = "verification-rerun", value_name = "REF")]
    pub verification_rerun: Vec<String>,
    /// Impact assessment: letter_to_file or new_submission.
    #[arg(long)]
    pub regulatory_path: Option<String>,
    /// Impact assessment: the clearance of a new submission, once obtained.
    #[arg(long)]
    pub clearance: Option<String>,
    /// Impact assessment: the rationale.
    #[arg(long)]
    pub rationale: Option<String>,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `aftercare organisation …`.
#[derive(Debug, Subcommand)]
pub enum OrganisationCommand {
    /// Add an organisation that owns devices (a hospital, a group of clinics).
    Add {
        /// Its unique name.
        name: String,
        /// A description.
        #[arg(long)]
        description: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List organisations.
    List {
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare site …`.
#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Add a site of an organisation (site names are unique across organisations).
    Add {
        /// Its unique name.
        name: String,
        /// Its organisation, by name.
        #[arg(long)]
        organisation: String,
        /// Its IANA time zone (`Europe/Berlin`), for maintenance windows later.
        #[arg(long)]
        timezone: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List sites.
    List {
        /// Only the sites of this organisation.
        #[arg(long)]
        organisation: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare device …`.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Register a device and print its security token, shown this once (only its SHA-256 is
    /// stored).
    Add {
        /// Its controller id (the DDI `{controllerId}`): 1 to 256 characters, no blanks, no `/`.
        controller_id: String,
        /// Its product, by name or id.
        #[arg(long)]
        product: String,
        /// Its serial number (unique per product).
        #[arg(long)]
        serial: String,
        /// Its hardware revision.
        #[arg(long)]
        hardware: Option<String>,
        /// Its site (the organisation defaults to the site's).
        #[arg(long)]
        site: Option<String>,
        /// Its organisation.
        #[arg(long)]
        organisation: Option<String>,
        /// A tag; repeatable.
        #[arg(long)]
        tag: Vec<String>,
        /// The version of the product installed on it (recorded with the source `manual`).
        #[arg(long)]
        release: Option<String>,
        /// Its update client: swupdate, rauc_hawkbit_updater or unknown (what it can honour
        /// of a rollout: download-only, maintenance windows).
        #[arg(long)]
        client: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Register the devices of a CSV file in one transaction. Header:
    /// `controller_id,serial,product,hardware,site,organisation,tags,release,client` (tags
    /// `;`-separated; the first three required). A bad row refuses the whole file, naming the
    /// line and field, and nothing is written. The tokens are printed once, or written to
    /// `--tokens-out`.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Write the tokens (`controller_id,token`) to this new file, readable by its owner
        /// only (mode 0600), instead of printing them; an existing file is not overwritten.
        #[arg(long, value_name = "FILE")]
        tokens_out: Option<PathBuf>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// List devices; every given criterion must hold.
    List {
        /// Only devices of this product.
        #[arg(long)]
        product: Option<String>,
        /// Only devices at this site.
        #[arg(long)]
        site: Option<String>,
        /// Only devices of this organisation.
        #[arg(long)]
        organisation: Option<String>,
        /// Only devices with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only devices in this state: registered, in_sync, pending, error, unknown,
        /// decommissioned.
        #[arg(long)]
        state: Option<String>,
        /// Only devices whose installed release has an open finding of this vulnerability
        /// (any of its ids).
        #[arg(long, value_name = "VULNERABILITY")]
        exposed_to: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Show a device: its facts, installed release and its source, state, last poll.
    Show {
        /// Its controller id.
        controller_id: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Change a device: site, organisation, tags (replacing them), installed release
    /// (recorded with the source `manual`).
    Update {
        /// Its controller id.
        controller_id: String,
        /// Its new site.
        #[arg(long)]
        site: Option<String>,
        /// Its new organisation.
        #[arg(long)]
        organisation: Option<String>,
        /// A tag; repeatable; replaces the device's tags.
        #[arg(long)]
        tag: Vec<String>,
        /// The version now installed on it.
        #[arg(long)]
        release: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Decommission a device: it is kept, in state `decommissioned`, and its token stops
    /// working.
    Decommission {
        /// Its controller id.
        controller_id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// A device's telemetry: its last heartbeat, the release and firmware it reports, its
    /// clock skew, and each metric's rollups (hourly or daily) over a window.
    Telemetry {
        /// Its controller id.
        controller_id: String,
        /// `hour` or `day`.
        #[arg(long, default_value = "hour")]
        grain: String,
        /// How many hours back from now.
        #[arg(long, default_value_t = 48)]
        hours: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// A device's rollout actions, newest first, with every status message it reported.
    History {
        /// Its controller id.
        controller_id: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare rollout …`.
#[derive(Debug, Clone, Subcommand)]
// `create` carries every option of a rollout; the command is parsed once, and boxed in
// `Command` already.
#[allow(clippy::large_enum_variant)]
pub enum RolloutCommand {
    /// Create a rollout of an approved patch release (the approval gate must clear it) to
    /// the devices a filter targets, in waves.
    Create {
        /// Its unique name.
        name: String,
        /// The release to deliver: PRODUCT@VERSION.
        #[arg(long, value_name = "PRODUCT@VERSION")]
        release: String,
        /// The target filter: `product=… release=… site=… organisation=… tag=… hw=…` (keys
        /// AND'd, a repeated key OR'd, a trailing `*` for a prefix).
        #[arg(long)]
        filter: String,
        /// The waves: cumulative shares or counts (`1%,10%,100%`, `10,100,all`).
        #[arg(long, default_value = "100%")]
        waves: String,
        /// An explicit wave instead: controller ids separated by commas; repeatable, in
        /// order.
        #[arg(long = "wave", value_name = "IDS")]
        wave_lists: Vec<String>,
        /// With explicit waves: the targeted devices no wave names form a last wave.
        #[arg(long)]
        rest: bool,
        /// The share of a wave that must install before the next wave starts.
        #[arg(long, default_value = "95%")]
        success_threshold: String,
        /// The share of a wave that may fail; more pauses the rollout by itself.
        #[arg(long, default_value = "5%")]
        error_threshold: String,
        /// forced, soft, timeforced or download_only.
        #[arg(long = "type", default_value = "forced")]
        update_type: String,
        /// A maintenance window: 'CRON DURATION TZ' (`'0 2 * * * 03:00 Europe/Berlin'`).
        #[arg(long)]
        window: Option<String>,
        /// After this wave (counted from 1) a person decides go or no-go; repeatable.
        #[arg(long)]
        hold_after: Vec<usize>,
        /// Devices registered later that the filter targets join the last wave.
        #[arg(long)]
        dynamic: bool,
        /// With `--type timeforced`: the instant its offers become forced (RFC 3339,
        /// `2026-12-10T02:00:00Z`); soft until then.
        #[arg(long, value_name = "INSTANT")]
        forced_at: Option<String>,
        /// A rollback to an older release, with its rationale.
        #[arg(long, value_name = "RATIONALE")]
        rollback: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Start a created rollout: the approval gate again, the plan of waves, the first wave.
    Start {
        /// Its name.
        name: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Pause a running rollout: nothing new is offered; offered actions go on.
    Pause {
        /// Its name.
        name: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Resume a paused rollout (after the approval gate).
    Resume {
        /// Its name.
        name: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Cancel a rollout: actions not offered yet are canceled, offered ones are asked to
    /// cancel.
    Cancel {
        /// Its name.
        name: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Decide at a hold point, signed with your password (21 CFR Part 11): `--go` starts the
    /// next wave (after the approval gate), `--no-go` cancels the rollout.
    Decide {
        /// Its name.
        name: String,
        /// Go on with the next wave.
        #[arg(long, conflicts_with = "no_go", required_unless_present = "no_go")]
        go: bool,
        /// Stop: cancel the rollout.
        #[arg(long)]
        no_go: bool,
        #[command(flatten)]
        signer: SignerArgs,
        /// Why, recorded with the signature.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Offer the release again to the devices whose action failed (a paused rollout resumes).
    RetryFailed {
        /// Its name.
        name: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// A rollout's state, waves and counts; on a terminal with `--watch`, refreshed until it
    /// finishes or is canceled.
    Status {
        /// Its name.
        name: String,
        /// Refresh every 2 seconds (a live progress display).
        #[arg(long)]
        watch: bool,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Every rollout, newest first.
    List {
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The post-patch report: the exposure of the rollout's devices before and after, the
    /// metrics of the patched and unpatched cohorts before and after, the signals raised
    /// during the rollout.
    Report {
        /// Its name.
        name: String,
        /// The metrics as CSV (one row per metric and cohort) instead.
        #[arg(long)]
        csv: bool,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Set a health rule of the rollout: its devices that installed the release are compared
    /// with the product's devices that did not, on a metric, over a soak; a breach pauses the
    /// rollout with the evidence. A rule for the same metric is replaced.
    Health {
        /// Its name.
        name: String,
        /// The metric compared (`app.error_count`).
        #[arg(long, required_unless_present = "clear")]
        metric: Option<String>,
        /// The largest ratio of patched to unpatched (median of the devices' means).
        #[arg(long, default_value_t = 2.0)]
        max_ratio: f64,
        /// The largest robust z of the difference.
        #[arg(long, default_value_t = 3.0)]
        max_z: f64,
        /// Lower values are worse (a battery's charge), not higher ones.
        #[arg(long)]
        lower_is_worse: bool,
        /// How long the patched devices must have run before the rule judges (`24h`, `90m`).
        #[arg(long, default_value = "24h")]
        soak: String,
        /// Devices needed in each cohort.
        #[arg(long, default_value_t = 5)]
        min_devices: u32,
        /// Samples a device needs to count.
        #[arg(long, default_value_t = 12)]
        min_samples: u64,
        /// Remove every health rule of the rollout.
        #[arg(long, conflicts_with = "metric")]
        clear: bool,
        #[command(flatten)]
        workspace: WorkspaceArgs,
    },
}

/// `aftercare signal …`.
#[derive(Debug, Subcommand)]
pub enum SignalCommand {
    /// Signals, newest first.
    List {
        /// Only this state: open, acknowledged, dismissed, incident.
        #[arg(long)]
        state: Option<String>,
        /// Only this detector: step, drift, rate, silence, version_drift, firmware_drift,
        /// clock_skew, health_gate.
        #[arg(long)]
        kind: Option<String>,
        /// Only this device (controller id).
        #[arg(long)]
        device: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 200)]
        limit: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// One signal with its evidence (the series, the baseline, the threshold).
    Show {
        /// The signal's id.
        id: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Acknowledge an open signal: seen, still watched.
    Ack {
        /// The signal's id.
        id: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Dismiss an open signal with the reason it is not a concern.
    Dismiss {
        /// The signal's id.
        id: i64,
        /// Why it is not a concern.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}

/// `aftercare simulate-fleet`.
#[derive(Debug, Clone, Args)]
pub struct SimulateFleetArgs {
    /// How many devices (`sim-000001` …).
    #[arg(long, default_value_t = 100)]
    pub devices: u32,
    /// How many days of telemetry, ending now.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    /// The seed: the same seed sends the same telemetry.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A fault to inject: step, drift, auth-burst, silence, bad-patch; repeatable.
    #[arg(long = "fault", value_name = "KIND")]
    pub faults: Vec<String>,
    /// The product the devices are registered as.
    #[arg(long)]
    pub product: String,
    /// The release they run (it must exist).
    #[arg(long)]
    pub release: String,
    /// With `--fault bad-patch`: the release a fifth of the fleet moves to a third of the way
    /// through.
    #[arg(long, default_value = "2.2.1")]
    pub patch: String,
    /// The site the devices are registered at.
    #[arg(long)]
    pub site: Option<String>,
    /// Send over HTTP to this server (`http://127.0.0.1:8080`).
    #[arg(long, conflicts_with = "mqtt", required_unless_present = "mqtt")]
    pub url: Option<String>,
    /// Send over MQTT 5 to this broker (`mqtt://127.0.0.1:1883`).
    #[arg(long)]
    pub mqtt: Option<String>,
    /// The DDI tenant of the MQTT topics.
    #[arg(long, default_value = "DEFAULT")]
    pub tenant: String,
    /// Each device's batch holds this many minutes of telemetry.
    #[arg(long, default_value_t = 60)]
    pub batch_minutes: u32,
    /// Parallel HTTP connections.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// The CSV of the simulated devices' tokens (`controller_id,token`), written when they
    /// are registered and read on later runs. Default: `simulated-devices.csv` in the
    /// workspace directory.
    #[arg(long)]
    pub tokens: Option<PathBuf>,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
}

/// `aftercare exposure`.
#[derive(Debug, Clone, Args)]
pub struct ExposureArgs {
    /// The vulnerability: an id or an alias (`CVE-2021-32714`).
    pub vulnerability: String,
    /// Group the devices exposed now by product, release, organisation or site.
    #[arg(long, default_value = "product", value_parser = ["product", "release", "organisation", "site"])]
    pub by: String,
    /// Days of the residual-exposure curve.
    #[arg(long, default_value_t = 30)]
    pub days: i64,
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

/// `aftercare incident …`.
#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Open an incident: by hand, from a signal (open or acknowledged; it moves to
    /// `incident` and is linked with its device), or from a report.
    Open {
        /// One line.
        #[arg(long)]
        title: String,
        /// What happened.
        #[arg(long)]
        description: String,
        /// Opened from this signal (its id).
        #[arg(long, conflicts_with = "report")]
        signal: Option<i64>,
        /// Opened from this report (its reference).
        #[arg(long)]
        report: Option<String>,
        /// The day the manufacturer became aware of the event, day 0 of its clocks
        /// (YYYY-MM-DD; default today).
        #[arg(long)]
        aware_on: Option<String>,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Incidents, newest first.
    List {
        /// Only this state: open, classified, closed.
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 200)]
        limit: i64,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// One incident with its links, timeline and the clocks it opened.
    Show {
        /// The incident (INC-7 or 7).
        incident: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Classify an incident, signed: reportable under 21 CFR 803 (--fda) and/or EU MDR Art.
    /// 87 (--eu), which opens the clock that fits (803: 30 calendar days, 5 work days with
    /// --remedial-action; Art. 87: 2, 10 or 15 days), or --not-reportable. Always with the
    /// rationale.
    Classify {
        /// The incident (INC-7 or 7).
        incident: String,
        /// 21 CFR 803 event type: death, serious_injury, malfunction.
        #[arg(long)]
        fda: Option<String>,
        /// 21 CFR 803.53: remedial action is needed to prevent an unreasonable risk of
        /// substantial harm (or FDA asked in writing): the five-work-day report.
        #[arg(long)]
        remedial_action: bool,
        /// EU MDR Art. 87 category: public_health_threat (2 days),
        /// death_or_serious_deterioration (10 days), serious_incident (15 days).
        #[arg(long)]
        eu: Option<String>,
        /// A cybersecurity event that is not reportable (opens no clock).
        #[arg(long, conflicts_with_all = ["fda", "eu", "remedial_action"])]
        not_reportable: bool,
        /// Why.
        #[arg(long)]
        rationale: String,
        /// The product whose case holds the clocks (default: the one product of the links).
        #[arg(long)]
        product: Option<String>,
        /// The vulnerability whose case holds the clocks (default: the one of the linked
        /// findings, else the incident's number).
        #[arg(long)]
        vulnerability: Option<String>,
        /// Day 0 of the clocks (YYYY-MM-DD; default the incident's day of awareness).
        #[arg(long)]
        aware_on: Option<String>,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Link a device (controller id), finding (id), signal (id) or rollout (name).
    Link {
        /// The incident (INC-7 or 7).
        incident: String,
        /// device, finding, signal or rollout.
        kind: String,
        /// A controller id, a finding's or signal's id, a rollout's name.
        target: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Close a classified incident with its root cause, corrective actions and lessons
    /// learned (all required).
    Close {
        /// The incident (INC-7 or 7).
        incident: String,
        /// The root cause.
        #[arg(long)]
        root_cause: String,
        /// A corrective or preventive action's CAPA reference (repeat for several).
        #[arg(long = "capa", required = true)]
        corrective_actions: Vec<String>,
        /// The lessons learned.
        #[arg(long)]
        lessons: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// The incidents closed in a period with their lessons learned, for the annual review.
    Lessons {
        /// From this day (YYYY-MM-DD, UTC), inclusive.
        #[arg(long)]
        from: String,
        /// To this day (YYYY-MM-DD, UTC), exclusive.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        workspace: WorkspaceArgs,
        #[command(flatten)]
        format: FormatArg,
    },
}
