//! `events.fields`, the original fields of an event: written once, compressed. Every reader
//! goes through this module: [`Fields::decode`] / [`Fields::decode_text`] in Rust
//! (`SqliteStore::fields`), and in SQL the expression [`sql`] makes (`cb_fields(…)`,
//! registered on every connection the store opens), e.g. `json_extract(<sql("fields")>, '$.X')`.
//!
//! Since schema 9 the fields of consecutive events of one file are compressed together: their
//! JSON texts, one after the other, make a block (at most [`BLOCK_BYTES`] of text or
//! [`BLOCK_EVENTS`] events), stored as one zstd frame in `field_blocks`; the event's `fields`
//! holds only where its text is (a BLOB: [`BLOCK_TAG`], then the block id, the offset and the
//! length as LEB128 varints, ~8 bytes). One event's JSON (~1–3 KiB) compressed alone shrank
//! ~3–5× even with a dictionary per source; a block of them shrinks ~8–30× (perf corpus, zstd
//! level 1: Sysmon 17×, Directory Service 34×), because events of one log repeat each other
//! far more than a dictionary can say. Reading one event decompresses its block (~128 KiB,
//! ~0.1 ms); a reader keeps the last few blocks it decompressed, so a scan in id order
//! decompresses each block once.
//!
//! Rows written by older versions stay as they were: schema 6–8 rows hold one zstd frame per
//! event (maybe with its source's dictionary from `field_dicts`, id = the zstd dictionary
//! id), older rows the JSON text itself (TEXT).
//!
//! Blocks are made on the importer's parsing thread (`BlockMaker`, through the sink's
//! preparer) and checked and stored by the writer (`Blocks`), which makes them itself for
//! events it was handed whole; both cut blocks by the same rule ([`full`]), so a case holds
//! the same bytes whichever thread compressed them.

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// zstd level 1 (fastest): on the perf corpus level 3 made frames ~20 % smaller but cost
/// more import time than it saved in writes (EVTX import: zstd was ~20 % of the CPU at 3).
pub const LEVEL: i32 = 1;

/// Name of the SQL function that turns a stored `fields` value (and its block) into its JSON
/// text; call it through [`sql`].
pub const SQL_FUNCTION: &str = "cb_fields";

/// Text in a block after which it is closed. Blocks of 32 KiB compressed the perf corpus
/// samples ~25 % worse than 128 KiB; 512 KiB gained ~5 % more at 4× the time to read one event.
pub const BLOCK_BYTES: usize = 128 << 10;
/// Events in a block at most (small events: reading one never decompresses thousands).
pub const BLOCK_EVENTS: usize = 256;
/// First byte of a `fields` value that says where in a block the text is (never the first
/// byte of a zstd frame, 0x28, nor of JSON text).
pub const BLOCK_TAG: u8 = 0xCB;
/// Text a stored block may claim to hold at most (see `Fields::block_text`).
const MAX_BLOCK_TEXT: u64 = 256 << 20;
/// Decompressed blocks a reader keeps.
const CACHED_BLOCKS: usize = 8;

/// Whether a block of `bytes` of text in `n` events is full (closed after its last event).
pub fn full(bytes: usize, n: usize) -> bool {
    bytes >= BLOCK_BYTES || n >= BLOCK_EVENTS
}

/// The SQL expression of the JSON text of the stored `fields` value `col` (a column or any
/// expression; it appears twice): `cb_fields` given the value and, for a value in a block,
/// the block (`cb_block(x)` is its id, NULL otherwise). The block is read through SQL, so it
/// is the one the statement sees (inside an import's transaction too).
pub fn sql(col: &str) -> String {
    format!("{SQL_FUNCTION}({col}, (SELECT data FROM field_blocks WHERE id = cb_block({col})))")
}

/// Where an event's text is: block id, offset and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InBlock {
    pub block: i64,
    pub offset: usize,
    pub len: usize,
}

