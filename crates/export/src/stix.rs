//! STIX 2.1 bundle: observables for entities, an `incident` for the alert/incident (or one per
//! alert for a whole case), `relationship`s for relations, wrapped in a `report`.

use crate::{subgraph, Result, Scope};
use cb_domain::NodeId;
use cb_store::SqliteStore;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// A stable UUID-shaped id from a name (SHA-256 based, version nibble 8 = "custom" per
/// RFC 9562): re-exporting the same case gives the same ids.
fn stable_id(kind: &str, name: &str) -> String {
    let d = Sha256::digest(format!("caseboard|{kind}|{name}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{kind}--{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn props_of(store: &SqliteStore, id: NodeId) -> Result<(String, Map<String, Value>)> {
    let d = store.node(id)?;
    let key = d
        .fields
        .get("key")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let props = d
        .fields
        .get("props")
        .and_then(|v| v.as_object())
        .cloned()
        .unwrap_or_default();
    Ok((key, props))
}

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    cb_domain::prop_str(m, k)
}

/// The STIX object for one entity, or `None` for kinds STIX has no object for.
fn entity_object(
    kind: &str,
    label: &str,
    key: &str,
    p: &Map<String, Value>,
    created: &str,
) -> Option<Value> {
    let sco = |t: &str, mut body: Map<String, Value>| {
        body.insert("type".into(), json!(t));
        body.insert("spec_version".into(), json!("2.1"));
        body.insert("id".into(), json!(stable_id(t, key)));
        Value::Object(body)
    };
    let mut m = Map::new();
    Some(match kind {
        "ip" => {
            let v = text(p, "Address")?;
            match v.trim().parse::<std::net::IpAddr>() {
                Ok(ip) => {
                    m.insert("value".into(), json!(ip.to_string()));
                    sco(
                        if ip.is_ipv6() {
                            "ipv6-addr"
                        } else {
                            "ipv4-addr"
                        },
                        m,
                    )
                }
                // evidence said "ip" but this is no address: kept as text, in a note
                // (`object_refs` filled in by `stix_bundle`)
                Err(_) => json!({
                    "type": "note", "spec_version": "2.1", "id": stable_id("note", key),
                    "created": created, "modified": created,
                    "abstract": "ip entity whose address does not parse",
                    "content": format!("Caseboard ip entity {label:?}: the address {v:?} is not an IPv4 or IPv6 address; kept as text"),
                    "object_refs": [],
                }),
            }
        }
        "url" => {
            m.insert("value".into(), json!(text(p, "Url")?));
            sco("url", m)
        }
        "dns" => {
            m.insert("value".into(), json!(text(p, "DomainName")?));
            sco("domain-name", m)
        }
        "mailbox" => {
            m.insert("value".into(), json!(text(p, "MailboxPrimaryAddress")?));
            sco("email-addr", m)
        }
        "account" => {
            m.insert(
                "account_login".into(),
                json!(text(p, "Name").unwrap_or_else(|| label.to_string())),
            );
            m.insert("display_name".into(), json!(label));
            if let Some(s) = text(p, "Sid").or_else(|| text(p, "AadUserId")) {
                m.insert("user_id".into(), json!(s));
            }
            sco("user-account", m)
        }
        "file" => {
            m.insert(
                "name".into(),
                json!(text(p, "Name").unwrap_or_else(|| label.to_string())),
            );
            sco("file", m)
        }
        "filehash" => {
            let alg = text(p, "Algorithm")?
                .to_ascii_uppercase()
                .replace("SHA", "SHA-");
            m.insert("hashes".into(), json!({ alg: text(p, "Value")? }));
            sco("file", m)
        }
        "process" => {
            if let Some(c) = text(p, "CommandLine") {
                m.insert("command_line".into(), json!(c));
            }
            if let Some(pid) = text(p, "ProcessId").and_then(|s| {
                let s = s.trim();
                s.strip_prefix("0x")
                    .map(|h| i64::from_str_radix(h, 16).ok())
                    .unwrap_or_else(|| s.parse().ok())
            }) {
                m.insert("pid".into(), json!(pid));
            }
            sco("process", m)
        }
        "registry-key" => {
            m.insert("key".into(), json!(label));
            sco("windows-registry-key", m)
        }
        "host" | "azure-resource" => json!({
            "type": "infrastructure", "spec_version": "2.1", "id": stable_id("infrastructure", key),
            "created": created, "modified": created, "name": label,
            "infrastructure_types": [if kind == "host" { "workstation" } else { "hosting-target" }],
        }),
        _ => return None,
    })
}

/// A STIX 2.1 bundle of `scope`. `created` is the timestamp written on the SDOs (passed in so
/// that exports are reproducible).
pub fn stix_bundle(store: &SqliteStore, scope: Scope, created: &str) -> Result<Value> {
    let g = subgraph(store, scope)?;
    let mut objects: Vec<Value> = Vec::new();
    let mut ids: std::collections::BTreeMap<NodeId, String> = Default::default();
    for n in &g.nodes {
        match n.id {
            NodeId::Entity(_) => {
                let (key, props) = props_of(store, n.id)?;
                if let Some(o) = entity_object(&n.kind, &n.label, &key, &props, created) {
                    ids.insert(n.id, o["id"].as_str().unwrap_or_default().to_string());
                    objects.push(o);
                }
            }
            NodeId::Alert(_) | NodeId::Incident(_) => {
                let d = store.node(n.id)?;
                let ext = d
                    .fields
                    .get("ext_id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                let id = stable_id("incident", &format!("{}|{ext}", n.kind));
                let description = d
                    .fields
                    .get("description")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                let mut o = json!({
                    "type": "incident", "spec_version": "2.1", "id": id, "created": created, "modified": created,
                    "name": n.label, "description": description,
                    "labels": [format!("caseboard-{}", n.kind)],
                });
                if let Some(s) = &n.severity {
                    o["x_caseboard_severity"] = json!(s);
                }
                ids.insert(n.id, id);
                objects.push(o);
            }
            NodeId::Event(_) => {}
        }
    }
    let mut rels = Vec::new();
    for e in &g.edges {
        if let (Some(s), Some(t)) = (ids.get(&e.from), ids.get(&e.to)) {
            if s != t {
                rels.push(json!({
                    "type": "relationship", "spec_version": "2.1",
                    "id": stable_id("relationship", &format!("{s}|{}|{t}", e.kind)),
                    "created": created, "modified": created,
                    "relationship_type": if e.kind == "involves" || e.kind == "contains" { "related-to".to_string() } else { e.kind.to_lowercase().replace('_', "-") },
                    "source_ref": s, "target_ref": t, "description": e.kind,
                }));
            }
        }
    }
    rels.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    rels.dedup_by(|a, b| a["id"] == b["id"]);
    objects.extend(rels);
    let name = match scope {
        Scope::Case => "Caseboard case export".to_string(),
        Scope::Investigation(i) => format!("Caseboard investigation {i}"),
        Scope::Around(id) => format!("Caseboard export of {}", store.label(id)?),
    };
    let report_id = stable_id("report", &name);
    // a note refers to what its entity was related to, and to the report
    for i in 0..objects.len() {
        if objects[i]["type"] != "note" {
            continue;
        }
        let me = objects[i]["id"].clone();
        let mut refs: Vec<Value> = objects
            .iter()
            .filter(|o| o["type"] == "relationship")
            .filter_map(|o| {
                if o["source_ref"] == me {
                    Some(o["target_ref"].clone())
                } else if o["target_ref"] == me {
                    Some(o["source_ref"].clone())
                } else {
                    None
                }
            })
            .collect();
        refs.push(json!(report_id));
        refs.dedup();
        objects[i]["object_refs"] = Value::Array(refs);
    }
    let refs: Vec<Value> = objects.iter().map(|o| o["id"].clone()).collect();
    objects.push(json!({
        "type": "report", "spec_version": "2.1", "id": report_id, "created": created, "modified": created,
        "name": name, "published": created, "report_types": ["incident"], "object_refs": refs,
    }));
    Ok(
        json!({ "type": "bundle", "id": stable_id("bundle", &format!("{name}|{created}")), "objects": objects }),
    )
}
