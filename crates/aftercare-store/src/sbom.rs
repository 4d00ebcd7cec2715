//! SBOMs of releases: the document's summary, its components, its dependency graph and the
//! warnings met while reading it.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{StoreError, Tx, values_placeholders};

/// The document-level facts of an imported SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomRow {
    /// The id.
    pub id: i64,
    /// The release it belongs to.
    pub release_id: i64,
    /// The original document.
    pub document_id: i64,
    /// SHA-256 of the original document.
    pub sha256: String,
    /// `cyclonedx` or `spdx`.
    pub format: String,
    /// `json`, `xml`, `tag-value` or `json-ld`.
    pub encoding: String,
    /// The declared specification version.
    pub spec_version: String,
    /// Serial number or document namespace.
    pub serial_number: Option<String>,
    /// The document's name.
    pub name: Option<String>,
    /// When the SBOM was created, as written.
    pub created: Option<String>,
    /// SBOM data authors.
    pub authors: Vec<String>,
    /// Generating tools.
    pub tools: Vec<String>,
    /// Position of the subject component.
    pub subject_position: Option<i64>,
    /// Number of components.
    pub component_count: i64,
    /// Number of dependency edges.
    pub dependency_count: i64,
    /// Number of warnings.
    pub warning_count: i64,
    /// When it was imported.
    pub imported_at: String,
}

/// A new SBOM's document-level facts.
#[derive(Debug, Clone)]
pub struct NewSbom {
    /// The release.
    pub release_id: i64,
    /// The stored original document.
    pub document_id: i64,
    /// `cyclonedx` or `spdx`.
    pub format: String,
    /// The encoding.
    pub encoding: String,
    /// The declared specification version.
    pub spec_version: String,
    /// Serial number or document namespace.
    pub serial_number: Option<String>,
    /// The document's name.
    pub name: Option<String>,
    /// When the SBOM was created.
    pub created: Option<String>,
    /// SBOM data authors.
    pub authors: Vec<String>,
    /// Generating tools.
    pub tools: Vec<String>,
    /// Position of the subject component.
    pub subject_position: Option<i64>,
}

/// A component as stored: plain strings, the wire- and domain-neutral form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComponentRecord {
    /// The row id (0 before insertion).
    pub id: i64,
    /// Position in the SBOM's component list.
    pub position: i64,
    /// Reference unique in the document.
    pub reference: String,
    /// Component type.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Group or namespace.
    pub group: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Canonical purl.
    pub purl: Option<String>,
    /// Matching key (`Ecosystem/name`), when the purl maps onto an ecosystem.
    pub package_key: Option<String>,
    /// CPE 2.3 formatted strings.
    pub cpes: Vec<String>,
    /// SWID tag id.
    pub swid: Option<String>,
    /// Supplier.
    pub supplier: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Hashes as (algorithm, hex value).
    pub hashes: Vec<(String, String)>,
    /// SPDX license expression.
    pub licenses: Option<String>,
    /// Scope.
    pub scope: Option<String>,
    /// FDA level of support.
    pub level_of_support: Option<String>,
    /// FDA end-of-support date.
    pub end_of_support: Option<String>,
    /// Position of the parent component (nested CycloneDX).
    pub parent_position: Option<i64>,
    /// Direct (true), transitive (false) or unknown.
    pub direct: Option<bool>,
}

/// A component's name with its group: `group/name`, or the name alone.
pub fn full_name(group: Option<&str>, name: &str) -> String {
    match group {
        Some(group) if !group.is_empty() => format!("{group}/{name}"),
        _ => name.to_string(),
    }
}

impl ComponentRecord {
    /// The name with its group (`org.postgresql/postgresql`).
    pub fn full_name(&self) -> String {
        full_name(self.group.as_deref(), &self.name)
    }
}

/// A stored reading warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningRecord {
    /// Where in the document.
    pub location: String,
    /// The component's reference, if about one.
    pub reference: Option<String>,
    /// What is wrong.
    pub message: String,
}

const COMPONENT_COLUMNS: usize = 21;
/// Rows per multi-row insert: keeps the bound parameters well under SQLite's and
/// PostgreSQL's limits (32,766 and 65,535).
const CHUNK: usize = 500;

fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_string())
}

