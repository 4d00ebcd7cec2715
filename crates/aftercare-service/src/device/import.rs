//! Registering devices from a CSV file, in one transaction: every row is checked first, and
//! one malformed row refuses the whole file, naming the file, the line and the field, with
//! nothing written.
//!
//! The header is `controller_id,serial,product,hardware,site,organisation,tags,release,client` (in
//! any order; `controller_id`, `serial` and `product` are required, the others may be absent
//! or empty); tags are `;`-separated. Fields follow RFC 4180: a field may be quoted with `"`,
//! and `""` inside quotes is one quote. The installed release of an imported device is
//! recorded with the source `import`.

use std::collections::BTreeSet;

use aftercare_model::{Permission, Sha256};
use serde_json::json;

use super::{DeviceToken, NewDeviceRequest, Registered, SOURCE_IMPORT};
use crate::access::auth::Principal;
use crate::audit::{self, AuditAction, Change};
use crate::{Context, ServiceError, Workspace};

/// The columns a device CSV may have.
pub const COLUMNS: [&str; 9] = [
    "controller_id",
    "serial",
    "product",
    "hardware",
    "site",
    "organisation",
    "tags",
    "release",
    "client",
];

const REQUIRED: [&str; 3] = ["controller_id", "serial", "product"];

/// One record of a CSV file: its line (of its first character) and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The line it starts on, counted from 1.
    pub line: usize,
    /// Its fields.
    pub fields: Vec<String>,
}

/// Splits CSV text into records (RFC 4180: quoted fields, `""` escapes, CRLF or LF); blank
/// lines are skipped. An unterminated quote is an error naming the line it opened on.
pub fn records(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let mut out = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut quote_line = 0;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                quote_line = line;
                any = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                if any || fields.iter().any(|f| !f.is_empty()) {
                    out.push(Record {
                        line: start,
                        fields: std::mem::take(&mut fields),
                    });
                } else {
                    fields.clear();
                }
                any = false;
                line += 1;
                start = line;
            }
            other => {
                field.push(other);
                any = true;
            }
        }
    }
    if quoted {
        return Err((quote_line, "a quoted field is not closed".to_string()));
    }
    fields.push(field);
    if any || fields.iter().any(|f| !f.is_empty()) {
        out.push(Record {
            line: start,
            fields,
        });
    }
    Ok(out)
}

