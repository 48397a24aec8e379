//! STIX 2.x bundles: objects become entities (cyber observables with Sentinel kinds and
//! identifiers, other objects as their own STIX type), `relationship` objects become
//! relations, `sighting`s become events linked to what was seen and where.

use crate::emit::Ctx;
use crate::jsonscan::{ElemError, Elements};
use cb_domain::{EntityRecord, EventRecord, NodeId, RecordNo, SinkError};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Read;

struct Pending {
    record: RecordNo,
    n: u64,
    src: String,
    dst: String,
    kind: String,
    props: Map<String, Value>,
}

pub(crate) fn import(r: impl Read, ctx: &mut Ctx<'_>, member: &str) -> Result<(), SinkError> {
    let max = ctx.settings.max_record_bytes;
    let els = match Elements::under_key(r, "objects", max) {
        Ok(e) => e,
        Err(e) => {
            let rec = ctx.record_no(0);
            ctx.skip(rec, member, format!("not a STIX bundle: {e}"));
            return Ok(());
        }
    };
    let mut ids: HashMap<String, NodeId> = HashMap::new();
    let mut pending: Vec<Pending> = Vec::new();
    for (i, el) in els.enumerate() {
        let n = i as u64 + 1;
        let rec = ctx.record_no(n);
        ctx.tick()?;
        let bytes = match el {
            Ok(b) => b,
            Err(ElemError::TooLarge(sz)) => {
                ctx.skip(
                    rec,
                    member,
                    format!("object {n}: {sz} bytes, over the record limit"),
                );
                continue;
            }
            Err(ElemError::Broken(e)) => {
                ctx.skip(rec, member, format!("object {n}: {e}"));
                continue;
            }
        };
        let obj: Map<String, Value> = match serde_json::from_slice(&bytes) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                ctx.skip(rec, member, format!("object {n}: not a JSON object"));
                continue;
            }
            Err(e) => {
                ctx.skip(rec, member, format!("object {n}: invalid JSON: {e}"));
                continue;
            }
        };
        let ty = obj
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if ty.is_empty() || id.is_empty() {
            ctx.skip(rec, member, format!("object {n}: no type or id"));
            continue;
        }
        match ty.as_str() {
            "relationship" => {
                let g = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                let mut props = Map::new();
                props.insert("stix_id".into(), Value::String(id.clone()));
                if let Some(d) = obj.get("description").and_then(Value::as_str) {
                    props.insert(
                        "description".into(),
                        Value::String(cb_domain::identity::truncate(d, 300)),
                    );
                }
                pending.push(Pending {
                    record: rec,
                    n,
                    src: g("source_ref"),
                    dst: g("target_ref"),
                    kind: g("relationship_type"),
                    props,
                });
            }
            "sighting" => {
                let of = obj
                    .get("sighting_of_ref")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let time = ["first_seen", "last_seen", "created"].iter().find_map(|k| {
                    obj.get(*k)
                        .and_then(Value::as_str)
                        .and_then(cb_domain::time::normalize)
                });
                let ev = EventRecord {
                    source: "stix2.sighting".into(),
                    channel: "sighting".into(),
                    event_id: Some(id.clone()),
                    time,
                    summary: format!(
                        "STIX sighting of {of}{}",
                        obj.get("count")
                            .map(|c| format!(" ({c} times)"))
                            .unwrap_or_default()
                    ),
                    fields: obj.clone(),
                };
                let evn = ctx.sink.event(&ev, rec)?;
                let refs = |k: &str| -> Vec<String> {
                    obj.get(k)
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let mut p = Map::new();
                p.insert("stix_id".into(), Value::String(id.clone()));
                // the event mentions what was seen, where, and in which observed data
                let mut targets = vec![(of.clone(), "mentions")];
                targets.extend(
                    refs("where_sighted_refs")
                        .into_iter()
                        .map(|r| (r, "mentions")),
                );
                targets.extend(
                    refs("observed_data_refs")
                        .into_iter()
                        .map(|r| (r, "mentions")),
                );
                for (t, k) in targets {
                    pending.push(Pending {
                        record: rec,
                        n,
                        src: format!("@{}", evn),
                        dst: t,
                        kind: k.into(),
                        props: p.clone(),
                    });
                }
                for w in refs("where_sighted_refs") {
                    pending.push(Pending {
                        record: rec,
                        n,
                        src: w,
                        dst: of.clone(),
                        kind: "sighted".into(),
                        props: p.clone(),
                    });
                }
            }
            _ => {
                let (e, hashes) = entity_of(&ty, &id, &obj);
                let (node, _) = ctx.entity(&e, None, rec, None)?;
                ids.insert(id.clone(), node);
                for h in hashes {
                    let (hn, _) = ctx.entity(&h, None, rec, None)?;
                    ctx.sink
                        .relation(node, hn, "FileHashes", &Map::new(), rec)?;
                }
            }
        }
    }
    for p in pending {
        let resolve = |s: &str| -> Option<NodeId> {
            match s.strip_prefix('@') {
                Some(n) => n.parse().ok(),
                None => ids.get(s).copied(),
            }
        };
        match (resolve(&p.src), resolve(&p.dst)) {
            (Some(a), Some(b)) => ctx.sink.relation(
                a,
                b,
                if p.kind.is_empty() {
                    "related-to"
                } else {
                    &p.kind
                },
                &p.props,
                p.record,
            )?,
            _ => ctx.skip(
                p.record,
                member,
                format!(
                    "object {}: {} {} -> {}: an end is not in the bundle",
                    p.n,
                    p.kind,
                    p.src.trim_start_matches('@'),
                    p.dst
                ),
            ),
        }
    }
    Ok(())
}

