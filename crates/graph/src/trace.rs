//! Trace back: from an alert, an event or a process to what explains it, one step at a time,
//! each step with the record that says so.
//!
//! The walk: parent processes (`ParentProcess`) to the oldest ancestor in the case → the logon
//! session the chain ran in (`in_session`) → where that session came from (`from_ip`) → the
//! host that owns that address (`has_ip`) → on that host, the process that connected to the
//! target at the time of the logon (an *inferred* step: matched by address and time, with a
//! confidence) → and on up that process's chain, until nothing older explains it.
//!
//! Read steps cite the relation's provenance (source file + record). Inferred steps say how
//! they were matched. Nothing here writes to the case.

use crate::{GraphError, Result};
use cb_domain::NodeId;
use cb_store::SqliteStore;
use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Steps a trace takes when the caller gives no limit.
pub const DEFAULT_MAX_STEPS: usize = 64;

/// How far from a logon a connection may be and still be matched to it (seconds).
const LOGON_WINDOW_BEFORE: i64 = 600;
const LOGON_WINDOW_AFTER: i64 = 60;

/// A node of a trace with the properties an analyst identifies it by.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TraceNode {
    pub id: NodeId,
    pub kind: String,
    pub label: String,
    pub props: Map<String, Value>,
}

/// The edge a step followed: `from` is the node the walk came from.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TraceEdge {
    pub kind: String,
    pub from: NodeId,
    pub to: NodeId,
}

/// A record that proves a step: the evidence file (as imported) and the record number in it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Evidence {
    pub source: String,
    pub record: i64,
    /// The stored event of that record, when it is one.
    pub event: Option<NodeId>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TraceStep {
    pub node: TraceNode,
    pub edge: Option<TraceEdge>,
    pub evidence: Vec<Evidence>,
    pub time: Option<String>,
    pub text: String,
    /// Matched rather than read (e.g. a connection matched to a logon by address and time).
    pub inferred: bool,
    /// `high` / `medium` / `low` for inferred steps.
    pub confidence: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Trace {
    pub steps: Vec<TraceStep>,
    /// The oldest thing the trace reached.
    pub root: TraceNode,
}

struct Rel {
    other: NodeId,
    kind: String,
    props: Map<String, Value>,
    source_id: Option<i64>,
    record: Option<i64>,
}

struct Walker<'a> {
    store: &'a SqliteStore,
    steps: Vec<TraceStep>,
    seen: HashSet<NodeId>,
    max_steps: usize,
}

/// Trace `start` back in time. `start` is an alert (through its process, else host, entities),
/// an event (through the process it is about) or a process entity.
pub fn trace_back(store: &SqliteStore, start: NodeId, max_steps: usize) -> Result<Trace> {
    let mut w = Walker {
        store,
        steps: vec![],
        seen: HashSet::new(),
        max_steps: max_steps.max(1),
    };
    let first = w.node(start)?;
    let process = match start {
        NodeId::Alert(_) | NodeId::Event(_) => {
            let via = if matches!(start, NodeId::Alert(_)) {
                "involves"
            } else {
                "mentions"
            };
            let procs = w.start_processes(start, via)?;
            let text = match start {
                NodeId::Alert(_) => format!("Alert \u{201c}{}\u{201d}", first.label),
                _ => format!("Event: {}", first.label),
            };
            let time = time_of(store, start)?;
            w.push(first, None, vec![], time, text, false, None);
            match procs.first() {
                Some(&p) => {
                    let n = w.node(p)?;
                    let text = format!("It is about {}", describe(&n));
                    let time = prop(&n, "CreationTime");
                    w.push(
                        n,
                        Some(edge(via, start, p)),
                        vec![],
                        time,
                        text,
                        false,
                        None,
                    );
                    Some(p)
                }
                None => None,
            }
        }
        NodeId::Entity(_) if first.kind == "process" => {
            let text = format!("Start: {}", describe(&first));
            let time = prop(&first, "CreationTime");
            w.push(first, None, vec![], time, text, false, None);
            Some(start)
        }
        _ => {
            return Err(GraphError::Invalid(format!(
                "a trace starts from an alert, an event or a process; {start} is a {}",
                first.kind
            )))
        }
    };
    if let Some(p) = process {
        w.walk_process(p)?;
    }
    let root = w
        .steps
        .last()
        .map(|s| s.node.clone())
        .ok_or(GraphError::NoSuchNode(start))?;
    Ok(Trace {
        steps: w.steps,
        root,
    })
}