impl InBlock {
    /// The stored `fields` value.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        out.push(BLOCK_TAG);
        for v in [self.block as u64, self.offset as u64, self.len as u64] {
            let mut v = v;
            loop {
                let b = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(b);
                    break;
                }
                out.push(b | 0x80);
            }
        }
        out
    }

    /// A stored `fields` value that says where its text is; `None` for any other value.
    pub fn decode(v: &[u8]) -> Option<InBlock> {
        let (&tag, mut rest) = v.split_first()?;
        if tag != BLOCK_TAG {
            return None;
        }
        let mut next = || {
            let mut v: u64 = 0;
            for shift in (0..64).step_by(7) {
                let (&b, r) = rest.split_first()?;
                rest = r;
                v |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    return Some(v);
                }
            }
            None
        };
        let (block, offset, len) = (next()?, next()?, next()?);
        rest.is_empty().then_some(InBlock {
            block: i64::try_from(block).ok()?,
            offset: usize::try_from(offset).ok()?,
            len: usize::try_from(len).ok()?,
        })
    }
}

/// Compresses blocks (zstd frames that record their content size), one compression context
/// kept from block to block.
#[derive(Default)]
struct BlockCompressor(Option<zstd::bulk::Compressor<'static>>);

impl BlockCompressor {
    fn compress(&mut self, text: &[u8]) -> std::io::Result<Vec<u8>> {
        let c = match &mut self.0 {
            Some(c) => c,
            None => {
                let mut c = zstd::bulk::Compressor::new(LEVEL)?;
                c.include_contentsize(true)?;
                c.include_checksum(false)?;
                self.0.insert(c)
            }
        };
        c.compress(text)
    }
}

/// The reader of a case's `fields`: its zstd dictionaries (schema 6–8 rows; loaded at open,
/// looked up in the case file when another process added one since) and the blocks it
/// decompressed last.
pub struct Fields {
    dicts: RwLock<HashMap<u32, Arc<zstd::dict::DecoderDictionary<'static>>>>,
    /// The case file (None in memory), to read a dictionary this process has not seen.
    path: Option<PathBuf>,
    /// The blocks decompressed last, newest last: (id, the stored frame, its text). A hit
    /// needs the very frame the statement read, so a block of an import that was rolled back
    /// (whose id a later import reuses) is never taken for another.
    blocks: Mutex<Vec<CachedBlock>>,
}

/// A decompressed block: its id, the frame it was stored as, its text.
type CachedBlock = (i64, Arc<[u8]>, Arc<[u8]>);

impl Fields {
    /// The dictionaries of the case behind `conn`.
    pub(crate) fn load(conn: &Connection, path: Option<PathBuf>) -> rusqlite::Result<Arc<Fields>> {
        let f = Fields {
            dicts: RwLock::new(HashMap::new()),
            path,
            blocks: Mutex::new(Vec::new()),
        };
        let mut stmt = conn.prepare("SELECT id, dict FROM field_dicts")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        for row in rows {
            let (id, dict) = row?;
            f.add(id as u32, &dict);
        }
        Ok(Arc::new(f))
    }

    fn add(&self, id: u32, dict: &[u8]) {
        let d = Arc::new(zstd::dict::DecoderDictionary::copy(dict));
        if let Ok(mut m) = self.dicts.write() {
            m.insert(id, d);
        }
    }

    fn dict(&self, id: u32) -> Option<Arc<zstd::dict::DecoderDictionary<'static>>> {
        if let Some(d) = self.dicts.read().ok()?.get(&id) {
            return Some(d.clone());
        }
        // added by another process after this one opened the case
        let path = self.path.as_ref()?;
        let conn =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
        let dict: Vec<u8> = conn
            .query_row(
                "SELECT dict FROM field_dicts WHERE id = ?1",
                [id as i64],
                |r| r.get(0),
            )
            .optional()
            .ok()??;
        self.add(id, &dict);
        self.dicts.read().ok()?.get(&id).cloned()
    }

    /// The JSON text of a stored `fields` value, read with `conn` (its block, for a value in
    /// one); `None` for NULL or a value that cannot be read.
    pub fn decode_text(&self, conn: &Connection, v: ValueRef<'_>) -> Option<String> {
        let block: Option<Vec<u8>> = match v {
            ValueRef::Blob(b) => match InBlock::decode(b) {
                Some(at) => Some(
                    conn.prepare_cached("SELECT data FROM field_blocks WHERE id = ?1")
                        .and_then(|mut s| s.query_row([at.block], |r| r.get(0)))
                        .ok()?,
                ),
                None => None,
            },
            _ => None,
        };
        self.text_of(v, block.as_deref())
    }

    /// The JSON text of a stored `fields` value given its block (`None` when it is not in one).
    fn text_of(&self, v: ValueRef<'_>, block: Option<&[u8]>) -> Option<String> {
        match v {
            ValueRef::Text(t) => String::from_utf8(t.to_vec()).ok(),
            ValueRef::Blob(b) => {
                if let Some(at) = InBlock::decode(b) {
                    let text = self.block_text(at.block, block?)?;
                    let end = at.offset.checked_add(at.len)?;
                    return String::from_utf8(text.get(at.offset..end)?.to_vec()).ok();
                }
                let text = match zstd::zstd_safe::get_dict_id_from_frame(b) {
                    None => zstd::stream::decode_all(b).ok()?,
                    Some(id) => {
                        let dict = self.dict(id.get())?;
                        let cap = zstd::zstd_safe::get_frame_content_size(b).ok()??;
                        let mut d =
                            zstd::bulk::Decompressor::with_prepared_dictionary(&dict).ok()?;
                        d.decompress(b, cap as usize).ok()?
                    }
                };
                String::from_utf8(text).ok()
            }
            _ => None,
        }
    }

    /// The text of block `id` stored as `frame`, from the cache when it holds that frame.
    fn block_text(&self, id: i64, frame: &[u8]) -> Option<Arc<[u8]>> {
        let mut cache = self.blocks.lock().ok()?;
        if let Some(i) = cache.iter().position(|(b, f, _)| *b == id && **f == *frame) {
            let hit = cache.remove(i);
            let text = hit.2.clone();
            cache.push(hit);
            return Some(text);
        }
        drop(cache);
        // a frame records its content size, allocated up front: refuse one that claims more
        // than any block holds (a block is under BLOCK_BYTES plus its last event, and an
        // event is at most the importer's record limit, 8 MiB unless raised)
        let size = zstd::zstd_safe::get_frame_content_size(frame).ok()??;
        if size > MAX_BLOCK_TEXT {
            return None;
        }
        let text: Arc<[u8]> = zstd::bulk::decompress(frame, size as usize).ok()?.into();
        let mut cache = self.blocks.lock().ok()?;
        if cache.len() >= CACHED_BLOCKS {
            cache.remove(0);
        }
        cache.push((id, frame.into(), text.clone()));
        Some(text)
    }

    /// The fields of a stored `fields` value (empty when it cannot be read).
    pub fn decode(&self, conn: &Connection, v: ValueRef<'_>) -> Map<String, Value> {
        self.decode_text(conn, v)
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Register `cb_fields(x, block)` on `conn` (the JSON text of a stored `fields` value,
    /// NULL when it cannot be read) and `cb_block(x)` (the id of its block, NULL when it is
    /// not in one), so SQL reads the fields of old and new rows alike (see [`sql`]).
    pub(crate) fn register(self: &Arc<Self>, conn: &Connection) -> rusqlite::Result<()> {
        let me = self.clone();
        let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
        conn.create_scalar_function(SQL_FUNCTION, 2, flags, move |ctx| {
            let block = match ctx.get_raw(1) {
                ValueRef::Blob(b) => Some(b),
                _ => None,
            };
            Ok(me.text_of(ctx.get_raw(0), block))
        })?;
        conn.create_scalar_function("cb_block", 1, flags, move |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Blob(b) => InBlock::decode(b).map(|at| at.block),
                _ => None,
            })
        })
    }
}

