//! The object store: artifact bytes on the file system, content-addressed by SHA-256
//! (`<root>/sha256/ab/abcdef…`).
//!
//! A file comes in through [`ObjectStore::stage`]: copied into a temporary file under
//! `<root>/sha256/` (the file system the objects live on, so the final rename is atomic) while
//! SHA-256, SHA-1 and MD5 are computed in the same pass, 64 KiB at a time (memory stays flat
//! whatever the size), then flushed to disk. The caller checks the staged bytes — the very
//! bytes that will be kept, not the source file, which may change meanwhile — and either
//! [`Staged::commit`]s them, renamed into their place and the directory synced, or drops them,
//! which removes the temporary file. The same content always lands on the same path, so
//! storing it twice is harmless. All of it is blocking I/O: callers run it off the async
//! runtime.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::{ArtifactError, Workspace, WorkspaceLocation};

/// The environment variable that names the artifact directory of a database workspace.
pub const ARTIFACT_DIR_ENV: &str = "AFTERCARE_ARTIFACT_DIR";

/// The directory inside a workspace directory that holds its artifacts by default.
pub const ARTIFACT_SUBDIR: &str = "artifacts";

/// The size of one read while staging.
const CHUNK: usize = 64 * 1024;

/// Where artifact bytes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectStore {
    root: PathBuf,
}

/// The digests and size of a file, as DDI announces them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// SHA-1, lowercase hex.
    pub sha1: String,
    /// MD5, lowercase hex.
    pub md5: String,
}

/// Bytes copied into the store's temporary area, not yet in place. Dropping it removes them.
#[derive(Debug)]
pub struct Staged {
    temp: tempfile::NamedTempFile,
    digests: Digests,
    target: PathBuf,
}

impl ObjectStore {
    /// The object store at a root directory.
    pub fn at(root: impl Into<PathBuf>) -> ObjectStore {
        ObjectStore { root: root.into() }
    }

    /// The object store of a workspace: the directory the shell set (`--artifact-dir`,
    /// [`ARTIFACT_DIR_ENV`]), else `artifacts/` inside a workspace directory. A database
    /// workspace has no directory of its own: without one set, this is an error naming the
    /// variable.
    pub fn of(workspace: &Workspace) -> Result<ObjectStore, ArtifactError> {
        if let Some(dir) = workspace.artifact_dir() {
            return Ok(ObjectStore::at(dir));
        }
        match workspace.location() {
            WorkspaceLocation::Directory(dir) => Ok(ObjectStore::at(dir.join(ARTIFACT_SUBDIR))),
            WorkspaceLocation::Database(_) => Err(ArtifactError::NoArtifactDir {
                variable: ARTIFACT_DIR_ENV,
            }),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the bytes of a SHA-256 (64 lowercase hex digits) live; `None` for anything else,
    /// so that no stored value can name a path outside the store.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| self.root.join("sha256").join(&sha256[..2]).join(sha256))
    }

    /// Copies `source` into the store's temporary area, computing its digests in the same
    /// pass, and flushes it to disk. `name` is the file's name for messages.
    pub fn stage(&self, source: &Path, name: &str) -> Result<Staged, ArtifactError> {
        let area = self.root.join("sha256");
        std::fs::create_dir_all(&area).map_err(write_error(&area))?;
        let mut input = File::open(source).map_err(|source| ArtifactError::Read {
            file: name.to_string(),
            source,
        })?;
        let mut temp = tempfile::Builder::new()
            .prefix(".staging-")
            .tempfile_in(&area)
            .map_err(write_error(&area))?;
        let mut sha256 = Sha256::new();
        let mut sha1 = Sha1::new();
        let mut md5 = Md5::new();
        let mut size: u64 = 0;
        let mut buffer = vec![0u8; CHUNK];
        loop {
            let read = match input.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ArtifactError::Read {
                        file: name.to_string(),
                        source,
                    });
                }
            };
            let chunk = &buffer[..read];
            sha256.update(chunk);
            sha1.update(chunk);
            md5.update(chunk);
            temp.write_all(chunk).map_err(write_error(temp.path()))?;
            size += read as u64;
        }
        temp.as_file()
            .sync_all()
            .map_err(write_error(temp.path()))?;
        let digests = Digests {
            size,
            sha256: hex::encode(sha256.finalize()),
            sha1: hex::encode(sha1.finalize()),
            md5: hex::encode(md5.finalize()),
        };
        let target = self
            .path_of(&digests.sha256)
            .ok_or_else(|| ArtifactError::Write {
                path: area.display().to_string(),
                source: std::io::Error::other("a SHA-256 that is not 64 hex digits"),
            })?;
        Ok(Staged {
            temp,
            digests,
            target,
        })
    }
}

