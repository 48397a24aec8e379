//! Saved investigation maps: open the map of an alert/incident (created with its first
//! expansion), operations with undo/redo, history, the text rendering.

use crate::case::Case;
use crate::error::ApiResult;
use cb_domain::NodeId;
use cb_graph::investigation as inv;

pub use cb_graph::groups::{GroupInfo, GroupKey, Member, MemberPage, DEFAULT_THRESHOLD};
pub use inv::{
    FoldPosition, GroupPosition, InvestigationSummary, MapFold, MapGroup, MapLayout, MapNode,
    MapOp, MapState, Position, TimeScope,
};

/// The expansions a new map opens with: an alert's entities; an incident's alerts, then their
/// entities; an entity's alerts and the entities it is linked to; an event's entities — each
/// aggregated (above [`DEFAULT_THRESHOLD`] as counted groups per kind). Queries the node does
/// not offer, or that find nothing, are left out.
fn first_expansion(case: &mut Case, map: MapState) -> ApiResult<MapState> {
    let wanted: &[&str] = match map.start {
        NodeId::Alert(_) => &["entities"],
        NodeId::Incident(_) => &["alerts", "entities"],
        NodeId::Entity(_) => &["alerts", "related"],
        NodeId::Event(_) => &["entities"],
    };
    let offered = cb_graph::queries(&case.store, map.start)?;
    let mut map = map;
    for q in wanted {
        if offered.iter().any(|o| o.id == *q && o.count > 0) {
            map = inv::apply(
                &mut case.store,
                map.id,
                MapOp::Group {
                    node: map.start,
                    query: q.to_string(),
                    threshold: Some(DEFAULT_THRESHOLD),
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

/// `caseboard investigation rename` / the switcher's Rename (audited).
pub fn rename(case: &mut Case, id: i64, name: &str) -> ApiResult<InvestigationSummary> {
    Ok(inv::rename(&mut case.store, id, name)?)
}

/// `caseboard investigation delete` / the switcher's Delete (audited).
pub fn delete(case: &mut Case, id: i64) -> ApiResult<()> {
    Ok(inv::delete(&mut case.store, id)?)
}

/// The groups one query of `node` would add (what `Group` adds when it aggregates).
pub fn groups(case: &Case, node: NodeId, query: &str) -> ApiResult<Vec<GroupInfo>> {
    Ok(cb_graph::groups::groups(&case.store, node, query)?)
}

/// A page of a group's members matching `text`, for its table.
pub fn members(
    case: &Case,
    key: &GroupKey,
    text: Option<&str>,
    limit: Option<usize>,
    offset: Option<usize>,
) -> ApiResult<MemberPage> {
    Ok(cb_graph::groups::members(
        &case.store,
        key,
        text,
        limit.unwrap_or(200),
        offset.unwrap_or(0),
    )?)
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
