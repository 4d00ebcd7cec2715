//! The normalized SBOM: what every reader produces, whatever the input format.

use aftercare_model::{Cpe, Purl};

/// The family of an SBOM document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// OWASP CycloneDX.
    CycloneDx,
    /// Linux Foundation SPDX.
    Spdx,
}

impl Format {
    /// `cyclonedx` or `spdx`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::CycloneDx => "cyclonedx",
            Format::Spdx => "spdx",
        }
    }
}

/// How the document was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// JSON (CycloneDX JSON, SPDX 2.x JSON).
    Json,
    /// XML (CycloneDX XML).
    Xml,
    /// SPDX 2.x tag-value.
    TagValue,
    /// SPDX 3.0 JSON-LD.
    JsonLd,
}

impl Encoding {
    /// `json`, `xml`, `tag-value` or `json-ld`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Json => "json",
            Encoding::Xml => "xml",
            Encoding::TagValue => "tag-value",
            Encoding::JsonLd => "json-ld",
        }
    }
}

/// A normalized SBOM.
#[derive(Debug, Clone, PartialEq)]
pub struct Sbom {
    /// CycloneDX or SPDX.
    pub format: Format,
    /// JSON, XML, tag-value or JSON-LD.
    pub encoding: Encoding,
    /// The specification version the document declares (`1.4`, `2.3`).
    pub spec_version: String,
    /// CycloneDX `serialNumber` or SPDX `documentNamespace`.
    pub serial_number: Option<String>,
    /// The document's name (SPDX `name`; CycloneDX has none, the subject's name is used).
    pub name: Option<String>,
    /// When the SBOM was created, as written (RFC 3339 in valid documents).
    pub created: Option<String>,
    /// Who authored the SBOM data (CycloneDX `metadata.authors`/`manufacture`/`supplier`,
    /// SPDX `creationInfo.creators` of type Person or Organization).
    pub authors: Vec<String>,
    /// The tools that generated it.
    pub tools: Vec<String>,
    /// The component the SBOM describes (CycloneDX `metadata.component`, SPDX `DESCRIBES`),
    /// as an index into [`Sbom::components`].
    pub subject: Option<usize>,
    /// Every component, nested ones flattened (each keeps its parent).
    pub components: Vec<Component>,
    /// The dependency graph, as indices into [`Sbom::components`].
    pub dependencies: Vec<Dependency>,
}

/// The type of a component (CycloneDX `type`, SPDX `primaryPackagePurpose`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ComponentKind {
    /// A software library.
    Library,
    /// An application.
    Application,
    /// A framework.
    Framework,
    /// A container image.
    Container,
    /// An operating system.
    OperatingSystem,
    /// A hardware device.
    Device,
    /// Device firmware.
    Firmware,
    /// A file.
    File,
    /// Any other type, as written, lowercase.
    Other(String),
}

impl ComponentKind {
    /// Parses a CycloneDX `type` or SPDX purpose (case-insensitive, `_` and `-` alike).
    pub fn parse(raw: &str) -> ComponentKind {
        match raw.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "library" => ComponentKind::Library,
            "application" => ComponentKind::Application,
            "framework" => ComponentKind::Framework,
            "container" => ComponentKind::Container,
            "operating-system" => ComponentKind::OperatingSystem,
            "device" => ComponentKind::Device,
            "firmware" => ComponentKind::Firmware,
            "file" => ComponentKind::File,
            other => ComponentKind::Other(other.to_string()),
        }
    }

    /// The label, lowercase with dashes.
    pub fn as_str(&self) -> &str {
        match self {
            ComponentKind::Library => "library",
            ComponentKind::Application => "application",
            ComponentKind::Framework => "framework",
            ComponentKind::Container => "container",
            ComponentKind::OperatingSystem => "operating-system",
            ComponentKind::Device => "device",
            ComponentKind::Firmware => "firmware",
            ComponentKind::File => "file",
            ComponentKind::Other(other) => other,
        }
    }
}

