//! The bytes before the format: transparent decompression, byte-order marks, and the
//! sniffing that tells JSON, XML and SPDX tag-value apart by content (never by file name).

use std::borrow::Cow;
use std::io::{self, Read, Write};

use crate::error::{MAX_DECOMPRESSED_BYTES, SbomError};

/// The syntax a document is written in, as sniffed from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// Starts with `{` (or `[`, which is never an SBOM but deserves a precise error).
    Json,
    /// Starts with `<`.
    Xml,
    /// Has a line starting with `SPDXVersion:`.
    TagValue,
}

/// The compressions recognized by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Bzip2,
    Xz,
}

impl Compression {
    fn detect(bytes: &[u8]) -> Option<Compression> {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if bytes.starts_with(b"BZh") {
            Some(Compression::Bzip2)
        } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Some(Compression::Xz)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
        }
    }
}

/// Decompresses gzip, bzip2 and xz (also nested twice, as `.tar.gz`-style double wrapping
/// happens in uploads), refusing anything that expands beyond [`MAX_DECOMPRESSED_BYTES`].
pub(crate) fn decompress<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>, SbomError> {
    decompress_with_limit(file, bytes, MAX_DECOMPRESSED_BYTES)
}

pub(crate) fn decompress_with_limit<'a>(
    file: &str,
    bytes: &'a [u8],
    limit: u64,
) -> Result<Cow<'a, [u8]>, SbomError> {
    let mut current = Cow::Borrowed(bytes);
    // Two layers at most: a third is no real-world upload, and the bound keeps a crafted
    // file from looping.
    for _ in 0..2 {
        let Some(compression) = Compression::detect(&current) else {
            break;
        };
        current = Cow::Owned(expand(file, &current, compression, limit)?);
    }
    Ok(current)
}

