//! The attack story of an incident (imported or derived) or of a trace: its alerts, the steps
//! of the trace back from them and their key events, in time and kill-chain order, as short
//! paragraphs a stakeholder can read — who, what, where, when, which ATT&CK technique — each
//! sentence carrying the record(s) that prove it. Reads only.

use crate::case::Case;
use crate::error::{ApiError, ApiResult};
use cb_domain::NodeId;
use cb_graph::mitre::{technique, Tactics};
use cb_graph::trace::{Evidence, Trace};
use rusqlite::OptionalExtension;
use serde::Serialize;
use std::collections::BTreeSet;

/// Key events cited per alert at most.
const EVENTS_PER_ALERT: usize = 3;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StorySentence {
    pub text: String,
    /// The node the sentence is about (the window selects it on click).
    pub node: Option<NodeId>,
    pub time: Option<String>,
    pub evidence: Vec<Evidence>,
    /// Matched rather than read (a trace's inferred step), with its confidence.
    pub inferred: bool,
    pub confidence: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoryParagraph {
    pub heading: String,
    /// The ATT&CK tactic of the paragraph, when it is one stage of the kill chain.
    pub tactic: Option<String>,
    pub sentences: Vec<StorySentence>,
}

/// `caseboard story --json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Story {
    pub subject: NodeId,
    pub title: String,
    /// Who, what, where, when in one paragraph.
    pub summary: String,
    pub paragraphs: Vec<StoryParagraph>,
    pub hosts: Vec<String>,
    pub accounts: Vec<String>,
    pub first: Option<String>,
    pub last: Option<String>,
}

/// A kill-chain stage: its position and the tactic's name (none: no known tactic).
type Stage = Option<(usize, String)>;

struct AlertFacts {
    id: NodeId,
    name: String,
    severity: String,
    time: Option<String>,
    tactics: Vec<String>,
    techniques: Vec<String>,
    hosts: Vec<String>,
    accounts: Vec<String>,
    processes: Vec<(NodeId, String)>,
    evidence: Vec<Evidence>,
}

fn severity_name(n: Option<i64>) -> &'static str {
    match n {
        Some(3) => "High",
        Some(2) => "Medium",
        Some(1) => "Low",
        Some(0) => "Informational",
        _ => "unrated",
    }
}

/// `2020-09-14 12:06:01 UTC` for a stored `2020-09-14T12:06:01.826Z`.
fn human(t: &str) -> String {
    match (t.get(..10), t.get(11..19)) {
        (Some(d), Some(h)) if t.ends_with('Z') => format!("{d} {h} UTC"),
        _ => t.to_string(),
    }
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(text).unwrap_or_default()
}

/// `T1047 Windows Management Instrumentation`.
fn technique_text(id: &str) -> String {
    match technique(id) {
        Some(t) => match &t.parent_name {
            Some(p) => format!("{} {p}: {}", t.id, t.name),
            None => format!("{} {}", t.id, t.name),
        },
        None => id.to_string(),
    }
}

fn join_names(v: &[String]) -> String {
    match v.len() {
        0 => String::new(),
        1 => v[0].clone(),
        2 => format!("{} and {}", v[0], v[1]),
        _ => format!("{} and {}", v[..v.len() - 1].join(", "), v[v.len() - 1]),
    }
}

fn source_evidence(
    c: &rusqlite::Connection,
    source_id: Option<i64>,
    record: Option<i64>,
) -> ApiResult<Vec<Evidence>> {
    let (Some(s), Some(r)) = (source_id, record) else {
        return Ok(vec![]);
    };
    let path: Option<String> = c
        .prepare_cached("SELECT path FROM sources WHERE id = ?1")?
        .query_row([s], |x| x.get(0))
        .optional()?;
    let event: Option<i64> = c
        .prepare_cached("SELECT id FROM events WHERE source_id = ?1 AND record = ?2 LIMIT 1")?
        .query_row([s, r], |x| x.get(0))
        .optional()?;
    Ok(path
        .map(|source| Evidence {
            source,
            record: r,
            event: event.map(NodeId::Event),
        })
        .into_iter()
        .collect())
}

