//! Format detection from the first bytes of a file (the path is only used in messages).

use crate::jsonscan::Elements;
use crate::{EventFormat, Layout, Table};
use serde_json::{Map, Value};
use std::path::Path;

/// The format of a file, judged by its first bytes (`head`: 64 KiB, for JSON the whole first
/// record — see `cb_domain::head`). `None` for
/// anything this crate does not import, including alert and incident exports (those belong
/// to `cb-ingest`).
pub fn detect(_path: &Path, head: &[u8]) -> Option<EventFormat> {
    if head.starts_with(b"ElfFile\0") {
        return Some(EventFormat::Evtx);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(EventFormat::Zip);
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Some(EventFormat::Gzip);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    if text.starts_with(b"type=")
        && text[..text.len().min(200)]
            .windows(10)
            .any(|w| w == b"msg=audit(")
    {
        return Some(EventFormat::Table(Table::Auditd, Layout::JsonLines));
    }
    if text.starts_with(b"#separator") {
        return Some(EventFormat::Table(Table::Zeek, Layout::ZeekTsv));
    }
    match text[0] {
        b'[' => {
            let first = Elements::top_level(text, text.len().max(1 << 20))
                .ok()?
                .next()?
                .ok()?;
            let obj: Map<String, Value> = serde_json::from_slice(&first).ok()?;
            if is_stix_object(&obj) {
                return None;
            }
            table_of(&obj).map(|t| EventFormat::Table(t, Layout::JsonArray))
        }
        b'{' => {
            let line_end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
            if let Ok(obj) = serde_json::from_slice::<Map<String, Value>>(&text[..line_end]) {
                if is_bundle(&obj) {
                    return Some(EventFormat::Stix2);
                }
                return table_of(&obj).map(|t| EventFormat::Table(t, Layout::JsonLines));
            }
            // a pretty-printed document: only STIX bundles are ours
            let s = String::from_utf8_lossy(&text[..text.len().min(65536)]);
            let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            let bundle =
                compact.contains("\"type\":\"bundle\"") || compact.contains("\"id\":\"bundle--");
            (bundle && compact.contains("\"objects\":[")).then_some(EventFormat::Stix2)
        }
        _ => {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text);
            let header = rdr.records().next()?.ok()?;
            if header.len() < 3 {
                return None;
            }
            let obj: Map<String, Value> = header
                .iter()
                .map(|h| (h.trim().to_string(), Value::String("x".into())))
                .collect();
            table_of(&obj).map(|t| EventFormat::Table(t, Layout::Csv))
        }
    }
}

fn is_bundle(o: &Map<String, Value>) -> bool {
    o.get("type").and_then(Value::as_str) == Some("bundle")
        || o.get("id")
            .and_then(Value::as_str)
            .is_some_and(|i| i.starts_with("bundle--"))
}

fn is_stix_object(o: &Map<String, Value>) -> bool {
    o.get("id")
        .and_then(Value::as_str)
        .is_some_and(|i| i.contains("--"))
        && o.contains_key("type")
        && (o.contains_key("spec_version") || o.contains_key("created"))
}

/// Which table a record (or a CSV header) belongs to, from its column names.
pub(crate) fn table_of(o: &Map<String, Value>) -> Option<Table> {
    let has = |k: &str| o.contains_key(k);
    let is = |k: &str, v: &str| {
        o.get(k)
            .and_then(Value::as_str)
            .is_some_and(|x| x.eq_ignore_ascii_case(v))
    };
    let obj = |k: &str| matches!(o.get(k), Some(Value::Object(_)));
    // alerts and incidents are cb-ingest's
    if has("AlertDisplayName")
        || has("SystemAlertId")
        || (has("AlertName") && has("Entities"))
        || has("alertDisplayName")
        || has("IncidentNumber")
        || has("incidentNumber")
        || has("IncidentName")
        || has("ProviderIncidentId")
        || (has("evidence") && has("detectionSource"))
        || has("alertWebUrl")
        || is("Type", "SecurityAlert")
        || is("Type", "SecurityIncident")
    {
        return None;
    }
    if obj("event_data") || obj("winlog") || (has("log_name") && has("computer_name")) {
        return Some(Table::Winlogbeat);
    }
    if has("@stream")
        || has("_path")
        || (has("ts") && has("uid"))
        || has("id.orig_h")
        || has("id_orig_h")
    {
        return Some(Table::Zeek);
    }
    if has("event_type") && (has("src_ip") || has("flow_id") || has("timestamp")) {
        return Some(Table::SuricataEve);
    }
    if has("class_uid")
        && (has("category_uid") || has("metadata") || has("activity_id") || has("type_uid"))
    {
        return Some(Table::Ocsf);
    }
    if is("Type", "SigninLogs")
        || is("Category", "SignInLogs")
        || (has("AppDisplayName")
            && has("ResultType")
            && (has("UserPrincipalName") || has("IPAddress")))
    {
        return Some(Table::SigninLogs);
    }
    if has("FlowType") || has("FlowStartTime") || (has("VMIPAddress") && has("L4Protocol")) {
        return Some(Table::NetworkFlows);
    }
    if has("EventID") && has("Computer") && (has("TimeGenerated") || is("Type", "SecurityEvent")) {
        return Some(Table::SecurityEvent);
    }
    if has("EventID")
        && (has("Hostname") || has("Channel"))
        && (has("TimeCreated") || has("@timestamp") || has("EventTime"))
    {
        return Some(Table::WindowsFlat);
    }
    if has("@timestamp")
        && (has("ecs")
            || obj("event")
            || obj("host")
            || obj("agent")
            || has("event.dataset")
            || has("ecs.version"))
    {
        return Some(Table::Ecs);
    }
    if (has("eventName") && has("eventSource")) || (has("eventTime") && has("awsRegion")) {
        return Some(Table::CloudTrail);
    }
    if has("CreatedProcessId") && has("InitiatingProcessId") {
        return Some(Table::LogTable);
    }
    if has("TimeGenerated") || (has("Timestamp") && (has("DeviceName") || has("ActionType"))) {
        return Some(Table::LogTable);
    }
    // any other table of records with a time column (and a few more columns)
    if o.len() >= 3 && LOG_TIME_KEYS.iter().any(|k| has(k)) {
        return Some(Table::LogTable);
    }
    None
}

/// Time columns that make an unknown table of records a log table.
pub(crate) const LOG_TIME_KEYS: &[&str] = &[
    "Timestamp",
    "TimeCreated",
    "EventTime",
    "eventTime",
    "Event DateTime",
    "timestamp",
    "@timestamp",
    "CreationTime",
    "CreatedDateTime",
    "createdDateTime",
    "datetime",
    "date_time",
];