fn expand(
    file: &str,
    bytes: &[u8],
    compression: Compression,
    limit: u64,
) -> Result<Vec<u8>, SbomError> {
    let failed = |source: io::Error| SbomError::Decompress {
        file: file.to_string(),
        compression: compression.name(),
        source,
    };
    let too_large = || SbomError::TooLarge {
        file: file.to_string(),
        compression: compression.name(),
        limit,
    };
    let mut out = Vec::new();
    match compression {
        Compression::Gzip => {
            flate2::read::MultiGzDecoder::new(bytes)
                .take(limit.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(failed)?;
        }
        Compression::Bzip2 => {
            bzip2::read::MultiBzDecoder::new(bytes)
                .take(limit.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(failed)?;
        }
        Compression::Xz => {
            let mut writer = CappedWriter {
                out: Vec::new(),
                limit,
                exceeded: false,
            };
            let result = lzma_rs::xz_decompress(&mut io::BufReader::new(bytes), &mut writer);
            if writer.exceeded {
                return Err(too_large());
            }
            result.map_err(|error| failed(io::Error::new(io::ErrorKind::InvalidData, error)))?;
            out = writer.out;
        }
    }
    if out.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(out)
}

/// A writer that refuses to grow beyond a limit (lzma-rs writes into a `Write`, so the cap
/// has to sit there).
struct CappedWriter {
    out: Vec<u8>,
    limit: u64,
    exceeded: bool,
}

impl Write for CappedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if (self.out.len() + buf.len()) as u64 > self.limit {
            self.exceeded = true;
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Removes a UTF-8 byte-order mark and converts UTF-16 (recognized by its byte-order mark,
/// as Windows tools such as PowerShell's `>` write it) to UTF-8.
pub(crate) fn unmark<'a>(file: &str, bytes: Cow<'a, [u8]>) -> Result<Cow<'a, [u8]>, SbomError> {
    const UTF8_MARK: &[u8] = &[0xef, 0xbb, 0xbf];
    if bytes.starts_with(UTF8_MARK) {
        return Ok(match bytes {
            Cow::Borrowed(slice) => Cow::Borrowed(&slice[UTF8_MARK.len()..]),
            Cow::Owned(mut vec) => {
                vec.drain(..UTF8_MARK.len());
                Cow::Owned(vec)
            }
        });
    }
    let little_endian = bytes.starts_with(&[0xff, 0xfe]);
    let big_endian = bytes.starts_with(&[0xfe, 0xff]);
    if !little_endian && !big_endian {
        return Ok(bytes);
    }
    let units = bytes[2..].chunks_exact(2).map(|pair| {
        if little_endian {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut line = 1;
    for unit in char::decode_utf16(units) {
        match unit {
            Ok(c) => {
                if c == '\n' {
                    line += 1;
                }
                text.push(c);
            }
            Err(_) => {
                return Err(SbomError::Encoding {
                    file: file.to_string(),
                    line,
                });
            }
        }
    }
    Ok(Cow::Owned(text.into_bytes()))
}

/// Tells the syntax from the content: the first non-blank byte for JSON and XML, a line
/// starting with `SPDXVersion:` for tag-value.
pub(crate) fn sniff(bytes: &[u8]) -> Option<Syntax> {
    let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace())?;
    match first {
        b'{' | b'[' => Some(Syntax::Json),
        b'<' => Some(Syntax::Xml),
        _ if has_tag_value_version(bytes) => Some(Syntax::TagValue),
        _ => None,
    }
}

fn has_tag_value_version(bytes: &[u8]) -> bool {
    const TAG: &[u8] = b"SPDXVersion:";
    memchr::memmem::find_iter(bytes, TAG).any(|at| {
        // Only at the start of a line (after optional blanks), not inside a free text.
        bytes[..at]
            .iter()
            .rev()
            .take_while(|byte| **byte != b'\n' && **byte != b'\r')
            .all(|byte| *byte == b' ' || *byte == b'\t')
    })
}

/// The text of a document, or the line of its first invalid UTF-8 byte.
pub(crate) fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, SbomError> {
    std::str::from_utf8(bytes).map_err(|error| SbomError::Encoding {
        file: file.to_string(),
        line: line_of(bytes, error.valid_up_to()),
    })
}

/// The line (from 1) of a byte offset.
pub(crate) fn line_of(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    memchr::memchr_iter(b'\n', &bytes[..end]).count() + 1
}

/// Line numbers of byte offsets, answered by binary search over the line starts (a linear
/// scan per question, as `roxmltree::Document::text_pos_at` does, made reading a 2 MB XML
/// BOM quadratic).
#[derive(Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of a text.
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
        LineIndex { starts }
    }

    /// The line (from 1) of a byte offset.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|start| *start <= offset)
    }
}

/// A short, printable description of content that is no SBOM, for error messages.
pub(crate) fn describe(bytes: &[u8]) -> String {
    let start = bytes
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let head: String = String::from_utf8_lossy(&bytes[start..bytes.len().min(start + 40)])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("the content starts with {:?}", head.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_sniff(input: &str, expected: Option<Syntax>) {
        assert_eq!(sniff(input.as_bytes()), expected, "{input:?}");
    }

    #[test]
    fn sniffs_by_content() {
        check_sniff("  {\"bomFormat\": 1}", Some(Syntax::Json));
        check_sniff("\n<?xml version=\"1.0\"?><bom/>", Some(Syntax::Xml));
        check_sniff(
            "## comment\nSPDXVersion: SPDX-2.2\n",
            Some(Syntax::TagValue),
        );
        check_sniff("  SPDXVersion: SPDX-2.3", Some(Syntax::TagValue));
        check_sniff(
            "DataLicense: CC0-1.0\rSPDXVersion: SPDX-2.2\r",
            Some(Syntax::TagValue),
        );
        check_sniff("Comment: see SPDXVersion: inside\n", None);
        check_sniff("filename,url\n", None);
        check_sniff("   ", None);
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn bzip2(data: &[u8]) -> Vec<u8> {
        let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        lzma_rs::xz_compress(&mut io::BufReader::new(data), &mut out).unwrap();
        out
    }

    #[test]
    fn decompresses_each_format_and_nesting() {
        let data = b"{\"bomFormat\":\"CycloneDX\"}".repeat(10);
        for packed in [gzip(&data), bzip2(&data), xz(&data), gzip(&bzip2(&data))] {
            assert_eq!(decompress("x", &packed).unwrap().as_ref(), data.as_slice());
        }
        assert!(matches!(decompress("x", &data).unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn refuses_expansion_beyond_the_limit() {
        let data = vec![b' '; 10_000];
        for packed in [gzip(&data), bzip2(&data), xz(&data)] {
            let error = decompress_with_limit("big.gz", &packed, 1_000).unwrap_err();
            assert!(
                matches!(error, SbomError::TooLarge { limit: 1_000, .. }),
                "{error}"
            );
        }
        assert!(decompress_with_limit("ok.gz", &gzip(&data), 10_000).is_ok());
    }

    #[test]
    fn broken_stream_is_an_error_naming_the_compression() {
        let mut packed = gzip(b"hello world, hello world");
        let len = packed.len();
        packed[len - 6] ^= 0xff;
        packed.truncate(len - 3);
        let error = decompress("broken.gz", &packed).unwrap_err();
        assert!(error.to_string().contains("gzip"), "{error}");
        assert!(error.to_string().starts_with("broken.gz: "), "{error}");
    }

    #[test]
    fn removes_marks_and_converts_utf16() {
        let marked = [&[0xef, 0xbb, 0xbf][..], b"{}"].concat();
        assert_eq!(unmark("x", Cow::Borrowed(&marked)).unwrap().as_ref(), b"{}");
        let mut utf16 = vec![0xff, 0xfe];
        for unit in "{\"é\":1}".encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(
            unmark("x", Cow::Borrowed(&utf16)).unwrap().as_ref(),
            "{\"é\":1}".as_bytes()
        );
    }

    #[test]
    fn line_index_agrees_with_counting() {
        let text = "a\nbc\n\nd";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() {
            assert_eq!(
                index.line(offset),
                line_of(text.as_bytes(), offset),
                "{offset}"
            );
        }
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let bytes = b"SPDXVersion: SPDX-2.2\nPackageName: \xff\n";
        let error = utf8("x.spdx", bytes).unwrap_err();
        assert!(
            matches!(error, SbomError::Encoding { line: 2, .. }),
            "{error}"
        );
    }
}