/// Inserts an SBOM imported `at`, with its components, dependency edges (pairs of positions)
/// and warnings.
pub async fn insert(
    tx: &mut Tx,
    sbom: &NewSbom,
    components: &[ComponentRecord],
    dependencies: &[(i64, i64)],
    warnings: &[WarningRecord],
    at: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO sboms (release_id, document_id, format, encoding, spec_version, \
         serial_number, name, created, authors, tools, subject_position, component_count, \
         dependency_count, warning_count, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(sbom.release_id)
    .bind(sbom.document_id)
    .bind(&sbom.format)
    .bind(&sbom.encoding)
    .bind(&sbom.spec_version)
    .bind(&sbom.serial_number)
    .bind(&sbom.name)
    .bind(&sbom.created)
    .bind(json_list(&sbom.authors))
    .bind(json_list(&sbom.tools))
    .bind(sbom.subject_position)
    .bind(len_i64(components.len()))
    .bind(len_i64(dependencies.len()))
    .bind(len_i64(warnings.len()))
    .bind(at)
    .fetch_one(tx.conn())
    .await
    .map_err(StoreError::query("insert an SBOM"))?;
    let sbom_id: i64 = row
        .try_get("id")
        .map_err(StoreError::query("insert an SBOM"))?;

    for chunk in components.chunks(CHUNK) {
        let sql = component_insert_sql(tx.backend(), chunk.len());
        let mut query = sqlx::query(&sql);
        for component in chunk {
            let hashes: Vec<String> = component
                .hashes
                .iter()
                .map(|(algorithm, value)| format!("{algorithm}:{value}"))
                .collect();
            query = query
                .bind(sbom_id)
                .bind(sbom.release_id)
                .bind(component.position)
                .bind(&component.reference)
                .bind(&component.kind)
                .bind(&component.name)
                .bind(&component.group)
                .bind(&component.version)
                .bind(&component.purl)
                .bind(&component.package_key)
                .bind(json_list(&component.cpes))
                .bind(&component.swid)
                .bind(&component.supplier)
                .bind(&component.author)
                .bind(json_list(&hashes))
                .bind(&component.licenses)
                .bind(&component.scope)
                .bind(&component.level_of_support)
                .bind(&component.end_of_support)
                .bind(component.parent_position)
                .bind(component.direct.map(i64::from));
        }
        query
            .execute(tx.conn())
            .await
            .map_err(StoreError::query("insert components"))?;
    }

    for chunk in dependencies.chunks(CHUNK * 4) {
        let sql = format!(
            "INSERT INTO dependencies (sbom_id, from_position, to_position) VALUES {} \
             ON CONFLICT DO NOTHING",
            values_placeholders(tx.backend(), chunk.len(), 3)
        );
        let mut query = sqlx::query(&sql);
        for (from, to) in chunk {
            query = query.bind(sbom_id).bind(*from).bind(*to);
        }
        query
            .execute(tx.conn())
            .await
            .map_err(StoreError::query("insert dependencies"))?;
    }

    for chunk in warnings.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO sbom_warnings (sbom_id, location, reference, message) VALUES {}",
            values_placeholders(tx.backend(), chunk.len(), 4)
        );
        let mut query = sqlx::query(&sql);
        for warning in chunk {
            query = query
                .bind(sbom_id)
                .bind(&warning.location)
                .bind(&warning.reference)
                .bind(&warning.message);
        }
        query
            .execute(tx.conn())
            .await
            .map_err(StoreError::query("insert SBOM warnings"))?;
    }
    Ok(sbom_id)
}

/// The multi-row component insert for `rows` rows.
fn component_insert_sql(backend: crate::Backend, rows: usize) -> String {
    format!(
        "INSERT INTO components (sbom_id, release_id, position, reference, kind, name, grp, \
         version, purl, package_key, cpes, swid, supplier, author, hashes, licenses, scope, \
         level_of_support, end_of_support, parent_position, direct) VALUES {}",
        values_placeholders(backend, rows, COMPONENT_COLUMNS)
    )
}

fn len_i64(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

pub(crate) fn parse_list(
    raw: &str,
    id: i64,
    field: &'static str,
) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(raw).map_err(|error| StoreError::Corrupt {
        entity: "component",
        id: id.to_string(),
        field,
        message: error.to_string(),
    })
}

const SBOM_SELECT: &str = "SELECT s.id, s.release_id, s.document_id, d.sha256, s.format, \
     s.encoding, s.spec_version, s.serial_number, s.name, s.created, s.authors, s.tools, \
     s.subject_position, s.component_count, s.dependency_count, s.warning_count, s.imported_at \
     FROM sboms s JOIN documents d ON d.id = s.document_id";