/// CycloneDX scope: whether the component is needed at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Required at run time.
    Required,
    /// Optional at run time.
    Optional,
    /// Excluded from the runtime (build or test only).
    Excluded,
}

impl Scope {
    /// The label, lowercase.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Required => "required",
            Scope::Optional => "optional",
            Scope::Excluded => "excluded",
        }
    }
}

/// A file hash of a component.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hash {
    /// The algorithm, uppercase with dashes (`SHA-256`, `SHA-1`, `MD5`, `BLAKE3`).
    pub algorithm: String,
    /// The digest, lowercase hex.
    pub value: String,
}

/// One normalized component.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// The reference that is unique within the document (CycloneDX `bom-ref`, SPDX
    /// `SPDXID`); readers synthesize one (`component-<index>`) when the document has none.
    pub reference: String,
    /// The component type.
    pub kind: ComponentKind,
    /// The name.
    pub name: String,
    /// The group or namespace (CycloneDX `group`; for SPDX, the purl namespace if any).
    pub group: Option<String>,
    /// The version as written.
    pub version: Option<String>,
    /// The canonical package URL, if the document gave a valid one.
    pub purl: Option<Purl>,
    /// The CPEs the document gave (2.2 URIs and 2.3 formatted strings both parsed).
    pub cpes: Vec<Cpe>,
    /// The SWID tag id (CycloneDX `swid.tagId`, SPDX 2.x external reference `swid`,
    /// SPDX 3.0 external identifier `swid`): the third unique identifier NTIA accepts.
    pub swid: Option<String>,
    /// The supplier (CycloneDX `supplier.name`, SPDX `supplier`).
    pub supplier: Option<String>,
    /// The author (CycloneDX `author`/`authors`, SPDX `originator`).
    pub author: Option<String>,
    /// File hashes.
    pub hashes: Vec<Hash>,
    /// The license, as one SPDX expression (several licenses are joined with `AND`).
    pub licenses: Option<String>,
    /// CycloneDX scope.
    pub scope: Option<Scope>,
    /// FDA: the level of support (for example `supported`, `community`, `end-of-life`).
    pub level_of_support: Option<String>,
    /// FDA: the end-of-support date (`YYYY-MM-DD`).
    pub end_of_support: Option<String>,
    /// For a nested CycloneDX component: the index of its parent in
    /// [`Sbom::components`].
    pub parent: Option<usize>,
    /// Whether the subject depends on this component directly (`Some(true)`), only through
    /// others (`Some(false)`), or the graph does not say (`None`).
    pub direct: Option<bool>,
}

impl Component {
    /// A component with only a reference and a name; every other field empty.
    pub fn new(reference: impl Into<String>, name: impl Into<String>) -> Component {
        Component {
            reference: reference.into(),
            kind: ComponentKind::Library,
            name: name.into(),
            group: None,
            version: None,
            purl: None,
            cpes: Vec::new(),
            swid: None,
            supplier: None,
            author: None,
            hashes: Vec::new(),
            licenses: None,
            scope: None,
            level_of_support: None,
            end_of_support: None,
            parent: None,
            direct: None,
        }
    }
}

/// An edge of the dependency graph: `from` depends on `to` (indices into
/// [`Sbom::components`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dependency {
    /// The dependent component.
    pub from: usize,
    /// The component it depends on.
    pub to: usize,
}

/// A problem in an otherwise readable document: stored and shown, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where: a JSON path (`components[12].purl`), a line (`line 34`) or an element.
    pub location: String,
    /// The component's reference, if the warning is about one.
    pub reference: Option<String>,
    /// What is wrong and what was done about it, in a sentence.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reference {
            Some(reference) => write!(f, "{} ({}): {}", self.location, reference, self.message),
            None => write!(f, "{}: {}", self.location, self.message),
        }
    }
}

/// What a reader returns: the SBOM and the warnings met while reading it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadOutcome {
    /// The normalized SBOM.
    pub sbom: Sbom,
    /// Problems that did not stop the reading.
    pub warnings: Vec<Warning>,
}
