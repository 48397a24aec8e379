//! Importing evidence: checks, detection by content, SHA-256 before parsing, one transaction
//! per file with progress and cancel; folders walked (symlink loops reported, never followed
//! twice); correlation after every import.

use crate::case::Case;
use crate::error::{ApiError, ApiResult};
use cb_domain::{Counts, Sink, SinkError};
use cb_graph::{CorrelationSettings, DerivedIncident};
use cb_store::{Actor, ImportOutcome, SkippedRecord, SourceMeta, SqliteStore, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What importing one file did: the `files[]` element of `caseboard import --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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

/// SHA-256 and size of a file computed on a thread of their own (see `import_file_with`);
/// dropped unjoined (an import that failed or was cancelled), the thread stops reading.
struct Hashing {
    thread: Option<std::thread::JoinHandle<std::io::Result<(String, u64)>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Hashing {
    fn join(mut self) -> std::io::Result<(String, u64)> {
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            _ => Err(std::io::Error::other("the hashing thread stopped")),
        }
    }
}

impl Drop for Hashing {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Start hashing `file` on another thread, by positional reads of its own handle (the
/// parser's read position is left alone); `None` where positional reads are not offered.
#[cfg(unix)]
fn hash_meanwhile(file: &std::fs::File) -> std::io::Result<Option<Hashing>> {
    use std::os::unix::fs::FileExt;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // the file read from its start by positional reads, until `stop` is set
    struct From0 {
        f: std::fs::File,
        at: u64,
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }
    impl Read for From0 {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.stop.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(std::io::Error::other("hashing stopped"));
            }
            let n = self.f.read_at(buf, self.at)?;
            self.at += n as u64;
            Ok(n)
        }
    }
    let mut r = From0 {
        f: file.try_clone()?,
        at: 0,
        stop: stop.clone(),
    };
    let thread = std::thread::spawn(move || hash_reader(&mut r));
    Ok(Some(Hashing {
        thread: Some(thread),
        stop,
    }))
}

#[cfg(not(unix))]
fn hash_meanwhile(_: &std::fs::File) -> std::io::Result<Option<Hashing>> {
    Ok(None)
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
    import_file_with(store, path, progress, None)
}

/// [`import_file`], running detection rules on each event as it is stored (no second pass
/// over the evidence); the matches wait in `streamed` until [`crate::detect::Streamed::store`].
pub fn import_file_with(
    store: &mut SqliteStore,
    path: &Path,
    progress: &mut dyn FnMut(Progress) -> bool,
    mut streamed: Option<&mut crate::detect::Streamed<'_>>,
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
    // The hash names the bytes imported (and finds them imported before). When no source of
    // the case has this size the file cannot be one of them yet, so it is hashed on its own
    // thread while it is parsed (the writing thread is the import's bottleneck) and the
    // store checks for a duplicate at the end; otherwise first, as a re-import is then
    // found before any work.
    let hashing = match store.has_source_of_size(before.len) {
        Ok(false) => hash_meanwhile(&file).map_err(unreadable)?,
        _ => None,
    };
    let (sha256, size) = match hashing {
        Some(_) => (String::new(), before.len),
        None => hash_reader(&mut file).map_err(unreadable)?,
    };
    let deferred = hashing.is_some();
    let hashing = std::cell::RefCell::new(hashing);
    // the hash once the thread is done (deferred), read by the store at the end of the file
    let hashed: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
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
        let mut watching;
        let sink: &mut dyn Sink = match streamed.as_deref_mut() {
            Some(d) => {
                watching = d.watch(sink);
                &mut watching
            }
            None => sink,
        };
        match &format {
            Detected::Alerts(fmt) => cb_ingest::import_open(*fmt, f, sink),
            Detected::Events(fmt) => {
                cb_events::import_open(*fmt, f, sink, &cb_events::Settings::default())
            }
        }?;
        let (sha256, size) = match hashing.borrow_mut().take() {
            Some(h) => {
                let (sha, n) = h.join().map_err(reopen)?;
                *hashed.borrow_mut() = Some(sha.clone());
                (sha, n)
            }
            None => (sha256.clone(), size),
        };
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
    let result = if deferred {
        let mut sha = || {
            hashed
                .borrow()
                .clone()
                .ok_or_else(|| "the file was not hashed".to_string())
        };
        store.import_source_hashed_meanwhile(
            &meta,
            Some(&shown),
            &mut on_progress,
            &mut parse,
            &mut sha,
        )
    } else {
        store.import_source_typed(&meta, Some(&shown), &mut on_progress, &mut parse)
    };
    if let Some(d) = streamed {
        d.finish_file(result.as_ref().ok().and_then(|o| o.source_id));
    }
    let outcome: ImportOutcome = match result {
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
    let sha256 = match hashed.into_inner() {
        Some(h) => h,
        None => sha256,
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

/// Progress with rate and ETA, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportProgress {
    pub records: u64,
    pub bytes: u64,
    pub bytes_total: u64,
    /// Records per second so far.
    pub rate: f64,
    /// Seconds left, estimated from bytes; `null` until there is a rate.
    pub eta_secs: Option<f64>,
    pub elapsed_secs: f64,
}

impl ImportProgress {
    /// Rate and ETA of `p` after `elapsed_secs` seconds.
    pub fn at(p: Progress, elapsed_secs: f64) -> ImportProgress {
        let secs = elapsed_secs.max(1e-3);
        let byte_rate = p.bytes as f64 / secs;
        ImportProgress {
            records: p.records,
            bytes: p.bytes,
            bytes_total: p.bytes_total,
            rate: p.records as f64 / secs,
            eta_secs: (byte_rate > 0.0 && p.bytes > 0)
                .then(|| p.bytes_total.saturating_sub(p.bytes) as f64 / byte_rate),
            elapsed_secs: secs,
        }
    }
}

/// A file offered for import (a folder lists every file inside, recursively).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportCandidate {
    pub path: String,
    /// The detected format; `null` when `error` says why the file cannot be imported.
    pub format: Option<String>,
    pub error: Option<String>,
    pub size: u64,
}

fn candidate(p: &Path) -> ImportCandidate {
    let size = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let (format, error) = match probe(p) {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(e.to_string())),
    };
    ImportCandidate {
        path: p.to_string_lossy().into_owned(),
        format,
        error,
        size,
    }
}

/// Every file under `dir`, sorted by name; symlinks are followed, and a link back into a
/// folder being walked is reported as a candidate with its error instead of looping.
fn walk(dir: &Path, out: &mut Vec<ImportCandidate>) {
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) if e.file_type().is_dir() => {}
            Ok(e) => out.push(candidate(e.path())),
            Err(e) => out.push(ImportCandidate {
                path: e.path().unwrap_or(dir).to_string_lossy().into_owned(),
                format: None,
                error: Some(match e.loop_ancestor() {
                    Some(a) => format!("symlink loop back to {}; not followed", a.display()),
                    None => e.to_string(),
                }),
                size: 0,
            }),
        }
    }
}

/// Expand folders and probe every file (nothing is written).
pub fn candidates(paths: &[PathBuf]) -> Vec<ImportCandidate> {
    let mut out = vec![];
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(candidate(p));
        }
    }
    out
}

/// `caseboard import --json`: `{"files": [...], "not_imported": [...], "correlated": [...]}`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    pub files: Vec<FileReport>,
    /// Files found in the folders given that are in no format Caseboard reads (skipped).
    pub not_imported: Vec<ImportCandidate>,
    /// Correlation run after the import: every derived incident (`created` = new).
    pub correlated: Vec<DerivedIncident>,
    /// Detection run with the import (`caseboard import --detect`): the `caseboard detect`
    /// report; absent when no rules ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub detect: Option<crate::detect::DetectReport>,
}

/// Import files and folders into the case at `case` (created when missing), then correlate.
/// Files named one by one must all be importable, or nothing is written and the case is not
/// created; in folders, files of an unknown format are reported in `not_imported` and skipped.
/// `progress` gets each file's progress; returning `false` cancels that file.
pub fn import_paths(
    case: &Path,
    paths: &[PathBuf],
    actor: Actor,
    progress: &mut dyn FnMut(&Path, ImportProgress) -> bool,
) -> ApiResult<ImportReport> {
    import_paths_with(case, paths, actor, None, None, progress)
}

/// [`import_paths`], running the rules of `detect` on each event as it is stored; their
/// alerts are written after each file and take part in the correlation that follows.
pub fn import_paths_with(
    case: &Path,
    paths: &[PathBuf],
    actor: Actor,
    key: Option<&Path>,
    detect: Option<&crate::detect::DetectSettings>,
    progress: &mut dyn FnMut(&Path, ImportProgress) -> bool,
) -> ApiResult<ImportReport> {
    let mut files = vec![];
    let mut not_imported = vec![];
    for p in paths {
        if p.is_dir() {
            let mut found = vec![];
            walk(p, &mut found);
            let before = files.len();
            for c in found {
                match c.format {
                    Some(_) => files.push(PathBuf::from(&c.path)),
                    None => not_imported.push(c),
                }
            }
            if files.len() == before {
                return Err(ApiError::bad(format!(
                    "{}: no file in this folder is in a format Caseboard reads",
                    p.display()
                )));
            }
        } else {
            probe(p)?;
            files.push(p.clone());
        }
    }
    let mut case = Case::open_or_create(case, actor)?;
    if let Some(k) = key {
        case.sign_with(k)?;
    }
    let mut reports = vec![];
    let loaded = detect.map(|d| d.load());
    let mut streamed = loaded
        .as_ref()
        .map(|(rules, _)| crate::detect::Streamed::new(rules));
    let mut det = loaded.as_ref().map(|(_, l)| crate::detect::DetectReport {
        rules: crate::detect::RulesReport {
            loaded: l.loaded,
            failed: l.failed.clone(),
        },
        ..Default::default()
    });
    for f in &files {
        let t0 = Instant::now();
        let mut on = |p: Progress| progress(f, ImportProgress::at(p, t0.elapsed().as_secs_f64()));
        let r = import_file_with(&mut case.store, f, &mut on, streamed.as_mut())?;
        if let (Some(s), Some(d)) = (streamed.as_mut(), det.as_mut()) {
            let a = s.store(&mut case.store)?;
            d.events += r.added.events;
            d.alerts.added += a.added;
            d.alerts.updated += a.updated;
        }
        reports.push(r);
    }
    if let (Some(s), Some(d)) = (streamed.as_ref(), det.as_mut()) {
        d.matches = s.matches;
    }
    let correlated = cb_graph::correlate(&mut case.store, &CorrelationSettings::default())?;
    case.store.give_back_free_pages()?;
    Ok(ImportReport {
        files: reports,
        not_imported,
        correlated,
        detect: det,
    })
}

/// How importing one file from the window ended.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReply {
    pub path: String,
    /// `ok`, or the [`ApiError::code`] of the failure (`cancelled`, `unknown_format`, …).
    pub outcome: String,
    pub message: Option<String>,
    /// What the import did (`null` unless `ok`).
    pub report: Option<FileReport>,
    /// Derived incidents the correlation after this file created.
    pub new_incidents: usize,
    pub elapsed_secs: f64,
}

/// Import one file on a connection of its own (WAL: other connections keep reading), then
/// correlate. Never fails: the outcome says how it ended; a cancel leaves the case as it was.
pub fn import_one(
    case: &Path,
    path: &Path,
    actor: Actor,
    key: Option<&Path>,
    progress: &mut dyn FnMut(ImportProgress) -> bool,
) -> ImportReply {
    let t0 = Instant::now();
    let run = || -> ApiResult<(FileReport, usize)> {
        let mut case = Case::open(case, actor)?;
        if let Some(k) = key {
            case.sign_with(k)?;
        }
        let mut on = |p: Progress| progress(ImportProgress::at(p, t0.elapsed().as_secs_f64()));
        let report = import_file(&mut case.store, path, &mut on)?;
        let derived = cb_graph::correlate(&mut case.store, &CorrelationSettings::default())?;
        case.store.give_back_free_pages()?;
        Ok((report, derived.iter().filter(|d| d.created).count()))
    };
    let r = run();
    let elapsed_secs = t0.elapsed().as_secs_f64();
    match r {
        Ok((report, new_incidents)) => ImportReply {
            path: report.path.clone(),
            outcome: "ok".into(),
            message: None,
            report: Some(report),
            new_incidents,
            elapsed_secs,
        },
        Err(e) => ImportReply {
            path: path.to_string_lossy().into_owned(),
            outcome: e.code().to_string(),
            message: Some(e.to_string()),
            report: None,
            new_incidents: 0,
            elapsed_secs,
        },
    }
}