/// The writer's side of the blocks of one import (see the module's comment): every event's
/// text goes into the open block, which is stored when it is full, when another file (or
/// archive member) begins, and at the end of the import.
pub(crate) struct Blocks {
    next_id: i64,
    open: Open,
    zstd: BlockCompressor,
    /// A block that could not be stored: every later call fails with it (the import with it).
    failed: Option<String>,
}

#[derive(Default)]
struct Open {
    id: Option<i64>,
    text: Vec<u8>,
    n: usize,
    /// The parsing thread's block maker whose events these are, while every one of them came
    /// from it, at the offset it said: then its frame holds this very text.
    from: Option<u64>,
    agreed: bool,
}

impl Blocks {
    /// At the start of an import's transaction: block ids go on after the case's highest.
    pub(crate) fn start(tx: &Connection) -> rusqlite::Result<Blocks> {
        Ok(Blocks {
            next_id: tx.query_row("SELECT ifnull(max(id), 0) + 1 FROM field_blocks", [], |r| {
                r.get(0)
            })?,
            open: Open::default(),
            zstd: BlockCompressor::default(),
            failed: None,
        })
    }

    fn check(&self) -> std::io::Result<()> {
        match &self.failed {
            Some(e) => Err(std::io::Error::other(e.clone())),
            None => Ok(()),
        }
    }

