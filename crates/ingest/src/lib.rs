//! Importers for alerts and incidents, auto-detected by content (never by file name):
//!
//! * Sentinel `SecurityAlert` rows as JSON lines, a JSON array or CSV;
//! * Sentinel incidents: table rows and the REST shapes (incident, incident alerts, incident
//!   entities — also when wrapped in an API example `{parameters, responses}`);
//! * Defender for Cloud REST alerts (`Microsoft.Security/alerts`, a `value[]` list or one);
//! * Microsoft Graph security alerts_v2 (one alert or `value[]`).
//!
//! Every parser feeds a [`cb_domain::Sink`]; a malformed record is reported with
//! [`Sink::skip`] and the rest of the file goes on.
#![forbid(unsafe_code)]

pub mod alerts;
pub mod entities;
pub mod graph_alerts;
pub mod records;

use alerts::{get, text};
use cb_domain::{RecordNo, Sink, SinkError};
use serde_json::{Map, Value};
use std::io::Read;
use std::path::Path;

/// How the file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    JsonLines,
    JsonArray,
    JsonDocument,
    Csv,
}

/// A detected alert/incident format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertFormat {
    pub container: Container,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SentinelAlerts,
    SentinelIncidents,
    SentinelIncidentAlerts,
    SentinelIncidentEntities,
    DefenderAlerts,
    GraphAlerts,
}

impl AlertFormat {
    /// The name `import --json` reports.
    pub fn name(&self) -> String {
        let kind = match self.kind {
            Kind::SentinelAlerts => "sentinel-securityalert",
            Kind::SentinelIncidents => "sentinel-incidents",
            Kind::SentinelIncidentAlerts => "sentinel-incident-alerts",
            Kind::SentinelIncidentEntities => "sentinel-incident-entities",
            Kind::DefenderAlerts => "defender-alerts",
            Kind::GraphAlerts => "graph-alerts",
        };
        let container = match self.container {
            Container::JsonLines => "jsonl",
            Container::JsonArray => "json-array",
            Container::JsonDocument => "json",
            Container::Csv => "csv",
        };
        format!("{kind}-{container}")
    }
}

/// Recognise an alert/incident file from its first bytes (up to 64 KiB).
pub fn detect(head: &[u8]) -> Option<AlertFormat> {
    let t = String::from_utf8_lossy(head);
    let t = t.trim_start_matches('\u{feff}').trim_start();
    let first = t.chars().next()?;
    let has = |s: &str| t.contains(s);
    let lower = t.to_ascii_lowercase();
    let kind = if has("microsoft.graph.security.alert")
        || (has("\"evidence\"") && has("\"providerAlertId\""))
    {
        Kind::GraphAlerts
    } else if lower.contains("microsoft.security/") && lower.contains("\"alertdisplayname\"") {
        Kind::DefenderAlerts
    } else if has("Microsoft.SecurityInsights/Entities") && has("\"SecurityAlert\"") {
        Kind::SentinelIncidentAlerts
    } else if has("Microsoft.SecurityInsights/Entities") && has("\"entities\"") {
        Kind::SentinelIncidentEntities
    } else if has("\"properties.title\"") || lower.contains("microsoft.securityinsights/incidents")
    {
        Kind::SentinelIncidents
    } else if has("AlertDisplayName") || has("SystemAlertId") {
        Kind::SentinelAlerts
    } else {
        return None;
    };
    let container = match first {
        '[' => Container::JsonArray,
        '{' => {
            let line = t.lines().next().unwrap_or("");
            // validity only: a first record of megabytes is not built as a Value
            let valid = |l: &str| serde_json::from_str::<serde::de::IgnoredAny>(l).is_ok();
            if valid(line)
                && t.lines()
                    .nth(1)
                    .is_some_and(|l| l.trim_start().starts_with('{'))
            {
                Container::JsonLines
            } else if valid(line) && !t.trim_end().contains('\n') {
                // one line: a single document (or a one-record JSONL — the same thing)
                Container::JsonDocument
            } else if line.trim() == "{" || !valid(line) {
                Container::JsonDocument
            } else {
                Container::JsonLines
            }
        }
        _ => {
            let header = t.lines().next().unwrap_or("");
            if kind == Kind::SentinelAlerts
                && header.contains(',')
                && (header.contains("AlertDisplayName") || header.contains("SystemAlertId"))
            {
                Container::Csv
            } else {
                return None;
            }
        }
    };
    Some(AlertFormat { container, kind })
}

/// Largest JSON document (REST response) read whole; bigger ones must come as JSON lines or
/// arrays, which stream.
pub const MAX_DOCUMENT: u64 = 512 * 1024 * 1024;

/// Import an alert/incident file. The file is opened read-only here.
pub fn import(format: AlertFormat, path: &Path, sink: &mut dyn Sink) -> Result<(), SinkError> {
    match std::fs::File::open(path) {
        Ok(f) => import_open(format, f, sink),
        Err(e) => {
            sink.skip(0, format!("cannot open: {e}"));
            Ok(())
        }
    }
}

