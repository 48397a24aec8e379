//! Use cases shared by the `caseboard` CLI and the desktop window. Library code: no printing,
//! no global configuration; paths and the actor are passed in.
#![forbid(unsafe_code)]

use cb_domain::{Counts, Sink, SinkError};
use cb_store::{ImportOutcome, SkippedRecord, SourceMeta, SqliteStore, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub mod verify;
pub use verify::{key_path, seal, use_key, verify, Seal, VerifyOptions, VerifyReport};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{path}: no such file")]
    Missing { path: PathBuf },
    #[error("{path}: is a directory, not an evidence file")]
    Directory { path: PathBuf },
    #[error("{path}: cannot read: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path}: unknown format (not an alert, incident or log format Caseboard reads)")]
    UnknownFormat { path: PathBuf },
    #[error("{path}: import cancelled; the case is as it was before this file")]
    Cancelled { path: PathBuf },
    #[error("{path}: {source}")]
    Store { path: PathBuf, source: StoreError },
    #[error("{path}: changed while being imported ({reason}); nothing was imported — import it again once it is complete")]
    ChangedDuringImport { path: PathBuf, reason: String },
    #[error("{path}: not sealed: {reason}")]
    NotSealed { path: PathBuf, reason: String },
    #[error(transparent)]
    Case(#[from] StoreError),
}

impl ApiError {
    /// A stable code the window branches on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Missing { .. } => "missing",
            ApiError::Directory { .. } => "directory",
            ApiError::Unreadable { .. } => "unreadable",
            ApiError::UnknownFormat { .. } => "unknown_format",
            ApiError::Cancelled { .. } => "cancelled",
            ApiError::NotSealed { .. } => "not_sealed",
            ApiError::ChangedDuringImport { .. } => "changed",
            ApiError::Store { .. } | ApiError::Case(_) => "store",
        }
    }
}

/// What importing one file did: the `files[]` element of `caseboard import --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileReport {
    pub path: String,
    pub format: String,
    pub sha256: String,
    pub size: u64,
    pub added: Counts,
    pub merged: u64,
    /// The first 1,000 skipped records with their reason.
    pub skipped: Vec<SkippedRecord>,
    /// Every skipped record, counted.
    #[serde(default)]
    pub skipped_total: u64,
    /// Skipped records per kind of reason.
    #[serde(default)]
    pub skipped_by_reason: std::collections::BTreeMap<String, u64>,
    /// Set when the same bytes were imported before (then nothing was added).
    pub duplicate_of: Option<String>,
}

/// Import progress, for a progress bar.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Progress {
    pub records: u64,
    pub bytes: u64,
    pub bytes_total: u64,
}

/// SHA-256 and size of a file, read (read-only).
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    hash_reader(&mut std::fs::File::open(path)?)
}

/// SHA-256 and size of everything `r` yields.
pub fn hash_reader<R: Read + ?Sized>(r: &mut R) -> std::io::Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), size))
}

/// What the file system says about an open file: a write changes its size or modification
/// time; a change of the change time alone (rename, chmod, or a writer that reset the
/// modification time) makes the import re-hash the file.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    len: u64,
    modified: Option<std::time::SystemTime>,
    changed: (i64, i64),
}

impl Snapshot {
    fn of(f: &std::fs::File) -> std::io::Result<Snapshot> {
        let m = f.metadata()?;
        #[cfg(unix)]
        let changed = {
            use std::os::unix::fs::MetadataExt;
            (m.ctime(), m.ctime_nsec())
        };
        #[cfg(not(unix))]
        let changed = (0, 0);
        Ok(Snapshot {
            len: m.len(),
            modified: m.modified().ok(),
            changed,
        })
    }
}

/// A format this build can import.
enum Detected {
    Alerts(cb_ingest::AlertFormat),
    Events(cb_events::EventFormat),
}

impl Detected {
    fn name(&self) -> String {
        match self {
            Detected::Alerts(f) => f.name(),
            Detected::Events(f) => f.name().to_string(),
        }
    }
}

fn detect(path: &Path) -> Result<Detected, ApiError> {
    let head = cb_ingest::read_head(path).map_err(|e| ApiError::Unreadable {
        path: path.into(),
        reason: e.to_string(),
    })?;
    detect_head(path, &head)
}

fn detect_head(path: &Path, head: &[u8]) -> Result<Detected, ApiError> {
    if let Some(f) = cb_ingest::detect(head) {
        return Ok(Detected::Alerts(f));
    }
    if let Some(f) = cb_events::detect(path, head) {
        return Ok(Detected::Events(f));
    }
    Err(ApiError::UnknownFormat { path: path.into() })
}

/// Check a file can be imported (exists, is a file, readable, known format) without touching
/// the case; returns the format name.
pub fn probe(path: &Path) -> Result<String, ApiError> {
    check_file(path)?;
    Ok(detect(path)?.name())
}

fn check_file(path: &Path) -> Result<(), ApiError> {
    if !path.exists() {
        return Err(ApiError::Missing { path: path.into() });
    }
    if path.is_dir() {
        return Err(ApiError::Directory { path: path.into() });
    }
    Ok(())
}

