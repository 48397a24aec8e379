//! The case store. A case is one SQLite file (WAL); everything reads and writes it through
//! [`SqliteStore`].
//!
//! Invariants:
//! * one evidence file = one transaction ([`SqliteStore::import_source`]); an error or a cancel
//!   rolls the whole file back;
//! * every write that changes analyst-visible state appends to the `audit` table through
//!   [`SqliteStore::write`] (append-only: triggers refuse UPDATE and DELETE; hash-chained);
//! * user text never reaches SQL except as a bound parameter.
#![forbid(unsafe_code)]

pub mod co_mentions;
pub mod event_counts;
pub mod fields;
pub mod fts_body;
mod import;
pub mod integrity;
mod merge;
pub mod migrations;
mod queries;
pub mod triage;
mod verify;

pub use import::{ImportOutcome, SkippedRecord, SourceMeta};
pub use queries::*;
pub use triage::{Classification, TriageChange, TriageState};
pub use verify::{ChainReport, Finding, ImportedSource, KeyInfo};

use cb_domain::NodeId;
use rusqlite::{Connection, OpenFlags};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: not a Caseboard case ({reason})")]
    NotACase { path: PathBuf, reason: String },
    #[error("{path}: cannot open case: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("no such node: {0}")]
    NoSuchNode(NodeId),
    #[error("{0}")]
    Invalid(String),
    #[error("import cancelled")]
    Cancelled,
    #[error("{path}: signing key: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who is acting, for the audit log: the OS user or a configured analyst name.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl Actor {
    /// `CASEBOARD_ANALYST`, else the OS user, else "analyst".
    pub fn from_env() -> Actor {
        let name = std::env::var("CASEBOARD_ANALYST")
            .or_else(|_| std::env::var("USER"))
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "analyst".into());
        Actor(name)
    }
}

/// One SQLite case file.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    actor: Actor,
    /// Signs every audit entry and the chain head (see [`integrity`]); `None` writes unsigned
    /// entries, which `verify` reports.
    key: Option<integrity::Key>,
    /// Reader of `events.fields` (the case's zstd dictionaries), shared with `cb_fields`.
    fields: std::sync::Arc<fields::Fields>,
}

impl SqliteStore {
    /// Open an existing case or create a new one at `path`.
    pub fn open_or_create(path: &Path, actor: Actor) -> Result<SqliteStore> {
        if path.is_dir() {
            return Err(StoreError::NotACase {
                path: path.into(),
                reason: "it is a directory".into(),
            });
        }
        if path.exists() {
            return SqliteStore::open(path, actor);
        }
        create_atomically(path)?;
        SqliteStore::open(path, actor)
    }

