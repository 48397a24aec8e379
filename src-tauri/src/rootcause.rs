//! Root cause: the trace back (and forward) from a node, the process tree, the attack story
//! and the PDF report.

use crate::state::{id, AppState, IpcResult};
use cb_api::process_tree::ProcessTree;
use cb_api::story::Story;
use cb_api::trace::{Forward, Trace};
use std::path::Path;
use tauri::State;

/// Trace a node back to what explains it.
#[tauri::command]
pub async fn trace(state: State<'_, AppState>, node: String) -> IpcResult<Trace> {
    let node = id(&node)?;
    state.with_case(|c| cb_api::trace::trace(c, node, None))
}

/// What a node led to (the blast radius), counts per kind first.
#[tauri::command]
pub async fn trace_forward(state: State<'_, AppState>, node: String) -> IpcResult<Forward> {
    let node = id(&node)?;
    state.with_case(|c| cb_api::trace::forward(c, node, None))
}

/// The process tree of a host, a logon session or a process (flat pre-order rows).
#[tauri::command]
pub async fn process_tree(state: State<'_, AppState>, node: String) -> IpcResult<ProcessTree> {
    let node = id(&node)?;
    state.with_case(|c| cb_api::process_tree::process_tree(c, node))
}

/// The attack story of an incident, or of the trace of an alert, event or process.
#[tauri::command]
pub async fn story(state: State<'_, AppState>, node: String) -> IpcResult<Story> {
    let node = id(&node)?;
    state.with_case(|c| cb_api::story::story(c, node))
}

/// The report of `node` as a text PDF, written where the save dialog said; bytes written.
#[tauri::command]
pub async fn export_pdf(state: State<'_, AppState>, node: String, path: String) -> IpcResult<u64> {
    let node = id(&node)?;
    let now = cb_domain::time::format(&chrono::Utc::now());
    state.with_case(|c| cb_api::report::save_pdf(c, node, &now, Path::new(&path)))
}

/// Resolving an incident: its report (PDF or HTML) written where the save dialog said, the
/// export audited; bytes written.
#[tauri::command]
pub async fn export_report(
    state: State<'_, AppState>,
    node: String,
    format: cb_api::report::ReportFormat,
    path: String,
) -> IpcResult<u64> {
    let node = id(&node)?;
    let now = cb_domain::time::format(&chrono::Utc::now());
    state.with_case(|c| cb_api::report::export_report(c, node, format, &now, Path::new(&path)))
}

/// Resolving an incident without its report: the reason, as an audited note.
#[tauri::command]
pub async fn skip_report(
    state: State<'_, AppState>,
    node: String,
    reason: String,
) -> IpcResult<cb_api::triage::TriageInfo> {
    let node = id(&node)?;
    state.with_case(|c| cb_api::report::skip_report(c, node, &reason))
}
