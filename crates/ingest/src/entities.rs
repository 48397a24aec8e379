//! Sentinel-style entity lists: `$id` / `$ref` resolved in a second pass, inline nested
//! entities, reference properties turned into typed relations named after the property.
//! Also used for Defender REST entities (lowercase `type`, camelCase, no `$id`).

use cb_domain::{EntityRecord, NodeId, RecordNo, Sink, SinkError};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What one entity list produced.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Every entity of the list (top level and nested), in order.
    pub nodes: Vec<NodeId>,
    /// `SystemAlertIds` of `alerts`-typed entries (an ASC incident listing its alerts).
    pub alert_refs: Vec<String>,
}

struct Item {
    kind: String,
    props: Map<String, Value>,
    /// (property name, index of the referenced item)
    refs: Vec<(String, usize)>,
}

/// Sentinel property names, whatever case an export used (`ntDomain`, `hostName`…).
fn canon(k: &str) -> String {
    let known = [
        "HostName",
        "DnsDomain",
        "NTDomain",
        "NetBiosName",
        "AzureID",
        "OMSAgentID",
        "OSFamily",
        "OSVersion",
        "FQDN",
        "Name",
        "UPNSuffix",
        "Sid",
        "AadUserId",
        "AadTenantId",
        "ObjectGuid",
        "DisplayName",
        "IsDomainJoined",
        "Address",
        "ProcessId",
        "CommandLine",
        "CreationTimeUtc",
        "ElevationToken",
        "Directory",
        "Algorithm",
        "Value",
        "Url",
        "ResourceId",
        "Hive",
        "Key",
        "DomainName",
        "MailboxPrimaryAddress",
        "Upn",
        "AppId",
        "SessionId",
        "StartTimeUtc",
        "EndTimeUtc",
        "Host",
        "Account",
        "ParentProcess",
        "ImageFile",
        "FileHashes",
        "Process",
        "Location",
        "LogonId",
        "Count",
        "FriendlyName",
    ];
    let lk = k.to_ascii_lowercase();
    if lk == "accountname" {
        return "Name".into();
    }
    if lk == "friendlyname" {
        return "FriendlyName".into();
    }
    for c in known {
        if c.to_ascii_lowercase() == lk {
            return c.to_string();
        }
    }
    let mut ch = k.chars();
    match ch.next() {
        Some(f) => f.to_uppercase().collect::<String>() + ch.as_str(),
        None => String::new(),
    }
}

fn type_of(o: &Map<String, Value>) -> Option<String> {
    o.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("type"))
        .and_then(|(_, v)| v.as_str())
        .map(|s| s.to_ascii_lowercase())
}

fn ref_of(o: &Map<String, Value>) -> Option<String> {
    o.get("$ref").map(|v| {
        v.as_str()
            .map(String::from)
            .unwrap_or_else(|| v.to_string())
    })
}

fn id_of(o: &Map<String, Value>) -> Option<String> {
    o.get("$id").map(|v| {
        v.as_str()
            .map(String::from)
            .unwrap_or_else(|| v.to_string())
    })
}

fn is_entity(v: &Value) -> bool {
    v.as_object().is_some_and(|o| type_of(o).is_some())
}