    /// Put an event's fields `json` in the open block (`prepared`: what a [`BlockMaker`] made
    /// of it, if one did) and give the value its `fields` column holds.
    pub(crate) fn add(
        &mut self,
        tx: &Connection,
        source_id: i64,
        json: &str,
        prepared: Option<&[u8]>,
    ) -> std::io::Result<Vec<u8>> {
        self.check()?;
        let o = &mut self.open;
        // a new block (`store` left the text, count and maker cleared)
        let id = *o.id.get_or_insert_with(|| {
            o.agreed = true;
            self.next_id += 1;
            self.next_id - 1
        });
        let offset = o.text.len();
        let frame = match prepared.and_then(Prepared::decode) {
            Some(p) => {
                if *o.from.get_or_insert(p.maker) != p.maker || p.offset != offset {
                    o.agreed = false;
                }
                p.frame
            }
            None => {
                o.agreed = false;
                None
            }
        };
        o.text.extend_from_slice(json.as_bytes());
        o.n += 1;
        let at = InBlock {
            block: id,
            offset,
            len: json.len(),
        };
        if full(o.text.len(), o.n) {
            self.close(tx, source_id, frame)?;
        } else if frame.is_some() {
            // the maker closed a block here, this side did not: they disagree from now on
            o.agreed = false;
        }
        Ok(at.encode())
    }

    /// Store the open block (if any): `frame` when the parsing thread made it from this very
    /// text, else compressed here.
    pub(crate) fn close(
        &mut self,
        tx: &Connection,
        source_id: i64,
        frame: Option<&[u8]>,
    ) -> std::io::Result<()> {
        self.check()?;
        let r = self.store(tx, source_id, frame);
        if let Err(e) = &r {
            self.failed = Some(format!("block of fields: {e}"));
        }
        r
    }

    fn store(
        &mut self,
        tx: &Connection,
        source_id: i64,
        frame: Option<&[u8]>,
    ) -> std::io::Result<()> {
        let o = &mut self.open;
        let Some(id) = o.id.take() else {
            return Ok(());
        };
        let made;
        let data = match frame {
            Some(f)
                if o.agreed
                    && zstd::zstd_safe::get_frame_content_size(f).ok().flatten()
                        == Some(o.text.len() as u64) =>
            {
                f
            }
            _ => {
                made = self.zstd.compress(&o.text)?;
                &made[..]
            }
        };
        tx.prepare_cached("INSERT INTO field_blocks (id, source_id, data) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(rusqlite::params![id, source_id, data]))
            .map_err(std::io::Error::other)?;
        o.text.clear();
        o.n = 0;
        o.from = None;
        Ok(())
    }
}

/// The parsing thread's side of the blocks (see the module's comment): cuts the events of
/// one file into blocks by the writer's rule and compresses each block as it closes.
pub(crate) struct BlockMaker {
    id: u64,
    text: Vec<u8>,
    n: usize,
    zstd: BlockCompressor,
}

/// What a [`BlockMaker`] says of one event: which maker, the event's offset in its block and,
/// for the event that closed a block, the block's frame.
struct Prepared<'a> {
    maker: u64,
    offset: usize,
    frame: Option<&'a [u8]>,
}

