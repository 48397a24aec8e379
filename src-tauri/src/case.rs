//! Opening and creating cases, what the window shows at start, and the window's memory of the
//! investigation on screen.

use crate::state::{actor, poisoned, AppState, IpcResult};
use cb_api::case::CaseInfo;
use cb_api::{Case, ErrorReply};
use serde::Serialize;
use std::path::{Path, PathBuf};
use tauri::{AppHandle, Manager, State};
use ts_rs::TS;

/// The open case as the window shows it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OpenedCase {
    #[serde(flatten)]
    #[ts(flatten)]
    pub info: CaseInfo,
    /// The investigation that was on screen when this case was last closed.
    #[ts(type = "number | null")]
    pub last_investigation: Option<i64>,
}

/// What the window should show at start.
#[derive(Debug, Clone, Serialize, TS)]
pub struct StartInfo {
    pub case: Option<OpenedCase>,
    /// Why the case asked for at start (argument, `CASEBOARD_CASE`, last case) did not open.
    pub error: Option<ErrorReply>,
}

fn opened(state: &AppState, case: &Case) -> IpcResult<OpenedCase> {
    let info = cb_api::case::info(case)?;
    Ok(OpenedCase {
        last_investigation: state.config().1.last_investigation.get(&info.path).cloned(),
        info,
    })
}

/// Make `case` current, remember it, retitle the window.
fn make_current(app: &AppHandle, state: &AppState, case: Case) -> IpcResult<OpenedCase> {
    let case = crate::state::signed(case);
    let o = opened(state, &case)?;
    *state.case.lock().map_err(|_| poisoned())? = Some(case);
    state.update_config(|c| c.last_case = Some(PathBuf::from(&o.info.path)));
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title(&format!("{} — Caseboard", o.info.name));
    }
    Ok(o)
}

/// The case to open at start: the first argument, else `CASEBOARD_CASE`, else the last case.
fn start_case(state: &AppState) -> Option<PathBuf> {
    std::env::args_os()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'))
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CASEBOARD_CASE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| state.config().1.last_case)
}

#[tauri::command]
pub async fn app_start(app: AppHandle, state: State<'_, AppState>) -> IpcResult<StartInfo> {
    if let Ok(Some(case)) = state.case.lock().as_deref() {
        return Ok(StartInfo {
            case: Some(opened(&state, case)?),
            error: None,
        });
    }
    let Some(path) = start_case(&state) else {
        return Ok(StartInfo {
            case: None,
            error: None,
        });
    };
    let r = Case::open(&path, actor())
        .map_err(ErrorReply::from)
        .and_then(|c| make_current(&app, &state, c));
    Ok(match r {
        Ok(c) => StartInfo {
            case: Some(c),
            error: None,
        },
        Err(e) => StartInfo {
            case: None,
            error: Some(e),
        },
    })
}

#[tauri::command]
pub async fn open_case(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
) -> IpcResult<OpenedCase> {
    make_current(&app, &state, Case::open(Path::new(&path), actor())?)
}

#[tauri::command]
pub async fn create_case(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
) -> IpcResult<OpenedCase> {
    make_current(&app, &state, Case::create(Path::new(&path), actor())?)
}

#[tauri::command]
pub async fn case_info_cmd(state: State<'_, AppState>) -> IpcResult<OpenedCase> {
    let mut guard = state.case.lock().map_err(|_| poisoned())?;
    let case = guard.as_mut().ok_or(cb_api::ApiError::NoCase)?;
    opened(&state, case)
}

/// Remember which investigation is on screen for the open case (restored at next start).
#[tauri::command]
pub async fn remember_investigation(state: State<'_, AppState>, id: Option<i64>) -> IpcResult<()> {
    let path = state.with_case(|c| Ok(c.path().to_string_lossy().into_owned()))?;
    state.update_config(|c| match id {
        Some(id) => {
            c.last_investigation.insert(path, id);
        }
        None => {
            c.last_investigation.remove(&path);
        }
    });
    Ok(())
}

/// The front end reports milestones here so scripts can read them on stderr.
#[tauri::command]
pub fn report(line: String) {
    eprintln!("[ui] {line}");
}
