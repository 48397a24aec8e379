//! `events.fields`, the original fields of an event: written once, compressed. Since schema 6
//! a row holds its fields' JSON text compressed as one zstd frame (a BLOB); rows written by
//! older versions hold the JSON text itself (TEXT). Every reader goes through this module:
//! [`Fields::decode`] / [`Fields::decode_text`] in Rust (`SqliteStore::fields`), and the SQL
//! function `cb_fields(fields)` (registered on every connection the store opens) in SQL, e.g.
//! `json_extract(cb_fields(fields), '$.X')`.
//!
//! One event's JSON is small (~1–3 KiB), and alone it compresses ~3×; with a dictionary of
//! what events of one source have in common (field names, channels, paths) ~10×. So the first
//! events of each source (`events.source`) are compressed alone while their text is kept as
//! samples (at most [`SAMPLE_BYTES`]); then that source's dictionary is trained from them,
//! stored in `field_dicts`
//! (its zstd dictionary id is the row id; each frame names the id of the dictionary it needs)
//! and every later event of that source is compressed with it. A dictionary is only ever added,
//! in the import transaction that first uses it: rolled back with it, never half there.

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// zstd level 1 (fastest): on the perf corpus level 3 made frames ~20 % smaller but cost
/// more import time than it saved in writes (EVTX import: zstd was ~20 % of the CPU at 3).
pub const LEVEL: i32 = 1;

/// Name of the SQL function that turns a stored `fields` value into its JSON text.
pub const SQL_FUNCTION: &str = "cb_fields";

/// Sample text gathered before a case's dictionary is trained (bounds memory). 1 MiB trains
/// in ~0.1 s; 4 MiB made a dictionary ~12 % better at ~4× the training time.
pub const SAMPLE_BYTES: usize = 1 << 20;
/// Size of the trained dictionary.
const DICT_BYTES: usize = 32 << 10;
/// Fewer samples than this make no useful dictionary: keep compressing events alone (large
/// records such as PowerShell script blocks give few samples per MiB, and gain the most).
const MIN_SAMPLES: usize = 16;

/// The dictionaries of one case, for readers: loaded at open, added to when an import trains
/// one, and looked up in the case file when another process added one since.
pub struct Fields {
    dicts: RwLock<HashMap<u32, Arc<zstd::dict::DecoderDictionary<'static>>>>,
    /// The case file (None in memory), to read a dictionary this process has not seen.
    path: Option<PathBuf>,
}

impl Fields {
    /// The dictionaries of the case behind `conn`.
    pub(crate) fn load(conn: &Connection, path: Option<PathBuf>) -> rusqlite::Result<Arc<Fields>> {
        let f = Fields {
            dicts: RwLock::new(HashMap::new()),
            path,
        };
        let mut stmt = conn.prepare("SELECT id, dict FROM field_dicts")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        for row in rows {
            let (id, dict) = row?;
            f.add(id as u32, &dict);
        }
        Ok(Arc::new(f))
    }

