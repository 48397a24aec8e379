//! Saved investigation maps: open the map of an alert/incident (created with its first
//! expansion), operations with undo/redo, history, the text rendering.

use crate::case::Case;
use crate::error::ApiResult;
use cb_domain::NodeId;
use cb_graph::investigation as inv;

pub use inv::{InvestigationSummary, MapNode, MapOp, MapState, Position, TimeScope};

/// The expansions a new map opens with: an alert's entities; an incident's alerts, then their
/// entities. Queries the node does not offer, or that find nothing, are left out.
fn first_expansion(case: &mut Case, map: MapState) -> ApiResult<MapState> {
    let wanted: &[&str] = match map.start {
        NodeId::Alert(_) => &["entities"],
        NodeId::Incident(_) => &["alerts", "entities"],
        _ => &[],
    };
    let offered = cb_graph::queries(&case.store, map.start)?;
    let mut map = map;
    for q in wanted {
        if offered.iter().any(|o| o.id == *q && o.count > 0) {
            map = inv::apply(
                &mut case.store,
                map.id,
                MapOp::Expand {
                    node: map.start,
                    query: q.to_string(),
                    limit: Some(cb_graph::DEFAULT_LIMIT),
                    offset: Some(0),
                },
            )?;
        }
    }
    Ok(map)
}

/// `caseboard investigation new`: a new saved map of `start` with its first expansion.
pub fn create(case: &mut Case, name: &str, start: NodeId) -> ApiResult<MapState> {
    let map = inv::create(&mut case.store, name, start)?;
    first_expansion(case, map)
}

/// The window's Investigate: the newest saved map of `start`, or a new one (named after the
/// node's label, with its first expansion) the first time.
pub fn open_map(case: &mut Case, start: NodeId) -> ApiResult<MapState> {
    if let Some(found) = inv::list(&case.store)?
        .into_iter()
        .filter(|i| i.start == start)
        .max_by_key(|i| i.id)
    {
        return Ok(inv::get(&case.store, found.id)?);
    }
    let name = case
        .store
        .label(start)
        .unwrap_or_else(|_| start.to_string());
    create(case, &name, start)
}

pub fn list(case: &Case) -> ApiResult<Vec<InvestigationSummary>> {
    Ok(inv::list(&case.store)?)
}

pub fn get(case: &Case, id: i64) -> ApiResult<MapState> {
    Ok(inv::get(&case.store, id)?)
}

/// The saved map rendered as text (`caseboard investigation show --text`).
pub fn render(case: &Case, id: i64) -> ApiResult<String> {
    Ok(inv::render(&inv::get(&case.store, id)?))
}

pub fn apply(case: &mut Case, id: i64, op: MapOp) -> ApiResult<MapState> {
    Ok(inv::apply(&mut case.store, id, op)?)
}

pub fn undo(case: &mut Case, id: i64) -> ApiResult<MapState> {
    Ok(inv::undo(&mut case.store, id)?)
}

pub fn redo(case: &mut Case, id: i64) -> ApiResult<MapState> {
    Ok(inv::redo(&mut case.store, id)?)
}

pub fn history(case: &Case, id: i64) -> ApiResult<Vec<MapOp>> {
    Ok(inv::history(&case.store, id)?)
}
