//! Exploration of the case graph: the queries a node offers with their counts, one query's
//! page of nodes and edges, and shortest paths.

use crate::case::Case;
use crate::error::ApiResult;
use cb_domain::NodeId;
use serde::{Deserialize, Serialize};

pub use cb_graph::{EdgeView, Expansion, NodeView, QueryInfo, DEFAULT_LIMIT};

/// `caseboard expand --json` without `--query`: `{"node": {...}, "queries": [...]}`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NodeQueries {
    pub node: NodeView,
    pub queries: Vec<QueryInfo>,
}

/// The exploration queries of `node`, each with its count before anything expands.
pub fn queries(case: &Case, node: NodeId) -> ApiResult<NodeQueries> {
    Ok(NodeQueries {
        node: cb_graph::node_view(&case.store, node)?,
        queries: cb_graph::queries(&case.store, node)?,
    })
}

/// One query's page: `{"nodes","edges","total","more"}`.
pub fn expand(
    case: &Case,
    node: NodeId,
    query: &str,
    limit: Option<usize>,
    offset: Option<usize>,
) -> ApiResult<Expansion> {
    Ok(cb_graph::expand(
        &case.store,
        node,
        query,
        limit.unwrap_or(DEFAULT_LIMIT),
        offset.unwrap_or(0),
    )?)
}

/// A shortest-path question.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PathRequest {
    pub from: NodeId,
    pub to: NodeId,
    /// Default 6.
    #[serde(default)]
    pub max_depth: Option<usize>,
    /// Only follow relations of these kinds; empty = every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// `caseboard path --json`: the path's nodes and edges (both empty when there is none within
/// `max_depth`).
pub fn path(case: &Case, req: &PathRequest) -> ApiResult<Expansion> {
    let kinds = (!req.kinds.is_empty()).then_some(req.kinds.as_slice());
    Ok(cb_graph::path(
        &case.store,
        req.from,
        req.to,
        req.max_depth.unwrap_or(6),
        kinds,
    )?)
}
