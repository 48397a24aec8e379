//! The parsing thread's share of an import (`Sink::preparer`: fields cut into blocks and
//! compressed, the search text) stores exactly what the writing thread makes alone.

use super::fixture;
use cb_domain::{
    AlertRecord, EntityRecord, EventPreparer, EventRecord, IncidentRecord, NodeId, RecordNo, Sink,
    SinkError,
};
use cb_store::{Actor, SourceMeta, SqliteStore};
use serde_json::{Map, Value};
use std::path::Path;

/// A sink that offers no preparer: the importer hands every event to the writer whole.
struct Alone<'a>(&'a mut dyn Sink);

impl Sink for Alone<'_> {
    fn entity(
        &mut self,
        rec: &EntityRecord,
        host_key: Option<&str>,
        record: RecordNo,
    ) -> Result<(NodeId, String), SinkError> {
        self.0.entity(rec, host_key, record)
    }
    fn alert(&mut self, a: &AlertRecord, raw: &Value, r: RecordNo) -> Result<NodeId, SinkError> {
        self.0.alert(a, raw, r)
    }
    fn incident(
        &mut self,
        i: &IncidentRecord,
        raw: &Value,
        r: RecordNo,
    ) -> Result<NodeId, SinkError> {
        self.0.incident(i, raw, r)
    }
    fn event(&mut self, rec: &EventRecord, record: RecordNo) -> Result<NodeId, SinkError> {
        self.0.event(rec, record)
    }
    fn preparer(&mut self) -> Option<EventPreparer> {
        None
    }
    fn relation(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: RecordNo,
    ) -> Result<(), SinkError> {
        self.0.relation(from, to, kind, props, record)
    }
    fn relation_per_file(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: RecordNo,
    ) -> Result<(), SinkError> {
        self.0.relation_per_file(from, to, kind, props, record)
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
        self.0.relation_timed(from, to, kind, props, record, time)
    }
    fn key_before(
        &mut self,
        prefix: &str,
        upto: &str,
    ) -> Result<Option<(NodeId, String)>, SinkError> {
        self.0.key_before(prefix, upto)
    }
    fn skip(&mut self, record: RecordNo, reason: String) {
        self.0.skip(record, reason)
    }
    fn progress(&mut self, records: u64, bytes: u64) -> Result<(), SinkError> {
        self.0.progress(records, bytes)
    }
}

const FILES: &[(&str, cb_events::EventFormat)] = &[
    // the first trains the dictionaries (Sysmon, Security…) the next ones compress with
    (
        "otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip",
        cb_events::EventFormat::Zip,
    ),
    (
        "otrf-security-datasets/datasets/atomic/windows/discovery/host/empire_find_localadmin_smb_svcctl_OpenSCManager.zip",
        cb_events::EventFormat::Zip,
    ),
    (
        "evtx-rs-samples/samples/sysmon.evtx",
        cb_events::EventFormat::Evtx,
    ),
];

fn case(alone: bool) -> SqliteStore {
    let mut s = SqliteStore::in_memory(Actor("t".into())).unwrap();
    for (i, (rel, format)) in FILES.iter().enumerate() {
        let path = fixture(rel);
        let meta = SourceMeta {
            path: path.display().to_string(),
            sha256: format!("{i:064}"),
            size: 1,
            format: "test".into(),
        };
        let file = |p: &Path| std::fs::File::open(p).unwrap();
        s.import_source(&meta, &mut |_, _| true, &mut |sink: &mut dyn Sink| {
            let settings = cb_events::Settings::default();
            if alone {
                cb_events::import_open(*format, file(&path), &mut Alone(sink), &settings)
            } else {
                cb_events::import_open(*format, file(&path), sink, &settings)
            }
        })
        .unwrap();
    }
    s
}

/// Every row of `sql`, each column as SQLite's `quote()` text (blobs as hex).
fn rows(s: &SqliteStore, sql: &str) -> Vec<String> {
    let mut stmt = s.conn().prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                Ok(match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => "NULL".to_string(),
                    rusqlite::types::ValueRef::Integer(x) => x.to_string(),
                    rusqlite::types::ValueRef::Real(x) => x.to_string(),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    rusqlite::types::ValueRef::Blob(b) => hex::encode(b),
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map(|v| v.join("|"))
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

#[test]
fn what_the_parsing_thread_prepares_is_what_the_writer_would_store() {
    let (threaded, alone) = (case(false), case(true));
    let events =
        "SELECT id, source, channel, event_id, time, summary, fields FROM events ORDER BY id";
    let a = rows(&threaded, events);
    let b = rows(&alone, events);
    assert!(a.len() > 10_000, "{} events", a.len());
    assert_eq!(a, b, "events differ");
    // every event's fields are in a block, far fewer blocks than events
    let (blocks, in_blocks): (i64, i64) = threaded
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM field_blocks), (SELECT count(*) FROM events WHERE cb_block(fields) IS NOT NULL)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(in_blocks as usize, a.len());
    assert!(
        blocks > FILES.len() as i64 && blocks * 20 < in_blocks,
        "{blocks} blocks"
    );
    for t in [
        "field_blocks",
        "search_fts_data",
        "search_docs",
        "relations",
        "entities",
    ] {
        assert_eq!(
            rows(&threaded, &format!("SELECT * FROM {t} ORDER BY 1")),
            rows(&alone, &format!("SELECT * FROM {t} ORDER BY 1")),
            "{t} differs"
        );
    }
}
