//! Reading the case: the queue, one node, ATT&CK names, search, sources and verify.

use crate::state::{id, AppState, IpcResult};
use cb_api::queue::{Queue, QueueSort};
use cb_api::search::{SearchReply, SearchRequest};
use cb_api::show::NodeDetail;
use cb_api::sources::SourceRow;
use cb_api::VerifyReport;
use std::collections::BTreeMap;
use tauri::State;

/// The alert queue and the incidents (reads only: correlation runs after imports).
#[tauri::command]
pub async fn queue(state: State<'_, AppState>, sort: QueueSort) -> IpcResult<Queue> {
    state.with_case(|c| cb_api::queue::queue(c, sort))
}

#[tauri::command]
pub async fn node_detail(state: State<'_, AppState>, id: String) -> IpcResult<NodeDetail> {
    let id = self::id(&id)?;
    state.with_case(|c| cb_api::show::show(c, id))
}

/// ATT&CK names for tactic/technique ids; unknown ids are left out.
#[tauri::command]
pub async fn technique_names(ids: Vec<String>) -> IpcResult<BTreeMap<String, String>> {
    Ok(cb_api::mitre::technique_names(ids)?)
}

/// A page of hits, or the query's syntax error as data.
#[tauri::command]
pub async fn search(state: State<'_, AppState>, request: SearchRequest) -> IpcResult<SearchReply> {
    state.with_case(|c| cb_api::search::search(c, &request))
}

#[tauri::command]
pub async fn sources(state: State<'_, AppState>) -> IpcResult<Vec<SourceRow>> {
    state.with_case(|c| Ok(cb_api::sources::sources(c)?.sources))
}

/// Re-hash every source and walk the audit hash chain.
#[tauri::command]
pub async fn verify(state: State<'_, AppState>) -> IpcResult<VerifyReport> {
    state.with_case(|c| cb_api::sources::verify(c))
}
