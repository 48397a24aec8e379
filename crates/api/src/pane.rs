//! The property pane: a node's overview and its timeline, bounded whatever the node's size
//! (counts first, then pages by time; see cb-graph `overview`).

use crate::case::Case;
use crate::error::ApiResult;
use cb_domain::NodeId;

pub use cb_graph::overview::{
    Bucket, Linked, NeighbourCounts, Overview, ProvenanceFile, SourceCount, TimelineItem,
    TimelinePage, TimelineRequest,
};

pub fn overview(case: &Case, id: NodeId) -> ApiResult<Overview> {
    Ok(cb_graph::overview::overview(&case.store, id)?)
}

pub fn timeline(case: &Case, req: &TimelineRequest) -> ApiResult<TimelinePage> {
    Ok(cb_graph::overview::timeline(&case.store, req)?)
}
