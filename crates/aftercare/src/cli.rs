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
#[command(group(clap::ArgGroup::new("data").required(true).args(["advisories", "index"])))]
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table, env = "AFTERCARE_FORMAT")]
    pub format: ScanFormat,
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

/// The server's settings.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The address to listen on.
    #[arg(long, env = "AFTERCARE_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The largest accepted upload, in bytes; larger ones get 413.
    #[arg(long, env = "AFTERCARE_MAX_UPLOAD_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_upload_bytes: usize,
}

/// `aftercare serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
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
