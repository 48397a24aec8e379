//! The import transaction: the store's implementation of [`cb_domain::Sink`].

use crate::{audit, commit, Result, SqliteStore, StoreError, BUSY_TIMEOUT};
use cb_domain::{
    identify, AlertRecord, Counts, EntityRecord, EventRecord, IncidentRecord, NodeId, RecordNo,
    Sink, SinkError,
};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the caller knows about an evidence file before import (hash taken before parsing).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceMeta {
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SkippedRecord {
    pub record: RecordNo,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub source_id: Option<i64>,
    /// The same bytes were imported before: nothing was added.
    pub duplicate_of: Option<String>,
    pub added: Counts,
    /// Records that named something already in the case (alerts, incidents, entities).
    pub merged: u64,
    /// The first `SKIPPED_KEPT` (1,000) skipped records (see `skipped_total`, `skipped_by_reason`).
    pub skipped: Vec<SkippedRecord>,
    /// Every skipped record, counted.
    #[serde(default)]
    pub skipped_total: u64,
    /// Skipped records per kind of reason (digits in a reason count as one kind).
    #[serde(default)]
    pub skipped_by_reason: std::collections::BTreeMap<String, u64>,
}

impl ImportOutcome {
    /// Nothing added: the same bytes were imported before as `prev`.
    fn duplicate(prev: String) -> ImportOutcome {
        ImportOutcome {
            source_id: None,
            duplicate_of: Some(prev),
            added: Counts::default(),
            merged: 0,
            skipped: vec![],
            skipped_total: 0,
            skipped_by_reason: Default::default(),
        }
    }
}

/// Skipped records kept with their reason (the rest are counted): a file of millions of bad
/// lines costs no memory and no space in the case.
pub const SKIPPED_KEPT: usize = 1000;
/// Kinds of skip reason counted separately; further kinds are counted as "other".
const SKIP_KINDS: usize = 100;

/// The kind of a skip reason: digits collapsed, at most 80 characters.
fn reason_kind(reason: &str) -> String {
    let mut out = String::new();
    let mut in_num = false;
    for c in reason.chars() {
        if c.is_ascii_digit() {
            if !in_num {
                out.push('N');
            }
            in_num = true;
        } else {
            in_num = false;
            out.push(c);
        }
        if out.chars().count() >= 80 {
            out.push('…');
            break;
        }
    }
    out
}

/// Page cache during an import (KiB): bounds the import's memory (peak RSS stays well under
/// 500 MB) while keeping a file's working set of b-tree pages in memory.
const IMPORT_CACHE_KIB: i64 = 256 * 1024;

/// `sources.sha256` of a file while it is imported and hashed at once (never committed).
const HASHING: &str = "(being hashed)";

/// Progress callback: (records, bytes). Returning `false` cancels the import.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64) -> bool;

impl SqliteStore {
    /// Import one evidence file in one transaction. `parse` feeds the sink; if it (or the
    /// sink) fails, or progress says cancel, nothing of the file stays in the case.
    pub fn import_source(
        &mut self,
        meta: &SourceMeta,
        progress: Progress<'_>,
        parse: &mut dyn FnMut(&mut dyn Sink) -> std::result::Result<(), SinkError>,
    ) -> Result<ImportOutcome> {
        self.import_source_typed(meta, None, progress, parse)
    }

    /// [`SqliteStore::import_source`], also recording the path as the analyst typed it
    /// (`meta.path` should be absolute, so `verify` finds the file from any directory).
    pub fn import_source_typed(
        &mut self,
        meta: &SourceMeta,
        typed_path: Option<&str>,
        progress: Progress<'_>,
        parse: &mut dyn FnMut(&mut dyn Sink) -> std::result::Result<(), SinkError>,
    ) -> Result<ImportOutcome> {
        self.import_with(meta, typed_path, progress, parse, None)
    }

    /// [`SqliteStore::import_source_typed`] for a file whose SHA-256 another thread is still
    /// computing while it is parsed (`meta.sha256` is not read): `sha256` gives it once
    /// `parse` is done. The duplicate check is then made at the end of the file's
    /// transaction — the same bytes imported before roll it back, and the outcome names
    /// them as [`SqliteStore::import_source_typed`] would have — so a caller takes this only
    /// when no source of the case has the file's size ([`SqliteStore::has_source_of_size`]):
    /// re-importing a file stays instant.
    pub fn import_source_hashed_meanwhile(
        &mut self,
        meta: &SourceMeta,
        typed_path: Option<&str>,
        progress: Progress<'_>,
        parse: &mut dyn FnMut(&mut dyn Sink) -> std::result::Result<(), SinkError>,
        sha256: &mut dyn FnMut() -> std::result::Result<String, String>,
    ) -> Result<ImportOutcome> {
        self.import_with(meta, typed_path, progress, parse, Some(sha256))
    }

    /// Whether a source of `size` bytes was imported into this case.
    pub fn has_source_of_size(&self, size: u64) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sources WHERE size = ?1)",
            [size as i64],
            |r| r.get(0),
        )?)
    }

    fn import_with(
        &mut self,
        meta: &SourceMeta,
        typed_path: Option<&str>,
        progress: Progress<'_>,
        parse: &mut dyn FnMut(&mut dyn Sink) -> std::result::Result<(), SinkError>,
        later: Option<&mut dyn FnMut() -> std::result::Result<String, String>>,
    ) -> Result<ImportOutcome> {
        // known hash: the same bytes imported before are found before any work
        let prev = match later {
            Some(_) => None,
            None => self
                .conn
                .query_row(
                    "SELECT path FROM sources WHERE sha256 = ?1",
                    [&meta.sha256],
                    |r| r.get::<_, String>(0),
                )
                .optional()?,
        };
        if let Some(prev) = prev {
            return Ok(ImportOutcome::duplicate(prev));
        }
        let actor = self.actor.0.clone();
        // bulk import: a page cache large enough that the file's transaction rarely spills
        // dirty pages to the WAL mid-file (restored below, so an idle case holds no memory);
        // the WAL is checkpointed every 1 GiB (65,536 pages of 16 KiB) instead of every
        // 16 MiB, so pages that file after file rewrites (index and FTS structure pages) are
        // copied back once per many files, and a folder of files costs a few checkpoints and
        // fsyncs, not one per file (`journal_size_limit` in `init` truncates it afterwards;
        // the connection's default comes back after the import)
        self.conn.execute_batch(&format!(
            "PRAGMA cache_size = -{IMPORT_CACHE_KIB}; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 65536;"
        ))?;
        let out = self.alone_in_rollback_journal(|s| {
            s.import_in_tx(meta, typed_path, &actor, progress, parse, later)
        });
        let _ = self
            .conn
            .execute_batch("PRAGMA cache_size = -2000; PRAGMA wal_autocheckpoint = 1000;");
        out
    }

    /// Give the file system back the pages imports left free (FTS5 segment merges free the
    /// segments they merge; the next file reuses them, the last file's stay): moved from the
    /// end of the case into the free ones and the file truncated (`PRAGMA
    /// incremental_vacuum`, cases created with `auto_vacuum = INCREMENTAL`, schema 9 on;
    /// older cases keep their free pages). Done once after a batch of files, through a
    /// rollback journal when no other connection has the case open (as an import is), in one
    /// transaction: interrupted, the case is as it was. Returns the pages given back.
    pub fn give_back_free_pages(&mut self) -> Result<u64> {
        let get = |c: &rusqlite::Connection, p: &str| {
            c.pragma_query_value(None, p, |r| r.get::<_, i64>(0))
        };
        if get(&self.conn, "auto_vacuum")? != 2 {
            return Ok(0);
        }
        let free = get(&self.conn, "freelist_count")?;
        // a few free pages are not worth a transaction
        if free < 64 {
            return Ok(0);
        }
        self.alone_in_rollback_journal(|s| {
            // one step of the pragma frees one page: step it to the end
            let mut st = s.conn.prepare("PRAGMA incremental_vacuum")?;
            let mut rows = st.query([])?;
            while rows.next()?.is_some() {}
            Ok(())
        })?;
        Ok((free - get(&self.conn, "freelist_count")?).max(0) as u64)
    }

    /// Run `f` through a rollback journal when no other connection has the case open (see
    /// `rollback_journal_if_alone`), then back to the WAL (allowed with other connections
    /// open): readers and analyst actions work as before.
    fn alone_in_rollback_journal<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let journal = self.rollback_journal_if_alone();
        let out = f(self);
        if journal {
            let wal = self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0));
            let _ = self.conn.pragma_update(None, "synchronous", "NORMAL");
            if out.is_ok() {
                wal?;
            }
        }
        out
    }

    /// Import through a rollback journal instead of the WAL when no other connection has the
    /// case open (a batch import from the command line). In WAL mode every page an import
    /// writes is written twice, to the WAL and again by the checkpoint; a rollback journal
    /// holds only the old content of pages that existed before the file's transaction, so
    /// the pages an import adds (nearly all it writes) are written once. An interrupted
    /// import is rolled back from the journal when the case is next opened, as the WAL would
    /// have been. With another connection open (the desktop app reading while it imports)
    /// SQLite refuses the switch at once and the import goes through the WAL as before.
    /// `synchronous = FULL` while journalled: the journal is synced before the case is
    /// written. Returns whether the switch was made.
    fn rollback_journal_if_alone(&mut self) -> bool {
        if self.path == std::path::Path::new(":memory:") {
            return false;
        }
        // asking must not wait: another connection holds the case for as long as it is open
        let _ = self.conn.busy_timeout(std::time::Duration::ZERO);
        let mode = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0));
        let _ = self.conn.busy_timeout(BUSY_TIMEOUT);
        let switched = matches!(mode, Ok(m) if m.eq_ignore_ascii_case("delete"));
        if switched {
            let _ = self.conn.pragma_update(None, "synchronous", "FULL");
        }
        switched
    }

    fn import_in_tx(
        &mut self,
        meta: &SourceMeta,
        typed_path: Option<&str>,
        actor: &str,
        progress: Progress<'_>,
        parse: &mut dyn FnMut(&mut dyn Sink) -> std::result::Result<(), SinkError>,
        later: Option<&mut dyn FnMut() -> std::result::Result<String, String>>,
    ) -> Result<ImportOutcome> {
        let key = self.key.clone();
        let zstd = |e: std::io::Error| StoreError::Invalid(format!("zstd: {e}"));
        let tx = self.conn.transaction()?;
        let blocks = crate::fields::Blocks::start(&tx)?;
        let before = crate::integrity::last_ids(&tx)?;
        tx.execute(
            "INSERT INTO sources (path, sha256, size, format, imported_at, counts, merged, skipped, typed_path) VALUES (?1, ?2, ?3, ?4, ?5, '{}', 0, '[]', ?6)",
            // a file still being hashed holds a placeholder (unique: one import writes at a
            // time, and it never commits) until its hash is in, below
            params![meta.path, if later.is_some() { HASHING } else { meta.sha256.as_str() }, meta.size as i64, meta.format, cb_domain::time::format(&chrono::Utc::now()), typed_path.unwrap_or(&meta.path)],
        )?;
        let source_id = tx.last_insert_rowid();
        let mut sink = TxSink {
            tx: &tx,
            source_id,
            counts: Counts::default(),
            merged: 0,
            skipped: vec![],
            skipped_total: 0,
            skipped_by_reason: Default::default(),
            progress,
            new_aliases: vec![],
            pending_fts: Default::default(),
            rel_seen: Default::default(),
            rec_rels: vec![],
            rec_rels_record: None,
            derive_ips: Default::default(),
            parented: Default::default(),
            blocks,
            makers: 0,
            fts_body: String::new(),
            event_counts: Default::default(),
            co_mentions: Default::default(),
        };
        match parse(&mut sink) {
            Ok(()) => {}
            Err(SinkError::Cancelled) => return Err(StoreError::Cancelled),
            Err(SinkError::Storage(e)) => return Err(StoreError::Invalid(e)),
        }
        sink.blocks.close(&tx, source_id, None).map_err(zstd)?;
        sink.flush_fts()?;
        sink.flush_rel_counts()?;
        sink.event_counts.flush(&tx)?;
        sink.co_mentions.flush(&tx)?;
        sink.link_aliases()?;
        sink.counts.relations += crate::merge::link_session_hosts(&tx, &sink.derive_ips)?;
        let folded = crate::merge::fold_parent_placeholders(&tx, &sink.parented)?;
        sink.counts.entities = sink.counts.entities.saturating_sub(folded);
        let TxSink {
            counts,
            merged,
            skipped,
            skipped_total,
            skipped_by_reason,
            ..
        } = sink;
        let sha256 = match later {
            None => meta.sha256.clone(),
            Some(hash) => {
                let h = hash().map_err(StoreError::Invalid)?;
                let prev: Option<String> = tx
                    .query_row("SELECT path FROM sources WHERE sha256 = ?1", [&h], |r| {
                        r.get(0)
                    })
                    .optional()?;
                if let Some(prev) = prev {
                    // the same bytes were imported before: nothing of this file is kept
                    drop(tx);
                    return Ok(ImportOutcome::duplicate(prev));
                }
                tx.execute(
                    "UPDATE sources SET sha256 = ?1 WHERE id = ?2",
                    params![h, source_id],
                )?;
                h
            }
        };
        let skipped_json = serde_json::to_string(&skipped).unwrap_or_default();
        let summary = serde_json::json!({"total": skipped_total, "by_reason": skipped_by_reason});
        tx.execute(
            "UPDATE sources SET counts = ?1, merged = ?2, skipped = ?3, skipped_summary = ?4 WHERE id = ?5",
            params![
                serde_json::to_string(&counts).unwrap_or_default(),
                merged as i64,
                skipped_json,
                summary.to_string(),
                source_id
            ],
        )?;
        // what this import wrote, so `verify` can recompute it: the sources row as written,
        // and per table the number and a digest of the rows from this source
        let tables = crate::integrity::import_digests(&tx, source_id, &before)?;
        audit(
            &tx,
            key.as_ref(),
            actor,
            "import",
            &format!("source:{source_id}"),
            &serde_json::json!({
                "path": meta.path, "typed_path": typed_path.unwrap_or(&meta.path), "sha256": sha256,
                "size": meta.size, "format": meta.format, "added": counts, "merged": merged,
                "skipped": skipped_total, "skipped_by_reason": skipped_by_reason,
                "skipped_digest": crate::integrity::text_digest(&skipped_json),
                "tables": tables,
            }),
        )?;
        commit(tx, key.as_ref())?;
        Ok(ImportOutcome {
            source_id: Some(source_id),
            duplicate_of: None,
            added: counts,
            merged,
            skipped,
            skipped_total,
            skipped_by_reason,
        })
    }
}

