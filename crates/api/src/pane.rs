//! The property pane: a node's overview and its timeline, bounded whatever the node's size
//! (counts first, then pages by time; see cb-graph `overview`). A node's items are read once
//! per case session (the case's pane cache, dropped on any audited change such as an import).

use crate::case::Case;
use crate::error::ApiResult;
use cb_domain::NodeId;

pub use cb_graph::overview::{
    Bucket, Linked, NeighbourCounts, Overview, ProvenanceFile, SourceCount, TimelineItem,
    TimelinePage, TimelineRequest,
};

fn cache(case: &Case) -> std::sync::MutexGuard<'_, cb_graph::overview::PaneCache> {
    // a panic while the cache was held leaves at worst a stale entry: start afresh
    case.pane.lock().unwrap_or_else(|p| {
        let mut g = p.into_inner();
        g.clear();
        g
    })
}

pub fn overview(case: &Case, id: NodeId) -> ApiResult<Overview> {
    Ok(cb_graph::overview::overview_with(
        &case.store,
        &mut cache(case),
        id,
    )?)
}

pub fn timeline(case: &Case, req: &TimelineRequest) -> ApiResult<TimelinePage> {
    Ok(cb_graph::overview::timeline_with(
        &case.store,
        &mut cache(case),
        req,
    )?)
}
