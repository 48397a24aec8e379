//! Turning a mapped record into sink calls, with progress, skips and an entity cache.

use crate::map::{Mapped, END_EVENT};
use crate::Settings;
use cb_domain::{EntityRecord, NodeId, RecordNo, Sink, SinkError};
use serde_json::Map;
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// Relation kinds whose stored row keeps the first and last time a record stated them.
const TIMED: &[&str] = &[
    "connected_to",
    "accepted_from",
    "dns_query",
    "resolved_to",
    "opened_process",
    "created_thread",
    "from_ip",
    "failed_logon",
    "explicit_credentials",
    "explicit_logon_to",
    "accessed_share",
    "rdp_logon",
    "rdp_to",
];

/// Cap of the per-import entity cache (entries); cleared when full, so memory stays bounded.
const CACHE_CAP: usize = 200_000;

pub(crate) struct Ctx<'a> {
    pub sink: &'a mut dyn Sink,
    pub settings: &'a Settings,
    bytes: Arc<AtomicU64>,
    /// Bytes decompressed so far (all archive levels), for the decompression budget.
    pub decompressed: Arc<AtomicU64>,
    pub total_bytes: u64,
    records: u64,
    /// Record count at which progress is reported next.
    next_progress: u64,
    /// Running record number across archive members (so provenance stays unique per file).
    next_record: u64,
    pub in_archive: bool,
    /// `kind \x1f host_key \x1f props` → what the sink answered: the same entity mentioned by
    /// thousands of events costs one store look-up. Only strongly/weakly identified entities
    /// are cached (identifier-less ones are unique per record).
    cache: HashMap<Vec<u8>, (NodeId, String)>,
    /// The cache key being built (reused: a hit allocates nothing).
    key_buf: Vec<u8>,
}

impl<'a> Ctx<'a> {
    pub fn new(sink: &'a mut dyn Sink, settings: &'a Settings, total_bytes: u64) -> Self {
        Ctx {
            sink,
            settings,
            bytes: Arc::new(AtomicU64::new(0)),
            decompressed: Arc::new(AtomicU64::new(0)),
            total_bytes,
            records: 0,
            next_progress: settings.progress_every.max(1),
            next_record: 0,
            in_archive: false,
            cache: HashMap::new(),
            key_buf: Vec::new(),
        }
    }

    /// Wrap the outermost reader so progress can report bytes consumed.
    pub fn counting<R: Read>(&self, r: R) -> Counting<R> {
        Counting {
            inner: r,
            bytes: self.bytes.clone(),
        }
    }

    /// Bytes read from the file itself so far.
    pub fn bytes_read(&self) -> Arc<AtomicU64> {
        self.bytes.clone()
    }

    /// The record number to store: the local number (line, element, row, EVTX record id)
    /// for a plain file, a running number inside archives.
    pub fn record_no(&mut self, local: u64) -> RecordNo {
        if self.in_archive {
            self.next_record += 1;
            self.next_record
        } else {
            local
        }
    }

    /// One record read (good or bad): progress every `progress_every`.
    pub fn tick(&mut self) -> Result<(), SinkError> {
        self.records += 1;
        if self.records >= self.next_progress {
            self.next_progress = self.records + self.settings.progress_every.max(1);
            self.sink.progress(self.records, self.bytes.load(Relaxed))?;
        }
        Ok(())
    }

    pub fn finish(&mut self) -> Result<(), SinkError> {
        let b = self.bytes.load(Relaxed).max(self.total_bytes);
        self.sink.progress(self.records, b)
    }

    /// Report a skipped record; `member` names the archive member ("" for plain files).
    pub fn skip(&mut self, record: RecordNo, member: &str, what: String) {
        let reason = if member.is_empty() {
            what
        } else {
            format!("member {member}: {what}")
        };
        self.sink.skip(record, reason);
    }