struct TxSink<'t, 'p> {
    tx: &'t Transaction<'t>,
    source_id: i64,
    counts: Counts,
    merged: u64,
    skipped: Vec<SkippedRecord>,
    skipped_total: u64,
    skipped_by_reason: std::collections::BTreeMap<String, u64>,
    progress: Progress<'p>,
    /// (entity id, alias) of entities this file created, linked to look-alikes at the end.
    new_aliases: Vec<(i64, String)>,
    /// Entity id → (label, FTS body, already indexed so delete first): see `index_entity`.
    pending_fts: std::collections::BTreeMap<i64, (String, String, bool)>,
    /// Entity → entity relations this file stored: `src dst kind props` → (row id, records).
    /// Bounded: counts are written and the map cleared at `REL_CACHE_CAP` entries.
    rel_seen: std::collections::HashMap<String, RelSeen>,
    /// Other relations of the current record, so a record states each one once.
    rec_rels: Vec<(NodeId, NodeId, String)>,
    rec_rels_record: Option<RecordNo>,
    /// IP addresses this file linked to a session (`from_ip`) or a host (`has_ip`).
    derive_ips: std::collections::BTreeSet<String>,
    /// Processes this file gave a parent (`ParentProcess`), see `merge::fold_parent_placeholders`.
    parented: std::collections::BTreeSet<String>,
    /// The blocks each event's fields are compressed in (see `crate::fields`).
    blocks: crate::fields::Blocks,
    /// Block makers handed to parsing threads so far (each file or member has its own).
    makers: u64,
    /// The search text of the current event (a buffer reused from event to event).
    fts_body: String,
    /// Events per (entity, source) this file added (see `crate::event_counts`).
    event_counts: crate::event_counts::Pending,
    /// Entity pairs related to one same event this file added (see `crate::co_mentions`).
    co_mentions: crate::co_mentions::Pending,
}

