//! File downloads as devices and download managers make them: `HEAD` for the size, `GET`
//! streamed from the file (64 KiB at a time, whatever its size), one byte range for a resumed
//! download, and `If-Match` on the SHA-1 ETag as hawkBit answers it.
//!
//! [`serve_file`] is the one responder for artifact bytes, used by `/api/v1` and by the DDI
//! routes alike:
//!
//! * `Accept-Ranges: bytes`, `ETag: "<sha1>"` (the digest DDI announces, as hawkBit sets it),
//!   `Content-Disposition: attachment; filename="…"`, the content type given;
//! * `If-Match` that names neither that ETag nor `*` → 412 Precondition Failed, no body;
//! * `Range: bytes=a-b`, `bytes=a-`, `bytes=-n` → 206 with `Content-Range: bytes a-b/size`;
//!   a range that starts past the end (or an empty suffix) → 416 with `Content-Range: bytes
//!   */size`; several ranges → the whole file, 200 (RFC 9110 §14.2 lets a server ignore a
//!   Range, and one stream serves every client); a Range that does not parse is ignored the
//!   same way; an `If-Range` that is not the ETag turns the Range off;
//! * `HEAD` answers the same status and headers, with `Content-Length`, and no body.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use aftercare_store::artifact::ArtifactRow;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::ApiError;

/// Bytes read and sent per chunk.
const CHUNK: usize = 64 * 1024;

/// A file to serve, with what the responder needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedFile {
    /// Where the bytes are.
    pub path: PathBuf,
    /// Their size, as recorded (a file of another size is refused, not served short).
    pub size: u64,
    /// Their SHA-1, lowercase hex: the ETag.
    pub sha1: String,
    /// The `Content-Type`.
    pub content_type: String,
    /// The name offered in `Content-Disposition`.
    pub filename: String,
}

impl ServedFile {
    /// An artifact's bytes, as `application/octet-stream` under its file name.
    pub fn artifact(row: &ArtifactRow, path: PathBuf) -> ServedFile {
        ServedFile {
            path,
            size: u64::try_from(row.size).unwrap_or_default(),
            sha1: row.sha1.clone(),
            content_type: "application/octet-stream".to_string(),
            filename: row.filename.clone(),
        }
    }
}

/// What a request's conditional and range headers ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// The whole file, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Part { start: u64, end: u64 },
    /// No byte of the range exists, 416.
    Unsatisfiable,
    /// `If-Match` does not name the file, 412.
    PreconditionFailed,
}

/// Whether an `If-Match` / `If-Range` list names `etag` (strong comparison: a weak validator
/// never matches; `*` matches any current file).
fn names_etag(list: &str, etag: &str, star: bool) -> bool {
    list.split(',').map(str::trim).any(|candidate| {
        (star && candidate == "*") || (!candidate.starts_with("W/") && candidate == etag)
    })
}

/// One `Range` header against a file of `size` bytes: `None` when it is to be ignored (it does
/// not parse, is not in bytes, or names several ranges), else the answer.
fn range(value: &str, size: u64) -> Option<Answer> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let number = |text: &str| -> Option<u64> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    };
    if first.is_empty() {
        // A suffix: the last n bytes.
        let length = number(last)?;
        if length == 0 || size == 0 {
            return Some(Answer::Unsatisfiable);
        }
        let start = size.saturating_sub(length);
        return Some(Answer::Part {
            start,
            end: size - 1,
        });
    }
    let start = number(first)?;
    let end = if last.is_empty() {
        None
    } else {
        Some(number(last)?)
    };
    if let Some(end) = end
        && end < start
    {
        return None; // invalid: ignored, the whole file is served
    }
    if start >= size {
        return Some(Answer::Unsatisfiable);
    }
    let end = end.map_or(size - 1, |end| end.min(size - 1));
    Some(Answer::Part { start, end })
}

/// What to answer, from the request's headers.
fn answer(headers: &HeaderMap, size: u64, etag: &str) -> Answer {
    if let Some(value) = headers.get(header::IF_MATCH) {
        let matches = value
            .to_str()
            .is_ok_and(|list| names_etag(list, etag, true));
        if !matches {
            return Answer::PreconditionFailed;
        }
    }
    let Some(value) = headers.get(header::RANGE) else {
        return Answer::Whole;
    };
    if let Some(condition) = headers.get(header::IF_RANGE) {
        let current = condition
            .to_str()
            .is_ok_and(|text| names_etag(text, etag, false));
        if !current {
            return Answer::Whole;
        }
    }
    value
        .to_str()
        .ok()
        .and_then(|text| range(text, size))
        .unwrap_or(Answer::Whole)
}

/// A `Content-Disposition` that always downloads: an ASCII fallback name and the UTF-8 name
/// (RFC 6266, RFC 8187).
pub(crate) fn attachment(name: &str) -> String {
    // No directory part survives: a separator becomes `_`.
    let base = name.replace(['/', '\\'], "_");
    let ascii: String = base
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';')) || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in base.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The server could not read the file it was asked to serve: logged, answered generically.
fn unreadable(path: &Path, error: &dyn std::fmt::Display) -> Response {
    tracing::error!(path = %path.display(), %error, "cannot serve a file");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server could not complete the request; the details are in its log",
    )
    .into_response()
}

