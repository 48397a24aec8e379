//! Exports of a case, an investigation map or one incident:
//!
//! * [`graphml`] — nodes and typed edges for Gephi, yEd or Maltego;
//! * [`stix_bundle`] — a STIX 2.1 bundle (observables, the incident, relationships) for OpenCTI
//!   or MISP, with ids derived from entity identity so re-exports are stable;
//! * [`html_report`] — a self-contained incident report (no script, no remote content, every
//!   evidence string escaped), with extra sections (the attack story) when given;
//! * [`mod@pdf`] — a text PDF of a [`Doc`] (base-14 fonts, wrapped here).
//!
//! Everything from evidence is attacker-controlled text: every writer escapes it for its format.
#![forbid(unsafe_code)]

mod custody;
mod html;
pub mod pdf;
mod stix;

pub use custody::custody_html;
pub use html::{html_report, html_report_with};
pub use pdf::{pdf, Block, Doc, Section};
pub use stix::stix_bundle;

use cb_domain::NodeId;
use cb_store::SqliteStore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] cb_store::StoreError),
    #[error(transparent)]
    Graph(#[from] cb_graph::GraphError),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = ExportError> = std::result::Result<T, E>;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Alerts, incidents, entities and their relations (raw events left out).
    Case,
    /// The visible nodes of a saved investigation map.
    Investigation(i64),
    /// An alert or incident, its alerts and their entities.
    Around(NodeId),
}

/// A node or edge set ready to be written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Subgraph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    pub kind: String,
    pub label: String,
    pub severity: Option<String>,
    pub time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: String,
}

fn node(store: &SqliteStore, id: NodeId) -> Result<Node> {
    let v = cb_graph::node_view(store, id)?;
    Ok(Node {
        id,
        kind: v.kind,
        label: v.label,
        severity: v.severity.map(|s| s.as_str().to_string()),
        time: v.time,
    })
}

/// Collect the nodes and edges of `scope`.
pub fn subgraph(store: &SqliteStore, scope: Scope) -> Result<Subgraph> {
    let ids: BTreeSet<NodeId> = match scope {
        Scope::Case => {
            let mut s: BTreeSet<NodeId> = store
                .alerts(cb_store::AlertSort::Time)?
                .into_iter()
                .map(|a| a.id)
                .collect();
            s.extend(store.incidents()?.into_iter().map(|i| i.id));
            s.extend(store.entities(None)?.into_iter().map(|e| e.id));
            s
        }
        Scope::Investigation(id) => {
            let map = cb_graph::investigation::get(store, id)?;
            map.nodes
                .into_iter()
                .filter(|n| n.visible)
                .map(|n| n.view.id)
                .collect()
        }
        Scope::Around(target) => {
            let mut s = BTreeSet::from([target]);
            let alerts: Vec<NodeId> = match target {
                NodeId::Incident(_) => store
                    .incidents()?
                    .into_iter()
                    .find(|i| i.id == target)
                    .map(|i| i.alerts)
                    .unwrap_or_default(),
                NodeId::Alert(_) => vec![target],
                other => {
                    return Err(ExportError::Invalid(format!(
                        "{other} is not an alert or incident"
                    )))
                }
            };
            for a in alerts {
                s.insert(a);
                for r in store.relations_of(a)? {
                    if r.kind == "involves" && r.from == a {
                        s.insert(r.to);
                    }
                }
            }
            s
        }
    };
    let mut nodes = Vec::with_capacity(ids.len());
    for id in &ids {
        nodes.push(node(store, *id)?);
    }
    let mut edges = BTreeSet::new();
    for id in &ids {
        for r in store.relations_of(*id)? {
            if r.from == *id && ids.contains(&r.to) {
                edges.insert(Edge {
                    from: r.from,
                    to: r.to,
                    kind: r.kind,
                });
            }
        }
    }
    // incident membership lives in its own table
    for i in store.incidents()? {
        if ids.contains(&i.id) {
            for a in i.alerts.iter().filter(|a| ids.contains(a)) {
                edges.insert(Edge {
                    from: i.id,
                    to: *a,
                    kind: "contains".into(),
                });
            }
        }
    }
    Ok(Subgraph {
        nodes,
        edges: edges.into_iter().collect(),
    })
}

/// XML text: `& < > " '` escaped, characters XML 1.0 forbids dropped.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// GraphML with `kind`, `label`, `severity`, `time` on nodes and `kind` on edges.
pub fn graphml(g: &Subgraph) -> String {
    let mut out = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n",
        "  <key id=\"kind\" for=\"node\" attr.name=\"kind\" attr.type=\"string\"/>\n",
        "  <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n",
        "  <key id=\"severity\" for=\"node\" attr.name=\"severity\" attr.type=\"string\"/>\n",
        "  <key id=\"time\" for=\"node\" attr.name=\"time\" attr.type=\"string\"/>\n",
        "  <key id=\"ekind\" for=\"edge\" attr.name=\"kind\" attr.type=\"string\"/>\n",
        "  <graph id=\"caseboard\" edgedefault=\"directed\">\n"
    ));
    for n in &g.nodes {
        out.push_str(&format!(
            "    <node id=\"{}\">\n",
            xml_escape(&n.id.to_string())
        ));
        out.push_str(&format!(
            "      <data key=\"kind\">{}</data>\n",
            xml_escape(&n.kind)
        ));
        out.push_str(&format!(
            "      <data key=\"label\">{}</data>\n",
            xml_escape(&n.label)
        ));
        if let Some(s) = &n.severity {
            out.push_str(&format!(
                "      <data key=\"severity\">{}</data>\n",
                xml_escape(s)
            ));
        }
        if let Some(t) = &n.time {
            out.push_str(&format!(
                "      <data key=\"time\">{}</data>\n",
                xml_escape(t)
            ));
        }
        out.push_str("    </node>\n");
    }
    for (i, e) in g.edges.iter().enumerate() {
        out.push_str(&format!(
            "    <edge id=\"e{i}\" source=\"{}\" target=\"{}\"><data key=\"ekind\">{}</data></edge>\n",
            xml_escape(&e.from.to_string()),
            xml_escape(&e.to.to_string()),
            xml_escape(&e.kind)
        ));
    }
    out.push_str("  </graph>\n</graphml>\n");
    out
}