    pub(crate) fn add(&self, id: u32, dict: &[u8]) {
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

    /// The JSON text of a stored `fields` value: a zstd frame (schema 6 on), or the text itself
    /// (rows written before); `None` for NULL or a value that cannot be read.
    pub fn decode_text(&self, v: ValueRef<'_>) -> Option<String> {
        match v {
            ValueRef::Text(t) => String::from_utf8(t.to_vec()).ok(),
            ValueRef::Blob(b) => {
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

    /// The fields of a stored `fields` value (empty when it cannot be read).
    pub fn decode(&self, v: ValueRef<'_>) -> Map<String, Value> {
        self.decode_text(v)
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Register `cb_fields(x)` on `conn`: the JSON text of a stored `fields` value (NULL when
    /// it cannot be read), so SQL reads the fields of old and new rows alike.
    pub(crate) fn register(self: &Arc<Self>, conn: &Connection) -> rusqlite::Result<()> {
        let me = self.clone();
        conn.create_scalar_function(
            SQL_FUNCTION,
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            move |ctx| Ok(me.decode_text(ctx.get_raw(0))),
        )
    }
}

/// The writer of events' fields, kept by the store from import to import (its samples too, so
/// a folder of small files still gets dictionaries): compresses each event's fields, with the
/// dictionary of its source (`Sysmon`, `SecurityEvent`, `WindowsEvent`…) once the case has
/// one, training it when [`SAMPLE_BYTES`] of that source's events are in.
pub(crate) struct Encoder {
    plain: zstd::bulk::Compressor<'static>,
    sources: HashMap<String, PerSource>,
}

#[derive(Default)]
struct PerSource {
    /// The dictionary's id, a compressor with it, and its bytes (for [`Encoder::off_thread`]).
    dict: Option<(u32, zstd::bulk::Compressor<'static>, Arc<[u8]>)>,
    samples: Vec<Vec<u8>>,
    sample_bytes: usize,
    /// Training failed: compress this source's events alone from now on.
    no_dict: bool,
}

/// Sources that gather samples (bounds memory at `MAX_SOURCES` × [`SAMPLE_BYTES`]); events
/// of further sources are compressed alone.
const MAX_SOURCES: usize = 32;

impl Encoder {
    pub(crate) fn new() -> std::io::Result<Encoder> {
        let mut plain = zstd::bulk::Compressor::new(LEVEL)?;
        // the frame records its content size, so a reader allocates the text once
        plain.include_contentsize(true)?;
        plain.include_checksum(false)?;
        Ok(Encoder {
            plain,
            sources: HashMap::new(),
        })
    }

    /// At the start of an import: use the case's dictionaries as `tx` has them (not those of
    /// an import that was rolled back).
    pub(crate) fn sync(&mut self, tx: &Connection) -> std::io::Result<()> {
        let mut stmt = tx
            .prepare("SELECT source, id, dict FROM field_dicts ORDER BY id")
            .map_err(std::io::Error::other)?;
        let rows: Vec<(String, i64, Vec<u8>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|r| r.collect())
            .map_err(std::io::Error::other)?;
        let mut stored = std::collections::HashSet::new();
        for (source, id, d) in rows {
            if !stored.insert(source.clone()) {
                continue;
            }
            let e = self.sources.entry(source).or_default();
            if e.dict.as_ref().map(|x| x.0) != Some(id as u32) {
                e.dict = Some((id as u32, Self::dict_compressor(&d)?, d.into()));
            }
            e.samples = vec![];
            e.sample_bytes = 0;
        }
        for (source, e) in self.sources.iter_mut() {
            if !stored.contains(source) {
                e.dict = None;
            }
        }
        Ok(())
    }

    fn dict_compressor(dict: &[u8]) -> std::io::Result<zstd::bulk::Compressor<'static>> {
        let mut c = zstd::bulk::Compressor::with_dictionary(LEVEL, dict)?;
        c.include_contentsize(true)?;
        c.include_checksum(false)?;
        c.include_dictid(true)?;
        Ok(c)
    }

    #[cfg(test)]
    fn has_dict(&self, source: &str) -> bool {
        self.sources.get(source).is_some_and(|e| e.dict.is_some())
    }

    /// The stored form of a fields JSON text of an event of `source`; trains that source's
    /// dictionary (and stores it in `tx` as owned by the import of `source_id`, adding it to
    /// `readers`) when enough samples are in.
    pub(crate) fn encode(
        &mut self,
        json: &str,
        source: &str,
        source_id: i64,
        tx: &Connection,
        readers: &Fields,
    ) -> std::io::Result<Vec<u8>> {
        if let Some((_, c, _)) = self.sources.get_mut(source).and_then(|e| e.dict.as_mut()) {
            return c.compress(json.as_bytes());
        }
        let out = self.plain.compress(json.as_bytes())?;
        if !self.sources.contains_key(source) && self.sources.len() >= MAX_SOURCES {
            return Ok(out);
        }
        let e = self.sources.entry(source.to_string()).or_default();
        if !e.no_dict {
            e.sample_bytes += json.len();
            e.samples.push(json.as_bytes().to_vec());
            if e.sample_bytes >= SAMPLE_BYTES {
                Self::train(e, source, source_id, tx, readers)?;
            }
        }
        Ok(out)
    }

    fn train(
        e: &mut PerSource,
        source: &str,
        source_id: i64,
        tx: &Connection,
        readers: &Fields,
    ) -> std::io::Result<()> {
        let samples = std::mem::take(&mut e.samples);
        e.sample_bytes = 0;
        e.no_dict = true;
        if samples.len() < MIN_SAMPLES {
            return Ok(());
        }
        let Ok(dict) = zstd::dict::from_samples(&samples, DICT_BYTES) else {
            return Ok(());
        };
        let Some(id) = zstd::zstd_safe::get_dict_id_from_dict(&dict) else {
            return Ok(());
        };
        let id = id.get();
        tx.execute(
            // the import that trained it owns it: the dictionary is in that import's signed
            // digests, so `verify` names a dictionary edited outside Caseboard
            "INSERT OR IGNORE INTO field_dicts (id, source, dict, source_id) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![id as i64, source, dict, source_id],
        )
        .map_err(std::io::Error::other)?;
        let stored: Vec<u8> = tx
            .query_row(
                "SELECT dict FROM field_dicts WHERE id = ?1",
                [id as i64],
                |r| r.get(0),
            )
            .map_err(std::io::Error::other)?;
        if stored != dict {
            // another dictionary has that id: compress alone
            return Ok(());
        }
        readers.add(id, &dict);
        e.no_dict = false;
        e.dict = Some((id, Self::dict_compressor(&dict)?, dict.into()));
        Ok(())
    }

    /// A compressor for another thread with this encoder's dictionaries as they are now: it
    /// makes, for events of a source that has one, the very frame [`Encoder::encode`] would
    /// (same level, dictionary and frame flags); events of other sources it leaves to
    /// `encode`, which gathers samples and trains. Made per file or archive member, so it
    /// only shares the dictionaries' bytes; a source's compressor is built at its first event.
    pub(crate) fn off_thread(&self) -> OffThread {
        let dicts = self
            .sources
            .iter()
            .filter_map(|(source, e)| Some((source.clone(), e.dict.as_ref()?.2.clone())))
            .collect();
        OffThread {
            dicts,
            by_source: HashMap::new(),
        }
    }
}

/// See [`Encoder::off_thread`].
pub(crate) struct OffThread {
    dicts: HashMap<String, Arc<[u8]>>,
    by_source: HashMap<String, zstd::bulk::Compressor<'static>>,
}

impl OffThread {
    /// The stored form of the fields JSON text of an event of `source`, when this thread can
    /// make it.
    pub(crate) fn compress(&mut self, source: &str, json: &str) -> Option<Vec<u8>> {
        if !self.by_source.contains_key(source) {
            // tried once: a dictionary zstd refuses leaves its source to `encode`
            let c = Encoder::dict_compressor(&self.dicts.remove(source)?).ok()?;
            self.by_source.insert(source.to_string(), c);
        }
        self.by_source
            .get_mut(source)?
            .compress(json.as_bytes())
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case() -> (Connection, Arc<Fields>) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE sources (id INTEGER PRIMARY KEY); CREATE TABLE field_dicts (id INTEGER PRIMARY KEY, source TEXT NOT NULL, dict BLOB NOT NULL, source_id INTEGER)")
            .unwrap();
        let f = Fields::load(&conn, None).unwrap();
        f.register(&conn).unwrap();
        (conn, f)
    }

    #[test]
    fn round_trip_and_old_rows() {
        let (conn, f) = case();
        let json = r#"{"Image":"C:\\Windows\\System32\\cmd.exe","EventID":1,"Message":"Process Create: Image: C:\\Windows\\System32\\cmd.exe"}"#;
        let blob = Encoder::new()
            .unwrap()
            .encode(json, "Sysmon", 1, &conn, &f)
            .unwrap();
        assert!(blob.len() < json.len());
        assert_eq!(f.decode_text(ValueRef::Blob(&blob)).as_deref(), Some(json));
        // a row written before schema 6: the text itself
        assert_eq!(
            f.decode_text(ValueRef::Text(json.as_bytes())).as_deref(),
            Some(json)
        );
        assert_eq!(f.decode(ValueRef::Blob(&blob))["EventID"], 1);
        assert!(f.decode(ValueRef::Blob(b"not zstd")).is_empty());
        assert!(f.decode(ValueRef::Null).is_empty());
        let image: String = conn
            .query_row(
                "SELECT json_extract(cb_fields(?1), '$.Image') || '|' || json_extract(cb_fields(?2), '$.EventID')",
                rusqlite::params![blob, json],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(image, r"C:\Windows\System32\cmd.exe|1");
    }

    #[test]
    fn a_dictionary_is_trained_stored_and_read_by_another_reader() {
        let (conn, f) = case();
        let mut enc = Encoder::new().unwrap();
        enc.sync(&conn).unwrap();
        assert!(!enc.has_dict("Sysmon"));
        let ev = |i: usize| {
            format!(
                r#"{{"EventID":{},"Channel":"Microsoft-Windows-Sysmon/Operational","Image":"C:\\Windows\\System32\\svc{}.exe","ProcessId":"{}","Hostname":"WORKSTATION{}.theshire.local"}}"#,
                i % 30,
                i % 97,
                1000 + i * 7,
                i % 5
            )
        };
        let mut blobs = vec![];
        let mut i = 0;
        while !enc.has_dict("Sysmon") {
            blobs.push((ev(i), enc.encode(&ev(i), "Sysmon", 1, &conn, &f).unwrap()));
            i += 1;
            assert!(i < 200_000, "no dictionary trained");
        }
        let n: i64 = conn
            .query_row("SELECT count(*) FROM field_dicts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        let alone = blobs.last().unwrap().1.len();
        for k in i..i + 50 {
            blobs.push((ev(k), enc.encode(&ev(k), "Sysmon", 1, &conn, &f).unwrap()));
        }
        let with = blobs.last().unwrap().1.len();
        assert!(with < alone, "dictionary {with} bytes, alone {alone}");
        // a reader that loads the case afresh reads every frame, with or without dictionary
        let fresh = Fields::load(&conn, None).unwrap();
        for (json, b) in &blobs {
            assert_eq!(
                fresh.decode_text(ValueRef::Blob(b)).as_deref(),
                Some(json.as_str())
            );
        }
        // a later import uses the stored dictionary from its first event
        let mut again = Encoder::new().unwrap();
        again.sync(&conn).unwrap();
        assert!(again.has_dict("Sysmon"));
        assert!(!again.has_dict("zeek.dns"));
        let b = again.encode(&ev(7), "Sysmon", 1, &conn, &f).unwrap();
        assert!(zstd::zstd_safe::get_dict_id_from_frame(&b).is_some());
        assert_eq!(fresh.decode_text(ValueRef::Blob(&b)), Some(ev(7)));
        // the import that trained it rolled back: the next one compresses alone again
        conn.execute("DELETE FROM field_dicts", []).unwrap();
        again.sync(&conn).unwrap();
        let b = again.encode(&ev(8), "Sysmon", 1, &conn, &f).unwrap();
        assert!(zstd::zstd_safe::get_dict_id_from_frame(&b).is_none());
    }
}