fn alert_facts(c: &rusqlite::Connection, a: i64) -> ApiResult<AlertFacts> {
    type Row = (
        String,
        Option<i64>,
        Option<String>,
        String,
        String,
        Option<i64>,
        Option<i64>,
    );
    let (name, sev, time, tactics, techniques, source_id, record): Row = c
        .prepare_cached(
            "SELECT name, severity, start_time, tactics, techniques, source_id, record FROM alerts WHERE id = ?1",
        )?
        .query_row([a], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?
        .ok_or(ApiError::Case(cb_store::StoreError::NoSuchNode(
            NodeId::Alert(a),
        )))?;
    let mut hosts = vec![];
    let mut accounts = vec![];
    let mut processes = vec![];
    let involved = crate::process_tree::id_text_text(
        c,
        "SELECT e.id, e.kind, e.label FROM relations r JOIN entities e ON e.id = CAST(substr(r.dst, 8) AS INTEGER)
         WHERE r.src = ?1 AND r.kind = 'involves' AND r.dst LIKE 'entity:%' ORDER BY e.id",
        &NodeId::Alert(a).to_string(),
    )?;
    for (id, kind, label) in involved {
        match kind.as_str() {
            "host" if !hosts.contains(&label) => hosts.push(label),
            "account" if !accounts.contains(&label) => accounts.push(label),
            "process" => processes.push((NodeId::Entity(id), label)),
            _ => {}
        }
    }
    let mut evidence = source_evidence(c, source_id, record)?;
    // the events a detection alert matched: the first few, as its key events
    let mut st = c.prepare_cached(
        "SELECT s.path, e.record, e.id FROM relations r JOIN events e ON e.id = CAST(substr(r.dst, 7) AS INTEGER)
         JOIN sources s ON s.id = e.source_id
         WHERE r.src = ?1 AND r.kind = 'evidence' AND r.dst LIKE 'event:%' ORDER BY e.time, e.id LIMIT ?2",
    )?;
    let rows = st.query_map(
        rusqlite::params![NodeId::Alert(a).to_string(), EVENTS_PER_ALERT as i64],
        |r| {
            Ok(Evidence {
                source: r.get(0)?,
                record: r.get(1)?,
                event: Some(NodeId::Event(r.get(2)?)),
            })
        },
    )?;
    for e in rows {
        let e = e?;
        if !evidence.contains(&e) {
            evidence.push(e);
        }
    }
    Ok(AlertFacts {
        id: NodeId::Alert(a),
        name,
        severity: severity_name(sev).to_string(),
        time,
        tactics: json_list(&tactics),
        techniques: json_list(&techniques),
        hosts,
        accounts,
        processes,
        evidence,
    })
}

fn alert_sentence(f: &AlertFacts) -> StorySentence {
    let mut text = format!(
        "{}{} ({} severity)",
        f.time
            .as_deref()
            .map(|t| format!("At {}, ", human(t)))
            .unwrap_or_default(),
        f.name,
        f.severity
    );
    if !f.hosts.is_empty() {
        text.push_str(&format!(" on {}", join_names(&f.hosts)));
    }
    if !f.accounts.is_empty() {
        text.push_str(&format!(", as {}", join_names(&f.accounts)));
    }
    if let Some((_, p)) = f.processes.first() {
        text.push_str(&format!(", by {p}"));
    }
    text.push('.');
    if !f.techniques.is_empty() {
        let t: Vec<String> = f.techniques.iter().map(|t| technique_text(t)).collect();
        text.push_str(&format!(
            " Technique{}: {}.",
            if t.len() == 1 { "" } else { "s" },
            t.join("; ")
        ));
    }
    StorySentence {
        text,
        node: Some(f.id),
        time: f.time.clone(),
        evidence: f.evidence.clone(),
        inferred: false,
        confidence: None,
    }
}

/// The trace's steps from the oldest to the newest, as sentences.
fn trace_paragraph(t: &Trace) -> StoryParagraph {
    let sentences = t
        .steps
        .iter()
        .rev()
        .filter(|s| s.edge.is_some())
        .map(|s| StorySentence {
            text: if s.text.ends_with('.') {
                s.text.clone()
            } else {
                format!("{}.", s.text)
            },
            node: Some(s.node.id),
            time: s.time.clone(),
            evidence: s.evidence.clone(),
            inferred: s.inferred,
            confidence: s.confidence.clone(),
        })
        .collect();
    StoryParagraph {
        heading: format!("How it got there (traced back to {})", t.root.label),
        tactic: None,
        sentences,
    }
}

/// The story of `node`: an incident (its alerts), an alert, an event or a process (its trace).
pub fn story(case: &Case, node: NodeId) -> ApiResult<Story> {
    let c = case.store.conn();
    let tactics = Tactics::bundled().map_err(ApiError::Graph)?;
    let (title, alert_ids): (String, Vec<i64>) = match node {
        NodeId::Incident(i) => {
            let title: String = c
                .prepare_cached("SELECT title FROM incidents WHERE id = ?1")?
                .query_row([i], |r| r.get(0))
                .optional()?
                .ok_or(ApiError::Case(cb_store::StoreError::NoSuchNode(node)))?;
            let mut st = c.prepare_cached(
                "SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.ext_id = ia.alert_ext_id
                 WHERE ia.incident_id = ?1 ORDER BY a.start_time, a.id",
            )?;
            let ids = st
                .query_map([i], |r| r.get(0))?
                .collect::<Result<Vec<i64>, _>>()?;
            (title, ids)
        }
        NodeId::Alert(a) => (case.store.label(node)?, vec![a]),
        NodeId::Event(_) | NodeId::Entity(_) => (case.store.label(node)?, vec![]),
    };
    let mut facts = alert_ids
        .iter()
        .map(|&a| alert_facts(c, a))
        .collect::<ApiResult<Vec<_>>>()?;
    // kill-chain stage of an alert: its earliest tactic (unknown ones last)
    let stage = |f: &AlertFacts| {
        let t = tactics
            .earliest(f.tactics.iter().map(String::as_str))
            .or_else(|| {
                f.techniques
                    .iter()
                    .filter_map(|t| technique(t))
                    .flat_map(|t| t.tactics.iter())
                    .filter_map(|t| tactics.lookup(t))
                    .min_by_key(|t| t.stage)
            });
        t.map(|t| (t.stage, t.name.clone()))
    };
    facts.sort_by(|a, b| {
        (a.time.as_deref(), stage(a).map(|s| s.0)).cmp(&(b.time.as_deref(), stage(b).map(|s| s.0)))
    });
    // paragraphs: one per kill-chain stage, in stage order; each in time order
    let mut stages: Vec<(Stage, Vec<&AlertFacts>)> = vec![];
    for f in &facts {
        let s = stage(f);
        match stages.iter_mut().find(|(k, _)| *k == s) {
            Some((_, v)) => v.push(f),
            None => stages.push((s, vec![f])),
        }
    }
    stages.sort_by_key(|(k, _)| k.as_ref().map(|k| k.0).unwrap_or(usize::MAX));
    let mut paragraphs: Vec<StoryParagraph> = vec![];
    // the trace first: how the first foothold came to be
    let trace_from = match node {
        NodeId::Incident(_) | NodeId::Alert(_) => facts
            .iter()
            .rev()
            .find(|f| !f.processes.is_empty())
            .map(|f| f.id),
        other => Some(other),
    };
    let mut trace_hosts = vec![];
    let mut traced_to = None;
    if let Some(t) = trace_from {
        match cb_graph::trace_back(&case.store, t, cb_graph::trace::DEFAULT_MAX_STEPS) {
            Ok(tr) => {
                for s in &tr.steps {
                    if s.node.kind == "host" {
                        trace_hosts.push(s.node.label.clone());
                    }
                    if let Some(serde_json::Value::String(h)) = s.node.props.get("host") {
                        trace_hosts.push(h.clone());
                    }
                }
                traced_to = Some(match tr.root.props.get("host") {
                    Some(serde_json::Value::String(h)) => format!("{} on {h}", tr.root.label),
                    _ => tr.root.label.clone(),
                });
                let p = trace_paragraph(&tr);
                if !p.sentences.is_empty() {
                    paragraphs.push(p);
                }
            }
            // an entity that is not a process has no trace: the story is its alerts alone
            Err(cb_graph::GraphError::Invalid(_)) if matches!(t, NodeId::Entity(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    for (k, fs) in &stages {
        paragraphs.push(StoryParagraph {
            heading: k
                .as_ref()
                .map(|k| k.1.clone())
                .unwrap_or_else(|| "Other alerts".to_string()),
            tactic: k.as_ref().map(|k| k.1.clone()),
            sentences: fs.iter().map(|f| alert_sentence(f)).collect(),
        });
    }
    let hosts: Vec<String> = facts
        .iter()
        .flat_map(|f| f.hosts.iter().cloned())
        .chain(trace_hosts)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let accounts: Vec<String> = facts
        .iter()
        .flat_map(|f| f.accounts.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let times: Vec<&str> = paragraphs
        .iter()
        .flat_map(|p| p.sentences.iter())
        .filter_map(|s| s.time.as_deref())
        .collect();
    let first = times.iter().min().map(|s| s.to_string());
    let last = times.iter().max().map(|s| s.to_string());
    let stage_names: Vec<String> = stages
        .iter()
        .filter_map(|(k, _)| k.as_ref().map(|k| k.1.clone()))
        .collect();
    let mut summary = String::new();
    match (&first, &last) {
        (Some(a), Some(b)) if a != b => {
            summary.push_str(&format!("Between {} and {}, ", human(a), human(b)))
        }
        (Some(a), _) => summary.push_str(&format!("At {}, ", human(a))),
        _ => {}
    }
    if facts.is_empty() {
        summary.push_str(&format!("the trace of {title}"));
    } else {
        summary.push_str(&format!(
            "{} alert{}",
            facts.len(),
            if facts.len() == 1 { "" } else { "s" }
        ));
    }
    if !hosts.is_empty() {
        summary.push_str(&format!(" touched {}", join_names(&hosts)));
    } else {
        summary.push_str(" were raised");
    }
    if !accounts.is_empty() {
        summary.push_str(&format!(", involving {}", join_names(&accounts)));
    }
    summary.push('.');
    if !stage_names.is_empty() {
        summary.push_str(&format!(" Kill-chain stages: {}.", stage_names.join(" → ")));
    }
    if let Some(r) = &traced_to {
        summary.push_str(&format!(" Traced back to {r}."));
    }
    Ok(Story {
        subject: node,
        title,
        summary,
        paragraphs,
        hosts,
        accounts,
        first,
        last,
    })
}
