//! One node with its properties and relations, and the labels of the nodes it names.

use crate::case::Case;
use crate::error::ApiResult;
use cb_domain::NodeId;
use cb_store::SqliteStore;
use serde::Serialize;
use std::collections::BTreeMap;

/// Node id (as text) → label, for the nodes a response names. The one place labels are looked
/// up for a response; an id whose label cannot be read shows as itself.
pub type Labels = BTreeMap<String, String>;

pub(crate) fn labels(store: &SqliteStore, ids: impl IntoIterator<Item = NodeId>) -> Labels {
    let mut out = Labels::new();
    for id in ids {
        out.entry(id.to_string())
            .or_insert_with(|| store.label(id).unwrap_or_else(|_| id.to_string()));
    }
    out
}

/// `caseboard show --json`: `{"id","kind","label","fields","relations","labels"}`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NodeDetail {
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub node: cb_store::NodeDetail,
    /// Labels of the other nodes named in `relations`.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub labels: Labels,
}

pub fn show(case: &Case, id: NodeId) -> ApiResult<NodeDetail> {
    let node = case.store.node(id)?;
    let labels = labels(
        &case.store,
        node.relations
            .iter()
            .flat_map(|r| [r.from, r.to])
            .filter(|n| *n != id),
    );
    Ok(NodeDetail { node, labels })
}
