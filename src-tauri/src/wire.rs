//! The IPC contract: serialisable shapes at the boundary, converted from the core's types.
//! `ui/src/ipc/bindings.ts` is generated from these (see the `bindings` test below); the
//! test fails when the committed file is stale.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// A node id as text: `alert:3`, `incident:1`, `entity:12`, `event:4`.
pub type NodeIdText = String;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
}

impl From<cb_domain::Severity> for Severity {
    fn from(s: cb_domain::Severity) -> Severity {
        match s {
            cb_domain::Severity::Informational => Severity::Informational,
            cb_domain::Severity::Low => Severity::Low,
            cb_domain::Severity::Medium => Severity::Medium,
            cb_domain::Severity::High => Severity::High,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub alerts: u32,
    pub incidents: u32,
    pub entities: u32,
    pub relations: u32,
    pub events: u32,
    pub sources: u32,
}

impl From<cb_store::Stats> for Stats {
    fn from(s: cb_store::Stats) -> Stats {
        let n = |x: i64| u32::try_from(x).unwrap_or(u32::MAX);
        Stats {
            alerts: n(s.alerts),
            incidents: n(s.incidents),
            entities: n(s.entities),
            relations: n(s.relations),
            events: n(s.events),
            sources: n(s.sources),
        }
    }
}

/// The open case.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseInfo {
    pub path: String,
    /// File name without extension, for the title bar.
    pub name: String,
    pub stats: Stats,
    /// The investigation that was on screen when this case was last closed.
    #[ts(type = "number | null")]
    pub last_investigation: Option<i64>,
}

/// What the window should show at start.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StartInfo {
    pub case: Option<CaseInfo>,
    /// Why the case asked for at start (argument, `CASEBOARD_CASE`, last case) did not open.
    pub error: Option<crate::error::IpcError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum QueueSort {
    Severity,
    Time,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AlertItem {
    pub id: NodeIdText,
    pub name: String,
    pub alert_type: String,
    pub severity: Option<Severity>,
    pub status: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub provider: String,
    pub product: String,
    /// The attacked resource.
    pub compromised_entity: String,
    pub entities: Vec<NodeIdText>,
}

impl From<cb_store::AlertRow> for AlertItem {
    fn from(a: cb_store::AlertRow) -> AlertItem {
        AlertItem {
            id: a.id.to_string(),
            name: a.name,
            alert_type: a.alert_type,
            severity: a.severity.map(Into::into),
            status: a.status,
            start: a.start,
            end: a.end,
            provider: a.provider,
            product: a.product,
            compromised_entity: a.compromised_entity,
            entities: a.entities.iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IncidentItem {
    pub id: NodeIdText,
    pub title: String,
    #[ts(type = "number | null")]
    pub number: Option<i64>,
    pub severity: Option<Severity>,
    pub status: String,
    pub created: Option<String>,
    pub first_activity: Option<String>,
    pub last_activity: Option<String>,
    pub provider: String,
    /// Why Caseboard grouped these alerts (derived incidents only).
    pub reason: Option<String>,
    pub alerts: Vec<NodeIdText>,
}

impl From<cb_store::IncidentRow> for IncidentItem {
    fn from(i: cb_store::IncidentRow) -> IncidentItem {
        IncidentItem {
            id: i.id.to_string(),
            title: i.title,
            number: i.number,
            severity: i.severity.map(Into::into),
            status: i.status,
            created: i.created,
            first_activity: i.first_activity,
            last_activity: i.last_activity,
            provider: i.provider,
            reason: i.reason,
            alerts: i.alerts.iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    pub alerts: Vec<AlertItem>,
    pub incidents: Vec<IncidentItem>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Relation {
    pub from: NodeIdText,
    pub to: NodeIdText,
    pub kind: String,
    #[ts(type = "unknown")]
    pub props: Value,
    /// Provenance: the evidence file and record that said so.
    pub source: Option<String>,
    #[ts(type = "number | null")]
    pub record: Option<i64>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NodeDetail {
    pub id: NodeIdText,
    pub kind: String,
    pub label: String,
    /// Every stored column (JSON columns decoded).
    #[ts(type = "Record<string, unknown>")]
    pub fields: serde_json::Map<String, Value>,
    pub relations: Vec<Relation>,
    /// Labels of the nodes named in `relations`.
    #[ts(type = "Record<string, string>")]
    pub labels: std::collections::BTreeMap<String, String>,
}

impl NodeDetail {
    pub fn from_store(
        d: cb_store::NodeDetail,
        labels: std::collections::BTreeMap<String, String>,
    ) -> NodeDetail {
        NodeDetail {
            id: d.id.to_string(),
            kind: d.kind,
            label: d.label,
            fields: d.fields,
            relations: d
                .relations
                .into_iter()
                .map(|r| Relation {
                    from: r.from.to_string(),
                    to: r.to.to_string(),
                    kind: r.kind,
                    props: r.props,
                    source: r.source,
                    record: r.record,
                })
                .collect(),
            labels,
        }
    }
}

// ---- the investigation map (mirrors cb-graph; read from its serde form, sent as camelCase)

/// One exploration query a node offers, with its count before expanding.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all(serialize = "camelCase"))]
#[ts(rename_all = "camelCase")]
pub struct QueryInfo {
    pub id: String,
    pub label: String,
    #[ts(type = "number")]
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all(serialize = "camelCase"))]
#[ts(rename_all = "camelCase")]
pub struct NodeView {
    pub id: NodeIdText,
    /// `alert`, `incident`, `event`, or the entity kind (`host`, `account`, `ip`, …).
    pub kind: String,
    pub label: String,
    pub severity: Option<Severity>,
    pub time: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all(serialize = "camelCase"))]
#[ts(rename_all = "camelCase")]
pub struct EdgeView {
    pub id: String,
    pub from: NodeIdText,
    pub to: NodeIdText,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all(serialize = "camelCase"))]
#[ts(rename_all = "camelCase")]
pub struct MapNode {
    pub view: NodeView,
    /// Placed by the graph engine around `parent`; `null` only for nodes it could not place.
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub pinned: bool,
    pub hidden: bool,
    pub collapsed: bool,
    /// The node it was expanded from.
    pub parent: Option<NodeIdText>,
    /// Not hidden, no collapsed ancestor, inside the time scope.
    pub visible: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TimeScope {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A saved investigation as the map shows it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all(serialize = "camelCase"))]
#[ts(rename_all = "camelCase")]
pub struct MapState {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    /// The alert/incident/entity the investigation started from.
    pub start: NodeIdText,
    pub nodes: Vec<MapNode>,
    pub edges: Vec<EdgeView>,
    /// Nodes the analyst navigated through, oldest first.
    pub breadcrumb: Vec<NodeIdText>,
    /// Where on the breadcrumb the analyst is.
    pub breadcrumb_pos: usize,
    pub focus: Option<NodeIdText>,
    /// Operations applied.
    pub cursor: usize,
    pub time_scope: Option<TimeScope>,
    pub can_undo: bool,
    pub can_redo: bool,
    pub history_len: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Position {
    pub node: NodeIdText,
    pub x: f64,
    pub y: f64,
}

/// A change to the map; every one is undoable. Same JSON as `cb_graph::investigation::MapOp`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum MapOp {
    Expand {
        node: NodeIdText,
        query: String,
        limit: Option<usize>,
        offset: Option<usize>,
    },
    AddNodes {
        nodes: Vec<NodeIdText>,
    },
    Hide {
        nodes: Vec<NodeIdText>,
    },
    Unhide {
        nodes: Vec<NodeIdText>,
    },
    Collapse {
        node: NodeIdText,
    },
    Uncollapse {
        node: NodeIdText,
    },
    Pin {
        node: NodeIdText,
        x: f64,
        y: f64,
    },
    Unpin {
        node: NodeIdText,
    },
    Remove {
        nodes: Vec<NodeIdText>,
    },
    Move {
        positions: Vec<Position>,
    },
    SetTimeScope {
        from: Option<String>,
        to: Option<String>,
    },
    Navigate {
        node: NodeIdText,
    },
    Back,
    Forward,
    /// Add the shortest path between two nodes (cb-graph `path`).
    ShowPath {
        from: NodeIdText,
        to: NodeIdText,
        max_depth: Option<usize>,
        kinds: Option<Vec<String>>,
    },
}

/// Convert between a core type and its wire mirror through their (shared) serde form.
pub fn convert<A: Serialize, B: serde::de::DeserializeOwned>(
    a: &A,
) -> Result<B, crate::error::IpcError> {
    serde_json::to_value(a)
        .and_then(serde_json::from_value)
        .map_err(|e| {
            crate::error::IpcError::new(
                crate::error::ErrorCode::Internal,
                format!("IPC shape mismatch: {e}"),
            )
        })
}

/// Every type exported to TypeScript, in file order.
#[cfg(test)]
pub fn bindings() -> String {
    use crate::error::{ErrorCode, IpcError};

    let decls = [
        ErrorCode::decl(),
        IpcError::decl(),
        Severity::decl(),
        Stats::decl(),
        CaseInfo::decl(),
        StartInfo::decl(),
        QueueSort::decl(),
        AlertItem::decl(),
        IncidentItem::decl(),
        Queue::decl(),
        Relation::decl(),
        NodeDetail::decl(),
        QueryInfo::decl(),
        NodeView::decl(),
        EdgeView::decl(),
        MapNode::decl(),
        TimeScope::decl(),
        MapState::decl(),
        Position::decl(),
        MapOp::decl(),
    ];
    let mut out = String::from(
        "// GENERATED from src-tauri/src/wire.rs by `cargo test -p caseboard-app bindings` — do not edit.\n\
         // Regenerate: UPDATE_BINDINGS=1 cargo test -p caseboard-app bindings\n\n",
    );
    for d in decls.into_iter().chain(crate::work::decls()) {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.push_str("export type NodeIdText = string;\n");
    out
}

#[cfg(test)]
mod tests {
    /// Fails when ui/src/ipc/bindings.ts no longer matches the Rust types.
    #[test]
    fn bindings_are_fresh() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/ipc/bindings.ts");
        let want = super::bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &want).unwrap();
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run `UPDATE_BINDINGS=1 cargo test -p caseboard-app bindings`",
            path.display()
        );
    }
}