/// Parse an `Entities` value (a JSON array, or a string holding one) and feed the sink.
/// Returns the entity nodes; `Err(reason)` for a malformed list (the caller skips the record).
pub fn resolve(
    entities: &Value,
    sink: &mut dyn Sink,
    record: RecordNo,
) -> Result<Result<Resolved, String>, SinkError> {
    let parsed;
    let list = match entities {
        Value::Null => return Ok(Ok(Resolved::default())),
        Value::String(s) if s.trim().is_empty() => return Ok(Ok(Resolved::default())),
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(e) => return Ok(Err(format!("Entities is not valid JSON: {e}"))),
        },
        v => v,
    };
    let Some(list) = list.as_array() else {
        return Ok(Err(format!(
            "Entities is {}, expected an array",
            crate::records::kind(list)
        )));
    };
    // pass 1: collect every entity object, top level and nested, and their $ids
    let mut items: Vec<Item> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut pending: Vec<(usize, String, String)> = Vec::new(); // (item, prop, $ref) resolved in pass 2
    let mut alert_refs = Vec::new();
    fn collect(
        o: &Map<String, Value>,
        items: &mut Vec<Item>,
        by_id: &mut HashMap<String, usize>,
        pending: &mut Vec<(usize, String, String)>,
        alert_refs: &mut Vec<String>,
    ) -> Option<usize> {
        let kind = type_of(o)?;
        if kind == "alerts" || kind == "alert" {
            for id in o
                .get("SystemAlertIds")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(s) = id.as_str() {
                    alert_refs.push(s.to_string());
                }
            }
            return None;
        }
        let idx = items.len();
        items.push(Item {
            kind,
            props: Map::new(),
            refs: vec![],
        });
        if let Some(id) = id_of(o) {
            by_id.insert(id, idx);
        }
        let mut props = Map::new();
        for (k, v) in o {
            if k == "$id" || k.eq_ignore_ascii_case("type") {
                continue;
            }
            let name = canon(k);
            match v {
                Value::Object(inner) if ref_of(inner).is_some() => {
                    pending.push((idx, name, ref_of(inner).unwrap_or_default()))
                }
                Value::Object(inner) if is_entity(v) => {
                    if let Some(child) = collect(inner, items, by_id, pending, alert_refs) {
                        items[idx].refs.push((name, child));
                    }
                }
                Value::Array(arr)
                    if !arr.is_empty()
                        && arr.iter().all(|x| {
                            x.as_object()
                                .is_some_and(|o| ref_of(o).is_some() || is_entity(x))
                        }) =>
                {
                    for x in arr {
                        let xo = x.as_object().expect("checked above");
                        match ref_of(xo) {
                            Some(r) => pending.push((idx, name.clone(), r)),
                            None => {
                                if let Some(child) = collect(xo, items, by_id, pending, alert_refs)
                                {
                                    items[idx].refs.push((name.clone(), child));
                                }
                            }
                        }
                    }
                }
                other => {
                    if !cb_domain::is_blank(other) {
                        props.insert(name, other.clone());
                    }
                }
            }
        }
        items[idx].props = props;
        Some(idx)
    }
    let mut top_level_refs = Vec::new();
    for e in list {
        match e.as_object() {
            Some(o) if ref_of(o).is_some() && type_of(o).is_none() => {
                top_level_refs.push(ref_of(o).unwrap_or_default())
            }
            Some(o) => {
                collect(o, &mut items, &mut by_id, &mut pending, &mut alert_refs);
            }
            None => {
                return Ok(Err(format!(
                    "Entities holds {}, expected objects",
                    crate::records::kind(e)
                )))
            }
        }
    }
    // pass 2: $refs may point anywhere in the list, earlier or later
    for (idx, prop, r) in pending {
        match by_id.get(&r) {
            Some(&target) => items[idx].refs.push((prop, target)),
            None => {
                return Ok(Err(format!(
                    "Entities: $ref \"{r}\" names no $id in this record"
                )))
            }
        }
    }
    for r in top_level_refs {
        if !by_id.contains_key(&r) {
            return Ok(Err(format!(
                "Entities: $ref \"{r}\" names no $id in this record"
            )));
        }
    }
    // identity needs the host first (processes, sessions and local accounts are per host)
    let mut nodes: Vec<Option<(NodeId, String)>> = vec![None; items.len()];
    fn store(
        i: usize,
        items: &[Item],
        nodes: &mut Vec<Option<(NodeId, String)>>,
        visiting: &mut Vec<bool>,
        sink: &mut dyn Sink,
        record: RecordNo,
    ) -> Result<Option<(NodeId, String)>, SinkError> {
        if let Some(n) = &nodes[i] {
            return Ok(Some(n.clone()));
        }
        if visiting[i] {
            return Ok(None);
        }
        visiting[i] = true;
        let host = items[i]
            .refs
            .iter()
            .find(|(p, t)| p == "Host" && items[*t].kind == "host")
            .map(|(_, t)| *t);
        let host_key = match host {
            Some(h) => store(h, items, nodes, visiting, sink, record)?.map(|(_, k)| k),
            None => None,
        };
        let rec = EntityRecord {
            kind: items[i].kind.clone(),
            props: items[i].props.clone(),
        };
        let out = sink.entity(&rec, host_key.as_deref(), record)?;
        nodes[i] = Some(out.clone());
        Ok(Some(out))
    }
    let mut visiting = vec![false; items.len()];
    for i in 0..items.len() {
        store(i, &items, &mut nodes, &mut visiting, sink, record)?;
    }
    let empty = Map::new();
    for (i, item) in items.iter().enumerate() {
        let Some((from, _)) = &nodes[i] else { continue };
        for (prop, t) in &item.refs {
            if let Some((to, _)) = &nodes[*t] {
                if from != to {
                    sink.relation(*from, *to, prop, &empty, record)?;
                }
            }
        }
    }
    let mut out: Vec<NodeId> = Vec::new();
    for (n, _) in nodes.into_iter().flatten() {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(Ok(Resolved {
        nodes: out,
        alert_refs,
    }))
}
