//! Triage, marking entities related, and the Activity of an alert or incident.

use crate::state::{id, AppState, IpcResult};
use cb_api::activity::ActivityEntry;
use cb_api::triage::{TriageInfo, TriageRequest};
use tauri::State;

/// Apply one change to every target (a bulk action is one transaction, each change audited).
#[tauri::command]
pub async fn triage(
    state: State<'_, AppState>,
    targets: Vec<String>,
    change: TriageRequest,
) -> IpcResult<Vec<TriageInfo>> {
    let ids = targets
        .iter()
        .map(|t| id(t))
        .collect::<IpcResult<Vec<_>>>()?;
    state.with_case(|c| Ok(cb_api::triage::triage(c, &ids, change)?.triaged))
}

#[tauri::command]
pub async fn triage_state(state: State<'_, AppState>, id: String) -> IpcResult<TriageInfo> {
    let id = self::id(&id)?;
    state.with_case(|c| cb_api::triage::triage_state(c, id))
}

#[tauri::command]
pub async fn mark_related(
    state: State<'_, AppState>,
    target: String,
    entity: String,
    reason: String,
) -> IpcResult<TriageInfo> {
    let (target, entity) = (id(&target)?, id(&entity)?);
    state.with_case(|c| cb_api::triage::mark_related(c, target, entity, &reason))
}

#[tauri::command]
pub async fn activity(state: State<'_, AppState>, id: String) -> IpcResult<Vec<ActivityEntry>> {
    let id = self::id(&id)?;
    state.with_case(|c| Ok(cb_api::activity::activity(c, Some(id))?.activity))
}
