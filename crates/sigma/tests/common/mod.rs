//! Shared by the tests: read EVTX through cb-events (the importer the app uses) into the
//! events it would store, and walk the expected JSON events of the regression cases.
#![allow(dead_code)]

use cb_domain::{
    AlertRecord, EntityRecord, EventRecord, IncidentRecord, NodeId, RecordNo, Sink, SinkError,
};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A sink that keeps the events only.
#[derive(Default)]
pub struct Events {
    pub events: Vec<EventRecord>,
    pub skipped: Vec<(RecordNo, String)>,
}

impl Sink for Events {
    fn entity(
        &mut self,
        _: &EntityRecord,
        _: Option<&str>,
        _: RecordNo,
    ) -> Result<(NodeId, String), SinkError> {
        Ok((NodeId::Entity(0), String::new()))
    }
    fn alert(&mut self, _: &AlertRecord, _: &Value, _: RecordNo) -> Result<NodeId, SinkError> {
        Ok(NodeId::Alert(0))
    }
    fn incident(
        &mut self,
        _: &IncidentRecord,
        _: &Value,
        _: RecordNo,
    ) -> Result<NodeId, SinkError> {
        Ok(NodeId::Incident(0))
    }
    fn event(&mut self, rec: &EventRecord, _: RecordNo) -> Result<NodeId, SinkError> {
        self.events.push(rec.clone());
        Ok(NodeId::Event(self.events.len() as i64))
    }
    fn relation(
        &mut self,
        _: NodeId,
        _: NodeId,
        _: &str,
        _: &Map<String, Value>,
        _: RecordNo,
    ) -> Result<(), SinkError> {
        Ok(())
    }
    fn skip(&mut self, record: RecordNo, reason: String) {
        self.skipped.push((record, reason));
    }
    fn progress(&mut self, _: u64, _: u64) -> Result<(), SinkError> {
        Ok(())
    }
}

/// The events the app stores for an EVTX file.
pub fn read_evtx(path: &Path) -> Vec<EventRecord> {
    let mut sink = Events::default();
    cb_events::import(
        cb_events::EventFormat::Evtx,
        path,
        &mut sink,
        &cb_events::Settings::default(),
    )
    .expect("import");
    assert!(
        sink.skipped.is_empty(),
        "{}: {:?}",
        path.display(),
        sink.skipped
    );
    sink.events
}

/// Every JSON document of a file (the regression JSON files concatenate several).
pub fn json_docs(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("json");
    serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map(|v| v.expect("json doc"))
        .collect()
}

/// A SystemTime to microseconds (EVTX holds 100 ns ticks, the JSON export microseconds):
/// `2025-11-28T06:43:04.5829697Z` → `2025-11-28T06:43:04.582969Z`.
pub fn micros(t: &str) -> String {
    let t = t.trim_end_matches('Z');
    let (sec, frac) = t.split_once('.').unwrap_or((t, ""));
    let mut f: String = frac.chars().take(6).collect();
    while f.len() < 6 {
        f.push('0');
    }
    format!("{sec}.{f}Z")
}

/// (EventRecordID, SystemTime) of an `{"Event":{"System":…}}` document, walked by hand.
pub fn record_id_and_time(doc: &Value) -> (u64, String) {
    let sys = &doc["Event"]["System"];
    (
        sys["EventRecordID"].as_u64().expect("EventRecordID"),
        micros(
            sys["TimeCreated"]["#attributes"]["SystemTime"]
                .as_str()
                .expect("SystemTime"),
        ),
    )
}

/// (EventRecordID, TimeCreated) of a stored event.
pub fn stored_id_and_time(ev: &EventRecord) -> (u64, String) {
    (
        ev.fields["EventRecordID"].as_u64().expect("EventRecordID"),
        micros(ev.fields["TimeCreated"].as_str().expect("TimeCreated")),
    )
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
