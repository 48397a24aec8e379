//! The contract between parsers and the store. A parser reads one evidence file and calls the
//! sink once per thing it finds; the store implements the sink inside one transaction per file.

use crate::model::{AlertRecord, EntityRecord, EventRecord, IncidentRecord, NodeId};
use serde_json::{Map, Value};

/// 1-based record number within the evidence file (a line, a CSV row, an array element, an
/// EVTX record id). Provenance of everything the record produced.
pub type RecordNo = u64;

/// What a sink's [`EventPreparer`] made of one event, for its [`Sink::event_text`]; opaque
/// to importers, which only carry it from their parsing thread to the sink.
#[derive(Debug, Default, Clone)]
pub struct PreparedEvent {
    /// The stored form of the event's fields (`None`: the sink makes it).
    pub fields: Option<Vec<u8>>,
    /// The event's search text (`None`: the sink makes it).
    pub search_text: Option<String>,
}

/// Made by a sink for one file: `(event, its fields' JSON text)` → what the sink will need.
/// It runs on the importer's parsing thread, so it holds nothing of the sink's transaction.
pub type EventPreparer = Box<dyn FnMut(&EventRecord, &str) -> PreparedEvent + Send>;

/// Why a sink refused a call. Any error aborts the file (and rolls it back); bad *records* are
/// not errors: parsers report them with [`Sink::skip`] and go on.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("import cancelled")]
    Cancelled,
    #[error("storage failed: {0}")]
    Storage(String),
}

pub trait Sink {
    /// Insert or merge an entity (by its identity); returns its node id.
    fn entity(
        &mut self,
        rec: &EntityRecord,
        host_key: Option<&str>,
        record: RecordNo,
    ) -> Result<(NodeId, String), SinkError>;
    /// Insert or merge an alert (by `ext_id`).
    fn alert(
        &mut self,
        rec: &AlertRecord,
        raw: &Value,
        record: RecordNo,
    ) -> Result<NodeId, SinkError>;
    /// Insert or merge an incident (by `ext_id`).
    fn incident(
        &mut self,
        rec: &IncidentRecord,
        raw: &Value,
        record: RecordNo,
    ) -> Result<NodeId, SinkError>;
    /// Store one raw event.
    fn event(&mut self, rec: &EventRecord, record: RecordNo) -> Result<NodeId, SinkError>;
    /// [`Sink::event`], given `rec.fields` already as JSON text (`serde_json::to_string`) and
    /// what this sink's [`Sink::preparer`] made of the event: importers make both on their
    /// parsing thread, so the writing thread need not serialise, compress or index-format
    /// them again.
    fn event_text(
        &mut self,
        rec: &EventRecord,
        fields_json: &str,
        prepared: &PreparedEvent,
        record: RecordNo,
    ) -> Result<NodeId, SinkError> {
        let _ = (fields_json, prepared);
        self.event(rec, record)
    }
    /// Work on events this sink can have done on another thread (an importer's parsing
    /// thread), for the file about to be parsed; `None`: none.
    fn preparer(&mut self) -> Option<EventPreparer> {
        None
    }
    /// A typed, directed relation with its provenance.
    fn relation(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: RecordNo,
    ) -> Result<(), SinkError>;
    /// A relation between two entities that a stream of records states again and again
    /// (account logged on to host, process image file…): stored once per evidence file, with
    /// the first record as provenance and a count of the records that stated it. Sinks that
    /// keep no such summary store it as a plain [`Sink::relation`].
    fn relation_per_file(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: RecordNo,
    ) -> Result<(), SinkError> {
        self.relation(from, to, kind, props, record)
    }
    /// [`Sink::relation_per_file`] stated at `time` (the record's normalised time): the stored
    /// relation keeps the first and last time it was stated (`first`, `last` in its props).
    fn relation_timed(
        &mut self,
        from: NodeId,
        to: NodeId,
        kind: &str,
        props: &Map<String, Value>,
        record: RecordNo,
        time: Option<&str>,
    ) -> Result<(), SinkError> {
        let _ = time;
        self.relation_per_file(from, to, kind, props, record)
    }
    /// The entity registered under the greatest identity key between `prefix` and
    /// `prefix + upto` (text order), with its key: "the latest creation of this process id on
    /// this host before that time" (`cb_domain::identity_win::creation_prefix`). Sinks that
    /// keep no keys answer `None`.
    fn key_before(
        &mut self,
        prefix: &str,
        upto: &str,
    ) -> Result<Option<(NodeId, String)>, SinkError> {
        let _ = (prefix, upto);
        Ok(None)
    }
    /// Record a skipped record and why.
    fn skip(&mut self, record: RecordNo, reason: String);
    /// Progress: records read so far and bytes consumed. May return `Cancelled`.
    fn progress(&mut self, records: u64, bytes: u64) -> Result<(), SinkError>;
}