impl Prepared<'_> {
    fn decode(b: &[u8]) -> Option<Prepared<'_>> {
        let maker = u64::from_le_bytes(b.get(..8)?.try_into().ok()?);
        let offset = u64::from_le_bytes(b.get(8..16)?.try_into().ok()?);
        let frame = (b.len() > 16).then(|| &b[16..]);
        Some(Prepared {
            maker,
            offset: usize::try_from(offset).ok()?,
            frame,
        })
    }
}

impl BlockMaker {
    /// `id` tells this maker's events from another's (one maker per file or member).
    pub(crate) fn new(id: u64) -> BlockMaker {
        BlockMaker {
            id,
            text: Vec::new(),
            n: 0,
            zstd: BlockCompressor::default(),
        }
    }

    /// What the writer's [`Blocks::add`] takes as `prepared` for an event with fields `json`.
    pub(crate) fn add(&mut self, json: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&(self.text.len() as u64).to_le_bytes());
        self.text.extend_from_slice(json.as_bytes());
        self.n += 1;
        if full(self.text.len(), self.n) {
            // a block this side fails to compress the writer compresses itself
            if let Ok(frame) = self.zstd.compress(&self.text) {
                out.extend_from_slice(&frame);
            }
            self.text.clear();
            self.n = 0;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case() -> (Connection, Arc<Fields>) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE sources (id INTEGER PRIMARY KEY); CREATE TABLE field_dicts (id INTEGER PRIMARY KEY, source TEXT NOT NULL, dict BLOB NOT NULL, source_id INTEGER); CREATE TABLE field_blocks (id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, data BLOB NOT NULL); CREATE TABLE events (id INTEGER PRIMARY KEY, fields)")
            .unwrap();
        let f = Fields::load(&conn, None).unwrap();
        f.register(&conn).unwrap();
        (conn, f)
    }

    fn event(i: usize) -> String {
        format!(
            r#"{{"EventID":{},"Channel":"Microsoft-Windows-Sysmon/Operational","Image":"C:\\Windows\\System32\\svc{}.exe","ProcessId":"{}","Hostname":"WORKSTATION{}.theshire.local","Message":"é {}"}}"#,
            i % 30,
            i % 97,
            1000 + i * 7,
            i % 5,
            "x".repeat(i % 300)
        )
    }

    /// `n` events stored through `Blocks` (the writer alone, or with what a `BlockMaker`
    /// made of each); their stored values, in order.
    fn store(conn: &Connection, texts: &[String], maker: Option<&mut BlockMaker>) -> Vec<Vec<u8>> {
        let mut blocks = Blocks::start(conn).unwrap();
        let mut maker = maker;
        let mut out = vec![];
        for t in texts {
            let prepared = maker.as_mut().map(|m| m.add(t));
            let v = blocks.add(conn, 1, t, prepared.as_deref()).unwrap();
            conn.execute("INSERT INTO events (fields) VALUES (?1)", [&v])
                .unwrap();
            out.push(v);
        }
        blocks.close(conn, 1, None).unwrap();
        out
    }

