//! Root cause: trace a node back to what explains it (parent processes, the logon session,
//! the host it came from and the process there that made the call), and forward to what it
//! led to. Reads only.

use crate::case::Case;
use crate::error::ApiResult;
use cb_domain::NodeId;

pub use cb_graph::trace::DEFAULT_MAX_STEPS;
pub use cb_graph::trace::{Evidence, Forward, Trace, TraceEdge, TraceNode, TraceStep};

/// `caseboard trace --json`: `{"steps":[{"node","edge","evidence","time","text","inferred",
/// "confidence"}],"root"}`.
pub fn trace(case: &Case, node: NodeId, max_steps: Option<usize>) -> ApiResult<Trace> {
    Ok(cb_graph::trace_back(
        &case.store,
        node,
        max_steps.unwrap_or(DEFAULT_MAX_STEPS),
    )?)
}

/// `caseboard trace --forward --json`: what `node` led to, counts per kind first.
pub fn forward(case: &Case, node: NodeId, limit: Option<usize>) -> ApiResult<Forward> {
    Ok(cb_graph::trace_forward(
        &case.store,
        node,
        limit.unwrap_or(500),
    )?)
}