    /// Open an existing case; refuses files that are not Caseboard cases, writing nothing.
    pub fn open(path: &Path, actor: Actor) -> Result<SqliteStore> {
        if !path.is_file() {
            return Err(StoreError::NotACase {
                path: path.into(),
                reason: "no such file".into(),
            });
        }
        // Look before touching: a read-only probe, so a wrong file is never modified.
        {
            let probe = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|source| StoreError::Open {
                path: path.into(),
                source,
            })?;
            // a case whose writer was killed mid-write has a WAL index that only a writer
            // can rebuild (SQLITE_READONLY_RECOVERY): then read the header from the file
            let header = |e: rusqlite::Error| {
                file_header(path).ok_or_else(|| StoreError::NotACase {
                    path: path.into(),
                    reason: format!("not an SQLite database ({e})"),
                })
            };
            let (app, found) =
                match probe.pragma_query_value(None, "application_id", |r| r.get::<_, i64>(0)) {
                    Ok(app) => (app, migrations::version(&probe)?),
                    Err(e) => header(e)?,
                };
            if app != migrations::APPLICATION_ID {
                return Err(StoreError::NotACase {
                    path: path.into(),
                    reason: "an SQLite database of another application".into(),
                });
            }
            // a case written by a newer Caseboard (a schema this code does not know) is refused
            // by this read-only probe, before anything is written to it: this code could misread what it holds
            if found > migrations::MIGRATIONS.len() {
                return Err(StoreError::NotACase {
                    path: path.into(),
                    reason: format!(
                        "it was written by a newer Caseboard (schema version {found}; this one knows up to {}): open it with a newer Caseboard",
                        migrations::MIGRATIONS.len()
                    ),
                });
            }
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.into(),
            source,
        })?;
        SqliteStore::init(conn, path, actor)
    }

    /// A case held in memory (tests).
    pub fn in_memory(actor: Actor) -> Result<SqliteStore> {
        SqliteStore::init(Connection::open_in_memory()?, Path::new(":memory:"), actor)
    }

    fn init(mut conn: Connection, path: &Path, actor: Actor) -> Result<SqliteStore> {
        // 16 KiB pages (new cases only; an existing file keeps its own): events carry their
        // original fields (~2 KiB of JSON each), which fit one page instead of spilling to
        // overflow pages, and the b-trees and FTS segments are shallower. Imports ~35% faster
        // than with 4 KiB pages on the perf corpus samples; search times unchanged.
        // first: a case another process is importing into through a rollback journal (see
        // `import.rs`) is locked for moments at a time; the pragmas below wait for it
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "page_size", 16384)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        migrations::migrate(&mut conn)?;
        let file = (path != Path::new(":memory:")).then(|| path.to_path_buf());
        let fields = fields::Fields::load(&conn, file)?;
        fields.register(&conn)?;
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            actor,
            key: None,
            fields,
        })
    }

    /// Sign what this store writes with `key` (the analyst's key, kept outside the case; see
    /// [`integrity::load_or_create_key`]).
    pub fn set_signer(&mut self, key: integrity::Key) {
        self.key = Some(key);
    }

    pub fn signer(&self) -> Option<&integrity::Key> {
        self.key.as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The one reader of `events.fields` (see [`fields`]).
    pub fn fields(&self) -> &fields::Fields {
        &self.fields
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The connection, for sibling crates that add their own queries (graph, search). They
    /// must not write outside [`SqliteStore::write`].
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Run `f` in one transaction and append an audit entry for it in the same transaction:
    /// the single write path for analyst actions.
    pub fn write<T>(
        &mut self,
        action: &str,
        target: &str,
        detail: serde_json::Value,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let actor = self.actor.0.clone();
        let key = self.key.clone();
        let tx = self.conn.transaction()?;
        let out = f(&tx)?;
        audit(&tx, key.as_ref(), &actor, action, target, &detail)?;
        commit(tx, key.as_ref())?;
        Ok(out)
    }
}

/// How long a statement waits for another connection's lock before it fails.
pub(crate) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// (application_id, user_version) from an SQLite file's header (offsets 68 and 60), read
/// without SQLite; `None` if it is not an SQLite file.
fn file_header(path: &Path) -> Option<(i64, usize)> {
    use std::io::Read;
    let mut h = [0u8; 100];
    std::fs::File::open(path).ok()?.read_exact(&mut h).ok()?;
    if &h[..16] != b"SQLite format 3\0" {
        return None;
    }
    let be = |o: usize| u32::from_be_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]);
    Some((be(68) as i32 as i64, be(60) as usize))
}

/// Build a new case under a temporary name beside `path` and move it into place only when
/// its schema is complete, so a crash never leaves a half-made case at `path` (a leftover
/// `.NAME.creating-PID` file is harmless and never opened as a case).
fn create_atomically(path: &Path) -> Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.creating-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let io = |e: std::io::Error| StoreError::NotACase {
        path: path.into(),
        reason: format!("cannot create: {e}"),
    };
    {
        let mut conn = Connection::open(&tmp).map_err(|source| StoreError::Open {
            path: path.into(),
            source,
        })?;
        // rollback journal while building (a WAL file would be named after the temporary);
        // free pages can be given back to the file system (see `give_back_free_pages`): set
        // before the first table, as SQLite requires
        conn.pragma_update(None, "page_size", 16384)?;
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        migrations::migrate(&mut conn)?;
        conn.close().map_err(|(_, e)| StoreError::Sql(e))?;
    }
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    // no clobbering: another process that created the case meanwhile wins
    let placed = match std::fs::hard_link(&tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // a file system without hard links
        Err(_) => std::fs::rename(&tmp, path),
    };
    let _ = std::fs::remove_file(&tmp);
    placed.map_err(io)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// Append one hash-chained, signed audit entry (see [`integrity`]); the first entry a key
/// signs in this case is preceded by a `key` entry recording its public key.
pub(crate) fn audit(
    conn: &Connection,
    key: Option<&integrity::Key>,
    actor: &str,
    action: &str,
    target: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    let at = cb_domain::time::format(&chrono::Utc::now());
    if let Some(k) = key {
        integrity::introduce_key(conn, k, actor, &at)?;
    }
    integrity::append(conn, key, actor, action, target, &detail.to_string(), &at)
}

/// Sign the chain head and commit: the end of every write transaction.
pub(crate) fn commit(tx: rusqlite::Transaction<'_>, key: Option<&integrity::Key>) -> Result<()> {
    let at = cb_domain::time::format(&chrono::Utc::now());
    integrity::sign_head(&tx, key, &at)?;
    tx.commit()?;
    Ok(())
}

/// Hash of an entry written before migration 5 (`sha256(prev | at | actor | action | target |
/// detail)`, unsigned).
pub(crate) fn audit_hash(
    prev: &str,
    at: &str,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [prev, at, actor, action, target, detail] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}