/// Import an alert/incident file already opened (read-only) by the caller, read from where
/// its cursor stands.
pub fn import_open(
    format: AlertFormat,
    file: std::fs::File,
    sink: &mut dyn Sink,
) -> Result<(), SinkError> {
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let counted = CountingReader {
        inner: file,
        bytes: std::rc::Rc::new(std::cell::Cell::new(0)),
    };
    let bytes = counted.bytes.clone();
    let mut n = 0u64;
    let mut each = |sink: &mut dyn Sink,
                    record: RecordNo,
                    obj: Result<Map<String, Value>, String>|
     -> Result<(), SinkError> {
        n += 1;
        if n.is_multiple_of(200) {
            sink.progress(n, bytes.get())?;
        }
        match obj {
            Err(reason) => sink.skip(record, reason),
            Ok(o) => {
                if let Err(reason) = import_object(&o, sink, record, &Context::default())? {
                    sink.skip(record, reason);
                }
            }
        }
        Ok(())
    };
    match format.container {
        Container::JsonLines => {
            for (rec, obj) in records::json_lines(counted) {
                each(sink, rec, obj)?;
            }
        }
        Container::JsonArray => {
            for (rec, obj) in records::json_array(counted) {
                each(sink, rec, obj)?;
            }
        }
        Container::Csv => {
            for (rec, obj) in records::csv_rows(counted) {
                each(sink, rec, obj)?;
            }
        }
        Container::JsonDocument => {
            if size > MAX_DOCUMENT {
                sink.skip(0, format!("a single JSON document of {size} bytes is too large; export it as JSON lines"));
                return Ok(());
            }
            let mut s = String::new();
            if let Err(e) = { counted }.read_to_string(&mut s) {
                sink.skip(0, format!("read error: {e}"));
                return Ok(());
            }
            match serde_json::from_str::<Value>(&s) {
                Ok(Value::Object(o)) => import_document(o, sink)?,
                Ok(other) => sink.skip(
                    1,
                    format!("expected a JSON object, found {}", records::kind(&other)),
                ),
                Err(e) => {
                    let why = format!(
                        "invalid JSON at line {} column {}: {e}",
                        e.line(),
                        e.column()
                    );
                    // a REST list with one bad element: keep the others
                    if !import_value_list(&s, sink, &why)? {
                        sink.skip(e.line() as u64, why);
                    }
                }
            }
        }
    }
    sink.progress(n, bytes.get())?;
    Ok(())
}

/// A document that does not parse as a whole but holds a `"value": [ … ]` list (a REST
/// response): its elements are read one by one, each bad one reported with its position in
/// the list, the rest imported. `false` when there is no such list.
fn import_value_list(text: &str, sink: &mut dyn Sink, why: &str) -> Result<bool, SinkError> {
    let Some(k) = text.find("\"value\"") else {
        return Ok(false);
    };
    let Some(list) = text[k + 7..]
        .trim_start()
        .strip_prefix(':')
        .map(str::trim_start)
        .filter(|l| l.starts_with('['))
    else {
        return Ok(false);
    };
    sink.skip(
        0,
        format!("{why}; the document's value[] list was read element by element"),
    );
    for (rec, obj) in records::json_array(list.as_bytes()) {
        match obj {
            Ok(o) => {
                if let Err(reason) = import_object(&o, sink, rec, &Context::default())? {
                    sink.skip(rec, reason);
                }
            }
            Err(reason) => sink.skip(rec, format!("value[{}]: {reason}", rec - 1)),
        }
    }
    Ok(true)
}