fn edge(kind: &str, from: NodeId, to: NodeId) -> TraceEdge {
    TraceEdge {
        kind: kind.to_string(),
        from,
        to,
    }
}

fn prop(n: &TraceNode, k: &str) -> Option<String> {
    n.props.get(k).and_then(|v| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(x) => Some(x.to_string()),
        _ => None,
    })
}

/// `cmd.exe (4242) on HOST-A`
fn describe(n: &TraceNode) -> String {
    match prop(n, "host") {
        Some(h) if n.kind == "process" => format!("{} on {h}", n.label),
        _ => n.label.clone(),
    }
}

/// Seconds since the epoch of a stored time (`YYYY-MM-DDTHH:MM:SS.mmmZ`, or close to it).
fn epoch(t: &str) -> Option<i64> {
    let t = t.trim();
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp())
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(&t.replace('T', " "), "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|d| d.and_utc().timestamp())
        })
}

fn time_of(store: &SqliteStore, n: NodeId) -> Result<Option<String>> {
    let c = store.conn();
    Ok(match n {
        NodeId::Event(e) => c
            .prepare_cached("SELECT time FROM events WHERE id = ?1")?
            .query_row([e], |r| r.get(0))
            .optional()?
            .flatten(),
        NodeId::Alert(a) => c
            .prepare_cached("SELECT start_time FROM alerts WHERE id = ?1")?
            .query_row([a], |r| r.get(0))
            .optional()?
            .flatten(),
        _ => None,
    })
}

/// Processes that ran system plumbing rather than an actor's intent: a trace prefers others
/// when it has to choose who made a connection.
fn is_service_image(label: &str) -> bool {
    let l = label.to_ascii_lowercase();
    let name = l.split(" (").next().unwrap_or(&l);
    matches!(
        name,
        "svchost.exe" | "lsass.exe" | "system" | "services.exe" | "wininit.exe" | "dns.exe"
    )
}

fn is_loopback(ip: &str) -> bool {
    let ip = ip.trim();
    ip.is_empty()
        || ip == "-"
        || ip == "::1"
        || ip.starts_with("127.")
        || ip == "0:0:0:0:0:0:0:1"
        || ip.starts_with("fe80:")
        || ip == "0.0.0.0"
        || ip == "::"
}