    /// `props_json`: `e.props` as JSON text when the mapper made it already.
    pub fn entity(
        &mut self,
        e: &EntityRecord,
        host_key: Option<&str>,
        record: RecordNo,
        props_json: Option<&[u8]>,
    ) -> Result<(NodeId, String), SinkError> {
        let ck = &mut self.key_buf;
        ck.clear();
        ck.extend_from_slice(e.kind.as_bytes());
        ck.push(0x1f);
        ck.extend_from_slice(host_key.unwrap_or("").as_bytes());
        ck.push(0x1f);
        match props_json {
            Some(t) if !t.is_empty() => ck.extend_from_slice(t),
            _ => {
                if serde_json::to_writer(&mut *ck, &e.props).is_err() {
                    ck.clear();
                }
            }
        }
        if let Some(hit) = self.cache.get(ck.as_slice()) {
            return Ok(hit.clone());
        }
        let out = self.sink.entity(e, host_key, record)?;
        if !out.1.starts_with('!') && !self.key_buf.is_empty() {
            if self.cache.len() >= CACHE_CAP {
                self.cache.clear();
            }
            self.cache.insert(self.key_buf.clone(), out.clone());
        }
        Ok(out)
    }

    /// Store one mapped record: host first (its key scopes processes and local accounts),
    /// then the other entities, the event, one `mentions` link per entity, the typed relations.
    pub fn emit(&mut self, m: &Mapped, record: RecordNo) -> Result<NodeId, SinkError> {
        let mut ids: Vec<Option<NodeId>> = vec![None; m.ents.len()];
        let mut host_key: Option<String> = None;
        if let Some(h) = m.host {
            let e = &m.ents[h];
            let (id, key) = self.entity(&e.rec, None, record, Some(&e.props_json))?;
            ids[h] = Some(id);
            host_key = Some(key);
        }
        for (i, e) in m.ents.iter().enumerate() {
            if ids[i].is_some() {
                continue;
            }
            let hk = if e.on_host { host_key.as_deref() } else { None };
            if let (Some((pid, time)), Some(h)) = (&e.lookup, hk) {
                // a process named by pid only: the latest creation of that pid on the host
                let prefix = cb_domain::identity_win::creation_prefix(h, pid);
                if let Some((id, _)) = self.sink.key_before(&prefix, time)? {
                    ids[i] = Some(id);
                    continue;
                }
            }
            ids[i] = Some(self.entity(&e.rec, hk, record, Some(&e.props_json))?.0);
        }
        let ev = self
            .sink
            .event_text(&m.event, &m.fields_json, &m.prepared, record)?;
        let empty = Map::new();
        let mut seen: Vec<NodeId> = Vec::with_capacity(ids.len());
        for id in ids.iter().flatten() {
            if !seen.contains(id) {
                seen.push(*id);
                self.sink.relation(ev, *id, "mentions", &empty, record)?;
            }
        }
        for r in &m.rels {
            let node = |i: usize| {
                if i == END_EVENT {
                    Some(ev)
                } else {
                    ids.get(i).copied().flatten()
                }
            };
            if let (Some(a), Some(b)) = (node(r.from), node(r.to)) {
                if a != b {
                    if matches!((a, b), (NodeId::Entity(_), NodeId::Entity(_))) {
                        // the same logon, parent process, image file… restated by many
                        // records: one row per file with a record count
                        let time = TIMED
                            .contains(&r.kind)
                            .then_some(m.event.time.as_deref())
                            .flatten();
                        self.sink
                            .relation_timed(a, b, r.kind, &r.props, record, time)?;
                    } else {
                        self.sink.relation(a, b, r.kind, &r.props, record)?;
                    }
                }
            }
        }
        Ok(ev)
    }
}

/// A reader that counts bytes consumed.
pub(crate) struct Counting<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Relaxed);
        Ok(n)
    }
}

impl<R: std::io::Seek> std::io::Seek for Counting<R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        let p = self.inner.seek(pos)?;
        self.bytes.store(p, Relaxed);
        Ok(p)
    }
}
