//! The investigation switcher and the pane's bounded reads: list, create from any node,
//! rename, delete (audited in cb-api); a node's overview and timeline; a group's members.

use crate::state::{id, AppState, IpcResult};
use cb_api::investigations::{self as inv, GroupKey, InvestigationSummary, MapState, MemberPage};
use cb_api::pane::{Overview, TimelinePage, TimelineRequest};
use tauri::State;

#[tauri::command]
pub async fn investigation_list(
    state: State<'_, AppState>,
) -> IpcResult<Vec<InvestigationSummary>> {
    state.with_case(|c| inv::list(c))
}

/// A new map centred on any node (alert, incident, entity, event), with its first expansion.
#[tauri::command]
pub async fn investigation_new(
    state: State<'_, AppState>,
    name: String,
    start: String,
) -> IpcResult<MapState> {
    let start = id(&start)?;
    state.with_case(|c| inv::create(c, &name, start))
}

#[tauri::command]
pub async fn investigation_rename(
    state: State<'_, AppState>,
    id: i64,
    name: String,
) -> IpcResult<InvestigationSummary> {
    state.with_case(|c| inv::rename(c, id, &name))
}

#[tauri::command]
pub async fn investigation_delete(state: State<'_, AppState>, id: i64) -> IpcResult<()> {
    state.with_case(|c| inv::delete(c, id))
}

#[tauri::command]
pub async fn group_members(
    state: State<'_, AppState>,
    key: GroupKey,
    text: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
) -> IpcResult<MemberPage> {
    state.with_case(|c| inv::members(c, &key, text.as_deref(), limit, offset))
}

#[tauri::command]
pub async fn node_overview(state: State<'_, AppState>, id: String) -> IpcResult<Overview> {
    let id = self::id(&id)?;
    state.with_case(|c| cb_api::pane::overview(c, id))
}

#[tauri::command]
pub async fn node_timeline(
    state: State<'_, AppState>,
    request: TimelineRequest,
) -> IpcResult<TimelinePage> {
    state.with_case(|c| cb_api::pane::timeline(c, &request))
}