/// Serves a file for a request with these headers; `head` answers without a body. See the
/// module's documentation for every case.
pub async fn serve_file(file: &ServedFile, headers: &HeaderMap, head: bool) -> Response {
    let etag = format!("\"{}\"", file.sha1);
    let size = file.size;
    let answer = answer(headers, size, &etag);
    let mut response = Response::new(Body::empty());
    let out = response.headers_mut();
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(header::ETAG, value(&etag));
    let (status, start, length) = match answer {
        Answer::PreconditionFailed => {
            *response.status_mut() = StatusCode::PRECONDITION_FAILED;
            return response;
        }
        Answer::Unsatisfiable => {
            out.insert(header::CONTENT_RANGE, value(&format!("bytes */{size}")));
            *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            return response;
        }
        Answer::Whole => (StatusCode::OK, 0, size),
        Answer::Part { start, end } => {
            out.insert(
                header::CONTENT_RANGE,
                value(&format!("bytes {start}-{end}/{size}")),
            );
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
    };
    out.insert(header::CONTENT_TYPE, value(&file.content_type));
    out.insert(
        header::CONTENT_DISPOSITION,
        value(&attachment(&file.filename)),
    );
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    *response.status_mut() = status;
    if head {
        return response;
    }
    let mut opened = match tokio::fs::File::open(&file.path).await {
        Ok(opened) => opened,
        Err(error) => return unreadable(&file.path, &error),
    };
    match opened.metadata().await {
        Ok(metadata) if metadata.len() == size => {}
        Ok(metadata) => {
            let error = format!("{} bytes on disk, {size} recorded", metadata.len());
            return unreadable(&file.path, &error);
        }
        Err(error) => return unreadable(&file.path, &error),
    }
    if start > 0
        && let Err(error) = opened.seek(SeekFrom::Start(start)).await
    {
        return unreadable(&file.path, &error);
    }
    let stream = tokio_util::io::ReaderStream::with_capacity(opened.take(length), CHUNK);
    *response.body_mut() = Body::from_stream(stream);
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn check_range(header: &str, size: u64, expected: Option<Answer>) {
        assert_eq!(range(header, size), expected, "{header:?} of {size} bytes");
    }

    #[test]
    fn ranges() {
        use Answer::*;
        check_range("bytes=0-99", 1000, Some(Part { start: 0, end: 99 }));
        check_range(
            "bytes=100-",
            1000,
            Some(Part {
                start: 100,
                end: 999,
            }),
        );
        check_range(
            "bytes=-100",
            1000,
            Some(Part {
                start: 900,
                end: 999,
            }),
        );
        check_range("bytes=-5000", 1000, Some(Part { start: 0, end: 999 }));
        check_range(
            "bytes=990-5000",
            1000,
            Some(Part {
                start: 990,
                end: 999,
            }),
        );
        check_range(
            "bytes=999-999",
            1000,
            Some(Part {
                start: 999,
                end: 999,
            }),
        );
        check_range(" bytes= 5 - 9 ", 1000, Some(Part { start: 5, end: 9 }));
        check_range("bytes=1000-", 1000, Some(Unsatisfiable));
        check_range("bytes=1000-2000", 1000, Some(Unsatisfiable));
        check_range("bytes=-0", 1000, Some(Unsatisfiable));
        check_range("bytes=0-", 0, Some(Unsatisfiable));
        check_range("bytes=-1", 0, Some(Unsatisfiable));
        // Ignored: the whole file is served.
        check_range("bytes=0-1,5-6", 1000, None);
        check_range("bytes=9-5", 1000, None);
        check_range("bytes=a-b", 1000, None);
        check_range("bytes=-", 1000, None);
        check_range("bytes=+1-2", 1000, None);
        check_range("items=0-1", 1000, None);
        check_range("bytes=0-99999999999999999999999", 1000, None);
    }

    fn check_answer(pairs: &[(header::HeaderName, &str)], expected: Answer) {
        let mut headers = HeaderMap::new();
        for (name, text) in pairs {
            headers.append(name.clone(), HeaderValue::from_str(text).unwrap());
        }
        assert_eq!(answer(&headers, 1000, "\"abc\""), expected, "{pairs:?}");
    }

    #[test]
    fn conditions() {
        use Answer::*;
        check_answer(&[], Whole);
        check_answer(&[(header::IF_MATCH, "\"abc\"")], Whole);
        check_answer(&[(header::IF_MATCH, "\"x\", \"abc\"")], Whole);
        check_answer(&[(header::IF_MATCH, "*")], Whole);
        check_answer(&[(header::IF_MATCH, "\"x\"")], PreconditionFailed);
        check_answer(&[(header::IF_MATCH, "W/\"abc\"")], PreconditionFailed);
        check_answer(&[(header::IF_MATCH, "abc")], PreconditionFailed);
        check_answer(
            &[(header::IF_MATCH, "\"x\""), (header::RANGE, "bytes=0-1")],
            PreconditionFailed,
        );
        check_answer(
            &[(header::IF_RANGE, "\"abc\""), (header::RANGE, "bytes=0-1")],
            Part { start: 0, end: 1 },
        );
        check_answer(
            &[(header::IF_RANGE, "\"old\""), (header::RANGE, "bytes=0-1")],
            Whole,
        );
        check_answer(
            &[
                (header::IF_RANGE, "Wed, 21 Oct 2015 07:28:00 GMT"),
                (header::RANGE, "bytes=0-1"),
            ],
            Whole,
        );
    }
}