impl Staged {
    /// The digests of the staged bytes.
    pub fn digests(&self) -> &Digests {
        &self.digests
    }

    /// The staged bytes, to check before they are kept.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// Renames the staged bytes into their place (the same content always to the same path,
    /// so a second copy replaces the first with identical bytes) and syncs the directory, so
    /// that the rename survives a crash. Returns the final path.
    pub fn commit(self) -> Result<PathBuf, ArtifactError> {
        let Staged { temp, target, .. } = self;
        let directory = target.parent().map(Path::to_path_buf).unwrap_or_default();
        std::fs::create_dir_all(&directory).map_err(write_error(&directory))?;
        temp.persist(&target)
            .map_err(|error| write_error(&target)(error.error))?;
        // A directory is synced through a read-only handle on Unix; elsewhere this is a no-op
        // that may fail, and the rename is still in place.
        if let Ok(handle) = File::open(&directory) {
            handle.sync_all().ok();
        }
        Ok(target)
    }
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> ArtifactError + '_ {
    move |source| ArtifactError::Write {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The digests of the empty file and of "abc", from their specifications' test vectors.
    #[test]
    fn stages_with_the_three_digests_and_commits_by_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::at(dir.path().join("objects"));
        let check = |content: &[u8], sha256: &str, sha1: &str, md5: &str| {
            let source = dir.path().join("source");
            std::fs::write(&source, content).unwrap();
            let staged = store.stage(&source, "source").unwrap();
            assert_eq!(
                staged.digests(),
                &Digests {
                    size: content.len() as u64,
                    sha256: sha256.into(),
                    sha1: sha1.into(),
                    md5: md5.into(),
                }
            );
            assert_eq!(std::fs::read(staged.path()).unwrap(), content);
            let path = staged.commit().unwrap();
            assert_eq!(
                path,
                dir.path()
                    .join("objects/sha256")
                    .join(&sha256[..2])
                    .join(sha256)
            );
            assert_eq!(std::fs::read(&path).unwrap(), content);
        };
        check(
            b"",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "d41d8cd98f00b204e9800998ecf8427e",
        );
        check(
            b"abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "a9993e364706816aba3e25717850c26c9cd0d89d",
            "900150983cd24fb0d6963f7d28e17f72",
        );
        // The same content again: the same path, one file, no temporary file left.
        check(
            b"abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "a9993e364706816aba3e25717850c26c9cd0d89d",
            "900150983cd24fb0d6963f7d28e17f72",
        );
        let area: Vec<String> = std::fs::read_dir(dir.path().join("objects/sha256"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let mut area = area;
        area.sort();
        assert_eq!(area, ["ba", "e3"], "no staging file left behind");
    }

    #[test]
    fn a_dropped_stage_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::at(dir.path());
        let source = dir.path().join("source");
        // Larger than one read, to cross a chunk boundary.
        std::fs::write(&source, vec![7u8; CHUNK * 2 + 5]).unwrap();
        let staged = store.stage(&source, "source").unwrap();
        assert_eq!(staged.digests().size, (CHUNK * 2 + 5) as u64);
        let temp = staged.path().to_path_buf();
        assert!(temp.exists());
        drop(staged);
        assert!(!temp.exists());
        assert_eq!(
            std::fs::read_dir(dir.path().join("sha256"))
                .unwrap()
                .count(),
            0
        );
    }

    #[test]
    fn only_hex_digests_name_a_path() {
        let store = ObjectStore::at("/objects");
        let good = "ab".repeat(32);
        assert_eq!(
            store.path_of(&good),
            Some(PathBuf::from(format!("/objects/sha256/ab/{good}")))
        );
        for bad in [
            "",
            "../etc/passwd",
            &"AB".repeat(32),
            &"ab".repeat(31),
            &format!("{}/", "a".repeat(63)),
        ] {
            assert_eq!(store.path_of(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_unreadable_source_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::at(dir.path());
        let error = store
            .stage(&dir.path().join("missing.swu"), "missing.swu")
            .unwrap_err();
        assert!(
            matches!(&error, ArtifactError::Read { file, .. } if file == "missing.swu"),
            "{error:?}"
        );
    }
}