struct CountingReader<R> {
    inner: R,
    bytes: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

/// What a REST wrapper tells about the records inside it.
#[derive(Debug, Default, Clone)]
struct Context {
    /// `parameters.incidentId` of an API example: the incident the alerts/entities belong to.
    incident_id: Option<String>,
}

/// A whole JSON document: an API example wrapper, a `value[]` list, an `entities` list or
/// one object.
fn import_document(mut o: Map<String, Value>, sink: &mut dyn Sink) -> Result<(), SinkError> {
    let mut ctx = Context::default();
    if let (Some(params), Some(responses)) =
        (o.get("parameters").cloned(), o.get("responses").cloned())
    {
        ctx.incident_id = params
            .get("incidentId")
            .and_then(|v| v.as_str())
            .map(String::from);
        let body = responses
            .as_object()
            .and_then(|r| r.get("200").or_else(|| r.values().next()))
            .and_then(|r| r.get("body"))
            .and_then(|b| b.as_object())
            .cloned();
        match body {
            Some(b) => o = b,
            None => {
                sink.skip(1, "API example without a response body".into());
                return Ok(());
            }
        }
    }
    if let Some(Value::Array(items)) = o.get("value") {
        let mut alert_ids = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let rec = i as u64 + 1;
            match item.as_object() {
                Some(obj) => {
                    if let Some(id) = alert_ext_id(obj) {
                        alert_ids.push(id);
                    }
                    if let Err(reason) = import_object(obj, sink, rec, &ctx)? {
                        sink.skip(rec, reason);
                    }
                }
                None => sink.skip(
                    rec,
                    format!(
                        "expected an object in value[], found {}",
                        records::kind(item)
                    ),
                ),
            }
        }
        if let Some(inc) = &ctx.incident_id {
            // GetAllIncidentAlerts: these alerts belong to that incident
            if !alert_ids.is_empty() {
                stub_incident(inc, &alert_ids, sink)?;
            }
        }
        return Ok(());
    }
    if let Some(Value::Array(ents)) = o.get("entities") {
        // GetAllIncidentEntities: each entity is {kind, properties}
        let incident = match &ctx.incident_id {
            Some(inc) => Some(stub_incident(inc, &[], sink)?),
            None => None,
        };
        for (i, e) in ents.iter().enumerate() {
            let rec = i as u64 + 1;
            let Some(eo) = e.as_object() else {
                sink.skip(
                    rec,
                    format!("expected an entity object, found {}", records::kind(e)),
                );
                continue;
            };
            let mut flat = alerts_props(eo);
            flat.insert(
                "Type".into(),
                Value::from(text(eo, &["kind"]).to_ascii_lowercase()),
            );
            match entities::resolve(&Value::Array(vec![Value::Object(flat)]), sink, rec)? {
                Ok(r) => {
                    if let Some(inc) = incident {
                        for n in r.nodes {
                            sink.relation(inc, n, "involves", &Map::new(), rec)?;
                        }
                    }
                }
                Err(reason) => sink.skip(rec, reason),
            }
        }
        return Ok(());
    }
    if let Err(reason) = import_object(&o, sink, 1, &ctx)? {
        sink.skip(1, reason);
    }
    Ok(())
}

fn alerts_props(o: &Map<String, Value>) -> Map<String, Value> {
    o.get("properties")
        .and_then(|p| p.as_object())
        .cloned()
        .unwrap_or_default()
}

fn alert_ext_id(o: &Map<String, Value>) -> Option<String> {
    let p = alerts_props(o);
    let id = text(&p, &["systemAlertId"]);
    if id.is_empty() {
        None
    } else {
        Some(id)
    }
}

fn stub_incident(
    ext_id: &str,
    alerts: &[String],
    sink: &mut dyn Sink,
) -> Result<cb_domain::NodeId, SinkError> {
    let rec = cb_domain::IncidentRecord {
        ext_id: ext_id.to_string(),
        alert_ext_ids: alerts.to_vec(),
        ..Default::default()
    };
    sink.incident(&rec, &Value::Null, 0)
}

/// One record of any supported kind, recognised by its fields.
fn import_object(
    o: &Map<String, Value>,
    sink: &mut dyn Sink,
    record: RecordNo,
    ctx: &Context,
) -> Result<Result<(), String>, SinkError> {
    let raw = Value::Object(o.clone());
    let typ = text(o, &["type"]).to_ascii_lowercase();
    let odata = text(o, &["@odata.type"]);
    if odata.ends_with("security.alert")
        || (o.contains_key("evidence") && o.contains_key("providerAlertId"))
    {
        return graph_alerts::import(o, &raw, sink, record);
    }
    if typ.contains("microsoft.securityinsights/incidents")
        || o.keys().any(|k| k.starts_with("properties."))
    {
        return alerts::import_incident(o, &raw, sink, record, &[]);
    }
    if let Some(Value::Object(p)) = o.get("properties") {
        // REST resource: Defender alert, or a Sentinel incident's alert
        let mut p = p.clone();
        // the resource `name` is the alert's unique id (Defender's systemAlertId can repeat
        // across alerts of one correlation); keep the original for reference
        if let Some(n) = o.get("name").filter(|n| n.is_string()) {
            if let Some(orig) = p.insert("systemAlertId".into(), n.clone()) {
                if &orig != n {
                    p.insert("originalSystemAlertId".into(), orig);
                }
            }
        }
        if get(&p, &["alertDisplayName", "alertType"]).is_none() {
            return Ok(Err("REST object is neither an alert nor an incident".into()));
        }
        return alerts::import_alert(&p, &raw, sink, record);
    }
    if get(o, &["AlertDisplayName", "AlertName", "SystemAlertId"]).is_some() {
        let _ = ctx;
        return alerts::import_alert(o, &raw, sink, record);
    }
    Ok(Err(
        "not an alert or incident record (no AlertDisplayName, SystemAlertId or REST properties)"
            .into(),
    ))
}

/// The first bytes of a file, for detection.
pub fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    read_head_from(&mut std::fs::File::open(path)?)
}

pub use cb_domain::head::{read_head_from, HEAD_BYTES, HEAD_MAX};