impl Walker<'_> {
    fn node(&self, id: NodeId) -> Result<TraceNode> {
        let c = self.store.conn();
        let row: Option<(String, String, String)> = match id {
            NodeId::Entity(n) => c
                .prepare_cached("SELECT kind, label, props FROM entities WHERE id = ?1")?
                .query_row([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?,
            NodeId::Alert(n) => c
                .prepare_cached("SELECT 'alert', name, '{}' FROM alerts WHERE id = ?1")?
                .query_row([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?,
            NodeId::Incident(n) => c
                .prepare_cached("SELECT 'incident', title, '{}' FROM incidents WHERE id = ?1")?
                .query_row([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?,
            NodeId::Event(n) => c
                .prepare_cached("SELECT 'event', summary, '{}' FROM events WHERE id = ?1")?
                .query_row([n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?,
        };
        let (kind, label, props) = row.ok_or(GraphError::NoSuchNode(id))?;
        let props = match serde_json::from_str::<Value>(&props) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        Ok(TraceNode {
            id,
            kind,
            label,
            props,
        })
    }

    /// Relations of `n` of `kind`: outgoing (`out`) or incoming.
    fn rels(&self, n: NodeId, kind: &str, out: bool) -> Result<Vec<Rel>> {
        let sql = if out {
            "SELECT dst, props, source_id, record FROM relations WHERE src = ?1 AND kind = ?2 ORDER BY id"
        } else {
            "SELECT src, props, source_id, record FROM relations WHERE dst = ?1 AND kind = ?2 ORDER BY id"
        };
        let c = self.store.conn();
        let mut stmt = c.prepare_cached(sql)?;
        let rows = stmt.query_map(rusqlite::params![n.to_string(), kind], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })?;
        let mut v = vec![];
        for row in rows {
            let (o, p, source_id, record) = row?;
            let Ok(other) = o.parse::<NodeId>() else {
                continue;
            };
            let props = match serde_json::from_str::<Value>(&p) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            v.push(Rel {
                other,
                kind: kind.to_string(),
                props,
                source_id,
                record,
            });
        }
        Ok(v)
    }

    fn evidence(&self, source_id: Option<i64>, record: Option<i64>) -> Result<Vec<Evidence>> {
        let (Some(s), Some(r)) = (source_id, record) else {
            return Ok(vec![]);
        };
        let c = self.store.conn();
        let path: Option<String> = c
            .prepare_cached("SELECT path FROM sources WHERE id = ?1")?
            .query_row([s], |r| r.get(0))
            .optional()?;
        let event: Option<i64> = c
            .prepare_cached("SELECT id FROM events WHERE source_id = ?1 AND record = ?2 LIMIT 1")?
            .query_row([s, r], |r| r.get(0))
            .optional()?;
        Ok(vec![Evidence {
            source: path.unwrap_or_default(),
            record: r,
            event: event.map(NodeId::Event),
        }])
    }

    /// What the evidence record is, for the sentence: `Sysmon 1, record 812`.
    fn cite(&self, ev: &[Evidence]) -> Result<(String, Option<String>)> {
        let Some(e) = ev.first() else {
            return Ok((String::new(), None));
        };
        let Some(NodeId::Event(id)) = e.event else {
            return Ok((format!(" — record {}", e.record), None));
        };
        let c = self.store.conn();
        let (channel, eid, time): (String, Option<String>, Option<String>) = c
            .prepare_cached("SELECT channel, event_id, time FROM events WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let family = if channel.contains("Sysmon") {
            "Sysmon".to_string()
        } else if channel.is_empty() {
            "event".to_string()
        } else {
            channel
        };
        Ok((
            format!(
                " — {family} {}, record {}",
                eid.unwrap_or_default(),
                e.record
            ),
            time,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        node: TraceNode,
        edge: Option<TraceEdge>,
        evidence: Vec<Evidence>,
        time: Option<String>,
        text: String,
        inferred: bool,
        confidence: Option<&str>,
    ) {
        self.seen.insert(node.id);
        self.steps.push(TraceStep {
            node,
            edge,
            evidence,
            time,
            text,
            inferred,
            confidence: confidence.map(str::to_string),
        });
    }

    fn full(&self) -> bool {
        self.steps.len() >= self.max_steps
    }

    /// The processes an alert involves or an event mentions, the most specific first: a
    /// process that is a child of another one listed comes before its parent.
    fn start_processes(&self, n: NodeId, via: &str) -> Result<Vec<NodeId>> {
        let mut procs = vec![];
        for r in self.rels(n, via, true)? {
            if self.node(r.other)?.kind == "process" {
                procs.push(r.other);
            }
        }
        let parents: HashSet<NodeId> = procs
            .iter()
            .map(|&p| self.rels(p, "ParentProcess", true))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .map(|r| r.other)
            .collect();
        procs.sort_by_key(|p| parents.contains(p));
        Ok(procs)
    }

    /// Walk up the parent chain from `p`, then out through the logon session, and across to
    /// the host it came from.
    fn walk_process(&mut self, mut p: NodeId) -> Result<()> {
        self.seen.insert(p);
        loop {
            let chain = self.parents(p)?;
            if self.full() {
                return Ok(());
            }
            // The session to leave by: the first process from the top of the chain whose
            // session came from another machine; else the root's own session.
            let mut hop = None;
            for &q in chain.iter().rev() {
                if let Some(s) = self.remote_session(q)? {
                    hop = Some((q, s));
                    break;
                }
            }
            let Some((q, (sess, in_rel))) = hop else {
                let root = *chain.last().unwrap_or(&p);
                if let Some(s) = self.rels(root, "in_session", true)?.into_iter().next() {
                    if !self.seen.contains(&s.other) {
                        self.session_step(root, &s)?;
                    }
                }
                return Ok(());
            };
            self.session_step(q, &in_rel)?;
            let Some(next) = self.cross(q, sess)? else {
                return Ok(());
            };
            p = next;
        }
    }

    /// Parent steps from `p`; returns the chain `[p, parent, grandparent, …]`.
    fn parents(&mut self, p: NodeId) -> Result<Vec<NodeId>> {
        let mut chain = vec![p];
        let mut cur = p;
        while !self.full() {
            let Some(r) = self
                .rels(cur, "ParentProcess", true)?
                .into_iter()
                .find(|r| !self.seen.contains(&r.other))
            else {
                break;
            };
            let child = self.node(cur)?;
            let parent = self.node(r.other)?;
            let ev = self.evidence(r.source_id, r.record)?;
            let (cite, ev_time) = self.cite(&ev)?;
            let time = prop(&child, "CreationTime").or(ev_time);
            let text = format!(
                "{} was started by {}{}{}",
                describe(&child),
                parent.label,
                time.as_deref()
                    .map(|t| format!(" at {t}"))
                    .unwrap_or_default(),
                cite
            );
            let id = parent.id;
            self.push(
                parent,
                Some(edge("ParentProcess", cur, id)),
                ev,
                time,
                text,
                false,
                None,
            );
            chain.push(id);
            cur = id;
        }
        Ok(chain)
    }

    /// The session `q` ran in, when that session came from another machine: (session, the
    /// `in_session` relation).
    fn remote_session(&self, q: NodeId) -> Result<Option<(NodeId, Rel)>> {
        for s in self.rels(q, "in_session", true)? {
            if self.seen.contains(&s.other) {
                continue;
            }
            for ip in self.rels(s.other, "from_ip", true)? {
                let label = self.node(ip.other)?.label;
                if !is_loopback(&label) {
                    return Ok(Some((s.other, s)));
                }
            }
        }
        Ok(None)
    }

    fn session_step(&mut self, q: NodeId, r: &Rel) -> Result<()> {
        let proc_ = self.node(q)?;
        let s = self.node(r.other)?;
        let who = self
            .rels(r.other, "logon_of", true)?
            .first()
            .map(|a| self.node(a.other).map(|n| n.label))
            .transpose()?
            .or_else(|| prop(&s, "AccountName"));
        let mut what = vec![];
        if let Some(t) = prop(&s, "LogonType") {
            what.push(format!("type {t}"));
        }
        if let Some(a) = prop(&s, "AuthenticationPackage") {
            what.push(a);
        }
        let ev = self.evidence(r.source_id, r.record)?;
        let (cite, time) = self.cite(&ev)?;
        let text = format!(
            "{} ran in logon session {}{}{}{}",
            describe(&proc_),
            prop(&s, "LogonId").unwrap_or_else(|| s.label.clone()),
            who.map(|w| format!(" of {w}")).unwrap_or_default(),
            if what.is_empty() {
                String::new()
            } else {
                format!(" ({})", what.join(", "))
            },
            cite
        );
        self.push(
            s,
            Some(edge("in_session", q, r.other)),
            ev,
            time,
            text,
            false,
            None,
        );
        Ok(())
    }

    /// From a remote session on the target: its source address, the host owning it, and the
    /// process there that connected to the target around the logon. Returns that process.
    fn cross(&mut self, _q: NodeId, sess: NodeId) -> Result<Option<NodeId>> {
        let target_host = self.rels(sess, "on_host", true)?.first().map(|r| r.other);
        let Some(ip_rel) = self
            .rels(sess, "from_ip", true)?
            .into_iter()
            .find(|r| !self.seen.contains(&r.other))
        else {
            return Ok(None);
        };
        if self.full() {
            return Ok(None);
        }
        let ip = self.node(ip_rel.other)?;
        let s = self.node(sess)?;
        let ev = self.evidence(ip_rel.source_id, ip_rel.record)?;
        let (cite, logon_time) = self.cite(&ev)?;
        let text = format!(
            "Logon session {} came from {}{}{}",
            prop(&s, "LogonId").unwrap_or_else(|| s.label.clone()),
            ip.label,
            logon_time
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default(),
            cite
        );
        let ip_id = ip.id;
        self.push(
            ip,
            Some(edge("from_ip", sess, ip_id)),
            ev,
            logon_time.clone(),
            text,
            false,
            None,
        );
        // the host that owns the address (from its own records), not the target itself
        let owner = self
            .rels(ip_id, "has_ip", false)?
            .into_iter()
            .find(|r| Some(r.other) != target_host && !self.seen.contains(&r.other));
        let Some(owner) = owner else {
            return Ok(None);
        };
        if self.full() {
            return Ok(None);
        }
        let host = self.node(owner.other)?;
        let ev = self.evidence(owner.source_id, owner.record)?;
        let (cite, _) = self.cite(&ev)?;
        let text = format!(
            "{} is {} (its own address in its own records{cite})",
            self.node(ip_id)?.label,
            host.label
        );
        let host_id = host.id;
        self.push(
            host,
            Some(edge("has_ip", ip_id, host_id)),
            ev,
            None,
            text,
            false,
            None,
        );
        if self.full() {
            return Ok(None);
        }
        // the target's addresses: what the source host's process would have connected to
        let mut targets = vec![];
        if let Some(t) = target_host {
            for r in self.rels(t, "has_ip", true)? {
                targets.push(r.other);
            }
        }
        let logon = logon_time.as_deref().and_then(epoch);
        let Some(found) = self.connection(host_id, &targets, logon)? else {
            return Ok(None);
        };
        let (proc_id, target_ip, port, ev_id, ev_time, dt) = found;
        let pnode = self.node(proc_id)?;
        let tip = self.node(target_ip)?.label;
        let ev = match ev_id {
            Some(e) => self.event_evidence(e)?,
            None => vec![],
        };
        let (cite, _) = self.cite(&ev)?;
        let confidence = match dt.map(i64::abs) {
            Some(d) if d <= 10 => "high",
            Some(d) if d <= 120 => "medium",
            _ => "low",
        };
        let text = format!(
            "On {}, {} connected to {tip}{}{}{} — inferred: the connection to the target's address nearest the logon (confidence {confidence}){cite}",
            self.node(host_id)?.label,
            pnode.label,
            port.map(|p| format!(":{p}")).unwrap_or_default(),
            ev_time.as_deref().map(|t| format!(" at {t}")).unwrap_or_default(),
            match dt {
                Some(d) if d >= 0 => format!(", {d} s before the logon"),
                Some(d) => format!(", {} s after the logon", -d),
                None => String::new(),
            },
        );
        self.push(
            pnode,
            Some(edge("connected_to", target_ip, proc_id)),
            ev,
            ev_time,
            text,
            true,
            Some(confidence),
        );
        Ok(Some(proc_id))
    }

    fn event_evidence(&self, e: i64) -> Result<Vec<Evidence>> {
        let c = self.store.conn();
        let row: Option<(String, i64)> = c
            .prepare_cached(
                "SELECT s.path, e.record FROM events e JOIN sources s ON s.id = e.source_id WHERE e.id = ?1",
            )?
            .query_row([e], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row
            .map(|(source, record)| {
                vec![Evidence {
                    source,
                    record,
                    event: Some(NodeId::Event(e)),
                }]
            })
            .unwrap_or_default())
    }

    /// On `host`, the process that connected to one of `targets` nearest `logon` (within the
    /// window), preferring an actor's process over system services. Returns (process, target
    /// ip, port, event, event time, seconds before the logon).
    #[allow(clippy::type_complexity)]
    fn connection(
        &self,
        host: NodeId,
        targets: &[NodeId],
        logon: Option<i64>,
    ) -> Result<
        Option<(
            NodeId,
            NodeId,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<i64>,
        )>,
    > {
        let mut best: Option<((bool, i64), _)> = None;
        for &t in targets {
            for r in self.rels(t, "connected_to", false)? {
                if self.seen.contains(&r.other) {
                    continue;
                }
                let p = self.node(r.other)?;
                if p.kind != "process" {
                    continue;
                }
                let on_host = self
                    .rels(r.other, "Host", true)?
                    .iter()
                    .any(|h| h.other == host);
                if !on_host {
                    continue;
                }
                let port = r.props.get("port").and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
                // the events that say so: mention both the process and the address
                for (ev, time) in self.events_mentioning(r.other, t)? {
                    let dt = match (logon, time.as_deref().and_then(epoch)) {
                        (Some(l), Some(e)) => Some(l - e),
                        _ => None,
                    };
                    if let Some(d) = dt {
                        if d > LOGON_WINDOW_BEFORE || -d > LOGON_WINDOW_AFTER {
                            continue;
                        }
                    }
                    let score = (
                        is_service_image(&p.label),
                        dt.map(i64::abs).unwrap_or(i64::MAX),
                    );
                    if best.as_ref().is_none_or(|(b, _)| score < *b) {
                        best = Some((score, (r.other, t, port.clone(), Some(ev), time, dt)));
                    }
                }
                let _ = &r.kind;
            }
        }
        Ok(best.map(|(_, v)| v))
    }

    fn events_mentioning(&self, a: NodeId, b: NodeId) -> Result<Vec<(i64, Option<String>)>> {
        let c = self.store.conn();
        let mut stmt = c.prepare_cached(
            "SELECT CAST(substr(r1.src, 7) AS INTEGER), e.time FROM relations r1
             JOIN relations r2 ON r2.src = r1.src AND r2.dst = ?2 AND r2.kind = 'mentions'
             JOIN events e ON e.id = CAST(substr(r1.src, 7) AS INTEGER)
             WHERE r1.dst = ?1 AND r1.kind = 'mentions' AND r1.src LIKE 'event:%'
             ORDER BY e.time LIMIT 1000",
        )?;
        let rows = stmt.query_map([a.to_string(), b.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

/// What a node led to after its time: descendants, files written, accounts used, addresses
/// connected to, the hosts those belong to, and the logon sessions opened there from this
/// host around those connections (and what ran in them, recursively).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Forward {
    /// Nodes reached, per kind (`process`, `file`, `account`, `ip`, `host`,
    /// `host-logon-session`), in kind order.
    pub counts: Vec<(String, u64)>,
    pub nodes: Vec<TraceNode>,
    pub edges: Vec<TraceEdge>,
    /// True when `limit` stopped the walk.
    pub truncated: bool,
}

/// Trace forward from `start` (a process, or an alert/event through its process) over at most
/// `limit` nodes.
pub fn trace_forward(store: &SqliteStore, start: NodeId, limit: usize) -> Result<Forward> {
    let w = Walker {
        store,
        steps: vec![],
        seen: HashSet::new(),
        max_steps: usize::MAX,
    };
    let first = w.node(start)?;
    let roots = match start {
        NodeId::Alert(_) => w.start_processes(start, "involves")?,
        NodeId::Event(_) => w.start_processes(start, "mentions")?,
        NodeId::Entity(_) if first.kind == "process" => vec![start],
        _ => {
            return Err(GraphError::Invalid(format!(
                "a forward trace starts from an alert, an event or a process; {start} is a {}",
                first.kind
            )))
        }
    };
    let mut out = Forward::default();
    let mut seen: HashSet<NodeId> = roots.iter().copied().collect();
    let mut queue: std::collections::VecDeque<NodeId> = roots.into();
    let add = |out: &mut Forward, seen: &mut HashSet<NodeId>, n: TraceNode, e: TraceEdge| {
        out.edges.push(e);
        if seen.insert(n.id) {
            out.nodes.push(n);
            true
        } else {
            false
        }
    };
    while let Some(p) = queue.pop_front() {
        if out.nodes.len() >= limit {
            out.truncated = true;
            break;
        }
        let pnode = w.node(p)?;
        if pnode.kind != "process" {
            continue;
        }
        for r in w.rels(p, "ParentProcess", false)? {
            let c = w.node(r.other)?;
            if add(&mut out, &mut seen, c, edge("ParentProcess", r.other, p)) {
                queue.push_back(r.other);
            }
        }
        for kind in ["created_file", "ran_as", "used_credentials"] {
            for r in w.rels(p, kind, true)? {
                let n = w.node(r.other)?;
                add(&mut out, &mut seen, n, edge(kind, p, r.other));
            }
        }
        let my_hosts: Vec<NodeId> = w.rels(p, "Host", true)?.iter().map(|r| r.other).collect();
        let my_ips: HashSet<NodeId> = my_hosts
            .iter()
            .map(|&h| w.rels(h, "has_ip", true))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .map(|r| r.other)
            .collect();
        for r in w.rels(p, "connected_to", true)? {
            let ip = w.node(r.other)?;
            if is_loopback(&ip.label) {
                continue;
            }
            add(&mut out, &mut seen, ip, edge("connected_to", p, r.other));
            for h in w.rels(r.other, "has_ip", false)? {
                if my_hosts.contains(&h.other) {
                    continue;
                }
                let hn = w.node(h.other)?;
                add(&mut out, &mut seen, hn, edge("has_ip", h.other, r.other));
                // sessions on that host from one of our addresses, and what ran in them
                for s in w.rels(h.other, "on_host", false)? {
                    let from_us = w
                        .rels(s.other, "from_ip", true)?
                        .iter()
                        .any(|x| my_ips.contains(&x.other));
                    if !from_us {
                        continue;
                    }
                    let sn = w.node(s.other)?;
                    if sn.kind != "host-logon-session" {
                        continue;
                    }
                    add(&mut out, &mut seen, sn, edge("on_host", s.other, h.other));
                    for q in w.rels(s.other, "in_session", false)? {
                        let qn = w.node(q.other)?;
                        if add(
                            &mut out,
                            &mut seen,
                            qn,
                            edge("in_session", q.other, s.other),
                        ) {
                            queue.push_back(q.other);
                        }
                    }
                }
            }
        }
    }
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    for n in &out.nodes {
        *counts.entry(n.kind.clone()).or_default() += 1;
    }
    out.counts = counts.into_iter().collect();
    Ok(out)
}
