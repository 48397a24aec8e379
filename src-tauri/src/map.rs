//! The investigation map: open the map of a node, operations, undo/redo, queries, paths.

use crate::state::{id, AppState, IpcResult};
use cb_api::explore::{Expansion, PathRequest, QueryInfo};
use cb_api::investigations::{self as inv, MapOp, MapState};
use tauri::State;

/// The exploration queries a node offers, each with its count (before expanding).
#[tauri::command]
pub async fn map_queries(state: State<'_, AppState>, node: String) -> IpcResult<Vec<QueryInfo>> {
    let node = id(&node)?;
    state.with_case(|c| Ok(cb_api::explore::queries(c, node)?.queries))
}

/// Investigate: the saved map of `start`, created with its first expansion the first time.
#[tauri::command]
pub async fn investigation_start(state: State<'_, AppState>, start: String) -> IpcResult<MapState> {
    let start = id(&start)?;
    let m = state.with_case(|c| inv::open_map(c, start))?;
    state.update_config(|c| {
        if let Some(p) = c
            .last_case
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned())
        {
            c.last_investigation.insert(p, m.id);
        }
    });
    Ok(m)
}

#[tauri::command]
pub async fn investigation_get(state: State<'_, AppState>, id: i64) -> IpcResult<MapState> {
    state.with_case(|c| inv::get(c, id))
}

#[tauri::command]
pub async fn investigation_apply(
    state: State<'_, AppState>,
    id: i64,
    op: MapOp,
) -> IpcResult<MapState> {
    state.with_case(|c| inv::apply(c, id, op))
}

#[tauri::command]
pub async fn investigation_undo(state: State<'_, AppState>, id: i64) -> IpcResult<MapState> {
    state.with_case(|c| inv::undo(c, id))
}

#[tauri::command]
pub async fn investigation_redo(state: State<'_, AppState>, id: i64) -> IpcResult<MapState> {
    state.with_case(|c| inv::redo(c, id))
}

/// The shortest path between two nodes (empty when there is none within `max_depth`).
#[tauri::command]
pub async fn find_path(state: State<'_, AppState>, request: PathRequest) -> IpcResult<Expansion> {
    state.with_case(|c| cb_api::explore::path(c, &request))
}