/// A per-file relation stored by this file: its row, how many records stated it, and (for
/// relations stated with a time) its props and the first and last time.
struct RelSeen {
    id: i64,
    n: u64,
    times: Option<(Map<String, Value>, String, String)>,
    changed: bool,
}

/// Cap of `TxSink::rel_seen` (entries).
const REL_CACHE_CAP: usize = 200_000;

/// Entity rows buffered before they are written to the FTS tables (see `index_entity`).
const FTS_BATCH: usize = 20_000;

fn st(e: rusqlite::Error) -> SinkError {
    SinkError::Storage(e.to_string())
}

fn json(v: &impl Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

impl TxSink<'_, '_> {
    fn register_keys(&self, id: i64, keys: &[&String]) -> Result<(), SinkError> {
        for k in keys {
            self.tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO entity_keys (key, entity_id) VALUES (?1, ?2)",
                )
                .and_then(|mut s| s.execute(params![k, id]))
                .map_err(st)?;
        }
        Ok(())
    }

    /// Index an entity for search (`search_fts`, `entity_fts`; its `search_docs` row is
    /// written at insert). Done here and not by triggers, and batched: FTS5 flushes its
    /// pending terms to a new segment whenever a rowid is not above the last one written (and
    /// at every statement savepoint, which a trigger opens). Events (rowid id·4) and entities
    /// (id·4+2) interleaved would flush at nearly every row; so event rows go in as they come
    /// (rising rowids) and entity rows are buffered and written in rowid order, at most
    /// `FTS_BATCH` at a time (memory stays bounded) and at the end of the file.
    fn index_entity(
        &mut self,
        id: i64,
        kind: &str,
        label: &str,
        props: &str,
        replace: bool,
    ) -> Result<(), SinkError> {
        let mut body = format!("{kind} ");
        let parsed: Map<String, Value> = serde_json::from_str(props).unwrap_or_default();
        crate::fts_body::push_fields(&mut body, &parsed);
        match self.pending_fts.get_mut(&id) {
            // not indexed yet: index the newest text once
            Some(p) => {
                p.0 = label.to_string();
                p.1 = body;
            }
            None => {
                self.pending_fts
                    .insert(id, (label.to_string(), body, replace));
            }
        }
        if self.pending_fts.len() >= FTS_BATCH {
            self.flush_fts().map_err(st)?;
        }
        Ok(())
    }

    /// Write the record counts of the per-file relations seen so far, and forget them.
    fn flush_rel_counts(&mut self) -> rusqlite::Result<()> {
        for (_, r) in self.rel_seen.drain() {
            match r.times {
                Some((mut props, first, last)) if r.changed => {
                    props.insert("first".into(), Value::String(first));
                    props.insert("last".into(), Value::String(last));
                    self.tx
                        .prepare_cached("UPDATE relations SET n = ?2, props = ?3 WHERE id = ?1")?
                        .execute(params![r.id, r.n as i64, json(&props)])?;
                }
                _ if r.n > 1 => {
                    self.tx
                        .prepare_cached("UPDATE relations SET n = ?2 WHERE id = ?1")?
                        .execute(params![r.id, r.n as i64])?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn flush_fts(&mut self) -> rusqlite::Result<()> {
        let pending = std::mem::take(&mut self.pending_fts);
        for (id, (_, _, replace)) in &pending {
            if *replace {
                self.tx
                    .prepare_cached("DELETE FROM search_fts WHERE rowid = ?1")?
                    .execute([id * 4 + 2])?;
                self.tx
                    .prepare_cached("DELETE FROM entity_fts WHERE rowid = ?1")?
                    .execute([id])?;
            }
        }
        for (id, (label, body, _)) in &pending {
            self.tx
                .prepare_cached("INSERT INTO search_fts(rowid, summary, body) VALUES (?1, ?2, ?3)")?
                .execute(params![id * 4 + 2, label, body])?;
        }
        for (id, (label, body, _)) in &pending {
            self.tx
                .prepare_cached("INSERT INTO entity_fts(rowid, summary, body) VALUES (?1, ?2, ?3)")?
                .execute(params![id, label, body])?;
        }
        Ok(())
    }

    /// "possibly the same as": every new entity with an alias gets a relation to each other
    /// entity sharing it (a weak bare name and a strong account of that name, say).
    fn link_aliases(&mut self) -> Result<()> {
        let aliases = std::mem::take(&mut self.new_aliases);
        for (id, alias) in aliases {
            let mut stmt = self
                .tx
                .prepare_cached("SELECT id FROM entities WHERE alias = ?1 AND id <> ?2")?;
            let others: Vec<i64> = stmt
                .query_map(params![alias, id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for o in others {
                let (a, b) = if id < o { (id, o) } else { (o, id) };
                let n = self.tx.execute(
                    "INSERT OR IGNORE INTO relations (src, dst, kind, props, source_id, record) VALUES (?1, ?2, 'possibly_same_as', ?3, NULL, NULL)",
                    params![NodeId::Entity(a).to_string(), NodeId::Entity(b).to_string(), json(&serde_json::json!({"alias": alias}))],
                )?;
                self.counts.relations += n as u64;
            }
        }
        Ok(())
    }
}

impl Sink for TxSink<'_, '_> {
    fn entity(
        &mut self,
        rec: &EntityRecord,
        host_key: Option<&str>,
        record: RecordNo,
    ) -> Result<(NodeId, String), SinkError> {
        let scope = format!(
            "s{}r{}#{}",
            self.source_id,
            record,
            self.counts.entities + self.merged
        );
        let ident = identify(rec, host_key, &scope);
        // the same entity if any of the record's strong keys is known (Sentinel: a shared
        // strong identifier); weak keys only ever match themselves
        let keys: Vec<&String> = std::iter::once(&ident.key)
            .chain(ident.also.iter())
            .collect();
        let mut existing: Option<(i64, String, String, String, String)> = None;
        for k in &keys {
            existing = self
                .tx
                .prepare_cached(
                    "SELECT e.id, e.props, e.key, e.kind, e.label FROM entity_keys k JOIN entities e ON e.id = k.entity_id WHERE k.key = ?1",
                )
                .and_then(|mut s| {
                    s.query_row([k], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })
                    .optional()
                })
                .map_err(st)?;
            if let Some((_, props, ..)) = &existing {
                if crate::merge::distinct_process(rec, props) {
                    // another process that shares a second-granular key (same image and
                    // command line started within a second): not this one
                    existing = None;
                    continue;
                }
                break;
            }
        }
        if let Some((id, props, canonical, kind, _label)) = existing {
            // merge: add properties this record knows and we did not; where both know one
            // and differ, keep the smaller value, so the result is the same whichever record
            // came first (a placeholder process named by its child, then its own record)
            let mut have: Map<String, Value> = serde_json::from_str(&props).unwrap_or_default();
            let mut changed = false;
            for (k, v) in &rec.props {
                if cb_domain::is_blank(v) {
                    continue;
                }
                let replace = match have.get(k) {
                    None => true,
                    Some(old) => cb_domain::is_blank(old) || crate::merge::smaller(v, old),
                };
                if replace {
                    have.insert(k.clone(), v.clone());
                    changed = true;
                }
            }
            if changed {
                let props = json(&have);
                // the upgraded entity's label and keys (a process that now has its pid and
                // creation time is also known by them)
                let merged = EntityRecord {
                    kind: kind.clone(),
                    props: have,
                };
                let up = identify(&merged, host_key, &scope);
                let label = up.label.clone();
                self.tx
                    .prepare_cached("UPDATE entities SET props = ?1, label = ?3 WHERE id = ?2")
                    .and_then(|mut s| s.execute(params![props, id, label]))
                    .map_err(st)?;
                self.index_entity(id, &kind, &label, &props, true)?;
                // (processes only: an account's merged name and domain may come from two
                // records and would make a key neither record had)
                if up.strength == cb_domain::Strength::Strong && kind == "process" {
                    let more: Vec<&String> =
                        std::iter::once(&up.key).chain(up.also.iter()).collect();
                    self.register_keys(id, &more)?;
                }
            }
            self.register_keys(id, &keys)?;
            self.merged += 1;
            // the stored key, so that what hangs off this entity (processes on a host) is
            // keyed the same whichever identifier this record used
            return Ok((NodeId::Entity(id), canonical));
        }
        let strength = serde_json::to_value(ident.strength)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let props = json(&rec.props);
        self.tx
            .prepare_cached(
                "INSERT INTO entities (kind, key, strength, label, alias, props, source_id, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![rec.kind, ident.key, strength, ident.label, ident.alias, props, self.source_id, record as i64])
            })
            .map_err(st)?;
        let id = self.tx.last_insert_rowid();
        self.tx
            .prepare_cached("INSERT INTO search_docs(d, time, source) VALUES (?1, NULL, 'Entity')")
            .and_then(|mut s| s.execute([id * 4 + 2]))
            .map_err(st)?;
        self.index_entity(id, &rec.kind, &ident.label, &props, false)?;
        self.register_keys(id, &keys)?;
        if let Some(a) = &ident.alias {
            self.new_aliases.push((id, a.clone()));
        }
        self.counts.entities += 1;
        Ok((NodeId::Entity(id), ident.key))
    }

    fn alert(
        &mut self,
        a: &AlertRecord,
        raw: &Value,
        record: RecordNo,
    ) -> Result<NodeId, SinkError> {
        let existing: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM alerts WHERE ext_id = ?1")
            .and_then(|mut s| s.query_row([&a.ext_id], |r| r.get(0)).optional())
            .map_err(st)?;
        if let Some(id) = existing {
            self.merged += 1;
            return Ok(NodeId::Alert(id));
        }
        self.tx
            .prepare_cached(
                "INSERT INTO alerts (ext_id, name, alert_type, severity, status, provider, product, vendor, description, remediation, tactics, techniques,
                 start_time, end_time, generated, compromised_entity, resource_id, extended, contains_alerts, raw, source_id, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    a.ext_id,
                    a.name,
                    a.alert_type,
                    a.severity.map(|s| s.rank()),
                    a.status.unwrap_or(cb_domain::Status::Active).as_str(),
                    a.provider,
                    a.product,
                    a.vendor,
                    a.description,
                    json(&a.remediation),
                    json(&a.tactics),
                    json(&a.techniques),
                    a.start,
                    a.end,
                    a.generated,
                    a.compromised_entity,
                    a.resource_id,
                    json(&a.extended),
                    json(&a.contains_alerts),
                    json(raw),
                    self.source_id,
                    record as i64
                ])
            })
            .map_err(st)?;
        self.counts.alerts += 1;
        Ok(NodeId::Alert(self.tx.last_insert_rowid()))
    }

    fn incident(
        &mut self,
        i: &IncidentRecord,
        raw: &Value,
        record: RecordNo,
    ) -> Result<NodeId, SinkError> {
        let existing: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM incidents WHERE ext_id = ?1")
            .and_then(|mut s| s.query_row([&i.ext_id], |r| r.get(0)).optional())
            .map_err(st)?;
        let id = match existing {
            Some(id) => {
                // a stub (an incident named by an alert list before its own record came)
                // gets the details; fields already known are kept
                self.tx
                    .prepare_cached(
                        "UPDATE incidents SET title = CASE WHEN title = '' THEN ?2 ELSE title END, number = coalesce(number, ?3),
                         severity = coalesce(severity, ?4), description = CASE WHEN description = '' THEN ?5 ELSE description END,
                         created = coalesce(created, ?6), first_activity = coalesce(first_activity, ?7), last_activity = coalesce(last_activity, ?8),
                         provider = CASE WHEN provider = '' THEN ?9 ELSE provider END, raw = CASE WHEN raw = 'null' THEN ?10 ELSE raw END
                         WHERE id = ?1",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            id,
                            i.title,
                            i.number,
                            i.severity.map(|s| s.rank()),
                            i.description,
                            i.created,
                            i.first_activity,
                            i.last_activity,
                            i.provider,
                            json(raw)
                        ])
                    })
                    .map_err(st)?;
                self.merged += 1;
                id
            }
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO incidents (ext_id, title, number, severity, status, classification, owner, description, created, first_activity,
                         last_activity, provider, tactics, labels, reason, props, raw, source_id, record)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            i.ext_id,
                            i.title,
                            i.number,
                            i.severity.map(|s| s.rank()),
                            i.status.unwrap_or(cb_domain::Status::Active).as_str(),
                            i.classification,
                            i.owner,
                            i.description,
                            i.created,
                            i.first_activity,
                            i.last_activity,
                            i.provider,
                            json(&i.tactics),
                            json(&i.labels),
                            i.reason,
                            json(&i.props),
                            json(raw),
                            self.source_id,
                            record as i64
                        ])
                    })
                    .map_err(st)?;
                self.counts.incidents += 1;
                self.tx.last_insert_rowid()
            }
        };
        for a in &i.alert_ext_ids {
            self.tx
                .prepare_cached("INSERT OR IGNORE INTO incident_alerts (incident_id, alert_ext_id) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute(params![id, a]))
                .map_err(st)?;
        }
        Ok(NodeId::Incident(id))
    }

    fn event(&mut self, e: &EventRecord, record: RecordNo) -> Result<NodeId, SinkError> {
        self.event_text(e, &json(&e.fields), &Default::default(), record)
    }

    fn event_text(
        &mut self,
        e: &EventRecord,
        fields_json: &str,
        prepared: &cb_domain::PreparedEvent,
        record: RecordNo,
    ) -> Result<NodeId, SinkError> {
        // the original fields, written once, compressed in blocks (see `crate::fields`): by
        // the parsing thread when it could (see `preparer`)
        let fields = self
            .blocks
            .add(
                self.tx,
                self.source_id,
                fields_json,
                prepared.fields.as_deref(),
            )
            .map_err(|e| SinkError::Storage(format!("zstd: {e}")))?;
        self.tx
            .prepare_cached(
                "INSERT INTO events (source_id, record, source, channel, event_id, time, summary, fields) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![self.source_id, record as i64, e.source, e.channel, e.event_id, e.time, e.summary, fields])
            })
            .map_err(st)?;
        let id = self.tx.last_insert_rowid();
        // the search index (see migration 3's comment and `crate::fts_body`)
        let mut body = std::mem::take(&mut self.fts_body);
        body.clear();
        let text: &str = match &prepared.search_text {
            Some(t) => t,
            None => {
                crate::fts_body::push_event(&mut body, e);
                &body
            }
        };
        self.tx
            .prepare_cached("INSERT INTO search_docs(d, time, source) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![id * 4, e.time, e.source]))
            .map_err(st)?;
        let r = self
            .tx
            .prepare_cached("INSERT INTO search_fts(rowid, summary, body) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![id * 4, e.summary, text]))
            .map_err(st);
        self.fts_body = body;
        r?;
        self.event_counts.event(id, &e.source);
        self.co_mentions.event(id);
        self.counts.events += 1;
        Ok(NodeId::Event(id))
    }

    /// The parsing thread cuts the file's events into blocks and compresses them (the very
    /// frames the writer would make, see `crate::fields`) and makes every event's search text;
    /// the writer, the import's bottleneck, only stores them. A new file or member begins a
    /// block of its own.
    fn preparer(&mut self) -> Option<cb_domain::EventPreparer> {
        // a failure here fails the next event (or the end of the import) with it
        let _ = self.blocks.close(self.tx, self.source_id, None);
        self.makers += 1;
        let mut blocks = crate::fields::BlockMaker::new(self.makers);
        Some(Box::new(move |e: &EventRecord, fields_json: &str| {
            let mut text = String::new();
            crate::fts_body::push_event(&mut text, e);
            cb_domain::PreparedEvent {
                fields: Some(blocks.add(fields_json)),
                search_text: Some(text),
            }
        }))
    }

    fn relation(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: RecordNo,
    ) -> Result<(), SinkError> {
        self.store_relation(from, to, kind, props, record, None)
    }

    fn relation_per_file(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: RecordNo,
    ) -> Result<(), SinkError> {
        self.store_relation(from, to, kind, props, record, Some(None))
    }

    fn relation_timed(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: RecordNo,
        time: Option<&str>,
    ) -> Result<(), SinkError> {
        self.store_relation(from, to, kind, props, record, Some(time))
    }

    fn key_before(
        &mut self,
        prefix: &str,
        upto: &str,
    ) -> Result<Option<(NodeId, String)>, SinkError> {
        self.tx
            .prepare_cached(
                "SELECT e.id, e.key FROM entity_keys k JOIN entities e ON e.id = k.entity_id WHERE k.key >= ?1 AND k.key <= ?2 ORDER BY k.key DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row(params![prefix, format!("{prefix}{upto}")], |r| {
                    Ok((NodeId::Entity(r.get(0)?), r.get::<_, String>(1)?))
                })
                .optional()
            })
            .map_err(st)
    }

    fn skip(&mut self, record: RecordNo, reason: String) {
        self.skipped_total += 1;
        let kind = reason_kind(&reason);
        if let Some(n) = self.skipped_by_reason.get_mut(&kind) {
            *n += 1;
        } else if self.skipped_by_reason.len() < SKIP_KINDS {
            self.skipped_by_reason.insert(kind, 1);
        } else {
            *self.skipped_by_reason.entry("other".into()).or_default() += 1;
        }
        if self.skipped.len() < SKIPPED_KEPT {
            // a reason quotes evidence: keep it short
            let reason = if reason.len() > 1000 {
                let mut end = 1000;
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}…", &reason[..end])
            } else {
                reason
            };
            self.skipped.push(SkippedRecord { record, reason });
        }
    }

    fn progress(&mut self, records: u64, bytes: u64) -> Result<(), SinkError> {
        if (self.progress)(records, bytes) {
            Ok(())
        } else {
            Err(SinkError::Cancelled)
        }
    }
}