    fn rows(conn: &Connection, sql: &str) -> Vec<(i64, Vec<u8>)> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn events_in_blocks_read_back_in_rust_and_sql_whichever_thread_made_the_blocks() {
        let texts: Vec<String> = (0..2000).map(event).collect();
        let raw: usize = texts.iter().map(String::len).sum();
        let (alone, fa) = case();
        let (threaded, ft) = case();
        let _ = &ft;
        let a = store(&alone, &texts, None);
        let t = store(&threaded, &texts, Some(&mut BlockMaker::new(1)));
        assert_eq!(a, t, "the stored values differ");
        let blocks_a = rows(&alone, "SELECT id, data FROM field_blocks ORDER BY id");
        assert_eq!(
            blocks_a,
            rows(&threaded, "SELECT id, data FROM field_blocks ORDER BY id")
        );
        // cut by the rule: every block but the last is full, the last is not empty
        let expect = {
            let (mut n, mut bytes, mut blocks) = (0, 0, 0);
            for t in &texts {
                n += 1;
                bytes += t.len();
                if full(bytes, n) {
                    blocks += 1;
                    (n, bytes) = (0, 0);
                }
            }
            blocks + usize::from(n > 0)
        };
        assert_eq!(blocks_a.len(), expect);
        assert!(blocks_a.len() > 2, "{} blocks", blocks_a.len());
        let stored: usize = blocks_a.iter().map(|b| b.1.len()).sum::<usize>()
            + a.iter().map(Vec::len).sum::<usize>();
        assert!(stored * 5 < raw, "{stored} bytes stored for {raw}");
        for (i, v) in a.iter().enumerate() {
            assert_eq!(
                fa.decode_text(&alone, ValueRef::Blob(v)).as_deref(),
                Some(texts[i].as_str())
            );
        }
        // SQL, in id order and backwards (the cache holds a few blocks, never a wrong one)
        for order in ["ASC", "DESC"] {
            let got: Vec<String> = alone
                .prepare(&format!(
                    "SELECT {} FROM events ORDER BY id {order}",
                    sql("fields")
                ))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let mut want = texts.clone();
            if order == "DESC" {
                want.reverse();
            }
            assert_eq!(got, want);
        }
        let image: String = alone
            .query_row(
                &format!(
                    "SELECT json_extract({}, '$.Image') FROM events WHERE id = 98",
                    sql("fields")
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(image, r"C:\Windows\System32\svc0.exe");
        assert_eq!(
            fa.decode(&alone, ValueRef::Blob(&a[97]))["EventID"],
            97 % 30
        );
    }

    #[test]
    fn a_block_replaced_under_its_id_is_read_anew_and_a_bad_reference_reads_nothing() {
        let (conn, f) = case();
        let texts: Vec<String> = (0..10).map(event).collect();
        let v = store(&conn, &texts, None);
        assert_eq!(
            f.decode_text(&conn, ValueRef::Blob(&v[3])).as_deref(),
            Some(texts[3].as_str())
        );
        // an import rolled back and a later one used the same block id for other events
        let other: Vec<String> = (500..510).map(event).collect();
        conn.execute_batch("DELETE FROM field_blocks; DELETE FROM events")
            .unwrap();
        let w = store(&conn, &other, None);
        let block = |x: &[u8]| InBlock::decode(x).unwrap().block;
        assert_eq!(block(&v[3]), block(&w[3]), "the same block id");
        assert_eq!(
            f.decode_text(&conn, ValueRef::Blob(&w[3])).as_deref(),
            Some(other[3].as_str())
        );
        // out of its block, a block that is not there, a broken reference
        let past = InBlock {
            block: 1,
            offset: 1 << 20,
            len: 10,
        }
        .encode();
        let missing = InBlock {
            block: 99,
            offset: 0,
            len: 10,
        }
        .encode();
        for bad in [
            &past[..],
            &missing[..],
            &[BLOCK_TAG, 0x80][..],
            &[BLOCK_TAG][..],
        ] {
            assert_eq!(f.decode_text(&conn, ValueRef::Blob(bad)), None);
        }
        assert!(f.decode(&conn, ValueRef::Null).is_empty());
        for x in [0u64, 1, 127, 128, 300, 1 << 40] {
            let at = InBlock {
                block: x as i64,
                offset: x as usize,
                len: 7,
            };
            assert_eq!(InBlock::decode(&at.encode()), Some(at));
        }
    }

    #[test]
    fn an_event_larger_than_a_block_closes_its_block_and_reads_back() {
        let (conn, f) = case();
        let big = format!(
            r#"{{"ScriptBlockText":"{}"}}"#,
            "Get-Process; ".repeat(40_000)
        );
        assert!(big.len() > 3 * BLOCK_BYTES);
        let texts = vec![event(1), big.clone(), event(2), big, event(3)];
        let v = store(&conn, &texts, Some(&mut BlockMaker::new(1)));
        let at: Vec<InBlock> = v.iter().map(|x| InBlock::decode(x).unwrap()).collect();
        // [small, big] [small, big] [small]
        assert_eq!(
            at.iter().map(|a| a.block).collect::<Vec<_>>(),
            [1, 1, 2, 2, 3]
        );
        for (i, x) in v.iter().enumerate() {
            assert_eq!(
                f.decode_text(&conn, ValueRef::Blob(x)).as_deref(),
                Some(texts[i].as_str())
            );
        }
    }

    #[test]
    fn a_maker_out_of_step_with_the_writer_leaves_the_blocks_to_the_writer() {
        let texts: Vec<String> = (0..1500).map(event).collect();
        let (alone, _) = case();
        let want = store(&alone, &texts, None);
        let want_blocks = rows(&alone, "SELECT id, data FROM field_blocks ORDER BY id");
        // the maker saw one event the writer never got: its blocks hold other text
        let (threaded, f) = case();
        let mut maker = BlockMaker::new(7);
        let _ = maker.add(&event(99_999));
        let got = store(&threaded, &texts, Some(&mut maker));
        assert_eq!(got, want);
        assert_eq!(
            rows(&threaded, "SELECT id, data FROM field_blocks ORDER BY id"),
            want_blocks
        );
        assert_eq!(
            f.decode_text(&threaded, ValueRef::Blob(&got[1400]))
                .as_deref(),
            Some(texts[1400].as_str())
        );
    }

    #[test]
    fn rows_of_older_imports_read_as_they_were_written() {
        let (conn, f) = case();
        let json = event(3);
        // schema 6–8: one zstd frame per event, alone or with its source's dictionary
        let alone = zstd::bulk::compress(json.as_bytes(), LEVEL).unwrap();
        let samples: Vec<Vec<u8>> = (0..2000).map(|i| event(i).into_bytes()).collect();
        let dict = zstd::dict::from_samples(&samples, 16 << 10).unwrap();
        let id = zstd::zstd_safe::get_dict_id_from_dict(&dict).unwrap().get();
        conn.execute(
            "INSERT INTO field_dicts (id, source, dict, source_id) VALUES (?1, 'Sysmon', ?2, 1)",
            rusqlite::params![id as i64, dict],
        )
        .unwrap();
        let mut c = zstd::bulk::Compressor::with_dictionary(LEVEL, &dict).unwrap();
        c.include_contentsize(true).unwrap();
        c.include_dictid(true).unwrap();
        let with = c.compress(json.as_bytes()).unwrap();
        assert!(zstd::zstd_safe::get_dict_id_from_frame(&with).is_some());
        // a reader that loads the case afresh (the dictionary from the case)
        let fresh = Fields::load(&conn, None).unwrap();
        for v in [&alone, &with] {
            assert_eq!(
                fresh.decode_text(&conn, ValueRef::Blob(v)).as_deref(),
                Some(json.as_str())
            );
        }
        // before schema 6: the text itself
        assert_eq!(
            f.decode_text(&conn, ValueRef::Text(json.as_bytes()))
                .as_deref(),
            Some(json.as_str())
        );
        assert!(f.decode(&conn, ValueRef::Blob(b"not zstd")).is_empty());
        let got: String = conn
            .query_row(
                &format!(
                    "SELECT json_extract({}, '$.EventID') || '|' || json_extract({}, '$.EventID')",
                    sql("?1"),
                    sql("?2")
                ),
                rusqlite::params![alone, json],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(got, "3|3");
    }
}