/// An entity for a STIX object, plus filehash entities for a `file`'s hashes.
fn entity_of(ty: &str, id: &str, o: &Map<String, Value>) -> (EntityRecord, Vec<EntityRecord>) {
    let s = |k: &str| o.get(k).and_then(Value::as_str).map(String::from);
    let mut hashes = vec![];
    let e = match ty {
        "ipv4-addr" | "ipv6-addr" => {
            EntityRecord::new("ip").with("Address", s("value").unwrap_or_default())
        }
        "domain-name" => {
            EntityRecord::new("dns").with("DomainName", s("value").unwrap_or_default())
        }
        "url" => EntityRecord::new("url").with("Url", s("value").unwrap_or_default()),
        "email-addr" => EntityRecord::new("mailbox")
            .with("MailboxPrimaryAddress", s("value").unwrap_or_default()),
        "user-account" => EntityRecord::new("account")
            .with(
                "Name",
                s("account_login").or(s("user_id")).unwrap_or_default(),
            )
            .with("DisplayName", s("display_name").unwrap_or_default()),
        "process" => EntityRecord::new("process")
            .with("ProcessId", o.get("pid").cloned().unwrap_or(Value::Null))
            .with("CommandLine", s("command_line").unwrap_or_default()),
        "windows-registry-key" => {
            let key = s("key").unwrap_or_default();
            let (h, k) = key
                .split_once('\\')
                .map(|(h, k)| (h.to_string(), k.to_string()))
                .unwrap_or((key.clone(), String::new()));
            EntityRecord::new("registry-key")
                .with("Hive", h)
                .with("Key", k)
        }
        "file" => {
            if let Some(Value::Object(h)) = o.get("hashes") {
                for (alg, v) in h {
                    if let Some(v) = v.as_str() {
                        hashes.push(
                            EntityRecord::new("filehash")
                                .with("Algorithm", alg.replace('-', ""))
                                .with("Value", v),
                        );
                    }
                }
            }
            EntityRecord::new("file").with("Name", s("name").unwrap_or_default())
        }
        _ => {
            let mut e = EntityRecord::new(ty)
                .with("Id", id)
                .with("Name", s("name").unwrap_or_default());
            if let Some(p) = s("pattern") {
                e = e.with("Pattern", p);
            }
            if let Some(d) = s("description") {
                e = e.with("Description", cb_domain::identity::truncate(&d, 500));
            }
            if let Some(Value::Array(refs)) = o.get("external_references") {
                if let Some(x) = refs
                    .iter()
                    .find_map(|r| r.get("external_id").and_then(Value::as_str))
                {
                    e = e.with("ExternalId", x);
                }
            }
            e
        }
    };
    (e.with("StixId", id), hashes)
}