/// Reads the requests of a device CSV; a malformed file or row is an error naming the file,
/// the line and the field.
pub fn requests(file: &str, bytes: &[u8]) -> Result<Vec<(usize, NewDeviceRequest)>, ServiceError> {
    let bad = |line: usize, field: &str, message: String| ServiceError::ImportRow {
        file: file.to_string(),
        line,
        field: field.to_string(),
        message,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|error| bad(1, "-", format!("the file is not UTF-8 text ({error})")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = records(text).map_err(|(line, message)| bad(line, "-", message))?;
    let Some((header, rows)) = records.split_first() else {
        return Err(bad(
            1,
            "-",
            format!(
                "the file is empty: expected the header {}",
                COLUMNS.join(",")
            ),
        ));
    };
    let names: Vec<String> = header.fields.iter().map(|f| f.trim().to_string()).collect();
    for name in &names {
        if !COLUMNS.contains(&name.as_str()) {
            return Err(bad(
                header.line,
                name,
                format!("unknown column; expected {}", COLUMNS.join(",")),
            ));
        }
        if names.iter().filter(|n| *n == name).count() > 1 {
            return Err(bad(header.line, name, "the column is named twice".into()));
        }
    }
    for required in REQUIRED {
        if !names.iter().any(|n| n == required) {
            return Err(bad(
                header.line,
                required,
                "the column is missing from the header".into(),
            ));
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for record in rows {
        if record.fields.len() != names.len() {
            return Err(bad(
                record.line,
                "-",
                format!(
                    "{} fields, the header has {}",
                    record.fields.len(),
                    names.len()
                ),
            ));
        }
        let get = |column: &str| -> Option<String> {
            names
                .iter()
                .position(|n| n == column)
                .map(|i| record.fields[i].trim().to_string())
                .filter(|v| !v.is_empty())
        };
        for required in REQUIRED {
            if get(required).is_none() {
                return Err(bad(record.line, required, "must not be empty".into()));
            }
        }
        out.push((
            record.line,
            NewDeviceRequest {
                controller_id: get("controller_id").unwrap_or_default(),
                product: get("product").unwrap_or_default(),
                serial: get("serial").unwrap_or_default(),
                hardware: get("hardware"),
                site: get("site"),
                organisation: get("organisation"),
                tags: get("tags")
                    .map(|t| t.split(';').map(str::to_string).collect())
                    .unwrap_or_default(),
                release: get("release"),
                client: get("client"),
            },
        ));
    }
    Ok(out)
}

/// Registers every device of a CSV file (permission `device.manage`) in one transaction with
/// one `device.import` audit event (the count, the file's SHA-256 and the controller ids):
/// every row is checked against the workspace and against the rows before it; the first bad
/// row refuses the file, named by file, line and field, and nothing is written. Answers the
/// devices with their tokens, which are shown once.
pub async fn import(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    file: &str,
    bytes: &[u8],
) -> Result<Vec<Registered>, ServiceError> {
    principal.require(Permission::DeviceManage)?;
    let requests = requests(file, bytes)?;
    let bad = |line: usize, field: &str, error: ServiceError| ServiceError::ImportRow {
        file: file.to_string(),
        line,
        field: field.to_string(),
        message: error.to_string(),
    };
    let mut checked = Vec::with_capacity(requests.len());
    for (line, request) in &requests {
        let token = DeviceToken::generate();
        let device = super::check(workspace, request, &token, SOURCE_IMPORT)
            .await
            .map_err(|refusal| bad(*line, refusal.field, refusal.error))?;
        checked.push((*line, device, token));
    }
    let mut written = BTreeSet::new();
    let mut seen_ids = BTreeSet::new();
    let mut tx = workspace.store().begin().await?;
    for (line, device, _) in &checked {
        if !seen_ids.insert(device.device.controller_id.clone()) {
            return Err(bad(
                *line,
                "controller_id",
                ServiceError::AlreadyExists {
                    entity: "device",
                    key: device.device.controller_id.clone(),
                },
            ));
        }
        super::write(&mut tx, context, device, &mut written)
            .await
            .map_err(|refusal| bad(*line, refusal.field, refusal.error))?;
    }
    let ids: Vec<&str> = checked
        .iter()
        .map(|(_, device, _)| device.device.controller_id.as_str())
        .collect();
    audit::record(
        &mut tx,
        context,
        Change {
            action: AuditAction::DeviceImport,
            entity_type: "device",
            entity_id: None,
            old_value: None,
            new_value: Some(json!({
                "file": file,
                "sha256": Sha256::of(bytes).to_hex(),
                "count": ids.len(),
                "controller_ids": ids,
                "release_source": SOURCE_IMPORT,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    // Read back in one query (one per device would read the registry once per row).
    let mut stored: std::collections::HashMap<String, aftercare_store::device::DeviceRow> =
        aftercare_store::device::devices(
            workspace.store().pool(),
            &aftercare_store::device::DeviceSelection::default(),
        )
        .await?
        .into_iter()
        .map(|row| (row.controller_id.clone(), row))
        .collect();
    let mut out = Vec::with_capacity(checked.len());
    for (_, device, token) in checked {
        let row =
            stored
                .remove(&device.device.controller_id)
                .ok_or_else(|| ServiceError::NotFound {
                    entity: "device",
                    key: device.device.controller_id.clone(),
                })?;
        out.push(Registered {
            device: super::DeviceView::of(row),
            token,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: &[(usize, &[&str])]) {
        let got = records(text).unwrap();
        let want: Vec<Record> = expected
            .iter()
            .map(|(line, fields)| Record {
                line: *line,
                fields: fields.iter().map(|f| f.to_string()).collect(),
            })
            .collect();
        assert_eq!(got, want, "{text:?}");
    }

    #[test]
    fn csv_records() {
        check("a,b\n1,2\n", &[(1, &["a", "b"]), (2, &["1", "2"])]);
        check("a,b\r\n1,2", &[(1, &["a", "b"]), (2, &["1", "2"])]);
        check("a,b\n\n1,\n", &[(1, &["a", "b"]), (3, &["1", ""])]);
        check(
            "\"x,y\",\"say \"\"hi\"\"\"\n",
            &[(1, &["x,y", "say \"hi\""])],
        );
        check(
            "\"two\nlines\",z\nnext,1\n",
            &[(1, &["two\nlines", "z"]), (3, &["next", "1"])],
        );
        assert_eq!(
            records("a\n\"open,b\n"),
            Err((2, "a quoted field is not closed".into()))
        );
    }

    #[test]
    fn header_and_rows_are_named_in_errors() {
        let error = requests("d.csv", b"controller_id,serial\nx,1\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "d.csv, line 1, field product: the column is missing from the header"
        );
        let error = requests("d.csv", b"controller_id,serial,product\nx,1,P\ny,,P\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "d.csv, line 3, field serial: must not be empty"
        );
        let error = requests("d.csv", b"controller_id,serial,product,colour\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("d.csv, line 1, field colour: unknown column")
        );
        let rows = requests(
            "d.csv",
            b"product,serial,controller_id,tags\nPump,S1,pump-1,\"icu;nicu\"\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.controller_id, "pump-1");
        assert_eq!(rows[0].1.tags, vec!["icu".to_string(), "nicu".to_string()]);
    }
}
