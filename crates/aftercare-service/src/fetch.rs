//! Downloading feed files over HTTP: conditional requests (`If-None-Match`,
//! `If-Modified-Since`), bodies spooled to a temporary file while their SHA-256 is computed,
//! and truncation detected (a body shorter than its `Content-Length`, or a broken
//! connection) before anything is applied.
//!
//! The client is `ureq` (blocking, rustls): feed downloads are a few large sequential files,
//! so the calls run on a blocking thread and never hold a database transaction.

use std::io::{Read, Seek, Write};
use std::time::Duration;

use sha2::Digest as _;

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request could not be made or the connection broke.
    #[error("cannot fetch {url}: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body ended before the length the server announced.
    #[error("{url}: truncated download ({received} of {expected} bytes); nothing was applied")]
    Truncated {
        /// The URL.
        url: String,
        /// Bytes received.
        received: u64,
        /// Bytes announced.
        expected: u64,
    },
    /// The body is larger than accepted.
    #[error("{url}: the body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// The spool file could not be written.
    #[error("cannot write the download of {url} to a temporary file: {source}")]
    Spool {
        /// The URL.
        url: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Validators of a previous download, for a conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` seen.
    pub etag: Option<String>,
    /// The `Last-Modified` seen.
    pub last_modified: Option<String>,
}

/// A downloaded body, spooled to a temporary file.
#[derive(Debug)]
pub struct Download {
    /// The file (removed when dropped), positioned at its start.
    pub file: std::fs::File,
    /// The number of bytes.
    pub length: u64,
    /// Their SHA-256, hex.
    pub sha256: String,
    /// The validators the server sent.
    pub validators: Validators,
}

impl Download {
    /// The whole body in memory.
    pub fn read_all(&mut self) -> std::io::Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(usize::try_from(self.length).unwrap_or(0));
        self.file.rewind()?;
        self.file.read_to_end(&mut bytes)?;
        self.file.rewind()?;
        Ok(bytes)
    }
}

/// What a conditional request gave.
#[derive(Debug)]
pub enum Fetched {
    /// `304 Not Modified`: the previous download is current.
    NotModified,
    /// A new body.
    Body(Download),
}

/// An HTTP client for feeds.
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
    max_bytes: u64,
}

impl Client {
    /// A client with a timeout for each request and a cap on body size.
    pub fn new(timeout: Duration, max_bytes: u64) -> Client {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(concat!("aftercare/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            max_bytes,
        }
    }

    /// `GET url` with optional validators and extra headers; blocking.
    pub fn get(
        &self,
        url: &str,
        validators: Option<&Validators>,
        headers: &[(&str, &str)],
    ) -> Result<Fetched, FetchError> {
        let transport = |error: ureq::Error| FetchError::Transport {
            url: url.to_string(),
            reason: error.to_string(),
        };
        let mut request = self.agent.get(url);
        if let Some(validators) = validators {
            if let Some(etag) = &validators.etag {
                request = request.header("If-None-Match", etag);
            }
            if let Some(last_modified) = &validators.last_modified {
                request = request.header("If-Modified-Since", last_modified);
            }
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.call().map_err(transport)?;
        let status = response.status().as_u16();
        if status == 304 {
            return Ok(Fetched::NotModified);
        }
        if !(200..300).contains(&status) {
            return Err(FetchError::Status {
                url: url.to_string(),
                status,
            });
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        let expected: Option<u64> = header("content-length").and_then(|v| v.trim().parse().ok());
        if expected.is_some_and(|expected| expected > self.max_bytes) {
            return Err(FetchError::TooLarge {
                url: url.to_string(),
                limit: self.max_bytes,
            });
        }
        let spool = |source| FetchError::Spool {
            url: url.to_string(),
            source,
        };
        let mut file = tempfile::tempfile().map_err(spool)?;
        let mut reader = response.into_body().into_reader();
        let mut hasher = sha2::Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut received: u64 = 0;
        loop {
            let read = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return Err(match expected {
                        Some(expected) => FetchError::Truncated {
                            url: url.to_string(),
                            received,
                            expected,
                        },
                        None => FetchError::Transport {
                            url: url.to_string(),
                            reason: error.to_string(),
                        },
                    });
                }
            };
            received += read as u64;
            if received > self.max_bytes {
                return Err(FetchError::TooLarge {
                    url: url.to_string(),
                    limit: self.max_bytes,
                });
            }
            hasher.update(&buffer[..read]);
            file.write_all(&buffer[..read]).map_err(spool)?;
        }
        if let Some(expected) = expected
            && expected != received
        {
            return Err(FetchError::Truncated {
                url: url.to_string(),
                received,
                expected,
            });
        }
        file.rewind().map_err(spool)?;
        Ok(Fetched::Body(Download {
            file,
            length: received,
            sha256: hex::encode(hasher.finalize()),
            validators,
        }))
    }
}