impl TxSink<'_, '_> {
    /// One relation row, unless this record (or, `per_file` is `Some`, this file) already
    /// stated it; a per-file relation stated with a time keeps its first and last time.
    fn store_relation(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: RecordNo,
        per_file: Option<Option<&str>>,
    ) -> Result<(), SinkError> {
        let base = json(props);
        let mut stored = None;
        let key = if let Some(time) = per_file {
            let key = format!("{from}\x1f{to}\x1f{kind}\x1f{base}");
            if let Some(seen) = self.rel_seen.get_mut(&key) {
                seen.n += 1;
                seen.changed |= seen.n > 1;
                if let (Some(t), Some((_, first, last))) = (time, seen.times.as_mut()) {
                    if t < first.as_str() {
                        *first = t.to_string();
                    }
                    if t > last.as_str() {
                        *last = t.to_string();
                    }
                }
                return Ok(());
            }
            if let Some(t) = time {
                let mut p = props.clone();
                p.insert("first".into(), Value::String(t.to_string()));
                p.insert("last".into(), Value::String(t.to_string()));
                stored = Some(json(&p));
            }
            Some((
                key,
                time.map(|t| (props.clone(), t.to_string(), t.to_string())),
            ))
        } else {
            // anything else: once per record
            if self.rec_rels_record != Some(record) {
                self.rec_rels_record = Some(record);
                self.rec_rels.clear();
            }
            if self
                .rec_rels
                .iter()
                .any(|(a, b, k)| *a == from && *b == to && k == kind)
            {
                return Ok(());
            }
            self.rec_rels.push((from, to, kind.to_string()));
            None
        };
        let props = stored.unwrap_or(base);
        self.tx
            .prepare_cached("INSERT INTO relations (src, dst, kind, props, source_id, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .and_then(|mut s| s.execute(params![from.to_string(), to.to_string(), kind, props, self.source_id, record as i64]))
            .map_err(st)?;
        self.counts.relations += 1;
        if let (NodeId::Event(ev), NodeId::Entity(ent)) = (from, to) {
            if self.event_counts.mention(self.tx, ev, ent).map_err(st)? {
                self.event_counts.flush(self.tx).map_err(st)?;
            }
            if self.co_mentions.relation(self.tx, ev, ent).map_err(st)? {
                self.co_mentions.flush(self.tx).map_err(st)?;
            }
        }
        if kind == crate::merge::SESSION_FROM_IP || kind == crate::merge::HOST_HAS_IP {
            self.derive_ips.insert(to.to_string());
        }
        if kind == "ParentProcess" && self.parented.len() < REL_CACHE_CAP {
            self.parented.insert(from.to_string());
        }
        if let Some((key, times)) = key {
            if self.rel_seen.len() >= REL_CACHE_CAP {
                self.flush_rel_counts().map_err(st)?;
            }
            self.rel_seen.insert(
                key,
                RelSeen {
                    id: self.tx.last_insert_rowid(),
                    n: 1,
                    times,
                    changed: false,
                },
            );
        }
        Ok(())
    }
}
