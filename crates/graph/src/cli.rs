//! What the `caseboard` subcommands of this crate print (JSON is a contract). The CLI crate
//! parses arguments and opens the case; these functions do the rest and return the JSON value
//! to print, so the CLI stays a thin layer and tests can check the contract here.

use crate::investigation::{self, MapOp};
use crate::{correlate, explore, path, CorrelationSettings, GraphError, Result};
use cb_domain::NodeId;
use cb_store::SqliteStore;
use serde_json::{json, Value};

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| GraphError::Invalid(format!("cannot render JSON: {e}")))
}

/// `caseboard expand <case> <node> [--query ID [--limit N] [--offset K]] --json`.
/// Without a query: `{"node": {...}, "queries": [{"id", "label", "count"}]}`; with one:
/// `{"nodes": [...], "edges": [...], "total": N, "more": M}`.
pub fn cmd_expand(
    store: &SqliteStore,
    node: NodeId,
    query: Option<&str>,
    limit: Option<usize>,
    offset: Option<usize>,
) -> Result<Value> {
    match query {
        None => Ok(
            json!({"node": to_json(&explore::node_view(store, node)?)?, "queries": to_json(&explore::queries(store, node)?)?}),
        ),
        Some(q) => to_json(&explore::expand(
            store,
            node,
            q,
            limit.unwrap_or(explore::DEFAULT_LIMIT),
            offset.unwrap_or(0),
        )?),
    }
}

/// `caseboard path <case> <from> <to> [--max-depth D] [--kind K]... --json` →
/// `{"nodes": [...], "edges": [...]}` (both empty when there is no path).
pub fn cmd_path(
    store: &SqliteStore,
    from: NodeId,
    to: NodeId,
    max_depth: Option<usize>,
    kinds: &[String],
) -> Result<Value> {
    let kinds = if kinds.is_empty() { None } else { Some(kinds) };
    let x = path(store, from, to, max_depth.unwrap_or(6), kinds)?;
    Ok(json!({"nodes": to_json(&x.nodes)?, "edges": to_json(&x.edges)?}))
}

/// `caseboard correlate <case> [--settings FILE] --json`: run correlation, print the derived
/// incidents with their reasons (`created` says which are new).
pub fn cmd_correlate(store: &mut SqliteStore, settings: &CorrelationSettings) -> Result<Value> {
    to_json(&correlate(store, settings)?)
}

/// `caseboard incidents <case> --json`: runs correlation with `settings` first (adding only
/// new groups; nothing is written when there are none), then lists every incident, imported
/// and derived, with `reason` and alert ids: `{"incidents": [...]}` (the shape of the CLI's
/// `incidents --json`).
pub fn cmd_incidents(
    store: &mut SqliteStore,
    settings: Option<&CorrelationSettings>,
) -> Result<Value> {
    if let Some(s) = settings {
        correlate(store, s)?;
    }
    Ok(json!({"incidents": to_json(&store.incidents()?)?}))
}

/// `caseboard incident <case> add|remove <incident> <alert> --json`.
pub fn cmd_incident_edit(
    store: &mut SqliteStore,
    incident: NodeId,
    alert: NodeId,
    add: bool,
) -> Result<Value> {
    let changed = if add {
        crate::add_alert(store, incident, alert)?
    } else {
        crate::remove_alert(store, incident, alert)?
    };
    Ok(json!({"incident": incident, "alert": alert, "changed": changed}))
}

/// The investigation subcommands.
#[derive(Debug, Clone, PartialEq)]
pub enum InvestigationCmd {
    New {
        name: String,
        start: NodeId,
    },
    List,
    Show {
        id: i64,
        text: bool,
    },
    /// `op` is a JSON map operation, e.g. `{"op":"expand","node":"alert:1","query":"entities"}`.
    Op {
        id: i64,
        op: String,
    },
    Undo {
        id: i64,
    },
    Redo {
        id: i64,
    },
    History {
        id: i64,
    },
}

/// `caseboard investigation <case> new|list|show|op|undo|redo|history ... --json`. Every
/// command but `list`/`history` prints the map state; `show --text` prints the rendered map as
/// a JSON string.
pub fn cmd_investigation(store: &mut SqliteStore, cmd: InvestigationCmd) -> Result<Value> {
    match cmd {
        InvestigationCmd::New { name, start } => {
            to_json(&investigation::create(store, &name, start)?)
        }
        InvestigationCmd::List => to_json(&investigation::list(store)?),
        InvestigationCmd::Show { id, text: false } => to_json(&investigation::get(store, id)?),
        InvestigationCmd::Show { id, text: true } => Ok(Value::String(investigation::render(
            &investigation::get(store, id)?,
        ))),
        InvestigationCmd::Op { id, op } => {
            let op: MapOp = serde_json::from_str(&op)
                .map_err(|e| GraphError::Invalid(format!("map operation {op:?}: {e}")))?;
            to_json(&investigation::apply(store, id, op)?)
        }
        InvestigationCmd::Undo { id } => to_json(&investigation::undo(store, id)?),
        InvestigationCmd::Redo { id } => to_json(&investigation::redo(store, id)?),
        InvestigationCmd::History { id } => to_json(&investigation::history(store, id)?),
    }
}