fn sbom_from_row(row: &AnyRow) -> Result<SbomRow, StoreError> {
    let read = || -> Result<(SbomRow, String, String), sqlx::Error> {
        Ok((
            SbomRow {
                id: row.try_get("id")?,
                release_id: row.try_get("release_id")?,
                document_id: row.try_get("document_id")?,
                sha256: row.try_get("sha256")?,
                format: row.try_get("format")?,
                encoding: row.try_get("encoding")?,
                spec_version: row.try_get("spec_version")?,
                serial_number: row.try_get("serial_number")?,
                name: row.try_get("name")?,
                created: row.try_get("created")?,
                authors: Vec::new(),
                tools: Vec::new(),
                subject_position: row.try_get("subject_position")?,
                component_count: row.try_get("component_count")?,
                dependency_count: row.try_get("dependency_count")?,
                warning_count: row.try_get("warning_count")?,
                imported_at: row.try_get("imported_at")?,
            },
            row.try_get("authors")?,
            row.try_get("tools")?,
        ))
    };
    let (mut sbom, authors, tools) = read().map_err(StoreError::query("read an SBOM"))?;
    sbom.authors = parse_list(&authors, sbom.id, "authors")?;
    sbom.tools = parse_list(&tools, sbom.id, "tools")?;
    Ok(sbom)
}

/// The SBOM of a release.
pub async fn by_release(
    executor: impl sqlx::any::AnyExecutor<'_>,
    release_id: i64,
) -> Result<Option<SbomRow>, StoreError> {
    let sql = format!("{SBOM_SELECT} WHERE s.release_id = $1");
    let row = sqlx::query(&sql)
        .bind(release_id)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::query("find a release's SBOM"))?;
    row.as_ref().map(sbom_from_row).transpose()
}

pub(crate) const COMPONENT_SELECT: &str = "SELECT id, position, reference, kind, name, grp, version, purl, \
     package_key, cpes, swid, supplier, author, hashes, licenses, scope, level_of_support, \
     end_of_support, parent_position, direct FROM components";

pub(crate) fn component_from_row(row: &AnyRow) -> Result<ComponentRecord, StoreError> {
    let read = || -> Result<(ComponentRecord, String, String), sqlx::Error> {
        Ok((
            ComponentRecord {
                id: row.try_get("id")?,
                position: row.try_get("position")?,
                reference: row.try_get("reference")?,
                kind: row.try_get("kind")?,
                name: row.try_get("name")?,
                group: row.try_get("grp")?,
                version: row.try_get("version")?,
                purl: row.try_get("purl")?,
                package_key: row.try_get("package_key")?,
                cpes: Vec::new(),
                swid: row.try_get("swid")?,
                supplier: row.try_get("supplier")?,
                author: row.try_get("author")?,
                hashes: Vec::new(),
                licenses: row.try_get("licenses")?,
                scope: row.try_get("scope")?,
                level_of_support: row.try_get("level_of_support")?,
                end_of_support: row.try_get("end_of_support")?,
                parent_position: row.try_get("parent_position")?,
                direct: row.try_get::<Option<i64>, _>("direct")?.map(|d| d != 0),
            },
            row.try_get("cpes")?,
            row.try_get("hashes")?,
        ))
    };
    let (mut component, cpes, hashes) = read().map_err(StoreError::query("read a component"))?;
    component.cpes = parse_list(&cpes, component.id, "cpes")?;
    component.hashes = parse_hashes(&hashes, component.id)?;
    Ok(component)
}

/// A component's stored hash list (`algorithm:value` strings) as pairs.
pub(crate) fn parse_hashes(raw: &str, id: i64) -> Result<Vec<(String, String)>, StoreError> {
    Ok(parse_list(raw, id, "hashes")?
        .into_iter()
        .map(|pair| match pair.split_once(':') {
            Some((algorithm, value)) => (algorithm.to_string(), value.to_string()),
            None => (String::new(), pair),
        })
        .collect())
}

