//! The investigation graph: what the analyst's map is made of and how it grows.
//!
//! * [`queries`] / [`expand`]: exploration queries per node type. Each query is one SQL "set"
//!   of neighbour ids; the count is `count(DISTINCT …)` over that set and the expansion pages
//!   over the very same set, so the count offered before expanding always equals `total`.
//! * [`CaseGraph`]: our graph type over a private petgraph `StableGraph`, filled lazily from
//!   the store (an expansion, a path search) and rendered to text for snapshot tests.
//! * [`path`]: shortest path over stored relations (BFS, bounded depth, typed edge filter).
//! * [`correlate()`]: incident correlation (Defender-style kill chain per resource, Sentinel-style
//!   shared strong entity), deterministic, with a reason per derived incident.
//! * [`investigation`]: saved maps with an undo/redo history that survives reopening the case.
#![forbid(unsafe_code)]

pub mod correlate;
mod explore;
mod graph;
pub mod groups;
pub mod investigation;
pub mod mitre;
pub mod overview;
mod path;
pub mod trace;

pub use correlate::{add_alert, correlate, remove_alert, CorrelationSettings, DerivedIncident};
pub use explore::{expand, node_view, queries, DEFAULT_LIMIT};
pub use graph::CaseGraph;
pub use path::{path, DEGREE_CAP};
pub use trace::{trace_back, trace_forward, Forward, Trace, TraceStep};

use cb_domain::{NodeId, Severity};
use serde::{Deserialize, Serialize};

/// Errors of the graph crate. Each names what it was working on.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("no such node: {0}")]
    NoSuchNode(NodeId),
    #[error("node {node} has no exploration query {query:?} (ask `queries` for the list)")]
    NoSuchQuery { node: NodeId, query: String },
    #[error("no such investigation: {0}")]
    NoSuchInvestigation(i64),
    #[error("no such incident: {0}")]
    NoSuchIncident(NodeId),
    #[error("investigation {id}: nothing to {what}")]
    NothingTo { id: i64, what: &'static str },
    #[error("investigation {id}: stored history is damaged at step {step}: {reason}")]
    BadHistory {
        id: i64,
        step: usize,
        reason: String,
    },
    #[error("invalid argument: {0}")]
    Invalid(String),
    #[error("bundled ATT&CK data: {0}")]
    Mitre(String),
    #[error(transparent)]
    Store(#[from] cb_store::StoreError),
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
}

pub type Result<T, E = GraphError> = std::result::Result<T, E>;

/// One exploration query a node offers, with its count (computed before anything expands).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueryInfo {
    pub id: String,
    pub label: String,
    pub count: u64,
}

/// A node as the map shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NodeView {
    pub id: NodeId,
    /// `alert`, `incident`, `event`, or the entity kind (`host`, `account`, `ip`, …).
    pub kind: String,
    pub label: String,
    pub severity: Option<Severity>,
    /// Start time of an alert, first activity of an incident, time of an event.
    pub time: Option<String>,
}

/// A typed, directed edge on the map. `id` is `from|kind|to`, so the same edge reached two ways
/// is one edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EdgeView {
    pub id: String,
    pub from: NodeId,
    pub to: NodeId,
    pub kind: String,
}

impl EdgeView {
    pub fn new(from: NodeId, to: NodeId, kind: &str) -> EdgeView {
        EdgeView {
            id: format!("{from}|{kind}|{to}"),
            from,
            to,
            kind: kind.to_string(),
        }
    }
}

/// What an expansion (or a path) adds to the map: one page of nodes, the edges that attach
/// them, how many the query holds in all and how many are left after this page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Expansion {
    pub nodes: Vec<NodeView>,
    pub edges: Vec<EdgeView>,
    pub total: u64,
    pub more: u64,
}