/// Import one evidence file into the case, in one transaction. `progress` is called with
/// records/bytes done; returning `false` cancels (the case stays as it was).
pub fn import_file(
    store: &mut SqliteStore,
    path: &Path,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<FileReport, ApiError> {
    check_file(path)?;
    let unreadable = |e: std::io::Error| ApiError::Unreadable {
        path: path.into(),
        reason: e.to_string(),
    };
    // One open: detection, the hash and the parse all read this handle, so a file renamed
    // over `path` meanwhile changes nothing; a write to it during the import is caught by
    // comparing its size and change time after parsing with those before hashing.
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let before = Snapshot::of(&file).map_err(unreadable)?;
    let head = cb_ingest::read_head_from(&mut file).map_err(unreadable)?;
    let format = detect_head(path, &head)?;
    drop(head);
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let (sha256, size) = hash_reader(&mut file).map_err(unreadable)?;
    let shown = path.display().to_string();
    // stored absolute (verify finds it from any directory), the typed path kept beside it
    let absolute = std::path::absolute(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| shown.clone());
    let meta = SourceMeta {
        path: absolute,
        sha256: sha256.clone(),
        size,
        format: format.name(),
    };
    let mut on_progress = |records: u64, bytes: u64| {
        progress(Progress {
            records,
            bytes,
            bytes_total: size,
        })
    };
    let mut changed: Option<String> = None;
    let mut parse = |sink: &mut dyn Sink| -> Result<(), SinkError> {
        let reopen = |e: std::io::Error| SinkError::Storage(format!("cannot read: {e}"));
        let mut f = file.try_clone().map_err(reopen)?;
        f.seek(SeekFrom::Start(0)).map_err(reopen)?;
        match &format {
            Detected::Alerts(fmt) => cb_ingest::import_open(*fmt, f, sink),
            Detected::Events(fmt) => {
                cb_events::import_open(*fmt, f, sink, &cb_events::Settings::default())
            }
        }?;
        let after = Snapshot::of(&file).map_err(reopen)?;
        // only the change time moved (a rename over the path, a chmod): the bytes decide
        let rewritten = after.changed != before.changed
            && after.len == before.len
            && after.modified == before.modified
            && {
                let mut f = file.try_clone().map_err(reopen)?;
                f.seek(SeekFrom::Start(0)).map_err(reopen)?;
                hash_reader(&mut f).map_err(reopen)?.0 != sha256
            };
        if after.len != before.len
            || after.modified != before.modified
            || rewritten
            || size != before.len
        {
            let why = if after.len != size {
                format!(
                    "it was {size} bytes when hashed and is {} bytes now",
                    after.len
                )
            } else {
                "it was written to while being read".to_string()
            };
            changed = Some(why.clone());
            return Err(SinkError::Storage(why));
        }
        Ok(())
    };
    let outcome: ImportOutcome =
        match store.import_source_typed(&meta, Some(&shown), &mut on_progress, &mut parse) {
            Ok(o) => o,
            Err(StoreError::Cancelled) => return Err(ApiError::Cancelled { path: path.into() }),
            Err(_) if changed.is_some() => {
                return Err(ApiError::ChangedDuringImport {
                    path: path.into(),
                    reason: changed.unwrap_or_default(),
                })
            }
            Err(source) => {
                return Err(ApiError::Store {
                    path: path.into(),
                    source,
                })
            }
        };
    Ok(FileReport {
        path: shown,
        format: format.name(),
        sha256,
        size,
        added: outcome.added,
        merged: outcome.merged,
        skipped: outcome.skipped,
        skipped_total: outcome.skipped_total,
        skipped_by_reason: outcome.skipped_by_reason,
        duplicate_of: outcome.duplicate_of,
    })
}

/// Files of the bundled demo case, relative to the repository's `fixtures/` folder, in
/// import order: the msticpy lab's alerts, the demo scenario's two synthetic alerts (see
/// `fixtures/scenario/README.md`), then the real logs of the same hosts.
pub const DEMO_FILES: &[&str] = &[
    "msticpy/tests/testdata/localdata/alerts_list.jsonl",
    "scenario/contoso-malicious-sql.jsonl",
    "msticpy/tests/testdata/localdata/host_logons.jsonl",
    "msticpy/tests/testdata/localdata/processes_on_host.jsonl",
    "msticpy/tests/testdata/localdata/all_events_df.jsonl",
    "msticpy/tests/testdata/localdata/az_net_comms_df.jsonl",
    "msticpy/tests/testdata/localdata/aad_logons.jsonl",
];

/// Build (or complete) the demo case at `case` from the fixtures folder, signed with the key
/// at `key` when given.
pub fn build_demo_case(
    case: &Path,
    fixtures: &Path,
    actor: cb_store::Actor,
    key: Option<&Path>,
) -> Result<Vec<FileReport>, ApiError> {
    let mut store = SqliteStore::open_or_create(case, actor)?;
    if let Some(k) = key {
        use_key(&mut store, k)?;
    }
    let mut out = Vec::new();
    for f in DEMO_FILES {
        out.push(import_file(&mut store, &fixtures.join(f), &mut |_| true)?);
    }
    Ok(out)
}