/// Every component of an SBOM, in document order.
pub async fn components(
    executor: impl sqlx::any::AnyExecutor<'_>,
    sbom_id: i64,
) -> Result<Vec<ComponentRecord>, StoreError> {
    let sql = format!("{COMPONENT_SELECT} WHERE sbom_id = $1 ORDER BY position");
    let rows = sqlx::query(&sql)
        .bind(sbom_id)
        .fetch_all(executor)
        .await
        .map_err(StoreError::query("list components"))?;
    rows.iter().map(component_from_row).collect()
}

/// A page of a release's components, optionally filtered by a case-insensitive search in
/// name, group, version and purl; returns the page and the total count of matches.
pub async fn component_page(
    pool: &sqlx::AnyPool,
    release_id: i64,
    search: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ComponentRecord>, i64), StoreError> {
    let pattern = search.map(|s| format!("%{}%", s.to_lowercase()));
    let filter = "release_id = $1 AND ($2 IS NULL OR LOWER(name) LIKE $2 OR LOWER(COALESCE(grp, '')) \
                  LIKE $2 OR LOWER(COALESCE(version, '')) LIKE $2 OR LOWER(COALESCE(purl, '')) LIKE $2)";
    let sql = format!("{COMPONENT_SELECT} WHERE {filter} ORDER BY position LIMIT $3 OFFSET $4");
    let rows = sqlx::query(&sql)
        .bind(release_id)
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("list components"))?;
    let count_sql = format!("SELECT COUNT(*) AS n FROM components WHERE {filter}");
    let total: i64 = sqlx::query(&count_sql)
        .bind(release_id)
        .bind(&pattern)
        .fetch_one(pool)
        .await
        .and_then(|row| row.try_get("n"))
        .map_err(StoreError::query("count components"))?;
    let components = rows
        .iter()
        .map(component_from_row)
        .collect::<Result<_, _>>()?;
    Ok((components, total))
}

/// The dependency edges of an SBOM, as (from, to) positions.
pub async fn dependencies(
    executor: impl sqlx::any::AnyExecutor<'_>,
    sbom_id: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT from_position, to_position FROM dependencies WHERE sbom_id = $1 \
         ORDER BY from_position, to_position",
    )
    .bind(sbom_id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("list dependencies"))?;
    rows.iter()
        .map(|row| Ok((row.try_get("from_position")?, row.try_get("to_position")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("list dependencies"))
}

/// The warnings of an SBOM, in the order they were met.
pub async fn warnings(
    executor: impl sqlx::any::AnyExecutor<'_>,
    sbom_id: i64,
) -> Result<Vec<WarningRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT location, reference, message FROM sbom_warnings WHERE sbom_id = $1 ORDER BY id",
    )
    .bind(sbom_id)
    .fetch_all(executor)
    .await
    .map_err(StoreError::query("list SBOM warnings"))?;
    rows.iter()
        .map(|row| {
            Ok(WarningRecord {
                location: row.try_get("location")?,
                reference: row.try_get("reference")?,
                message: row.try_get("message")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::query("list SBOM warnings"))
}

/// Sets the FDA support fields of components (id, level of support, end-of-support date).
pub async fn update_support(
    tx: &mut Tx,
    updates: &[(i64, Option<String>, Option<String>)],
) -> Result<(), StoreError> {
    for (id, level, end) in updates {
        sqlx::query(
            "UPDATE components SET level_of_support = $2, end_of_support = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(level)
        .bind(end)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("update support fields"))?;
    }
    Ok(())
}

/// Records that the SBOM of a release was matched `at` (a release's own match run).
pub async fn mark_matched(tx: &mut Tx, release_id: i64, at: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sboms SET matched_at = $1 WHERE release_id = $2")
        .bind(at)
        .bind(release_id)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("mark an SBOM matched"))?;
    Ok(())
}

/// Records that every SBOM was matched `at` (a full re-match).
pub async fn mark_all_matched(tx: &mut Tx, at: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE sboms SET matched_at = $1")
        .bind(at)
        .execute(tx.conn())
        .await
        .map_err(StoreError::query("mark every SBOM matched"))?;
    Ok(())
}

/// When the SBOM of a release was last matched by a run that covered it whole (`None`: never,
/// or the release has no SBOM).
pub async fn matched_at(
    pool: &sqlx::AnyPool,
    release_id: i64,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT matched_at FROM sboms WHERE release_id = $1")
        .bind(release_id)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("read when an SBOM was matched"))?;
    match row {
        Some(row) => row
            .try_get("matched_at")
            .map_err(StoreError::query("read when an SBOM was matched")),
        None => Ok(None),
    }
}
